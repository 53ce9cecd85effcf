// The write timeout, driven by a ManualClock: no sleeps.

#include "ws_gateway/write_watchdog.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace nanokit::gateway {
namespace {

TEST(WriteWatchdogTest, NothingIsOverdueWithoutAWriteInFlight) {
  ManualClock clock;
  WriteWatchdog watchdog;
  const absl::Duration timeout = absl::Seconds(30);
  clock.Advance(absl::Hours(1));
  EXPECT_FALSE(watchdog.Overdue(clock.Now(), timeout));
}

TEST(WriteWatchdogTest, AWriteIsOverdueOnlyPastTheTimeout) {
  ManualClock clock;
  WriteWatchdog watchdog;
  const absl::Duration timeout = absl::Seconds(30);
  watchdog.WriteStarted(clock.Now());
  clock.Advance(absl::Seconds(30));
  EXPECT_FALSE(watchdog.Overdue(clock.Now(), timeout)) << "exactly the timeout is still within it";
  clock.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(watchdog.Overdue(clock.Now(), timeout));
  EXPECT_EQ(*watchdog.Overdue(clock.Now(), timeout), absl::Seconds(30) + absl::Milliseconds(1));
}

TEST(WriteWatchdogTest, EachWriteIsTimedFromItsOwnStart) {
  ManualClock clock;
  WriteWatchdog watchdog;
  const absl::Duration timeout = absl::Seconds(30);
  // A connection that keeps writing, each write quick, is never overdue
  // however long it lives.
  for (int i = 0; i < 100; ++i) {
    watchdog.WriteStarted(clock.Now());
    clock.Advance(absl::Seconds(1));
    watchdog.WriteFinished();
    clock.Advance(absl::Seconds(10));
    EXPECT_FALSE(watchdog.Overdue(clock.Now(), timeout));
  }
  watchdog.WriteStarted(clock.Now());
  clock.Advance(absl::Seconds(31));
  EXPECT_TRUE(watchdog.Overdue(clock.Now(), timeout));
  watchdog.WriteFinished();
  EXPECT_FALSE(watchdog.Overdue(clock.Now(), timeout)) << "a write that completed late is no longer in flight";
}

}  // namespace
}  // namespace nanokit::gateway
