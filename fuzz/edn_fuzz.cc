// edn_fuzz — the EDN reader and printer on arbitrary text.
//
// Checks, for any input: ReadAll answers a value or an error (never a
// crash, never unbounded recursion or allocation); the incremental Reader
// agrees with ReadAll; and every form read prints to text that reads back
// to an equal Node (printing twice gives the same text).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "strata/edn.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "edn_fuzz: %s\n  first:  %.2000s\n  second: %.2000s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto all = edn::ReadAll(text);

  // The incremental reader reads the same forms and fails where ReadAll does.
  edn::Reader reader(text);
  edn::Node form;
  Status st;
  size_t n = 0;
  while (reader.Next(&form, &st)) {
    if (!all.ok()) continue;  // forms before the error are fine
    if (n >= all->size()) Fail("Reader read more forms than ReadAll", edn::Print(form), "");
    if (!(form == (*all)[n])) Fail("Reader and ReadAll disagree", edn::Print(form), edn::Print((*all)[n]));
    ++n;
  }
  if (all.ok() != st.ok()) Fail("Reader and ReadAll disagree on success", st.ToString(), all.status().ToString());
  if (!all.ok()) return 0;
  if (n != all->size()) Fail("Reader read fewer forms than ReadAll", std::to_string(n), std::to_string(all->size()));

  // Print, re-read, compare; the printed text is a fixed point.
  std::string printed;
  for (const edn::Node& node : *all) {
    const std::string p = edn::Print(node);
    auto again = edn::ReadOne(p);
    if (!again.ok()) Fail("printed form does not read back", p, again.status().ToString());
    if (!(*again == node)) Fail("printed form reads back different", p, edn::Print(*again));
    if (edn::Print(*again) != p) Fail("printing is not a fixed point", p, edn::Print(*again));
    printed += p;
    printed += '\n';
  }
  auto reread = edn::ReadAll(printed);
  if (!reread.ok() || reread->size() != all->size()) Fail("printed forms do not read back as many", printed, "");
  return 0;
}
