#include "report/revision_view.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "pipeline/dag.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos)
      slash = path.size();
    parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// Whether the project-relative `path` of a commit is a file Workspace::Load
// would parse: a dvc.yaml or *.dvc file outside .git/ and .dvc/.
bool IsPipelineFile(std::string_view path) {
  std::vector<std::string> parts = Components(path);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] == ".git" || parts[i] == ".dvc")
      return false;
  }
  const std::string& name = parts.back();
  return name == "dvc.yaml" || (name.size() > 4 && name.compare(name.size() - 4, 4, ".dvc") == 0);
}

// Workspace::Load's order: breadth-first by directory (siblings sorted),
// files of one directory sorted by name.
bool WalkOrder(const std::string& a, const std::string& b) {
  std::vector<std::string> pa = Components(a);
  std::vector<std::string> pb = Components(b);
  if (pa.size() != pb.size())
    return pa.size() < pb.size();
  return pa < pb;
}

// The project root relative to the work tree: "" or "sub/dir/".
Result<std::string> GitPrefix(const Project& project, const GitRepo& repo) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(project.root(), ec);
  fs::path workdir = fs::weakly_canonical(repo.workdir(), ec);
  std::string relative = root.lexically_relative(workdir).generic_string();
  if (relative.empty() || relative.rfind("..", 0) == 0) {
    return Error(Code::kInvalid, "the project {} is not inside the Git work tree {}",
                 project.root().string(), repo.workdir().string());
  }
  return relative == "." ? std::string() : relative + "/";
}

}  // namespace

Result<std::unique_ptr<GitRepo>> OpenProjectRepo(const Project& project, std::string_view command) {
  auto repo = GitRepo::Open(project.root());
  if (!repo.ok()) {
    return Error(Code::kInvalid,
                 "{} compares Git revisions, but {} is not in a Git repository (comparing the "
                 "workspace with itself would show nothing)",
                 command, project.root().string());
  }
  return std::move(repo).value();
}

Result<RevisionPair> OpenRevisionPair(const Project& project, std::string_view command,
                                      std::string_view old_revision,
                                      std::string_view new_revision) {
  RevisionPair pair;
  ASSIGN_OR_RETURN(pair.repo, OpenProjectRepo(project, command));
  ASSIGN_OR_RETURN(pair.old_view, RevisionView::Open(project, pair.repo.get(), old_revision));
  ASSIGN_OR_RETURN(pair.new_view, RevisionView::Open(project, pair.repo.get(), new_revision));
  return pair;
}

Result<std::unique_ptr<RevisionView>> RevisionView::Open(const Project& project, GitRepo* repo,
                                                         std::string_view revision) {
  const std::string name(revision);
  if (revision == kWorkspace) {
    std::unique_ptr<RevisionView> view(new RevisionView(project, repo, name, "", ""));
    auto workspace = Workspace::Load(view->project_);
    if (!workspace.ok())
      return workspace.status().WithContext("in the workspace");
    view->workspace_ = std::make_unique<Workspace>(std::move(workspace).value());
    return view;
  }
  if (repo == nullptr) {
    return Error(Code::kInvalid,
                 "cannot read revision '{}': the project is not in a Git repository", revision);
  }
  ASSIGN_OR_RETURN(std::string commit, repo->ResolveCommit(revision));
  ASSIGN_OR_RETURN(std::string prefix, GitPrefix(project, *repo));
  std::unique_ptr<RevisionView> view(
      new RevisionView(project, repo, name, std::move(commit), std::move(prefix)));

  std::vector<std::string> files;
  RETURN_IF_ERROR(repo->ForEachFile(
      view->commit_,
      [&](std::string_view path) {
        return path.substr(0, view->git_prefix_.size()) == view->git_prefix_ &&
               IsPipelineFile(path.substr(view->git_prefix_.size()));
      },
      [&](std::string_view path, std::string_view) {
        files.emplace_back(path.substr(view->git_prefix_.size()));
        return OkStatus();
      }));
  std::sort(files.begin(), files.end(), WalkOrder);
  auto workspace = Workspace::LoadFiles(view->reader(), files);
  if (!workspace.ok())
    return workspace.status().WithContext(fmt::format("at {}", revision));
  view->workspace_ = std::make_unique<Workspace>(std::move(workspace).value());
  return view;
}

FileReader RevisionView::reader() const {
  return [this](const std::string& path) { return Read(path); };
}

Result<std::optional<std::string>> RevisionView::Read(const std::string& path) const {
  if (is_workspace())
    return DiskFileReader(project_.root())(path);
  ASSIGN_OR_RETURN(std::optional<std::string> blob, ReadBlob(path));
  if (blob)
    return blob;
  return ReadCached(path);
}

Result<std::optional<std::string>> RevisionView::ReadBlob(const std::string& path) const {
  return repo_->ReadFile(commit_, git_prefix_ + path);
}

Result<const LockFile*> RevisionView::LockFor(const std::string& dvcfile) const {
  const std::string path = Workspace::LockPathFor(dvcfile);
  auto it = locks_.find(path);
  if (it == locks_.end()) {
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadBlob(path));
    LockFile lock;
    if (text) {
      auto parsed = ParseLockFile(*text, path);
      if (!parsed.ok())
        return parsed.status().WithContext(fmt::format("at {}", name_));
      lock = std::move(parsed).value();
    }
    it = locks_.emplace(path, std::move(lock)).first;
  }
  return &it->second;
}

Result<std::optional<std::pair<HashInfo, std::string>>> RevisionView::RecordedHash(
    const std::string& path) const {
  using Found = std::optional<std::pair<HashInfo, std::string>>;
  // While the pipeline files themselves are loading (params.yaml read for
  // interpolation), no outputs are known yet: only Git blobs count.
  if (workspace_ == nullptr)
    return Found();
  const Dag& dag = workspace_->dag();
  if (std::optional<size_t> producer = dag.ProducerOf(path)) {
    const StageNode& node = dag.node(*producer);
    ASSIGN_OR_RETURN(const LockFile* lock, LockFor(node.dvcfile));
    const LockedStage* locked = lock->Find(node.stage.name);
    if (locked == nullptr)
      return Found();
    for (const LockEntry& entry : locked->outs) {
      auto out = JoinProjectPath(node.wdir, entry.path);
      if (out.ok() && PathWithin(path, *out))
        return Found(std::make_pair(entry.hash, *out));
    }
    return Found();
  }
  for (const TrackedFile& tracked : workspace_->tracked()) {
    for (const DvcOut& out : tracked.content.outs) {
      auto out_path = JoinProjectPath(ParentDir(tracked.dvcfile), out.path);
      if (out_path.ok() && PathWithin(path, *out_path))
        return Found(std::make_pair(out.hash, *out_path));
    }
  }
  return Found();
}

Result<std::optional<std::string>> RevisionView::ReadCached(const std::string& path) const {
  ASSIGN_OR_RETURN(auto recorded, RecordedHash(path));
  if (!recorded || recorded->first.md5.empty())
    return std::optional<std::string>();
  const auto& [hash, out_path] = *recorded;
  std::string md5 = hash.md5;
  if (hash.IsDir()) {
    if (path == out_path)
      return Error(Code::kInvalid, "'{}' is a directory", path);
    auto tree = store_.LoadTree(hash.md5);
    if (!tree.ok()) {
      return Error(Code::kNotFound,
                   "'{}' at {}: the directory '{}' (md5 {}) is not in the local cache", path, name_,
                   out_path, hash.md5);
    }
    const std::string relpath = path.substr(out_path.size() + 1);
    auto entry = std::find_if(tree->entries.begin(), tree->entries.end(),
                              [&](const TreeEntry& e) { return e.relpath == relpath; });
    if (entry == tree->entries.end())
      return std::optional<std::string>();
    md5 = entry->md5;
  }
  std::optional<fs::path> object = store_.Find(md5);
  if (!object) {
    return Error(Code::kNotFound, "'{}' at {}: its content (md5 {}) is not in the local cache",
                 path, name_, md5);
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(*object));
  return std::optional<std::string>(std::move(text));
}

}  // namespace conveyor
