#include "scm/git_repo.h"

#include <git2.h>

#include <set>
#include <utility>

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

// The error libgit2 reports for a failed call, or `fallback` when it gives
// no message.
std::string LastGitMessage(std::string_view fallback) {
  const git_error* error = git_error_last();
  return error != nullptr && error->message != nullptr ? error->message : std::string(fallback);
}

// The tree of the commit with the full id `commit_id`.
Status LookupTree(git_repository* repo, const std::string& commit_id, git_tree** tree) {
  git_oid oid;
  if (commit_id.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, commit_id.c_str()) != 0) {
    return Error(Code::kInvalid, "'{}' is not a commit id", commit_id);
  }
  Owned<git_commit, git_commit_free> commit;
  if (git_commit_lookup(&commit.ptr, repo, &oid) != 0)
    return GitError("reading commit " + commit_id);
  if (git_commit_tree(tree, commit.ptr) != 0)
    return GitError("reading the tree of commit " + commit_id);
  return OkStatus();
}

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

Result<HeadInfo> GitRepo::Head() {
  Owned<git_reference, git_reference_free> head;
  int rc = git_repository_head(&head.ptr, handle_->repo);
  if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
    return Error(Code::kNotFound, "HEAD has no commit yet in {}", handle_->workdir.string());
  if (rc != 0)
    return GitError("reading HEAD");
  HeadInfo info;
  if (git_repository_head_detached(handle_->repo) != 1)
    info.branch = git_reference_shorthand(head.ptr);
  Owned<git_object, git_object_free> peeled;
  Owned<git_commit, git_commit_free> commit;
  if (git_reference_peel(&peeled.ptr, head.ptr, GIT_OBJECT_COMMIT) != 0 ||
      git_commit_lookup(&commit.ptr, handle_->repo, git_object_id(peeled.ptr)) != 0) {
    return GitError("reading the commit at HEAD");
  }
  info.commit = OidHex(git_commit_id(commit.ptr));
  const git_signature* author = git_commit_author(commit.ptr);
  if (author != nullptr)
    info.author = fmt::format("{} <{}>", author->name, author->email);
  const char* summary = git_commit_summary(commit.ptr);
  info.summary = summary != nullptr ? summary : "";
  info.time = static_cast<int64_t>(git_commit_time(commit.ptr));
  return info;
}

Result<std::string> GitRepo::ResolveCommit(std::string_view spec) {
  const std::string text(spec);
  Owned<git_object, git_object_free> object;
  int rc =
      text.empty() ? GIT_ENOTFOUND : git_revparse_single(&object.ptr, handle_->repo, text.c_str());
  if (rc == GIT_ENOTFOUND)
    return Error(Code::kNotFound, "unknown revision '{}': no branch, tag or commit has that name",
                 spec);
  if (rc == GIT_EAMBIGUOUS) {
    return Error(Code::kInvalid, "revision '{}' is ambiguous: {}; give more digits", spec,
                 LastGitMessage("several objects match"));
  }
  if (rc != 0) {
    return Error(Code::kInvalid, "'{}' is not a valid revision: {}", spec,
                 LastGitMessage("cannot parse it"));
  }
  Owned<git_object, git_object_free> commit;
  if (git_object_peel(&commit.ptr, object.ptr, GIT_OBJECT_COMMIT) != 0) {
    return Error(Code::kInvalid, "revision '{}' names a {}, not a commit", spec,
                 git_object_type2string(git_object_type(object.ptr)));
  }
  return OidHex(git_object_id(commit.ptr));
}

Result<std::string> GitRepo::ShortId(const std::string& commit_id) {
  git_oid oid;
  if (commit_id.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, commit_id.c_str()) != 0) {
    return Error(Code::kInvalid, "'{}' is not a commit id", commit_id);
  }
  Owned<git_object, git_object_free> object;
  if (git_object_lookup(&object.ptr, handle_->repo, &oid, GIT_OBJECT_ANY) != 0)
    return GitError("looking up " + commit_id);
  git_buf buffer = GIT_BUF_INIT;
  if (git_object_short_id(&buffer, object.ptr) != 0)
    return GitError("abbreviating " + commit_id);
  std::string out(buffer.ptr, buffer.size);
  git_buf_dispose(&buffer);
  return out;
}

Result<std::optional<std::string>> GitRepo::ReadFile(const std::string& commit_id,
                                                     std::string_view path) {
  Owned<git_tree, git_tree_free> tree;
  RETURN_IF_ERROR(LookupTree(handle_->repo, commit_id, &tree.ptr));
  if (path.empty())
    return std::optional<std::string>();
  Owned<git_tree_entry, git_tree_entry_free> entry;
  const std::string text(path);
  int rc = git_tree_entry_bypath(&entry.ptr, tree.ptr, text.c_str());
  if (rc == GIT_ENOTFOUND)
    return std::optional<std::string>();
  if (rc != 0)
    return GitError(fmt::format("reading {} at {}", path, commit_id));
  if (git_tree_entry_type(entry.ptr) != GIT_OBJECT_BLOB)
    return std::optional<std::string>();  // a directory or a submodule
  Owned<git_blob, git_blob_free> blob;
  if (git_blob_lookup(&blob.ptr, handle_->repo, git_tree_entry_id(entry.ptr)) != 0)
    return GitError(fmt::format("reading {} at {}", path, commit_id));
  return std::optional<std::string>(std::in_place,
                                    static_cast<const char*>(git_blob_rawcontent(blob.ptr)),
                                    static_cast<size_t>(git_blob_rawsize(blob.ptr)));
}

Result<bool> GitRepo::IsDirty(std::string_view subdir) {
  git_status_options options;
  git_status_options_init(&options, GIT_STATUS_OPTIONS_VERSION);
  options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  std::string pathspec(subdir);
  while (!pathspec.empty() && pathspec.back() == '/')
    pathspec.pop_back();
  char* pathspec_items[] = {pathspec.data()};
  if (!pathspec.empty() && pathspec != ".") {
    // An untracked directory is otherwise one entry ("new/"), which a
    // pathspec below it ("new/sub") would not match.
    options.flags |= GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    options.pathspec = {pathspec_items, 1};
  }
  Owned<git_status_list, git_status_list_free> list;
  if (git_status_list_new(&list.ptr, handle_->repo, &options) != 0)
    return GitError("reading the status of the work tree");
  return git_status_list_entrycount(list.ptr) > 0;
}

Status GitRepo::ForEachFile(
    const std::string& commit_id, const std::function<bool(std::string_view)>& wanted,
    const std::function<Status(std::string_view, std::string_view)>& visit) {
  Owned<git_tree, git_tree_free> tree;
  RETURN_IF_ERROR(LookupTree(handle_->repo, commit_id, &tree.ptr));

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
