#include "auth/json_object.h"

#include <google/protobuf/util/json_util.h>

namespace nanokit::auth {

namespace pb = google::protobuf;

absl::StatusOr<pb::Struct> ParseJsonObject(absl::string_view json) {
  pb::Struct object;
  if (!pb::util::JsonStringToMessage(std::string(json), &object).ok()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  return object;
}

const pb::Value* FindField(const pb::Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const pb::Struct& object, const std::string& name) {
  const pb::Value* value = FindField(object, name);
  return value != nullptr && value->has_string_value() ? value->string_value() : std::string();
}

}  // namespace nanokit::auth
