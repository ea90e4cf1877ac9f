#include "pipeline/project.h"

#include <system_error>

#include "common/file_util.h"
#include "pipeline/dag.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDvcGitignore = "/config.local\n/tmp\n/cache\n";
constexpr std::string_view kDvcignore =
    "# Paths DVC and conveyor leave out when hashing directories, in .gitignore\n"
    "# syntax. Ignoring large scratch folders here speeds up status and repro.\n";

// Reads one config file into `into`, later values winning. A missing file is
// fine; an unreadable or malformed one is an error.
Status MergeConfig(const fs::path& path, const std::string& display, IniFile& into) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return OkStatus();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  ASSIGN_OR_RETURN(IniFile file, IniFile::Parse(text, display));
  for (const std::string& section : file.Sections()) {
    for (const auto& [key, value] : file.Items(section))
      into.Set(section, key, value);
  }
  return OkStatus();
}

}  // namespace

Result<Project> Project::Open(const fs::path& root) {
  std::error_code ec;
  fs::path absolute = fs::weakly_canonical(root, ec);
  if (ec)
    return Error(Code::kIo, "cannot resolve {}: {}", root.string(), ec.message());
  if (!fs::is_directory(absolute / ".dvc", ec)) {
    return Error(Code::kNotFound, "{} is not a project: it has no .dvc directory",
                 absolute.string());
  }
  ASSIGN_OR_RETURN(IniFile config, IniFile::Parse("", ""));
  RETURN_IF_ERROR(MergeConfig(absolute / ".dvc" / "config", ".dvc/config", config));
  RETURN_IF_ERROR(MergeConfig(absolute / ".dvc" / "config.local", ".dvc/config.local", config));
  return Project(absolute, std::move(config));
}

Result<Project> Project::Discover(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(start, ec);
  if (ec)
    return Error(Code::kIo, "cannot resolve {}: {}", start.string(), ec.message());
  for (fs::path probe = dir;; probe = probe.parent_path()) {
    if (fs::is_directory(probe / ".dvc", ec))
      return Open(probe);
    if (probe == probe.parent_path())
      break;
  }
  return Error(Code::kNotFound,
               "not inside a project: no .dvc directory in {} or any parent (run 'conveyor "
               "init' to create one)",
               dir.string());
}

Result<Project> Project::Init(const fs::path& root, bool no_scm, bool force) {
  std::error_code ec;
  if (fs::exists(root / ".dvc", ec) && !force) {
    return Error(Code::kAlreadyExists,
                 "{} is already a project (.dvc exists); use --force to initialise it again",
                 root.string());
  }
  if (!no_scm && !fs::exists(root / ".git", ec)) {
    return Error(Code::kInvalid,
                 "{} is not a Git repository: run 'git init' first, or use --no-scm to "
                 "version data without Git",
                 root.string());
  }
  fs::create_directories(root / ".dvc", ec);
  if (ec)
    return Error(Code::kIo, "cannot create {}: {}", (root / ".dvc").string(), ec.message());
  RETURN_IF_ERROR(AtomicWriteFile(root / ".dvc" / ".gitignore", kDvcGitignore));
  RETURN_IF_ERROR(
      AtomicWriteFile(root / ".dvc" / "config", no_scm ? "[core]\n    no_scm = True\n" : ""));
  if (!fs::exists(root / ".dvcignore", ec)) {
    RETURN_IF_ERROR(AtomicWriteFile(root / ".dvcignore", kDvcignore));
  }
  return Open(root);
}

fs::path Project::cache_dir() const {
  std::optional<std::string> dir = config_.Get("cache", "dir");
  if (!dir)
    return dvc_dir() / "cache";
  fs::path configured(*dir);
  return configured.is_absolute() ? configured : (dvc_dir() / configured).lexically_normal();
}

bool Project::UsesGit() const {
  std::optional<std::string> no_scm = config_.Get("core", "no_scm");
  return !(no_scm && (*no_scm == "True" || *no_scm == "true"));
}

Result<std::string> Project::RelativePath(const fs::path& cwd, const fs::path& user_path) const {
  fs::path absolute = (user_path.is_absolute() ? user_path : cwd / user_path).lexically_normal();
  fs::path relative = absolute.lexically_relative(root_);
  std::string text = relative.generic_string();
  if (relative.empty() || text == ".." || text.rfind("../", 0) == 0) {
    return Error(Code::kInvalid, "'{}' is outside the project at {}", user_path.string(),
                 root_.string());
  }
  return JoinProjectPath(".", text);
}

}  // namespace conveyor
