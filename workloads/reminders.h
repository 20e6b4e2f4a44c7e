// workloads/reminders.h — the "reminders" workload: Vetspire's protocol
// derivation (vetspire-datasync-protocols) over years of clinic history.
//
// The schema is the Vetspire one (datasets/vetspire/schema.edn). A catalog
// of vaccines, medications and an exam, and the protocols they satisfy
// (Rabies every 365 days, Bordetella every 180, Flea and Tick every 90,
// ...; some for one species), then kRemindersYears years of days, one
// transaction per day with any activity, each carrying its own historical
// :db/txInstant (18:00 UTC that day, from 2016-01-01; the schema's
// transaction is dated the day before, so a fresh database accepts them).
//
// Patients (scale 1 = kRemindersPatientsPerScale) register over the years,
// a quarter on day 0 (a legacy practice's import), with clients (upserted
// by :client/id, 1.5 patients each) at one of the locations. Patient p
// visits on its registration day and every year on the day of the year
// p * 97 % 365 (a fifth of those visits are skipped, so reminders
// fall due), sometimes half a year later too; at a visit it gets the
// vaccines its species' protocols call for (a few declined) and orders
// (exam, heartworm and flea prevention). Two percent die at an annual
// visit (:patient/deceased? true) and never come back.
//
// Planted fact: patient "P-0", a dog, registers on day 0, gets every
// canine vaccine that day and never returns, so every reminder of it is
// overdue from day 365 on.
//
// Reads (read_ratio > 0):
//   "patient-reminders"  per protocol, the patient's most recent
//                        immunization or completed order of one of its
//                        products, and the next due date (PatientReminders);
//   "location-due"       the reminders of a location's living patients due
//                        within 30 days of the latest transaction's date,
//                        overdue included, grouped by client (LocationDue);
//   "what-we-knew"       patient-reminders as of an earlier instant, the
//                        audit question "what did we know on that day?".
//
// Thread safety: used by one thread; memory is constant in the scale.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/database.h"
#include "workloads/workload.h"

namespace strata::workloads {

constexpr uint64_t kRemindersPatientsPerScale = 2000;
constexpr int kRemindersYears = 5;
constexpr int64_t kRemindersStartMs = 1451606400000;  // 2016-01-01T00:00:00Z
constexpr int64_t kRemindersDayMs = 86400000;

std::unique_ptr<Workload> NewRemindersWorkload(const WorkloadOptions& options);

struct Reminder {
  EntityId protocol = 0;
  std::string protocol_id;  // "PRO-0"
  int64_t last_ms = 0;      // when it was last given or ordered
  int64_t due_ms = 0;       // last_ms + the protocol's interval
  EntityId source = 0;      // the immunization or order
};

// One reminder per protocol that applies to the patient's species and was
// ever satisfied, in protocol order. Declined immunizations and orders not
// :order.status/completed do not count.
Result<std::vector<Reminder>> PatientReminders(const Database& db, EntityId patient);

struct DueReminder {
  EntityId client = 0, patient = 0;
  Reminder reminder;
};

// Reminders due at or before `until_ms` of the living patients whose client
// is at `location`, ordered by client, then patient, then protocol.
Result<std::vector<DueReminder>> LocationDue(const Database& db, EntityId location, int64_t until_ms);

}  // namespace strata::workloads
