#include "protocol/state_digest.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace nanokit::protocol {

void StateDigest::Hash(absl::string_view bytes) {
  for (unsigned char c : bytes) {
    hash_ ^= c;
    hash_ *= 1099511628211ull;  // the FNV-1a 64-bit prime
  }
}

void StateDigest::Field(absl::string_view bytes) {
  Hash(absl::StrCat(bytes.size(), ":"));
  Hash(bytes);
  Hash(",");
}

void StateDigest::AddResource(absl::string_view resource_id, absl::string_view kind, absl::string_view status,
                              absl::string_view message) {
  Field("r");
  Field(resource_id);
  Field(kind);
  Field(status);
  Field(message);
}

void StateDigest::AddReconcile(absl::string_view reconcile_id, bool running, absl::string_view outcome) {
  Field("c");
  Field(reconcile_id);
  Field(running ? "1" : "0");
  Field(outcome);
}

std::string StateDigest::Hex() const { return absl::StrFormat("%016x", hash_); }

}  // namespace nanokit::protocol
