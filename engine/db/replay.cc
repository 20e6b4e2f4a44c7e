// replay.cc — states from roots, and transactions applied as logged.
#include "db/replay.h"

namespace strata {

Result<std::shared_ptr<const DbState>> StateFromRoot(const std::shared_ptr<DurableContext>& durable,
                                                     const std::shared_ptr<const IndexRoot>& root) {
  if (root->generation == 0) {
    auto s0 = std::make_shared<DbState>(*BootstrapState());
    s0->durable = durable;
    s0->root = root;
    return std::shared_ptr<const DbState>(std::move(s0));
  }
  // Everything up to the root's basis is durable.
  auto s0 = std::make_shared<DbState>();
  s0->durable = durable;
  s0->root = root;
  s0->mem = std::make_shared<MemIndex>();
  s0->schema = BootstrapState()->schema;
  s0->basis_t = root->basis_t;
  s0->next_t = root->next_t;
  s0->last_instant = root->last_instant;
  STRATA_ASSIGN_OR_RETURN(s0->schema, LoadSchema(*s0));
  return std::shared_ptr<const DbState>(std::move(s0));
}

Status ReplayTransaction(std::shared_ptr<const DbState>* state, T t, const std::vector<Datom>& datoms,
                         std::vector<ExcisionSpec>* excisions) {
  auto schema = (*state)->schema;
  bool touches = false;
  for (const Datom& d : datoms) touches |= IsSchemaAttr(d.a);
  if (touches) {
    auto next = std::make_shared<Schema>(*schema);
    ApplySchemaDatoms(next.get(), datoms);
    schema = std::move(next);
  }
  auto next = ApplyDatoms(**state, t, datoms, std::move(schema));
  if (HasExcision(datoms)) {
    STRATA_ASSIGN_OR_RETURN(std::vector<ExcisionSpec> specs, ExcisionSpecs(*next, t, datoms));
    uint64_t removed = 0;
    next = ApplyExcisions(next, specs, &removed);
    if (excisions) excisions->insert(excisions->end(), specs.begin(), specs.end());
  }
  *state = std::move(next);
  return Status::OK();
}

}  // namespace strata
