#include "jetstream/stream_log.h"

#include "absl/strings/str_cat.h"
#include "jetstream/status.h"

namespace nanokit::jetstream {

namespace {

constexpr char kMsgIdHeader[] = "Nats-Msg-Id";
constexpr char kExpectedLastSeqHeader[] = "Nats-Expected-Last-Sequence";

struct MsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
using OwnedMsg = std::unique_ptr<natsMsg, MsgDeleter>;

jsOptions RequestOptions(const Connection& connection) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = absl::ToInt64Milliseconds(connection.request_timeout());
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamLog>> StreamLog::Open(Connection* connection, StreamSettings settings) {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {settings.subject.c_str()};
  config.Name = settings.name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = settings.replicas;
  config.MaxMsgs = settings.max_messages;
  config.MaxBytes = settings.max_bytes;
  config.Duplicates = absl::ToInt64Nanoseconds(settings.duplicate_window);
  // The oldest entries go at the limits; an append is never refused for
  // space (the hub keeps snapshots, so what goes is history only).
  config.Discard = js_DiscardOld;
  jsOptions options = RequestOptions(*connection);
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, connection->jetstream(), &config, &options, &error);
  if (s != NATS_OK && error == JSStreamNameExistErr) {
    // Already there (made by another hub, or by an earlier run): use it.
    s = js_GetStreamInfo(&info, connection->jetstream(), settings.name.c_str(), &options, &error);
  }
  if (s != NATS_OK) return ToStatus(s, error, absl::StrCat("opening stream ", settings.name));
  jsStreamInfo_Destroy(info);
  return std::unique_ptr<StreamLog>(new StreamLog(connection, std::move(settings)));
}

absl::StatusOr<Appended> StreamLog::Append(absl::string_view data, const std::string& msg_id,
                                           std::optional<uint64_t> expected_last) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, settings_.subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return ToStatus(s, static_cast<jsErrCode>(0), "making a message");
  OwnedMsg msg(raw);
  // Set by hand rather than through jsPubOptions.ExpectLastSeq, where 0
  // means "no check": an append to an empty stream must be checked too.
  s = natsMsgHeader_Set(msg.get(), kMsgIdHeader, msg_id.c_str());
  if (s == NATS_OK && expected_last) {
    s = natsMsgHeader_Set(msg.get(), kExpectedLastSeqHeader, absl::StrCat(*expected_last).c_str());
  }
  if (s != NATS_OK) return ToStatus(s, static_cast<jsErrCode>(0), "setting headers");

  jsPubOptions publish;
  jsPubOptions_Init(&publish);
  publish.MaxWait = absl::ToInt64Milliseconds(connection_->request_timeout());
  jsPubAck* ack = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, connection_->jetstream(), msg.get(), &publish, &error);
  if (s != NATS_OK) return ToStatus(s, error, absl::StrCat("append to ", settings_.name));
  Appended appended{ack->Sequence, ack->Duplicate};
  jsPubAck_Destroy(ack);
  return appended;
}

absl::StatusOr<StoredEntry> StreamLog::Read(uint64_t seq) {
  jsOptions options = RequestOptions(*connection_);
  natsMsg* raw = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&raw, connection_->jetstream(), settings_.name.c_str(), seq, &options, &error);
  if (s != NATS_OK) return ToStatus(s, error, absl::StrCat("reading ", settings_.name, " at ", seq));
  OwnedMsg msg(raw);
  StoredEntry entry;
  entry.seq = natsMsg_GetSequence(msg.get());
  entry.data.assign(natsMsg_GetData(msg.get()), static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg.get(), kMsgIdHeader, &id) == NATS_OK && id != nullptr) entry.msg_id = id;
  return entry;
}

absl::StatusOr<StreamState> StreamLog::State() {
  jsOptions options = RequestOptions(*connection_);
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, connection_->jetstream(), settings_.name.c_str(), &options, &error);
  if (s != NATS_OK) return ToStatus(s, error, absl::StrCat("the state of ", settings_.name));
  StreamState state;
  state.first_seq = info->State.FirstSeq;
  state.last_seq = info->State.LastSeq;
  state.messages = info->State.Msgs;
  state.bytes = info->State.Bytes;
  state.created = absl::FromUnixNanos(info->Created);
  if (info->Cluster != nullptr && info->Cluster->Leader != nullptr) state.leader = info->Cluster->Leader;
  jsStreamInfo_Destroy(info);
  return state;
}

absl::Status StreamLog::Delete() {
  jsOptions options = RequestOptions(*connection_);
  jsErrCode error = static_cast<jsErrCode>(0);
  return ToStatus(js_DeleteStream(connection_->jetstream(), settings_.name.c_str(), &options, &error), error,
                  absl::StrCat("deleting ", settings_.name));
}

}  // namespace nanokit::jetstream
