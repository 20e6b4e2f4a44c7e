// The workload registry: one line per workload (see workload.h).

#include <cstdio>

#include "workloads/bulk_import.h"
#include "workloads/corrections.h"
#include "workloads/dataset.h"
#include "workloads/mbrainz.h"
#include "workloads/mbrainz_synth.h"
#include "workloads/permissions.h"
#include "workloads/reminders.h"
#include "workloads/uniform.h"
#include "workloads/workload.h"

namespace strata::workloads {

namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Workload> (*make)(const WorkloadOptions&);
  // For workloads that can fail to open (a missing data set): used instead.
  Result<std::unique_ptr<Workload>> (*open)(const WorkloadOptions&) = nullptr;
};

constexpr Entry kWorkloads[] = {
    {"bulk-import", NewBulkImportWorkload},
    {"corrections", NewCorrectionsWorkload},
    {"mbrainz", nullptr, OpenMbrainzWorkload},
    {"mbrainz-synth", NewMbrainzSynthWorkload},
    {"permissions", NewPermissionsWorkload},
    {"reminders", NewRemindersWorkload},
    {"replay", nullptr, OpenReplayWorkload},
    {"uniform", NewUniformWorkload},
};

}  // namespace

std::string WorkloadOptions::ToString() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "scale=%g seed=%llu read_ratio=%g", scale, static_cast<unsigned long long>(seed),
                read_ratio);
  std::string out = "workload=" + name + " " + buf;
  if (!data_dir.empty()) out += " data_dir=" + data_dir;
  return out;
}

Result<std::unique_ptr<Workload>> MakeWorkload(const WorkloadOptions& options) {
  if (!(options.scale > 0)) return Status::InvalidArgument("workload scale must be > 0");
  if (!(options.read_ratio >= 0)) return Status::InvalidArgument("workload read ratio must be >= 0");
  for (const Entry& e : kWorkloads)
    if (options.name == e.name) return e.open ? e.open(options) : e.make(options);
  std::string known;
  for (const std::string& n : WorkloadNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown workload '" + options.name + "' (known: " + known + ")");
}

std::vector<std::string> WorkloadNames() {
  std::vector<std::string> out;
  for (const Entry& e : kWorkloads) out.emplace_back(e.name);
  return out;
}

}  // namespace strata::workloads
