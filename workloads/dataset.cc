// Datasets: a workload's transaction stream in files, and its replay (see
// dataset.h).

#include "strata/connection.h"
#include "workloads/dataset.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace strata::workloads {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifest = "manifest.json";
constexpr const char* kSchema = "schema.edn";
constexpr const char* kTransactions = "transactions.edn.zst";
constexpr const char* kFailFn = "strata.replay/fail";

Status IoError(const std::string& what, const fs::path& p) {
  return Status::IOError(what + " " + p.string() + ": " + std::strerror(errno));
}

// A zstd stream into a file.
class ZstdWriter {
 public:
  ~ZstdWriter() {
    if (cctx_) ZSTD_freeCCtx(cctx_);
  }
  Status Open(const fs::path& p) {
    path_ = p;
    out_.open(p, std::ios::binary | std::ios::trunc);
    if (!out_) return IoError("creating", p);
    cctx_ = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, 3);
    buf_.resize(ZSTD_CStreamOutSize());
    return Status::OK();
  }
  Status Write(std::string_view data, ZSTD_EndDirective mode = ZSTD_e_continue) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
      const size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(left)) return Status::IOError(std::string("compressing: ") + ZSTD_getErrorName(left));
      out_.write(buf_.data(), static_cast<std::streamsize>(out.pos));
      if (!out_) return IoError("writing", path_);
      bytes_ += out.pos;
      const bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) return Status::OK();
    }
  }
  Status Finish() {
    STRATA_RETURN_IF_ERROR(Write({}, ZSTD_e_end));
    out_.close();
    if (!out_) return IoError("closing", path_);
    return Status::OK();
  }
  uint64_t bytes() const { return bytes_; }

 private:
  fs::path path_;
  std::ofstream out_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::vector<char> buf_;
  uint64_t bytes_ = 0;
};

// Lines of a zstd stream from a file.
class ZstdLineReader {
 public:
  ~ZstdLineReader() {
    if (dctx_) ZSTD_freeDCtx(dctx_);
  }
  Status Open(const fs::path& p) {
    path_ = p;
    in_.open(p, std::ios::binary);
    if (!in_) return IoError("opening", p);
    dctx_ = ZSTD_createDCtx();
    inbuf_.resize(ZSTD_DStreamInSize());
    outbuf_.resize(ZSTD_DStreamOutSize());
    return Status::OK();
  }
  // The next line into *line (without '\n'); false at the end. A stream
  // that ends inside a frame or fails to decode is Corruption.
  Result<bool> Next(std::string* line) {
    for (;;) {
      const size_t nl = pending_.find('\n', scan_);
      if (nl != std::string::npos) {
        line->assign(pending_, 0, nl);
        pending_.erase(0, nl + 1);
        scan_ = 0;
        return true;
      }
      scan_ = pending_.size();
      if (in_pos_ == in_size_) {
        if (in_.eof()) {
          if (frame_open_) return Status::Corruption(path_.string() + ": the compressed stream is truncated");
          if (!pending_.empty()) return Status::Corruption(path_.string() + ": the last line has no newline");
          return false;
        }
        in_.read(inbuf_.data(), static_cast<std::streamsize>(inbuf_.size()));
        in_size_ = static_cast<size_t>(in_.gcount());
        in_pos_ = 0;
        if (in_size_ == 0) continue;
      }
      ZSTD_inBuffer in{inbuf_.data(), in_size_, in_pos_};
      ZSTD_outBuffer out{outbuf_.data(), outbuf_.size(), 0};
      const size_t r = ZSTD_decompressStream(dctx_, &out, &in);
      if (ZSTD_isError(r)) return Status::Corruption(path_.string() + ": " + ZSTD_getErrorName(r));
      frame_open_ = r != 0;
      in_pos_ = in.pos;
      pending_.append(outbuf_.data(), out.pos);
    }
  }

 private:
  fs::path path_;
  std::ifstream in_;
  ZSTD_DCtx* dctx_ = nullptr;
  std::vector<char> inbuf_, outbuf_;
  size_t in_size_ = 0, in_pos_ = 0;
  bool frame_open_ = false;
  std::string pending_;
  size_t scan_ = 0;
};

class ReplayWorkload final : public Workload {
 public:
  std::string name() const override { return "replay"; }
  std::vector<edn::Node> Schema() const override { return schema_; }
  bool Next(Step* out) override {
    if (done_) return false;
    std::string line;
    auto more = reader_.Next(&line);
    if (!more.ok()) return Fail(more.status(), out);
    if (!*more) {
      done_ = true;
      if (seen_ != transactions_)
        return Fail(Status::Corruption(dir_ + ": " + std::to_string(seen_) + " transactions, the manifest says " +
                                       std::to_string(transactions_)),
                    out);
      return false;
    }
    ++seen_;
    auto tx = edn::ReadOne(line);
    if (!tx.ok())
      return Fail(tx.status().WithContext(dir_ + "/" + kTransactions + " transaction " + std::to_string(seen_)), out);
    SetTransact(out, std::move(*tx));
    return true;
  }
  uint64_t EstimatedSteps() const override { return transactions_; }
  void RegisterTxFunctions(Connection& conn) const override {
    if (original_) original_->RegisterTxFunctions(conn);
    conn.RegisterTxFunction(kFailFn, [why = error_](const Database&, const std::vector<edn::Node>&) -> Result<edn::Node> {
      return *why;
    });
  }

  Status Open(const WorkloadOptions& options) {
    dir_ = options.data_dir;
    if (dir_.empty()) return Status::InvalidArgument("the replay workload needs --data-dir DIR (a folder strata gen wrote)");
    const fs::path dir(dir_);
    std::ifstream m(dir / kManifest);
    if (!m) return Status::NotFound(dir_ + " holds no complete dataset (no " + kManifest + "; write one with strata gen)");
    nlohmann::json j = nlohmann::json::parse(m, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("format") || !j["format"].is_number_integer() ||
        !j.contains("workload") || !j["workload"].is_string() || !j.contains("transactions") ||
        !j["transactions"].is_number_unsigned())
      return Status::Corruption((dir / kManifest).string() + ": not a dataset manifest");
    if (j["format"].get<int>() != kDatasetFormat)
      return Status::InvalidArgument((dir / kManifest).string() + ": dataset format " +
                                     std::to_string(j["format"].get<int>()) + ", this strata reads format " +
                                     std::to_string(kDatasetFormat));
    transactions_ = j["transactions"].get<uint64_t>();
    WorkloadOptions orig;
    orig.name = j["workload"].get<std::string>();
    if (orig.name == "replay") return Status::Corruption((dir / kManifest).string() + ": a dataset cannot replay a replay");
    orig.scale = j.value("scale", 1.0);
    orig.seed = j.value("seed", uint64_t{1});
    orig.data_dir = j.value("data_dir", std::string());
    // Only for its transaction functions; generators stream lazily.
    auto w = MakeWorkload(orig);
    if (w.ok()) original_ = std::move(*w);
    std::ifstream s(dir / kSchema);
    if (!s) return IoError("opening", dir / kSchema);
    std::string line;
    for (int n = 1; std::getline(s, line); ++n) {
      if (line.empty()) continue;
      auto tx = edn::ReadOne(line);
      if (!tx.ok()) return tx.status().WithContext((dir / kSchema).string() + " line " + std::to_string(n));
      schema_.push_back(std::move(*tx));
    }
    return reader_.Open(dir / kTransactions);
  }

 private:
  // A failure mid-stream (a corrupt or truncated file) becomes a last
  // transaction that calls a function returning the error, so the run stops
  // with it instead of ending short as if the data were complete.
  bool Fail(Status why, Step* out) {
    *error_ = std::move(why);
    done_ = true;
    SetTransact(out, edn::Node::Vector({edn::Node::Vector({edn::Node::Keyword(kFailFn)})}));
    return true;
  }

  std::string dir_;
  std::vector<edn::Node> schema_;
  std::unique_ptr<Workload> original_;
  ZstdLineReader reader_;
  uint64_t transactions_ = 0, seen_ = 0;
  bool done_ = false;
  std::shared_ptr<Status> error_ = std::make_shared<Status>();
};

}  // namespace

Result<DatasetSummary> WriteDataset(Workload& workload, const WorkloadOptions& options, const std::string& dir,
                                    const std::function<void(uint64_t)>& progress,
                                    const std::function<bool()>& interrupted) {
  const fs::path d(dir);
  std::error_code ec;
  if (fs::exists(d / kManifest, ec))
    return Status::InvalidArgument(dir + " already holds a dataset (remove it, or choose another --out)");
  fs::create_directories(d, ec);
  if (ec) return Status::IOError("creating " + dir + ": " + ec.message());
  DatasetSummary sum;
  auto cleanup = [&] {
    fs::remove(d / kSchema, ec);
    fs::remove(d / kTransactions, ec);
  };
  {
    std::ofstream s(d / kSchema, std::ios::trunc);
    if (!s) return IoError("creating", d / kSchema);
    for (const edn::Node& tx : workload.Schema()) s << edn::Print(tx) << '\n';
    s.close();
    if (!s) return IoError("writing", d / kSchema);
  }
  ZstdWriter w;
  STRATA_RETURN_IF_ERROR(w.Open(d / kTransactions));
  Step step;
  std::string line;
  while (workload.Next(&step)) {
    if (interrupted && interrupted()) {
      cleanup();
      return Status::Aborted("interrupted; the partial dataset in " + dir + " was removed");
    }
    if (step.kind == Step::Kind::kRead) {
      ++sum.reads;
      continue;
    }
    line = edn::Print(step.tx);
    line += '\n';
    sum.edn_bytes += line.size();
    if (Status st = w.Write(line); !st.ok()) {
      cleanup();
      return st;
    }
    ++sum.transactions;
    if (progress) progress(sum.transactions);
  }
  if (Status st = w.Finish(); !st.ok()) {
    cleanup();
    return st;
  }
  sum.bytes_written = w.bytes();
  nlohmann::json j = {{"format", kDatasetFormat},
                      {"workload", workload.name()},
                      {"scale", options.scale},
                      {"seed", options.seed},
                      {"data_dir", options.data_dir},
                      {"transactions", sum.transactions},
                      {"reads", sum.reads},
                      {"edn_bytes", sum.edn_bytes},
                      {"compressed_bytes", sum.bytes_written}};
  // The manifest goes last and by rename: a folder with one is complete.
  const fs::path tmp = d / (std::string(kManifest) + ".tmp");
  {
    std::ofstream m(tmp, std::ios::trunc);
    m << j.dump(2) << '\n';
    m.close();
    if (!m) return IoError("writing", tmp);
  }
  fs::rename(tmp, d / kManifest, ec);
  if (ec) return Status::IOError("renaming " + tmp.string() + ": " + ec.message());
  return sum;
}

Result<std::unique_ptr<Workload>> OpenReplayWorkload(const WorkloadOptions& options) {
  auto w = std::make_unique<ReplayWorkload>();
  STRATA_RETURN_IF_ERROR(w->Open(options));
  return std::unique_ptr<Workload>(std::move(w));
}

}  // namespace strata::workloads
