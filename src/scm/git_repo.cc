#include "scm/git_repo.h"

#include <git2.h>

#include <set>

namespace conveyor {

namespace fs = std::filesystem;

namespace {

Status GitError(std::string_view what) {
  const git_error* error = git_error_last();
  return Error(Code::kIo, "git: {}: {}", what, error != nullptr ? error->message : "unknown error");
}

std::string OidHex(const git_oid* oid) {
  char buffer[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buffer, sizeof buffer, oid);
  return buffer;
}

// Owns one libgit2 object and frees it with the matching function.
template <typename T, void (*Free)(T*)>
struct Owned {
  T* ptr = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (ptr != nullptr)
      Free(ptr);
  }
};

}  // namespace

struct GitRepo::Handle {
  git_repository* repo = nullptr;
  fs::path workdir;
  ~Handle() {
    if (repo != nullptr)
      git_repository_free(repo);
    git_libgit2_shutdown();
  }
};

GitRepo::GitRepo(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
GitRepo::~GitRepo() = default;

const fs::path& GitRepo::workdir() const { return handle_->workdir; }

Result<std::unique_ptr<GitRepo>> GitRepo::Open(const fs::path& root) {
  git_libgit2_init();
  auto handle = std::make_unique<Handle>();
  if (git_repository_open_ext(&handle->repo, root.c_str(), 0, nullptr) != 0) {
    return Error(Code::kNotFound, "{} is not inside a Git repository", root.string());
  }
  const char* workdir = git_repository_workdir(handle->repo);
  if (workdir == nullptr)
    return Error(Code::kInvalid, "{}: bare repositories are not supported", root.string());
  handle->workdir = fs::path(workdir).lexically_normal();
  if (handle->workdir.has_filename() == false)
    handle->workdir = handle->workdir.parent_path();
  return std::unique_ptr<GitRepo>(new GitRepo(std::move(handle)));
}

Result<std::vector<Revision>> GitRepo::Revisions(const RevisionScope& scope) {
  std::vector<Revision> revisions;
  std::set<std::string> seen;
  Owned<git_reference_iterator, git_reference_iterator_free> refs;
  if (git_reference_iterator_new(&refs.ptr, handle_->repo) != 0) {
    return GitError("listing references");
  }
  std::vector<git_oid> tips;
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, refs.ptr) == 0) {
    Owned<git_reference, git_reference_free> owned_ref;
    owned_ref.ptr = ref;
    bool branch = git_reference_is_branch(ref) != 0;
    bool tag = git_reference_is_tag(ref) != 0;
    if (!branch && !tag)
      continue;
    Owned<git_object, git_object_free> commit;
    if (git_reference_peel(&commit.ptr, ref, GIT_OBJECT_COMMIT) != 0)
      continue;  // e.g. a tag of a blob
    tips.push_back(*git_object_id(commit.ptr));
    if ((branch && scope.branches) || (tag && scope.tags)) {
      std::string id = OidHex(git_object_id(commit.ptr));
      if (seen.insert(id).second)
        revisions.push_back({git_reference_name(ref), id});
    }
  }
  if (scope.all_commits) {
    Owned<git_revwalk, git_revwalk_free> walk;
    if (git_revwalk_new(&walk.ptr, handle_->repo) != 0)
      return GitError("walking history");
    git_revwalk_sorting(walk.ptr, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    for (const git_oid& tip : tips)
      git_revwalk_push(walk.ptr, &tip);
    git_oid oid;
    while (git_revwalk_next(&oid, walk.ptr) == 0) {
      std::string id = OidHex(&oid);
      if (seen.insert(id).second)
        revisions.push_back({id, id});
    }
  }
  return revisions;
}

Status GitRepo::ForEachFile(
    const std::string& commit_id, const std::function<bool(std::string_view)>& wanted,
    const std::function<Status(std::string_view, std::string_view)>& visit) {
  git_oid oid;
  if (git_oid_fromstr(&oid, commit_id.c_str()) != 0) {
    return Error(Code::kInvalid, "'{}' is not a commit id", commit_id);
  }
  Owned<git_commit, git_commit_free> commit;
  if (git_commit_lookup(&commit.ptr, handle_->repo, &oid) != 0)
    return GitError("reading commit");
  Owned<git_tree, git_tree_free> tree;
  if (git_commit_tree(&tree.ptr, commit.ptr) != 0)
    return GitError("reading commit tree");

  struct WalkState {
    git_repository* repo;
    const std::function<bool(std::string_view)>* wanted;
    const std::function<Status(std::string_view, std::string_view)>* visit;
    Status status;
  } state{handle_->repo, &wanted, &visit, OkStatus()};
  auto callback = [](const char* root, const git_tree_entry* entry, void* payload) -> int {
    auto* s = static_cast<WalkState*>(payload);
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
      return 0;
    std::string path = std::string(root) + git_tree_entry_name(entry);
    if (!(*s->wanted)(path))
      return 0;
    Owned<git_blob, git_blob_free> blob;
    if (git_blob_lookup(&blob.ptr, s->repo, git_tree_entry_id(entry)) != 0) {
      s->status = GitError("reading " + path);
      return -1;
    }
    std::string_view contents(static_cast<const char*>(git_blob_rawcontent(blob.ptr)),
                              static_cast<size_t>(git_blob_rawsize(blob.ptr)));
    s->status = (*s->visit)(path, contents);
    return s->status.ok() ? 0 : -1;
  };
  int rc = git_tree_walk(tree.ptr, GIT_TREEWALK_PRE, callback, &state);
  if (!state.status.ok())
    return state.status;
  if (rc != 0)
    return GitError("walking commit tree");
  return OkStatus();
}

}  // namespace conveyor
