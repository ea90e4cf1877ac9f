// The report a merge request gets from CI (what CML users post): which run
// this is, its metrics against a baseline revision, the params that
// changed, the plots, the model versions the run registered, and links.
// Rendered as Markdown (the comment), self-contained HTML (a CI artefact)
// or JSON (for scripts).
//
//   ## conveyor report: a1b2c3d succeeded
//   Commit a1b2c3d on feature-x, compared with main (9f8e7d6).
//   ### Metrics   (every metric; Change against the baseline)
//   ### Params    (only those that changed)
//   ### Plots     (![title](file.png) per plot, files beside the report)
//   ### Model     (name vN, md5, aliases)
//   ### Links
//
// `conveyor report --post` (src/ci/post_report.h) adds the hidden marker
// line by which it finds its comment again.
//
// The data comes from the CLI (report_command.cc), which reads the two
// revisions, renders the plots and looks the run up in the registry; this
// module only lays it out.
//
// Thread safety: values and pure functions (RenderReportHtml reads files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "report/metrics_diff.h"
#include "report/params_diff.h"

namespace conveyor {

// The registry's record of the run (the experiment of the reported commit).
struct ReportExperiment {
  std::string tag;
  std::string status;  // "succeeded" or "failed"
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
  std::string message;  // a failed run's error
};

// A model version the run registered.
struct ReportModel {
  std::string name;
  int version = 0;
  std::string md5;
  std::vector<std::string> aliases;
};

struct ReportPlot {
  std::string id;
  std::string title;
  // Files relative to the report's directory: a chart's PNG, or an image
  // plot's copies (one per revision). Empty when the plot failed.
  std::vector<std::string> pngs;
  std::string error;
};

struct ReportLink {
  std::string text;
  std::string url;
};

struct Report {
  std::string revision;  // as named: "workspace", "HEAD", a tag
  std::string commit;    // 40 hex digits (HEAD's for the workspace); empty outside Git
  std::string branch;    // empty when detached or unknown
  bool dirty = false;    // the workspace differs from `commit`
  std::string baseline;  // the revision compared with; empty when there is none
  std::string baseline_commit;
  std::optional<ReportExperiment> experiment;
  // Every metric, baseline -> revision (DiffMetrics with all = true; the
  // old side empty when there is no baseline).
  MetricsDiff metrics;
  ParamsDiff params;  // changed params only
  std::vector<ReportPlot> plots;
  std::vector<ReportModel> models;
  std::vector<ReportLink> links;
  std::vector<std::string> warnings;  // shown at the end of the report
};

struct ReportFormat {
  int precision = 5;  // decimal places of metric values and changes
  std::string title = "conveyor report";
};

// The Markdown comment. Images are linked by their relative file names.
std::string RenderReportMarkdown(const Report& report, const ReportFormat& format = {});

// One HTML document with its images embedded (data: URIs read from files
// relative to `dir`); no external resources. kIo naming an image that
// cannot be read.
Result<std::string> RenderReportHtml(const Report& report, const std::filesystem::path& dir,
                                     const ReportFormat& format = {});

// {"revision", "commit", "branch", "dirty", "baseline", "baseline_commit",
//  "experiment": {...} | null, "metrics": MetricsDiffJson, "params":
//  ParamsDiffJson, "plots": [{id, title, pngs, error}], "models": [...],
//  "links": [...], "warnings": [...]}
nlohmann::ordered_json ReportJson(const Report& report);

// The run's one-line status for the headline: "a1b2c3d succeeded", "a1b2c3d
// failed", or the short commit when no experiment was recorded.
std::string ReportHeadline(const Report& report);

}  // namespace conveyor
