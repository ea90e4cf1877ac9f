#include "pipeline/gc.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "common/file_util.h"
#include "pipeline/dvc_file.h"
#include "pipeline/lock_file.h"
#include "scm/git_repo.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsPipelineMetadata(std::string_view path) {
  std::string_view name =
      path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  return name == "dvc.lock" || (EndsWith(name, ".dvc") && name.size() > 4);
}

// Adds the md5s a lock or .dvc file references (outputs; dependencies that
// are cached elsewhere are referenced by their own producer).
Status AddReferences(std::string_view path, std::string_view text, std::set<std::string>& used) {
  std::string name(path);
  if (EndsWith(path, "dvc.lock")) {
    ASSIGN_OR_RETURN(LockFile lock, ParseLockFile(text, name));
    for (const LockedStage& stage : lock.stages) {
      for (const LockEntry& out : stage.outs) {
        if (!out.hash.md5.empty())
          used.insert(out.hash.md5);
      }
    }
    return OkStatus();
  }
  ASSIGN_OR_RETURN(DvcFile file, ParseDvcFile(text, name));
  for (const DvcOut& out : file.outs) {
    if (!out.hash.md5.empty())
      used.insert(out.hash.md5);
  }
  return OkStatus();
}

// Every object file of the cache, DVC 3 and DVC 2 layouts, with its md5
// (".dir" kept); stray temporary files get an empty md5.
std::vector<std::pair<fs::path, std::string>> ListObjects(const fs::path& cache_dir) {
  std::vector<std::pair<fs::path, std::string>> objects;
  auto scan = [&](const fs::path& root) {
    std::error_code ec;
    for (fs::directory_iterator prefix(root, ec), end; !ec && prefix != end; prefix.increment(ec)) {
      std::string two = prefix->path().filename().string();
      if (two.size() != 2 || !prefix->is_directory(ec))
        continue;
      for (fs::directory_iterator it(prefix->path(), ec); !ec && it != end; it.increment(ec)) {
        std::string rest = it->path().filename().string();
        bool temp = !rest.empty() && rest.front() == '.';
        objects.emplace_back(it->path(), temp ? "" : two + rest);
      }
    }
  };
  scan(cache_dir / "files" / "md5");
  scan(cache_dir);  // DVC 2 layout: <cache>/ab/cdef...
  return objects;
}

}  // namespace

Result<std::set<std::string>> WorkspaceObjects(const Project& project, const Workspace& workspace,
                                               const std::vector<std::string>& targets,
                                               bool for_remote) {
  std::set<std::string> used;
  std::vector<char> matched(targets.size(), 0);
  // Whether an output is wanted: always without targets, else when a target
  // names its owner or a path at or above it.
  auto wanted = [&](std::string_view path, std::initializer_list<std::string_view> owners) {
    bool any = targets.empty();
    for (size_t i = 0; i < targets.size(); ++i) {
      bool hit = PathWithin(path, targets[i]) ||
                 std::find(owners.begin(), owners.end(), targets[i]) != owners.end();
      if (hit) {
        matched[i] = 1;
        any = true;
      }
    }
    return any;
  };
  for (const PipelineFile& pipeline : workspace.pipelines()) {
    std::string lock_path = Workspace::LockPathFor(pipeline.path);
    fs::path lock = project.root() / lock_path;
    std::error_code ec;
    if (!fs::exists(lock, ec))
      continue;
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(lock));
    if (targets.empty() && !for_remote) {
      RETURN_IF_ERROR(AddReferences(lock_path, text, used));
      continue;
    }
    ASSIGN_OR_RETURN(LockFile parsed, ParseLockFile(text, lock_path));
    for (const LockedStage& stage : parsed.stages) {
      const StageNode* node = nullptr;
      for (const StageNode& candidate : workspace.dag().nodes()) {
        if (candidate.dvcfile == pipeline.path && candidate.stage.name == stage.name)
          node = &candidate;
      }
      std::string address = node != nullptr ? node->Address() : stage.name;
      std::string base = node != nullptr ? node->wdir : ParentDir(pipeline.path);
      for (const LockEntry& out : stage.outs) {
        if (out.hash.md5.empty())
          continue;
        if (for_remote && node != nullptr) {
          bool moves = true;
          for (const OutSpec& declared : node->stage.outs) {
            if (declared.path == out.path)
              moves = declared.cache && declared.push;
          }
          if (!moves)
            continue;
        }
        Result<std::string> path = JoinProjectPath(base, out.path);
        if (wanted(path.ok() ? *path : out.path, {stage.name, address}))
          used.insert(out.hash.md5);
      }
    }
  }
  for (const TrackedFile& tracked : workspace.tracked()) {
    for (const DvcOut& out : tracked.content.outs) {
      if (out.hash.md5.empty() || (for_remote && (!out.cache || !out.push)))
        continue;
      Result<std::string> path = JoinProjectPath(ParentDir(tracked.dvcfile), out.path);
      if (wanted(path.ok() ? *path : out.path, {tracked.dvcfile}))
        used.insert(out.hash.md5);
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!matched[i]) {
      return Error(Code::kNotFound,
                   "'{}' is not a stage, a .dvc file or a path with recorded outputs", targets[i]);
    }
  }
  return used;
}

Status CheckGcScope(const GcOptions& options) {
  if (!options.workspace && !options.all_branches && !options.all_tags && !options.all_commits) {
    return Error(Code::kUsage,
                 "say what to keep: -w (the workspace), and optionally -a (all branches), -T "
                 "(all tags) or -A (all commits)");
  }
  return OkStatus();
}

Result<GcReport> CollectGarbage(const Project& project, const Workspace& workspace,
                                const ObjectStore& store, const GcOptions& options) {
  RETURN_IF_ERROR(CheckGcScope(options));
  GcReport report;
  // The workspace is always kept: removing what is checked out now would
  // surprise everyone.
  report.sources.push_back("workspace");
  ASSIGN_OR_RETURN(std::set<std::string> used, WorkspaceObjects(project, workspace));
  if (!options.registered.empty()) {
    report.sources.push_back(kRegisteredModelsSource);
    used.insert(options.registered.begin(), options.registered.end());
  }

  if (options.all_branches || options.all_tags || options.all_commits) {
    auto repo = GitRepo::Open(project.root());
    if (!repo.ok()) {
      return repo.status().WithContext("-a/-T/-A read Git history, but the project has none");
    }
    // Only files under the project root count (the project may be a
    // subdirectory of the repository).
    std::string prefix = project.root().lexically_relative((*repo)->workdir()).generic_string();
    prefix = prefix == "." ? "" : prefix + "/";
    ASSIGN_OR_RETURN(
        std::vector<Revision> revisions,
        (*repo)->Revisions({options.all_branches, options.all_tags, options.all_commits}));
    for (const Revision& revision : revisions) {
      report.sources.push_back(revision.name);
      RETURN_IF_ERROR((*repo)->ForEachFile(
          revision.commit,
          [&](std::string_view path) {
            return path.substr(0, prefix.size()) == prefix && IsPipelineMetadata(path);
          },
          [&](std::string_view path, std::string_view contents) {
            return AddReferences(path, contents, used)
                .WithContext(fmt::format("{} at {}", path, revision.name));
          }));
    }
  }

  // A directory keeps its files.
  std::set<std::string> kept = used;
  for (const std::string& md5 : used) {
    if (!EndsWith(md5, ".dir"))
      continue;
    auto tree = store.LoadTree(md5);
    if (!tree.ok())
      continue;  // the .dir object itself is gone: nothing to keep
    for (const TreeEntry& entry : tree->entries)
      kept.insert(entry.md5);
  }
  report.referenced = kept.size();

  for (const auto& [path, md5] : ListObjects(store.cache_dir())) {
    if (!md5.empty() && kept.count(md5) != 0)
      continue;
    std::error_code ec;
    uintmax_t size = fs::file_size(path, ec);
    if (!ec)
      report.removed_bytes += size;
    ++report.removed;
    if (options.dry)
      continue;
    fs::remove(path, ec);
    if (ec)
      return Error(Code::kIo, "cannot remove {}: {}", path.string(), ec.message());
  }
  return report;
}

}  // namespace conveyor
