// `conveyor report`: the run's report for a merge request — metrics against
// a baseline, changed params, plots, the registered model, links — as
// Markdown (stdout and DIR/report.md), self-contained HTML or JSON.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "ci/curl_http_client.h"
#include "ci/post_report.h"
#include "cli/commands.h"
#include "cli/registry_commands.h"
#include "cli/report_builder.h"
#include "common/file_util.h"

namespace conveyor::cli {
namespace {

namespace fs = std::filesystem;

class ReportCommand : public Command {
 public:
  std::string_view Name() const override { return "report"; }
  std::string_view Summary() const override {
    return "The run's report for a merge request: metrics against a baseline, params, plots, "
           "model (as CML posts)";
  }

  void Configure(CLI::App& app) override {
    app.add_option("--rev", revision_,
                   "The revision reported: 'workspace' (the files on disk, default) or a Git "
                   "revision");
    app.add_option("--baseline", baseline_,
                   "The revision compared with (default: the merge request's target branch in "
                   "CI, else main, else master)");
    app.add_option("-o,--out", out_,
                   "Directory for the report and its images (default: conveyor_report)");
    auto* md = app.add_flag("--md", markdown_, "Print the Markdown report (the default)");
    auto* html =
        app.add_flag("--html", html_, "Write DIR/report.html, one file with the images embedded");
    auto* json = app.add_flag("--json", json_, "Print the report's facts as JSON");
    md->excludes(html)->excludes(json);
    html->excludes(json);
    app.add_option("--precision", precision_, "Decimal places of metric values (default 5)")
        ->check(CLI::Range(0, 17));
    auto* post = app.add_flag("--post", post_,
                              "Post the report as conveyor's comment on the merge request or "
                              "pull request of this CI job (on its commit when there is none)");
    app.add_flag("--update", post_options_.update,
                 "With --post: edit conveyor's earlier comment in place instead of adding one")
        ->needs(post);
    app.add_option("--report-id", post_options_.report_id,
                   "With --post: tells several reports on one merge request apart "
                   "(default: default)")
        ->needs(post);
    app.add_flag("--no-images", no_images_,
                 "With --post: do not publish the plot images (GitHub: no contents "
                 "permission needed)")
        ->needs(post);
    AddRegistryFlag(app, registry_);
    app.footer(
        "The Markdown goes to stdout and, with its plot images, to DIR/report.md: post it\n"
        "as a merge request comment. Metrics are all listed with their change against the\n"
        "baseline; params only when they changed; plots overlay the baseline's data and\n"
        "the revision's. The run's experiment and model versions come from the registry\n"
        "(the experiment of the reported commit). Problems that leave a useful report (no\n"
        "baseline, a plot that fails, no registry) are listed in it as warnings.\n"
        "\n"
        "Examples:\n"
        "  conveyor repro && conveyor report                 after a pipeline run\n"
        "  conveyor report --baseline origin/main --html     a browsable artefact\n"
        "  conveyor report --json | jq .metrics\n"
        "  conveyor report --post --update                 in a merge request pipeline\n"
        "\n"
        "--post finds the merge request (GitLab CI) or pull request (GitHub Actions) from\n"
        "the CI variables and reads a token from CONVEYOR_GITLAB_TOKEN or GITLAB_TOKEN (a\n"
        "project or personal access token with the api scope), or GITHUB_TOKEN (workflow\n"
        "permissions pull-requests: write, and contents: write for the images, which go to\n"
        "the branch conveyor-reports). See docs/ci.md.");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
    const fs::path out_dir = global.cwd / out_;
    std::unique_ptr<OpenedRegistry> registry;
    if (Result<std::unique_ptr<OpenedRegistry>> opened = OpenRegistry(global, registry_);
        opened.ok()) {
      registry = std::move(*opened);
    } else if (!registry_.empty()) {
      return opened.status();  // asked for by name: its error is the answer
    } else {
      // The report still says what Git and the files say; the warning says
      // why it has no experiment section (a lost or locked registry).
      console.Warn(
          fmt::format("the report leaves out the registry: {}", opened.status().message()));
    }
    const ReportRequest request{.revision = revision_, .baseline = baseline_, .out_dir = out_dir};
    ASSIGN_OR_RETURN(Report report,
                     BuildReport(project, registry != nullptr ? registry->store.get() : nullptr,
                                 request, ProcessEnvironment()));
    for (const std::string& warning : report.warnings)
      console.Warn(warning);

    const ReportFormat format{.precision = precision_};
    const std::string markdown = RenderReportMarkdown(report, format);
    RETURN_IF_ERROR(AtomicWriteFile(out_dir / "report.md", markdown));
    if (json_) {
      console.Out(ReportJson(report).dump(2));
    } else if (html_) {
      ASSIGN_OR_RETURN(std::string html, RenderReportHtml(report, out_dir, format));
      RETURN_IF_ERROR(AtomicWriteFile(out_dir / "report.html", html));
      console.Out(fmt::format("file://{}", (out_dir / "report.html").lexically_normal().string()));
    } else if (!post_) {
      console.Out(markdown);
    }
    if (post_)
      return Post(report, markdown, out_dir, console);
    return OkStatus();
  }

 private:
  // Posts `markdown` with the plot images it links (files in `dir`).
  Status Post(const Report& report, const std::string& markdown, const fs::path& dir,
              Console& console) {
    ASSIGN_OR_RETURN(ci::CiContext context, ci::DetectCiContext(ProcessEnvironment()));
    std::vector<ci::ReportImage> images;
    for (const ReportPlot& plot : report.plots) {
      for (const std::string& png : plot.pngs) {
        ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(dir / png));
        images.push_back({.path = png, .png = std::move(bytes)});
      }
    }
    ci::PostOptions options = post_options_;
    options.upload_images = !no_images_;
    ci::CurlHttpClient http;
    ci::SystemClock clock;
    ASSIGN_OR_RETURN(ci::PostResult posted,
                     ci::PostReport(context, markdown, images, options, http, clock));
    console.Note(fmt::format("Report {} on {}: {}", posted.updated ? "updated" : "posted",
                             posted.target, posted.url));
    return OkStatus();
  }

  std::string revision_ = "workspace";
  std::string baseline_;
  std::string out_ = "conveyor_report";
  std::string registry_;
  bool markdown_ = false;
  bool html_ = false;
  bool json_ = false;
  int precision_ = 5;
  bool post_ = false;
  bool no_images_ = false;
  ci::PostOptions post_options_;
};

}  // namespace

std::unique_ptr<Command> MakeReportCommand() { return std::make_unique<ReportCommand>(); }

}  // namespace conveyor::cli
