#pragma once
// A fuzz target's invariant: when it does not hold, say which and abort, so
// libFuzzer keeps the input that broke it.

#include <cstdio>
#include <cstdlib>

#include <google/protobuf/stubs/logging.h>

#define FUZZ_CHECK(condition)                                                        \
  do {                                                                               \
    if (!(condition)) {                                                              \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

// protobuf logs every string field with invalid UTF-8 it refuses to parse;
// a fuzzer makes thousands a second.
inline void SilenceProtobufLogs() {
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
}
