// Read-only access to a Git repository through libgit2: which commits the
// branches and tags point at, and the files of a commit.
//
// Thread safety: one GitRepo per thread (libgit2 repository handles are not
// safe to share for concurrent reads).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

struct Revision {
  std::string name;    // "refs/heads/main", "refs/tags/v1", or a commit id
  std::string commit;  // 40 hex digits
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
