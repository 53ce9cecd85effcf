#include "common/flags.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nanokit {

namespace {

// A value the flag's own rules refuse: CLI11 stops parsing and reports it.
[[noreturn]] void Refuse(const std::string& name, const std::string& why) {
  throw CLI::ValidationError(absl::StrCat("--", name), why);
}

}  // namespace

FlagSet::FlagSet(std::string program, std::string usage)
    : program_(std::move(program)), usage_(std::move(usage)), app_(std::make_unique<CLI::App>(program_)) {
  app_->set_help_flag("-h,--help");
  app_->set_config("--config", "", "Read flags from this TOML or INI file (name = value).");
  app_->allow_config_extras(CLI::config_extras_mode::error);
  // Positional arguments may come between flags ("emit status --project p").
  app_->positionals_at_end(false);
  app_->add_option("args", positional_);
}

FlagSet::~FlagSet() = default;

void FlagSet::String(std::string name, std::string* target, std::string help) {
  described_.push_back({name, true, help, target->empty() ? "\"\"" : *target});
  app_->add_option("--" + name, *target, std::move(help))->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void FlagSet::StringList(std::string name, std::vector<std::string>* target, std::string help) {
  described_.push_back({name, true, help, target->empty() ? "none; repeatable" : absl::StrJoin(*target, ",")});
  // One value per occurrence, appended: "--origin a --origin b", never
  // "--origin a b" (b stays positional).
  app_->add_option_function<std::vector<std::string>>(
          "--" + name, [target](const std::vector<std::string>& values) {
            target->insert(target->end(), values.begin(), values.end());
          },
          std::move(help))
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void FlagSet::Bool(std::string name, bool* target, std::string help) {
  described_.push_back({name, false, help, *target ? "true" : "false"});
  // "--name", "--name=true", "--name=false".
  app_->add_flag("--" + name, *target, std::move(help))->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void FlagSet::Uint64(std::string name, uint64_t* target, std::string help) {
  described_.push_back({name, true, help, absl::StrCat(*target)});
  app_->add_option_function<std::string>(
      "--" + name,
      [name, target](const std::string& value) {
        if (!absl::SimpleAtoi(value, target)) Refuse(name, absl::StrCat("not a number: \"", value, "\""));
      },
      std::move(help))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void FlagSet::Duration(std::string name, absl::Duration* target, std::string help) {
  described_.push_back({name, true, help, absl::FormatDuration(*target)});
  app_->add_option_function<std::string>(
      "--" + name,
      [name, target](const std::string& value) {
        auto duration = ParseDurationFlag(value);
        if (!duration.ok()) Refuse(name, std::string(duration.status().message()));
        if (*duration <= absl::ZeroDuration()) Refuse(name, "must be positive");
        *target = *duration;
      },
      std::move(help))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
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

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(int argc, char** argv, int first) {
  // CLI11 wants the program name first: argv[first - 1] stands in for it.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= first; --i) args.emplace_back(argv[i]);
  try {
    app_->parse(args);  // reversed, as CLI11 takes a vector
  } catch (const CLI::CallForHelp&) {
    help_requested_ = true;
  } catch (const CLI::ExtrasError&) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag ", absl::StrJoin(app_->remaining(), " "), " (see --help)"));
  } catch (const CLI::ArgumentMismatch& e) {
    // CLI11 says "--name: 1 required TEXT missing".
    const std::string what = e.what();
    return absl::InvalidArgumentError(absl::StrCat("flag ", what.substr(0, what.find(':')), " needs a value"));
  } catch (const CLI::ConfigError& e) {
    return absl::InvalidArgumentError(absl::StrCat("--config: ", e.what(), " (not a flag of ", program_, ")"));
  } catch (const CLI::FileError& e) {
    return absl::InvalidArgumentError(absl::StrCat("--config: ", e.what()));
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return positional_;
}

std::string FlagSet::Help() const {
  std::string out = absl::StrCat("Usage: ", program_, " ", usage_, "\n\nFlags:\n");
  for (const Described& flag : described_) {
    std::string left = absl::StrCat("  --", flag.name);
    if (flag.takes_value) absl::StrAppend(&left, " VALUE");
    if (left.size() < 30) left.resize(30, ' ');
    absl::StrAppend(&out, left, " ", flag.help, " (default: ", flag.default_text, ")\n");
  }
  absl::StrAppend(&out, "  --config PATH                Read these flags from a TOML or INI file (name = value).\n");
  absl::StrAppend(&out, "  --help                       Show this help.\n");
  return out;
}

bool FlagSet::Given(const std::string& name) const { return app_->count("--" + name) > 0; }

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
