// strata/instant.h — proleptic Gregorian calendar arithmetic for instants
// (milliseconds since 1970-01-01T00:00:00Z, as in a :db.type/instant value).
//
// No time zone database and no range limit beyond int64: years before 1970
// and before year 0 need no special cases (std::chrono's year stops at
// ±32767, while #inst text may carry nine-digit years). The EDN reader and
// printer (edn::ParseInstant, edn::FormatInstant) and the CSV importer's
// date patterns share these.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>

namespace strata {

constexpr int64_t kMsPerDay = 86400000;

// Days since 1970-01-01 of year y, month m (1..12), day d (1..31).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d);

// The inverse of DaysFromCivil: the date `days` days after 1970-01-01.
void CivilFromDays(int64_t days, int64_t* y, int64_t* m, int64_t* d);

bool IsLeapYear(int64_t y);

// 28..31; requires m in 1..12.
int DaysInMonth(int64_t y, int64_t m);

}  // namespace strata
