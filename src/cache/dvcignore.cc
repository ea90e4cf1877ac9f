#include "cache/dvcignore.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "common/file_util.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIgnoreFile = ".dvcignore";
constexpr std::string_view kBuiltins[] = {".hg/", ".git/", ".git", ".dvc/"};

std::string Join(std::string_view dir, std::string_view name) {
  if (dir.empty())
    return std::string(name);
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

// Python's str.strip() for the whitespace that can occur in a text file line.
std::string_view Strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos)
    return {};
  size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

bool IsUnder(std::string_view path, std::string_view dir) {
  if (dir.empty())
    return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

Result<std::vector<std::string>> ListSubdirs(const fs::path& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR)
      return names;
    return Error(Code::kIo, "cannot list {}: {}", dir.string(), ErrnoMessage());
  }
  while (dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
      struct stat st {};
      is_dir = ::stat((dir / entry->d_name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir)
      names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

}  // namespace

Result<IgnoreRules> IgnoreRules::Load(const fs::path& repo_root) {
  IgnoreRules rules(repo_root);
  for (std::string_view text : kBuiltins) {
    ASSIGN_OR_RETURN(IgnorePattern pattern, IgnorePattern::Parse(text));
    rules.patterns_.push_back({"", std::move(pattern)});
  }
  rules.builtin_count_ = rules.patterns_.size();
  RETURN_IF_ERROR(rules.LoadDirectory(""));
  return rules;
}

Status IgnoreRules::LoadDirectory(std::string_view reldir,
                                  const std::vector<std::string>* subdirs) {
  if (loaded_dirs_.contains(reldir))
    return OkStatus();
  loaded_dirs_.emplace(reldir);
  fs::path dir = reldir.empty() ? root_ : root_ / fs::path(reldir);

  std::string ignore_rel = Join(reldir, kIgnoreFile);
  fs::path ignore_path = dir / kIgnoreFile;
  struct stat st {};
  if (::stat(ignore_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      !IsIgnored(ignore_rel, /*is_dir=*/false)) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(ignore_path));
    // Python's readlines() in text mode splits on \n, \r\n and \r.
    size_t line_no = 0;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find_first_of("\r\n", start);
      if (end == std::string::npos)
        end = text.size();
      ++line_no;
      std::string_view line = Strip(std::string_view(text).substr(start, end - start));
      if (end < text.size() && text[end] == '\r' && end + 1 < text.size() &&
          text[end + 1] == '\n') {
        ++end;
      }
      start = end + 1;
      if (line.empty() || line.front() == '#')
        continue;
      Result<IgnorePattern> pattern = IgnorePattern::Parse(line);
      if (!pattern.ok()) {
        return pattern.status().WithContext(fmt::format("{}:{}", ignore_path.string(), line_no));
      }
      patterns_.push_back({std::string(reldir), std::move(pattern).value()});
    }
  }

  // Sub-repositories: DVC only looks for them below the root.
  std::vector<std::string> listed;
  if (subdirs == nullptr) {
    ASSIGN_OR_RETURN(listed, ListSubdirs(dir));
    subdirs = &listed;
  }
  for (const std::string& name : *subdirs) {
    struct stat sub {};
    if (::lstat((dir / name / ".dvc").c_str(), &sub) != 0)
      continue;
    ASSIGN_OR_RETURN(IgnorePattern pattern, IgnorePattern::Parse("/" + name + "/"));
    patterns_.push_back({std::string(reldir), std::move(pattern)});
  }
  return OkStatus();
}

Status IgnoreRules::LoadAncestors(std::string_view relpath) {
  RETURN_IF_ERROR(LoadDirectory(""));
  size_t slash = relpath.find('/');
  while (slash != std::string_view::npos) {
    std::string_view dir = relpath.substr(0, slash);
    if (IsIgnored(dir, /*is_dir=*/true))
      return OkStatus();
    RETURN_IF_ERROR(LoadDirectory(dir));
    slash = relpath.find('/', slash + 1);
  }
  return OkStatus();
}

bool IgnoreRules::LastMatchIgnores(std::string_view relpath, bool is_dir) const {
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    const Rule& rule = *it;
    if (!IsUnder(relpath, rule.dir))
      continue;
    std::string_view rel = rule.dir.empty() ? relpath : relpath.substr(rule.dir.size() + 1);
    if (rule.pattern.Matches(rel, is_dir))
      return !rule.pattern.negated();
  }
  return false;
}

bool IgnoreRules::IsIgnoredEntry(std::string_view relpath, bool is_dir) const {
  return LastMatchIgnores(relpath, is_dir);
}

bool IgnoreRules::IsIgnored(std::string_view relpath, bool is_dir) const {
  size_t slash = relpath.find('/');
  while (slash != std::string_view::npos) {
    if (LastMatchIgnores(relpath.substr(0, slash), /*is_dir=*/true))
      return true;
    slash = relpath.find('/', slash + 1);
  }
  return LastMatchIgnores(relpath, is_dir);
}

}  // namespace conveyor
