// Experiments the registry could not take. A pipeline run whose registry
// write fails (the database locked past its busy timeout, a PostgreSQL
// server gone, a full disk) must not lose its record: the run's outputs are
// in the cache and dvc.lock says the stages are up to date, so a rerun has
// nothing to run and would never record it again. The record is kept instead
// as one file under <project>/.conveyor/pending/, in the remote record form
// (registry_sync.h), and the next command that records experiments (repro,
// exp run) adds it first, then removes the file.
//
// Files are written atomically and named "<start, ms, 13 digits>-<tag>.json",
// so a directory listing is the order the runs started in. Recording is safe
// to repeat: a crash between the registry write and the file's removal leaves
// a file whose experiment the store already holds (same commit, start and
// end, author and outcome: ExperimentSyncId), which is then only removed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "experiments/experiment_builder.h"
#include "registry/registry_store.h"

namespace conveyor {

// <project_root>/.conveyor/pending
std::filesystem::path PendingExperimentsDir(const std::filesystem::path& project_root);

// Writes `draft` into `dir` (created if needed); returns the file written.
// The models' created_by must be set (the actor is kept with the record).
Result<std::filesystem::path> KeepPendingExperiment(const std::filesystem::path& dir,
                                                    const ExperimentDraft& draft);

// The pending files in `dir`, oldest run first; none when `dir` is absent.
Result<std::vector<std::filesystem::path>> ListPendingExperiments(const std::filesystem::path& dir);

struct RecordedPending {
  std::filesystem::path file;  // removed now
  ExperimentRecord record;     // as stored (its id and final tag)
  std::vector<ModelVersion> versions;
  bool already_recorded = false;  // the store held it: the file was only removed
};

// Adds every pending experiment to `store`, oldest first, removing each file
// once its record is in. Stops at the first failure (an unreadable file is
// named, and left for the user to inspect) and returns it; what was recorded
// before stays recorded and its files removed.
Result<std::vector<RecordedPending>> RecordPendingExperiments(RegistryStore& store,
                                                              const std::filesystem::path& dir);

}  // namespace conveyor
