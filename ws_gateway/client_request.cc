#include "ws_gateway/client_request.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "protocol/names.h"
#include "protocol/server_message.h"

namespace nanokit::gateway {

namespace v1 = nanokit::bridge::v1;

std::variant<ClientRequest, v1::ServerMessage> ParseClientRequest(absl::string_view text) {
  v1::ClientMessage message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // newer clients may send more
  auto status = google::protobuf::util::JsonStringToMessage(std::string(text), &message, options);
  if (!status.ok()) {
    // The parser's message quotes the input: it is untrusted text.
    return ErrorMessage("invalid_json",
                        absl::StrCat("not a ClientMessage in JSON: ", protocol::Quoted(status.message().as_string(), 200)));
  }
  if (message.type() == "subscribe") {
    if (!protocol::IsValidProjectName(message.project())) {
      return ErrorMessage("invalid_project", protocol::kProjectNameRule);
    }
    return ClientRequest{ClientRequest::Kind::kSubscribe, message.project(), message.epoch(), message.after_seq()};
  }
  if (message.type() == "unsubscribe") {
    return ClientRequest{ClientRequest::Kind::kUnsubscribe, message.project(), "", 0};
  }
  if (message.type() == "watch_projects") return ClientRequest{ClientRequest::Kind::kWatchProjects, "", "", 0};
  if (message.type() == "unwatch_projects") return ClientRequest{ClientRequest::Kind::kUnwatchProjects, "", "", 0};
  if (message.type() == "auth") {
    if (message.token().empty()) return ErrorMessage("unauthenticated", "\"auth\" needs a \"token\"");
    ClientRequest request{ClientRequest::Kind::kAuth, "", "", 0};
    request.token = message.token();
    return request;
  }
  return ErrorMessage("unknown_type",
                      absl::StrCat("unknown message type ", protocol::Quoted(message.type()),
                                   "; expected subscribe, unsubscribe, watch_projects, unwatch_projects or auth"));
}

}  // namespace nanokit::gateway
