// Any text as a credentials file (an operator's hand edit, a truncated
// write): parsed without a crash, and what parses writes back as a file
// that parses to the same credentials (the writer and the parser agree).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "auth/credentials.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = nanokit::auth::CredentialSet::Parse(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string written = parsed->Serialize();
  auto again = nanokit::auth::CredentialSet::Parse(written);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->Serialize() == written);
  FUZZ_CHECK(again->credentials().size() == parsed->credentials().size());
  return 0;
}
