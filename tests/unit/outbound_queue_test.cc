// A connection's outbound queue and its slow-consumer policy, without a
// socket: what a connection that falls behind is sent, and when it is one
// too slow to keep.
#include "ws_gateway/outbound_queue.h"

#include <gtest/gtest.h>

#include "tests/unit/gateway_messages.h"

#include <google/protobuf/util/json_util.h>

namespace nanokit::gateway {
namespace {

namespace v1 = nanokit::bridge::v1;
using test_messages::Log;
using test_messages::Status;

std::vector<v1::ServerMessage> Messages(const WriteBatch& batch) {
  std::vector<v1::ServerMessage> out;
  for (const OutboundFramePtr& frame : batch) {
    for (const EncodedMessagePtr& message : frame->messages) {
      v1::ServerMessage parsed;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(message->json, &parsed).ok());
      out.push_back(parsed);
    }
  }
  return out;
}

std::vector<v1::ServerMessage> Drain(OutboundQueue& queue) {
  std::vector<v1::ServerMessage> out;
  while (!queue.empty()) {
    auto batch = Messages(queue.TakeWrite());
    EXPECT_LE(batch.size(), kMaxFrameMessages);
    out.insert(out.end(), batch.begin(), batch.end());
  }
  return out;
}

TEST(OutboundQueueTest, KeepsItsOwnCountsAsChunksComeAndGo) {
  OutboundQueue queue({});
  ASSERT_TRUE(queue.Push(PackFrames({Status("a", 1), Log("a", 2)})));
  ASSERT_TRUE(queue.Push(PackFrames({Status("b", 3)})));
  EXPECT_EQ(queue.messages(), 3u);
  EXPECT_GT(queue.log_bytes(), 0u);
  const size_t bytes = queue.bytes();
  EXPECT_GT(bytes, 0u);
  auto batch = queue.TakeWrite();
  EXPECT_EQ(batch.size(), 2u) << "both frames fit one write";
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.messages(), 0u);
  EXPECT_EQ(queue.bytes(), 0u);
  EXPECT_EQ(queue.log_bytes(), 0u);
}

TEST(OutboundQueueTest, AWriteTakesWholeChunksUpToTheBatchBound) {
  OutboundQueue queue({});
  std::vector<EncodedMessagePtr> messages;
  for (uint64_t i = 1; i <= 300; ++i) messages.push_back(Log("a", i));
  ASSERT_TRUE(queue.Push(PackFrames(messages)));  // 256 + 44
  ASSERT_TRUE(queue.Push(PackFrames({Log("a", 301)})));
  EXPECT_EQ(Messages(queue.TakeWrite()).size(), kMaxFrameMessages);
  EXPECT_EQ(Messages(queue.TakeWrite()).size(), 45u);
}

TEST(OutboundQueueTest, ABacklogIsConflatedButKeepsRemovalsAndEveryLogLine) {
  OutboundQueue queue({});
  uint64_t seq = 0;
  // One frame per hub batch, many more than a compaction waits for.
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(queue.Push(PackFrames({Status("a", ++seq), Status("b", ++seq), Log("a", ++seq)})));
  }
  ASSERT_TRUE(queue.Push(PackFrames({Status("a", ++seq, /*removed=*/true), Status("a", ++seq)})));
  EXPECT_LT(queue.messages(), 600u) << "the backlog was never compacted";
  auto messages = Drain(queue);
  size_t logs = 0;
  size_t removals = 0;
  uint64_t last_seq = 0;
  for (const auto& m : messages) {
    EXPECT_GT(m.seq(), last_seq) << "out of order";
    last_seq = m.seq();
    logs += m.type() == "log_stream";
    removals += m.status_update().removed();
  }
  EXPECT_EQ(logs, 200u);
  EXPECT_EQ(removals, 1u);
  EXPECT_EQ(messages.back().status_update().message(), "m" + std::to_string(seq));
}

TEST(OutboundQueueTest, PastTheLogBoundTheOldestLinesAreDroppedAndToldWithTheNext) {
  OutboundLimits limits;
  limits.max_log_bytes = 2000;
  OutboundQueue queue(limits);
  uint64_t pushed_lines = 0;
  // The first message already reports 7 lines dropped upstream.
  ASSERT_TRUE(queue.Push(PackFrames({Log("web", 1, 2, /*dropped=*/7)})));
  pushed_lines += 2 + 7;
  for (uint64_t seq = 2; seq <= 100; ++seq) {
    ASSERT_TRUE(queue.Push(PackFrames({Log("web", seq, 2)})));
    pushed_lines += 2;
  }
  EXPECT_LE(queue.log_bytes(), limits.max_log_bytes);
  auto messages = Drain(queue);
  ASSERT_LT(messages.size(), 100u);
  uint64_t reported = 0;
  for (const auto& m : messages) reported += static_cast<uint64_t>(m.log_stream().lines_size()) + m.log_stream().dropped_lines();
  EXPECT_EQ(reported, pushed_lines) << "every line is delivered or counted, including those dropped upstream";
  EXPECT_EQ(messages.back().seq(), 100u) << "the newest lines are kept";
}

TEST(OutboundQueueTest, AConnectionThatDoesNotReadIsASlowConsumer) {
  OutboundLimits limits;
  limits.max_bytes = 10000;
  OutboundQueue queue(limits);
  bool slow = false;
  // Log lines are never conflated; the byte bound is what is reached.
  for (uint64_t seq = 1; seq <= 1000 && !slow; ++seq) slow = !queue.Push(PackFrames({Log("r" + std::to_string(seq), seq, 3)}));
  EXPECT_TRUE(slow);
  EXPECT_GT(queue.bytes(), limits.max_bytes);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(OutboundQueueTest, OneLargeMessageAloneIsNotABacklog) {
  OutboundLimits limits;
  limits.max_bytes = 100;
  OutboundQueue queue(limits);
  EXPECT_TRUE(queue.Push(PackFrames({Log("web", 1, 50)})));
  EXPECT_FALSE(queue.Push(PackFrames({Log("web", 2, 1)}))) << "a message behind it is";
}

TEST(OutboundQueueTest, TheMessageBoundIsASlowConsumerToo) {
  OutboundLimits limits;
  limits.max_messages = 50;
  OutboundQueue queue(limits);
  bool slow = false;
  for (uint64_t seq = 1; seq <= 60 && !slow; ++seq) slow = !queue.Push(PackFrames({Log("web", seq)}));
  EXPECT_TRUE(slow);
}

}  // namespace
}  // namespace nanokit::gateway
