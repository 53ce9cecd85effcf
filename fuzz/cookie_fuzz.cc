// Any bytes as what a browser sends the sign-in: a Cookie header and a
// callback's query string. No crash; a cookie found is a piece of the
// header, never longer than it; a query either parses or is refused, and
// what parses encodes and parses back to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "fuzz/fuzz_check.h"
#include "oidc/form.h"
#include "ws_gateway/cookie.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanokit;
  const std::string input(reinterpret_cast<const char*>(data), size);

  for (absl::string_view name : {gateway::kSessionCookie, gateway::kLoginCookie, absl::string_view("a")}) {
    auto value = gateway::FindCookie(input, name);
    if (value) {
      FUZZ_CHECK(value->size() <= input.size());
      FUZZ_CHECK(absl::StrContains(input, *value));
      FUZZ_CHECK(absl::StrContains(input, name));
    }
  }

  auto fields = oidc::ParseForm(input);
  if (fields.ok()) {
    oidc::FormFields pairs(fields->begin(), fields->end());
    auto again = oidc::ParseForm(oidc::EncodeForm(pairs));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *fields);
  }
  return 0;
}
