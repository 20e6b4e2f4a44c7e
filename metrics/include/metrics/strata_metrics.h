// metrics/strata_metrics.h — strata's own metrics: the figures a
// Connection, its indexing jobs and a transactor keep, as Prometheus
// families (docs/metrics.md has the table, with Datomic's names).
//
// Everything here reads the counters through thread-safe calls
// (Connection::stats() and Jobs(), Transactor::stats()), so a snapshot may
// be taken on an HTTP thread while the connection commits and indexes.
#pragma once

#include <string>
#include <vector>

#include "metrics/prometheus.h"
#include "net/transactor.h"
#include "strata/connection.h"
#include "strata/indexing.h"

namespace strata::metrics {

// A LatencyHistogram (milliseconds) as a histogram in seconds.
Histogram SecondsHistogram(const LatencyHistogram& h);

// The connection's families: transactions, the log, the memory index, the
// durable index, storage and the segment cache (from `stats`), and the
// indexing jobs per strategy (from `jobs`: every job since open; the
// families of `strategy`, the one later jobs use, appear at zero before its
// first job, so rates start from zero). Each sample gets `labels`; job
// samples also a "strategy" label unless `labels` has one.
void AddConnectionMetrics(const ConnectionStats& stats, const std::vector<JobMetrics>& jobs,
                          const std::string& strategy, const Labels& labels, MetricsSnapshot* out);

// The transactor's families (peers, reports streamed, catch-ups...).
void AddTransactorMetrics(const net::TransactorStats& stats, MetricsSnapshot* out);

// What a transactor serves on /metrics: its connection's and its own.
MetricsSnapshot TransactorSnapshot(const Connection& conn, const net::Transactor& transactor);

}  // namespace strata::metrics
