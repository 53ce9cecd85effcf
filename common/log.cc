#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace nanokit::log {
namespace {

absl::Mutex g_mu;
std::string g_component ABSL_GUARDED_BY(g_mu) = "nanokit";
std::atomic<Level> g_min_level{Level::kInfo};

char LevelChar(Level level) {
  switch (level) {
    case Level::kDebug: return 'D';
    case Level::kInfo: return 'I';
    case Level::kWarning: return 'W';
    case Level::kError: return 'E';
  }
  return '?';
}

}  // namespace

void SetComponent(absl::string_view component) {
  absl::MutexLock lock(&g_mu);
  g_component = std::string(component);
}

void SetMinLevel(Level level) { g_min_level = level; }

void Write(Level level, absl::string_view message) {
  if (level < g_min_level.load()) return;
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  absl::MutexLock lock(&g_mu);
  absl::StrAppend(&line, " ", std::string(1, LevelChar(level)), " [", g_component, "] ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace nanokit::log
