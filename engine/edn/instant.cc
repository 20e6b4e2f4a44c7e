// Instants as RFC 3339 text (strata/edn.h) and the proleptic Gregorian
// calendar arithmetic beneath them (strata/instant.h).

#include "strata/instant.h"

#include <cstdio>

#include "strata/edn.h"

namespace strata {

// Howard Hinnant's days_from_civil / civil_from_days: exact proleptic
// Gregorian arithmetic that needs no time zone database and handles years
// before 1970 (and before year 0) without special cases.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

}  // namespace strata

namespace strata::edn {

namespace {

// Reads exactly `n` decimal digits at s[*p].
bool FixedDigits(std::string_view s, size_t* p, int n, int64_t* out) {
  if (s.size() - *p < static_cast<size_t>(n)) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*p + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return true;
}

}  // namespace

std::string FormatInstant(int64_t ms) {
  int64_t days = ms / kMsPerDay, rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  int64_t y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  // Years outside 0000..9999 use ISO 8601's expanded form ("+10000", "-0001"),
  // as java.time does; ParseInstant reads them back.
  const char* year_fmt = y >= 0 && y <= 9999 ? "%04lld" : "%+05lld";
  int len = std::snprintf(buf, sizeof buf, year_fmt, static_cast<long long>(y));
  std::snprintf(buf + len, sizeof buf - len, "-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(m),
                static_cast<int>(d), static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf;
}

// Accepts year[-MM[-DD[Thh[:mm[:ss[.fraction]]]]]] followed by an optional
// Z or (after a time) +hh:mm / -hh:mm; no offset means UTC. The fraction may
// have any number of digits and is truncated to milliseconds.
bool ParseInstant(std::string_view s, int64_t* ms) {
  size_t p = 0;
  int64_t year, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0, offset_min = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    // Expanded year: a sign and 4 to 9 digits.
    bool neg = s[0] == '-';
    size_t q = 1;
    while (q < s.size() && q < 11 && s[q] >= '0' && s[q] <= '9') ++q;
    int nd = static_cast<int>(q - 1);
    if (nd < 4 || nd > 9) return false;
    p = 1;
    if (!FixedDigits(s, &p, nd, &year)) return false;
    if (neg) year = -year;
  } else if (!FixedDigits(s, &p, 4, &year)) {
    return false;
  }
  bool has_time = false;
  if (p < s.size() && s[p] == '-') {
    ++p;
    if (!FixedDigits(s, &p, 2, &month) || month < 1 || month > 12) return false;
    if (p < s.size() && s[p] == '-') {
      ++p;
      if (!FixedDigits(s, &p, 2, &day) || day < 1 || day > DaysInMonth(year, month)) return false;
      if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
        ++p;
        has_time = true;
        if (!FixedDigits(s, &p, 2, &hour) || hour > 23) return false;
        if (p < s.size() && s[p] == ':') {
          ++p;
          if (!FixedDigits(s, &p, 2, &minute) || minute > 59) return false;
          if (p < s.size() && s[p] == ':') {
            ++p;
            // 60 is a leap second; like Clojure, only at the end of an hour's last minute.
            if (!FixedDigits(s, &p, 2, &second) || second > (minute == 59 ? 60 : 59)) return false;
            if (p < s.size() && s[p] == '.') {
              ++p;
              size_t first = p;
              while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                if (p - first < 3) millis = millis * 10 + (s[p] - '0');
                ++p;
              }
              if (p == first) return false;
              for (size_t k = p - first; k < 3; ++k) millis *= 10;
            }
          }
        }
      }
    }
  }
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (has_time && p < s.size() && (s[p] == '+' || s[p] == '-')) {
    bool neg = s[p] == '-';
    ++p;
    int64_t oh, om;
    if (!FixedDigits(s, &p, 2, &oh) || oh > 23) return false;
    if (p < s.size() && s[p] == ':') ++p;
    if (!FixedDigits(s, &p, 2, &om) || om > 59) return false;
    offset_min = (neg ? -1 : 1) * (oh * 60 + om);
  }
  if (p != s.size()) return false;
  int64_t days = DaysFromCivil(year, month, day);
  int64_t in_day = ((hour * 60 + minute - offset_min) * 60 + second) * 1000 + millis;
  // The earliest representable instant lies inside its day: move a day into
  // the time part so days * kMsPerDay alone cannot overflow.
  if (days < 0) {
    ++days;
    in_day -= kMsPerDay;
  }
  int64_t result;
  if (__builtin_mul_overflow(days, kMsPerDay, &result) || __builtin_add_overflow(result, in_day, &result)) {
    return false;
  }
  *ms = result;
  return true;
}

}  // namespace strata::edn
