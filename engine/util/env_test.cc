// Tests for env.h: the same behaviour suite over the memory and POSIX
// Envs, POSIX error messages, MemEnv concurrency, WriteFileAtomic, and the
// FaultInjectionEnv crash model and injected faults.

#include "testing/fault_injection_env.h"
#include "strata/env.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace strata {
namespace {

// True if `s` contains `sub`; used with EXPECT_PRED2 so failures print both.
bool HasSubstr(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// Creates a fresh folder in /tmp and removes it (recursively) at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/strata_env_test_XXXXXX";
    char* p = ::mkdtemp(tmpl);
    EXPECT_NE(p, nullptr);
    path_ = p ? p : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status WriteAll(Env* env, const std::string& path, std::string_view data, bool sync = true) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
  STRATA_RETURN_IF_ERROR(f->Append(data));
  if (sync) STRATA_RETURN_IF_ERROR(f->Sync());
  return f->Close();
}

std::string ReadOrDie(Env* env, const std::string& path) {
  Result<std::string> r = env->ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// ---- the common suite, run over both Envs ----------------------------------

class EnvTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "mem") {
      mem_ = NewMemEnv();
      env_ = mem_.get();
      root_ = "/db";
      ASSERT_TRUE(env_->CreateDirs(root_).ok());
    } else {
      tmp_ = std::make_unique<TempDir>();
      env_ = Env::Default();
      root_ = tmp_->path();
    }
  }
  std::string P(const std::string& name) const { return root_ + "/" + name; }

  std::unique_ptr<Env> mem_;
  std::unique_ptr<TempDir> tmp_;
  Env* env_ = nullptr;
  std::string root_;
};

TEST_P(EnvTest, WriteThenRead) {
  Result<std::unique_ptr<WritableFile>> f = env_->NewWritableFile(P("a"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->Size(), 0u);
  ASSERT_TRUE((*f)->Append("hello").ok());
  ASSERT_TRUE((*f)->Append("").ok());
  ASSERT_TRUE((*f)->Append(std::string_view(" wor\0ld", 7)).ok());
  EXPECT_EQ((*f)->Size(), 12u);
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_FALSE((*f)->Append("x").ok());  // closed

  EXPECT_TRUE(env_->FileExists(P("a")));
  EXPECT_EQ(ReadOrDie(env_, P("a")), std::string("hello wor\0ld", 12));
  Result<uint64_t> size = env_->FileSize(P("a"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 12u);
}

TEST_P(EnvTest, AppendableContinuesWritableTruncates) {
  ASSERT_TRUE(WriteAll(env_, P("a"), "abc").ok());
  {
    auto f = env_->NewAppendableFile(P("a"));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 3u);
    ASSERT_TRUE((*f)->Append("def").ok());
    EXPECT_EQ((*f)->Size(), 6u);
  }
  EXPECT_EQ(ReadOrDie(env_, P("a")), "abcdef");
  {
    auto f = env_->NewAppendableFile(P("new"));  // creates
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 0u);
  }
  EXPECT_TRUE(env_->FileExists(P("new")));
  {
    auto f = env_->NewWritableFile(P("a"));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 0u);
  }
  EXPECT_EQ(ReadOrDie(env_, P("a")), "");
}

TEST_P(EnvTest, RandomAccessReads) {
  ASSERT_TRUE(WriteAll(env_, P("r"), "0123456789").ok());
  auto f = env_->NewRandomAccessFile(P("r"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->Size(), 10u);
  std::string out;
  ASSERT_TRUE((*f)->Read(2, 3, &out).ok());
  EXPECT_EQ(out, "234");
  ASSERT_TRUE((*f)->Read(8, 5, &out).ok());
  EXPECT_EQ(out, "89");  // short only at end of file
  ASSERT_TRUE((*f)->Read(10, 5, &out).ok());
  EXPECT_EQ(out, "");
  ASSERT_TRUE((*f)->Read(100, 5, &out).ok());
  EXPECT_EQ(out, "");
  ASSERT_TRUE((*f)->Read(0, 0, &out).ok());
  EXPECT_EQ(out, "");
}

TEST_P(EnvTest, MissingFilesAreNotFound) {
  const std::string m = P("missing");
  EXPECT_FALSE(env_->FileExists(m));
  Result<std::string> r = env_->ReadFile(m);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_PRED2(HasSubstr, r.status().message(), m);
  EXPECT_PRED2(HasSubstr, r.status().message(), "No such file or directory");
  EXPECT_TRUE(env_->NewRandomAccessFile(m).status().IsNotFound());
  EXPECT_TRUE(env_->FileSize(m).status().IsNotFound());
  EXPECT_TRUE(env_->DeleteFile(m).IsNotFound());
  EXPECT_TRUE(env_->RenameFile(m, P("x")).IsNotFound());
  EXPECT_TRUE(env_->Truncate(m, 0).IsNotFound());
  EXPECT_TRUE(env_->ListDir(P("nodir")).status().IsNotFound());
  // No implicit folders: creating in a missing folder fails, like POSIX.
  EXPECT_FALSE(env_->NewWritableFile(P("nodir/x")).ok());
  EXPECT_FALSE(env_->FileExists(P("nodir")));
}

TEST_P(EnvTest, CreateDirsAndListDir) {
  ASSERT_TRUE(env_->CreateDirs(P("a/b/c")).ok());
  ASSERT_TRUE(env_->CreateDirs(P("a/b/c")).ok());  // idempotent
  ASSERT_TRUE(env_->CreateDirs(P("a/b/c/")).ok());
  ASSERT_TRUE(WriteAll(env_, P("a/f1"), "1").ok());
  ASSERT_TRUE(WriteAll(env_, P("a/b/c/f2"), "2").ok());
  ASSERT_TRUE(WriteAll(env_, P("top"), "t").ok());
  auto top = env_->ListDir(root_);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(Sorted(*top), (std::vector<std::string>{"a", "top"}));
  auto a = env_->ListDir(P("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Sorted(*a), (std::vector<std::string>{"b", "f1"}));
  auto c = env_->ListDir(P("a/b/c"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (std::vector<std::string>{"f2"}));
  EXPECT_TRUE(env_->FileExists(P("a/b")));
  // A file in the way of a folder.
  EXPECT_FALSE(env_->CreateDirs(P("top/sub")).ok());
}

TEST_P(EnvTest, DeleteRenameTruncate) {
  ASSERT_TRUE(WriteAll(env_, P("a"), "old").ok());
  ASSERT_TRUE(WriteAll(env_, P("b"), "new").ok());
  ASSERT_TRUE(env_->RenameFile(P("b"), P("a")).ok());  // replaces
  EXPECT_FALSE(env_->FileExists(P("b")));
  EXPECT_EQ(ReadOrDie(env_, P("a")), "new");

  ASSERT_TRUE(env_->Truncate(P("a"), 1).ok());
  EXPECT_EQ(ReadOrDie(env_, P("a")), "n");
  ASSERT_TRUE(env_->Truncate(P("a"), 4).ok());  // grows with zeros
  EXPECT_EQ(ReadOrDie(env_, P("a")), std::string("n\0\0\0", 4));

  ASSERT_TRUE(env_->DeleteFile(P("a")).ok());
  EXPECT_FALSE(env_->FileExists(P("a")));
  EXPECT_TRUE(env_->DeleteFile(P("a")).IsNotFound());
}

TEST_P(EnvTest, TruncateWhileOpenThenReopen) {
  ASSERT_TRUE(WriteAll(env_, P("log"), "0123456789").ok());
  ASSERT_TRUE(env_->Truncate(P("log"), 4).ok());
  auto f = env_->NewAppendableFile(P("log"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->Size(), 4u);
  ASSERT_TRUE((*f)->Append("xy").ok());
  EXPECT_EQ(ReadOrDie(env_, P("log")), "0123xy");
}

TEST_P(EnvTest, SyncDir) {
  EXPECT_TRUE(env_->SyncDir(root_).ok());
  EXPECT_FALSE(env_->SyncDir(P("nodir")).ok());
}

TEST_P(EnvTest, LockIsExclusive) {
  auto l1 = env_->LockFile(P("LOCK"));
  ASSERT_TRUE(l1.ok()) << l1.status().ToString();
  auto l2 = env_->LockFile(P("LOCK"));
  ASSERT_FALSE(l2.ok());
  EXPECT_EQ(l2.status().code(), Code::kBusy) << l2.status().ToString();
  l1.value().reset();  // release
  auto l3 = env_->LockFile(P("LOCK"));
  EXPECT_TRUE(l3.ok()) << l3.status().ToString();
  EXPECT_TRUE(env_->FileExists(P("LOCK")));
}

TEST_P(EnvTest, WriteFileAtomic) {
  ASSERT_TRUE(WriteFileAtomic(env_, P("MANIFEST"), "v1").ok());
  EXPECT_EQ(ReadOrDie(env_, P("MANIFEST")), "v1");
  ASSERT_TRUE(WriteFileAtomic(env_, P("MANIFEST"), std::string(100000, 'v')).ok());
  EXPECT_EQ(ReadOrDie(env_, P("MANIFEST")), std::string(100000, 'v'));
  auto names = env_->ListDir(root_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"MANIFEST"}));  // no temporary left behind
  EXPECT_FALSE(WriteFileAtomic(env_, P("nodir/MANIFEST"), "x").ok());
}

INSTANTIATE_TEST_SUITE_P(Envs, EnvTest, ::testing::Values("mem", "posix"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ---- POSIX specifics ---------------------------------------------------------

TEST(PosixEnvTest, ErrorsCarryPathAndStrerror) {
  TempDir dir;
  Env* env = Env::Default();
  const std::string file = dir.path() + "/plain";
  ASSERT_TRUE(WriteAll(env, file, "x").ok());
  auto f = env->NewWritableFile(file + "/child");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsIOError()) << f.status().ToString();
  EXPECT_PRED2(HasSubstr, f.status().message(), file + "/child");
  EXPECT_PRED2(HasSubstr, f.status().message(), "Not a directory");
  Status s = env->SyncDir(file + "/nope");
  EXPECT_FALSE(s.ok());
  EXPECT_PRED2(HasSubstr, s.message(), file);
}

TEST(PosixEnvTest, DefaultIsASingleton) { EXPECT_EQ(Env::Default(), Env::Default()); }

// ---- MemEnv specifics ----------------------------------------------------------

TEST(MemEnvTest, PathsAreNormalized) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("d//e/").ok());
  ASSERT_TRUE(WriteAll(env.get(), "d/e//f", "1").ok());
  EXPECT_TRUE(env->FileExists("./d/e/f"));
  EXPECT_EQ(ReadOrDie(env.get(), "d/e/f"), "1");
  ASSERT_TRUE(WriteAll(env.get(), "rel", "2").ok());  // "." always exists
  auto names = env->ListDir(".");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(Sorted(*names), (std::vector<std::string>{"d", "rel"}));
}

TEST(MemEnvTest, HandlesSurviveDeleteAndSeeTruncate) {
  auto env = NewMemEnv();
  auto w = env->NewAppendableFile("f");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("abcdef").ok());
  ASSERT_TRUE(env->Truncate("f", 2).ok());
  EXPECT_EQ((*w)->Size(), 2u);  // O_APPEND semantics: appends go at the new end
  ASSERT_TRUE((*w)->Append("Z").ok());
  EXPECT_EQ(ReadOrDie(env.get(), "f"), "abZ");
  auto r = env->NewRandomAccessFile("f");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(env->DeleteFile("f").ok());
  std::string out;
  ASSERT_TRUE((*r)->Read(0, 10, &out).ok());  // like an unlinked open file
  EXPECT_EQ(out, "abZ");
}

TEST(MemEnvTest, ConcurrentWritersAndReaders) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("c").ok());
  constexpr int kThreads = 4, kAppends = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&env, t] {
      const std::string path = "c/f" + std::to_string(t);
      auto f = env->NewWritableFile(path);
      ASSERT_TRUE(f.ok());
      for (int i = 0; i < kAppends; ++i) {
        ASSERT_TRUE((*f)->Append("0123456789").ok());
        if (i % 50 == 0) {
          auto n = env->FileSize(path);
          ASSERT_TRUE(n.ok());
          EXPECT_GE(*n, uint64_t{10} * static_cast<uint64_t>(i + 1));
          ASSERT_TRUE(env->ListDir("c").ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(ReadOrDie(env.get(), "c/f" + std::to_string(t)).size(), size_t{10} * kAppends);
  }
}

// ---- FaultInjectionEnv -----------------------------------------------------------

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_->CreateDirs("/db").ok());
    ASSERT_TRUE(base_->SyncDir("/db").ok());
  }
  std::unique_ptr<Env> base_ = NewMemEnv();
  FaultInjectionEnv env_{base_.get()};
};

TEST_F(FaultEnvTest, UnsyncedBytesAreLostSyncedKept) {
  auto f = env_.NewWritableFile("/db/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE((*f)->Append("durable").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("-volatile").ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "durable-volatile");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "durable");
  // The handle belonged to the crashed process.
  EXPECT_TRUE((*f)->Append("x").IsIOError());
  EXPECT_TRUE((*f)->Sync().IsIOError());
  // A new handle works and continues from the durable end.
  auto g = env_.NewAppendableFile("/db/f");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)->Size(), 7u);
  ASSERT_TRUE((*g)->Append("+more").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "durable");
}

TEST_F(FaultEnvTest, FileCreatedWithoutSyncDirDisappears) {
  ASSERT_TRUE(WriteAll(&env_, "/db/nodirsync", "data", /*sync=*/true).ok());
  ASSERT_TRUE(WriteAll(&env_, "/db/dirsynced", "data", /*sync=*/true).ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(WriteAll(&env_, "/db/late", "data", /*sync=*/true).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_TRUE(env_.FileExists("/db/nodirsync"));  // the SyncDir covered it too
  EXPECT_TRUE(env_.FileExists("/db/dirsynced"));
  EXPECT_FALSE(env_.FileExists("/db/late"));
  // A SyncDir of another folder does not help.
  ASSERT_TRUE(env_.CreateDirs("/db/sub").ok());
  ASSERT_TRUE(WriteAll(&env_, "/db/sub/x", "data").ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_FALSE(env_.FileExists("/db/sub/x"));
}

TEST_F(FaultEnvTest, DirSyncedButDataUnsyncedIsEmpty) {
  ASSERT_TRUE(WriteAll(&env_, "/db/f", "data", /*sync=*/false).ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "");
}

TEST_F(FaultEnvTest, RenameWithoutSyncDirIsUndone) {
  ASSERT_TRUE(WriteAll(&env_, "/db/CURRENT", "old").ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(WriteAll(&env_, "/db/CURRENT.tmp", "new").ok());
  ASSERT_TRUE(env_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/CURRENT"), "new");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/CURRENT"), "old");
  EXPECT_FALSE(env_.FileExists("/db/CURRENT.tmp"));  // its creation was never durable

  // With the directory synced the rename sticks.
  ASSERT_TRUE(WriteAll(&env_, "/db/CURRENT.tmp", "new").ok());
  ASSERT_TRUE(env_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/CURRENT"), "new");
}

TEST_F(FaultEnvTest, RenameOfDurableFileComesBack) {
  ASSERT_TRUE(WriteAll(&env_, "/db/a", "aaa").ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(env_.RenameFile("/db/a", "/db/b").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/a"), "aaa");
  EXPECT_FALSE(env_.FileExists("/db/b"));
}

TEST_F(FaultEnvTest, WriteFileAtomicSurvivesCrash) {
  ASSERT_TRUE(WriteFileAtomic(&env_, "/db/MANIFEST", "v1").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/MANIFEST"), "v1");
  ASSERT_TRUE(WriteFileAtomic(&env_, "/db/MANIFEST", "v2").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/MANIFEST"), "v2");
  // A failed rename leaves the old version and no temporary.
  env_.FailOp(FaultOp::kRename);
  EXPECT_FALSE(WriteFileAtomic(&env_, "/db/MANIFEST", "v3").ok());
  env_.ClearFaults();
  EXPECT_EQ(ReadOrDie(&env_, "/db/MANIFEST"), "v2");
  EXPECT_FALSE(env_.FileExists("/db/MANIFEST.tmp"));
}

TEST_F(FaultEnvTest, PreexistingFilesCountAsDurable) {
  ASSERT_TRUE(WriteAll(base_.get(), "/db/old", "before").ok());
  auto f = env_.NewAppendableFile("/db/old");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("+after").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/old"), "before");
}

TEST_F(FaultEnvTest, TruncateLowersSyncedSize) {
  ASSERT_TRUE(WriteAll(&env_, "/db/f", "0123456789").ok());
  ASSERT_TRUE(env_.SyncDir("/db").ok());
  ASSERT_TRUE(env_.Truncate("/db/f", 4).ok());
  auto f = env_.NewAppendableFile("/db/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("abc").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "0123");
}

TEST_F(FaultEnvTest, FailOpAfterNSuccesses) {
  auto f = env_.NewWritableFile("/db/f");
  ASSERT_TRUE(f.ok());
  const uint64_t before = env_.Count(FaultOp::kWrite);
  env_.FailOp(FaultOp::kWrite, /*enospc=*/false, /*after=*/2);
  EXPECT_TRUE((*f)->Append("1").ok());
  EXPECT_TRUE((*f)->Append("2").ok());
  Status s = (*f)->Append("3");
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_PRED2(HasSubstr, s.message(), "/db/f");
  EXPECT_PRED2(HasSubstr, s.message(), "(EIO)");
  EXPECT_TRUE((*f)->Append("4").IsIOError());  // keeps failing
  EXPECT_EQ(env_.Count(FaultOp::kWrite), before + 4);
  env_.ClearFaults();
  EXPECT_TRUE((*f)->Append("5").ok());
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "125");

  env_.FailOp(FaultOp::kWrite, /*enospc=*/true);
  s = (*f)->Append("6");
  EXPECT_PRED2(HasSubstr, s.message(), "(ENOSPC)");
  EXPECT_TRUE(env_.Truncate("/db/f", 0).IsIOError());  // truncation is a write
  env_.ClearFaults();
}

TEST_F(FaultEnvTest, FailEachOpKind) {
  ASSERT_TRUE(WriteAll(&env_, "/db/f", "x").ok());

  env_.FailOp(FaultOp::kCreate);
  EXPECT_TRUE(env_.NewWritableFile("/db/g").status().IsIOError());
  EXPECT_TRUE(env_.NewAppendableFile("/db/g").status().IsIOError());
  EXPECT_TRUE(env_.CreateDirs("/db/sub").IsIOError());
  EXPECT_FALSE(env_.FileExists("/db/g"));
  env_.ClearFaults();

  env_.FailOp(FaultOp::kSync);
  {
    auto f = env_.NewAppendableFile("/db/f");
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE((*f)->Sync().IsIOError());
  }
  EXPECT_TRUE(env_.SyncDir("/db").IsIOError());
  env_.ClearFaults();

  env_.FailOp(FaultOp::kRead);
  EXPECT_TRUE(env_.ReadFile("/db/f").status().IsIOError());
  EXPECT_TRUE(env_.NewRandomAccessFile("/db/f").status().IsIOError());
  env_.ClearFaults();
  {
    auto r = env_.NewRandomAccessFile("/db/f");
    ASSERT_TRUE(r.ok());
    env_.FailOp(FaultOp::kRead);
    std::string out;
    EXPECT_TRUE((*r)->Read(0, 1, &out).IsIOError());
    env_.ClearFaults();
    EXPECT_TRUE((*r)->Read(0, 1, &out).ok());
    EXPECT_EQ(out, "x");
  }

  env_.FailOp(FaultOp::kRename);
  EXPECT_TRUE(env_.RenameFile("/db/f", "/db/h").IsIOError());
  EXPECT_TRUE(env_.FileExists("/db/f"));
  env_.ClearFaults();

  env_.FailOp(FaultOp::kDelete, /*enospc=*/false, /*after=*/1);
  ASSERT_TRUE(WriteAll(&env_, "/db/d1", "").ok());
  ASSERT_TRUE(WriteAll(&env_, "/db/d2", "").ok());
  EXPECT_TRUE(env_.DeleteFile("/db/d1").ok());
  EXPECT_TRUE(env_.DeleteFile("/db/d2").IsIOError());
  EXPECT_TRUE(env_.FileExists("/db/d2"));
  env_.ClearFaults();
  EXPECT_GE(env_.Count(FaultOp::kDelete), 2u);
  EXPECT_GE(env_.Count(FaultOp::kCreate), 5u);
}

TEST_F(FaultEnvTest, ShortWriteNext) {
  auto f = env_.NewWritableFile("/db/f");
  ASSERT_TRUE(f.ok());
  env_.ShortWriteNext(3);
  Status s = (*f)->Append("abcdef");
  ASSERT_TRUE(s.IsIOError());
  EXPECT_PRED2(HasSubstr, s.message(), "short write");
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "abc");
  EXPECT_TRUE((*f)->Append("gh").ok());  // only the next append is short
  EXPECT_EQ(ReadOrDie(&env_, "/db/f"), "abcgh");
}

TEST(FaultEnvPosixTest, CrashOverPosix) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  const std::string kept = dir.path() + "/kept", lost = dir.path() + "/lost";
  ASSERT_TRUE(WriteAll(&env, kept, "0123").ok());
  ASSERT_TRUE(env.SyncDir(dir.path()).ok());
  {
    auto f = env.NewAppendableFile(kept);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("4567").ok());
  }
  ASSERT_TRUE(WriteAll(&env, lost, "x").ok());
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  EXPECT_EQ(ReadOrDie(&env, kept), "0123");
  EXPECT_FALSE(env.FileExists(lost));
}

}  // namespace
}  // namespace strata
