// Mapping files and cell parsing (see csv_mapping.h).

#include "workloads/csv_mapping.h"

#include <cctype>
#include <charconv>
#include <set>

#include "strata/instant.h"

namespace strata::workloads {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseTypeName(std::string_view s, ValueType* out) {
  static const std::pair<const char*, ValueType> kTypes[] = {
      {"string", ValueType::kString},   {"long", ValueType::kLong},       {"double", ValueType::kDouble},
      {"boolean", ValueType::kBoolean}, {"instant", ValueType::kInstant}, {"uuid", ValueType::kUuid},
      {"keyword", ValueType::kKeyword},
  };
  for (const auto& [name, t] : kTypes)
    if (s == name) {
      *out = t;
      return true;
    }
  return false;
}

// Reads `min`..`max` digits at *p.
bool Digits(std::string_view s, size_t* p, int min, int max, int64_t* out) {
  int n = 0;
  int64_t v = 0;
  while (*p < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[*p]))) {
    v = v * 10 + (s[*p] - '0');
    ++*p;
    ++n;
  }
  *out = v;
  return n >= min;
}

bool ParsePattern(std::string_view pat, std::string_view s, int64_t* ms) {
  int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0;
  size_t p = 0, i = 0;
  auto token = [&](std::string_view t) { return pat.compare(i, t.size(), t) == 0; };
  while (i < pat.size()) {
    bool ok = true;
    if (token("yyyy")) ok = Digits(s, &p, 4, 4, &y), i += 4;
    else if (token("SSS")) ok = Digits(s, &p, 3, 3, &frac), i += 3;
    else if (token("MM")) ok = Digits(s, &p, 2, 2, &mo), i += 2;
    else if (token("dd")) ok = Digits(s, &p, 2, 2, &d), i += 2;
    else if (token("HH")) ok = Digits(s, &p, 2, 2, &h), i += 2;
    else if (token("mm")) ok = Digits(s, &p, 2, 2, &mi), i += 2;
    else if (token("ss")) ok = Digits(s, &p, 2, 2, &sec), i += 2;
    else if (token("M")) ok = Digits(s, &p, 1, 2, &mo), i += 1;
    else if (token("d")) ok = Digits(s, &p, 1, 2, &d), i += 1;
    else if (token("H")) ok = Digits(s, &p, 1, 2, &h), i += 1;
    else ok = p < s.size() && s[p] == pat[i], ++p, ++i;
    if (!ok) return false;
  }
  if (p != s.size() || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return false;
  *ms = ((DaysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + sec * 1000 + frac;
  return true;
}

bool ParseLong(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

bool ParseBool(std::string_view s, bool* out) {
  std::string l(s);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* kTrue[] = {"true", "t", "yes", "y", "1"};
  static const char* kFalse[] = {"false", "f", "no", "n", "0"};
  for (const char* t : kTrue)
    if (l == t) return *out = true, true;
  for (const char* f : kFalse)
    if (l == f) return *out = false, true;
  return false;
}

std::string Quote(std::string_view s) {
  std::string q(s.substr(0, 60));
  if (s.size() > 60) q += "...";
  return "'" + q + "'";
}

bool ParseOne(const ColumnSpec& col, std::string_view s, std::vector<Value>* out, std::string* error) {
  auto bad = [&](const char* what) {
    *error = "column '" + col.column + "': " + Quote(s) + " is not " + what;
    return false;
  };
  switch (col.type) {
    case ValueType::kString:
      out->push_back(Value::String(std::string(s)));
      return true;
    case ValueType::kLong: {
      int64_t v;
      if (!ParseLong(s, &v)) return bad("a long");
      out->push_back(Value::Long(v));
      return true;
    }
    case ValueType::kDouble: {
      double v;
      std::string_view t = !s.empty() && s.front() == '+' ? s.substr(1) : s;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return bad("a double");
      out->push_back(Value::Double(v));
      return true;
    }
    case ValueType::kBoolean: {
      bool b;
      if (!ParseBool(s, &b)) return bad("a boolean (true/false, yes/no, y/n, 1/0)");
      out->push_back(Value::Boolean(b));
      return true;
    }
    case ValueType::kInstant: {
      int64_t ms;
      if (!ParseInstantWithFormat(col.format, s, &ms))
        return bad(("an instant in format " + (col.format.empty() ? std::string("iso") : col.format)).c_str());
      out->push_back(Value::Instant(ms));
      return true;
    }
    case ValueType::kUuid: {
      Uuid u;
      if (!Uuid::Parse(s, &u)) return bad("a uuid");
      out->push_back(Value::FromUuid(u));
      return true;
    }
    case ValueType::kKeyword: {
      std::string_view k = !s.empty() && s.front() == ':' ? s.substr(1) : s;
      if (k.empty() || k.find_first_of(" \t\"") != std::string_view::npos) return bad("a keyword");
      std::string name = k.find('/') == std::string_view::npos && !col.keyword_ns.empty()
                             ? col.keyword_ns + "/" + std::string(k)
                             : std::string(k);
      out->push_back(Value::Keyword(std::move(name)));
      return true;
    }
    default:
      *error = "column '" + col.column + "': unsupported type";
      return false;
  }
}

}  // namespace

const char* OnErrorName(OnError p) { return p == OnError::kFail ? "fail" : "skip"; }

bool ParseOnError(std::string_view s, OnError* out) {
  if (!s.empty() && s.front() == ':') s.remove_prefix(1);
  if (s == "fail") return *out = OnError::kFail, true;
  if (s == "skip") return *out = OnError::kSkip, true;
  return false;
}

bool ParseInstantWithFormat(std::string_view format, std::string_view text, int64_t* ms) {
  if (format.empty() || format == "iso") return edn::ParseInstant(text, ms);
  if (format == "epoch-ms" || format == "epoch-s") {
    int64_t v;
    if (!ParseLong(text, &v)) return false;
    // Seconds past what milliseconds can hold are bad text, not overflow.
    if (format == "epoch-s" && __builtin_mul_overflow(v, int64_t{1000}, ms)) return false;
    if (format == "epoch-ms") *ms = v;
    return true;
  }
  return ParsePattern(format, text, ms);
}

bool ParseCell(const ColumnSpec& col, std::string_view text, std::vector<Value>* out, std::string* error) {
  if (col.trim) text = Trim(text);
  if (text.empty()) return true;
  if (col.split.empty()) return ParseOne(col, text, out, error);
  size_t start = 0;
  for (;;) {
    const size_t at = text.find(col.split, start);
    std::string_view part = text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start);
    if (col.trim) part = Trim(part);
    if (!part.empty() && !ParseOne(col, part, out, error)) return false;
    if (at == std::string_view::npos) return true;
    start = at + col.split.size();
  }
}

const ColumnSpec* FileSpec::identity() const {
  for (const ColumnSpec& c : columns)
    if (c.identity) return &c;
  return nullptr;
}

// ---- mapping files ----------------------------------------------------------

namespace {

Status Bad(const edn::Node& at, const std::string& what) {
  const std::string where = at.Where();
  return Status::InvalidArgument("mapping" + (where.empty() ? "" : " " + where) + ": " + what);
}

// Checks that every key of map `m` is one of `known`.
Status KnownKeys(const edn::Node& m, std::initializer_list<const char*> known) {
  for (size_t i = 0; i < m.items.size(); i += 2) {
    const edn::Node& k = m.items[i];
    bool ok = false;
    for (const char* n : known) ok = ok || k.is_keyword(n);
    if (!ok) {
      std::string list;
      for (const char* n : known) list += (list.empty() ? ":" : ", :") + std::string(n);
      return Bad(k, "unknown key " + edn::Print(k) + " (known: " + list + ")");
    }
  }
  return Status::OK();
}

Result<std::string> Text(const edn::Node& n, const char* key) {
  if (n.kind == edn::Kind::kString) return n.s;
  if (n.kind == edn::Kind::kKeyword) return n.s;
  return Bad(n, std::string(":") + key + " must be a string");
}

Result<bool> Flag(const edn::Node& n, const char* key) {
  if (n.kind != edn::Kind::kBool) return Bad(n, std::string(":") + key + " must be true or false");
  return n.b;
}

Result<ColumnSpec> ParseColumn(const edn::Node& m) {
  if (m.kind != edn::Kind::kMap) return Bad(m, "a column is a map {:column \"name\" :attr :ns/name ...}");
  STRATA_RETURN_IF_ERROR(KnownKeys(
      m, {"column", "attr", "type", "ref", "identity", "required", "trim", "format", "keyword-ns", "split"}));
  ColumnSpec c;
  const edn::Node* col = m.Get("column");
  const edn::Node* attr = m.Get("attr");
  if (!col || col->kind != edn::Kind::kString) return Bad(m, "a column needs :column \"header name\"");
  if (!attr || attr->kind != edn::Kind::kKeyword || attr->s.find('/') == std::string::npos)
    return Bad(m, "column '" + col->s + "' needs :attr :ns/name");
  c.column = col->s;
  c.attr = attr->s;
  if (const edn::Node* t = m.Get("type")) {
    if (t->kind != edn::Kind::kKeyword || !ParseTypeName(t->s, &c.type))
      return Bad(*t, "column '" + c.column + "': :type is one of :string :long :double :boolean :instant :uuid :keyword");
  }
  if (const edn::Node* r = m.Get("ref")) {
    if (r->kind != edn::Kind::kKeyword || r->s.find('/') == std::string::npos)
      return Bad(*r, "column '" + c.column + "': :ref names the referenced unique attribute, e.g. :client/id");
    c.ref = r->s;
  }
  if (const edn::Node* n = m.Get("identity")) {
    STRATA_ASSIGN_OR_RETURN(c.identity, Flag(*n, "identity"));
  }
  if (const edn::Node* n = m.Get("required")) {
    STRATA_ASSIGN_OR_RETURN(c.required, Flag(*n, "required"));
  }
  if (const edn::Node* n = m.Get("trim")) {
    STRATA_ASSIGN_OR_RETURN(c.trim, Flag(*n, "trim"));
  }
  if (const edn::Node* n = m.Get("format")) {
    STRATA_ASSIGN_OR_RETURN(c.format, Text(*n, "format"));
  }
  if (const edn::Node* n = m.Get("keyword-ns")) {
    STRATA_ASSIGN_OR_RETURN(c.keyword_ns, Text(*n, "keyword-ns"));
  }
  if (const edn::Node* n = m.Get("split")) {
    STRATA_ASSIGN_OR_RETURN(c.split, Text(*n, "split"));
    if (c.split.empty()) return Bad(*n, "column '" + c.column + "': :split must not be empty");
  }
  if (!c.format.empty() && c.type != ValueType::kInstant)
    return Bad(m, "column '" + c.column + "': :format applies to :instant columns only");
  if (!c.format.empty() && c.format != "iso" && c.format != "epoch-ms" && c.format != "epoch-s" &&
      c.format.find("yyyy") == std::string::npos)
    return Bad(m, "column '" + c.column + "': :format is iso, epoch-ms, epoch-s or a pattern with yyyy");
  if (c.identity) {
    if (!c.ref.empty()) return Bad(m, "column '" + c.column + "': an identity column cannot be a reference");
    if (!c.split.empty()) return Bad(m, "column '" + c.column + "': an identity column holds one value");
    c.required = true;
  }
  return c;
}

Result<FileSpec> ParseFile(const edn::Node& m) {
  if (m.kind != edn::Kind::kMap) return Bad(m, "a file is a map {:file \"x.csv\" :columns [...]}");
  STRATA_RETURN_IF_ERROR(KnownKeys(m, {"file", "entity", "delimiter", "columns"}));
  FileSpec f;
  const edn::Node* file = m.Get("file");
  if (!file || file->kind != edn::Kind::kString || file->s.empty()) return Bad(m, "a file needs :file \"name.csv\"");
  f.file = file->s;
  f.entity = f.file.substr(0, f.file.rfind('.'));
  if (const edn::Node* e = m.Get("entity")) {
    STRATA_ASSIGN_OR_RETURN(f.entity, Text(*e, "entity"));
  }
  if (const edn::Node* d = m.Get("delimiter")) {
    if (d->kind != edn::Kind::kString || d->s.size() != 1 || d->s[0] == '"' || d->s[0] == '\n' || d->s[0] == '\r')
      return Bad(*d, "file '" + f.file + "': :delimiter is one character other than a quote or line end");
    f.delimiter = d->s[0];
  }
  const edn::Node* cols = m.Get("columns");
  if (!cols || !cols->is_seq() || cols->items.empty()) return Bad(m, "file '" + f.file + "' needs :columns [...]");
  std::set<std::string> names, attrs;
  int identities = 0;
  for (const edn::Node& c : cols->items) {
    auto col = ParseColumn(c);
    if (!col.ok()) return col.status().WithContext("file '" + f.file + "'");
    if (!names.insert(col->column).second) return Bad(c, "file '" + f.file + "': column '" + col->column + "' twice");
    if (!attrs.insert(col->attr).second) return Bad(c, "file '" + f.file + "': attribute :" + col->attr + " twice");
    identities += col->identity;
    f.columns.push_back(std::move(*col));
  }
  if (identities > 1) return Bad(m, "file '" + f.file + "': at most one :identity column");
  return f;
}

}  // namespace

Result<Mapping> ParseMapping(const edn::Node& m, const std::string& base_dir) {
  if (m.kind != edn::Kind::kMap) return Bad(m, "a mapping is a map {:files [...]}");
  STRATA_RETURN_IF_ERROR(KnownKeys(m, {"schema", "batch", "on-error", "files"}));
  Mapping out;
  if (const edn::Node* s = m.Get("schema")) {
    if (s->kind != edn::Kind::kString || s->s.empty()) return Bad(*s, ":schema is the path of an EDN schema file");
    out.schema_path = s->s.front() == '/' || base_dir.empty() ? s->s : base_dir + "/" + s->s;
  }
  if (const edn::Node* b = m.Get("batch")) {
    if (b->kind != edn::Kind::kLong || b->i < 1 || b->i > 1000000) return Bad(*b, ":batch is rows per transaction, 1..1000000");
    out.batch_rows = static_cast<size_t>(b->i);
  }
  if (const edn::Node* e = m.Get("on-error")) {
    if (e->kind != edn::Kind::kKeyword || !ParseOnError(e->s, &out.on_error)) return Bad(*e, ":on-error is :fail or :skip");
  }
  const edn::Node* files = m.Get("files");
  if (!files || !files->is_seq() || files->items.empty()) return Bad(m, "a mapping needs :files [{:file ...} ...]");
  std::set<std::string> names;
  for (const edn::Node& f : files->items) {
    STRATA_ASSIGN_OR_RETURN(FileSpec spec, ParseFile(f));
    if (!names.insert(spec.file).second) return Bad(f, "file '" + spec.file + "' mapped twice");
    out.files.push_back(std::move(spec));
  }
  return out;
}

Result<Mapping> LoadMapping(Env* env, const std::string& path) {
  auto text = env->ReadFile(path);
  if (!text.ok()) return text.status().WithContext("reading mapping " + path);
  auto node = edn::ReadOne(*text);
  if (!node.ok()) return node.status().WithContext(path);
  const size_t slash = path.rfind('/');
  auto m = ParseMapping(*node, slash == std::string::npos ? "." : path.substr(0, slash));
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

Status CheckMapping(const Database& db, const Mapping& mapping) {
  for (const FileSpec& f : mapping.files) {
    for (const ColumnSpec& c : f.columns) {
      const std::string where = "file '" + f.file + "', column '" + c.column + "'";
      const Attribute* a = db.attribute(c.attr);
      if (!a) return Status::InvalidArgument(where + ": no attribute :" + c.attr + " in the schema");
      if (!c.split.empty() && !a->many)
        return Status::InvalidArgument(where + ": :split needs a cardinality-many attribute, :" + c.attr + " is one");
      if (c.identity && a->unique != Unique::kIdentity)
        return Status::InvalidArgument(where + ": identity column needs :db.unique/identity on :" + c.attr);
      if (c.ref.empty()) {
        if (a->type != c.type)
          return Status::InvalidArgument(where + ": :" + c.attr + " is " + ValueTypeName(a->type) +
                                         ", the column parses " + ValueTypeName(c.type));
        continue;
      }
      if (a->type != ValueType::kRef)
        return Status::InvalidArgument(where + ": :" + c.attr + " is " + ValueTypeName(a->type) + ", not a ref");
      const Attribute* r = db.attribute(c.ref);
      if (!r) return Status::InvalidArgument(where + ": no attribute :" + c.ref + " to resolve references through");
      if (r->unique == Unique::kNone) return Status::InvalidArgument(where + ": :" + c.ref + " is not unique");
      if (r->type != c.type)
        return Status::InvalidArgument(where + ": :" + c.ref + " is " + ValueTypeName(r->type) + ", the column parses " +
                                       ValueTypeName(c.type));
    }
  }
  return Status::OK();
}

// ---- rows -------------------------------------------------------------------

Result<RowMapper> RowMapper::Make(const FileSpec& spec, const std::vector<std::string>& header) {
  RowMapper m;
  m.spec_ = &spec;
  m.header_size_ = header.size();
  for (const ColumnSpec& c : spec.columns) {
    int at = -1;
    for (size_t i = 0; i < header.size(); ++i)
      if (Trim(header[i]) == c.column) at = static_cast<int>(i);
    if (at < 0) return Status::InvalidArgument(spec.file + ": the header has no column '" + c.column + "'");
    m.index_.push_back(at);
  }
  return m;
}

bool RowMapper::Map(const CsvRecord& rec, MappedRow* out, std::string* error) const {
  out->line = rec.line;
  out->identity = nullptr;
  out->key = Value();
  out->values.clear();
  if (rec.fields.size() != header_size_) {
    *error = std::to_string(rec.fields.size()) + " fields, the header has " + std::to_string(header_size_);
    return false;
  }
  std::vector<Value> vals;
  for (size_t i = 0; i < spec_->columns.size(); ++i) {
    const ColumnSpec& c = spec_->columns[i];
    vals.clear();
    if (!ParseCell(c, rec.fields[index_[i]], &vals, error)) return false;
    if (vals.empty()) {
      if (c.required) {
        *error = (c.identity ? "missing identity column '" : "missing required column '") + c.column + "'";
        return false;
      }
      continue;
    }
    if (c.identity) {
      out->identity = &c;
      out->key = vals.front();
    }
    for (Value& v : vals) out->values.push_back(MappedValue{&c, std::move(v)});
  }
  return true;
}

std::string TempidFor(const std::string& attr, const Value& key) {
  std::string s = attr + " ";
  edn::PrintTo(ValueToTxNode(key), &s);
  return s;
}

edn::Node ValueToTxNode(const Value& v) { return edn::FromValue(v); }

}  // namespace strata::workloads
