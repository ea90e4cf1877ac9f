#include "pipeline/workspace.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <set>
#include <system_error>

#include "cache/dvcignore.h"
#include "common/file_util.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

bool IsDvcFileName(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".dvc") == 0;
}

// What the dvc.yaml and .dvc files parsed so far declare.
struct Parsed {
  std::vector<PipelineFile> pipelines;
  std::vector<StageNode> nodes;
  std::vector<TrackedFile> tracked;
  std::vector<TrackedPath> tracked_paths;
  std::set<std::string> data_paths;  // outputs and tracked paths: not searched
};

// Parses the dvc.yaml or .dvc file `file` into `parsed`.
Status ParseMetadataFile(const FileReader& read, const std::string& file, Parsed* parsed) {
  if (fs::path(file).filename() == "dvc.yaml") {
    ASSIGN_OR_RETURN(PipelineFile pipeline, LoadDvcYaml(read, file));
    for (const Stage& stage : pipeline.stages) {
      ASSIGN_OR_RETURN(StageNode node, MakeStageNode(stage, file));
      parsed->data_paths.insert(node.out_paths.begin(), node.out_paths.end());
      parsed->nodes.push_back(std::move(node));
    }
    parsed->pipelines.push_back(std::move(pipeline));
    return OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> text, read(file));
  if (!text)
    return Error(Code::kNotFound, "'{}' does not exist", file);
  ASSIGN_OR_RETURN(DvcFile content, ParseDvcFile(*text, file));
  for (const DvcOut& out : content.outs) {
    auto path = JoinProjectPath(ParentDir(file), out.path);
    if (!path.ok())
      return path.status().WithContext(file);
    parsed->data_paths.insert(*path);
    parsed->tracked_paths.push_back({*path, file});
  }
  parsed->tracked.push_back({file, std::move(content)});
  return OkStatus();
}

}  // namespace

std::string Workspace::LockPathFor(const std::string& dvcfile) {
  std::string dir = ParentDir(dvcfile);
  return dir == "." ? "dvc.lock" : dir + "/dvc.lock";
}

Result<StageNode> MakeStageNode(const Stage& stage, const std::string& dvcfile) {
  StageNode node;
  node.stage = stage;
  node.dvcfile = dvcfile;
  auto context = [&](const SourceLocation& where, std::string_view what) {
    return fmt::format("{}: stage '{}': {}", where.ToString(), stage.name, what);
  };
  auto wdir = JoinProjectPath(ParentDir(dvcfile), stage.wdir);
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
  // Breadth-first, a directory's own dvc.yaml and .dvc files are read before
  // its subdirectories are listed, so the outputs and tracked data they
  // name — often the largest trees in a project — are never walked.
  ASSIGN_OR_RETURN(IgnoreRules ignore, IgnoreRules::Load(project.root()));
  const FileReader read = DiskFileReader(project.root());
  Parsed parsed;
  std::deque<std::string> queue = {""};
  while (!queue.empty()) {
    std::string dir = std::move(queue.front());
    queue.pop_front();
    fs::path absolute = dir.empty() ? project.root() : project.root() / dir;
    std::vector<std::string> files;
    std::vector<std::string> subdirs;
    std::error_code ec;
    for (fs::directory_iterator it(absolute, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::string rel = dir.empty() ? name : fmt::format("{}/{}", dir, name);
      std::error_code type_ec;
      if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) {
        if (name != ".git" && name != ".dvc")
          subdirs.push_back(rel);
      } else if (name == "dvc.yaml" || (IsDvcFileName(name) && it->is_regular_file(type_ec))) {
        files.push_back(rel);
      }
    }
    if (ec)
      return Error(Code::kIo, "cannot list {}: {}", absolute.string(), ec.message());
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      if (!ignore.IsIgnored(file, false))
        RETURN_IF_ERROR(ParseMetadataFile(read, file, &parsed));
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (std::string& sub : subdirs) {
      if (parsed.data_paths.count(sub) != 0 || ignore.IsIgnored(sub, true))
        continue;
      RETURN_IF_ERROR(ignore.LoadDirectory(sub));
      queue.push_back(std::move(sub));
    }
  }
  ASSIGN_OR_RETURN(Dag dag, Dag::Build(std::move(parsed.nodes), std::move(parsed.tracked_paths)));
  return Workspace(std::move(dag), std::move(parsed.pipelines), std::move(parsed.tracked));
}

Result<Workspace> Workspace::LoadFiles(const FileReader& read,
                                       const std::vector<std::string>& files) {
  Parsed parsed;
  for (const std::string& file : files)
    RETURN_IF_ERROR(ParseMetadataFile(read, file, &parsed));
  ASSIGN_OR_RETURN(Dag dag, Dag::Build(std::move(parsed.nodes), std::move(parsed.tracked_paths)));
  return Workspace(std::move(dag), std::move(parsed.pipelines), std::move(parsed.tracked));
}

}  // namespace conveyor
