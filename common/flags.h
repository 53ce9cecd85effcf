#pragma once
// Command-line flags, on CLI11 (Debian's libcli11-dev). The command lines
// are a contract: an unknown or malformed flag is one line on stderr naming
// the flag, and exit code 2; "--name value" and "--name=value" both work;
// --help lists every flag with its default; a flag given twice takes its
// last value (a wrapper's defaults first, then the caller's own).
//
// Every program also takes --config PATH: the same flags from a file, in
// TOML or INI ("name = value", the flags' names without the dashes;
// repeatable flags as lists, allowed-origin = ["a", "b"]). The command line
// wins over the file; a name the program does not know is an error.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace CLI {
class App;
}

namespace nanokit {

class FlagSet {
 public:
  FlagSet(std::string program, std::string usage);
  ~FlagSet();
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // Each target holds the default value when registered.
  void String(std::string name, std::string* target, std::string help);
  void StringList(std::string name, std::vector<std::string>* target, std::string help);
  void Bool(std::string name, bool* target, std::string help);
  void Uint64(std::string name, uint64_t* target, std::string help);
  void Duration(std::string name, absl::Duration* target, std::string help);

  // Parses argv[first..argc) (and the --config file, if named). Returns the
  // positional arguments. "--help" is reported as HelpRequested().
  absl::StatusOr<std::vector<std::string>> Parse(int argc, char** argv, int first = 1);
  bool HelpRequested() const { return help_requested_; }
  // Whether the flag was given (on the command line or in --config), after
  // Parse: for flags that exclude each other.
  bool Given(const std::string& name) const;
  std::string Help() const;

  // Parse, print help and exit 0 on --help, or print one line and exit 2 on
  // a bad flag.
  std::vector<std::string> ParseOrExit(int argc, char** argv, int first = 1);

 private:
  struct Described {
    std::string name;
    bool takes_value;
    std::string help;
    std::string default_text;
  };

  std::string program_;
  std::string usage_;
  std::unique_ptr<CLI::App> app_;
  std::vector<Described> described_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

// Parses "5s", "500ms", "1m30s", "30d"; a bare number is seconds.
absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& text);

}  // namespace nanokit
