#include "ml/model_spec.h"

#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "common/file_util.h"
#include "ml/classifier.h"

namespace conveyor::ml {
namespace {

// The shortest text that reads back as exactly `v` ("0.05", not
// "0.050000000000000003").
std::string Number(double v) { return fmt::format("{}", v); }

void EmitNumbers(YAML::Emitter& out, const std::vector<double>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (double v : values) {
    out << Number(v);
  }
  out << YAML::EndSeq;
}

void EmitHistogram(YAML::Emitter& out, const char* key, const Histogram& h) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "edges" << YAML::Value;
  EmitNumbers(out, h.edges);
  out << YAML::Key << "counts" << YAML::Value << YAML::Flow << h.counts;
  out << YAML::EndMap;
}

// Reads typed fields from YAML nodes, turning yaml-cpp exceptions and missing
// fields into a Status that names the file, position and field.
class Reader {
 public:
  explicit Reader(std::string_view name) : name_(name) {}

  Status Where(const YAML::Node& node, std::string_view message) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      return Error(Code::kInvalid, "{}: {}", name_, message);
    }
    return Error(Code::kInvalid, "{}:{}:{}: {}", name_, mark.line + 1, mark.column + 1, message);
  }

  Result<YAML::Node> Field(const YAML::Node& map, std::string_view path, const char* key) const {
    if (!map.IsMap()) {
      return Where(map, fmt::format("'{}' must be a mapping", path));
    }
    YAML::Node node = map[key];
    if (!node.IsDefined()) {
      return Error(Code::kInvalid, "{}: missing field '{}{}'", name_, path, key);
    }
    return node;
  }

  template <typename T>
  Result<T> Get(const YAML::Node& map, std::string_view path, const char* key) const {
    ASSIGN_OR_RETURN(YAML::Node node, Field(map, path, key));
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      return Where(node, fmt::format("field '{}{}' has the wrong type", path, key));
    }
  }

  Result<Histogram> GetHistogram(const YAML::Node& map, std::string_view path,
                                 const char* key) const {
    ASSIGN_OR_RETURN(YAML::Node node, Field(map, path, key));
    const std::string sub = fmt::format("{}{}.", path, key);
    Histogram h;
    ASSIGN_OR_RETURN(h.edges, Get<std::vector<double>>(node, sub, "edges"));
    ASSIGN_OR_RETURN(h.counts, Get<std::vector<int64_t>>(node, sub, "counts"));
    if (h.edges.size() != h.counts.size() + 1) {
      return Where(node, fmt::format("'{}{}' has {} edges for {} counts (need counts + 1)", path,
                                     key, h.edges.size(), h.counts.size()));
    }
    return h;
  }

 private:
  std::string_view name_;
};

Result<ModelSpec> Parse(const YAML::Node& root, std::string_view name) {
  const Reader r(name);
  if (!root.IsMap()) {
    return r.Where(root, "model spec must be a mapping");
  }
  ModelSpec spec;
  ASSIGN_OR_RETURN(YAML::Node version, r.Field(root, "", "format_version"));
  ASSIGN_OR_RETURN(spec.format_version, r.Get<int>(root, "", "format_version"));
  if (spec.format_version < kModelSpecOldestVersion ||
      spec.format_version > kModelSpecFormatVersion) {
    return r.Where(
        version,
        fmt::format("format_version {} is not supported (oldest {}, current {})",
                    spec.format_version, kModelSpecOldestVersion, kModelSpecFormatVersion));
  }
  ASSIGN_OR_RETURN(spec.name, r.Get<std::string>(root, "", "name"));
  ASSIGN_OR_RETURN(YAML::Node backend, r.Field(root, "", "backend"));
  ASSIGN_OR_RETURN(spec.backend, r.Get<std::string>(root, "", "backend"));
  if (const std::vector<std::string_view> known = ClassifierBackends();
      std::find(known.begin(), known.end(), spec.backend) == known.end()) {
    return r.Where(backend, fmt::format("unknown backend '{}' (known: {})", spec.backend,
                                        fmt::join(known, ", ")));
  }
  ASSIGN_OR_RETURN(spec.model_file, r.Get<std::string>(root, "", "model_file"));

  ASSIGN_OR_RETURN(YAML::Node input, r.Field(root, "", "input"));
  ASSIGN_OR_RETURN(spec.input_kind, r.Get<std::string>(input, "input.", "kind"));
  if (spec.input_kind != "grayscale_image") {
    return r.Where(input["kind"], fmt::format("unknown input kind '{}' (known: grayscale_image)",
                                              spec.input_kind));
  }
  ASSIGN_OR_RETURN(spec.input.rows, r.Get<int>(input, "input.", "height"));
  ASSIGN_OR_RETURN(spec.input.cols, r.Get<int>(input, "input.", "width"));
  if (spec.input.rows <= 0 || spec.input.cols <= 0) {
    return r.Where(
        input, fmt::format("input size {}x{} is not positive", spec.input.rows, spec.input.cols));
  }
  ASSIGN_OR_RETURN(spec.input.scale, r.Get<double>(input, "input.", "scale"));
  ASSIGN_OR_RETURN(spec.input.deskew, r.Get<bool>(input, "input.", "deskew"));

  ASSIGN_OR_RETURN(spec.labels, r.Get<std::vector<std::string>>(root, "", "labels"));
  if (spec.labels.size() < 2) {
    return r.Where(root["labels"], "a classifier needs at least 2 labels");
  }

  ASSIGN_OR_RETURN(YAML::Node sample, r.Field(root, "", "sample_input"));
  ASSIGN_OR_RETURN(spec.sample_input.pixels,
                   r.Get<std::vector<int>>(sample, "sample_input.", "pixels"));
  ASSIGN_OR_RETURN(spec.sample_input.expected_label,
                   r.Get<std::string>(sample, "sample_input.", "expected_label"));
  const size_t pixels = static_cast<size_t>(spec.input.rows) * spec.input.cols;
  if (spec.sample_input.pixels.size() != pixels) {
    return r.Where(
        sample["pixels"],
        fmt::format("sample_input.pixels has {} values, expected {} ({}x{})",
                    spec.sample_input.pixels.size(), pixels, spec.input.rows, spec.input.cols));
  }

  ASSIGN_OR_RETURN(YAML::Node ref, r.Field(root, "", "reference"));
  ReferenceStats& stats = spec.reference;
  ASSIGN_OR_RETURN(stats.samples, r.Get<int64_t>(ref, "reference.", "samples"));
  ASSIGN_OR_RETURN(stats.class_priors,
                   r.Get<std::vector<double>>(ref, "reference.", "class_priors"));
  if (stats.class_priors.size() != spec.labels.size()) {
    return r.Where(ref["class_priors"],
                   fmt::format("reference.class_priors has {} values for {} labels",
                               stats.class_priors.size(), spec.labels.size()));
  }
  ASSIGN_OR_RETURN(stats.mean_intensity, r.Get<double>(ref, "reference.", "mean_intensity"));
  ASSIGN_OR_RETURN(stats.mean_ink_fraction, r.Get<double>(ref, "reference.", "mean_ink_fraction"));
  ASSIGN_OR_RETURN(stats.intensity, r.GetHistogram(ref, "reference.", "intensity_histogram"));
  ASSIGN_OR_RETURN(stats.ink_fraction, r.GetHistogram(ref, "reference.", "ink_fraction_histogram"));

  if (YAML::Node training = root["training"]; training.IsDefined()) {
    ASSIGN_OR_RETURN(YAML::Node params, r.Field(training, "training.", "params"));
    if (!params.IsMap()) {
      return r.Where(params, "'training.params' must be a mapping");
    }
    for (const auto& kv : params) {
      if (!kv.second.IsScalar()) {
        return r.Where(kv.second,
                       fmt::format("training.params.{} must be a scalar", kv.first.Scalar()));
      }
      spec.training_params.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
  }
  return spec;
}

}  // namespace

std::string EmitModelSpec(const ModelSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format_version" << YAML::Value << spec.format_version;
  out << YAML::Key << "name" << YAML::Value << spec.name;
  out << YAML::Key << "backend" << YAML::Value << spec.backend;
  out << YAML::Key << "model_file" << YAML::Value << spec.model_file;
  out << YAML::Key << "input" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << spec.input_kind;
  out << YAML::Key << "height" << YAML::Value << spec.input.rows;
  out << YAML::Key << "width" << YAML::Value << spec.input.cols;
  out << YAML::Key << "scale" << YAML::Value << Number(spec.input.scale);
  out << YAML::Key << "deskew" << YAML::Value << spec.input.deskew;
  out << YAML::EndMap;
  out << YAML::Key << "labels" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& label : spec.labels) {
    out << YAML::DoubleQuoted << label;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "sample_input" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "pixels" << YAML::Value << YAML::Flow << spec.sample_input.pixels;
  out << YAML::Key << "expected_label" << YAML::Value << YAML::DoubleQuoted
      << spec.sample_input.expected_label;
  out << YAML::EndMap;
  const ReferenceStats& ref = spec.reference;
  out << YAML::Key << "reference" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "samples" << YAML::Value << ref.samples;
  out << YAML::Key << "class_priors" << YAML::Value;
  EmitNumbers(out, ref.class_priors);
  out << YAML::Key << "mean_intensity" << YAML::Value << Number(ref.mean_intensity);
  out << YAML::Key << "mean_ink_fraction" << YAML::Value << Number(ref.mean_ink_fraction);
  EmitHistogram(out, "intensity_histogram", ref.intensity);
  EmitHistogram(out, "ink_fraction_histogram", ref.ink_fraction);
  out << YAML::EndMap;
  if (!spec.training_params.empty()) {
    out << YAML::Key << "training" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : spec.training_params) {
      out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
    }
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Result<ModelSpec> ParseModelSpec(std::string_view text, std::string_view name) {
  try {
    return Parse(YAML::Load(std::string(text)), name);
  } catch (const YAML::ParserException& e) {
    return Error(Code::kInvalid, "{}:{}:{}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg);
  } catch (const YAML::Exception& e) {
    return Error(Code::kInvalid, "{}: {}", name, e.what());
  }
}

Status WriteModelSpec(const std::filesystem::path& path, const ModelSpec& spec) {
  return AtomicWriteFile(path, EmitModelSpec(spec));
}

Result<ModelSpec> ReadModelSpec(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseModelSpec(text, path.string());
}

}  // namespace conveyor::ml
