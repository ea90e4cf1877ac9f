#include "plots/plots_show.h"

#include <fmt/format.h>

#include <set>
#include <system_error>

#include "common/file_util.h"
#include "plots/plot_data.h"
#include "plots/plot_figure.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

// Unique output names: a second "a_b.csv" becomes "a_b-2.csv".
class NameAllocator {
 public:
  std::string Allocate(const std::string& name) {
    if (used_.insert(name).second)
      return name;
    size_t dot = name.find('.');
    std::string stem = dot == std::string::npos ? name : name.substr(0, dot);
    std::string rest = dot == std::string::npos ? "" : name.substr(dot);
    for (int i = 2;; ++i) {
      std::string candidate = fmt::format("{}-{}{}", stem, i, rest);
      if (used_.insert(candidate).second)
        return candidate;
    }
  }

 private:
  std::set<std::string> used_ = {"index.html"};
};

std::string WithRevision(const std::vector<PlotSource>& sources, const PlotSource& source,
                         const std::string& message) {
  return sources.size() > 1 ? fmt::format("{}: {}", source.revision, message) : message;
}

// Reads and parses the plot's files from every source.
Result<std::vector<RevisionData>> LoadRevisions(const PlotSpec& spec,
                                                const std::vector<PlotSource>& sources) {
  std::vector<RevisionData> revisions;
  for (const PlotSource& source : sources) {
    RevisionData data;
    data.revision = source.revision;
    for (const std::string& file : spec.files) {
      Result<std::optional<std::string>> content = source.read(file);
      if (!content.ok())
        return Status(content.status().code(),
                      WithRevision(sources, source, content.status().message()));
      if (!content->has_value())
        continue;  // absent in this revision
      Result<PlotTable> table =
          ParsePlotData(file, **content, PlotReadOptions{.header = spec.header});
      if (!table.ok())
        return Status(table.status().code(),
                      WithRevision(sources, source, table.status().message()));
      data.tables.emplace(file, std::move(*table));
    }
    revisions.push_back(std::move(data));
  }
  return revisions;
}

Status WriteOutput(const fs::path& out_dir, const std::string& name, std::string_view bytes) {
  return AtomicWriteFile(out_dir / name, bytes);
}

void RenderChart(const PlotSpec& spec, const std::vector<PlotSource>& sources,
                 const PlotsShowOptions& options, NameAllocator& names, PlotOutput* output) {
  if (!spec.files.empty() && ClassifyPlotFile(spec.files.front()) == PlotFileKind::kUnsupported) {
    output->error = fmt::format(
        "{}: unsupported plot file type (expected .json, .yaml, .yml, .csv, .tsv, or an image: "
        ".png, .jpg, .jpeg, .gif, .svg)",
        spec.id);
    return;
  }
  Result<std::vector<RevisionData>> revisions = LoadRevisions(spec, sources);
  if (!revisions.ok()) {
    output->error = revisions.status().message();
    return;
  }
  Result<Figure> figure = BuildFigure(spec, *revisions);
  if (!figure.ok()) {
    output->error = figure.status().message();
    return;
  }
  output->title = figure->title;
  Result<std::string> png = RenderPng(*figure, options.render);
  Result<std::string> svg = RenderSvg(*figure, options.render);
  Status status = !png.ok() ? png.status() : svg.status();
  if (status.ok()) {
    std::string base = SafePlotFileName(spec.id);
    std::string png_name = names.Allocate(base + ".png");
    std::string svg_name = names.Allocate(base + ".svg");
    status = WriteOutput(options.out_dir, png_name, *png);
    if (status.ok())
      status = WriteOutput(options.out_dir, svg_name, *svg);
    if (status.ok()) {
      output->png = png_name;
      output->svg = svg_name;
    }
  }
  if (!status.ok())
    output->error = fmt::format("{}: {}", spec.id, status.message());
}

void CopyImage(const PlotSpec& spec, const std::vector<PlotSource>& sources,
               const PlotsShowOptions& options, NameAllocator& names, PlotOutput* output) {
  const std::string& file = spec.files.front();
  for (const PlotSource& source : sources) {
    Result<std::optional<std::string>> content = source.read(file);
    if (!content.ok()) {
      output->error = WithRevision(sources, source, content.status().message());
      return;
    }
    if (!content->has_value())
      continue;
    std::string name = SafePlotFileName(sources.size() > 1 ? source.revision + "_" + file : file);
    name = names.Allocate(name);
    Status status = WriteOutput(options.out_dir, name, **content);
    if (!status.ok()) {
      output->error = fmt::format("{}: {}", file, status.message());
      return;
    }
    output->images.push_back({source.revision, name});
  }
  if (output->images.empty())
    output->error = fmt::format("{}: file not found", file);
}

}  // namespace

size_t PlotsShowResult::failed() const {
  size_t count = errors.size();
  for (const PlotOutput& plot : plots)
    count += plot.error.empty() ? 0 : 1;
  return count;
}

std::string SafePlotFileName(std::string_view id) {
  std::string name;
  for (char c : id) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_';
    name += keep ? c : '_';
  }
  if (name.empty() || name.front() == '.')
    name = "_" + name;
  return name;
}

Result<PlotsShowResult> ShowPlots(const Workspace& workspace,
                                  const std::vector<PlotSource>& sources,
                                  const PlotsShowOptions& options) {
  if (sources.empty())
    return Error(Code::kInternal, "ShowPlots: no sources to read plots from");
  const PlotSource& primary = sources.front();
  CollectedPlots collected = CollectPlotSpecs(workspace, primary);
  ASSIGN_OR_RETURN(std::vector<PlotSpec> selected,
                   SelectPlots(collected.plots, options.targets, primary));
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) {
    return Error(Code::kIo, "cannot create the output directory {}: {}", options.out_dir.string(),
                 ec.message());
  }
  PlotsShowResult result;
  result.errors = std::move(collected.errors);
  NameAllocator names;
  std::vector<HtmlPlot> html;
  for (PlotSpec& spec : selected) {
    ApplyOverrides(options.overrides, &spec);
    PlotOutput output;
    output.id = spec.id;
    output.title = spec.title ? *spec.title : spec.id;
    output.image = spec.image;
    if (spec.image)
      CopyImage(spec, sources, options, names, &output);
    else
      RenderChart(spec, sources, options, names, &output);
    html.push_back({output.id, output.title, output.png, output.svg, output.images, output.error});
    result.plots.push_back(std::move(output));
  }
  RETURN_IF_ERROR(WriteOutput(options.out_dir, result.index, PlotsIndexHtml(html, "Plots")));
  return result;
}

nlohmann::ordered_json PlotsShowJson(const PlotsShowResult& result, const fs::path& out_dir) {
  using Json = nlohmann::ordered_json;
  auto path = [&](const std::string& name) { return (out_dir / name).generic_string(); };
  Json plots = Json::object();
  for (const PlotOutput& plot : result.plots) {
    Json entry = {{"type", plot.image ? "image" : "chart"}, {"title", plot.title}};
    if (!plot.error.empty()) {
      entry["error"] = plot.error;
    } else if (plot.image) {
      Json images = Json::array();
      for (const HtmlPlot::Image& image : plot.images)
        images.push_back({{"revision", image.revision}, {"path", path(image.file)}});
      entry["images"] = std::move(images);
    } else {
      entry["png"] = path(plot.png);
      entry["svg"] = path(plot.svg);
    }
    plots[plot.id] = std::move(entry);
  }
  return Json{
      {"index", path(result.index)}, {"plots", std::move(plots)}, {"errors", result.errors}};
}

}  // namespace conveyor
