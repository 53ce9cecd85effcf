// ShardTicker on a real io_context: every target visited once a period,
// spread over the period's ticks, and targets leaving or joining mid-tick.

#include "ws_gateway/shard_ticker.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "absl/time/clock.h"

namespace nanokit::gateway {
namespace {

namespace net = boost::asio;

struct CountingTarget : TickTarget {
  std::vector<absl::Time> visits;
  std::function<void(TickRound&)> on_tick;
  void OnTick(TickRound& round) override {
    visits.push_back(absl::Now());
    if (on_tick) on_tick(round);
  }
};

void RunFor(net::io_context& ioc, absl::Duration duration) {
  ioc.restart();
  ioc.run_for(absl::ToChronoNanoseconds(duration));
}

TEST(ShardTickerTest, EveryTargetIsVisitedOnceAPeriodFromAPeriodAfterItCame) {
  net::io_context ioc;
  auto ticker = std::make_shared<ShardTicker>(ioc, absl::Milliseconds(400), Clock::Real());
  EXPECT_EQ(ticker->slot_count(), 20u) << "a tick every 20 ms at most";
  ticker->Start();
  // Five targets arrive every 20 ms over one period, as connections open.
  std::vector<CountingTarget> targets(100);
  std::vector<absl::Time> added(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i > 0 && i % 5 == 0) RunFor(ioc, absl::Milliseconds(20));
    added[i] = absl::Now();
    ticker->Add(&targets[i]);
  }
  EXPECT_EQ(ticker->size(), 100u);
  RunFor(ioc, absl::Milliseconds(2000));
  std::map<int64_t, int> per_tick;  // visits by 20 ms bucket
  for (size_t t = 0; t < targets.size(); ++t) {
    const CountingTarget& target = targets[t];
    // About five visits each in 2 s at 400 ms, never two in one period, and
    // none in the first three quarters of one: a new dashboard's first
    // heartbeat comes most of an interval after it opened, not before its
    // snapshot.
    EXPECT_GE(target.visits.size(), 4u);
    EXPECT_LE(target.visits.size(), 6u);
    ASSERT_FALSE(target.visits.empty());
    EXPECT_GT(target.visits.front() - added[t], absl::Milliseconds(250)) << t;
    for (size_t i = 1; i < target.visits.size(); ++i) {
      EXPECT_GT(target.visits[i] - target.visits[i - 1], absl::Milliseconds(300));
    }
    for (absl::Time visit : target.visits) ++per_tick[absl::ToUnixMillis(visit) / 20];
  }
  // About five targets a tick, not a hundred in one.
  int most = 0;
  for (auto [bucket, count] : per_tick) most = std::max(most, count);
  EXPECT_LE(most, 15);
  for (auto& target : targets) ticker->Remove(&target);
  EXPECT_EQ(ticker->size(), 0u);
}

TEST(ShardTickerTest, TargetsMayLeaveOrJoinDuringATick) {
  net::io_context ioc;
  auto ticker = std::make_shared<ShardTicker>(ioc, absl::Milliseconds(40), Clock::Real());
  ASSERT_EQ(ticker->slot_count(), 2u);
  auto leaving = std::make_unique<CountingTarget>();
  auto staying = std::make_unique<CountingTarget>();
  CountingTarget joining;
  auto remover = std::make_unique<CountingTarget>();
  // Added together, the three share a slot, in this order: the remover is
  // visited first and removes (and destroys) a target its tick has not
  // reached yet.
  ticker->Add(remover.get());
  ticker->Add(staying.get());
  ticker->Add(leaving.get());
  bool removed = false;
  remover->on_tick = [&](TickRound&) {
    if (removed) return;
    removed = true;
    ticker->Remove(leaving.get());
    EXPECT_TRUE(leaving->visits.empty());
    leaving.reset();  // destroyed at once: this very tick must skip it
    ticker->Remove(remover.get());
    ticker->Add(&joining);
  };
  ticker->Start();
  RunFor(ioc, absl::Milliseconds(400));
  EXPECT_TRUE(removed);
  EXPECT_GE(staying->visits.size(), 5u);
  EXPECT_GE(joining.visits.size(), 5u) << "a target added mid-tick is visited from then on";
  EXPECT_EQ(remover->visits.size(), 1u);
  EXPECT_EQ(ticker->size(), 2u);
  ticker->Stop();
  RunFor(ioc, absl::Milliseconds(100));
  const size_t after_stop = staying->visits.size();
  RunFor(ioc, absl::Milliseconds(100));
  EXPECT_EQ(staying->visits.size(), after_stop) << "stopped";
}

TEST(ShardTickerTest, ARoundBuildsEachSharedFrameOnce) {
  TickRound round(absl::Now());
  int built = 0;
  const int key_a = 0, key_b = 0;
  auto build = [&] {
    ++built;
    return PackFrames({EncodeMessage(bridge::v1::ServerMessage())}).front();
  };
  const OutboundFramePtr first = round.SharedFrame(&key_a, build);
  EXPECT_EQ(round.SharedFrame(&key_a, build), first);
  EXPECT_NE(round.SharedFrame(&key_b, build), first);
  EXPECT_NE(round.SharedFrame(nullptr, build), nullptr);
  EXPECT_EQ(built, 3);
}

}  // namespace
}  // namespace nanokit::gateway
