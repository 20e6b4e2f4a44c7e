// The replication stream (strata/replica.h): a log record's payload, behind
// functions of the replica API so that net/ never sees the log format.
#include "strata/replica.h"

#include "format/log.h"

namespace strata {

std::string EncodeReplicatedTx(T t, const std::vector<Datom>& datoms) {
  LogRecord rec;
  rec.t = t;
  rec.datoms = datoms;
  return EncodeLogPayload(rec);
}

Status DecodeReplicatedTx(std::string_view bytes, T* t, std::vector<Datom>* datoms) {
  LogRecord rec;
  STRATA_RETURN_IF_ERROR(DecodeLogPayload(bytes, &rec));
  *t = rec.t;
  *datoms = std::move(rec.datoms);
  return Status::OK();
}

}  // namespace strata
