// What `repro` and `exp run` share: run the pipeline with progress on the
// console, then record the run as an experiment in the registry.
//
// A run that changed nothing records nothing. A run in which a stage failed
// or was interrupted is recorded as failed (with the error), and the error
// is still returned. Recording happens after the run; if the registry
// cannot be reached the pipeline's results stay and the error says that
// only the record is missing.
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"
#include "common/status.h"
#include "experiments/params_override.h"
#include "pipeline/repro.h"

namespace CLI {
class App;
}  // namespace CLI

namespace conveyor::cli {

struct PipelineRunOptions {
  ReproOptions repro;
  bool no_record = false;                // --no-record
  bool no_run_cache = false;             // --no-run-cache
  std::string registry;                  // --registry URL; empty: see registry_location.h
  std::string name;                      // exp run -n NAME
  std::vector<ParamOverride> overrides;  // exp run -S
};

// Declares repro's flags (targets, -f, --dry, -s, --downstream, -j,
// --no-record, --registry, --no-run-cache) on `app`, bound to `options`.
void AddRunFlags(CLI::App& app, PipelineRunOptions& options);

Status RunPipeline(const GlobalOptions& global, Console& console,
                   const PipelineRunOptions& options);

}  // namespace conveyor::cli
