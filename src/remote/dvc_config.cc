#include "remote/dvc_config.h"

#include <fmt/core.h>

#include <algorithm>
#include <system_error>

#include "common/file_util.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// The remote name of a section such as `remote "storage"`, lower-cased as
// DVC reads it; nullopt for other sections.
std::optional<std::string> RemoteNameOf(std::string_view section) {
  std::string lower = Lower(section);
  std::string_view text = lower;
  text.remove_prefix(std::min(text.find_first_not_of(" \t"), text.size()));
  if (!text.starts_with("remote"))
    return std::nullopt;
  text.remove_prefix(6);
  text.remove_prefix(std::min(text.find_first_not_of(" \t"), text.size()));
  size_t end = text.find_last_not_of(" \t");
  if (text.size() < 2 || text.front() != '"' || end == std::string_view::npos || text[end] != '"')
    return std::nullopt;
  return std::string(text.substr(1, end - 1));
}

std::string JoinNames(const std::vector<RemoteConfig>& remotes) {
  std::string text;
  for (const RemoteConfig& remote : remotes)
    text += (text.empty() ? "" : ", ") + remote.name;
  return text.empty() ? "none" : text;
}

}  // namespace

std::string DvcConfig::DisplayName(ConfigLevel level) {
  return level == ConfigLevel::kRepo ? ".dvc/config" : ".dvc/config.local";
}

std::string DvcConfig::SectionFor(std::string_view name) {
  return fmt::format("remote \"{}\"", name);
}

const DvcConfig::LevelFile& DvcConfig::Level(ConfigLevel level) const {
  return level == ConfigLevel::kRepo ? repo_ : local_;
}

DvcConfig::LevelFile& DvcConfig::Level(ConfigLevel level) {
  return level == ConfigLevel::kRepo ? repo_ : local_;
}

Result<DvcConfig> DvcConfig::Load(const fs::path& dvc_dir) {
  DvcConfig config;
  config.dvc_dir_ = dvc_dir;
  for (ConfigLevel level : {ConfigLevel::kRepo, ConfigLevel::kLocal}) {
    LevelFile& file = config.Level(level);
    file.path = dvc_dir / (level == ConfigLevel::kRepo ? "config" : "config.local");
    std::string text;
    std::error_code ec;
    if (fs::exists(file.path, ec)) {
      ASSIGN_OR_RETURN(text, ReadFileToString(file.path));
    }
    ASSIGN_OR_RETURN(file.doc, IniDocument::Parse(text, DisplayName(level)));
  }
  return config;
}

Result<std::vector<RemoteConfig>> DvcConfig::Remotes() const {
  std::vector<RemoteConfig> remotes;
  std::vector<std::pair<ConfigLevel, int>> first_seen;  // level and line of each
  for (ConfigLevel level : {ConfigLevel::kRepo, ConfigLevel::kLocal}) {
    const IniDocument& doc = Level(level).doc;
    for (const std::string& section : doc.Sections()) {
      std::optional<std::string> name = RemoteNameOf(section);
      if (!name)
        continue;
      auto it = std::find_if(remotes.begin(), remotes.end(),
                             [&](const RemoteConfig& r) { return r.name == *name; });
      if (it == remotes.end()) {
        remotes.push_back({.name = *name, .base_dir = dvc_dir_});
        first_seen.emplace_back(level, doc.SectionLine(section));
        it = remotes.end() - 1;
      }
      for (const auto& [key, value] : doc.Items(section)) {
        if (Lower(key) == "url") {
          it->url = value;
          it->url_level = level;
        } else {
          it->options[Lower(key)] = value;
        }
      }
    }
  }
  for (size_t i = 0; i < remotes.size(); ++i) {
    if (remotes[i].url.empty()) {
      return Error(Code::kInvalid, "{}:{}: remote '{}' has no url",
                   DisplayName(first_seen[i].first), first_seen[i].second, remotes[i].name);
    }
  }
  return remotes;
}

Result<RemoteConfig> DvcConfig::Remote(std::string_view name) const {
  ASSIGN_OR_RETURN(std::vector<RemoteConfig> remotes, Remotes());
  std::string lower = Lower(name);
  for (const RemoteConfig& remote : remotes) {
    if (remote.name == lower)
      return remote;
  }
  return Error(Code::kNotFound, "remote '{}' does not exist; known remotes: {}", name,
               JoinNames(remotes));
}

std::optional<std::string> DvcConfig::DefaultRemote(ConfigLevel level) const {
  std::optional<std::string> value = Level(level).doc.Get("core", "remote");
  if (value)
    return Lower(*value);
  return std::nullopt;
}

std::optional<std::string> DvcConfig::DefaultRemote() const {
  std::optional<std::string> local = DefaultRemote(ConfigLevel::kLocal);
  return local ? local : DefaultRemote(ConfigLevel::kRepo);
}

bool DvcConfig::HasRemote(ConfigLevel level, std::string_view name) const {
  return Level(level).doc.HasSection(SectionFor(Lower(name)));
}

Result<RemoteType> DvcConfig::TypeOf(std::string_view name) const {
  std::string url;
  for (ConfigLevel level : {ConfigLevel::kRepo, ConfigLevel::kLocal}) {
    if (auto value = Level(level).doc.Get(SectionFor(name), "url"))
      url = *value;
  }
  if (url.empty())
    return RemoteType::kLocal;
  ASSIGN_OR_RETURN(RemoteUrl parsed, ParseRemoteUrl(url));
  return parsed.type;
}

Status DvcConfig::AddRemote(ConfigLevel level, std::string_view name, std::string_view url,
                            bool force) {
  std::string lower = Lower(name);
  RETURN_IF_ERROR(ValidateRemoteName(lower));
  ASSIGN_OR_RETURN(RemoteUrl parsed, ParseSupportedRemoteUrl(url));
  LevelFile& file = Level(level);
  std::string section = SectionFor(lower);
  if (file.doc.HasSection(section)) {
    if (!force) {
      return Error(Code::kAlreadyExists,
                   "remote '{}' already exists in {}; use -f|--force to overwrite it", lower,
                   DisplayName(level));
    }
    // Replaced in place, as DVC does: the new url and nothing else.
    RETURN_IF_ERROR(file.doc.Set(section, "url", parsed.url));
    for (const auto& [key, value] : file.doc.Items(section)) {
      if (Lower(key) != "url")
        file.doc.Remove(section, key);
    }
  } else {
    file.doc.AddSection(section);
    RETURN_IF_ERROR(file.doc.Set(section, "url", parsed.url));
  }
  file.dirty = true;
  return OkStatus();
}

Status DvcConfig::SetRemoteOption(ConfigLevel level, std::string_view name, std::string_view option,
                                  std::string_view value) {
  std::string lower = Lower(name);
  std::string key = Lower(option);
  bool visible = HasRemote(ConfigLevel::kRepo, lower) ||
                 (level == ConfigLevel::kLocal && HasRemote(ConfigLevel::kLocal, lower));
  if (!visible) {
    if (HasRemote(ConfigLevel::kLocal, lower)) {
      return Error(Code::kNotFound,
                   "remote '{}' is defined in .dvc/config.local only; modify it with --local",
                   lower);
    }
    Result<RemoteConfig> found = Remote(lower);
    return found.ok() ? Error(Code::kNotFound, "remote '{}' does not exist", lower)
                      : found.status();
  }
  std::string written(value);
  RemoteType type;
  if (key == "url") {
    ASSIGN_OR_RETURN(RemoteUrl parsed, ParseSupportedRemoteUrl(value));
    written = parsed.url;
    type = parsed.type;
  } else {
    ASSIGN_OR_RETURN(type, TypeOf(lower));
    if (type == RemoteType::kOther) {
      return Error(Code::kInvalid,
                   "remote '{}' is of a type conveyor does not manage; change it with "
                   "'dvc remote modify'",
                   lower);
    }
  }
  RETURN_IF_ERROR(ValidateRemoteOption(type, key, written));
  LevelFile& file = Level(level);
  RETURN_IF_ERROR(file.doc.Set(SectionFor(lower), key, written));
  file.dirty = true;
  return OkStatus();
}

Status DvcConfig::UnsetRemoteOption(ConfigLevel level, std::string_view name,
                                    std::string_view option) {
  std::string lower = Lower(name);
  if (!HasRemote(ConfigLevel::kRepo, lower) && !HasRemote(ConfigLevel::kLocal, lower))
    return Remote(lower).status();
  if (Lower(option) == "url") {
    return Error(Code::kInvalid, "cannot unset the url of remote '{}'; remove the remote instead",
                 lower);
  }
  LevelFile& file = Level(level);
  if (file.doc.Remove(SectionFor(lower), option))
    file.dirty = true;
  return OkStatus();
}

Status DvcConfig::RemoveRemote(ConfigLevel level, std::string_view name) {
  std::string lower = Lower(name);
  LevelFile& file = Level(level);
  if (!file.doc.RemoveSection(SectionFor(lower))) {
    std::string elsewhere =
        HasRemote(level == ConfigLevel::kRepo ? ConfigLevel::kLocal : ConfigLevel::kRepo, lower)
            ? (level == ConfigLevel::kRepo ? " (it is in .dvc/config.local: use --local)"
                                           : " (it is in .dvc/config: drop --local)")
            : "";
    return Error(Code::kNotFound, "remote '{}' does not exist in {}{}", lower, DisplayName(level),
                 elsewhere);
  }
  file.dirty = true;
  for (ConfigLevel clear : {ConfigLevel::kLocal, ConfigLevel::kRepo}) {
    if (DefaultRemote(clear) == lower) {
      Level(clear).doc.Remove("core", "remote");
      Level(clear).dirty = true;
    }
    if (clear == level)
      break;
  }
  return OkStatus();
}

Status DvcConfig::SetDefaultRemote(ConfigLevel level, std::string_view name) {
  std::string lower = Lower(name);
  bool visible = HasRemote(ConfigLevel::kRepo, lower) ||
                 (level == ConfigLevel::kLocal && HasRemote(ConfigLevel::kLocal, lower));
  if (!visible) {
    if (HasRemote(ConfigLevel::kLocal, lower)) {
      return Error(Code::kNotFound,
                   "remote '{}' is defined in .dvc/config.local only; make it the default with "
                   "--local",
                   lower);
    }
    ASSIGN_OR_RETURN(std::vector<RemoteConfig> remotes, Remotes());
    return Error(Code::kNotFound, "cannot make '{}' the default: no such remote; known remotes: {}",
                 lower, JoinNames(remotes));
  }
  LevelFile& file = Level(level);
  // A new [core] goes before the remote sections, where DVC writes it.
  std::string first_remote;
  for (const std::string& section : file.doc.Sections()) {
    if (RemoteNameOf(section)) {
      first_remote = section;
      break;
    }
  }
  file.doc.AddSection("core", first_remote);
  RETURN_IF_ERROR(file.doc.Set("core", "remote", lower));
  file.dirty = true;
  return OkStatus();
}

void DvcConfig::UnsetDefaultRemote(ConfigLevel level) {
  if (Level(level).doc.Remove("core", "remote"))
    Level(level).dirty = true;
}

Status DvcConfig::Save() {
  for (ConfigLevel level : {ConfigLevel::kRepo, ConfigLevel::kLocal}) {
    LevelFile& file = Level(level);
    if (!file.dirty)
      continue;
    std::string text = file.doc.Serialize();
    std::error_code ec;
    if (text.empty() && !fs::exists(file.path, ec)) {
      file.dirty = false;
      continue;
    }
    RETURN_IF_ERROR(AtomicWriteFile(file.path, text));
    file.dirty = false;
  }
  return OkStatus();
}

std::string PathForConfig(std::string_view value, const fs::path& cwd, const fs::path& dvc_dir) {
  if (value.find("://") != std::string_view::npos || fs::path(value).is_absolute())
    return std::string(value);
  std::error_code ec;
  fs::path from = fs::weakly_canonical(cwd, ec) / fs::path(value);
  fs::path base = fs::weakly_canonical(dvc_dir, ec);
  return from.lexically_normal().lexically_relative(base).generic_string();
}

}  // namespace conveyor
