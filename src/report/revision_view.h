// A project as one revision has it: the files on disk ("workspace") or the
// files of a Git commit. Gives the pipelines of that revision (every dvc.yaml
// and .dvc file, parsed with the same rules as the workspace) and a reader
// for any project file, including DVC-tracked outputs that only the cache
// holds. `metrics diff`, `params diff` and `plots diff` compare two views.
//
// Reading at a commit, for a project-relative path:
//   1. the Git blob, when the commit has the file (the project root may be a
//      subdirectory of the work tree; paths are mapped);
//   2. otherwise, when the path is a DVC output (or a file inside a
//      directory output) whose md5 that commit's dvc.lock or .dvc file
//      records, the object in the local cache;
//   3. otherwise std::nullopt.
// At a commit, .dvcignore is not applied when finding dvc.yaml and .dvc files
// (every such file in the commit's tree under the project root is parsed).
//
// Thread safety: not thread-safe (a GitRepo is one-thread, and parsed lock
// files are cached); use one view per thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/object_store.h"
#include "common/status.h"
#include "pipeline/file_reader.h"
#include "pipeline/lock_file.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"
#include "scm/git_repo.h"

namespace conveyor {

class RevisionView {
 public:
  // The revision name meaning the files on disk, as in DVC.
  static constexpr std::string_view kWorkspace = "workspace";

  // Loads `project` at `revision`: "workspace", or anything
  // GitRepo::ResolveCommit accepts ("HEAD", "HEAD~1", "v1", a short SHA).
  // `repo` is the repository holding the project; it may be null for
  // "workspace" only, and must outlive the view. `project` is copied.
  // Errors: the revision's (kNotFound "unknown revision 'x' ..."), and any
  // parse error of its pipeline files, prefixed with "at <revision>: ".
  static Result<std::unique_ptr<RevisionView>> Open(const Project& project, GitRepo* repo,
                                                    std::string_view revision);

  // The revision as given ("HEAD", "workspace").
  const std::string& name() const { return name_; }
  // The commit's 40-digit id; empty for the workspace.
  const std::string& commit() const { return commit_; }
  bool is_workspace() const { return commit_.empty(); }
  const Workspace& workspace() const { return *workspace_; }

  // The contents of project-relative `path` ('/'-separated, normalised) at
  // this revision (see the order above); std::nullopt when there is none.
  // Errors: kInvalid "'<path>' is a directory"; kNotFound when a commit
  // records the path's md5 but the local cache lacks the object ("... is not
  // in the local cache"); kInvalid for a malformed dvc.lock; kIo.
  Result<std::optional<std::string>> Read(const std::string& path) const;

  // Read as a FileReader; valid while the view lives.
  FileReader reader() const;

 private:
  RevisionView(Project project, GitRepo* repo, std::string name, std::string commit,
               std::string git_prefix)
      : project_(std::move(project)),
        repo_(repo),
        store_(project_.cache_dir()),
        name_(std::move(name)),
        commit_(std::move(commit)),
        git_prefix_(std::move(git_prefix)) {}

  // Reads `path` from the commit's tree.
  Result<std::optional<std::string>> ReadBlob(const std::string& path) const;
  // Reads `path` from the cache by the hash the revision records for it.
  Result<std::optional<std::string>> ReadCached(const std::string& path) const;
  // The md5 the revision records for `path`, with the output it belongs to
  // (`path` itself or a directory above it); nullopt when none is recorded.
  Result<std::optional<std::pair<HashInfo, std::string>>> RecordedHash(
      const std::string& path) const;
  Result<const LockFile*> LockFor(const std::string& dvcfile) const;

  // Constant after Open.
  Project project_;
  GitRepo* repo_;  // not owned; null for a workspace view
  ObjectStore store_;
  std::string name_;
  std::string commit_;      // empty: the workspace
  std::string git_prefix_;  // the project root in the work tree: "" or "sub/dir/"
  std::unique_ptr<Workspace> workspace_;

  // Lock files read so far, by project-relative path.
  mutable std::map<std::string, LockFile> locks_;
};

// The Git repository holding `project`, for commands comparing revisions.
// kInvalid "<command> compares Git revisions, but <root> is not in a Git
// repository ..." when there is none.
Result<std::unique_ptr<GitRepo>> OpenProjectRepo(const Project& project, std::string_view command);

// Two revisions of one project, for the `diff` commands. The views read
// through `repo`, which the pair owns.
struct RevisionPair {
  std::unique_ptr<GitRepo> repo;
  std::unique_ptr<RevisionView> old_view;
  std::unique_ptr<RevisionView> new_view;
};

// Opens the project's repository (as OpenProjectRepo, `command` naming the
// command in its error) and both revisions.
Result<RevisionPair> OpenRevisionPair(const Project& project, std::string_view command,
                                      std::string_view old_revision, std::string_view new_revision);

}  // namespace conveyor
