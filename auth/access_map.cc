#include "auth/access_map.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/json_object.h"
#include "common/log.h"
#include "protocol/names.h"

namespace nanokit::auth {

namespace pb = google::protobuf;

namespace {

// The value at a dotted path; null when any step is missing.
const pb::Value* AtPath(const pb::Struct& claims, const std::vector<std::string>& path) {
  const pb::Struct* object = &claims;
  const pb::Value* value = nullptr;
  for (const std::string& step : path) {
    if (object == nullptr) return nullptr;
    value = FindField(*object, step);
    if (value == nullptr) return nullptr;
    object = value->has_struct_value() ? &value->struct_value() : nullptr;
  }
  return value;
}

}  // namespace

absl::StatusOr<AccessMap> AccessMap::Parse(absl::string_view json) {
  auto parsed = ParseJsonObject(json);
  if (!parsed.ok()) return absl::InvalidArgumentError("the access map is not a JSON object");
  const pb::Struct& document = *parsed;
  const pb::Value* rules = FindField(document, "rules");
  if (rules == nullptr || !rules->has_list_value()) {
    return absl::InvalidArgumentError("the access map has no \"rules\" list");
  }
  AccessMap map;
  int number = 0;
  for (const pb::Value& entry : rules->list_value().values()) {
    ++number;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("access map rule ", number, ": ", what));
    };
    if (!entry.has_struct_value()) return error("not an object");
    const pb::Struct& object = entry.struct_value();
    Rule rule;
    const pb::Value* claim = FindField(object, "claim");
    if (claim == nullptr || !claim->has_string_value() || claim->string_value().empty()) {
      return error("\"claim\" must name a claim, e.g. \"groups\"");
    }
    rule.path = absl::StrSplit(claim->string_value(), '.');
    int matches = 0;
    for (auto [name, kind] : {std::pair{"equals", Rule::Match::kEquals}, std::pair{"prefix", Rule::Match::kPrefix},
                              std::pair{"suffix", Rule::Match::kSuffix}}) {
      const pb::Value* operand = FindField(object, name);
      if (operand == nullptr) continue;
      if (!operand->has_string_value()) return error(absl::StrCat("\"", name, "\" must be a string"));
      rule.match = kind;
      rule.operand = operand->string_value();
      ++matches;
    }
    if (matches != 1) return error("needs exactly one of \"equals\", \"prefix\" and \"suffix\"");
    int grants = 0;
    if (const pb::Value* role = FindField(object, "role")) {
      if (!role->has_string_value() || role->string_value() != "admin") {
        return error("\"role\" can only be \"admin\" (without it a rule grants viewing)");
      }
      rule.admin = true;
      ++grants;
    }
    if (const pb::Value* project = FindField(object, "project")) {
      const std::string& name = project->string_value();
      if (!project->has_string_value() ||
          (name != "$suffix" && name != "$value" && !protocol::IsValidProjectName(name))) {
        return error(absl::StrCat("\"project\" must be a project name, \"$suffix\" or \"$value\": ",
                                  protocol::kProjectNameRule));
      }
      rule.projects.push_back(name);
      ++grants;
    }
    if (const pb::Value* projects = FindField(object, "projects")) {
      if (!projects->has_list_value()) return error("\"projects\" must be a list of project names");
      for (const pb::Value& name : projects->list_value().values()) {
        if (!name.has_string_value() || !protocol::IsValidProjectName(name.string_value())) {
          return error(absl::StrCat("\"projects\" holds a value that is not a project name: ",
                                    protocol::kProjectNameRule));
        }
        rule.projects.push_back(name.string_value());
      }
      ++grants;
    }
    if (grants != 1) return error("grants exactly one of \"projects\", \"project\" and \"role\"");
    for (const auto& [key, value] : object.fields()) {
      static constexpr absl::string_view kKnown[] = {"claim", "equals", "prefix", "suffix",
                                                     "role",  "project", "projects"};
      if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
        return error(absl::StrCat("unknown field ", protocol::Quoted(key)));
      }
    }
    map.rules_.push_back(std::move(rule));
  }
  return map;
}

GrantPtr AccessMap::Evaluate(const pb::Struct& claims, const std::string& subject) const {
  std::vector<std::string> projects;
  for (const Rule& rule : rules_) {
    const pb::Value* value = AtPath(claims, rule.path);
    if (value == nullptr) continue;  // a missing claim matches nothing
    std::vector<const pb::Value*> candidates;
    if (value->has_list_value()) {
      for (const pb::Value& element : value->list_value().values()) candidates.push_back(&element);
    } else {
      candidates.push_back(value);
    }
    for (const pb::Value* candidate : candidates) {
      if (!candidate->has_string_value()) continue;
      const std::string& text = candidate->string_value();
      bool matched = false;
      switch (rule.match) {
        case Rule::Match::kEquals: matched = text == rule.operand; break;
        case Rule::Match::kPrefix: matched = absl::StartsWith(text, rule.operand); break;
        case Rule::Match::kSuffix: matched = absl::EndsWith(text, rule.operand); break;
      }
      if (!matched) continue;
      if (rule.admin) return Grant::Admin(subject);
      for (const std::string& project : rule.projects) {
        std::string name = project;
        if (project == "$value") name = text;
        if (project == "$suffix") name = text.substr(rule.match == Rule::Match::kPrefix ? rule.operand.size() : 0);
        // A value that makes no project name grants nothing.
        if (protocol::IsValidProjectName(name)) projects.push_back(std::move(name));
      }
    }
  }
  if (projects.empty()) return nullptr;
  return Grant::Viewer(subject, std::move(projects));
}

absl::StatusOr<std::string> AccessMapFile::ReadText() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the access map ", path_, ": ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read the access map ", path_));
  return text.str();
}

absl::StatusOr<std::unique_ptr<AccessMapFile>> AccessMapFile::Load(std::string path) {
  std::unique_ptr<AccessMapFile> file(new AccessMapFile(std::move(path)));
  auto text = file->ReadText();
  if (!text.ok()) return text.status();
  auto map = AccessMap::Parse(*text);
  if (!map.ok()) return absl::InvalidArgumentError(absl::StrCat(file->path_, ": ", map.status().message()));
  absl::MutexLock lock(&file->mu_);
  file->text_ = *std::move(text);
  file->map_ = std::make_shared<const AccessMap>(*std::move(map));
  return file;
}

std::shared_ptr<const AccessMap> AccessMapFile::Current() const {
  absl::MutexLock lock(&mu_);
  return map_;
}

bool AccessMapFile::Reload() {
  auto text = ReadText();
  {
    absl::MutexLock lock(&mu_);
    if (text.ok() && *text == text_) return false;
  }
  absl::StatusOr<AccessMap> map = text.ok() ? AccessMap::Parse(*text) : absl::StatusOr<AccessMap>(text.status());
  absl::MutexLock lock(&mu_);
  if (!map.ok()) {
    std::string error(map.status().message());
    if (error != last_error_) {
      log::Warn("access map ", path_, ": ", error, "; keeping the last good one");
      last_error_ = std::move(error);
    }
    return false;
  }
  log::Info("access map ", path_, " read again");
  last_error_.clear();
  text_ = *std::move(text);
  map_ = std::make_shared<const AccessMap>(*std::move(map));
  return true;
}

}  // namespace nanokit::auth
