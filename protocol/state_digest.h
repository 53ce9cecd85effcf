#pragma once
// The digest of a project's state that heartbeats carry (docs/protocol.md,
// "State digest"), so that a reader can prove its merged state equals the
// writer's at the same seq. Canonical and simple enough for any language:
// each resource in resource_id byte order as the fields "r", id, kind,
// status, message; then, when there is a reconcile, "c", its id, running
// ("1"/"0"), outcome; each field written as a netstring (its byte length in
// decimal, ':', the bytes, ','); the 64-bit FNV-1a hash of those bytes, in
// 16 lowercase hex digits. Logs and times are not part of it. Checked
// against tests/vectors/rules/digests.json here, in JavaScript and Python.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace nanokit::protocol {

class StateDigest {
 public:
  // In resource_id byte order. status: the enum's name ("HEALTHY").
  void AddResource(absl::string_view resource_id, absl::string_view kind, absl::string_view status,
                   absl::string_view message);
  // At most once, after the resources; only when a reconcile is known.
  void AddReconcile(absl::string_view reconcile_id, bool running, absl::string_view outcome);
  std::string Hex() const;

 private:
  void Field(absl::string_view bytes);
  void Hash(absl::string_view bytes);

  uint64_t hash_ = 14695981039346656037ull;  // the FNV-1a offset basis
};

}  // namespace nanokit::protocol
