// Several hubs in --hub (and HubPublisherOptions::target): a core and a
// gateway reach the first hub that answers and, when it dies, the next —
// with gRPC's pick_first over one ipv4: target, not address juggling of our
// own. The hubs here keep separate stores, so the second one has only what
// reached it; with a shared store (--nats) it would have everything.

#include <gtest/gtest.h>

#include <fstream>

#include "core_client/hub_publisher.h"
#include "hub_client/hub_channel.h"
#include "tests/support/stack.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

class HubFailoverTest : public ::testing::Test {
 protected:
  // A second hub that accepts the first stack's token.
  absl::Status StartSecondHub(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--token-file", first_.token_file()};
    args.insert(args.end(), extra.begin(), extra.end());
    return second_.StartHub(args);
  }

  client::HubPublisherOptions Options(const std::string& target) {
    client::HubPublisherOptions options;
    options.target = target;
    options.token = first_.token();
    options.initial_backoff = absl::Milliseconds(50);
    options.max_backoff = absl::Milliseconds(300);
    return options;
  }

  // The state of project on the hub at address.
  absl::StatusOr<v1::ProjectSnapshot> SnapshotAt(const std::string& address, const std::string& project,
                                                 const HubTls& tls = {}) {
    return GetSnapshot(CreateHubChannel(address, tls), first_.token(), project);
  }

  static bool Holds(const v1::ProjectSnapshot& snapshot, const std::string& resource) {
    for (const auto& r : snapshot.resources()) {
      if (r.resource_id() == resource) return true;
    }
    return false;
  }

  TestStack first_;
  TestStack second_;
};

TEST_F(HubFailoverTest, ACoreWhoseFirstHubIsDownPublishesToTheNext) {
  ASSERT_TRUE(StartSecondHub().ok());
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options("127.0.0.1:1," + second_.hub_address()));
  publisher.Attach(&activity);
  activity.SetStatus("web", v1::HEALTHY);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  auto snapshot = SnapshotAt(second_.hub_address(), "shop");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_TRUE(Holds(*snapshot, "web"));
}

TEST_F(HubFailoverTest, ACoreWhoseHubDiesResendsWhatWasNotAcknowledgedToTheNext) {
  ASSERT_TRUE(first_.StartHub().ok());
  ASSERT_TRUE(StartSecondHub().ok());
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(first_.hub_address() + "," + second_.hub_address()));
  publisher.Attach(&activity);
  activity.SetStatus("before", v1::HEALTHY);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  auto first_state = SnapshotAt(first_.hub_address(), "shop");
  ASSERT_TRUE(first_state.ok()) << first_state.status();
  EXPECT_TRUE(Holds(*first_state, "before")) << "the first hub in the list is the one used";

  ASSERT_EQ(first_.StopHub(SIGKILL), 128 + SIGKILL);
  for (int i = 0; i < 50; ++i) activity.SetStatus("after-" + std::to_string(i), v1::DEPLOYING);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << "the publisher moves to the second hub";
  auto second_state = SnapshotAt(second_.hub_address(), "shop");
  ASSERT_TRUE(second_state.ok()) << second_state.status();
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(Holds(*second_state, "after-" + std::to_string(i))) << i;
  EXPECT_EQ(publisher.stats().acknowledged, 51u);
}

TEST_F(HubFailoverTest, AGatewayWhoseHubDiesWatchesThroughTheNext) {
  ASSERT_TRUE(first_.StartHub().ok());
  ASSERT_TRUE(StartSecondHub().ok());
  ASSERT_TRUE(first_.StartGateway({"--hub", first_.hub_address() + "," + second_.hub_address()}).ok());
  auto client = first_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Send(SubscribeMessage("shop")).ok());
  auto snapshot = (*client)->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; },
                                       absl::Seconds(10));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();

  client::ActivityManager on_second("shop");
  client::HubPublisher to_second(Options(second_.hub_address()));
  to_second.Attach(&on_second);
  on_second.SetStatus("api", v1::HEALTHY);
  ASSERT_TRUE(to_second.Flush(absl::Seconds(20)));

  // The first hub dies: the gateway watches through the second, whose
  // history is another (another epoch), so the dashboard is given its state.
  ASSERT_EQ(first_.StopHub(SIGKILL), 128 + SIGKILL);
  auto resynced = (*client)->ReadUntil(
      [](const v1::ServerMessage& m) {
        if (m.type() != "snapshot") return false;
        for (const auto& r : m.snapshot().resources()) {
          if (r.resource_id() == "api") return true;
        }
        return false;
      },
      absl::Seconds(30));
  ASSERT_TRUE(resynced.ok()) << resynced.status() << "\n" << first_.GatewayLog();
}

TEST_F(HubFailoverTest, SeveralTlsHubsAreCheckedByTheNameTheirCertificatesShare) {
  auto pki = MakeTestPki(first_.dir().path(), "a");
  ASSERT_TRUE(pki.ok()) << pki.status();
  const std::vector<std::string> serve_tls = {"--tls-cert", pki->server_cert, "--tls-key", pki->server_key};
  ASSERT_TRUE(first_.StartHub(serve_tls).ok());
  ASSERT_TRUE(StartSecondHub(serve_tls).ok());
  HubTls tls{.ca_file = pki->ca_cert, .cert_file = "", .key_file = "", .server_name = "localhost"};
  client::HubPublisherOptions options = Options(first_.hub_address() + "," + second_.hub_address());
  options.tls = tls;
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(std::move(options));
  publisher.Attach(&activity);
  activity.SetStatus("web", v1::HEALTHY);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  ASSERT_EQ(first_.StopHub(SIGKILL), 128 + SIGKILL);
  activity.SetStatus("api", v1::HEALTHY);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30)));
  auto state = SnapshotAt(second_.hub_address(), "shop", tls);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(Holds(*state, "api"));

  // A gateway given several TLS hubs without that name refuses to start.
  EXPECT_FALSE(
      first_.StartGateway({"--hub-ca", pki->ca_cert, "--hub", first_.hub_address() + "," + second_.hub_address()})
          .ok());
  EXPECT_NE(first_.GatewayLog().find("--hub-server-name"), std::string::npos) << first_.GatewayLog();
}

}  // namespace
}  // namespace nanokit::testing
