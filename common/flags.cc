#include "common/flags.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nanokit {

FlagSet::FlagSet(std::string program, std::string usage)
    : program_(std::move(program)), usage_(std::move(usage)) {}

void FlagSet::String(std::string name, std::string* target, std::string help) {
  flags_.push_back({std::move(name), Kind::kString, target, std::move(help),
                    target->empty() ? "\"\"" : *target});
}

void FlagSet::StringList(std::string name, std::vector<std::string>* target, std::string help) {
  flags_.push_back({std::move(name), Kind::kStringList, target, std::move(help),
                    target->empty() ? "none; repeatable" : absl::StrJoin(*target, ",")});
}

void FlagSet::Bool(std::string name, bool* target, std::string help) {
  flags_.push_back({std::move(name), Kind::kBool, target, std::move(help), *target ? "true" : "false"});
}

void FlagSet::Uint64(std::string name, uint64_t* target, std::string help) {
  flags_.push_back({std::move(name), Kind::kUint64, target, std::move(help), absl::StrCat(*target)});
}

void FlagSet::Duration(std::string name, absl::Duration* target, std::string help) {
  flags_.push_back({std::move(name), Kind::kDuration, target, std::move(help),
                    absl::FormatDuration(*target)});
}

const FlagSet::Flag* FlagSet::Find(const std::string& name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& text) {
  absl::Duration d;
  if (absl::ParseDuration(text, &d)) return d;
  // Days, for expiries: "30d" (absl stops at hours).
  double days;
  if (text.size() > 1 && text.back() == 'd' && absl::SimpleAtod(text.substr(0, text.size() - 1), &days)) {
    return absl::Hours(24 * days);
  }
  double seconds;
  if (absl::SimpleAtod(text, &seconds)) return absl::Seconds(seconds);
  return absl::InvalidArgumentError(absl::StrCat("not a duration: \"", text, "\" (use e.g. 5s, 500ms or 30d)"));
}

absl::Status FlagSet::Set(const Flag& flag, const std::string& value) {
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.target) = value;
      return absl::OkStatus();
    case Kind::kStringList:
      static_cast<std::vector<std::string>*>(flag.target)->push_back(value);
      return absl::OkStatus();
    case Kind::kBool:
      if (value == "true" || value == "1") {
        *static_cast<bool*>(flag.target) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(flag.target) = false;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": not a boolean: \"", value, "\""));
      }
      return absl::OkStatus();
    case Kind::kUint64: {
      uint64_t v;
      if (!absl::SimpleAtoi(value, &v)) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": not a number: \"", value, "\""));
      }
      *static_cast<uint64_t*>(flag.target) = v;
      return absl::OkStatus();
    }
    case Kind::kDuration: {
      auto d = ParseDurationFlag(value);
      if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": ", d.status().message()));
      if (*d <= absl::ZeroDuration()) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": must be positive"));
      }
      *static_cast<absl::Duration*>(flag.target) = *d;
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(int argc, char** argv, int first) {
  std::vector<std::string> positional;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional.push_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (body == "help" || body == "h") {
      help_requested_ = true;
      continue;
    }
    std::string name = body;
    std::string value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (flag->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    if (auto s = Set(*flag, value); !s.ok()) return s;
  }
  return positional;
}

std::string FlagSet::Help() const {
  std::string out = absl::StrCat("Usage: ", program_, " ", usage_, "\n\nFlags:\n");
  for (const Flag& f : flags_) {
    std::string left = absl::StrCat("  --", f.name);
    if (f.kind != Kind::kBool) absl::StrAppend(&left, " VALUE");
    if (left.size() < 30) left.resize(30, ' ');
    absl::StrAppend(&out, left, " ", f.help, " (default: ", f.default_text, ")\n");
  }
  absl::StrAppend(&out, "  --help                       Show this help.\n");
  return out;
}

std::vector<std::string> FlagSet::ParseOrExit(int argc, char** argv, int first) {
  auto positional = Parse(argc, argv, first);
  if (!positional.ok()) {
    std::cerr << program_ << ": " << positional.status().message() << std::endl;
    std::exit(2);
  }
  if (help_requested_) {
    std::cout << Help();
    std::exit(0);
  }
  return *std::move(positional);
}

}  // namespace nanokit
