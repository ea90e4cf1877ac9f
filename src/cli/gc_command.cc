// `conveyor gc`: remove cache objects nothing references.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "cli/registry_commands.h"
#include "experiments/registry_location.h"
#include "experiments/registry_sync.h"
#include "pipeline/gc.h"

namespace conveyor::cli {

namespace {

class GcCommand : public Command {
 public:
  std::string_view Name() const override { return "gc"; }
  std::string_view Summary() const override {
    return "Remove cache objects that neither the workspace (and, if asked, Git history) nor a "
           "registered model version uses";
  }
  void Configure(CLI::App& app) override {
    app.add_flag("-w,--workspace", options_.workspace, "Keep what the workspace uses");
    app.add_flag("-a,--all-branches", options_.all_branches, "Also keep what every branch uses");
    app.add_flag("-T,--all-tags", options_.all_tags, "Also keep what every tag uses");
    app.add_flag("-A,--all-commits", options_.all_commits, "Also keep what any commit uses");
    app.add_flag("--dry", options_.dry, "Count what would be removed; remove nothing");
    app.add_flag("-f,--force", force_, "Do not ask for confirmation");
    app.add_flag("--json", json_,
                 "Print {dry, removed, removed_bytes, kept, kept_for} as JSON (removed: what "
                 "would go with --dry)");
    CLI::Option* no_registry =
        app.add_flag("--no-registry", no_registry_,
                     "Do not keep the objects of registered model versions the scope does not use");
    AddRegistryFlag(app, registry_url_)->excludes(no_registry);
    app.footer(
        "Every registered model version's objects are kept too, so that\n"
        "'conveyor serve -m NAME@VERSION' still finds them; --no-registry drops\n"
        "that rule.\n"
        "\n"
        "Examples:\n"
        "  conveyor gc -w --dry            how much would go\n"
        "  conveyor gc -w -a -T -f         keep workspace, branches and tags; remove the rest");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kWrite));
    ObjectStore store(loaded->project.cache_dir());
    RETURN_IF_ERROR(CheckGcScope(options_));
    if (!no_registry_) {
      Result<std::set<std::string>> registered = RegisteredObjects(loaded->project);
      if (!registered.ok()) {
        return Error(registered.status().code(),
                     "{}; to keep only what the scope uses, run gc with --no-registry instead",
                     registered.status().message());
      }
      options_.registered = std::move(*registered);
    }
    if (!options_.dry && !force_) {
      GcOptions preview = options_;
      preview.dry = true;
      ASSIGN_OR_RETURN(GcReport report,
                       CollectGarbage(loaded->project, loaded->workspace, store, preview));
      if (report.removed == 0) {
        if (json_) {
          PrintJson(console, report, /*dry=*/false);
        } else {
          console.Out("Nothing to remove.");
        }
        return OkStatus();
      }
      if (!::isatty(STDIN_FILENO)) {
        return Error(Code::kUsage,
                     "gc would remove {} objects ({} bytes); pass -f to confirm (there is no "
                     "terminal to ask on)",
                     report.removed, report.removed_bytes);
      }
      std::cerr << fmt::format("Remove {} objects ({} bytes) not used by {}? [y/N] ",
                               report.removed, report.removed_bytes, Describe(report));
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y" && answer != "yes") {
        if (json_) {
          report.removed = 0;
          report.removed_bytes = 0;
          PrintJson(console, report, /*dry=*/false);
        } else {
          console.Out("Nothing removed.");
        }
        return OkStatus();
      }
    }
    ASSIGN_OR_RETURN(GcReport report,
                     CollectGarbage(loaded->project, loaded->workspace, store, options_));
    if (json_) {
      PrintJson(console, report, options_.dry);
    } else {
      console.Out(fmt::format("{} {} objects ({} bytes); kept {} used by {}.",
                              options_.dry ? "Would remove" : "Removed", report.removed,
                              report.removed_bytes, report.referenced, Describe(report)));
    }
    return OkStatus();
  }

 private:
  // With --dry, "removed" counts what would go.
  static void PrintJson(Console& console, const GcReport& report, bool dry) {
    nlohmann::ordered_json json = {{"dry", dry},
                                   {"removed", report.removed},
                                   {"removed_bytes", report.removed_bytes},
                                   {"kept", report.referenced},
                                   {"kept_for", report.sources}};
    console.Out(json.dump(2));
  }

  static std::string Describe(const GcReport& report) {
    if (report.sources.size() <= 3) {
      std::string text;
      for (const std::string& source : report.sources)
        text += (text.empty() ? "" : ", ") + source;
      return text;
    }
    // The workspace, perhaps the registry, then revisions.
    size_t named = report.sources[1] == kRegisteredModelsSource ? 2 : 1;
    return fmt::format("the workspace{} and {} revisions", named == 2 ? ", registered models" : "",
                       report.sources.size() - named);
  }

  // Every registered model version's objects; none for a project that never
  // made its default registry. A registry named elsewhere must exist.
  Result<std::set<std::string>> RegisteredObjects(const Project& project) const {
    ASSIGN_OR_RETURN(ConveyorConfig config, LoadConveyorConfig(project.root()));
    ASSIGN_OR_RETURN(std::unique_ptr<RegistryStore> registry,
                     OpenExistingProjectRegistry(project, config, registry_url_,
                                                 LostRegistry::kRefuse, NamedRegistry::kMustExist));
    if (registry == nullptr)
      return std::set<std::string>{};
    return RegistryModelObjects(*registry);
  }

  GcOptions options_;
  bool force_ = false;
  bool no_registry_ = false;
  bool json_ = false;
  std::string registry_url_;
};

}  // namespace

std::unique_ptr<Command> MakeGcCommand() { return std::make_unique<GcCommand>(); }

}  // namespace conveyor::cli
