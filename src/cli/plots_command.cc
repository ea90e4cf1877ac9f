// `conveyor plots show`: the pipeline's plots drawn to PNG and SVG, with an
// index.html, in dvc_plots/ (or -o DIR); `plots diff` overlays revisions. `conveyor plots
// templates` lists the built-in templates.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "common/file_util.h"
#include "plots/plot_template.h"
#include "plots/plots_show.h"
#include "report/revision_view.h"

namespace conveyor::cli {

namespace {

namespace fs = std::filesystem;

class PlotsCommand : public Command {
 public:
  std::string_view Name() const override { return "plots"; }
  std::string_view Summary() const override {
    return "Draw the plots the pipeline declares to PNG, SVG and index.html (plots show)";
  }
  void Configure(CLI::App& app) override {
    show_ = app.add_subcommand("show", "Render every plot (or the TARGETS) into a directory");
    show_->add_option("targets", targets_,
                      "Plot ids from dvc.yaml, plot files or directories (default: every plot)");
    AddRenderFlags(show_);
    show_->footer(
        "Examples:\n"
        "  conveyor plots show                          every plot into dvc_plots/\n"
        "  conveyor plots show plots/loss.csv -y loss   one file, one field\n"
        "  conveyor plots show -t scatter -x epoch      every plot as points over epoch\n"
        "  conveyor plots show -o out --json            paths of what was written\n"
        "\nExit status: 0 success, 1 when any plot failed (the others are still written),\n"
        "2 usage error.");
    diff_ = app.add_subcommand(
        "diff", "Overlay the plots of several revisions (default: HEAD and the workspace)");
    diff_->add_option("revisions", revisions_,
                      "Git revisions (HEAD~1, main, a tag, a short id) or 'workspace'; one "
                      "revision is compared with the workspace");
    diff_->add_option("--targets", targets_, "Plot ids or files (default: every plot)");
    AddRenderFlags(diff_);
    diff_->footer(
        "Examples:\n"
        "  conveyor plots diff                  HEAD against the files on disk\n"
        "  conveyor plots diff main HEAD        two commits, one legend entry each\n"
        "Definitions come from the last revision's dvc.yaml; data files come from each\n"
        "revision (Git blobs, or the cache for outputs dvc.lock recorded).");
    app.add_subcommand("templates", "List the built-in plot templates");
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor plots show              every plot into dvc_plots/index.html\n"
        "  conveyor plots diff main         main's plots overlaid on the workspace's\n"
        "  conveyor plots templates         the template names");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    if (!show_->parsed() && !diff_->parsed()) {
      for (const std::string& name : PlotTemplateNames())
        console.Out(name);
      return OkStatus();
    }
    PlotsShowOptions options;
    if (!template_.empty()) {
      Result<PlotTemplate> tmpl = ParsePlotTemplate(template_);
      if (!tmpl.ok())
        return Status(Code::kUsage, tmpl.status().message());
      options.overrides.tmpl = *tmpl;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kRead));
    const Project& project = loaded->project;
    for (const std::string& target : targets_) {
      // A path on disk is taken relative to the current directory; anything
      // else is a plot id as dvc.yaml spells it.
      if (PathExists(global.cwd / target)) {
        ASSIGN_OR_RETURN(std::string relative, project.RelativePath(global.cwd, target));
        options.targets.push_back(relative);
      } else {
        options.targets.push_back(target);
      }
    }
    SetOverride(x_, &options.overrides.x);
    SetOverride(y_, &options.overrides.y);
    SetOverride(title_, &options.overrides.title);
    SetOverride(x_label_, &options.overrides.x_label);
    SetOverride(y_label_, &options.overrides.y_label);
    options.overrides.no_header = no_header_;
    std::string out = out_;
    if (out.empty())
      out = project.config().Get("plots", "out_dir").value_or("dvc_plots");
    options.out_dir = global.cwd / out;

    // plots diff: one source per revision; definitions from the last one.
    std::unique_ptr<GitRepo> repo;
    std::vector<std::unique_ptr<RevisionView>> views;
    std::vector<PlotSource> sources;
    const Workspace* definitions = &loaded->workspace;
    if (diff_->parsed()) {
      std::vector<std::string> revisions = revisions_;
      if (revisions.empty())
        revisions = {"HEAD"};
      if (revisions.size() == 1)
        revisions.emplace_back(RevisionView::kWorkspace);
      ASSIGN_OR_RETURN(repo, OpenProjectRepo(project, "plots diff"));
      for (const std::string& revision : revisions) {
        ASSIGN_OR_RETURN(std::unique_ptr<RevisionView> view,
                         RevisionView::Open(project, repo.get(), revision));
        PlotSource source = view->is_workspace() ? WorkspacePlotSource(project.root())
                                                 : PlotSource{revision, view->reader(), {}};
        source.revision = revision;
        sources.push_back(std::move(source));
        definitions = &view->workspace();
        views.push_back(std::move(view));
      }
    } else {
      sources.push_back(WorkspacePlotSource(project.root()));
    }
    ASSIGN_OR_RETURN(PlotsShowResult result, ShowPlots(*definitions, sources, options));
    for (const std::string& error : result.errors)
      console.Warn(error);
    for (const PlotOutput& plot : result.plots) {
      if (!plot.error.empty())
        console.Warn(plot.error);
    }
    if (json_) {
      console.Out(PlotsShowJson(result, out).dump(2));
    } else if (result.plots.empty() && result.errors.empty()) {
      console.Note("No plots: declare them under 'plots:' in dvc.yaml, or name files.");
    } else {
      console.Out(
          fmt::format("file://{}", (options.out_dir / result.index).lexically_normal().string()));
    }
    size_t failed = result.failed();
    if (failed > 0) {
      return Error(Code::kFailed, "{} of {} plots failed", failed,
                   result.plots.size() + result.errors.size());
    }
    return OkStatus();
  }

 private:
  void AddRenderFlags(CLI::App* sub) {
    sub->add_option("-o,--out", out_,
                    "Directory for the images and index.html (default: the plots.out_dir "
                    "config option, else dvc_plots)");
    sub->add_flag("--json", json_, "Print what was written as JSON");
    sub->add_option(
        "-t,--template", template_,
        fmt::format("Template for every plot: {}", fmt::join(PlotTemplateNames(), ", ")));
    sub->add_option("-x", x_, "Field for the x axis (default: the row index, 'step')");
    sub->add_option("-y", y_, "Field for the y axis (default: the last field of a row)");
    sub->add_option("--title", title_, "Title for the plots");
    sub->add_option("--x-label", x_label_, "x axis title");
    sub->add_option("--y-label", y_label_, "y axis title");
    sub->add_flag("--no-header", no_header_, "CSV/TSV files have no header row");
  }

  static void SetOverride(const std::string& value, std::optional<std::string>* field) {
    if (!value.empty())
      *field = value;
  }

  CLI::App* show_ = nullptr;
  CLI::App* diff_ = nullptr;
  std::vector<std::string> revisions_;
  std::vector<std::string> targets_;
  std::string out_;
  bool json_ = false;
  std::string template_;
  std::string x_;
  std::string y_;
  std::string title_;
  std::string x_label_;
  std::string y_label_;
  bool no_header_ = false;
};

}  // namespace

std::unique_ptr<Command> MakePlotsCommand() { return std::make_unique<PlotsCommand>(); }

}  // namespace conveyor::cli
