// `strata transact`: commits the EDN transactions of a file or stdin, one
// at a time, and prints each report.
//
// The input is read whole (a Reader needs one buffer) but parsed form by
// form: each top-level vector is read, committed and printed before the
// next one is parsed, so a large file never exists as a tree in memory.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "strata/connection.h"
#include "cli/commands.h"

namespace strata::cli {

namespace {

// Reads a whole file ("-": stdin) into *out.
Status ReadInput(const std::string& file, std::string* out) {
  if (file == "-") {
    std::ostringstream buf;
    buf << std::cin.rdbuf();
    if (std::cin.bad()) return Status::IOError("cannot read stdin");
    *out = std::move(buf).str();
    return Status::OK();
  }
  FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return Status::IOError("cannot open " + file + ": " + std::strerror(errno));
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out->append(chunk, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::IOError("cannot read " + file);
  return Status::OK();
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "; 2 earlier transactions committed" / "; nothing committed".
std::string CommittedNote(uint64_t committed) {
  if (committed == 0) return "; nothing committed";
  return "; the " + Plural(committed, "earlier transaction stays", "earlier transactions stay") + " committed";
}

}  // namespace

int RunTransact(const TransactArgs& args) {
  SyncPolicy policy;
  if (!ParseSyncPolicy(args.sync, &policy)) return Fail("--sync '" + args.sync + "': expected always, batch or never");
  const std::string source = args.file == "-" ? "stdin" : args.file;

  // Read the input before touching the database: a missing file must not
  // create an empty database.
  std::string text;
  if (Status s = ReadInput(args.file, &text); !s.ok()) return Fail(s.message());

  Options options;
  options.sync = policy;
  options.create_if_missing = true;
  options.strategy = args.strategy;  // empty: the root's, or adaptive for a new database
  auto opened = Connection::Open(args.db, options);
  if (!opened.ok()) return Fail("opening " + args.db + ": " + opened.status().ToString());
  Connection& conn = **opened;

  edn::Reader reader(text);
  edn::Node form;
  Status read_status;
  uint64_t committed = 0;
  while (true) {
    const uint64_t k = committed + 1;
    if (!reader.Next(&form, &read_status)) {
      if (!read_status.ok()) {
        return Fail(source + ": reading transaction " + std::to_string(k) + ": " + read_status.message() +
                    CommittedNote(committed));
      }
      break;
    }
    const std::string where = source + ": transaction " + std::to_string(k) + " (line " +
                              std::to_string(form.line) + ", column " + std::to_string(form.col) + ")";
    if (!form.is(edn::Kind::kVector) && !form.is(edn::Kind::kList)) {
      return Fail(where + ": expected a vector of operations, found " + edn::KindName(form.kind) +
                  CommittedNote(committed));
    }
    auto report = conn.Transact(form);
    if (!report.ok()) return Fail(where + " failed: " + ErrorText(report.status()) + CommittedNote(committed));
    ++committed;
    if (args.format == Format::kJson) {
      PrintLine(DumpJson(TxReportToJson(*report)));
    } else {
      PrintLine(TxReportToEdn(*report));
    }
  }
  if (Status s = conn.Close(); !s.ok()) return Fail("closing " + args.db + ": " + s.ToString());
  if (std::fflush(stdout) != 0) return Fail("writing the reports: " + std::string(std::strerror(errno)));
  return 0;
}

}  // namespace strata::cli
