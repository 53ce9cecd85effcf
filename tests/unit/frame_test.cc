// The gateway's shared chunks and conflation: what a connection that keeps up
// is sent as it is, and what one that falls behind is sent instead.
#include "ws_gateway/frame.h"

#include <gtest/gtest.h>

#include "tests/support/gateway_messages.h"

#include <google/protobuf/util/json_util.h>

#include "common/server_message.h"

namespace nanokit::gateway {
namespace {

namespace v1 = nanokit::bridge::v1;
using test_messages::Heartbeat;
using test_messages::Log;
using test_messages::Status;

std::vector<uint64_t> Seqs(const std::vector<Frame>& frames) {
  std::vector<uint64_t> seqs;
  for (const Frame& frame : frames) {
    v1::ServerMessage message;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(frame->json, &message).ok());
    seqs.push_back(message.seq());
  }
  return seqs;
}

TEST(ConflateTest, KeepsTheNewestStatusOfEachResourceAtItsOwnPlaceAndEveryLog) {
  std::vector<Frame> frames = {Status("a", 1), Log("a", 2), Status("b", 3), Status("a", 4), Log("a", 5),
                               Status("b", 6)};
  Conflate(frames);
  EXPECT_EQ(Seqs(frames), (std::vector<uint64_t>{2, 4, 5, 6}));
}

TEST(ConflateTest, ARemovalStaysAndSupersedesOnlyTheStatusesBeforeIt) {
  std::vector<Frame> frames = {Status("a", 1), Log("a", 2), Status("a", 3, true), Status("a", 4), Status("a", 5)};
  Conflate(frames);
  // The log before the removal stays (the client drops it with the
  // resource); the status after it starts a new resource.
  EXPECT_EQ(Seqs(frames), (std::vector<uint64_t>{2, 3, 5}));
}

// A heartbeat's state digest holds at its seq only when nothing before it
// was dropped for a newer message after it: once anything is conflated,
// the surviving heartbeat goes last.
TEST(ConflateTest, AfterADropTheNewestHeartbeatGoesLast) {
  std::vector<Frame> frames = {Status("a", 1), Heartbeat(1), Log("b", 2), Heartbeat(2), Status("a", 3)};
  Conflate(frames);
  EXPECT_EQ(Seqs(frames), (std::vector<uint64_t>{2, 3, 2}));
  EXPECT_EQ(frames.back()->kind, EncodedMessage::Kind::kHeartbeat);

  std::vector<Frame> untouched = {Log("b", 1), Heartbeat(1), Status("a", 2)};
  Conflate(untouched);
  EXPECT_EQ(Seqs(untouched), (std::vector<uint64_t>{1, 1, 2})) << "nothing dropped: nothing moves";
}

TEST(MakeChunksTest, JoinsEachRunOfAtMost256IntoTheBodyOfABatch) {
  std::vector<Frame> frames;
  for (uint64_t i = 1; i <= 600; ++i) {
    const std::string resource = "r" + std::to_string(i);
    frames.push_back(i % 5 == 0 ? Log(resource, i) : Status(resource, i));
  }
  const std::vector<Chunk> chunks = MakeChunks(frames);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0]->size(), kMaxBatchMessages);
  EXPECT_EQ(chunks[2]->size(), 600 - 2 * kMaxBatchMessages);
  size_t at = 0;
  for (const Chunk& chunk : chunks) {
    // The batch a connection writes: prefix, body, suffix — canonical JSON
    // of a ServerMessage holding the very same messages.
    const std::string batch = "{\"type\":\"batch\",\"messages\":[" + std::string(chunk->body()) + "]}";
    v1::ServerMessage parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(batch, &parsed).ok());
    EXPECT_EQ(ToJson(parsed), batch);
    size_t log_bytes = 0;
    for (int i = 0; i < parsed.messages_size(); ++i, ++at) {
      EXPECT_EQ(ToJson(parsed.messages(i)), frames[at]->json);
      if (frames[at]->kind == EncodedMessage::Kind::kLogStream) log_bytes += frames[at]->json.size();
    }
    EXPECT_EQ(chunk->log_bytes, log_bytes);
  }
  EXPECT_EQ(at, frames.size());
}

TEST(MakeChunksTest, OneMessageIsItsOwnBody) {
  const Frame frame = Status("a", 7);
  const std::vector<Chunk> chunks = MakeChunks({frame});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0]->body(), frame->json);
  EXPECT_TRUE(chunks[0]->joined.empty());
}

}  // namespace
}  // namespace nanokit::gateway
