#pragma once
// A small command-line flag parser. We do not use absl flags because the
// command lines are a contract: an unknown or malformed flag must be a single
// line on stderr naming the flag, and exit code 2.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanokit {

class FlagSet {
 public:
  FlagSet(std::string program, std::string usage);

  // Each target holds the default value when registered.
  void String(std::string name, std::string* target, std::string help);
  void StringList(std::string name, std::vector<std::string>* target, std::string help);
  void Bool(std::string name, bool* target, std::string help);
  void Uint64(std::string name, uint64_t* target, std::string help);
  void Duration(std::string name, absl::Duration* target, std::string help);

  // Parses argv[first..argc). Returns the positional arguments. "--help" is
  // reported as HelpRequested().
  absl::StatusOr<std::vector<std::string>> Parse(int argc, char** argv, int first = 1);
  bool HelpRequested() const { return help_requested_; }
  std::string Help() const;

  // Parse, print help and exit 0 on --help, or print one line and exit 2 on
  // a bad flag.
  std::vector<std::string> ParseOrExit(int argc, char** argv, int first = 1);

 private:
  enum class Kind { kString, kStringList, kBool, kUint64, kDuration };
  struct Flag {
    std::string name;
    Kind kind;
    void* target;
    std::string help;
    std::string default_text;
  };
  const Flag* Find(const std::string& name) const;
  absl::Status Set(const Flag& flag, const std::string& value);

  std::string program_;
  std::string usage_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

// Parses "5s", "500ms", "1m30s", "30d"; a bare number is seconds.
absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& text);

}  // namespace nanokit
