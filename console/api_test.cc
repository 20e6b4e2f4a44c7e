// The console's HTTP API end to end: a console in process over a small
// music database, read through cpp-httplib's client; each endpoint, its
// paging and views, its errors (HTTP 400/404 with a JSON error), and the
// live stream (/api/events) over a connection and over a peer.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "console/console.h"
#include "net/peer.h"
#include "net/transactor.h"
#include "strata/connection.h"

namespace strata::console {
namespace {

using nlohmann::json;

constexpr int kArtists = 5;
constexpr int kReleases = 3;
const char* kSchema = R"([
  {:db/ident :country/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :artist/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :artist/country :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :release/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :release/artists :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  {:db/ident :release/year :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/doc "year of release"}])";

std::string ArtistName(int i) { return "Artist " + std::to_string(i); }
// Artists alternate between two countries: even ones in GB.
int InGb() { return (kArtists + 1) / 2; }

class ConsoleApi : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-console-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto c = Connection::Open(dir_ + "/db");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Transact(kSchema).ok());
    ASSERT_TRUE(conn_->Transact(R"([{:country/name "GB"} {:country/name "US"}])").ok());
    for (int i = 0; i < kArtists; ++i) {
      auto r = conn_->Transact("[{:artist/name \"" + ArtistName(i) + "\" :artist/country [:country/name \"" +
                               (i % 2 == 0 ? "GB" : "US") + "\"]}]");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (i == 0) after_first_artist_ = r->t;
    }
    for (int i = 0; i < kReleases; ++i) {
      auto r = conn_->Transact("[{:release/name \"Release " + std::to_string(i) + "\" :release/year " +
                               std::to_string(1968 + i) + " :release/artists [[:artist/name \"" + ArtistName(i) +
                               "\"] [:artist/name \"" + ArtistName(i + 1) + "\"]]}]");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    src_ = ConnectionSource(conn_.get());
    Start(ConsoleOptions{.port = 0});
  }

  void Start(ConsoleOptions o) {
    o.port = 0;
    auto c = Console::Start(src_.get(), o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    console_ = std::move(*c);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    client_->set_read_timeout(30, 0);
  }

  void TearDown() override {
    if (console_) console_->Stop();
    if (conn_) {
      EXPECT_TRUE(conn_->Close().ok());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // GET path?params; the status and the parsed body.
  json Get(const std::string& path, const httplib::Params& params, int* status) {
    auto r = client_->Get(path, params, httplib::Headers{}, httplib::Progress{});
    if (!r) {
      ADD_FAILURE() << "no response for " << path << ": " << httplib::to_string(r.error());
      return json();
    }
    *status = r->status;
    EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos) << path;
    return json::parse(r->body, nullptr, false);
  }
  json Ok(const std::string& path, const httplib::Params& params = {}) {
    int status = 0;
    json j = Get(path, params, &status);
    EXPECT_EQ(status, 200) << path << ": " << j.dump();
    return j;
  }
  // Asserts a client error: the status, and an "error" naming `what`.
  void Bad(const std::string& path, const httplib::Params& params, int want, const std::string& what) {
    int status = 0;
    json j = Get(path, params, &status);
    EXPECT_EQ(status, want) << path << ": " << j.dump();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << j.dump();
    EXPECT_NE(j["error"].get<std::string>().find(what), std::string::npos) << j["error"];
  }
  json Post(const std::string& path, const httplib::Params& params, int* status) {
    auto r = client_->Post(path, params);
    if (!r) {
      ADD_FAILURE() << "no response for " << path;
      return json();
    }
    *status = r->status;
    return json::parse(r->body, nullptr, false);
  }

  std::string dir_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<Source> src_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
  T after_first_artist_ = 0;
};

TEST_F(ConsoleApi, InfoNamesTheDatabaseAndItsBasis) {
  json j = Ok("/api/info");
  EXPECT_EQ(j["basis_t"], conn_->db().basis_t());
  EXPECT_EQ(j["writable"], true);
  EXPECT_EQ(j["log"], true);
  EXPECT_EQ(j["limits"]["timeout_ms"], 60000);
}

TEST_F(ConsoleApi, SchemaListsEachAttributeWithItsDefinitionAndDatomCount) {
  json j = Ok("/api/schema");
  std::map<std::string, json> by;
  for (const auto& a : j["attributes"]) by[a["ident"]] = a;
  ASSERT_TRUE(by.count(":artist/name"));
  EXPECT_EQ(by[":artist/name"]["type"], "string");
  EXPECT_EQ(by[":artist/name"]["cardinality"], "one");
  EXPECT_EQ(by[":artist/name"]["unique"], "identity");
  EXPECT_EQ(by[":artist/name"]["datoms"], kArtists);
  EXPECT_EQ(by[":artist/name"]["system"], false);
  EXPECT_EQ(by[":release/artists"]["cardinality"], "many");
  EXPECT_EQ(by[":release/artists"]["type"], "ref");
  EXPECT_EQ(by[":release/artists"]["datoms"], 2 * kReleases);
  EXPECT_EQ(by[":release/name"]["index"], true);
  EXPECT_EQ(by[":release/name"]["unique"], nullptr);
  EXPECT_EQ(by[":release/year"]["doc"], "year of release");
  EXPECT_EQ(by[":db/ident"]["system"], true);
  // The counts follow the view: as of the first artist's transaction there is one.
  json past = Ok("/api/schema", {{"as-of", std::to_string(after_first_artist_)}});
  for (const auto& a : past["attributes"])
    if (a["ident"] == ":artist/name") {
      EXPECT_EQ(a["datoms"], 1);
    }
  Bad("/api/schema", {{"history", "maybe"}}, 400, "history");
  Bad("/api/schema", {{"as-of", "yesterday-ish"}}, 400, "");
}

TEST_F(ConsoleApi, QueryRunsWithInputsAndRulesAndReportsItsStats) {
  int status = 0;
  json j = Post("/api/q",
                {{"query", "[:find ?n :in $ ?c :where [?a :artist/country ?k] [?k :country/name ?c] [?a :artist/name ?n]]"},
                 {"input", "\"GB\""}},
                &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["columns"], json::array({"?n"}));
  ASSERT_EQ(j["result"].size(), static_cast<size_t>(InGb()));
  std::set<std::string> names;
  for (const auto& row : j["result"]) names.insert(row[0]);
  for (int i = 0; i < kArtists; i += 2) EXPECT_TRUE(names.count(ArtistName(i))) << ArtistName(i);
  EXPECT_GT(j["stats"]["datoms"].get<uint64_t>(), 0u);
  EXPECT_FALSE(j["edn"].get<std::string>().empty());
  // Rules bound to %.
  json r = Ok("/api/q", {{"query", "[:find (count ?a) . :in $ % :where (british ?a)]"},
                         {"rules", "[[(british ?a) [?a :artist/country ?k] [?k :country/name \"GB\"]]]"}});
  EXPECT_EQ(r["result"], InGb());
  // The view: as of the first artist, one artist.
  json past = Ok("/api/q", {{"query", "[:find (count ?a) . :where [?a :artist/name]]"},
                            {"as-of", std::to_string(after_first_artist_)}});
  EXPECT_EQ(past["result"], 1);
}

TEST_F(ConsoleApi, QueryErrorsAreClientErrorsWithAMessage) {
  Bad("/api/q", {}, 400, "parameter query is required");
  Bad("/api/q", {{"query", "[:find ?a :where [?a"}}, 400, "parameter query");
  Bad("/api/q", {{"query", "[:find ?a :in $ ?x :where [?a :artist/name ?x]]"}}, 400, "needs an input for ?x");
  Bad("/api/q", {{"query", "[:find ?a :where [?a :artist/name]]"}, {"input", "1"}}, 400, "more inputs");
  Bad("/api/q", {{"query", "[:find ?a :where [(no-such-fn ?a)]]"}}, 400, "no-such-fn");
  Bad("/api/q", {{"query", "[:find ?a :in $ % :where (r ?a)]"}}, 400, "rules");
}

TEST_F(ConsoleApi, QueriesAreBoundedByTheConsolesLimits) {
  console_->Stop();
  Start(ConsoleOptions{.max_tuples = 2});
  // kArtists tuples in the first clause: past max-tuples 2.
  Bad("/api/q", {{"query", "[:find ?n :where [?a :artist/name ?n]]"}}, 400, "--max-tuples");
}

TEST_F(ConsoleApi, PullFollowsThePattern) {
  json j = Ok("/api/pull", {{"pattern", "[:artist/name {:artist/country [:country/name]}]"},
                            {"e", "[:artist/name \"" + ArtistName(1) + "\"]"}});
  EXPECT_EQ(j["result"][":artist/name"], ArtistName(1));
  EXPECT_EQ(j["result"][":artist/country"][":country/name"], "US");
  Bad("/api/pull", {{"pattern", "[*]"}}, 400, "parameter e");
  Bad("/api/pull", {{"pattern", "[*"}, {"e", "1"}}, 400, "parameter pattern");
}

TEST_F(ConsoleApi, EntityShowsItsDatomsAndTheReferencesIn) {
  json gb = Ok("/api/entity", {{"e", "[:country/name \"GB\"]"}});
  ASSERT_EQ(gb["datoms"].size(), 1u);
  EXPECT_EQ(gb["datoms"][0][1], ":country/name");
  ASSERT_EQ(gb["refs_in"].size(), static_cast<size_t>(InGb()));
  for (const auto& d : gb["refs_in"]) {
    EXPECT_EQ(d[1], ":artist/country");
    EXPECT_EQ(d[2], gb["id"]);
  }
  // Following a reference in leads to an artist whose country is GB.
  json artist = Ok("/api/entity", {{"e", gb["refs_in"][0][0].dump()}});
  bool has_country = false;
  for (const auto& d : artist["datoms"]) has_country |= d[1] == ":artist/country" && d[2] == gb["id"];
  EXPECT_TRUE(has_country) << artist.dump();
  json ident = Ok("/api/entity", {{"e", ":artist/name"}});
  EXPECT_EQ(ident["ident"], ":artist/name");
  Bad("/api/entity", {{"e", "[:country/name \"FR\"]"}}, 404, "FR");
  Bad("/api/entity", {{"e", "[:country/name"}}, 400, "parameter e");
  Bad("/api/entity", {}, 400, "parameter e is required");
}

// Datomic's log holds each transaction's datoms, the transaction entity's
// own (its :db/txInstant, annotations) among them:
// https://docs.datomic.com/on-prem/transactions.html ("Reified transactions")
TEST_F(ConsoleApi, LogPagesTransactionsWithTheirDatomsAndAnnotations) {
  int status = 0;
  json tx = Post("/api/transact", {{"tx", "[{:db/id \"datomic.tx\" :db/doc \"an annotation\"} {:country/name \"FR\"}]"}},
                 &status);
  ASSERT_EQ(status, 200) << tx.dump();
  const T basis = conn_->db().basis_t();
  json last = Ok("/api/log", {{"before", std::to_string(basis + 1)}, {"limit", "1"}});
  ASSERT_EQ(last["transactions"].size(), 1u);
  const json& t = last["transactions"][0];
  EXPECT_EQ(t["t"], basis);
  EXPECT_EQ(t["t"], tx["t"]);
  bool doc = false, instant = false;
  for (const auto& d : t["annotations"]) {
    doc |= d[1] == ":db/doc" && d[2] == "an annotation";
    instant |= d[1] == ":db/txInstant";
  }
  EXPECT_TRUE(doc && instant) << t.dump();
  ASSERT_EQ(t["datoms"].size(), 1u);
  EXPECT_EQ(t["datoms"][0][2], "FR");
  EXPECT_EQ(last["more"], true);
  // Oldest first, a page at a time, until the end: every transaction once.
  std::vector<uint64_t> ts;
  std::string from = "0";
  for (int pages = 0; pages < 100; ++pages) {
    json page = Ok("/api/log", {{"from", from}, {"limit", "3"}});
    for (const auto& x : page["transactions"]) ts.push_back(x["t"]);
    if (!page["more"]) break;
    from = std::to_string(ts.back() + 1);
  }
  const size_t want = 1 + 1 + kArtists + kReleases + 1;  // schema, countries, artists, releases, FR
  EXPECT_EQ(ts.size(), want);
  EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end()));
  EXPECT_EQ(std::set<uint64_t>(ts.begin(), ts.end()).size(), ts.size());
  // The view bounds the range.
  json past = Ok("/api/log", {{"as-of", std::to_string(after_first_artist_)}, {"before", std::to_string(basis + 1)},
                              {"limit", "1"}});
  EXPECT_EQ(past["transactions"][0]["t"], after_first_artist_);
  Bad("/api/log", {{"limit", "0"}}, 400, "limit");
  Bad("/api/log", {{"limit", "many"}}, 400, "limit");
  Bad("/api/log", {{"from", "1"}, {"before", "5"}}, 400, "not both");
}

TEST_F(ConsoleApi, DatomsWalkAnIndexAPageAtATime) {
  std::set<std::string> names;
  std::string after;
  int pages = 0;
  for (; pages < 10; ++pages) {
    httplib::Params p{{"index", "aevt"}, {"c", ":artist/name"}, {"limit", "2"}};
    if (!after.empty()) p.emplace("after", after);
    json j = Ok("/api/datoms", p);
    for (const auto& d : j["datoms"]) {
      EXPECT_EQ(d[1], ":artist/name");
      EXPECT_TRUE(names.insert(d[2].get<std::string>()).second) << "twice: " << d;
    }
    if (j["next"].is_null()) break;
    after = j["next"];
  }
  EXPECT_EQ(pages, (kArtists + 1) / 2 - 1);
  EXPECT_EQ(names.size(), static_cast<size_t>(kArtists));
  // AVET of an indexed attribute, by value.
  json avet = Ok("/api/datoms", {{"index", "avet"}, {"c", ":release/name"}, {"c", "\"Release 1\""}});
  ASSERT_EQ(avet["datoms"].size(), 1u);
  // VAET: the references to GB.
  json gb = Ok("/api/entity", {{"e", "[:country/name \"GB\"]"}});
  json vaet = Ok("/api/datoms", {{"index", "vaet"}, {"c", gb["id"].dump()}});
  EXPECT_EQ(vaet["datoms"].size(), static_cast<size_t>(InGb()));
  // seek-datoms runs on past the prefix to the end of the index.
  json seek = Ok("/api/datoms", {{"index", "aevt"}, {"c", ":artist/name"}, {"mode", "seek"}, {"limit", "100"}});
  EXPECT_GT(seek["datoms"].size(), static_cast<size_t>(kArtists));
  Bad("/api/datoms", {{"index", "xyz"}}, 400, "eavt, aevt, avet or vaet");
  Bad("/api/datoms", {{"index", "avet"}, {"c", ":artist/nope"}}, 400, "");
  Bad("/api/datoms", {{"index", "eavt"}, {"after", "not-a-key"}}, 400, "after");
  Bad("/api/datoms", {{"index", "eavt"}, {"mode", "sideways"}}, 400, "mode");
}

TEST_F(ConsoleApi, IndexShowsTreesLevelsSegmentsAndJobs) {
  auto jobs = conn_->IndexNow();
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_FALSE(jobs->empty());
  json j = Ok("/api/index");
  EXPECT_EQ(j["index_basis_t"], conn_->db().basis_t());
  EXPECT_EQ(j["jobs_total"], conn_->Jobs().size());
  ASSERT_FALSE(j["jobs"].empty());
  EXPECT_EQ(j["jobs"].back()["segments_written"], jobs->back().segments_written);
  ASSERT_EQ(j["trees"].size(), 8u);
  EXPECT_EQ(j["trees"][0]["name"], "eavt/current");
  ASSERT_FALSE(j["trees"][0]["levels"].empty());
  uint64_t datoms = 0;
  for (const auto& l : j["trees"][0]["levels"]) datoms += l["datoms"].get<uint64_t>();
  EXPECT_EQ(datoms, conn_->db().DatomsVector(Index::kEavt)->size());
  json level = Ok("/api/index", {{"tree", "0"}, {"level", "0"}});
  EXPECT_EQ(level["segments_total"], j["trees"][0]["levels"][0]["segments"]);
  ASSERT_FALSE(level["segments"].empty());
  EXPECT_GT(level["segments"][0]["datoms"].get<uint64_t>(), 0u);
  Bad("/api/index", {{"tree", "0"}, {"level", "99"}}, 400, "no level 99");
  Bad("/api/index", {{"tree", "8"}}, 400, "tree");
  json v = Ok("/api/verify");
  EXPECT_EQ(v["ok"], true) << v.dump();
}

TEST_F(ConsoleApi, TransactIsRefusedByAReadOnlyConsoleAndChecksItsInput) {
  int status = 0;
  json bad = Post("/api/transact", {{"tx", "[{:artist/name 42}]"}}, &status);
  EXPECT_EQ(status, 400) << bad.dump();
  Post("/api/transact", {}, &status);
  EXPECT_EQ(status, 400);
  auto ro = cli::OpenExisting(dir_ + "/db");
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  auto src = ConnectionSource(ro->get());
  auto c = Console::Start(src.get(), ConsoleOptions{.port = 0});
  ASSERT_TRUE(c.ok());
  httplib::Client client("127.0.0.1", (*c)->port());
  auto r = client.Post("/api/transact", httplib::Params{{"tx", "[{:country/name \"DE\"}]"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("read-only"), std::string::npos) << r->body;
  auto info = client.Get("/api/info");
  ASSERT_TRUE(info);
  EXPECT_NE(info->body.find("\"writable\":false"), std::string::npos) << info->body;
  (*c)->Stop();
  EXPECT_TRUE((*ro)->Close().ok());
}

// /metrics: the console over its own connection serves the same
// Prometheus families as the transactor (docs/metrics.md), and they move.
TEST_F(ConsoleApi, MetricsCountTheConnectionsTransactions) {
  auto count = [&]() -> long {
    auto r = client_->Get("/metrics");
    if (!r || r->status != 200) return -1;
    const std::string key = "\nstrata_transactions_total ";
    const size_t at = r->body.find(key);
    return at == std::string::npos ? -2 : std::stol(r->body.substr(at + key.size()));
  };
  const long before = count();
  ASSERT_GE(before, 1);
  ASSERT_TRUE(conn_->Transact(R"([{:country/name "FR"}])").ok());
  ASSERT_TRUE(conn_->Transact(R"([{:country/name "IT"}])").ok());
  EXPECT_EQ(count(), before + 2);
}

TEST_F(ConsoleApi, UnknownPathsAndThePage) {
  Bad("/api/nothing", {}, 404, "no endpoint /api/nothing");
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<script src=\"app.js\">"), std::string::npos);
  auto js = client_->Get("/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_NE(js->get_header_value("Content-Type").find("javascript"), std::string::npos);
  auto missing = client_->Get("/nope.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// --results DIR: the `strata run` results folder as its report.
TEST_F(ConsoleApi, ReportOfAResultsFolder) {
  Bad("/report", {}, 404, "--results");
  const std::string results = dir_ + "/results";
  std::filesystem::copy(STRATA_REPORTS_TESTDATA "/run-a", results);
  console_->Stop();
  Start(ConsoleOptions{.results_dir = results});
  auto r = client_->Get("/report");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  // The report names each strategy whose results the folder holds.
  for (const auto& f : std::filesystem::directory_iterator(results)) {
    const std::string name = f.path().filename().string();
    if (name.rfind("results-", 0) != 0 || f.path().extension() != ".json") continue;
    const std::string strategy = name.substr(8, name.size() - 8 - 5);
    EXPECT_NE(r->body.find(strategy), std::string::npos) << strategy;
  }
  console_->Stop();
  Start(ConsoleOptions{.results_dir = dir_ + "/no-such-folder"});
  auto missing = client_->Get("/report");
  ASSERT_TRUE(missing);
  EXPECT_GE(missing->status, 400) << missing->body;
  EXPECT_NE(missing->body.find("no-such-folder"), std::string::npos) << missing->body;
}

// Reads /api/events on a thread until a "tx" event naming t `want` arrives
// (or 20 s pass); `commit` runs once the stream said hello.
std::string AwaitTxEvent(int port, const std::function<Result<TxReport>()>& commit, T* committed) {
  std::atomic<bool> hello{false}, found{false};
  std::string seen;
  std::atomic<T> want{0};
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(20, 0);
    (void)c.Get("/api/events", [&](const char* data, size_t n) {
      seen.append(data, n);
      if (seen.find("event: hello") != std::string::npos) hello = true;
      const T w = want.load();
      if (w != 0 && seen.find("\"t\":" + std::to_string(w) + ",") != std::string::npos) {
        found = true;
        return false;  // done: close the stream
      }
      return true;
    });
  });
  for (int i = 0; i < 2000 && !hello; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(hello.load()) << "no hello event";
  auto r = commit();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok()) {
    *committed = r->t;
    want = r->t;
  }
  reader.join();
  EXPECT_TRUE(found.load()) << "stream: " << seen;
  return seen;
}

TEST_F(ConsoleApi, EventsStreamEachCommittedTransaction) {
  T t = 0;
  std::string seen = AwaitTxEvent(console_->port(), [&] { return conn_->Transact(R"([{:country/name "NO"}])"); }, &t);
  EXPECT_NE(seen.find("event: tx"), std::string::npos);
  EXPECT_NE(seen.find("\"NO\""), std::string::npos) << seen;
}

// A console running as a peer of a transactor streams what any other
// client commits there.
TEST_F(ConsoleApi, EventsStreamAsAPeerOfATransactor) {
  auto server = net::Transactor::Start(conn_.get(), {.listen = "tcp://127.0.0.1:0"});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto peer = net::Peer::Connect((*server)->endpoint());
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  ASSERT_TRUE((*peer)->Sync(conn_->db().basis_t()).ok());
  auto src = PeerSource(peer->get(), (*server)->endpoint(), false);
  auto c = Console::Start(src.get(), ConsoleOptions{.port = 0});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  T t = 0;
  std::string seen = AwaitTxEvent((*c)->port(), [&] { return conn_->Transact(R"([{:country/name "SE"}])"); }, &t);
  EXPECT_NE(seen.find("\"SE\""), std::string::npos) << seen;
  // The peer's views read it too; its log is the transactor's.
  httplib::Client client("127.0.0.1", (*c)->port());
  auto q = client.Get("/api/q?query=" + httplib::detail::encode_query_param("[:find ?c . :where [?c :country/name \"SE\"]]"));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->status, 200) << q->body;
  auto log = client.Get("/api/log");
  ASSERT_TRUE(log);
  EXPECT_EQ(log->status, 400);
  EXPECT_NE(log->body.find("peer"), std::string::npos) << log->body;
  (*c)->Stop();
  (*peer)->Close();
  (*server)->Stop();
}

}  // namespace
}  // namespace strata::console
