// A core's PublishRequest, whatever its bytes hold, into Hub::Publish (the
// committer included, on an in-memory store): it never crashes; an accepted
// request leaves its source's accepted source_seq where the answer says; a
// refused one changes nothing; every project's snapshot stays well formed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "hub/hub.h"

namespace {

nanokit::hub::Hub& TheHub() {
  static nanokit::hub::Hub* hub = [] {
    nanokit::hub::HubOptions options;
    options.max_projects = 64;  // inputs accumulate in one hub: keep it bounded
    options.project.history_events = 1000;
    auto* h = new nanokit::hub::Hub(options, std::make_unique<nanokit::hub::MemoryStore>());
    h->Start();
    return h;
  }();
  return *hub;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  SilenceProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanokit;
  bridge::v1::PublishRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  hub::Hub& hub = TheHub();
  // A few sources, so that inputs retry each other's source_seqs.
  const std::string source = "fuzz-" + std::to_string(size % 3);
  const uint64_t before = hub.AcceptedSourceSeq(source);
  std::vector<std::string> projects;
  for (const auto& event : request.events()) projects.push_back(event.project());

  auto accepted = hub.PublishAndWait(source, request);
  const uint64_t after = hub.AcceptedSourceSeq(source);
  if (accepted.ok()) {
    FUZZ_CHECK(*accepted >= before);
    FUZZ_CHECK(after == *accepted);
  } else {
    FUZZ_CHECK(after == before);
  }
  for (const std::string& name : projects) {
    auto snapshot = hub.Snapshot(name);
    if (!snapshot.ok()) continue;
    for (int i = 0; i < snapshot->resources_size(); ++i) {
      FUZZ_CHECK(snapshot->resources(i).seq() <= snapshot->seq());
      if (i > 0) FUZZ_CHECK(snapshot->resources(i - 1).resource_id() < snapshot->resources(i).resource_id());
    }
  }
  return 0;
}
