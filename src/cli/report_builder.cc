#include "cli/report_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "plots/plots_show.h"
#include "report/metrics_table.h"
#include "report/revision_view.h"
#include "scm/git_repo.h"

namespace conveyor::cli {
namespace {

// The registry's newest experiment of `commit`, and the model versions it
// registered.
Status AddRun(RegistryStore& store, const std::string& commit, Report& report) {
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> runs, store.FindExperiments(commit));
  std::erase_if(runs, [&](const ExperimentRecord& run) { return run.commit != commit; });
  if (runs.empty())
    return OkStatus();
  const ExperimentRecord& run = *std::max_element(
      runs.begin(), runs.end(),
      [](const ExperimentRecord& a, const ExperimentRecord& b) { return a.id < b.id; });
  report.experiment = ReportExperiment{.tag = run.tag,
                                       .status = std::string(ExperimentStatusName(run.status)),
                                       .started_at_ms = run.started_at_ms,
                                       .finished_at_ms = run.finished_at_ms,
                                       .message = run.message};
  ASSIGN_OR_RETURN(std::vector<std::string> models, store.ListModels());
  for (const std::string& model : models) {
    ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store.ListModelVersions(model));
    for (const ModelVersion& version : versions) {
      if (version.experiment_id == run.id) {
        report.models.push_back({.name = version.model,
                                 .version = version.version,
                                 .md5 = version.md5,
                                 .aliases = version.aliases});
      }
    }
  }
  return OkStatus();
}

// `name`'s value, nullopt when unset or empty (CI systems export empty
// variables for what does not apply).
std::optional<std::string> Variable(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (value.has_value() && value->empty())
    return std::nullopt;
  return value;
}

// The chart's PNG, or an image plot's copies.
std::vector<std::string> PlotFiles(const PlotOutput& plot) {
  if (!plot.png.empty())
    return {plot.png};
  std::vector<std::string> files;
  for (const HtmlPlot::Image& image : plot.images)
    files.push_back(image.file);
  return files;
}

}  // namespace

std::vector<std::string> BaselineCandidates(const EnvLookup& env) {
  for (const char* variable : {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "GITHUB_BASE_REF"}) {
    if (std::optional<std::string> target = Variable(env, variable))
      return {*target, "origin/" + *target};
  }
  return {"main", "origin/main", "master", "origin/master"};
}

std::vector<ReportLink> CiLinks(const EnvLookup& env, std::string_view commit) {
  std::vector<ReportLink> links;
  if (std::optional<std::string> pipeline = Variable(env, "CI_PIPELINE_URL"))
    links.push_back({"Pipeline", *pipeline});
  if (std::optional<std::string> job = Variable(env, "CI_JOB_URL"))
    links.push_back({"Job", *job});
  if (std::optional<std::string> project = Variable(env, "CI_PROJECT_URL");
      project && !commit.empty())
    links.push_back({"Commit", fmt::format("{}/-/commit/{}", *project, commit)});
  std::optional<std::string> server = Variable(env, "GITHUB_SERVER_URL");
  std::optional<std::string> repository = Variable(env, "GITHUB_REPOSITORY");
  if (server && repository) {
    if (std::optional<std::string> run = Variable(env, "GITHUB_RUN_ID"))
      links.push_back(
          {"Workflow run", fmt::format("{}/{}/actions/runs/{}", *server, *repository, *run)});
    if (!commit.empty())
      links.push_back({"Commit", fmt::format("{}/{}/commit/{}", *server, *repository, commit)});
  }
  return links;
}

Result<Report> BuildReport(const Project& project, RegistryStore* store,
                           const ReportRequest& request, const EnvLookup& env) {
  Report report;
  report.revision = request.revision;

  // The repository, when there is one: a report outside Git has no commit
  // and no baseline.
  std::unique_ptr<GitRepo> repo;
  if (Result<std::unique_ptr<GitRepo>> opened = GitRepo::Open(project.root()); opened.ok())
    repo = std::move(*opened);
  ASSIGN_OR_RETURN(std::unique_ptr<RevisionView> current,
                   RevisionView::Open(project, repo.get(), request.revision));
  if (repo != nullptr) {
    if (current->is_workspace()) {
      if (Result<HeadInfo> head = repo->Head(); head.ok()) {
        report.commit = head->commit;
        report.branch = head->branch;
        std::string subdir = project.root().lexically_relative(repo->workdir()).generic_string();
        if (subdir == ".")
          subdir.clear();
        Result<bool> dirty = repo->IsDirty(subdir);
        report.dirty = dirty.ok() && *dirty;
      }
    } else {
      report.commit = current->commit();
    }
    if (report.branch.empty()) {
      if (std::optional<std::string> branch = Variable(env, "CI_COMMIT_REF_NAME"))
        report.branch = *branch;
      else if (std::optional<std::string> head_ref = Variable(env, "GITHUB_HEAD_REF"))
        report.branch = *head_ref;
    }
  }

  // The baseline: as given (it must exist), or the first candidate that does.
  std::unique_ptr<RevisionView> baseline;
  if (!request.baseline.empty()) {
    if (repo == nullptr)
      return Error(Code::kInvalid, "--baseline {} needs a Git repository, and {} is not in one",
                   request.baseline, project.root().string());
    ASSIGN_OR_RETURN(baseline, RevisionView::Open(project, repo.get(), request.baseline));
    report.baseline = request.baseline;
  } else if (repo != nullptr) {
    const std::vector<std::string> candidates = BaselineCandidates(env);
    for (const std::string& candidate : candidates) {
      if (!repo->ResolveCommit(candidate).ok())
        continue;
      Result<std::unique_ptr<RevisionView>> view =
          RevisionView::Open(project, repo.get(), candidate);
      if (!view.ok()) {
        report.warnings.push_back(
            fmt::format("baseline {}: {}", candidate, view.status().message()));
        break;
      }
      baseline = std::move(*view);
      report.baseline = candidate;
      break;
    }
    if (baseline == nullptr && report.warnings.empty())
      report.warnings.push_back(fmt::format(
          "no baseline: none of {} names a commit here (in CI, fetch the target branch, or "
          "pass --baseline)",
          fmt::join(candidates, ", ")));
  } else {
    report.warnings.push_back("no baseline: the project is not in a Git repository");
  }
  if (baseline != nullptr)
    report.baseline_commit = baseline->commit();
  const std::string old_name = report.baseline.empty() ? "baseline" : report.baseline;

  // Metrics (every one) and params (the changed ones).
  const std::vector<MetricsFile> new_metrics =
      CollectMetrics(current->workspace(), current->reader());
  const std::vector<MetricsFile> old_metrics =
      baseline != nullptr ? CollectMetrics(baseline->workspace(), baseline->reader())
                          : std::vector<MetricsFile>{};
  report.metrics = DiffMetrics(old_name, old_metrics, request.revision, new_metrics, /*all=*/true);
  if (baseline != nullptr) {  // without one there is nothing to compare params with
    report.params =
        DiffParams(old_name, CollectParams(baseline->workspace(), baseline->reader()),
                   request.revision, CollectParams(current->workspace(), current->reader()),
                   /*all=*/false);
  }
  for (const std::string& warning : report.metrics.warnings)
    report.warnings.push_back(warning);
  for (const std::string& warning : report.params.warnings)
    report.warnings.push_back(warning);

  // Plots: the baseline's and the revision's data overlaid, definitions
  // from the revision.
  std::vector<PlotSource> sources;
  if (baseline != nullptr)
    sources.push_back(PlotSource{report.baseline, baseline->reader(), {}});
  PlotSource source = current->is_workspace() ? WorkspacePlotSource(project.root())
                                              : PlotSource{request.revision, current->reader(), {}};
  source.revision = request.revision;
  sources.push_back(std::move(source));
  PlotsShowOptions plots;
  plots.out_dir = request.out_dir;
  ASSIGN_OR_RETURN(PlotsShowResult rendered, ShowPlots(current->workspace(), sources, plots));
  for (const PlotOutput& plot : rendered.plots) {
    report.plots.push_back(
        {.id = plot.id, .title = plot.title, .pngs = PlotFiles(plot), .error = plot.error});
  }
  for (const std::string& error : rendered.errors)
    report.warnings.push_back(error);

  // The run, from the registry.
  if (store == nullptr) {
    report.warnings.push_back("no registry: the run's experiment and model are not shown");
  } else if (!report.commit.empty()) {
    if (Status added = AddRun(*store, report.commit, report); !added.ok())
      report.warnings.push_back(fmt::format("registry: {}", added.message()));
  }
  report.links = CiLinks(env, report.commit);
  return report;
}

}  // namespace conveyor::cli
