#pragma once
// JSON objects from identity providers and operators (JWT headers and
// claims, JWKS, discovery documents, the access map), read as protobuf's
// Struct: no JSON library besides the one the protocol already uses.

#include <string>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nanokit::auth {

// INVALID_ARGUMENT ("not a JSON object") for anything but one JSON object.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view json);

// The field's value; null when absent.
const google::protobuf::Value* FindField(const google::protobuf::Struct& object, const std::string& name);
// The field's text; empty when absent or not a string.
std::string StringField(const google::protobuf::Struct& object, const std::string& name);

}  // namespace nanokit::auth
