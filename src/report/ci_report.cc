#include "report/ci_report.h"

#include <fmt/format.h>

#include "common/base64.h"
#include "common/file_util.h"
#include "common/utc_time.h"
#include "plots/plots_html.h"

namespace conveyor {
namespace {

std::string ShortCommit(std::string_view commit) { return std::string(commit.substr(0, 7)); }

// "12.3 s", "4 min 5 s".
std::string Duration(int64_t ms) {
  if (ms < 60'000)
    return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000);
  return fmt::format("{} min {} s", ms / 60'000, ms % 60'000 / 1000);
}

// Text safe inside Markdown image alt text and link text.
std::string MarkdownText(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == '\\' || c == '*' || c == '_' || c == '`' || c == '<')
      out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

// A relative file name as a URL path: spaces and the few characters that
// would end or confuse a Markdown link destination, percent-encoded.
std::string LinkPath(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '(' || c == ')' || c == '<' || c == '>' || c == '%' || c == '#' ||
        c == '?')
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

// The sentence under the headline: commit, branch, baseline, the run.
std::string RunSentence(const Report& report, bool html) {
  auto code = [html](std::string_view text) {
    return html ? "<code>" + EscapeHtml(text) + "</code>" : "`" + std::string(text) + "`";
  };
  std::string out;
  if (report.commit.empty()) {
    out = fmt::format("Revision {}", code(report.revision));
  } else {
    out = fmt::format("Commit {}", code(ShortCommit(report.commit)));
    if (!report.branch.empty())
      out += fmt::format(" on {}", code(report.branch));
    if (report.dirty)
      out += " with uncommitted changes";
  }
  if (report.baseline.empty()) {
    out += ", with no baseline to compare with.";
  } else {
    out += fmt::format(", compared with {}", code(report.baseline));
    if (!report.baseline_commit.empty() && ShortCommit(report.baseline_commit) != report.baseline)
      out += fmt::format(" ({})", code(ShortCommit(report.baseline_commit)));
    out += ".";
  }
  if (report.experiment.has_value()) {
    const ReportExperiment& run = *report.experiment;
    out += fmt::format(" Experiment {} {}", code(run.tag), run.status);
    if (run.started_at_ms > 0) {
      std::string when = FormatUtcMillis(run.started_at_ms).substr(0, 19);  // no ms
      when[10] = ' ';                                                       // not 'T'
      out += fmt::format(" at {} UTC", when);
      if (run.finished_at_ms >= run.started_at_ms)
        out += fmt::format(" after {}", Duration(run.finished_at_ms - run.started_at_ms));
    }
    out += ".";
  }
  return out;
}

DiffTableFormat MetricsTable(const Report& report, const ReportFormat& format, bool markdown) {
  DiffTableFormat table;
  table.title = "Metric";
  table.old_revision = report.baseline.empty() ? "baseline" : report.baseline;
  table.new_revision = report.revision;
  table.markdown = markdown;
  table.decimals = format.precision;
  return table;
}

DiffTableFormat ParamsTable(const Report& report, bool markdown) {
  DiffTableFormat table;
  table.title = "Param";
  table.old_revision = report.baseline.empty() ? "baseline" : report.baseline;
  table.new_revision = report.revision;
  table.change_column = false;
  table.markdown = markdown;
  return table;
}

}  // namespace

std::string ReportHeadline(const Report& report) {
  const std::string who = report.experiment.has_value() ? report.experiment->tag
                          : report.commit.empty()       ? report.revision
                                                        : ShortCommit(report.commit);
  if (!report.experiment.has_value())
    return who + " (no experiment recorded)";
  return who + " " + report.experiment->status;
}

std::string RenderReportMarkdown(const Report& report, const ReportFormat& format) {
  std::string out = fmt::format("## {}: {}\n\n{}\n", format.title, ReportHeadline(report),
                                RunSentence(report, false));
  if (report.experiment.has_value() && !report.experiment->message.empty())
    out += fmt::format("\n> {}\n", MarkdownText(report.experiment->message));

  out += "\n### Metrics\n\n";
  const std::string metrics =
      FormatDiffTable(report.metrics.changes, MetricsTable(report, format, /*markdown=*/true));
  out += metrics.empty() ? "No metrics: declare them under `metrics:` in dvc.yaml.\n" : metrics;

  out += "\n### Params\n\n";
  const std::string params =
      FormatDiffTable(report.params.changes, ParamsTable(report, /*markdown=*/true));
  if (!params.empty())
    out += params;
  else if (report.baseline.empty())
    out += "No baseline to compare params with.\n";
  else
    out += fmt::format("No params changed since `{}`.\n", report.baseline);

  if (!report.plots.empty()) {
    out += "\n### Plots\n";
    for (const ReportPlot& plot : report.plots) {
      out += fmt::format("\n#### {}\n\n", MarkdownText(plot.title));
      if (!plot.error.empty()) {
        out += fmt::format("Not rendered: {}\n", MarkdownText(plot.error));
        continue;
      }
      for (const std::string& png : plot.pngs)
        out += fmt::format("![{}]({})\n", MarkdownText(plot.title), LinkPath(png));
    }
  }

  if (!report.models.empty()) {
    out += "\n### Model\n\n| Model | Version | Object | Aliases |\n|---|---:|---|---|\n";
    for (const ReportModel& model : report.models) {
      out += fmt::format(
          "| {} | {} | `{}` | {} |\n", model.name, model.version, model.md5,
          model.aliases.empty() ? "-" : fmt::format("{}", fmt::join(model.aliases, ", ")));
    }
  }

  if (!report.links.empty()) {
    out += "\n### Links\n\n";
    for (const ReportLink& link : report.links)
      out += fmt::format("- [{}]({})\n", MarkdownText(link.text), link.url);
  }

  if (!report.warnings.empty()) {
    out += "\n### Warnings\n\n";
    for (const std::string& warning : report.warnings)
      out += fmt::format("- {}\n", MarkdownText(warning));
  }
  return out;
}

Result<std::string> RenderReportHtml(const Report& report, const std::filesystem::path& dir,
                                     const ReportFormat& format) {
  auto table = [](const std::vector<ValueChange>& changes, const DiffTableFormat& spec) {
    std::string out = "<table>\n<tr>";
    std::vector<std::string> header = {"Path", spec.title, spec.old_revision, spec.new_revision};
    if (spec.change_column)
      header.emplace_back("Change");
    for (const std::string& cell : header)
      out += "<th>" + EscapeHtml(cell) + "</th>";
    out += "</tr>\n";
    for (const ValueChange& change : changes) {
      std::vector<std::string> row = {change.path, change.key,
                                      FormatDiffCell(change.old_value, spec.decimals),
                                      FormatDiffCell(change.new_value, spec.decimals)};
      if (spec.change_column)
        row.push_back(FormatDiffCell(change.change, spec.decimals));
      out += "<tr>";
      for (size_t i = 0; i < row.size(); ++i)
        out += (i >= 2 ? "<td class=\"n\">" : "<td>") + EscapeHtml(row[i]) + "</td>";
      out += "</tr>\n";
    }
    return out + "</table>\n";
  };

  const std::string title = format.title + ": " + ReportHeadline(report);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{0}</title>\n<style>\n"
      "body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
      "color:#1b1f24}}\n"
      "table{{border-collapse:collapse;margin:.5rem 0}}th,td{{border:1px solid #d0d7de;"
      "padding:.25rem .6rem;text-align:left}}td.n{{text-align:right;font-variant-numeric:"
      "tabular-nums}}\n"
      "img{{max-width:100%;border:1px solid #d0d7de}}code{{background:#f6f8fa;padding:0 .2rem}}\n"
      ".warn{{color:#9a6700}}\n</style>\n</head>\n<body>\n<h1>{0}</h1>\n<p>{1}</p>\n",
      EscapeHtml(title), RunSentence(report, true));
  if (report.experiment.has_value() && !report.experiment->message.empty())
    out += fmt::format("<blockquote>{}</blockquote>\n", EscapeHtml(report.experiment->message));

  out += "<h2>Metrics</h2>\n";
  if (report.metrics.changes.empty())
    out += "<p>No metrics: declare them under <code>metrics:</code> in dvc.yaml.</p>\n";
  else
    out += table(report.metrics.changes, MetricsTable(report, format, false));

  out += "<h2>Params</h2>\n";
  if (!report.params.changes.empty())
    out += table(report.params.changes, ParamsTable(report, false));
  else if (report.baseline.empty())
    out += "<p>No baseline to compare params with.</p>\n";
  else
    out += fmt::format("<p>No params changed since <code>{}</code>.</p>\n",
                       EscapeHtml(report.baseline));

  if (!report.plots.empty()) {
    out += "<h2>Plots</h2>\n";
    for (const ReportPlot& plot : report.plots) {
      out += fmt::format("<h3>{}</h3>\n", EscapeHtml(plot.title));
      if (!plot.error.empty()) {
        out += fmt::format("<p class=\"warn\">Not rendered: {}</p>\n", EscapeHtml(plot.error));
        continue;
      }
      for (const std::string& png : plot.pngs) {
        Result<std::string> bytes = ReadFileToString(dir / png);
        if (!bytes.ok())
          return Error(Code::kIo, "report: cannot embed {}: {}", (dir / png).string(),
                       bytes.status().message());
        out += fmt::format("<p><img alt=\"{}\" src=\"data:image/png;base64,{}\"></p>\n",
                           EscapeHtml(plot.title), EncodeBase64(*bytes));
      }
    }
  }

  if (!report.models.empty()) {
    out +=
        "<h2>Model</h2>\n<table>\n<tr><th>Model</th><th>Version</th><th>Object</th>"
        "<th>Aliases</th></tr>\n";
    for (const ReportModel& model : report.models) {
      out += fmt::format(
          "<tr><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
          EscapeHtml(model.name), model.version, EscapeHtml(model.md5),
          EscapeHtml(model.aliases.empty() ? "-"
                                           : fmt::format("{}", fmt::join(model.aliases, ", "))));
    }
    out += "</table>\n";
  }

  if (!report.links.empty()) {
    out += "<h2>Links</h2>\n<ul>\n";
    for (const ReportLink& link : report.links)
      out += fmt::format("<li><a href=\"{}\">{}</a></li>\n", EscapeHtml(link.url),
                         EscapeHtml(link.text));
    out += "</ul>\n";
  }
  if (!report.warnings.empty()) {
    out += "<h2>Warnings</h2>\n<ul class=\"warn\">\n";
    for (const std::string& warning : report.warnings)
      out += fmt::format("<li>{}</li>\n", EscapeHtml(warning));
    out += "</ul>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

nlohmann::ordered_json ReportJson(const Report& report) {
  nlohmann::ordered_json json;
  json["revision"] = report.revision;
  json["commit"] = report.commit;
  json["branch"] = report.branch;
  json["dirty"] = report.dirty;
  json["baseline"] = report.baseline;
  json["baseline_commit"] = report.baseline_commit;
  if (report.experiment.has_value()) {
    const ReportExperiment& run = *report.experiment;
    json["experiment"] = {{"tag", run.tag},
                          {"status", run.status},
                          {"started_at_ms", run.started_at_ms},
                          {"finished_at_ms", run.finished_at_ms},
                          {"message", run.message}};
  } else {
    json["experiment"] = nullptr;
  }
  json["metrics"] = MetricsDiffJson(report.metrics);
  json["params"] = ParamsDiffJson(report.params);
  json["plots"] = nlohmann::ordered_json::array();
  for (const ReportPlot& plot : report.plots) {
    json["plots"].push_back(
        {{"id", plot.id}, {"title", plot.title}, {"pngs", plot.pngs}, {"error", plot.error}});
  }
  json["models"] = nlohmann::ordered_json::array();
  for (const ReportModel& model : report.models) {
    json["models"].push_back({{"name", model.name},
                              {"version", model.version},
                              {"md5", model.md5},
                              {"aliases", model.aliases}});
  }
  json["links"] = nlohmann::ordered_json::array();
  for (const ReportLink& link : report.links)
    json["links"].push_back({{"text", link.text}, {"url", link.url}});
  json["warnings"] = report.warnings;
  return json;
}

}  // namespace conveyor
