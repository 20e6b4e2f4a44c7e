#include "strata/status.h"

namespace strata {

const char* CodeName(Code c) {
  switch (c) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "Invalid argument";
    case Code::kNotFound: return "Not found";
    case Code::kConflict: return "Conflict";
    case Code::kCorruption: return "Corruption";
    case Code::kIOError: return "IO error";
    case Code::kBusy: return "Busy";
    case Code::kAborted: return "Aborted";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + msg_;
}

}  // namespace strata
