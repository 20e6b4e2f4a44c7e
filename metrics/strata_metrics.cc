// strata's figures as Prometheus families (metrics/strata_metrics.h). The
// names and their Datomic counterparts are in docs/metrics.md; keep the
// two in step.
#include "metrics/strata_metrics.h"

#include <map>
#include <string>

namespace strata::metrics {

namespace {

double D(uint64_t v) { return static_cast<double>(v); }

// The indexing jobs of one strategy, summed.
struct JobTotals {
  uint64_t jobs = 0, segments_written = 0, bytes_written = 0, directory_bytes_written = 0;
  uint64_t segments_read = 0, bytes_read = 0, segments_moved = 0;
  uint64_t datoms_written = 0, datoms_rewritten = 0, novelty_datoms = 0, novelty_bytes = 0;
  uint64_t storage_round_trips = 0;
  LatencyHistogram wall_ms;
  double cpu_ms = 0, storage_wait_ms = 0;
  const JobMetrics* last = nullptr;
};

void AddJobMetrics(const std::vector<JobMetrics>& jobs, const std::string& current, const Labels& labels,
                   MetricsSnapshot* out) {
  std::map<std::string, JobTotals> by_strategy;
  if (!current.empty()) by_strategy[current];
  for (const JobMetrics& j : jobs) {
    JobTotals& t = by_strategy[j.strategy];
    t.jobs++;
    t.segments_written += j.segments_written;
    t.bytes_written += j.bytes_written;
    t.directory_bytes_written += j.directory_bytes_written;
    t.segments_read += j.segments_read;
    t.bytes_read += j.bytes_read;
    t.segments_moved += j.segments_moved;
    t.datoms_written += j.datoms_written;
    t.datoms_rewritten += j.datoms_rewritten;
    t.novelty_datoms += j.novelty_datoms;
    t.novelty_bytes += j.novelty_bytes;
    t.storage_round_trips += j.storage_round_trips;
    t.wall_ms.Record(j.wall_ms);
    t.cpu_ms += j.cpu_ms;
    t.storage_wait_ms += j.storage_wait_ms;
    t.last = &j;
  }
  bool has_strategy = false;
  for (const auto& l : labels) has_strategy |= l.first == "strategy";
  for (const auto& [strategy, t] : by_strategy) {
    Labels l = labels;
    if (!has_strategy) l.emplace_back("strategy", strategy);
    out->Counter("strata_index_jobs_total", "Indexing jobs completed.", D(t.jobs), l);
    out->Counter("strata_index_segments_written_total", "Leaf segments written by indexing jobs (Datomic IndexWrites).",
                 D(t.segments_written), l);
    out->Counter("strata_index_written_bytes_total", "Bytes written by indexing jobs, leaves and directories.",
                 D(t.bytes_written), l);
    out->Counter("strata_index_directory_written_bytes_total", "Part of the bytes written spent on directories.",
                 D(t.directory_bytes_written), l);
    out->Counter("strata_index_segments_read_total", "Durable segments read by indexing jobs.", D(t.segments_read), l);
    out->Counter("strata_index_read_bytes_total", "Bytes of durable segments read by indexing jobs.", D(t.bytes_read),
                 l);
    out->Counter("strata_index_segments_moved_total", "Segments moved between levels without rewriting.",
                 D(t.segments_moved), l);
    out->Counter("strata_index_datoms_written_total", "Datoms written into segments by indexing jobs.",
                 D(t.datoms_written), l);
    out->Counter("strata_index_datoms_rewritten_total",
                 "Datoms written by indexing jobs that were already durable (the rewrite cost).", D(t.datoms_rewritten),
                 l);
    out->Counter("strata_index_novelty_datoms_total", "Novelty datoms indexed by jobs.", D(t.novelty_datoms), l);
    out->Counter("strata_index_novelty_bytes_total", "Encoded bytes of the novelty indexed by jobs.",
                 D(t.novelty_bytes), l);
    out->Counter("strata_index_storage_round_trips_total", "Storage requests made while jobs ran.",
                 D(t.storage_round_trips), l);
    out->Counter("strata_index_storage_wait_seconds_total", "Time spent waiting on storage while jobs ran.",
                 t.storage_wait_ms / 1000, l);
    out->Counter("strata_index_job_cpu_seconds_total", "CPU time of indexing jobs.", t.cpu_ms / 1000, l);
    out->AddHistogram("strata_index_job_duration_seconds",
                      "Wall time of each indexing job (Datomic CreateEntireIndexMsec).", SecondsHistogram(t.wall_ms), l);
    if (t.last == nullptr) continue;  // no job of this strategy yet
    out->Gauge("strata_index_read_sources",
               "Most durable sources a read of one tree merges, after the strategy's latest job.",
               D(t.last->max_read_sources), l);
    out->Gauge("strata_index_levels", "Deepest tree's levels after the strategy's latest job.", D(t.last->levels_max),
               l);
  }
}

}  // namespace

Histogram SecondsHistogram(const LatencyHistogram& h) {
  Histogram out;
  for (double b : LatencyHistogram::kBoundsMs) out.bounds.push_back(b / 1000);
  out.counts.assign(h.buckets.begin(), h.buckets.end());
  out.sum = h.sum_ms / 1000;
  return out;
}

void AddConnectionMetrics(const ConnectionStats& s, const std::vector<JobMetrics>& jobs, const std::string& strategy,
                          const Labels& l, MetricsSnapshot* out) {
  // Transactions and the log.
  out->Counter("strata_transactions_total", "Transactions committed since the database was opened.",
               D(s.transactions), l);
  out->Counter("strata_transaction_datoms_total", "Datoms committed by transactions (Datomic TransactionDatoms).",
               D(s.datoms), l);
  out->Counter("strata_transactions_rejected_total", "Transactions refused (nothing committed).", D(s.rejected), l);
  out->AddHistogram("strata_transaction_duration_seconds",
                    "Each committed transaction from its call to its return, queueing and log sync included "
                    "(Datomic TransactionMsec).",
                    SecondsHistogram(s.transact_ms), l);
  out->Counter("strata_log_group_commits_total",
               "Groups of transactions written to the log together (Datomic TransactionBatch).", D(s.group_commits), l);
  out->Counter("strata_log_syncs_total", "Fsyncs of the log.", D(s.syncs), l);
  out->Gauge("strata_log_bytes", "Size of the transaction log.", D(s.log_bytes), l);
  out->Counter("strata_backpressure_wait_seconds_total",
               "Time transactions waited for indexing at memory-index-max.", s.backpressure_wait_ms / 1000, l);
  // The memory index and the durable index.
  out->Gauge("strata_memory_index_bytes", "Novelty held in the memory index, sealed and open (Datomic MemoryIndexMB).",
             D(s.memory_index_bytes), l);
  out->Gauge("strata_memory_index_datoms", "Datoms in the memory index, sealed and open.", D(s.memory_index_datoms), l);
  out->Gauge("strata_memory_index_sealed_generations", "Sealed novelty generations waiting for an indexing job.",
             D(s.sealed_novelty), l);
  out->Gauge("strata_index_datoms", "Datoms in the durable index (Datomic IndexDatoms).", D(s.durable_datoms), l);
  out->Gauge("strata_index_segments", "Leaf segments of the durable index, all eight trees (Datomic IndexSegments).",
             D(s.durable_segments), l);
  out->Gauge("strata_index_segment_bytes", "Encoded bytes of those leaf segments.", D(s.durable_bytes), l);
  out->Counter("strata_index_job_failures_total", "Failed indexing job attempts, retried (Datomic AlarmIndexingFailed).",
               D(s.job_failures), l);
  out->Counter("strata_garbage_segments_deleted_total",
               "Unreachable segments deleted by garbage collection (Datomic GarbageSegments).", D(s.segments_collected),
               l);
  // Storage and the segment cache.
  out->Counter("strata_storage_gets_total", "Blobs read from storage.", D(s.storage_gets), l);
  out->Counter("strata_storage_get_bytes_total", "Bytes read from storage (Datomic StorageGetBytes).",
               D(s.storage_bytes_got), l);
  out->Counter("strata_storage_puts_total", "Blobs written to storage.", D(s.storage_puts), l);
  out->Counter("strata_storage_put_bytes_total", "Bytes written to storage (Datomic StoragePutBytes).",
               D(s.storage_bytes_put), l);
  out->Counter("strata_storage_round_trips_total", "Requests to the storage service.", D(s.storage_round_trips), l);
  out->Counter("strata_storage_wait_seconds_total", "Time spent waiting on storage, every request.",
               s.storage_wait_ms / 1000, l);
  out->AddHistogram("strata_storage_leaf_get_duration_seconds",
                    "Each leaf segment fetched from storage on a cache miss (Datomic StorageGetMsec).",
                    SecondsHistogram(s.leaf_fetch_ms), l);
  out->Counter("strata_segment_cache_hits_total", "Segment reads served by the cache (Datomic ObjectCache).",
               D(s.cache_hits), l);
  out->Counter("strata_segment_cache_misses_total", "Segment reads that went to storage.", D(s.cache_misses), l);
  out->Counter("strata_segment_cache_evictions_total", "Segments evicted from the cache.", D(s.cache_evictions), l);
  out->Gauge("strata_segment_cache_bytes", "Decoded bytes held by the segment cache.", D(s.cache_bytes), l);
  out->Gauge("strata_segment_cache_capacity_bytes", "The segment cache's bound.", D(s.cache_capacity_bytes), l);
  AddJobMetrics(jobs, strategy, l, out);
}

void AddTransactorMetrics(const net::TransactorStats& s, MetricsSnapshot* out) {
  out->Gauge("strata_transactor_peers", "Peers known to the transactor now (Datomic RemotePeers).", D(s.peers));
  out->Counter("strata_transactor_hellos_total", "Peer handshakes.", D(s.hellos));
  out->Counter("strata_transactor_peer_transactions_total", "Transactions run for peers, committed or not.",
               D(s.transactions));
  out->Counter("strata_transactor_reports_sent_total", "Transaction reports sent to peers, live and catch-up.",
               D(s.reports_sent));
  out->Counter("strata_transactor_catchups_total", "Catch-ups from the log started for peers.", D(s.catchups));
  out->Counter("strata_transactor_catchup_reports_total", "Reports sent to peers that were read from the log.",
               D(s.catchup_reports));
  out->Counter("strata_transactor_send_stalls_total", "Sends refused at a peer's high-water mark (retried).",
               D(s.send_stalls));
  out->Counter("strata_transactor_peers_timed_out_total", "Peers forgotten after going silent.", D(s.peers_timed_out));
  out->Counter("strata_transactor_peers_refused_total", "Handshakes refused: a key not authorised.",
               D(s.peers_refused));
  out->Counter("strata_transactor_subscriptions_dropped_total", "Subscriptions dropped for unread reports.",
               D(s.subscriptions_dropped));
  out->Gauge("strata_transactor_recent_report_bytes", "Bytes of recent reports kept for peers slightly behind.",
             D(s.ring_bytes));
  out->Gauge("strata_transactor_basis_t", "The newest t streamed to peers.", D(s.basis_t));
}

MetricsSnapshot TransactorSnapshot(const Connection& conn, const net::Transactor& transactor) {
  MetricsSnapshot m;
  AddConnectionMetrics(conn.stats(), conn.Jobs(), conn.strategy(), {}, &m);
  AddTransactorMetrics(transactor.stats(), &m);
  return m;
}

}  // namespace strata::metrics
