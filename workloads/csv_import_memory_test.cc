// Memory stays flat: importing ten times the data does not need more
// memory. Each import runs in a child process (fork), so its figures are
// its own. The asserted figure is the heap in use (glibc mallinfo2),
// sampled every millisecond into a histogram: the large import's 99th
// percentile must stay within 1.2x of the small import's maximum, and its
// maximum (a single sample: a batch transaction, a memory-index merge and an
// indexing job may coincide once) within 1.5x. (The small import lasts
// 0.1-0.3 s, so its own 99th percentile is one of its top few samples and
// moves with the machine's load: under ctest -j2 it once put the ratio of
// the two percentiles over 1.2 with the large import's heap unchanged. Its
// maximum can miss the peak too, so it runs three times and the largest
// figures count.)
// The peak resident set size (getrusage) is printed too.
//
// The engine's own bounds are set small so that both imports reach their
// steady state: novelty sealed every 512 KiB and capped at 2 MiB (the
// transactor waits past it), a 4 MiB segment cache. What remains is the
// importer's: one batch (250 rows) and the reader's buffer.

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "strata/connection.h"
#include "workloads/csv_gen.h"
#include "workloads/csv_import.h"

namespace strata::workloads {
namespace {

struct Peak {
  double heap_p99_mb = 0;  // 99th percentile of the sampled heap in use
  double heap_max_mb = 0;  // largest sample
  double rss_mb = 0;       // the child's peak resident set size
  double seconds = 0;
  uint64_t rows = 0, datoms = 0;
};

uint64_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// Imports `dir`'s files into a fresh database under `db`, in a child.
Peak ImportInChild(const std::string& dir, const std::string& db) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::fflush(nullptr);  // nothing buffered is printed twice
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Options o;
    o.sync = SyncPolicy::kNever;
    o.memory_index_threshold = 512 << 10;
    o.memory_index_max = 2 << 20;
    o.segment_cache_bytes = 4 << 20;
    // 64 KiB buckets; static, so the sampler adds nothing to the heap.
    static std::array<uint32_t, 1 << 14> histogram;
    std::atomic<bool> done{false};
    uint64_t max = 0;
    std::thread sampler([&] {
      while (!done.load()) {
        const uint64_t h = HeapInUse();
        max = std::max(max, h);
        histogram[std::min<uint64_t>(histogram.size() - 1, h >> 16)]++;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    const auto start = std::chrono::steady_clock::now();
    auto conn = Connection::Open(db, o);
    auto m = LoadMapping(Env::Default(), dir + "/mapping.edn");
    std::vector<std::string> files;
    for (int t = 0; t < kVetTables; ++t) files.push_back(dir + "/" + VetTableFile(static_cast<VetTable>(t)));
    ImportOptions io;
    io.batch_rows = 250;
    ImportReport r;
    Status s = conn.ok() && m.ok() ? ImportCsv(**conn, *m, files, io, &r) : Status::Aborted("open");
    if (s.ok()) s = (*conn)->Close();
    done = true;
    sampler.join();
    Peak p;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t total = 0, seen = 0;
    for (uint32_t n : histogram) total += n;
    for (size_t b = 0; b < histogram.size(); ++b) {
      seen += histogram[b];
      if (seen * 100 >= total * 99) {
        p.heap_p99_mb = static_cast<double>(b + 1) / 16;
        break;
      }
    }
    p.heap_max_mb = static_cast<double>(max) / (1 << 20);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    p.rss_mb = static_cast<double>(ru.ru_maxrss) / 1024;
    p.rows = s.ok() ? r.rows_imported : 0;
    p.datoms = r.datoms;
    if (write(fds[1], &p, sizeof p) != sizeof p) _exit(2);
    _exit(s.ok() ? 0 : 1);
  }
  close(fds[1]);
  Peak p;
  EXPECT_EQ(read(fds[0], &p, sizeof p), static_cast<ssize_t>(sizeof p));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  return p;
}

TEST(CsvImportMemory, TenTimesTheDataSameMemory) {
  char tmpl[] = "/tmp/strata-import-mem-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  Peak peaks[2];
  const uint64_t sizes[2] = {1u << 20, 10u << 20};
  for (int i = 0; i < 2; ++i) {
    const std::string dir = root + "/csv" + std::to_string(i);
    CsvGenReport gen;
    ASSERT_TRUE(GenerateCsv(Env::Default(), dir, PlanForBytes(sizes[i], 11), &gen).ok());
    // The small import is run three times and its largest figures kept: in
    // 0.1-0.3 s the 1 ms sampler may miss its peak (one run's maximum
    // measured 11.6 MB, another's 14.7 MB, for the same data and code).
    const int runs = i == 0 ? 3 : 1;
    for (int run = 0; run < runs; ++run) {
      const Peak p = ImportInChild(dir, root + "/db" + std::to_string(i) + "-" + std::to_string(run));
      EXPECT_EQ(p.rows, gen.good_rows());
      if (run == 0) {
        peaks[i] = p;
      } else {
        peaks[i].heap_max_mb = std::max(peaks[i].heap_max_mb, p.heap_max_mb);
        peaks[i].heap_p99_mb = std::max(peaks[i].heap_p99_mb, p.heap_p99_mb);
        peaks[i].rss_mb = std::max(peaks[i].rss_mb, p.rss_mb);
      }
    }
    std::printf("import of %.1f MB: %llu rows, %llu datoms in %.1f s (%.0f rows/s, %.0f datoms/s); "
                "heap p99 %.1f MB, max %.1f MB; peak RSS %.1f MB\n",
                static_cast<double>(gen.bytes) / (1 << 20), static_cast<unsigned long long>(peaks[i].rows),
                static_cast<unsigned long long>(peaks[i].datoms), peaks[i].seconds,
                static_cast<double>(peaks[i].rows) / peaks[i].seconds,
                static_cast<double>(peaks[i].datoms) / peaks[i].seconds, peaks[i].heap_p99_mb, peaks[i].heap_max_mb,
                peaks[i].rss_mb);
  }
  EXPECT_LE(peaks[1].heap_p99_mb, 1.2 * peaks[0].heap_max_mb);
  EXPECT_LE(peaks[1].heap_max_mb, 1.5 * peaks[0].heap_max_mb);
  EXPECT_LE(peaks[1].rss_mb, 1.5 * peaks[0].rss_mb);
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

}  // namespace
}  // namespace strata::workloads
