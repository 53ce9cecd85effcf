// A shard's feed without sockets: fake subscribers on an io_context the test
// runs by hand, and a manual clock, so order and pacing are checked without
// threads or sleeps.
#include "ws_gateway/shard_feed.h"

#include <gtest/gtest.h>

#include <functional>

#include <google/protobuf/util/json_util.h>

#include "tests/unit/gateway_messages.h"

namespace nanokit::gateway {
namespace {

namespace v1 = nanokit::bridge::v1;
using test_messages::Status;

// Records the seqs it is delivered, one list per Deliver call; may advance
// the clock as if delivering took time.
class FakeSubscriber : public Subscriber {
 public:
  FakeSubscriber(uint64_t id, ManualClock* clock = nullptr, absl::Duration takes = absl::ZeroDuration())
      : id_(id), clock_(clock), takes_(takes) {}
  uint64_t id() const override { return id_; }
  size_t shard() const override { return 0; }
  void Deliver(absl::Span<const OutboundFramePtr> frames) override {
    std::vector<uint64_t> seqs;
    for (const OutboundFramePtr& frame : frames) {
      for (const EncodedMessagePtr& message : frame->messages) {
        v1::ServerMessage parsed;
        EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(message->json, &parsed).ok());
        seqs.push_back(parsed.seq());
      }
    }
    deliveries.push_back(seqs);
    if (clock_ != nullptr) clock_->Advance(takes_);
    if (during) std::exchange(during, nullptr)();
  }
  // Runs once, inside the next delivery (as if it arrived meanwhile).
  std::function<void()> during;
  std::vector<uint64_t> AllSeqs() const {
    std::vector<uint64_t> all;
    for (const auto& d : deliveries) all.insert(all.end(), d.begin(), d.end());
    return all;
  }
  std::vector<std::vector<uint64_t>> deliveries;

 private:
  uint64_t id_;
  ManualClock* clock_;
  absl::Duration takes_;
};

OutboundFramePtr FrameOf(std::vector<EncodedMessagePtr> messages) { return PackFrames(messages).front(); }

class ShardFeedTest : public ::testing::Test {
 protected:
  boost::asio::io_context shard_{1};
  ManualClock clock_;
  std::shared_ptr<ShardFeed> feed_ = std::make_shared<ShardFeed>(shard_, clock_);

  // Runs what is ready on the shard, without waiting for anything.
  void RunShard() {
    shard_.restart();
    shard_.poll();
  }
};

TEST_F(ShardFeedTest, ASubscriberGetsItsReplyThenExactlyTheChunksAfterIt) {
  auto early = std::make_shared<FakeSubscriber>(1);
  auto late = std::make_shared<FakeSubscriber>(2);
  feed_->Push(FeedJoin{early, FrameOf({Status("snapshot", 10)})});
  feed_->Push(FeedChunk{FrameOf({Status("a", 11)})});
  feed_->Push(FeedJoin{late, FrameOf({Status("snapshot", 11)})});
  feed_->Push(FeedChunk{FrameOf({Status("b", 12)})});
  EXPECT_TRUE(early->deliveries.empty()) << "nothing runs before the shard's thread does";
  RunShard();
  EXPECT_EQ(early->AllSeqs(), (std::vector<uint64_t>{10, 11, 12}));
  EXPECT_EQ(late->AllSeqs(), (std::vector<uint64_t>{11, 12}));
  EXPECT_EQ(feed_->member_count(), 2u);
}

TEST_F(ShardFeedTest, ConsecutiveChunksLeaveInOneDeliveryConflatedOnce) {
  auto member = std::make_shared<FakeSubscriber>(1);
  feed_->Push(FeedJoin{member, FrameOf({Status("snapshot", 1)})});
  RunShard();
  for (uint64_t seq = 2; seq <= 5; ++seq) feed_->Push(FeedChunk{FrameOf({Status("a", seq)})});
  RunShard();
  ASSERT_EQ(member->deliveries.size(), 2u);
  EXPECT_EQ(member->deliveries[1], (std::vector<uint64_t>{5})) << "four statuses of one resource: the newest";
}

TEST_F(ShardFeedTest, ALeaverGetsNothingMoreAndRejoiningReplacesTheMember) {
  auto a = std::make_shared<FakeSubscriber>(1);
  auto b = std::make_shared<FakeSubscriber>(2);
  feed_->Push(FeedJoin{a, FrameOf({Status("snapshot", 1)})});
  feed_->Push(FeedJoin{b, FrameOf({Status("snapshot", 1)})});
  feed_->Push(FeedLeave{1});
  feed_->Push(FeedChunk{FrameOf({Status("x", 2)})});
  feed_->Push(FeedJoin{b, FrameOf({Status("snapshot", 2)})});  // b subscribes again
  feed_->Push(FeedChunk{FrameOf({Status("y", 3)})});
  RunShard();
  EXPECT_EQ(a->AllSeqs(), (std::vector<uint64_t>{1}));
  EXPECT_EQ(b->AllSeqs(), (std::vector<uint64_t>{1, 2, 2, 3}));
  EXPECT_EQ(feed_->member_count(), 1u);
  feed_->Push(FeedLeaveAll{});
  feed_->Push(FeedChunk{FrameOf({Status("z", 4)})});
  RunShard();
  EXPECT_EQ(feed_->member_count(), 0u);
  EXPECT_EQ(b->AllSeqs().back(), 3u);
}

// A delivery that takes 5 ms (on the manual clock) while more arrives makes
// the next one wait: what arrives meanwhile is held back, to leave together.
TEST_F(ShardFeedTest, ALoadedShardHoldsTheNextDeliveryBack) {
  auto slow = std::make_shared<FakeSubscriber>(1, &clock_, absl::Milliseconds(5));
  slow->during = [&] { feed_->Push(FeedChunk{FrameOf({Status("a", 2)})}); };
  feed_->Push(FeedJoin{slow, FrameOf({Status("snapshot", 1)})});
  RunShard();
  ASSERT_EQ(slow->deliveries.size(), 1u);
  EXPECT_EQ(slow->AllSeqs(), (std::vector<uint64_t>{1})) << "delivered at once although the shard is loaded";
  feed_->Push(FeedChunk{FrameOf({Status("b", 3)})});
  RunShard();
  EXPECT_EQ(slow->deliveries.size(), 1u);
  clock_.Advance(absl::Milliseconds(10));
  shard_.restart();
  shard_.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(slow->deliveries.size(), 2u);
  EXPECT_EQ(slow->deliveries.back(), (std::vector<uint64_t>{2, 3})) << "held back together, then sent together";
}

// A slow delivery with nothing arriving meanwhile: the shard has time to
// spare, and the next arrival leaves at once.
TEST_F(ShardFeedTest, ASlowDeliveryAloneHoldsNothingBack) {
  auto slow = std::make_shared<FakeSubscriber>(1, &clock_, absl::Milliseconds(5));
  feed_->Push(FeedJoin{slow, FrameOf({Status("snapshot", 1)})});
  RunShard();
  feed_->Push(FeedChunk{FrameOf({Status("a", 2)})});
  RunShard();
  EXPECT_EQ(slow->deliveries.size(), 2u);
}

TEST(PacerTest, WaitsTwiceTheLastDeliveryAtMostTwentyMilliseconds) {
  const absl::Time t = absl::FromUnixSeconds(1000);
  EXPECT_EQ(Pacer::NotBefore(t, t + absl::Microseconds(900)), t + absl::Microseconds(900)) << "fast: no wait";
  EXPECT_EQ(Pacer::NotBefore(t, t + absl::Milliseconds(3)), t + absl::Milliseconds(9));
  EXPECT_EQ(Pacer::NotBefore(t, t + absl::Milliseconds(30)), t + absl::Milliseconds(50));
}

}  // namespace
}  // namespace nanokit::gateway
