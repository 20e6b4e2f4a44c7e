// metrics/exposition_parser.h — a strict reader of the Prometheus text
// format, for the tests: it checks what a scraper requires and returns the
// samples by series.
//
// Rules checked (https://prometheus.io/docs/instrumenting/exposition_formats/):
// every line is a "# HELP name text", a "# TYPE name type", or a sample
// "name{label="value",...} value"; names match [a-zA-Z_:][a-zA-Z0-9_:]*,
// label names [a-zA-Z_][a-zA-Z0-9_]*; label values escape only \\, \" and
// \n; a family has at most one HELP and one TYPE, given before its samples,
// and its samples are contiguous; a histogram's samples are name_bucket
// (with an le label, cumulative, ending at +Inf), name_sum and name_count,
// with count equal to the +Inf bucket; the text ends with a newline.
#pragma once

#include <cstdlib>
#include <map>
#include <set>
#include <string>

namespace strata::metrics::testing {

struct Exposition {
  std::map<std::string, double> series;     // "name{a=\"x\"}" -> value, labels as written
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, std::string> help;   // family -> help text, unescaped
  std::string error;                         // the first violation, with its line; empty when valid

  double Get(const std::string& series_key) const {
    auto it = series.find(series_key);
    return it == series.end() ? -1 : it->second;
  }
};

namespace detail {

inline bool NameChar(char c, bool first, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

// Reads a name at s[*i]; empty when there is none.
inline std::string ReadName(const std::string& s, size_t* i, bool colon) {
  size_t start = *i;
  while (*i < s.size() && NameChar(s[*i], *i == start, colon)) ++*i;
  return s.substr(start, *i - start);
}

inline bool ParseValue(const std::string& text, double* v) {
  if (text == "+Inf") return *v = 1.0 / 0.0, true;
  if (text == "-Inf") return *v = -1.0 / 0.0, true;
  if (text == "NaN") return *v = 0.0 / 0.0, true;
  if (text.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(text.c_str(), &end);
  return *end == '\0';
}

}  // namespace detail

inline Exposition ParseExposition(const std::string& text) {
  using detail::ReadName;
  Exposition out;
  std::string current;  // the family whose samples are being read
  std::set<std::string> finished;
  std::map<std::string, double> last_bucket;  // histogram series (without le) -> cumulative so far
  std::map<std::string, double> inf_bucket;
  if (!text.empty() && text.back() != '\n') out.error = "the text does not end with a newline";
  size_t line_no = 0, pos = 0;
  auto fail = [&](const std::string& why, const std::string& line) {
    if (out.error.empty()) out.error = "line " + std::to_string(line_no) + " (" + line + "): " + why;
  };
  // The family a sample name belongs to, given the current TYPE.
  auto family_of = [&](const std::string& name) -> std::string {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
        const std::string base = name.substr(0, name.size() - sfx.size());
        auto t = out.types.find(base);
        if (t != out.types.end() && t->second == "histogram") return base;
      }
    }
    return name;
  };
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      // "# HELP name text" or "# TYPE name type"; other comments are allowed.
      if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0) continue;
      const bool is_help = line[2] == 'H';
      size_t i = 7;
      const std::string name = ReadName(line, &i, true);
      if (name.empty() || (i < line.size() && line[i] != ' ')) {
        fail("bad metric name", line);
        continue;
      }
      if (finished.count(name) || (current != name && out.series.count(name))) fail("a family given twice", line);
      if (current != name && !current.empty()) finished.insert(current);
      current = name;
      const std::string rest = i < line.size() ? line.substr(i + 1) : "";
      if (is_help) {
        if (out.help.count(name)) fail("a second HELP", line);
        std::string h;
        for (size_t k = 0; k < rest.size(); ++k) {
          if (rest[k] == '\\' && k + 1 < rest.size() && (rest[k + 1] == '\\' || rest[k + 1] == 'n')) {
            h += rest[k + 1] == 'n' ? '\n' : '\\';
            ++k;
          } else {
            h += rest[k];
          }
        }
        out.help[name] = h;
      } else {
        if (out.types.count(name)) fail("a second TYPE", line);
        if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" && rest != "untyped")
          fail("unknown type '" + rest + "'", line);
        out.types[name] = rest;
      }
      continue;
    }
    size_t i = 0;
    const std::string name = ReadName(line, &i, true);
    if (name.empty()) {
      fail("no metric name", line);
      continue;
    }
    const std::string family = family_of(name);
    if (family != current) {
      if (finished.count(family)) fail("samples of a family not contiguous", line);
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    std::string labels_key, le;
    std::set<std::string> label_names;
    if (i < line.size() && line[i] == '{') {
      ++i;
      std::string canonical;  // without le
      while (i < line.size() && line[i] != '}') {
        const std::string lname = ReadName(line, &i, false);
        if (lname.empty() || lname.rfind("__", 0) == 0) {
          fail("bad label name", line);
          break;
        }
        if (!label_names.insert(lname).second) fail("label " + lname + " twice", line);
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          fail("expected =\" after a label name", line);
          break;
        }
        i += 2;
        std::string raw;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size() || (line[i] != '\\' && line[i] != '"' && line[i] != 'n')) {
              fail("bad escape in a label value", line);
              break;
            }
            raw += '\\';
            raw += line[i++];
            continue;
          }
          raw += c;
        }
        if (!closed) {
          fail("unterminated label value", line);
          break;
        }
        if (lname == "le") le = raw;
        else canonical += (canonical.empty() ? "" : ",") + lname + "=\"" + raw + "\"";
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') {
        fail("unterminated labels", line);
        continue;
      }
      ++i;
      labels_key = canonical;
    }
    if (i >= line.size() || line[i] != ' ') {
      fail("expected a space before the value", line);
      continue;
    }
    std::string value_text = line.substr(i + 1);
    if (size_t sp = value_text.find(' '); sp != std::string::npos) value_text = value_text.substr(0, sp);  // timestamp
    double v = 0;
    if (!detail::ParseValue(value_text, &v)) {
      fail("bad value '" + value_text + "'", line);
      continue;
    }
    const std::string key = name + (labels_key.empty() ? "" : "{" + labels_key + "}");
    const bool histogram = out.types.count(family) && out.types[family] == "histogram";
    if (histogram && name == family) fail("a histogram sample without _bucket, _sum or _count", line);
    if (name == family + "_bucket" && histogram) {
      if (le.empty()) {
        fail("a bucket without le", line);
        continue;
      }
      double prev = last_bucket.count(key) ? last_bucket[key] : 0;
      if (v < prev) fail("buckets not cumulative", line);
      last_bucket[key] = v;
      if (le == "+Inf") inf_bucket[key] = v;
      out.series[key + "{le=\"" + le + "\"}"] = v;
      continue;
    }
    if (!le.empty() && !histogram) fail("le on a sample that is not a bucket", line);
    if (name == family + "_count" && histogram) {
      const std::string bucket_key = family + "_bucket" + (labels_key.empty() ? "" : "{" + labels_key + "}");
      if (!inf_bucket.count(bucket_key)) fail("a histogram without a +Inf bucket", line);
      else if (inf_bucket[bucket_key] != v) fail("_count differs from the +Inf bucket", line);
    }
    if (out.series.count(key)) fail("a series given twice", line);
    out.series[key] = v;
  }
  for (const auto& [name, type] : out.types)
    if (!out.help.count(name)) out.error = out.error.empty() ? "family " + name + " has no HELP" : out.error;
  return out;
}

}  // namespace strata::metrics::testing
