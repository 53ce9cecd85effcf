// A browser's message, whatever it holds, into the gateway's request parser:
// it never crashes, a subscribe it accepts names a valid project, and what
// it refuses is answered with one of the documented error codes (an "auth"
// without a token is "unauthenticated").
#include <cstddef>
#include <cstdint>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "fuzz/fuzz_check.h"
#include "protocol/names.h"
#include "protocol/server_message.h"
#include "ws_gateway/client_request.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  SilenceProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanokit;
  auto result = gateway::ParseClientRequest(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (const auto* request = std::get_if<gateway::ClientRequest>(&result)) {
    if (request->kind == gateway::ClientRequest::Kind::kSubscribe) {
      FUZZ_CHECK(protocol::IsValidProjectName(request->project));
    }
    return 0;
  }
  const auto& error = std::get<bridge::v1::ServerMessage>(result);
  const std::string& code = error.error().code();
  FUZZ_CHECK(error.type() == "error");
  FUZZ_CHECK(code == "invalid_json" || code == "unknown_type" || code == "invalid_project" ||
             code == "unauthenticated");
  // What the gateway sends must be JSON a client can read back (an error
  // text cut inside a UTF-8 sequence once made it empty).
  bridge::v1::ServerMessage back;
  FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(ToJson(error), &back).ok());
  FUZZ_CHECK(back.error().code() == code);
  return 0;
}
