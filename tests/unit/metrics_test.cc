#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "auth/failure_reason.h"
#include "metrics/counter.h"
#include "metrics/registry.h"

namespace nanokit::metrics {
namespace {

TEST(CounterTest, CountsFromManyThreadsWithoutLosingAny) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {  // more threads than stripes: some share one
    threads.emplace_back([&counter] {
      for (int i = 0; i < 10000; ++i) counter.Add(3);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.Value(), 12u * 10000u * 3u);
}

TEST(DurationHistogramTest, BucketsAreCumulativeAndInclusiveOfTheirBound) {
  DurationHistogram histogram({0.001, 0.01, 0.1});
  histogram.Observe(absl::Microseconds(500));  // <= 0.001
  histogram.Observe(absl::Milliseconds(1));    // == the bound: in it (le)
  histogram.Observe(absl::Milliseconds(50));   // <= 0.1
  histogram.Observe(absl::Seconds(3));         // +Inf
  histogram.Observe(-absl::Seconds(1));        // a clock behind: counted as 0
  const DurationHistogram::Totals totals = histogram.Read();
  EXPECT_EQ(totals.cumulative, (std::vector<uint64_t>{3, 3, 4, 5}));
  EXPECT_NEAR(totals.sum_seconds, 0.0005 + 0.001 + 0.05 + 3, 1e-9);
}

TEST(LabeledCounterTest, BoundsTheValuesItKeeps) {
  LabeledCounter counter(2);
  counter.Add("a");
  counter.Add("b", 2);
  counter.Add("c");
  counter.Add("d");
  counter.Add("a");
  EXPECT_EQ(counter.Value("a"), 2u);
  EXPECT_EQ(counter.Value("b"), 2u);
  EXPECT_EQ(counter.Value("c"), 0u);
  EXPECT_EQ(counter.Value("other"), 2u);
  EXPECT_EQ(counter.Values().size(), 3u);
}

TEST(RegistryTest, WritesThePrometheusTextFormat) {
  Counter events;
  events.Add(7);
  Gauge open;
  open.Add(3);
  open.Sub();
  LabeledCounter refused;
  refused.Add("expired");
  DurationHistogram lag({0.01, 1});
  lag.Observe(absl::Milliseconds(5));
  Registry registry;
  registry.AddCounter("test_events_total", "Events.", &events);
  registry.AddGauge("test_open", "Open.", &open);
  registry.AddGauge("test_up", "Up.", [] { return 1.0; });
  registry.AddCounter("test_refused_total", "Refused.", "reason", &refused);
  registry.AddHistogram("test_lag_seconds", "Lag.", &lag);
  const std::string text = SerializeText(registry);
  EXPECT_TRUE(absl::StrContains(text, "# TYPE test_events_total counter\ntest_events_total 7\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "# TYPE test_open gauge\ntest_open 2\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "test_up 1\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "test_refused_total{reason=\"expired\"} 1\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "# TYPE test_lag_seconds histogram\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "test_lag_seconds_bucket{le=\"0.01\"} 1\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "test_lag_seconds_bucket{le=\"+Inf\"} 1\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "test_lag_seconds_count 1\n")) << text;
}

TEST(FailureReasonTest, IsWhatTheRefusalNamedNotItsWording) {
  EXPECT_EQ(auth::FailureReason(auth::Unauthenticated(auth::kRefusedMissing, "no token")), "missing");
  EXPECT_EQ(auth::FailureReason(auth::Unauthenticated(auth::kRefusedExpired, "anything at all")), "expired");
  // A refusal that names no reason is "invalid", whatever its words say.
  EXPECT_EQ(auth::FailureReason(absl::UnauthenticatedError("the token expired")), "invalid");
  EXPECT_EQ(auth::FailureReason(absl::UnauthenticatedError("unknown or revoked token")), "invalid");
  EXPECT_EQ(auth::FailureReason(absl::PermissionDeniedError("a viewer's token")), "forbidden");
}

}  // namespace
}  // namespace nanokit::metrics
