// strata/tx_encoding.h: the log's record payload coding, made public.
#include "strata/tx_encoding.h"

#include "format/log.h"

namespace strata {

std::string EncodeTransaction(T t, const std::vector<Datom>& datoms) {
  LogRecord rec;
  rec.t = t;
  rec.datoms = datoms;
  return EncodeLogPayload(rec);
}

Status DecodeTransaction(std::string_view bytes, T* t, std::vector<Datom>* datoms) {
  LogRecord rec;
  STRATA_RETURN_IF_ERROR(DecodeLogPayload(bytes, &rec));
  *t = rec.t;
  *datoms = std::move(rec.datoms);
  return Status::OK();
}

}  // namespace strata
