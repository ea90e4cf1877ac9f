#include "plots/plot_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/nearest.h"
#include "pipeline/dag.h"
#include "plots/plot_data.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string>& PropNames() {
  static const std::vector<std::string> names = {"template", "x",       "y",     "title",
                                                 "x_label",  "y_label", "header"};
  return names;
}

std::string TypeName(const Json& value) {
  if (value.is_array())
    return "list";
  if (value.is_object())
    return "mapping";
  if (value.is_boolean())
    return "bool";
  if (value.is_number())
    return "number";
  if (value.is_null())
    return "null";
  return "string";
}

// A field name, or a list of them.
Result<std::vector<std::string>> FieldNames(const Json& value, std::string_view what) {
  std::vector<std::string> fields;
  if (value.is_string()) {
    fields.push_back(value.get<std::string>());
    return fields;
  }
  if (value.is_array() && !value.empty()) {
    for (const Json& item : value) {
      if (!item.is_string())
        return Error(Code::kInvalid, "{}: expected field names, got a {} in the list", what,
                     TypeName(item));
      fields.push_back(item.get<std::string>());
    }
    return fields;
  }
  return Error(Code::kInvalid, "{}: expected a field name or a list of them, got {}", what,
               value.is_array() ? "an empty list" : TypeName(value));
}

// {file: field-or-list} with the files joined onto `dir`.
Result<std::vector<FieldRef>> FileFields(const Json& mapping, const std::string& dir,
                                         std::string_view what) {
  std::vector<FieldRef> refs;
  for (const auto& [file, fields] : mapping.items()) {
    ASSIGN_OR_RETURN(std::string path, JoinProjectPath(dir, file));
    ASSIGN_OR_RETURN(std::vector<std::string> names,
                     FieldNames(fields, fmt::format("{} '{}'", what, file)));
    for (std::string& name : names)
      refs.push_back({path, std::move(name)});
  }
  if (refs.empty())
    return Error(Code::kInvalid, "{}: the mapping names no file", what);
  return refs;
}

void AddFile(const std::string& file, std::vector<std::string>* files) {
  if (std::find(files->begin(), files->end(), file) == files->end())
    files->push_back(file);
}

// The props shared by every plot of a definition: everything but the files.
Status ApplyProps(const Json& props, const std::string& dir, PlotSpec* spec) {
  for (const auto& [key, value] : props.items()) {
    if (std::find(PropNames().begin(), PropNames().end(), key) == PropNames().end()) {
      return Error(Code::kInvalid, "unknown plot property '{}'{}; known: {}", key,
                   DidYouMean(key, PropNames()), fmt::join(PropNames(), ", "));
    }
  }
  auto text = [&](const char* key, std::optional<std::string>* out) -> Status {
    if (!props.contains(key))
      return OkStatus();
    const Json& value = props[key];
    if (!value.is_string())
      return Error(Code::kInvalid, "{}: expected a string, got {}", key, TypeName(value));
    *out = value.get<std::string>();
    return OkStatus();
  };
  RETURN_IF_ERROR(text("title", &spec->title));
  RETURN_IF_ERROR(text("x_label", &spec->x_label));
  RETURN_IF_ERROR(text("y_label", &spec->y_label));
  std::optional<std::string> tmpl;
  RETURN_IF_ERROR(text("template", &tmpl));
  if (tmpl) {
    ASSIGN_OR_RETURN(spec->tmpl, ParsePlotTemplate(*tmpl));
  }
  if (props.contains("header")) {
    if (!props["header"].is_boolean()) {
      return Error(Code::kInvalid, "header: expected true or false, got {}",
                   TypeName(props["header"]));
    }
    spec->header = props["header"].get<bool>();
  }
  if (props.contains("x")) {
    const Json& x = props["x"];
    if (x.is_string()) {
      spec->x = {{"", x.get<std::string>()}};
    } else if (x.is_object()) {
      ASSIGN_OR_RETURN(spec->x, FileFields(x, dir, "x"));
    } else {
      return Error(Code::kInvalid, "x: expected a field name or a mapping {{file: field}}, got {}",
                   TypeName(x));
    }
  }
  return OkStatus();
}

Status CheckXCount(const PlotSpec& spec) {
  if (spec.x.size() > 1 && spec.x.size() != spec.y.size()) {
    return Error(Code::kInvalid, "x names {} fields but y names {}; give one x, or one per y",
                 spec.x.size(), spec.y.size());
  }
  return OkStatus();
}

// One plot per data file of `path` (a file, or a directory of files), each
// with `props`.
Result<std::vector<PlotSpec>> PathPlots(const std::string& path, const Json& props,
                                        const std::string& dir, const std::string& dvcfile,
                                        const PlotSource& source) {
  PlotSpec base;
  base.dvcfile = dvcfile;
  RETURN_IF_ERROR(ApplyProps(props, dir, &base));
  std::vector<std::string> y_fields;
  if (props.contains("y")) {
    ASSIGN_OR_RETURN(y_fields, FieldNames(props["y"], "y"));
  }
  std::vector<std::string> files = {path};
  if (source.list_dir) {
    if (std::optional<std::vector<std::string>> listed = source.list_dir(path))
      files = std::move(*listed);
  }
  std::vector<PlotSpec> specs;
  for (const std::string& file : files) {
    PlotSpec spec = base;
    spec.id = file;
    spec.files = {file};
    spec.image = ClassifyPlotFile(file) == PlotFileKind::kImage;
    for (const std::string& field : y_fields)
      spec.y.push_back({file, field});
    for (const FieldRef& x : spec.x) {
      if (!x.file.empty())
        AddFile(x.file, &spec.files);
    }
    RETURN_IF_ERROR(CheckXCount(spec));
    specs.push_back(std::move(spec));
  }
  return specs;
}

// A named plot whose y is a mapping {file: fields}.
Result<PlotSpec> NamedPlot(const std::string& id, const Json& props, const std::string& dir,
                           const std::string& dvcfile) {
  PlotSpec spec;
  spec.id = id;
  spec.dvcfile = dvcfile;
  RETURN_IF_ERROR(ApplyProps(props, dir, &spec));
  ASSIGN_OR_RETURN(spec.y, FileFields(props["y"], dir, "y"));
  for (const FieldRef& y : spec.y)
    AddFile(y.file, &spec.files);
  for (const FieldRef& x : spec.x) {
    if (!x.file.empty())
      AddFile(x.file, &spec.files);
  }
  RETURN_IF_ERROR(CheckXCount(spec));
  return spec;
}

Result<std::vector<PlotSpec>> DefinitionPlots(const std::string& id, const Json& props,
                                              const std::string& dvcfile,
                                              const PlotSource& source) {
  const std::string dir = ParentDir(dvcfile);
  if (!props.is_null() && !props.is_object()) {
    return Error(Code::kInvalid, "expected a mapping of plot properties, got {}", TypeName(props));
  }
  const Json no_props = Json::object();
  const Json& given = props.is_null() ? no_props : props;
  if (given.contains("y") && given["y"].is_object()) {
    ASSIGN_OR_RETURN(PlotSpec spec, NamedPlot(id, given, dir, dvcfile));
    return std::vector<PlotSpec>{std::move(spec)};
  }
  ASSIGN_OR_RETURN(std::string path, JoinProjectPath(dir, id));
  return PathPlots(path, given, dir, dvcfile, source);
}

bool Selects(const PlotSpec& spec, const std::string& target) {
  if (spec.id == target || PathWithin(spec.id, target))
    return true;
  return std::any_of(spec.files.begin(), spec.files.end(),
                     [&](const std::string& file) { return PathWithin(file, target); });
}

}  // namespace

Result<std::vector<PlotSpec>> ParseTopLevelPlot(const std::string& entry_json,
                                                const std::string& dvcfile,
                                                const PlotSource& source) {
  Json entry = Json::parse(entry_json, nullptr, /*allow_exceptions=*/false);
  if (entry.is_string()) {
    const std::string id = entry.get<std::string>();
    Result<std::vector<PlotSpec>> specs = DefinitionPlots(id, Json(), dvcfile, source);
    if (!specs.ok())
      return specs.status().WithContext(fmt::format("{}: plots entry '{}'", dvcfile, id));
    return specs;
  }
  if (!entry.is_object() || entry.empty()) {
    return Error(Code::kInvalid,
                 "{}: plots entry: expected a path or a mapping {{id: {{properties}}}}, got {}",
                 dvcfile, entry.is_discarded() ? "invalid JSON" : TypeName(entry));
  }
  std::vector<PlotSpec> all;
  for (const auto& [id, props] : entry.items()) {
    Result<std::vector<PlotSpec>> specs = DefinitionPlots(id, props, dvcfile, source);
    if (!specs.ok())
      return specs.status().WithContext(fmt::format("{}: plots entry '{}'", dvcfile, id));
    for (PlotSpec& spec : *specs)
      all.push_back(std::move(spec));
  }
  return all;
}

Result<std::vector<PlotSpec>> PlotSpecsForOutput(const std::string& path,
                                                 const std::string& plot_props,
                                                 const std::string& dvcfile,
                                                 const PlotSource& source) {
  Json props = plot_props.empty() ? Json::object()
                                  : Json::parse(plot_props, nullptr, /*allow_exceptions=*/false);
  Result<std::vector<PlotSpec>> specs =
      props.is_object() && props.contains("y") && props["y"].is_object()
          ? Error(Code::kInvalid, "y: a stage output's plot takes a field name or a list of them")
          : PathPlots(path, props, ParentDir(dvcfile), dvcfile, source);
  if (!specs.ok())
    return specs.status().WithContext(fmt::format("{}: plot output '{}'", dvcfile, path));
  return specs;
}

std::vector<PlotSpec> PlotSpecsForPath(const std::string& path, const PlotSource& source) {
  Result<std::vector<PlotSpec>> specs = PathPlots(path, Json::object(), ".", "", source);
  return specs.ok() ? std::move(specs).value() : std::vector<PlotSpec>{};
}

CollectedPlots CollectPlotSpecs(const Workspace& workspace, const PlotSource& source) {
  CollectedPlots collected;
  auto add = [&](PlotSpec spec) {
    for (PlotSpec& existing : collected.plots) {
      if (existing.id == spec.id) {
        existing = std::move(spec);
        return;
      }
    }
    collected.plots.push_back(std::move(spec));
  };
  auto add_all = [&](Result<std::vector<PlotSpec>> specs) {
    if (!specs.ok()) {
      collected.errors.push_back(specs.status().message());
      return;
    }
    for (PlotSpec& spec : *specs)
      add(std::move(spec));
  };
  for (size_t index : workspace.dag().order()) {
    const StageNode& node = workspace.dag().node(index);
    for (size_t i = 0; i < node.stage.outs.size(); ++i) {
      const OutSpec& out = node.stage.outs[i];
      if (out.kind == OutKind::kPlot)
        add_all(PlotSpecsForOutput(node.out_paths[i], out.plot_props, node.dvcfile, source));
    }
  }
  for (const PipelineFile& pipeline : workspace.pipelines()) {
    for (const std::string& entry : pipeline.plots)
      add_all(ParseTopLevelPlot(entry, pipeline.path, source));
  }
  return collected;
}

void ApplyOverrides(const PlotOverrides& overrides, PlotSpec* spec) {
  if (overrides.tmpl)
    spec->tmpl = *overrides.tmpl;
  if (overrides.title)
    spec->title = overrides.title;
  if (overrides.x_label)
    spec->x_label = overrides.x_label;
  if (overrides.y_label)
    spec->y_label = overrides.y_label;
  if (overrides.no_header)
    spec->header = false;
  if (overrides.x)
    spec->x = {{"", *overrides.x}};
  if (overrides.y) {
    std::vector<std::string> files;
    for (const FieldRef& y : spec->y)
      AddFile(y.file, &files);
    if (files.empty() && !spec->files.empty())
      files.push_back(spec->files.front());
    spec->y.clear();
    for (const std::string& file : files)
      spec->y.push_back({file, *overrides.y});
  }
}

Result<std::vector<PlotSpec>> SelectPlots(const std::vector<PlotSpec>& plots,
                                          const std::vector<std::string>& targets,
                                          const PlotSource& source) {
  if (targets.empty())
    return plots;
  std::vector<bool> chosen(plots.size(), false);
  std::vector<PlotSpec> extra;
  for (const std::string& target : targets) {
    bool found = false;
    for (size_t i = 0; i < plots.size(); ++i) {
      if (Selects(plots[i], target)) {
        chosen[i] = true;
        found = true;
      }
    }
    if (found)
      continue;
    bool readable = source.list_dir && source.list_dir(target).has_value();
    if (!readable && source.read) {
      Result<std::optional<std::string>> content = source.read(target);
      readable = !content.ok() || content->has_value();  // a read error is reported later
    }
    if (!readable) {
      std::vector<std::string> ids;
      ids.reserve(plots.size());
      for (const PlotSpec& plot : plots)
        ids.push_back(plot.id);
      return Error(Code::kNotFound, "'{}' is neither a plot defined in dvc.yaml nor a file{}",
                   target, DidYouMean(target, ids));
    }
    for (PlotSpec& spec : PlotSpecsForPath(target, source))
      extra.push_back(std::move(spec));
  }
  std::vector<PlotSpec> selected;
  for (size_t i = 0; i < plots.size(); ++i) {
    if (chosen[i])
      selected.push_back(plots[i]);
  }
  for (PlotSpec& spec : extra)
    selected.push_back(std::move(spec));
  return selected;
}

}  // namespace conveyor
