// The replicated store's reading side against a real nats-server with
// JetStream (a 3-node cluster, as the hubs run on): a hub that falls behind the stream, or reads a long one at
// start, holds at most about max_fetched_bytes of entries it has not taken,
// and still gets every entry once, in the stream's order.

#include "hub/jetstream_store.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jetstream/local_cluster.h"

namespace nanokit::hub {
namespace {

namespace v1 = nanokit::bridge::v1;

constexpr size_t kEventsPerCommit = 5;
// Random bytes, so that zstd cannot make the entries small.
constexpr size_t kMessageBytes = 400;
constexpr size_t kMaxFetched = 16 * 1024;

class JetStreamStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/nanokit-nats-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    auto cluster = jetstream::LocalCluster::Start(3, dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  void TearDown() override {
    cluster_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<JetStreamStore> Open(const std::string& writer, size_t max_fetched_bytes) {
    JetStreamStoreOptions options;
    options.connection.servers = cluster_->node_urls();
    options.stream = {.name = "NANOKIT_STORE_TEST", .subject = "nanokit.store.test", .replicas = 1};
    options.writer = writer;
    options.max_fetched_bytes = max_fetched_bytes;
    auto store = JetStreamStore::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Commits events next_seq_.. of project "p", kEventsPerCommit an entry,
  // as the only writer.
  void CommitEntries(JetStreamStore& store, int entries) {
    for (int i = 0; i < entries; ++i) {
      std::vector<v1::Event> events(kEventsPerCommit);
      StoreCommit commit;
      StoreCommit::ProjectPart& part = commit.projects.emplace_back();
      part.project = "p";
      for (v1::Event& event : events) {
        event.set_project("p");
        event.set_seq(++next_seq_);
        event.mutable_status_update()->set_resource_id("api");
        event.mutable_status_update()->set_message(RandomText());
        part.events.push_back(&event);
      }
      ASSERT_TRUE(store.Commit(commit).ok()) << "entry " << i;
      // The writer takes its own entries back, as the hub's committer does.
      (void)store.TakeShared();
    }
  }

  std::string RandomText() {
    std::string text(kMessageBytes, ' ');
    for (char& c : text) c = static_cast<char>('!' + random_() % 90);
    return text;
  }

  // Every event's seq in what the store gave, in order.
  static void AddSeqs(const std::vector<SharedCommit>& commits, std::vector<uint64_t>& seqs) {
    for (const SharedCommit& commit : commits) {
      for (const v1::Event& event : commit.events) seqs.push_back(event.seq());
    }
  }

  static std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> seqs;
    for (uint64_t seq = first; seq <= last; ++seq) seqs.push_back(seq);
    return seqs;
  }

  std::string dir_;
  std::unique_ptr<jetstream::LocalCluster> cluster_;
  uint64_t next_seq_ = 0;
  std::mt19937 random_{7};
};

TEST_F(JetStreamStoreTest, AHubReadingALongStreamHoldsABoundedPartOfIt) {
  std::unique_ptr<JetStreamStore> writer = Open("a", 64 << 20);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Recover().ok());
  CommitEntries(*writer, 200);  // ~400 KiB of entries: 25 times the bound

  std::unique_ptr<JetStreamStore> reader = Open("b", kMaxFetched);
  ASSERT_NE(reader, nullptr);
  std::atomic<bool> reading{true};
  std::atomic<size_t> largest{0};
  std::thread watch([&] {
    while (reading) {
      largest = std::max<size_t>(largest, reader->fetched_bytes());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto recovered = reader->Recover();
  reading = false;
  watch.join();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  // One entry past the bound at most (an entry is ~2 KiB here).
  EXPECT_LE(largest, kMaxFetched + 4096);
  ASSERT_TRUE(recovered->projects.contains("p"));
  std::vector<uint64_t> seqs;
  for (const v1::Event& event : recovered->projects.at("p").events) seqs.push_back(event.seq());
  EXPECT_EQ(seqs, Range(1, next_seq_));
}

TEST_F(JetStreamStoreTest, AHubFallingBehindPausesAndThenTakesEveryEntryOnceInOrder) {
  std::unique_ptr<JetStreamStore> writer = Open("a", 64 << 20);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Recover().ok());
  std::unique_ptr<JetStreamStore> reader = Open("b", kMaxFetched);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->Recover().ok());

  // The reader's committer takes nothing while the writer appends.
  CommitEntries(*writer, 200);
  size_t largest = 0;
  for (const absl::Time until = absl::Now() + absl::Milliseconds(500); absl::Now() < until;) {
    largest = std::max(largest, reader->fetched_bytes());
    absl::SleepFor(absl::Milliseconds(5));
  }
  // One entry past the bound at most (an entry is ~2 KiB here).
  EXPECT_GT(largest, kMaxFetched / 2) << "the reader did fetch";
  EXPECT_LE(largest, kMaxFetched + 4096);

  // Then it takes, and gets everything, once and in order.
  std::vector<uint64_t> seqs;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30);
       seqs.size() < next_seq_ && absl::Now() < deadline;) {
    AddSeqs(reader->TakeShared(), seqs);
    largest = std::max(largest, reader->fetched_bytes());
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(seqs, Range(1, next_seq_));
  EXPECT_LE(largest, kMaxFetched + 4096);

  // And it follows on as before.
  CommitEntries(*writer, 3);
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       seqs.size() < next_seq_ && absl::Now() < deadline;) {
    AddSeqs(reader->TakeShared(), seqs);
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(seqs, Range(1, next_seq_));
}

}  // namespace
}  // namespace nanokit::hub
