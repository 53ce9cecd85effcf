// The JetStream log the hub's history is to live in, against a real 3-node
// nats-server cluster (replicas 3): appends in one order checked by the
// expected last sequence, retries made harmless by the message id, one
// winner when writers race, and appends that go on after the stream's
// leader is killed.

#include "jetstream/stream_log.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jetstream/local_cluster.h"

namespace nanokit::jetstream {
namespace {

class StreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/nanokit-nats-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    auto cluster = LocalCluster::Start(3, dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    connection_ = Connect();
    // The cluster elects its meta leader a moment after start: until then
    // a stream cannot be made.
    for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
      auto log = StreamLog::Open(connection_.get(), Settings());
      if (log.ok()) {
        log_ = *std::move(log);
        break;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    ASSERT_NE(log_, nullptr) << "no stream within 30 s; see " << cluster_->log_of(0);
  }

  void TearDown() override {
    log_.reset();
    connection_.reset();
    cluster_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Connection> Connect() {
    ConnectionOptions options;
    options.servers = cluster_->node_urls();
    options.request_timeout = absl::Seconds(2);
    auto connection = Connection::Connect(options);
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  static StreamSettings Settings() { return {.name = "NANOKIT_TEST", .subject = "nanokit.test", .replicas = 3}; }

  // Appends with the same id until the cluster answers (an election in
  // between is UNAVAILABLE), as the hub will.
  absl::StatusOr<Appended> AppendRetrying(StreamLog& log, const std::string& data, const std::string& id,
                                          uint64_t expected_last) {
    absl::StatusOr<Appended> appended = absl::UnavailableError("not tried");
    for (const absl::Time deadline = absl::Now() + absl::Seconds(40);
         absl::IsUnavailable(appended.status()) && absl::Now() < deadline;) {
      appended = log.Append(data, id, expected_last);
    }
    return appended;
  }

  std::string dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<StreamLog> log_;
};

TEST_F(StreamLogTest, AppendsInOrderAndRefusesAStaleExpectation) {
  auto first = log_->Append("one", "w/1", 0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->seq, 1u);
  EXPECT_FALSE(first->duplicate);
  auto second = log_->Append("two", "w/2", 1);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->seq, 2u);

  // A writer that believes the stream still ends at 1 (or is empty) is told so.
  EXPECT_TRUE(absl::IsFailedPrecondition(log_->Append("stale", "w/3", 1).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(log_->Append("stale", "w/4", 0).status()));

  auto read = log_->Read(2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->seq, 2u);
  EXPECT_EQ(read->data, "two");
  EXPECT_EQ(read->msg_id, "w/2");
  EXPECT_TRUE(absl::IsNotFound(log_->Read(3).status()));
  auto state = log_->State();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->first_seq, 1u);
  EXPECT_EQ(state->last_seq, 2u);
  EXPECT_FALSE(state->leader.empty());
}

TEST_F(StreamLogTest, ARetriedAppendIsTheOriginalNotASecondEntry) {
  ASSERT_TRUE(log_->Append("one", "w/1", 0).ok());
  // The same append again (its acknowledgement was lost): the original seq,
  // marked duplicate, and nothing added.
  auto again = log_->Append("one", "w/1", 0);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->seq, 1u);
  EXPECT_TRUE(again->duplicate);
  // Also when other appends came after it: the id wins over the now stale
  // expectation, so a writer's retry never turns into a conflict.
  ASSERT_TRUE(log_->Append("two", "w/2", 1).ok());
  auto late = log_->Append("one", "w/1", 0);
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->seq, 1u);
  EXPECT_TRUE(late->duplicate);
  EXPECT_EQ(log_->State()->last_seq, 2u);
}

TEST_F(StreamLogTest, WritersRacingOnTheSameExpectationHaveOneWinner) {
  constexpr int kRounds = 100;
  std::unique_ptr<Connection> other_connection = Connect();
  ASSERT_NE(other_connection, nullptr);
  auto other = StreamLog::Open(other_connection.get(), Settings());
  ASSERT_TRUE(other.ok()) << other.status();
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t last = static_cast<uint64_t>(round);
    auto race = [&](StreamLog* log, const char* writer) {
      auto appended = log->Append(writer, absl::StrCat(writer, "/", round), last);
      if (appended.ok() && !appended->duplicate) ++wins;
      if (absl::IsFailedPrecondition(appended.status())) ++conflicts;
    };
    std::thread a(race, log_.get(), "a");
    std::thread b(race, other->get(), "b");
    a.join();
    b.join();
    ASSERT_EQ(wins.load(), round + 1) << "round " << round << ": one append wins, the other conflicts";
  }
  EXPECT_EQ(conflicts.load(), kRounds);
  EXPECT_EQ(log_->State()->last_seq, static_cast<uint64_t>(kRounds));
}

TEST_F(StreamLogTest, AppendsGoOnAfterTheLeaderIsKilled) {
  uint64_t last = 0;
  for (int i = 1; i <= 20; ++i) {
    auto appended = log_->Append(absl::StrCat("before ", i), absl::StrCat("w/", i), last);
    ASSERT_TRUE(appended.ok()) << appended.status();
    last = appended->seq;
  }
  auto state = log_->State();
  ASSERT_TRUE(state.ok()) << state.status();
  const int leader = cluster_->NodeNamed(state->leader);
  ASSERT_GE(leader, 0) << state->leader;
  cluster_->Kill(leader);
  const absl::Time killed = absl::Now();

  // The same ids retried through the election: each lands once.
  for (int i = 21; i <= 40; ++i) {
    auto appended = AppendRetrying(*log_, absl::StrCat("after ", i), absl::StrCat("w/", i), last);
    ASSERT_TRUE(appended.ok()) << appended.status() << " at " << i;
    ASSERT_EQ(appended->seq, last + 1);
    last = appended->seq;
  }
  std::cout << "appends resumed within " << absl::FormatDuration(absl::Now() - killed)
            << " of killing the stream's leader" << std::endl;
  auto after = log_->State();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->last_seq, 40u);
  EXPECT_NE(after->leader, state->leader);
  for (uint64_t seq = 1; seq <= 40; ++seq) {
    auto entry = log_->Read(seq);
    ASSERT_TRUE(entry.ok()) << entry.status();
    EXPECT_EQ(entry->msg_id, absl::StrCat("w/", seq));
  }
}

}  // namespace
}  // namespace nanokit::jetstream
