// The gateway's shared frames and conflation: what a connection that keeps up
// is sent as it is, and what one that falls behind is sent instead.
#include "ws_gateway/encoded_message.h"

#include <gtest/gtest.h>

#include "tests/unit/gateway_messages.h"

#include <google/protobuf/util/json_util.h>

#include "protocol/server_message.h"

namespace nanokit::gateway {
namespace {

namespace v1 = nanokit::bridge::v1;
using test_messages::Heartbeat;
using test_messages::Log;
using test_messages::Status;

std::vector<uint64_t> Seqs(const std::vector<EncodedMessagePtr>& messages) {
  std::vector<uint64_t> seqs;
  for (const EncodedMessagePtr& message : messages) {
    v1::ServerMessage parsed;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(message->json, &parsed).ok());
    seqs.push_back(parsed.seq());
  }
  return seqs;
}

TEST(ConflateTest, KeepsTheNewestStatusOfEachResourceAtItsOwnPlaceAndEveryLog) {
  std::vector<EncodedMessagePtr> messages = {Status("a", 1), Log("a", 2), Status("b", 3), Status("a", 4), Log("a", 5),
                               Status("b", 6)};
  Conflate(messages);
  EXPECT_EQ(Seqs(messages), (std::vector<uint64_t>{2, 4, 5, 6}));
}

TEST(ConflateTest, ARemovalStaysAndSupersedesOnlyTheStatusesBeforeIt) {
  std::vector<EncodedMessagePtr> messages = {Status("a", 1), Log("a", 2), Status("a", 3, true), Status("a", 4), Status("a", 5)};
  Conflate(messages);
  // The log before the removal stays (the client drops it with the
  // resource); the status after it starts a new resource.
  EXPECT_EQ(Seqs(messages), (std::vector<uint64_t>{2, 3, 5}));
}

// A heartbeat's state digest holds at its seq only when nothing before it
// was dropped for a newer message after it: once anything is conflated,
// the surviving heartbeat goes last.
TEST(ConflateTest, AfterADropTheNewestHeartbeatGoesLast) {
  std::vector<EncodedMessagePtr> messages = {Status("a", 1), Heartbeat(1), Log("b", 2), Heartbeat(2), Status("a", 3)};
  Conflate(messages);
  EXPECT_EQ(Seqs(messages), (std::vector<uint64_t>{2, 3, 2}));
  EXPECT_EQ(messages.back()->kind, EncodedMessage::Kind::kHeartbeat);

  std::vector<EncodedMessagePtr> untouched = {Log("b", 1), Heartbeat(1), Status("a", 2)};
  Conflate(untouched);
  EXPECT_EQ(Seqs(untouched), (std::vector<uint64_t>{1, 1, 2})) << "nothing dropped: nothing moves";
}

TEST(MakeChunksTest, JoinsEachRunOfAtMost256IntoTheBodyOfABatch) {
  std::vector<EncodedMessagePtr> messages;
  for (uint64_t i = 1; i <= 600; ++i) {
    const std::string resource = "r" + std::to_string(i);
    messages.push_back(i % 5 == 0 ? Log(resource, i) : Status(resource, i));
  }
  const std::vector<OutboundFramePtr> frames = PackFrames(messages);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0]->size(), kMaxFrameMessages);
  EXPECT_EQ(frames[2]->size(), 600 - 2 * kMaxFrameMessages);
  size_t at = 0;
  for (const OutboundFramePtr& frame : frames) {
    // The batch a connection writes: prefix, body, suffix — canonical JSON
    // of a ServerMessage holding the very same messages.
    const std::string batch = "{\"type\":\"batch\",\"messages\":[" + std::string(frame->body()) + "]}";
    v1::ServerMessage parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(batch, &parsed).ok());
    EXPECT_EQ(ToJson(parsed), batch);
    size_t log_bytes = 0;
    for (int i = 0; i < parsed.messages_size(); ++i, ++at) {
      EXPECT_EQ(ToJson(parsed.messages(i)), messages[at]->json);
      if (messages[at]->kind == EncodedMessage::Kind::kLogStream) log_bytes += messages[at]->json.size();
    }
    EXPECT_EQ(frame->log_bytes, log_bytes);
  }
  EXPECT_EQ(at, messages.size());
}

TEST(MakeChunksTest, OneMessageIsItsOwnBody) {
  const EncodedMessagePtr message = Status("a", 7);
  const std::vector<OutboundFramePtr> frames = PackFrames({message});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->body(), message->json);
  EXPECT_TRUE(frames[0]->joined.empty());
}

}  // namespace
}  // namespace nanokit::gateway
