// A DVC project on disk: its root (the directory holding `.dvc/`), its merged
// configuration, and where its cache and scratch files live.
//
// Thread safety: immutable after Open/Init; concurrent const use is safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/ini_file.h"
#include "common/status.h"

namespace conveyor {

class Project {
 public:
  // Finds the project containing `start` by walking up to the nearest
  // directory with a `.dvc/` folder, and reads its config.
  static Result<Project> Discover(const std::filesystem::path& start);
  // Opens the project rooted exactly at `root`.
  static Result<Project> Open(const std::filesystem::path& root);
  // Creates `.dvc/` (config, .gitignore) and `.dvcignore` in `root` as
  // `dvc init` does. Without `no_scm`, `root` must be a Git work tree.
  // Fails if `.dvc/` exists, unless `force`.
  static Result<Project> Init(const std::filesystem::path& root, bool no_scm, bool force);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path dvc_dir() const { return root_ / ".dvc"; }
  // cache.dir from the config (relative to .dvc/), default .dvc/cache.
  std::filesystem::path cache_dir() const;
  // Scratch space that is never committed: .dvc/tmp.
  std::filesystem::path tmp_dir() const { return root_ / ".dvc" / "tmp"; }
  // False for a project made with `init --no-scm` (core.no_scm = True).
  bool UsesGit() const;
  // .dvc/config overlaid with .dvc/config.local.
  const IniFile& config() const { return config_; }

  // Turns a path the user typed (relative to `cwd`, or absolute) into a
  // normalised project-relative path; fails for paths outside the project.
  Result<std::string> RelativePath(const std::filesystem::path& cwd,
                                   const std::filesystem::path& user_path) const;

 private:
  Project(std::filesystem::path root, IniFile config)
      : root_(std::move(root)), config_(std::move(config)) {}

  std::filesystem::path root_;
  IniFile config_;
};

}  // namespace conveyor
