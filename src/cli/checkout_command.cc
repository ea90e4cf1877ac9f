// `conveyor checkout`: restore recorded outputs from the cache.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "pipeline/checkout.h"

namespace conveyor::cli {

namespace {

class CheckoutCommand : public Command {
 public:
  std::string_view Name() const override { return "checkout"; }
  std::string_view Summary() const override {
    return "Make data and outputs in the workspace match dvc.lock and .dvc files";
  }
  void Configure(CLI::App& app) override {
    app.add_option("targets", options_.targets, "Stages, .dvc files or paths (default: all)");
    app.add_flag("-f,--force", options_.force,
                 "Replace workspace changes even if they are not in the cache");
    app.footer(
        "Example:\n"
        "  git checkout v1.0 && conveyor checkout     data and models as of v1.0");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kWrite));
    ASSIGN_OR_RETURN(std::unique_ptr<ProjectCache> cache, ProjectCache::Open(loaded->project));
    ASSIGN_OR_RETURN(std::unique_ptr<ProjectHasher> hasher, cache->NewHasher());
    ASSIGN_OR_RETURN(CheckoutReport report,
                     CheckoutWorkspace(*cache, loaded->workspace, hasher->get(), options_));
    for (const std::string& path : report.added)
      console.Out("A\t" + path);
    for (const std::string& path : report.modified)
      console.Out("M\t" + path);
    if (report.added.empty() && report.modified.empty() && report.missing.empty()) {
      console.Note("Everything is already checked out.");
    }
    if (!report.missing.empty()) {
      std::string list;
      for (const std::string& path : report.missing)
        list += (list.empty() ? "" : ", ") + path;
      return Error(Code::kNotFound, "not in the cache, so not checked out: {}", list);
    }
    return OkStatus();
  }

 private:
  CheckoutOptions options_;
};

}  // namespace

std::unique_ptr<Command> MakeCheckoutCommand() { return std::make_unique<CheckoutCommand>(); }

}  // namespace conveyor::cli
