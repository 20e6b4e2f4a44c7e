// The EDN reader: structure (whitespace, collections, dispatch, tagged
// literals) and the entry points (see strata/edn.h, reader_impl.h). Tokens
// are read in reader_tokens.cc.

#include <cstring>
#include <limits>
#include <utility>

#include "edn/hash.h"
#include "edn/reader_impl.h"
#include "strata/edn.h"

namespace strata::edn {

std::string DescribeChar(char c) {
  auto u = static_cast<unsigned char>(c);
  char buf[16];
  if (u > 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  }
  return buf;
}

std::string Shown(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 57)) + "...";
}

bool ValidName(std::string_view s, bool keyword) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!Is(c, kSym)) return false;
  }
  if (s == "/") return true;
  if (s.front() == '/' || s.back() == '/') return false;
  if (!keyword) {
    if (!Is(s[0], kSymStart)) return false;
    // "If -, + or . are the first character, the second must be non-numeric";
    // only '.' can reach here with a digit after it (the others are numbers).
    if (s[0] == '.' && s.size() > 1 && Is(s[1], kDigit)) return false;
  }
  return true;
}

namespace {

const char* CollectionNoun(Kind k) {
  switch (k) {
    case Kind::kVector: return "vector";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kSet: return "set";
    default: return "collection";
  }
}

}  // namespace


bool ReaderImpl::SkipIgnorable(int depth) {
  const size_t n = t_.size();
  while (pos_ < n) {
    char c = t_[pos_];
    if (c == '\n') {
      NewLineAt(pos_++);
    } else if (Is(c, kWs)) {
      ++pos_;
    } else if (c == '\xEF' && t_.substr(pos_).starts_with("\xEF\xBB\xBF")) {
      // U+FEFF between forms (a byte order mark of concatenated text) is
      // whitespace: a symbol never starts with it, or printing it first
      // would make a text whose leading mark the Reader drops.
      pos_ += 3;
    } else if (c == ';' || (c == '#' && pos_ + 1 < n && t_[pos_ + 1] == '!')) {
      const void* nl = std::memchr(t_.data() + pos_, '\n', n - pos_);
      pos_ = nl == nullptr ? n : static_cast<size_t>(static_cast<const char*>(nl) - t_.data());
    } else if (c == '#' && pos_ + 1 < n && t_[pos_ + 1] == '_') {
      // Discards nest ("#_ #_ a b"), so each one is a level of recursion.
      if (depth + 1 > kMaxDepth) return FailHere("nesting too deep");
      int line = line_, col = ColAt(pos_);
      pos_ += 2;
      Node ignored;
      if (!SkipIgnorable(depth + 1)) return false;
      if (AtEnd()) return Fail(line, col, "#_ without a form to discard");
      if (!ReadDatum(&ignored, depth + 1)) return false;
    } else {
      break;
    }
  }
  return true;
}

bool ReaderImpl::ReadDatum(Node* out, int depth) {
  out->line = line_;
  out->col = col();
  char c = t_[pos_];
  switch (c) {
    case '[': ++pos_; return ReadCollection(out, Kind::kVector, ']', depth);
    case '(': ++pos_; return ReadCollection(out, Kind::kList, ')', depth);
    case '{': ++pos_; return ReadCollection(out, Kind::kMap, '}', depth);
    case ')':
    case ']':
    case '}': return FailHere("unexpected " + DescribeChar(c));
    case '"': return ReadString(out);
    case '\\': return ReadCharacter(out);
    case '#': return ReadDispatch(out, depth);
    default:
      if (c == ':' || Is(c, kSymStart | kDigit)) return ReadTokenDatum(out);
      return FailHere("unexpected " + DescribeChar(c));
  }
}

bool ReaderImpl::ReadCollection(Node* out, Kind kind, char closer, int depth) {
  if (depth + 1 > kMaxDepth) return Fail(out->line, out->col, "nesting too deep");
  out->kind = kind;
  for (;;) {
    if (!SkipIgnorable(depth + 1)) return false;
    if (AtEnd()) return Fail(out->line, out->col, std::string("unterminated ") + CollectionNoun(kind));
    char c = t_[pos_];
    if (c == closer) {
      ++pos_;
      break;
    }
    if (c == ')' || c == ']' || c == '}') return FailMismatch(*out, closer, c);
    out->items.emplace_back();
    if (!ReadDatum(&out->items.back(), depth + 1)) return false;
  }
  return kind == Kind::kMap || kind == Kind::kSet ? CheckEntries(*out) : true;
}

bool ReaderImpl::FailMismatch(const Node& coll, char closer, char got) {
  return FailHere("unexpected " + DescribeChar(got) + ", expected '" + closer + "' to close the " +
                  CollectionNoun(coll.kind) + " at " + std::to_string(coll.line) + ":" +
                  std::to_string(coll.col));
}

bool ReaderImpl::CheckEntries(const Node& coll) {
  const size_t stride = coll.kind == Kind::kMap ? 2 : 1;
  if (coll.items.size() % stride != 0) return Fail(coll.line, coll.col, "map with odd number of forms");
  size_t dup = FindDuplicate(coll.items, stride);
  if (dup == SIZE_MAX) return true;
  const Node& k = coll.items[dup * stride];
  return Fail(k.line, k.col,
              (stride == 2 ? "duplicate map key " : "duplicate set element ") + Shown(Print(k)));
}

bool ReaderImpl::ReadDispatch(Node* out, int depth) {
  // pos_ is at '#'; "#_" and "#!" never get here (SkipIgnorable took them).
  if (pos_ + 1 >= t_.size()) return FailHere("unexpected end of input after '#'");
  char c = t_[pos_ + 1];
  if (c == '{') {
    pos_ += 2;
    return ReadCollection(out, Kind::kSet, '}', depth);
  }
  if (c == '#') return ReadSymbolicValue(out);
  if (c == ':') return ReadNamespacedMap(out, depth);
  // EDN tags start with an alphabetic character.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return ReadTagged(out, depth);
  return FailHere("unsupported dispatch: '#' followed by " + DescribeChar(c));
}

bool ReaderImpl::ReadSymbolicValue(Node* out) {
  pos_ += 2;  // "##"
  std::string_view tok;
  if (!ScanToken(&tok)) return false;
  out->kind = Kind::kDouble;
  if (tok == "Inf") {
    out->d = std::numeric_limits<double>::infinity();
  } else if (tok == "-Inf") {
    out->d = -std::numeric_limits<double>::infinity();
  } else if (tok == "NaN") {
    out->d = std::numeric_limits<double>::quiet_NaN();
  } else {
    return Fail(out->line, out->col, "unknown symbolic value ##" + Shown(tok));
  }
  return true;
}

// #:ns{:a 1 :_/b 2} means {:ns/a 1 :b 2}.
bool ReaderImpl::ReadNamespacedMap(Node* out, int depth) {
  const int line = out->line, col = out->col;
  pos_ += 2;  // "#:"
  std::string_view ns;
  if (!ScanToken(&ns)) return false;
  if (!CheckUtf8(pos_ - ns.size(), pos_, line, col + 2, "namespace")) return false;
  if (!ValidName(ns, false) || ns.find('/') != std::string_view::npos) {
    return Fail(line, col, "invalid namespace in namespaced map #:" + Shown(ns));
  }
  if (!SkipIgnorable(depth)) return false;
  if (AtEnd() || t_[pos_] != '{') return Fail(line, col, "namespaced map #:" + Shown(ns) + " needs a map");
  ++pos_;
  if (!ReadCollection(out, Kind::kMap, '}', depth)) return false;
  for (size_t i = 0; i < out->items.size(); i += 2) {
    Node& k = out->items[i];
    if (k.kind != Kind::kKeyword && k.kind != Kind::kSymbol) continue;
    if (k.s.starts_with("_/")) {
      k.s.erase(0, 2);
    } else if (k.s.find('/') == std::string::npos) {
      k.s = std::string(ns) + "/" + k.s;
    }
  }
  // Rewriting keys can make them collide ({:a 1 :ns/a 2}).
  return CheckEntries(*out);
}

bool ReaderImpl::ReadTagged(Node* out, int depth) {
  ++pos_;  // '#'
  std::string_view tag;
  if (!ScanToken(&tag)) return false;
  if (!CheckUtf8(pos_ - tag.size(), pos_, out->line, out->col + 1, "tag")) return false;
  if (!ValidName(tag, false)) return Fail(out->line, out->col, "invalid tag #" + Shown(tag));
  if (depth + 1 > kMaxDepth) return Fail(out->line, out->col, "nesting too deep");
  Node form;
  if (!SkipIgnorable(depth + 1)) return false;
  if (AtEnd()) return Fail(out->line, out->col, "tag #" + Shown(tag) + " without a form");
  if (!ReadDatum(&form, depth + 1)) return false;
  return FinishTagged(out, tag, &form);
}

bool ReaderImpl::FinishTagged(Node* out, std::string_view tag, Node* form) {
  if (tag == "uuid") {
    if (form->kind != Kind::kString) return Fail(out->line, out->col, "#uuid needs a string");
    if (!Uuid::Parse(form->s, &out->uuid)) {
      return Fail(out->line, out->col, "invalid uuid \"" + Shown(form->s) + "\"");
    }
    out->kind = Kind::kUuid;
  } else if (tag == "inst") {
    if (form->kind != Kind::kString) return Fail(out->line, out->col, "#inst needs a string");
    if (!ParseInstant(form->s, &out->i)) {
      return Fail(out->line, out->col, "invalid instant \"" + Shown(form->s) + "\"");
    }
    out->kind = Kind::kInst;
  } else {
    out->kind = Kind::kTagged;
    out->s.assign(tag);
    out->items.push_back(std::move(*form));
  }
  return true;
}

// ---- Reader and the entry points ----------------------------------------------

Reader::Reader(std::string_view text) : text_(text) {
  // A UTF-8 byte order mark is not part of the data.
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
}

bool Reader::Next(Node* out, Status* status) {
  ReaderImpl r(text_, pos_, line_, pos_ - static_cast<size_t>(col_ - 1));
  auto fail = [&] {
    // The position stays at the start of the bad form, so calling again
    // reports the same error rather than resynchronising somewhere odd.
    if (status != nullptr) *status = r.error();
    return false;
  };
  if (status != nullptr) *status = Status::OK();
  if (!r.SkipIgnorable(0)) return fail();
  if (r.AtEnd()) {
    pos_ = r.pos();
    line_ = r.line();
    col_ = r.col();
    return false;
  }
  *out = Node();
  if (!r.ReadDatum(out, 0)) return fail();
  pos_ = r.pos();
  line_ = r.line();
  col_ = r.col();
  return true;
}

Result<Node> ReadOne(std::string_view text) {
  Reader reader(text);
  Node node;
  Status st;
  if (!reader.Next(&node, &st)) {
    if (!st.ok()) return st;
    return Status::InvalidArgument("EDN " + ReaderImpl::Position(reader) +
                                   ": expected a form, found end of input");
  }
  Node extra;
  if (reader.Next(&extra, &st)) {
    return Status::InvalidArgument("EDN " + std::to_string(extra.line) + ":" + std::to_string(extra.col) +
                                   ": unexpected second form (expected exactly one)");
  }
  if (!st.ok()) return st;
  return node;
}

Result<std::vector<Node>> ReadAll(std::string_view text) {
  Reader reader(text);
  std::vector<Node> out;
  Node node;
  Status st;
  while (reader.Next(&node, &st)) out.push_back(std::move(node));
  if (!st.ok()) return st;
  return out;
}

}  // namespace strata::edn
