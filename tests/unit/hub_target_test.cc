// --hub's forms: one address as it is, several IP addresses as one gRPC
// target gRPC fails over within, and the mistakes named.

#include "hub_client/hub_channel.h"

#include <gtest/gtest.h>

namespace nanokit {
namespace {

TEST(HubTargetTest, OneAddressIsDialledAsItIs) {
  EXPECT_EQ(*HubTarget("127.0.0.1:7700"), "127.0.0.1:7700");
  EXPECT_EQ(*HubTarget("hubs.example:7700"), "hubs.example:7700");
  EXPECT_EQ(*HubTarget(" [::1]:7700 "), "[::1]:7700");
}

TEST(HubTargetTest, SeveralIpAddressesAreOneTargetInTheirOrder) {
  EXPECT_EQ(*HubTarget("10.0.0.1:7700,10.0.0.2:7700, 10.0.0.3:7701"),
            "ipv4:10.0.0.1:7700,10.0.0.2:7700,10.0.0.3:7701");
  EXPECT_EQ(*HubTarget("[fd00::1]:7700,[fd00::2]:7700"), "ipv6:[fd00::1]:7700,[fd00::2]:7700");
}

TEST(HubTargetTest, NamesTheRuleABadListBreaks) {
  auto named = HubTarget("10.0.0.1:7700,hub-b.example:7700");
  ASSERT_TRUE(absl::IsInvalidArgument(named.status()));
  EXPECT_NE(named.status().message().find("\"hub-b.example\" is a name"), absl::string_view::npos) << named.status();
  EXPECT_TRUE(absl::IsInvalidArgument(HubTarget("10.0.0.1:7700,[fd00::2]:7700").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(HubTarget("10.0.0.1:7700,10.0.0.2").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(HubTarget(" , ").status()));
}

TEST(HubTargetTest, SeveralHubsOverTlsNeedTheNameTheirCertificatesShare) {
  HubTls tls{.ca_file = "ca.pem", .cert_file = "", .key_file = "", .server_name = ""};
  auto unnamed = HubTarget("10.0.0.1:7700,10.0.0.2:7700", tls);
  ASSERT_TRUE(absl::IsInvalidArgument(unnamed.status()));
  EXPECT_NE(unnamed.status().message().find("--hub-server-name"), absl::string_view::npos);
  tls.server_name = "hub.example";
  EXPECT_EQ(*HubTarget("10.0.0.1:7700,10.0.0.2:7700", tls), "ipv4:10.0.0.1:7700,10.0.0.2:7700");
  EXPECT_TRUE(HubTarget("10.0.0.1:7700", {.ca_file = "ca.pem", .cert_file = "", .key_file = "", .server_name = ""})
                  .ok())
      << "one hub is checked by the host dialled";
}

}  // namespace
}  // namespace nanokit
