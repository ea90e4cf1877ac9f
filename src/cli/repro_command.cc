// `conveyor repro`: run the stages whose inputs changed.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/run_pipeline.h"

namespace conveyor::cli {

namespace {

class ReproCommand : public Command {
 public:
  std::string_view Name() const override { return "repro"; }
  std::string_view Summary() const override {
    return "Run the pipeline's stages whose command, dependencies, params or outputs changed";
  }
  void Configure(CLI::App& app) override {
    AddRunFlags(app, options_);
    app.footer(
        "Examples:\n"
        "  conveyor repro                 run whatever changed\n"
        "  conveyor repro train -f        rerun 'train' and what it needs\n"
        "  conveyor repro --dry -v        list what would run and why\n"
        "  conveyor repro -j 2            run independent stages two at a time\n"
        "\n"
        "A run that changes something is recorded as an experiment (see 'conveyor exp show');\n"
        "models declared in conveyor.yaml become new versions ('conveyor model list').");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    return RunPipeline(global, console, options_);
  }

 private:
  PipelineRunOptions options_;
};

}  // namespace

std::unique_ptr<Command> MakeReproCommand() { return std::make_unique<ReproCommand>(); }

}  // namespace conveyor::cli
