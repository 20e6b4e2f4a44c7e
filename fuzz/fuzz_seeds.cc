// fuzz_seeds — writes the binary seed corpora of datasets/fuzz/: small
// valid log files (taken from a real database in a memory Env, plus a torn
// and a corrupt variant) and small valid leaf and directory segments of
// every order. Run after a format change:
//   build/fuzz/fuzz/fuzz_seeds datasets/fuzz

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/log.h"
#include "format/segment.h"
#include "strata/database.h"
#include "strata/connection.h"

namespace {

using namespace strata;

void Write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
}

// A log written by the engine itself: schema, a few entities, an update, a
// retraction.
std::string RealLog() {
  auto env = NewMemEnv();
  Options o;
  o.env = env.get();
  o.background_indexing = false;
  o.clock = [] { return int64_t{1700000000000}; };
  auto conn = Connection::Open("/db", o);
  if (!conn.ok()) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", conn.status().ToString().c_str());
    return {};
  }
  const char* txs[] = {
      R"([{:db/ident :w/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
          {:db/ident :w/a :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
          {:db/ident :w/b :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])",
      R"([{:db/id "one" :w/n 1 :w/a "one"} {:w/n 2 :w/a "two" :w/b "one"}])",
      R"([[:db/add [:w/n 1] :w/a "uno"] [:db/retract [:w/n 2] :w/b [:w/n 1]]])",
      // Format version 2's value types, and a composite tuple.
      R"([{:db/ident :w/big :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one}
          {:db/ident :w/dec :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/many}
          {:db/ident :w/f :db/valueType :db.type/float :db/cardinality :db.cardinality/one}
          {:db/ident :w/bytes :db/valueType :db.type/bytes :db/cardinality :db.cardinality/one}
          {:db/ident :w/uri :db/valueType :db.type/uri :db/cardinality :db.cardinality/one}
          {:db/ident :w/sym :db/valueType :db.type/symbol :db/cardinality :db.cardinality/one}
          {:db/ident :w/n+a :db/valueType :db.type/tuple :db/tupleAttrs [:w/n :w/a] :db/cardinality :db.cardinality/one}])",
      R"([{:w/n 3 :w/a "three" :w/big -100000000000000000000N :w/dec [1.0M 1.00M] :w/f 1.1
           :w/bytes #bytes "AP+A" :w/uri #uri "https://example.com/" :w/sym my/sym}])",
  };
  for (const char* tx : txs) {
    if (auto r = (*conn)->Transact(std::string_view(tx)); !r.ok()) {
      std::fprintf(stderr, "fuzz_seeds: %s\n", r.status().ToString().c_str());
      return {};
    }
  }
  if (!(*conn)->Close().ok()) return {};
  auto bytes = env->ReadFile("/db/log");
  return bytes.ok() ? *bytes : std::string();
}

std::vector<Datom> SampleDatoms(Index order) {
  std::vector<Datom> ds;
  for (uint64_t i = 0; i < 12; ++i) {
    Datom d;
    d.e = MakeEntityId(kPartUser, 100 + i / 3);
    d.a = 70 + i % 3;
    switch (i % 8) {
      case 6: d.v = Value::Tuple({Value::Long(static_cast<int64_t>(i)), Value(), Value::Bytes("\x80")}); break;
      case 7: d.v = Value::Float(0.25f * static_cast<float>(i)); break;
      case 0: d.v = Value::String("name-" + std::to_string(i)); break;
      case 1: d.v = Value::Long(static_cast<int64_t>(i) * 1000 - 5000); break;
      case 2: d.v = Value::Ref(MakeEntityId(kPartUser, 100 + i)); break;
      case 3: d.v = Value::Keyword("tag/k" + std::to_string(i)); break;
      case 4: d.v = Value::Double(0.5 * static_cast<double>(i)); break;
      default: d.v = Value::Instant(1700000000000 + static_cast<int64_t>(i)); break;
    }
    if (order == Index::kVaet) d.v = Value::Ref(MakeEntityId(kPartUser, 200 + i % 4));
    d.tx = TxId(1000 + i / 4);
    d.added = i % 5 != 4;
    ds.push_back(d);
  }
  std::sort(ds.begin(), ds.end(), DatomLess{order});
  return ds;
}

// Many datoms sharing string prefixes: compresses, so the zstd path is seeded.
std::vector<Datom> CompressibleDatoms() {
  std::vector<Datom> ds;
  for (uint64_t i = 0; i < 200; ++i) {
    ds.push_back(Datom{MakeEntityId(kPartUser, 100 + i), 71,
                       Value::String("a rather long shared prefix for every value " + std::to_string(i % 10)),
                       TxId(1000 + i / 50), true});
  }
  std::sort(ds.begin(), ds.end(), DatomLess{Index::kAvet});
  return ds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DATASETS_FUZZ_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];

  const std::string log = RealLog();
  if (log.size() < 40) {
    std::fprintf(stderr, "fuzz_seeds: could not write the sample log\n");
    return 1;
  }
  Write(out / "log_fuzz" / "real.log", log);
  Write(out / "log_fuzz" / "header-only.log", log.substr(0, 16));
  Write(out / "log_fuzz" / "torn-tail.log", log.substr(0, log.size() - 7));
  std::string corrupt = log;
  corrupt[40] ^= 0x20;  // inside the first record's payload: a checksum mismatch
  Write(out / "log_fuzz" / "corrupt-first-record.log", corrupt);
  Write(out / "log_fuzz" / "zero-tail.log", log + std::string(24, '\0'));

  const char* names[] = {"eavt", "aevt", "avet", "vaet"};
  for (Index order : {Index::kEavt, Index::kAevt, Index::kAvet, Index::kVaet}) {
    const std::vector<Datom> ds = SampleDatoms(order);
    Write(out / "segment_fuzz" / (std::string("leaf-") + names[static_cast<int>(order)] + ".seg"), EncodeLeaf(order, ds).value());
  }
  const std::vector<Datom> big = CompressibleDatoms();
  Write(out / "segment_fuzz" / "leaf-avet-zstd.seg", EncodeLeaf(Index::kAvet, big).value());
  std::vector<SegmentRef> refs;
  for (uint64_t i = 0; i < 4; ++i) {
    SegmentRef r;
    r.id = (uint64_t{10} << 32) | i;
    r.count = 50;
    r.bytes = 900 + i;
    r.first = big[i * 50];
    r.last = big[i * 50 + 49];
    refs.push_back(r);
  }
  Write(out / "segment_fuzz" / "directory-avet.seg", EncodeDirectory(Index::kAvet, refs).value());
  return 0;
}
