// The write timeout, driven by a ManualClock: no sleeps.

#include "ws_gateway/write_watchdog.h"

#include <gtest/gtest.h>

namespace nanokit::gateway {
namespace {

TEST(WriteWatchdogTest, NothingIsOverdueWithoutAWriteInFlight) {
  ManualClock clock;
  WriteWatchdog watchdog(absl::Seconds(30), clock);
  clock.Advance(absl::Hours(1));
  EXPECT_FALSE(watchdog.Overdue());
}

TEST(WriteWatchdogTest, AWriteIsOverdueOnlyPastTheTimeout) {
  ManualClock clock;
  WriteWatchdog watchdog(absl::Seconds(30), clock);
  watchdog.WriteStarted();
  clock.Advance(absl::Seconds(30));
  EXPECT_FALSE(watchdog.Overdue()) << "exactly the timeout is still within it";
  clock.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(watchdog.Overdue());
  EXPECT_EQ(*watchdog.Overdue(), absl::Seconds(30) + absl::Milliseconds(1));
}

TEST(WriteWatchdogTest, EachWriteIsTimedFromItsOwnStart) {
  ManualClock clock;
  WriteWatchdog watchdog(absl::Seconds(30), clock);
  // A connection that keeps writing, each write quick, is never overdue
  // however long it lives.
  for (int i = 0; i < 100; ++i) {
    watchdog.WriteStarted();
    clock.Advance(absl::Seconds(1));
    watchdog.WriteFinished();
    clock.Advance(absl::Seconds(10));
    EXPECT_FALSE(watchdog.Overdue());
  }
  watchdog.WriteStarted();
  clock.Advance(absl::Seconds(31));
  EXPECT_TRUE(watchdog.Overdue());
  watchdog.WriteFinished();
  EXPECT_FALSE(watchdog.Overdue()) << "a write that completed late is no longer in flight";
}

}  // namespace
}  // namespace nanokit::gateway
