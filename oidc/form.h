#pragma once
// URL query strings and application/x-www-form-urlencoded bodies: what the
// sign-in exchanges with the provider (the authorization request, the token
// request) and what the browser brings back to /auth/callback.

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nanokit::oidc {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes all but RFC 3986's unreserved characters.
std::string PercentEncode(absl::string_view text);
// name=value&name=value, each part percent-encoded.
std::string EncodeForm(const FormFields& fields);
// The fields of a query string (without the '?') or form body; '+' is a
// space. A name given twice keeps its first value. INVALID_ARGUMENT for a
// malformed escape.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ParseForm(absl::string_view text);

}  // namespace nanokit::oidc
