// The EDN reader's tokens: keywords, symbols, numbers, strings and
// character literals (see reader_impl.h).

#include <charconv>
#include <utility>

#include "edn/reader_impl.h"
#include "edn/utf8.h"

namespace strata::edn {

bool ReaderImpl::CheckUtf8(size_t from, size_t to, int line, int col, std::string_view what) {
  const size_t bad = FindInvalidUtf8(t_.substr(from, to - from));
  if (bad == std::string_view::npos) return true;
  const size_t at = from + bad;
  for (size_t i = from; i < at; ++i) {
    if (t_[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return Fail(line, col, "invalid UTF-8 in " + std::string(what) + ": " + DescribeInvalidUtf8(t_, at) + " of the input");
}

bool ReaderImpl::ReadTokenDatum(Node* out) {
  const int line = out->line, col = out->col;
  std::string_view tok;
  if (!ScanToken(&tok)) return false;
  const size_t tok_at = static_cast<size_t>(tok.data() - t_.data());
  if (!CheckUtf8(tok_at, tok_at + tok.size(), line, col, tok[0] == ':' ? "keyword" : "symbol")) return false;
  if (tok[0] == ':') {
    std::string_view name = tok.substr(1);
    if (!name.empty() && name[0] == ':') {
      return Fail(line, col, "auto-resolved keywords (::) are not supported");
    }
    if (!ValidName(name, true)) return Fail(line, col, "invalid keyword " + Shown(tok));
    out->kind = Kind::kKeyword;
    out->s.assign(name);
    return true;
  }
  if (Is(tok[0], kDigit) || ((tok[0] == '-' || tok[0] == '+') && tok.size() > 1 && Is(tok[1], kDigit))) {
    return ReadNumber(tok, out);
  }
  if (tok == "nil") {
    out->kind = Kind::kNil;
  } else if (tok == "true" || tok == "false") {
    out->kind = Kind::kBool;
    out->b = tok[0] == 't';
  } else if (ValidName(tok, false)) {
    out->kind = Kind::kSymbol;
    out->s.assign(tok);
  } else {
    for (char c : tok) {
      if (!Is(c, kSym)) return Fail(line, col, "invalid character " + DescribeChar(c) + " in symbol");
    }
    return Fail(line, col, "invalid symbol " + Shown(tok));
  }
  return true;
}

// Integers: [+-]?digits N?   Floats: [+-]?digits(.digits*)?([eE][+-]?digits)? M?
// with at least one of the fraction, exponent or M.
bool ReaderImpl::ReadNumber(std::string_view tok, Node* out) {
  const size_t n = tok.size();
  size_t i = 0;
  if (tok[0] == '+' || tok[0] == '-') ++i;
  const size_t digits = i;
  while (i < n && Is(tok[i], kDigit)) ++i;
  const size_t int_end = i;
  bool is_float = false;
  if (i < n && tok[i] == '.') {
    is_float = true;
    ++i;
    while (i < n && Is(tok[i], kDigit)) ++i;
  }
  if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
    is_float = true;
    ++i;
    if (i < n && (tok[i] == '+' || tok[i] == '-')) ++i;
    size_t exp_digits = i;
    while (i < n && Is(tok[i], kDigit)) ++i;
    if (i == exp_digits) return Fail(out->line, out->col, "invalid number " + Shown(tok));
  }
  size_t end = i;
  bool big = false;  // 123N is a bigint, 1.5M (and 1M) a bigdec, as Clojure reads them
  if (i < n && tok[i] == 'M') {
    is_float = true;
    big = true;
    ++i;
  } else if (i < n && tok[i] == 'N' && !is_float) {
    big = true;
    ++i;
  }
  if (i != n) return Fail(out->line, out->col, "invalid number " + Shown(tok));
  if (big) {
    if (!is_float && int_end - digits > 1 && tok[digits] == '0') {
      return Fail(out->line, out->col, "invalid number " + Shown(tok) + " (leading zero)");
    }
    Value v;
    const std::string_view text = tok.substr(0, end);
    if (!(is_float ? Value::ParseBigDec(text, &v) : Value::ParseBigInt(text, &v))) {
      return Fail(out->line, out->col, "invalid number " + Shown(tok));
    }
    out->kind = is_float ? Kind::kBigDec : Kind::kBigInt;
    out->s = v.str();
    return true;
  }
  // from_chars rejects a leading '+'; keep the '-'.
  const char* first = tok.data() + (tok[0] == '+' ? 1 : 0);
  const char* last = tok.data() + end;
  if (!is_float) {
    // EDN forbids leading zeros, and Clojure would read them as octal: refuse
    // rather than guess.
    if (int_end - digits > 1 && tok[digits] == '0') {
      return Fail(out->line, out->col, "invalid number " + Shown(tok) + " (leading zero)");
    }
    auto r = std::from_chars(first, last, out->i);
    if (r.ec == std::errc::result_out_of_range) {
      return Fail(out->line, out->col, "integer out of range " + Shown(tok));
    }
    if (r.ec != std::errc() || r.ptr != last) {
      return Fail(out->line, out->col, "invalid number " + Shown(tok));
    }
    out->kind = Kind::kLong;
    return true;
  }
  auto r = std::from_chars(first, last, out->d, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    return Fail(out->line, out->col, "float out of range " + Shown(tok));
  }
  if (r.ec != std::errc() || r.ptr != last) return Fail(out->line, out->col, "invalid number " + Shown(tok));
  out->kind = Kind::kDouble;
  return true;
}

bool ReaderImpl::ReadString(Node* out) {
  const int line = out->line, col = out->col;
  const size_t n = t_.size();
  const size_t start = ++pos_;
  size_t i = start;
  // Fast path: most strings hold no escapes and become one assign.
  while (i < n && t_[i] != '"' && t_[i] != '\\') {
    if (t_[i] == '\n') NewLineAt(i);
    ++i;
  }
  if (i >= n) return Fail(line, col, "unterminated string");
  std::string& s = out->s;
  out->kind = Kind::kString;
  if (t_[i] == '"') {
    if (i - start > kMaxToken) return Fail(line, col, "string too long");
    if (!CheckUtf8(start, i, line, col + 1, "string")) return false;
    s.assign(t_.data() + start, i - start);
    pos_ = i + 1;
    return true;
  }
  s.assign(t_.data() + start, i - start);
  for (;;) {
    if (i >= n) return Fail(line, col, "unterminated string");
    char c = t_[i];
    if (c == '"') break;
    if (c != '\\') {
      size_t run = i;
      while (i < n && t_[i] != '"' && t_[i] != '\\') {
        if (t_[i] == '\n') NewLineAt(i);
        ++i;
      }
      s.append(t_.data() + run, i - run);
      continue;
    }
    if (i + 1 >= n) return Fail(line, col, "unterminated string");
    const int esc_col = ColAt(i);
    char e = t_[i + 1];
    i += 2;
    switch (e) {
      case 'n': s.push_back('\n'); break;
      case 't': s.push_back('\t'); break;
      case 'r': s.push_back('\r'); break;
      case 'b': s.push_back('\b'); break;
      case 'f': s.push_back('\f'); break;
      case '"': s.push_back('"'); break;
      case '\\': s.push_back('\\'); break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(t_.substr(i), &cp)) return Fail(line_, esc_col, "invalid \\u escape");
        i += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return Fail(line_, esc_col, "unpaired surrogate in \\u escape");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // UTF-16 pair, as Java and JSON producers write astral characters.
          uint32_t lo;
          if (i + 1 >= n || t_[i] != '\\' || t_[i + 1] != 'u' || !Hex4(t_.substr(i + 2), &lo) ||
              lo < 0xdc00 || lo > 0xdfff) {
            return Fail(line_, esc_col, "unpaired surrogate in \\u escape");
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        AppendUtf8(cp, &s);
        break;
      }
      default: {
        auto u = static_cast<unsigned char>(e);
        return Fail(line_, esc_col,
                    u > 0x20 && u < 0x7f ? std::string("unknown escape \\") + e
                                         : "unknown escape: '\\' followed by " + DescribeChar(e));
      }
    }
  }
  if (s.size() > kMaxToken) return Fail(line, col, "string too long");
  // Escapes are ASCII, so the raw text is UTF-8 exactly when the string is.
  if (!CheckUtf8(start, i, line, col + 1, "string")) return false;
  pos_ = i + 1;
  return true;
}

bool ReaderImpl::ReadCharacter(Node* out) {
  const int line = out->line, col = out->col;
  const size_t start = pos_ + 1;
  if (start >= t_.size()) return Fail(line, col, "unterminated character literal");
  // The first character is taken whatever it is ("\(" and "\ " are fine);
  // the token then runs to the next delimiter ("\newline", "\u00e9").
  size_t first_len = Utf8Length(t_.substr(start));
  if (first_len == 0) return Fail(line, col, "invalid UTF-8 in character literal");
  if (t_[start] == '\n') NewLineAt(start);
  pos_ = start + first_len;
  std::string_view rest;
  if (!ScanToken(&rest)) return false;
  std::string_view tok = t_.substr(start, first_len + rest.size());
  out->kind = Kind::kString;
  if (rest.empty()) {
    out->s.assign(tok);
    return true;
  }
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"newline", '\n'}, {"space", ' '},      {"tab", '\t'},
      {"return", '\r'},  {"backspace", '\b'}, {"formfeed", '\f'},
  };
  for (const auto& [name, ch] : kNamed) {
    if (tok == name) {
      out->s.assign(1, ch);
      return true;
    }
  }
  uint32_t cp;
  if (tok.size() == 5 && tok[0] == 'u' && Hex4(tok.substr(1), &cp)) {
    if (cp >= 0xd800 && cp <= 0xdfff) return Fail(line, col, "surrogate character literal");
    AppendUtf8(cp, &out->s);
    return true;
  }
  return Fail(line, col, "unsupported character \\" + Shown(tok));
}

}  // namespace strata::edn
