// Pull: every part of the pattern grammar, the shapes of the pull article
// (components, reverse attributes, nested maps), and every view of time.
#include "query_test_util.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :artist/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :artist/country :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :artist/type :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :artist/startYear :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :artist/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :country/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :release/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :release/media :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
  {:db/ident :medium/position :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :medium/tracks :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
  {:db/ident :track/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :track/position :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :track/artists :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :person/friends :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  {:db/ident :person/boss :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :artist.type/group}
])";

class PullTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(kSchema);
    Tx(R"([{:db/id "gb" :country/name "United Kingdom"}
           {:db/id "lz" :artist/name "Led Zeppelin" :artist/country "gb" :artist/type :artist.type/group
            :artist/startYear 1968 :artist/tags [:rock :blues]}
           {:db/id "pf" :artist/name "Pink Floyd" :artist/country "gb" :artist/type :artist.type/group}
           {:db/id "t1" :track/name "Speak to Me" :track/position 1 :track/artists "pf"}
           {:db/id "t2" :track/name "Breathe" :track/position 2 :track/artists ["pf" "lz"]}
           {:db/id "m1" :medium/position 1 :medium/tracks ["t1" "t2"]}
           {:db/id "dsotm" :release/name "The Dark Side of the Moon" :release/media "m1"}])");
    ids_["group"] = *db().Entid(edn::Node::Keyword("artist.type/group"));
  }
};

TEST_F(PullTest, Wildcard) {
  ExpectPull("[*]", "{lz}",
             R"({:db/id {lz} :artist/name "Led Zeppelin" :artist/country {:db/id {gb}}
                 :artist/type {:db/id {group}} :artist/startYear 1968 :artist/tags [:blues :rock]})");
}

TEST_F(PullTest, AttributeNames) {
  ExpectPull("[:artist/name :artist/startYear]", "{lz}", R"({:artist/name "Led Zeppelin" :artist/startYear 1968})");
  ExpectPull("[:db/id :artist/name]", "{pf}", R"({:db/id {pf} :artist/name "Pink Floyd"})");
  // Missing attributes are left out; nothing at all is nil.
  ExpectPull("[:artist/name :artist/startYear]", "{pf}", R"({:artist/name "Pink Floyd"})");
  ExpectPull("[:artist/startYear]", "{pf}", "nil");
  ExpectPull("[:db/id :artist/startYear]", "{pf}", "{:db/id {pf}}");
}

TEST_F(PullTest, ReverseAttribute) {
  ExpectPull("[:artist/_country]", "{gb}", "{:artist/_country [{:db/id {lz}} {:db/id {pf}}]}");
  ExpectPull("[{:artist/_country [:artist/name]}]", "{gb}",
             R"({:artist/_country [{:artist/name "Led Zeppelin"} {:artist/name "Pink Floyd"}]})");
  // Through a component attribute a reverse ref is one map, not a vector.
  ExpectPull("[:medium/_tracks]", "{t1}", "{:medium/_tracks {:db/id {m1}}}");
  ExpectPull("[{:release/_media [:release/name]}]", "{m1}",
             R"({:release/_media {:release/name "The Dark Side of the Moon"}})");
}

TEST_F(PullTest, ComponentsArePulledRecursively) {
  ExpectPull("[:release/media]", "{dsotm}", R"({:release/media
    [{:db/id {m1} :medium/position 1
      :medium/tracks [{:db/id {t1} :track/name "Speak to Me" :track/position 1 :track/artists [{:db/id {pf}}]}
                      {:db/id {t2} :track/name "Breathe" :track/position 2
                       :track/artists [{:db/id {lz}} {:db/id {pf}}]}]}]})");
  // The wildcard follows components too.
  ExpectPull("[*]", "{m1}", R"({:db/id {m1} :medium/position 1
      :medium/tracks [{:db/id {t1} :track/name "Speak to Me" :track/position 1 :track/artists [{:db/id {pf}}]}
                      {:db/id {t2} :track/name "Breathe" :track/position 2
                       :track/artists [{:db/id {lz}} {:db/id {pf}}]}]})");
}

TEST_F(PullTest, NestedMapSpecifications) {
  ExpectPull("[:track/name {:track/artists [:db/id :artist/name]}]", "{t2}",
             R"({:track/name "Breathe" :track/artists [{:db/id {lz} :artist/name "Led Zeppelin"}
                                                       {:db/id {pf} :artist/name "Pink Floyd"}]})");
  ExpectPull("[{:release/media [{:medium/tracks [:track/name {:track/artists [:artist/name]}]}]}]", "{dsotm}",
             R"({:release/media [{:medium/tracks
                 [{:track/name "Speak to Me" :track/artists [{:artist/name "Pink Floyd"}]}
                  {:track/name "Breathe" :track/artists [{:artist/name "Led Zeppelin"} {:artist/name "Pink Floyd"}]}]}]})");
  // A wildcard with a map spec: the spec wins for its attribute.
  ExpectPull("[* {:artist/country [:country/name]}]", "{pf}",
             R"({:db/id {pf} :artist/name "Pink Floyd" :artist/country {:country/name "United Kingdom"}
                 :artist/type {:db/id {group}}})");
  // Nested entities with none of the requested attributes are left out.
  ExpectPull("[{:track/artists [:artist/startYear]}]", "{t2}", "{:track/artists [{:artist/startYear 1968}]}");
  ExpectPull("[{:track/artists [:artist/startYear]}]", "{t1}", "nil");
}

TEST_F(PullTest, AttributeOptions) {
  ExpectPull(R"([(:artist/name :as "Name") [:artist/startYear :as :since]])", "{lz}",
             R"({"Name" "Led Zeppelin" :since 1968})");
  ExpectPull("[(:artist/startYear :default 0)]", "{pf}", "{:artist/startYear 0}");
  ExpectPull("[[:artist/startYear :default 0 :as :y]]", "{pf}", "{:y 0}");
  ExpectPull("[(default :artist/startYear 1900)]", "{pf}", "{:artist/startYear 1900}");
  ExpectPull("[(:track/artists :limit 1)]", "{t2}", "{:track/artists [{:db/id {lz}}]}");
  ExpectPull("[[:track/artists :limit 1]]", "{t2}", "{:track/artists [{:db/id {lz}}]}");
  ExpectPull("[(limit :track/artists 1)]", "{t2}", "{:track/artists [{:db/id {lz}}]}");
  ExpectPull("[{(:track/artists :limit 1) [:artist/name]}]", "{t2}", R"({:track/artists [{:artist/name "Led Zeppelin"}]})");
  ExpectPull("[(:artist/_country :limit 1 :as :artists)]", "{gb}", "{:artists [{:db/id {lz}}]}");
}

TEST_F(PullTest, DefaultLimitIsOneThousand) {
  std::string tx = R"([{:db/id "hub" :person/name "hub" :person/friends [)";
  for (int i = 0; i < 1005; ++i) tx += "\"f" + std::to_string(i) + "\" ";
  tx += "]}";
  for (int i = 0; i < 1005; ++i) tx += " {:db/id \"f" + std::to_string(i) + "\" :person/name \"f" + std::to_string(i) + "\"}";
  Tx("[" + tx.substr(1) + "]");
  auto count = [&](const std::string& pattern) -> size_t {
    auto r = Pull(db(), E(pattern), E("{hub}"));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    const edn::Node* v = r.ok() && r->is(edn::Kind::kMap) ? r->Get("person/friends") : nullptr;
    return v ? v->items.size() : 0;
  };
  EXPECT_EQ(count("[:person/friends]"), 1000u);
  EXPECT_EQ(count("[(:person/friends :limit nil)]"), 1005u);
  EXPECT_EQ(count("[(:person/friends :limit 7)]"), 7u);
  auto wild = Pull(db(), E("[*]"), E("{hub}"));
  ASSERT_TRUE(wild.ok());
  EXPECT_EQ(wild->Get("person/friends")->items.size(), 1000u);
}

TEST_F(PullTest, Recursion) {
  Tx(R"([{:db/id "a" :person/name "a" :person/friends "b"}
         {:db/id "b" :person/name "b" :person/friends "c"}
         {:db/id "c" :person/name "c" :person/friends "a"}
         {:db/id "d" :person/name "d" :person/boss "c"}])");
  // Bounded: follows friends twice; the third level leaves friends out.
  ExpectPull("[:person/name {:person/friends 2}]", "{a}",
             R"({:person/name "a" :person/friends [{:person/name "b" :person/friends [{:person/name "c"}]}]})");
  ExpectPull("[:person/name {:person/friends 0}]", "{a}", R"({:person/name "a"})");
  // Unbounded: the cycle ends at an entity already on the path.
  ExpectPull("[:person/name {:person/friends ...}]", "{a}",
             R"({:person/name "a" :person/friends [{:person/name "b" :person/friends
                 [{:person/name "c" :person/friends [{:db/id {a}}]}]}]})");
  ExpectPull("[:person/name {:person/boss ...}]", "{d}",
             R"({:person/name "d" :person/boss {:person/name "c"}})");
}

TEST_F(PullTest, EntityIdentifiers) {
  ExpectPull("[:artist/startYear]", R"([:artist/name "Led Zeppelin"])", "{:artist/startYear 1968}");
  ExpectPull("[:db/ident]", ":artist.type/group", "{:db/ident :artist.type/group}");
  ExpectPull("[:artist/name]", R"([:artist/name "Nobody"])", "nil");
  ExpectPull("[:artist/name]", R"([:artist/name 12])", "nil");  // a value of another type names nothing
  ExpectPull("[:artist/name]", R"([:artist/name "Led Zeppelin"])", R"({:artist/name "Led Zeppelin"})",
             nullptr);
  auto many = PullMany(db(), E("[:artist/name]"), {E("{lz}"), E(R"([:artist/name "Pink Floyd"])"), E("{gb}")});
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(*many, E(R"([{:artist/name "Led Zeppelin"} {:artist/name "Pink Floyd"} nil])"));
}

TEST_F(PullTest, ViewsOfTime) {
  const T before = db().basis_t();
  Tx(R"([[:db/add [:artist/name "Led Zeppelin"] :artist/startYear 1969]
         [:db/retract [:artist/name "Led Zeppelin"] :artist/tags :blues]
         [:db/add [:artist/name "Led Zeppelin"] :artist/tags :hard-rock]])");
  const T after = db().basis_t();
  ExpectPull("[:artist/startYear :artist/tags]", "{lz}", "{:artist/startYear 1969 :artist/tags [:hard-rock :rock]}");
  Database as_of = db().AsOf(before);
  ExpectPull("[:artist/startYear :artist/tags]", "{lz}", "{:artist/startYear 1968 :artist/tags [:blues :rock]}", &as_of);
  // since: only what changed after `before`.
  Database since = db().Since(before);
  ExpectPull("[:artist/name :artist/startYear :artist/tags]", "{lz}", "{:artist/startYear 1969 :artist/tags [:hard-rock]}",
             &since);
  // history: every value ever asserted; cardinality one shows the latest.
  Database hist = db().History();
  ExpectPull("[:artist/startYear :artist/tags]", "{lz}", "{:artist/startYear 1969 :artist/tags [:blues :hard-rock :rock]}",
             &hist);
  Database hist_before = db().AsOf(before).History();
  ExpectPull("[:artist/startYear]", "{lz}", "{:artist/startYear 1968}", &hist_before);
  // filter: hide the correcting transaction. On the current state its
  // value is gone; on the history, the earlier value is the latest left.
  auto hide = [after](const Database&, const Datom& d) { return d.t() != after; };
  Database filtered = db().Filter(hide);
  ExpectPull("[:artist/startYear :artist/name]", "{lz}", R"({:artist/name "Led Zeppelin"})", &filtered);
  Database clean = db().History().Filter(hide);
  ExpectPull("[:artist/startYear]", "{lz}", "{:artist/startYear 1968}", &clean);
  // with: a speculative change.
  auto with = db().With(E(R"([[:db/add [:artist/name "Pink Floyd"] :artist/startYear 1965]])"));
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  ExpectPull("[:artist/startYear]", "{pf}", "{:artist/startYear 1965}", &with->db_after);
  ExpectPull("[:artist/startYear]", "{pf}", "nil");
  // Reverse attributes and components through a view.
  Tx(R"([[:db/retract [:artist/name "Pink Floyd"] :artist/country [:country/name "United Kingdom"]]])");
  ExpectPull("[:artist/_country]", "{gb}", "{:artist/_country [{:db/id {lz}}]}");
  Database then = db().AsOf(after);
  ExpectPull("[:artist/_country]", "{gb}", "{:artist/_country [{:db/id {lz}} {:db/id {pf}}]}", &then);
  Database hist_now = db().History();
  ExpectPull("[:artist/_country]", "{gb}", "{:artist/_country [{:db/id {lz}} {:db/id {pf}}]}", &hist_now);
}

TEST_F(PullTest, WildcardAndComponentsThroughViews) {
  const T before = db().basis_t();
  Tx(Ids("[[:db/retract {m1} :medium/tracks {t2}] [:db/add {t1} :track/position 9]]"));
  const std::string now = R"({:db/id {m1} :medium/position 1
      :medium/tracks [{:db/id {t1} :track/name "Speak to Me" :track/position 9 :track/artists [{:db/id {pf}}]}]})";
  const std::string then = R"({:db/id {m1} :medium/position 1
      :medium/tracks [{:db/id {t1} :track/name "Speak to Me" :track/position 1 :track/artists [{:db/id {pf}}]}
                      {:db/id {t2} :track/name "Breathe" :track/position 2
                       :track/artists [{:db/id {lz}} {:db/id {pf}}]}]})";
  ExpectPull("[*]", "{m1}", now);
  Database as_of = db().AsOf(before);
  ExpectPull("[*]", "{m1}", then, &as_of);
  // History: both tracks were once on the medium; track 1's latest position.
  Database hist = db().History();
  ExpectPull("[*]", "{m1}", R"({:db/id {m1} :medium/position 1
      :medium/tracks [{:db/id {t1} :track/name "Speak to Me" :track/position 9 :track/artists [{:db/id {pf}}]}
                      {:db/id {t2} :track/name "Breathe" :track/position 2
                       :track/artists [{:db/id {lz}} {:db/id {pf}}]}]})",
             &hist);
  // Since: only the new position; the component itself is older.
  Database since = db().Since(before);
  ExpectPull("[*]", "{t1}", "{:db/id {t1} :track/position 9}", &since);
  ExpectPull("[:medium/tracks]", "{m1}", "nil", &since);
  ExpectPull("[:medium/_tracks]", "{t2}", "nil");
  ExpectPull("[:medium/_tracks]", "{t2}", "{:medium/_tracks {:db/id {m1}}}", &as_of);
}

TEST_F(PullTest, Limits) {
  PullOptions o;
  o.max_nodes = 5;
  auto r = Pull(db(), E("[:release/media]"), E("{dsotm}"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBusy);
  EXPECT_NE(r.status().message().find("max_nodes"), std::string::npos) << r.status().message();
  // A wildcard's values count too (lz has six attributes, eight values).
  o.max_nodes = 4;
  r = Pull(db(), E("[*]"), E("{lz}"), o);
  ASSERT_FALSE(r.ok()) << edn::Print(*r);
  EXPECT_EQ(r.status().code(), Code::kBusy);
  o.max_nodes = 10;
  EXPECT_TRUE(Pull(db(), E("[*]"), E("{lz}"), o).ok());
}

TEST_F(PullTest, Errors) {
  auto err = [&](const std::string& pattern, const std::string& eid = "{lz}") {
    auto r = Pull(db(), E(pattern), E(eid));
    EXPECT_FALSE(r.ok()) << pattern;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(err("[:artist/_name]").find("needs a ref attribute"), std::string::npos);
  EXPECT_NE(err("{:artist/name 1}").find("a pattern is a vector"), std::string::npos);
  EXPECT_NE(err("[(:artist/name :limit -1)]").find(":limit"), std::string::npos);
  EXPECT_NE(err("[(:artist/name :bogus 1)]").find("unknown attribute option"), std::string::npos);
  EXPECT_NE(err("[{:artist/name [:x]}]").find("not a ref attribute"), std::string::npos);
  EXPECT_NE(err("[:artist/name]", "\"lz\"").find("expected an entity id"), std::string::npos);
}

// Pulls read through cursors moved from entity to entity (PullMany keeps
// them across its entities; a pull keeps one EAVT cursor per depth). Over
// durable levels and the memory index, PullMany equals one Pull per
// entity, for nested, component, reverse and recursive patterns; a read
// that fails fails the whole call, never a partial result.
class PullReuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = NewMemEnv();
    env_ = std::make_unique<FaultInjectionEnv>(mem_.get());
    const Options o = testing::StackedLevelsOptions(env_.get());
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Transact(kSchema).ok());
    // Releases with component media and tracks, tracks naming artists,
    // people with friends and bosses; indexed twice, then more in memory.
    for (int round = 0; round < 3; ++round) {
      std::string tx = "[";
      for (int i = 0; i < 40; ++i) {
        const std::string n = std::to_string(round * 100 + i);
        tx += "{:db/id \"a" + n + "\" :artist/name \"artist " + n + "\" :artist/startYear " + n +
              " :artist/tags [:t" + std::to_string(i % 3) + " :t" + std::to_string(i % 5) + "]}";
        tx += "{:release/name \"release " + n + "\" :release/media [{:medium/position 1 :medium/tracks [" +
              "{:track/name \"x" + n + "\" :track/position 1 :track/artists [\"a" + n + "\"]}" +
              "{:track/name \"y" + n + "\" :track/position 2}]}]}";
        tx += "{:db/id \"p" + n + "\" :person/name \"person " + n + "\"" +
              (i > 0 ? " :person/boss \"p" + std::to_string(round * 100 + i - 1) + "\"" : "") +
              "}";
      }
      auto r = conn_->Transact(tx + "]");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (round < 2) {
        ASSERT_TRUE(conn_->IndexNow().ok());
      }
    }
    ASSERT_GT(conn_->db().memory_index_datoms(), 0u);
    auto all = conn_->db().DatomsVector(Index::kEavt);
    ASSERT_TRUE(all.ok());
    for (const Datom& d : *all)
      if (eids_.empty() || eids_.back().i != static_cast<int64_t>(d.e)) eids_.push_back(edn::Node::Long(static_cast<int64_t>(d.e)));
  }

  std::unique_ptr<Env> mem_;
  std::unique_ptr<FaultInjectionEnv> env_;
  std::unique_ptr<Connection> conn_;
  std::vector<edn::Node> eids_;
};

TEST_F(PullReuseTest, PullManyEqualsAPullPerEntity) {
  const Database db = conn_->db();
  ASSERT_GT(eids_.size(), 300u);
  for (const char* pattern :
       {"[*]", "[:artist/name :artist/startYear :artist/tags :release/name]",
        "[:release/name {:release/media [:medium/position {:medium/tracks [:track/name {:track/artists [*]}]}]}]",
        "[* {:track/_artists [:track/name]}]", "[:person/name {:person/boss ...}]",
        "[:person/name {:person/_boss 2}]"}) {
    SCOPED_TRACE(pattern);
    const edn::Node pat = *edn::ReadOne(pattern);
    auto many = PullMany(db, pat, eids_);
    ASSERT_TRUE(many.ok()) << many.status().ToString();
    ASSERT_EQ(many->items.size(), eids_.size());
    size_t found = 0;
    for (size_t i = 0; i < eids_.size(); ++i) {
      auto one = Pull(db, pat, eids_[i]);
      ASSERT_TRUE(one.ok()) << one.status().ToString();
      ASSERT_EQ(many->items[i], *one) << "entity " << eids_[i].i << ": " << edn::Print(many->items[i]) << " vs "
                                      << edn::Print(*one);
      found += !one->is(edn::Kind::kNil);
    }
    EXPECT_GT(found, 30u);
  }
}

TEST_F(PullReuseTest, AFailedReadFailsThePull) {
  const Database db = conn_->db();
  ReadFaultSpec spec;
  spec.fail_fraction = 1;
  spec.path_part = "/packs/";
  env_->SetReadFaults(spec);
  for (const char* pattern : {"[*]", "[:artist/name]", "[* {:track/_artists [:track/name]}]"}) {
    SCOPED_TRACE(pattern);
    auto many = PullMany(db, *edn::ReadOne(pattern), eids_);
    ASSERT_FALSE(many.ok()) << "a result of " << many->items.size() << " without the error";
    EXPECT_TRUE(many.status().IsIOError()) << many.status().ToString();
    auto one = Pull(db, *edn::ReadOne(pattern), eids_[eids_.size() / 3]);
    ASSERT_FALSE(one.ok()) << edn::Print(*one);
    EXPECT_TRUE(one.status().IsIOError()) << one.status().ToString();
  }
  // Storage healthy again: the same pulls read.
  env_->ClearFaults();
  EXPECT_TRUE(PullMany(db, *edn::ReadOne("[*]"), eids_).ok());
}

}  // namespace
}  // namespace strata
