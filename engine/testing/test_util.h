// test_util.h — helpers shared by the engine's tests (test builds only).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/env.h"

namespace strata::testing {

// Options for read tests over several durable levels on `env`: jobs run
// only when asked, 64-datom leaves, no segment cache (every leaf read goes
// to storage, so a fault-injecting env sees it), and adaptive with small
// levels, so a few jobs stack several (a read merges one source per level).
inline Options StackedLevelsOptions(Env* env) {
  Options o;
  o.env = env;
  o.background_indexing = false;
  o.segment_datoms = 64;
  o.segment_cache_bytes = 0;
  o.strategy = "adaptive";
  o.strategy_settings["adaptive"] = "level0_datoms=256,level_ratio=2";
  return o;
}

// An in-memory database: the Env lives as long as the fixture.
class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = NewMemEnv();
    Reopen();
  }
  void Reopen() {
    conn_.reset();
    Options o = options_;
    o.env = env_.get();
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }
  // Transacts EDN text; fails the test on error.
  TxReport Tx(const std::string& edn) {
    auto r = conn_->Transact(edn);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n in " << edn;
    return r.ok() ? std::move(*r) : TxReport{};
  }
  // Transacts EDN text expecting an error; returns it.
  Status TxError(const std::string& edn) {
    auto r = conn_->Transact(edn);
    EXPECT_FALSE(r.ok()) << "expected an error from " << edn;
    return r.ok() ? Status::OK() : r.status();
  }
  EntityId Id(const std::string& eid) {
    auto n = edn::ReadOne(eid);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    auto e = conn_->db().Entid(*n);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : 0;
  }

  Options options_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Connection> conn_;
};

// "[e :attr v t added]" per datom, idents for attributes, t not tx id.
inline std::vector<std::string> Dump(const Database& db, Index index, const std::vector<std::string>& comps = {}) {
  std::vector<edn::Node> nodes;
  for (const auto& c : comps) nodes.push_back(*edn::ReadOne(c));
  auto vals = db.ResolveComponents(index, nodes);
  EXPECT_TRUE(vals.ok()) << vals.status().ToString();
  if (!vals.ok()) return {};
  auto ds = db.DatomsVector(index, *vals);
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  std::vector<std::string> out;
  if (!ds.ok()) return out;
  for (const Datom& d : *ds) {
    edn::Node n = db.DatomToEdn(d);
    n.items[3] = edn::Node::Long(static_cast<int64_t>(d.t()));
    out.push_back(edn::Print(n));
  }
  return out;
}

// Values of e's attribute as printed EDN.
inline std::vector<std::string> Vals(const Database& db, EntityId e, const std::string& attr) {
  std::vector<std::string> out;
  const Attribute* a = db.attribute(attr);
  EXPECT_NE(a, nullptr) << attr;
  if (!a) return out;
  auto vs = db.Values(e, a->id);
  EXPECT_TRUE(vs.ok()) << vs.status().ToString();
  if (!vs.ok()) return out;
  for (const Value& v : *vs) out.push_back(edn::Print(db.ValueToEdn(v)));
  return out;
}

}  // namespace strata::testing
