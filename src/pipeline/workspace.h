// Everything the pipeline commands know about a project at one moment: every
// dvc.yaml (parsed and expanded), every .dvc file, and the stage graph built
// from them.
//
// Thread safety: immutable after Load.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/dag.h"
#include "pipeline/dvc_file.h"
#include "pipeline/dvc_yaml.h"
#include "pipeline/file_reader.h"
#include "pipeline/project.h"

namespace conveyor {

struct TrackedFile {
  std::string dvcfile;  // project-relative path of the .dvc file
  DvcFile content;
};

class Workspace {
 public:
  // Finds every dvc.yaml and *.dvc file under the project root (skipping
  // .git, .dvc and what .dvcignore excludes), parses them, and builds the
  // graph. Any parse or structure error fails the whole load.
  static Result<Workspace> Load(const Project& project);
  // Parses exactly `files` (project-relative dvc.yaml and *.dvc paths, in
  // that order) through `read`, and builds the graph: the project as a Git
  // commit has it, say. Errors as Load.
  static Result<Workspace> LoadFiles(const FileReader& read, const std::vector<std::string>& files);

  const Dag& dag() const { return dag_; }
  const std::vector<PipelineFile>& pipelines() const { return pipelines_; }
  const std::vector<TrackedFile>& tracked() const { return tracked_; }

  // The project-relative path of the lock file for stages of `dvcfile`.
  static std::string LockPathFor(const std::string& dvcfile);

 private:
  Workspace(Dag dag, std::vector<PipelineFile> pipelines, std::vector<TrackedFile> tracked)
      : dag_(std::move(dag)), pipelines_(std::move(pipelines)), tracked_(std::move(tracked)) {}

  Dag dag_;
  std::vector<PipelineFile> pipelines_;
  std::vector<TrackedFile> tracked_;
};

// Builds a graph node for `stage` of the dvc.yaml at `dvcfile`, resolving its
// wdir, deps (then params files) and outs to project-relative paths.
Result<StageNode> MakeStageNode(const Stage& stage, const std::string& dvcfile);

}  // namespace conveyor
