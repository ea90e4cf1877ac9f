#include "pipeline/workspace.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "cache/dvcignore.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

std::string DirOf(const std::string& relpath) {
  size_t slash = relpath.rfind('/');
  return slash == std::string::npos ? "." : relpath.substr(0, slash);
}

// Every dvc.yaml and *.dvc under `root`, project-relative, sorted.
Result<std::pair<std::vector<std::string>, std::vector<std::string>>> FindPipelineFiles(
    const fs::path& root) {
  ASSIGN_OR_RETURN(IgnoreRules ignore, IgnoreRules::Load(root));
  std::vector<std::string> dvc_yamls;
  std::vector<std::string> dvc_files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec)
    return Error(Code::kIo, "cannot list {}: {}", root.string(), ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      return Error(Code::kIo, "cannot list {}: {}", root.string(), ec.message());
    const fs::directory_entry& entry = *it;
    std::string rel = entry.path().lexically_relative(root).generic_string();
    std::string name = entry.path().filename().string();
    bool is_dir = entry.is_directory(ec) && !entry.is_symlink(ec);
    if (is_dir) {
      if (name == ".git" || name == ".dvc" || ignore.IsIgnored(rel, true)) {
        it.disable_recursion_pending();
      } else {
        RETURN_IF_ERROR(ignore.LoadDirectory(rel));
      }
      continue;
    }
    if (name == "dvc.yaml" && !ignore.IsIgnored(rel, false)) {
      dvc_yamls.push_back(rel);
    } else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".dvc") == 0 &&
               entry.is_regular_file(ec) && !ignore.IsIgnored(rel, false)) {
      dvc_files.push_back(rel);
    }
  }
  std::sort(dvc_yamls.begin(), dvc_yamls.end());
  // The root dvc.yaml first, so its stages come first in listings.
  std::stable_partition(dvc_yamls.begin(), dvc_yamls.end(),
                        [](const std::string& p) { return p == "dvc.yaml"; });
  std::sort(dvc_files.begin(), dvc_files.end());
  return std::make_pair(std::move(dvc_yamls), std::move(dvc_files));
}

}  // namespace

std::string Workspace::LockPathFor(const std::string& dvcfile) {
  std::string dir = DirOf(dvcfile);
  return dir == "." ? "dvc.lock" : dir + "/dvc.lock";
}

Result<StageNode> MakeStageNode(const Stage& stage, const std::string& dvcfile) {
  StageNode node;
  node.stage = stage;
  node.dvcfile = dvcfile;
  auto context = [&](const SourceLocation& where, std::string_view what) {
    return fmt::format("{}: stage '{}': {}", where.ToString(), stage.name, what);
  };
  auto wdir = JoinProjectPath(DirOf(dvcfile), stage.wdir);
  if (!wdir.ok())
    return wdir.status().WithContext(context(stage.where, "wdir"));
  node.wdir = *wdir;
  for (size_t i = 0; i < stage.deps.size(); ++i) {
    auto path = JoinProjectPath(node.wdir, stage.deps[i]);
    const SourceLocation& where = i < stage.deps_where.size() ? stage.deps_where[i] : stage.where;
    if (!path.ok())
      return path.status().WithContext(context(where, "deps"));
    node.dep_paths.push_back(*path);
  }
  for (const ParamSpec& params : stage.params) {
    auto path = JoinProjectPath(node.wdir, params.file);
    if (!path.ok())
      return path.status().WithContext(context(params.where, "params"));
    if (std::find(node.dep_paths.begin(), node.dep_paths.end(), *path) == node.dep_paths.end()) {
      node.dep_paths.push_back(*path);
    }
  }
  for (const OutSpec& out : stage.outs) {
    auto path = JoinProjectPath(node.wdir, out.path);
    if (!path.ok())
      return path.status().WithContext(context(out.where, "outs"));
    if (*path == ".") {
      return Error(Code::kInvalid, "{}",
                   context(out.where, "an output cannot be the whole project"));
    }
    node.out_paths.push_back(*path);
  }
  return node;
}

Result<Workspace> Workspace::Load(const Project& project) {
  ASSIGN_OR_RETURN(auto found, FindPipelineFiles(project.root()));
  std::vector<PipelineFile> pipelines;
  std::vector<StageNode> nodes;
  for (const std::string& dvcfile : found.first) {
    ASSIGN_OR_RETURN(PipelineFile pipeline, LoadDvcYaml(project.root(), dvcfile));
    for (const Stage& stage : pipeline.stages) {
      ASSIGN_OR_RETURN(StageNode node, MakeStageNode(stage, dvcfile));
      nodes.push_back(std::move(node));
    }
    pipelines.push_back(std::move(pipeline));
  }
  std::vector<TrackedFile> tracked;
  std::vector<TrackedPath> tracked_paths;
  for (const std::string& dvcfile : found.second) {
    ASSIGN_OR_RETURN(DvcFile content, ReadDvcFile(project.root() / dvcfile));
    for (const DvcOut& out : content.outs) {
      auto path = JoinProjectPath(DirOf(dvcfile), out.path);
      if (!path.ok())
        return path.status().WithContext(dvcfile);
      tracked_paths.push_back({*path, dvcfile});
    }
    tracked.push_back({dvcfile, std::move(content)});
  }
  ASSIGN_OR_RETURN(Dag dag, Dag::Build(std::move(nodes), std::move(tracked_paths)));
  return Workspace(std::move(dag), std::move(pipelines), std::move(tracked));
}

}  // namespace conveyor
