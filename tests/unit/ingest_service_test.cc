// IngestService's stream reactor with a real gRPC server and client in
// process: a core that pipelines many requests without waiting for acks
// loses none of them and gets its acks in order, while the hub's commits
// run on another thread. (A request read before the one ahead of it reached
// the hub would be taken for its retry and dropped.)

#include "hub/ingest_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <thread>

#include "hub/hub.h"

namespace nanokit::hub {
namespace {

namespace v1 = nanokit::bridge::v1;

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<Hub>(HubOptions{}, std::make_unique<MemoryStore>());
    hub_->Start();
    service_ = std::make_unique<IngestService>(hub_.get(), access_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    stub_ = v1::IngestService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown();
    hub_->Stop();
  }

  std::unique_ptr<auth::AccessControl> access_ = auth::AccessControl::Disabled();

  std::unique_ptr<Hub> hub_;
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

v1::PublishRequest OneEvent(uint64_t source_seq) {
  v1::PublishRequest request;
  if (source_seq == 1) request.set_source("core-a");
  v1::Event* event = request.add_events();
  event->set_project("shop");
  event->set_source_seq(source_seq);
  event->mutable_log_stream()->set_resource_id("web");
  event->mutable_log_stream()->add_lines("line " + std::to_string(source_seq));
  return request;
}

TEST_F(IngestServiceTest, PipelinedRequestsAreAllAcceptedInOrderWithAcksInOrder) {
  constexpr uint64_t kRequests = 3000;
  grpc::ClientContext context;
  auto stream = stub_->Publish(&context);
  std::thread writer([&] {
    for (uint64_t i = 1; i <= kRequests; ++i) ASSERT_TRUE(stream->Write(OneEvent(i)));
    stream->WritesDone();
  });
  std::vector<uint64_t> acks;
  v1::PublishResponse response;
  while (stream->Read(&response)) acks.push_back(response.acked_source_seq());
  writer.join();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_FALSE(acks.empty());
  EXPECT_TRUE(std::is_sorted(acks.begin(), acks.end())) << "acks go back in order";
  EXPECT_EQ(acks.back(), kRequests) << "every request acknowledged";
  EXPECT_EQ(hub_->AcceptedSourceSeq("core-a"), kRequests);

  // Nothing was taken for a retry: every line is in the project's history,
  // at consecutive seqs, in the order the core sent them.
  auto snapshot = hub_->Snapshot("shop");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), kRequests);
}

TEST_F(IngestServiceTest, ARetriedPrefixIsAcknowledgedButNotAcceptedTwice) {
  {
    grpc::ClientContext context;
    auto stream = stub_->Publish(&context);
    for (uint64_t i = 1; i <= 10; ++i) ASSERT_TRUE(stream->Write(OneEvent(i)));
    stream->WritesDone();
    v1::PublishResponse response;
    while (stream->Read(&response)) {
    }
    ASSERT_TRUE(stream->Finish().ok());
  }
  // A reconnecting core resends 5..15: 5..10 are known, 11..15 are new.
  grpc::ClientContext context;
  auto stream = stub_->Publish(&context);
  for (uint64_t i = 5; i <= 15; ++i) {
    v1::PublishRequest request = OneEvent(i);
    request.set_source("core-a");
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  uint64_t last_ack = 0;
  v1::PublishResponse response;
  while (stream->Read(&response)) last_ack = response.acked_source_seq();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(last_ack, 15u);
  EXPECT_EQ(hub_->Snapshot("shop")->seq(), 15u) << "each line once";
}

}  // namespace
}  // namespace nanokit::hub
