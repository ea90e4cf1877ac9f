// Read-only access to a Git repository through libgit2: which commits the
// branches and tags point at, and the files of a commit.
//
// Thread safety: one GitRepo per thread (libgit2 repository handles are not
// safe to share for concurrent reads).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

struct Revision {
  std::string name;    // "refs/heads/main", "refs/tags/v1", or a commit id
  std::string commit;  // 40 hex digits
};

// What HEAD is: the commit and, when on a branch, its name.
struct HeadInfo {
  std::string commit;   // 40 hex digits; empty in a repository with no commits
  std::string branch;   // "main"; empty when HEAD is detached
  std::string author;   // "Name <email>" of the commit
  std::string summary;  // first line of the commit message
  int64_t time = 0;     // commit time, Unix seconds
};

struct RevisionScope {
  bool branches = false;     // every local branch tip
  bool tags = false;         // every tag (annotated tags peeled to their commit)
  bool all_commits = false;  // every commit reachable from any branch or tag
};

class GitRepo {
 public:
  // Opens the repository whose work tree is `root`. kNotFound when `root` is
  // not inside a Git repository.
  static Result<std::unique_ptr<GitRepo>> Open(const std::filesystem::path& root);
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // The repository's work tree root (may be above the project root).
  const std::filesystem::path& workdir() const;

  // The commits in `scope`, each once, in a stable order.
  Result<std::vector<Revision>> Revisions(const RevisionScope& scope);

  // HEAD's commit and branch. kNotFound when HEAD has no commit yet.
  Result<HeadInfo> Head();

  // The commit that `spec` names: anything `git rev-parse` accepts
  // ("HEAD", "HEAD~1", "main", "v1.2", a full or abbreviated SHA), peeled to
  // a commit. kNotFound (naming `spec`) when nothing matches, kInvalid when
  // it is ambiguous or not a commit.
  Result<std::string> ResolveCommit(std::string_view spec);

  // The abbreviated form of `commit` Git would print (7 hex digits, longer
  // when needed to be unique).
  Result<std::string> ShortId(const std::string& commit);

  // The contents of the file at work-tree-relative `path` ('/'-separated)
  // in `commit`; std::nullopt when the commit has no such file.
  Result<std::optional<std::string>> ReadFile(const std::string& commit, std::string_view path);

  // True when a tracked file differs between HEAD, the index and the work
  // tree, or an untracked file that is not ignored exists under `subdir`
  // (work-tree-relative; empty for the whole work tree).
  Result<bool> IsDirty(std::string_view subdir = {});

  // Calls `visit(path, contents)` for every file of `commit` whose
  // '/'-separated path satisfies `wanted` (decided from the path alone,
  // before the blob is read).
  Status ForEachFile(
      const std::string& commit, const std::function<bool(std::string_view path)>& wanted,
      const std::function<Status(std::string_view path, std::string_view contents)>& visit);

 private:
  struct Handle;
  explicit GitRepo(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace conveyor
