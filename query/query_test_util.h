// query_test_util.h — an in-memory database for pull and query tests.
#pragma once

// GCC 12 reports a false -Wmaybe-uninitialized inside std::variant when
// vectors of QueryInput are built from initializer lists.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/env.h"
#include "strata/pull.h"
#include "strata/query.h"

namespace strata::edn {
// GoogleTest prints nodes as EDN.
inline void PrintTo(const Node& n, std::ostream* os) { *os << Print(n); }
}  // namespace strata::edn

namespace strata::testing {

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = NewMemEnv();
    Options o;
    o.env = env_.get();
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }

  // Transacts EDN text; remembers its tempids by name for Id and E.
  TxReport Tx(const std::string& text) {
    auto r = conn_->Transact(text);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n in " << text;
    if (!r.ok()) return TxReport{};
    for (const auto& [k, v] : r->tempids) ids_[k] = v;
    return std::move(*r);
  }
  EntityId Id(const std::string& tempid) {
    EXPECT_TRUE(ids_.count(tempid)) << "no tempid " << tempid;
    return ids_[tempid];
  }
  std::string Ids(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      size_t close = text.find('}', i);
      if (text[i] == '{' && close != std::string::npos && ids_.count(text.substr(i + 1, close - i - 1))) {
        out += std::to_string(ids_[text.substr(i + 1, close - i - 1)]);
        i = close;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  // EDN text in which {name} stands for the id of tempid `name`.
  edn::Node E(const std::string& text) {
    auto n = edn::ReadOne(Ids(text));
    EXPECT_TRUE(n.ok()) << n.status().ToString() << "\n in " << text;
    return n.ok() ? *n : edn::Node{};
  }
  Database db() const { return conn_->db(); }

  // Runs a query; the result as EDN text, or "error: <message>".
  std::string Run(const std::string& q, std::vector<QueryInput> inputs = {}, QueryStats* stats = nullptr,
                  const QueryOptions& options = {}) {
    if (inputs.empty()) inputs.push_back(db());
    auto r = Q(E(q), inputs, options, stats);
    return r.ok() ? edn::Print(*r) : "error: " + r.status().message();
  }
  // Expects the query's result to equal `want` (EDN with {name} ids).
  void ExpectQ(const std::string& q, const std::string& want, std::vector<QueryInput> inputs = {}) {
    if (inputs.empty()) inputs.push_back(db());
    auto r = Q(E(q), inputs);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n in " << q;
    EXPECT_EQ(*r, E(want)) << "query " << q << "\n got  " << edn::Print(*r) << "\n want " << Ids(want);
  }
  // Expects the pull result (on `d`, default current) to equal `want`.
  void ExpectPull(const std::string& pattern, const std::string& eid, const std::string& want,
                  const Database* d = nullptr) {
    auto r = Pull(d ? *d : db(), E(pattern), E(eid));
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n pattern " << pattern;
    EXPECT_EQ(*r, E(want)) << "pull " << pattern << " " << eid << "\n got  " << edn::Print(*r) << "\n want "
                           << Ids(want);
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<Connection> conn_;
  std::map<std::string, EntityId> ids_;
};

}  // namespace strata::testing
