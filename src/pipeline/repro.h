// Reproducing a pipeline: decide which stages changed, run them in dependency
// order (several at once with jobs > 1), store their outputs in the cache and
// record each finished stage in dvc.lock.
//
// Guarantees: dvc.lock is rewritten atomically after each stage that
// succeeds, and only then; a failing or interrupted stage leaves its lock
// entry as it was and stops every stage downstream of it. Cache objects are
// written under temporary names and renamed, so an interruption leaves no
// partial object behind.
//
// Thread safety: one Repro drives one run; it owns its worker threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/subprocess.h"
#include "pipeline/dag.h"
#include "pipeline/project.h"
#include "pipeline/stage_diff.h"
#include "pipeline/workspace.h"

namespace conveyor {

struct ReproOptions {
  std::vector<std::string> targets;  // stage names; empty means every stage
  bool force = false;                // run the selected stages even if unchanged
  bool dry = false;                  // only say what would run
  bool single_item = false;          // the targets alone, not their upstream
  bool downstream = false;           // the targets and everything after them
  int jobs = 1;                      // stages run at once (independent ones only)
  bool run_cache = true;             // restore outputs of a run seen before
};

// What the status of one stage is; also the unit `conveyor status` reports.
struct StageReport {
  std::string stage;  // address: "train" or "sub/dvc.yaml:train"
  bool frozen = false;
  std::vector<Change> changes;  // empty when up to date
};

enum class StageResult {
  kUpToDate,  // nothing changed, nothing ran
  kRan,       // commands ran and succeeded; lock updated
  kRestored,  // outputs restored from the run cache; lock updated
  kWouldRun,  // dry run: would have run
  kFailed,    // a command failed or an output was missing
  kNotRun,    // an upstream stage failed, or the run was interrupted
};

// Receives progress; the CLI prints it, tests record it. Called from worker
// threads, so implementations must be thread-safe.
class ReproListener {
 public:
  virtual ~ReproListener() = default;
  virtual void StageSkipped(const StageNode& node, std::string_view reason) = 0;
  virtual void StageStarting(const StageNode& node, const std::vector<Change>& why) = 0;
  virtual void CommandStarting(const StageNode& node, std::string_view command) = 0;
  // The stage's outputs come from the run cache instead of running it.
  virtual void StageRestored(const StageNode& node) = 0;
  virtual void StageFinished(const StageNode& node, StageResult result, const Status& status) = 0;
  virtual void LockWritten(std::string_view lock_path) = 0;
};

struct ReproSummary {
  std::vector<std::pair<std::string, StageResult>> stages;  // in run order
  size_t Count(StageResult result) const;
};

class Repro {
 public:
  // All references must outlive the Repro.
  Repro(const Project& project, const Workspace& workspace, CommandRunner& runner,
        ReproListener& listener);
  ~Repro();

  // Runs the pipeline. The error is the first stage failure (with the
  // summary's details in the listener) or a problem before anything ran
  // (unknown target, missing dependency nobody produces).
  Result<ReproSummary> Run(const ReproOptions& options);

  // What `status` shows: each selected stage and why it would run.
  Result<std::vector<StageReport>> Inspect(const std::vector<std::string>& targets);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace conveyor
