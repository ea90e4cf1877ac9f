// `conveyor add`: track data files and directories with .dvc files.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "pipeline/data_tracking.h"

namespace conveyor::cli {

namespace {

class AddCommand : public Command {
 public:
  std::string_view Name() const override { return "add"; }
  std::string_view Summary() const override {
    return "Track data files or directories: cache them and write <path>.dvc for Git";
  }
  void Configure(CLI::App& app) override {
    app.add_option("paths", paths_, "Files or directories to track")->required();
    app.footer(
        "Example:\n"
        "  conveyor add data/images\n"
        "  git add data/images.dvc data/.gitignore && git commit -m 'Track images'");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kWrite));
    ASSIGN_OR_RETURN(std::unique_ptr<ProjectCache> cache, ProjectCache::Open(loaded->project));
    ASSIGN_OR_RETURN(std::unique_ptr<ProjectHasher> hasher, cache->NewHasher());
    std::vector<std::string> to_git;
    for (const std::string& path : paths_) {
      ASSIGN_OR_RETURN(std::string relpath, loaded->project.RelativePath(global.cwd, path));
      ASSIGN_OR_RETURN(AddResult added, AddPath(*cache, loaded->workspace, hasher->get(), relpath));
      std::string what =
          added.hash.nfiles ? fmt::format("{} files, {} bytes", *added.hash.nfiles, added.hash.size)
                            : fmt::format("{} bytes", added.hash.size);
      console.Out(fmt::format("{} '{}' ({}) as {}", added.changed ? "Added" : "Unchanged",
                              added.path, what, added.dvcfile));
      to_git.push_back(added.dvcfile);
      if (added.gitignore_updated) {
        size_t slash = added.path.rfind('/');
        to_git.push_back(slash == std::string::npos ? ".gitignore"
                                                    : added.path.substr(0, slash) + "/.gitignore");
      }
    }
    std::string files;
    for (const std::string& file : to_git)
      files += " " + file;
    console.Note(fmt::format("To track the change with Git, run:\n\n\tgit add{}\n", files));
    return OkStatus();
  }

 private:
  std::vector<std::string> paths_;
};

}  // namespace

std::unique_ptr<Command> MakeAddCommand() { return std::make_unique<AddCommand>(); }

}  // namespace conveyor::cli
