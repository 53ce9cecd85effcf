#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/flags.h"

namespace nanokit::log {
namespace {

absl::Mutex g_mu;
std::string g_component ABSL_GUARDED_BY(g_mu) = "nanokit";
std::atomic<Level> g_min_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

char LevelChar(Level level) {
  switch (level) {
    case Level::kDebug: return 'D';
    case Level::kInfo: return 'I';
    case Level::kWarning: return 'W';
    case Level::kError: return 'E';
  }
  return '?';
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "?";
}

void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (u < 0x20 || u == 0x7f) {
          absl::StrAppend(out, "\\u00", absl::Hex(u, absl::kZeroPad2));
        } else {
          out->push_back(c);  // UTF-8 passes through as it is
        }
    }
  }
  out->push_back('"');
}

// The id a message starts with by convention: "conn=7 ..." or "<what>
// stream=3 ..." within its first words. Empty name when none.
std::pair<absl::string_view, uint64_t> LeadingId(absl::string_view message) {
  absl::string_view rest = message.substr(0, 48);
  for (absl::string_view name : {"conn=", "stream="}) {
    // Each occurrence that starts a word ("upstream=" is not "stream=").
    for (size_t at = rest.find(name); at != absl::string_view::npos; at = rest.find(name, at + 1)) {
      if (at > 0 && rest[at - 1] != ' ') continue;
      size_t end = at + name.size();
      while (end < message.size() && absl::ascii_isdigit(static_cast<unsigned char>(message[end]))) ++end;
      uint64_t id = 0;
      if (absl::SimpleAtoi(message.substr(at + name.size(), end - at - name.size()), &id)) {
        return {name.substr(0, name.size() - 1), id};
      }
    }
  }
  return {{}, 0};
}

}  // namespace

void SetComponent(absl::string_view component) {
  absl::MutexLock lock(&g_mu);
  g_component = std::string(component);
}

void SetMinLevel(Level level) { g_min_level = level; }
void SetFormat(Format format) { g_format = format; }

std::string FormatLine(Format format, absl::Time time, Level level, absl::string_view component,
                       absl::string_view message) {
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  if (format == Format::kText) return absl::StrCat(when, " ", std::string(1, LevelChar(level)), " [", component, "] ", message);
  std::string line = absl::StrCat("{\"time\":\"", when, "\",\"level\":\"", LevelName(level), "\",\"component\":");
  AppendJsonString(&line, component);
  if (auto [name, id] = LeadingId(message); !name.empty()) absl::StrAppend(&line, ",\"", name, "\":", id);
  line.append(",\"message\":");
  AppendJsonString(&line, message);
  line.push_back('}');
  return line;
}

void Write(Level level, absl::string_view message) {
  if (level < g_min_level.load()) return;
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&g_mu);
  std::string line = FormatLine(g_format.load(), now, level, g_component, message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void RegisterFlags(FlagSet& flags, Settings* settings) {
  flags.String("log-format", &settings->format, "How stderr lines look: text, or json (one object per line).");
  flags.String("log-level", &settings->level, "The least severe lines written: debug, info, warning or error.");
}

absl::Status Apply(const Settings& settings) {
  if (settings.format == "text") {
    SetFormat(Format::kText);
  } else if (settings.format == "json") {
    SetFormat(Format::kJson);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--log-format: \"", settings.format, "\" is not text or json"));
  }
  if (settings.level == "debug") {
    SetMinLevel(Level::kDebug);
  } else if (settings.level == "info") {
    SetMinLevel(Level::kInfo);
  } else if (settings.level == "warning") {
    SetMinLevel(Level::kWarning);
  } else if (settings.level == "error") {
    SetMinLevel(Level::kError);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-level: \"", settings.level, "\" is not debug, info, warning or error"));
  }
  return absl::OkStatus();
}

}  // namespace nanokit::log
