// Gathers what `conveyor report` shows (report/ci_report.h): opens the
// reported revision and its baseline, compares their metrics and params,
// renders the plots into the output directory, and looks the run up in the
// registry. Every step that can fail without making the report useless
// (no baseline, a plot, the registry) becomes a warning in the report.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/environment.h"
#include "common/status.h"
#include "pipeline/project.h"
#include "registry/registry_store.h"
#include "report/ci_report.h"

namespace conveyor::cli {

struct ReportRequest {
  std::string revision = "workspace";  // what is reported
  // The revision compared with; empty: the first of BaselineCandidates that
  // names a commit (none: a report without a baseline, and a warning).
  std::string baseline;
  std::filesystem::path out_dir;  // plots are rendered here (created)
};

// Where the baseline is looked for when none is given: the merge request's
// target branch (GitLab's CI_MERGE_REQUEST_TARGET_BRANCH_NAME, GitHub's
// GITHUB_BASE_REF) and its remote-tracking branch, else main and master and
// theirs: {"main", "origin/main", "master", "origin/master"}.
std::vector<std::string> BaselineCandidates(const EnvLookup& env);

// Links to the CI run and the commit, from GitLab's CI_PIPELINE_URL,
// CI_JOB_URL, CI_PROJECT_URL or GitHub's GITHUB_SERVER_URL,
// GITHUB_REPOSITORY, GITHUB_RUN_ID; none outside CI.
std::vector<ReportLink> CiLinks(const EnvLookup& env, std::string_view commit);

// The report of `request.revision` in `project`. `store` may be null (no
// registry: no experiment or model sections, and a warning). Errors: an
// unknown `revision` or explicit `baseline` (kNotFound), a revision whose
// pipeline files do not parse, an output directory that cannot be written.
Result<Report> BuildReport(const Project& project, RegistryStore* store,
                           const ReportRequest& request, const EnvLookup& env);

}  // namespace conveyor::cli
