// Any sequence of events through the state model, two invariants:
// 1. Staging a whole list (what the hub commits) keeps exactly the events,
//    with exactly the seqs, that applying them one at a time would.
// 2. A snapshot at any seq, restored, plus the later events equals all
//    events applied: what a watcher that resumes from a snapshot ends with.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz_check.h"
#include "protocol/project_state.h"
#include "protocol/server_message.h"

namespace v1 = nanokit::bridge::v1;

namespace {

v1::Event NextEvent(FuzzedDataProvider& in) {
  v1::Event event;
  event.set_project("p");
  const std::string resource = "r" + std::to_string(in.ConsumeIntegralInRange(0, 4));
  static const char* const kWords[] = {"", "up", "down", "service", "db"};
  auto word = [&] { return std::string(kWords[in.ConsumeIntegralInRange(0, 4)]); };
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: {
      auto* update = event.mutable_status_update();
      update->set_resource_id(resource);
      update->set_status(static_cast<v1::Status>(in.ConsumeIntegralInRange(0, 5)));
      update->set_message(word());
      update->set_kind(word());
      break;
    }
    case 1:
      event.mutable_status_update()->set_resource_id(resource);
      event.mutable_status_update()->set_removed(true);
      break;
    case 2: {
      auto* logs = event.mutable_log_stream();
      logs->set_resource_id(resource);
      const int lines = in.ConsumeIntegralInRange(0, 3);
      for (int i = 0; i < lines; ++i) logs->add_lines(word());
      logs->set_dropped_lines(in.ConsumeIntegralInRange(0, 2));
      break;
    }
    case 3:
      event.mutable_reconcile_start()->set_reconcile_id("c" + std::to_string(in.ConsumeIntegralInRange(0, 2)));
      break;
    default:
      event.mutable_reconcile_end()->set_reconcile_id("c" + std::to_string(in.ConsumeIntegralInRange(0, 2)));
      event.mutable_reconcile_end()->set_outcome(static_cast<v1::ReconcileEnd::Outcome>(in.ConsumeIntegralInRange(0, 3)));
      break;
  }
  return event;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nanokit::ProjectState;
  FuzzedDataProvider in(data, size);
  const size_t log_lines = in.ConsumeIntegralInRange<size_t>(1, 4);
  std::vector<v1::Event> events;
  const size_t count = in.ConsumeIntegralInRange<size_t>(0, 300);
  for (size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) events.push_back(NextEvent(in));
  const size_t cut = in.ConsumeIntegralInRange<size_t>(0, events.size());

  ProjectState one_by_one("p", "e", log_lines);
  std::vector<v1::Event> applied;
  for (v1::Event event : events) {
    if (!one_by_one.Changes(event)) continue;
    event.set_seq(one_by_one.seq() + 1);
    one_by_one.Apply(event);
    applied.push_back(event);
  }
  google::protobuf::RepeatedPtrField<v1::Event> staged(events.begin(), events.end());
  ProjectState("p", "e", log_lines).Stage(staged);
  FUZZ_CHECK(static_cast<size_t>(staged.size()) == applied.size());
  for (size_t i = 0; i < applied.size(); ++i) {
    FUZZ_CHECK(staged[static_cast<int>(i)].SerializeAsString() == applied[i].SerializeAsString());
  }

  ProjectState prefix("p", "e", log_lines);
  const size_t split = std::min(cut, applied.size());
  for (size_t i = 0; i < split; ++i) prefix.Apply(applied[i]);
  ProjectState resumed = ProjectState::FromSnapshot(prefix.ToSnapshot(), log_lines);
  for (size_t i = split; i < applied.size(); ++i) resumed.Apply(applied[i]);
  FUZZ_CHECK(nanokit::ToJson(resumed.ToSnapshot()) == nanokit::ToJson(one_by_one.ToSnapshot()));
  return 0;
}
