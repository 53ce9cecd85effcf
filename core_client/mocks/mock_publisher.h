#pragma once
// A gMock Publisher for a core's own unit tests: link
// nanokit::core_client_mocks and expect the events your code emits, without
// a hub (google-cloud-cpp's mocks/ pattern).
//
// By default it behaves like the real publisher where a test needs it to:
// Attach forwards every event of the manager to Publish (so expectations on
// Publish see what the manager emits), Flush succeeds at once, and stats()
// counts what was published. Override any of them with EXPECT_CALL/ON_CALL.

#include <utility>
#include <vector>

#include <gmock/gmock.h>

#include "core_client/activity_manager.h"
#include "core_client/publisher.h"

namespace nanokit::client::testing {

class MockPublisher : public Publisher {
 public:
  MockPublisher() {
    ON_CALL(*this, Attach).WillByDefault([this](ActivityManager* manager) {
      const int id = manager->AddListener([this](const bridge::v1::Event& event) { Publish(event); });
      attached_.emplace_back(manager, id);
    });
    ON_CALL(*this, Publish).WillByDefault([this](const bridge::v1::Event&) { ++published_; });
    ON_CALL(*this, Flush).WillByDefault(::testing::Return(true));
    ON_CALL(*this, stats).WillByDefault([this] {
      PublisherStats stats;
      stats.published = stats.acknowledged = published_;
      stats.connected = true;
      return stats;
    });
  }
  // Like the real publisher, stops receiving the managers' events.
  ~MockPublisher() override {
    for (auto& [manager, id] : attached_) manager->RemoveListener(id);
  }

  MOCK_METHOD(void, Attach, (ActivityManager * manager), (override));
  MOCK_METHOD(void, Publish, (bridge::v1::Event event), (override));
  MOCK_METHOD(bool, Flush, (absl::Duration timeout), (override));
  MOCK_METHOD(PublisherStats, stats, (), (const, override));

 private:
  std::vector<std::pair<ActivityManager*, int>> attached_;
  uint64_t published_ = 0;
};

}  // namespace nanokit::client::testing
