// `.dvcignore` rules of one repository, as DVC applies them.
//
// Sources (iterative/dvc, dvc/ignore.py at 9f901e57):
//   - Built-in patterns, always first: ".hg/", ".git/", ".git", ".dvc/"
//     (`DvcIgnoreFilter.__init__`, `default_ignore_patterns`). They contain
//     no inner slash, so they apply at every depth: a `.git` file or
//     directory, and `.hg` and `.dvc` directories, are ignored anywhere.
//   - Each directory's `.dvcignore` (unless that file is itself ignored):
//     lines are stripped of surrounding whitespace; empty lines and lines
//     starting with '#' are skipped (`DvcIgnorePatterns.from_file`). Its
//     patterns are relative to its directory and come after those of its
//     ancestors, so a deeper file overrides a shallower one; within the
//     combined list the last matching pattern wins.
//   - A sub-repository (a directory below the root that contains `.dvc`) is
//     ignored (`_update_sub_repo`, pattern "/<name>/").
//   - A path is ignored when it or any of its parent directories is
//     (`DvcIgnorePatterns._ignore`), so `!` cannot re-include a file inside
//     an ignored directory.
// Pattern syntax: see cache/ignore_pattern.h.
//
// Rules are loaded lazily, one directory at a time, so that a walk loads just
// the `.dvcignore` files of the directories it enters (DVC's filter does the
// same through `_get_trie_pattern`).
//
// Thread safety: not thread-safe; the Load* methods mutate. Once loading is
// done, concurrent const calls are safe.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cache/ignore_pattern.h"
#include "common/status.h"

namespace conveyor {

class IgnoreRules {
 public:
  // The built-in rules plus `repo_root/.dvcignore` and the root's
  // sub-repositories. Errors name the .dvcignore file and line.
  static Result<IgnoreRules> Load(const std::filesystem::path& repo_root);

  // Loads the rules of directory `reldir` ('/'-separated, relative to the
  // root, "" for the root): its `.dvcignore` and its sub-repositories.
  // Idempotent. Precondition: the ancestors of `reldir` are loaded (walk
  // top-down, or call LoadAncestors first). `subdirs`, when given, lists the
  // names of reldir's subdirectories (a walker has them already), saving a
  // directory read.
  Status LoadDirectory(std::string_view reldir, const std::vector<std::string>* subdirs = nullptr);

  // Loads every strict ancestor directory of `relpath`, top-down.
  Status LoadAncestors(std::string_view relpath);

  // True if `relpath` ('/'-separated, relative to the root) is ignored, it
  // or a parent directory. Only loaded rules apply.
  bool IsIgnored(std::string_view relpath, bool is_dir) const;

  // The check a walker needs for each entry of a directory it entered: like
  // IsIgnored, but assumes the parent directories are not ignored.
  bool IsIgnoredEntry(std::string_view relpath, bool is_dir) const;

  // True when only the built-in patterns are loaded (a fast path for walks).
  bool OnlyBuiltins() const { return patterns_.size() == builtin_count_; }

  const std::filesystem::path& root() const { return root_; }

 private:
  struct Rule {
    std::string dir;  // directory of the .dvcignore, relative to root; "" = root
    IgnorePattern pattern;
  };

  explicit IgnoreRules(std::filesystem::path root) : root_(std::move(root)) {}
  // The verdict of the last rule that matches `relpath` itself.
  bool LastMatchIgnores(std::string_view relpath, bool is_dir) const;

  std::filesystem::path root_;
  std::vector<Rule> patterns_;  // in precedence order: later rules win
  size_t builtin_count_ = 0;
  std::set<std::string, std::less<>> loaded_dirs_;
};

}  // namespace conveyor
