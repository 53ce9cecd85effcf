// TLS on the gRPC leg, against the real processes: the hub serves only TLS
// when given a certificate, its clients (gateway, CLI, any gRPC client)
// verify it against the CA they are given, mutual TLS requires a client
// certificate from the client CA, and a renewed certificate is served
// without a restart. Certificates come from the test's own CA (openssl).

#include <filesystem>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "hub_client/hub_channel.h"
#include "tests/support/stack.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

// A client that trusts ca; with cert and key, one that also presents them.
HubTls Trusting(const std::string& ca, const std::string& cert = "", const std::string& key = "") {
  HubTls tls;
  tls.ca_file = ca;
  tls.cert_file = cert;
  tls.key_file = key;
  return tls;
}

class HubTlsTest : public TwoCaTest {
 protected:
  // GetSnapshot over a channel made the way every client of the hub makes it.
  grpc::Status Snapshot(const HubTls& tls, const std::string& project = "shop") {
    auto stub = v1::WatchService::NewStub(CreateHubChannel(stack_.hub_address(), tls));
    grpc::ClientContext context;
    stack_.Authorize(&context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetSnapshotRequest request;
    request.set_project(project);
    v1::ProjectSnapshot snapshot;
    return stub->GetSnapshot(&context, request, &snapshot);
  }

  std::vector<std::string> ServeTls() const { return {"--tls-cert", pki_.server_cert, "--tls-key", pki_.server_key}; }
};

TEST_F(HubTlsTest, CoresAndTheGatewayReachATlsHubAndTheDashboardSeesTheEvent) {
  ASSERT_TRUE(stack_.StartHub(ServeTls()).ok());
  ASSERT_TRUE(stack_.StartGateway({"--hub-ca", pki_.ca_cert}).ok());
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Send(SubscribeMessage("shop")).ok());

  auto emitted = stack_.Nanokit({"emit", "status", "--project", "shop", "--resource", "web", "--status", "HEALTHY",
                                 "--hub-ca", pki_.ca_cert});
  ASSERT_EQ(emitted.exit_code, 0) << emitted.err;

  auto seen = (*client)->ReadUntil(
      [](const v1::ServerMessage& m) {
        return m.type() == "status_update" && m.status_update().resource_id() == "web" &&
               m.status_update().status() == v1::HEALTHY;
      },
      absl::Seconds(10));
  EXPECT_TRUE(seen.ok()) << seen.status() << "\n" << stack_.GatewayLog();
  EXPECT_TRUE(Snapshot(Trusting(pki_.ca_cert)).ok());
  EXPECT_NE(stack_.HubLog().find("over TLS"), std::string::npos) << stack_.HubLog();
}

TEST_F(HubTlsTest, APlainTextClientOrOneTrustingAnotherCaFailsAtTheHandshake) {
  ASSERT_TRUE(stack_.StartHub(ServeTls()).ok());
  EXPECT_TRUE(Snapshot(Trusting(pki_.ca_cert)).ok());

  const grpc::Status plain = Snapshot(HubTls{});
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();
  const grpc::Status wrong_ca = Snapshot(Trusting(other_.ca_cert));
  EXPECT_EQ(wrong_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << wrong_ca.error_message();

  // The CLI without --hub-ca cannot publish either; with it, it can.
  auto plain_emit = stack_.Nanokit({"emit", "status", "--project", "shop", "--resource", "web", "--status",
                                    "HEALTHY", "--timeout", "2s"});
  EXPECT_NE(plain_emit.exit_code, 0);
  auto tls_emit = stack_.Nanokit({"emit", "status", "--project", "shop", "--resource", "web", "--status",
                                  "HEALTHY", "--hub-ca", pki_.ca_cert});
  EXPECT_EQ(tls_emit.exit_code, 0) << tls_emit.err;
}

TEST_F(HubTlsTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  std::vector<std::string> flags = ServeTls();
  flags.insert(flags.end(), {"--tls-client-ca", pki_.ca_cert});
  ASSERT_TRUE(stack_.StartHub(flags).ok());

  EXPECT_EQ(Snapshot(Trusting(pki_.ca_cert)).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "no client certificate";
  EXPECT_EQ(Snapshot(Trusting(pki_.ca_cert, other_.client_cert, other_.client_key))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "a client certificate from another CA";
  EXPECT_TRUE(Snapshot(Trusting(pki_.ca_cert, pki_.client_cert, pki_.client_key)).ok());

  // The gateway with its client certificate serves dashboards.
  ASSERT_TRUE(stack_
                  .StartGateway({"--hub-ca", pki_.ca_cert, "--hub-cert", pki_.client_cert, "--hub-key",
                                 pki_.client_key})
                  .ok());
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Send(SubscribeMessage("shop")).ok());
  auto snapshot = (*client)->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; },
                                       absl::Seconds(10));
  EXPECT_TRUE(snapshot.ok()) << snapshot.status() << "\n" << stack_.GatewayLog();
}

TEST_F(HubTlsTest, ARenewedCertificateIsServedToNewConnectionsWithoutARestart) {
  namespace fs = std::filesystem;
  const std::string cert = stack_.dir().File("hub.pem"), key = stack_.dir().File("hub-key.pem");
  fs::copy_file(pki_.server_cert, cert);
  fs::copy_file(pki_.server_key, key);
  ASSERT_TRUE(stack_.StartHub({"--tls-cert", cert, "--tls-key", key}).ok());
  ASSERT_TRUE(Snapshot(Trusting(pki_.ca_cert)).ok());
  ASSERT_FALSE(Snapshot(Trusting(other_.ca_cert)).ok());

  // The renewal: a certificate from CA b replaces the files in place.
  fs::copy_file(other_.server_key, key, fs::copy_options::overwrite_existing);
  fs::copy_file(other_.server_cert, cert, fs::copy_options::overwrite_existing);
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  bool renewed = false;
  while (!renewed && absl::Now() < deadline) {
    renewed = Snapshot(Trusting(other_.ca_cert)).ok();
    if (!renewed) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(renewed) << stack_.HubLog();
  EXPECT_FALSE(Snapshot(Trusting(pki_.ca_cert)).ok()) << "the old certificate is no longer served";
  EXPECT_TRUE(stack_.hub()->running());
}

TEST_F(HubTlsTest, InconsistentOrUnreadableTlsFlagsAreOneClearErrorAtStart) {
  struct Case {
    std::string binary;
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {HubBinary(), {"--tls-cert", pki_.server_cert}, "--tls-cert and --tls-key go together"},
      {HubBinary(), {"--tls-cert", "/nonexistent.pem", "--tls-key", pki_.server_key}, "--tls-cert: cannot read"},
      {HubBinary(), {"--tls-client-ca", pki_.ca_cert}, "--tls-client-ca needs --tls-cert"},
      {HubBinary(), {"--tls-cert", stack_.token_file(), "--tls-key", pki_.server_key}, "is not PEM"},
      {GatewayBinary(), {"--hub-cert", pki_.client_cert, "--hub-key", pki_.client_key}, "--hub-cert needs --hub-ca"},
      {GatewayBinary(), {"--hub-ca", "/nonexistent.pem"}, "--hub-ca: cannot read"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--token-file", stack_.token_file()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto result = RunCommand(c.binary, args, stack_.dir().path(), absl::Seconds(10));
    EXPECT_EQ(result.exit_code, 2) << c.says << ": " << result.err;
    EXPECT_NE(result.err.find(c.says), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find(stack_.token()), std::string::npos) << "no file content in errors: " << result.err;
  }
}

}  // namespace
}  // namespace nanokit::testing
