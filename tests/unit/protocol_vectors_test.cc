// The examples of docs/protocol.md (tests/vectors/*.json) are what this code
// reads and writes: each parses strictly as its message and prints back byte
// for byte. The JS and Python tests read the same files.

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "nanokit/bridge/v1/websocket.pb.h"
#include "protocol/server_message.h"

namespace nanokit {
namespace {

namespace fs = std::filesystem;
namespace v1 = nanokit::bridge::v1;

struct Vector {
  std::string name;
  std::string json;  // without the final newline
};

std::vector<Vector> LoadVectors(const std::string& prefix) {
  std::vector<Vector> vectors;
  for (const auto& entry : fs::directory_iterator(NANOKIT_VECTORS_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    std::string json = text.str();
    while (!json.empty() && json.back() == '\n') json.pop_back();
    vectors.push_back({name, json});
  }
  return vectors;
}

template <typename Message>
Message ParseStrict(const Vector& vector) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(vector.json, &message, options);
  EXPECT_TRUE(status.ok()) << vector.name << ": " << status.message().as_string();
  return message;
}

TEST(ProtocolVectorsTest, ServerMessagesParseAndPrintBackExactly) {
  std::set<std::string> types;
  const auto vectors = LoadVectors("server-");
  ASSERT_GE(vectors.size(), 9u);
  for (const Vector& vector : vectors) {
    auto message = ParseStrict<v1::ServerMessage>(vector);
    EXPECT_EQ(ToJson(message), vector.json) << vector.name << " is not the canonical JSON the gateway writes";
    types.insert(message.type());
    for (const auto& inner : message.messages()) types.insert(inner.type());
  }
  EXPECT_EQ(types, (std::set<std::string>{"status_update", "log_stream", "reconcile_start", "reconcile_end",
                                          "snapshot", "resumed", "batch", "heartbeat", "error", "projects", "authenticated"}))
      << "every ServerMessage type has an example";
}

TEST(ProtocolVectorsTest, EventsRoundTripThroughTheHubsEventType) {
  for (const Vector& vector : LoadVectors("server-")) {
    auto message = ParseStrict<v1::ServerMessage>(vector);
    v1::Event event;
    if (!ServerMessageToEvent(message, &event)) continue;
    EXPECT_EQ(ToJson(EventToServerMessage(event)), vector.json) << vector.name;
  }
}

TEST(ProtocolVectorsTest, ClientMessagesParseAndPrintBackExactly) {
  std::set<std::string> types;
  const auto vectors = LoadVectors("client-");
  ASSERT_GE(vectors.size(), 3u);
  for (const Vector& vector : vectors) {
    auto message = ParseStrict<v1::ClientMessage>(vector);
    EXPECT_EQ(ToJson(message), vector.json) << vector.name;
    types.insert(message.type());
  }
  EXPECT_EQ(types, (std::set<std::string>{"subscribe", "unsubscribe", "watch_projects", "unwatch_projects", "auth"}));
}

TEST(ProtocolVectorsTest, BatchIsTheSplicedJoinOfItsMessages) {
  for (const Vector& vector : LoadVectors("server-batch")) {
    auto batch = ParseStrict<v1::ServerMessage>(vector);
    std::vector<std::string> parts;
    for (const auto& inner : batch.messages()) parts.push_back(ToJson(inner));
    std::vector<absl::string_view> views(parts.begin(), parts.end());
    v1::ServerMessage header;
    header.set_type("batch");
    EXPECT_EQ(JsonWithMessages(header, views), vector.json);
  }
}

}  // namespace
}  // namespace nanokit
