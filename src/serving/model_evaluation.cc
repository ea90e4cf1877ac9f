#include "serving/model_evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "common/file_util.h"
#include "ml/samples.h"
#include "serving/model_input.h"

namespace conveyor::serving {

namespace {

constexpr std::string_view kSamplesMagic = "CVSAMPLE";
constexpr size_t kBatchRows = 256;

// Splits one CSV line; only the first field may be quoted.
Result<std::vector<std::string>> SplitCsv(std::string_view line, const std::string& where) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  if (!line.empty() && line[0] == '"') {
    for (i = 1; i < line.size(); ++i) {
      if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (line[i] == '"') {
        break;
      } else {
        field += line[i];
      }
    }
    if (i >= line.size()) {
      return Error(Code::kInvalid, "{}: unterminated quote", where);
    }
    ++i;
    if (i < line.size() && line[i] != ',') {
      return Error(Code::kInvalid, "{}: text after a quoted field", where);
    }
  }
  for (; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += line[i];
    }
  }
  return fields;
}

Result<LabelledRows> ReadCsv(const std::filesystem::path& file, const std::string& text) {
  LabelledRows data{.source = file.string()};
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const std::string where = fmt::format("{}:{}", file.string(), number);
    if (number == 1) {
      if (!line.starts_with("label")) {
        return Error(Code::kInvalid,
                     "{}: expected a header line starting with 'label' (as 'conveyor feedback "
                     "export' writes), then label,value,... rows",
                     where);
      }
      continue;
    }
    if (line.empty())
      continue;
    ASSIGN_OR_RETURN(std::vector<std::string> fields, SplitCsv(line, where));
    if (fields.size() < 2) {
      return Error(Code::kInvalid, "{}: a label and at least one value expected", where);
    }
    if (data.width == 0) {
      data.width = fields.size() - 1;
    } else if (fields.size() - 1 != data.width) {
      return Error(Code::kInvalid, "{}: {} values, the rows before had {}", where,
                   fields.size() - 1, data.width);
    }
    data.labels.push_back(fields[0]);
    for (size_t f = 1; f < fields.size(); ++f) {
      float value = 0;
      const std::string& text_value = fields[f];
      auto [ptr, ec] =
          std::from_chars(text_value.data(), text_value.data() + text_value.size(), value);
      if (ec != std::errc() || ptr != text_value.data() + text_value.size()) {
        return Error(Code::kInvalid, "{}: value {} '{}' is not a number", where, f, text_value);
      }
      data.raw.push_back(value);
    }
  }
  return data;
}

}  // namespace

Result<LabelledRows> ReadLabelledRows(const std::filesystem::path& file) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(file));
  LabelledRows data;
  if (bytes.starts_with(kSamplesMagic)) {
    ASSIGN_OR_RETURN(ml::SampleSet samples, ml::DecodeSamples(bytes, file.string()));
    data.source = file.string();
    data.width = samples.features();
    data.raw = std::move(samples.pixels);
    for (int32_t label : samples.labels)
      data.labels.push_back(std::to_string(label));
  } else {
    ASSIGN_OR_RETURN(data, ReadCsv(file, bytes));
  }
  if (data.labels.empty()) {
    return Error(Code::kInvalid, "{}: no labelled rows to evaluate on", file.string());
  }
  return data;
}

Status AppendLabelledRows(LabelledRows& data, LabelledRows more) {
  if (more.width != data.width) {
    return Error(Code::kInvalid,
                 "{} has rows of {} values, {} of {}: they cannot be scored together", more.source,
                 more.width, data.source, data.width);
  }
  data.labels.insert(data.labels.end(), std::make_move_iterator(more.labels.begin()),
                     std::make_move_iterator(more.labels.end()));
  data.raw.insert(data.raw.end(), more.raw.begin(), more.raw.end());
  data.source += " + " + more.source;
  return OkStatus();
}

Result<ml::ClassificationMetrics> EvaluateModel(const ServedModel& model,
                                                const LabelledRows& data) {
  const ml::ModelSpec& spec = model.spec();
  const size_t width = static_cast<size_t>(spec.input.rows) * spec.input.cols;
  if (data.width != width) {
    return Error(Code::kInvalid, "{}: rows of {} values, but {} takes {} ({}x{})", data.source,
                 data.width, model.identity().ToString(), width, spec.input.rows, spec.input.cols);
  }
  std::map<std::string, int32_t, std::less<>> index;
  for (size_t i = 0; i < spec.labels.size(); ++i)
    index.emplace(spec.labels[i], static_cast<int32_t>(i));
  std::vector<int32_t> actual;
  actual.reserve(data.labels.size());
  for (size_t r = 0; r < data.labels.size(); ++r) {
    auto it = index.find(data.labels[r]);
    if (it == index.end()) {
      return Error(Code::kInvalid, "{}: row {} has label '{}', which {} does not know", data.source,
                   r + 1, data.labels[r], model.identity().ToString());
    }
    actual.push_back(it->second);
  }
  std::vector<int32_t> predicted;
  predicted.reserve(actual.size());
  for (size_t start = 0; start < actual.size(); start += kBatchRows) {
    FeatureRows batch;
    for (size_t r = start; r < std::min(actual.size(), start + kBatchRows); ++r) {
      InputResult row =
          RawFeatures(spec, std::span<const float>(data.raw).subspan(r * width, width));
      if (!row.ok()) {
        return Error(Code::kInvalid, "{}: row {}: {}", data.source, r + 1, row.error().message);
      }
      batch.Append(row.value());
    }
    ASSIGN_OR_RETURN(std::vector<Prediction> predictions, model.Predict(batch));
    for (const Prediction& prediction : predictions)
      predicted.push_back(prediction.class_index);
  }
  return ml::ComputeMetrics(actual, predicted, static_cast<int>(spec.labels.size()));
}

Result<double> NamedMetric(const ml::ClassificationMetrics& metrics, std::string_view name) {
  if (name == "accuracy")
    return metrics.accuracy;
  if (name == "macro_precision")
    return metrics.macro_precision;
  if (name == "macro_recall")
    return metrics.macro_recall;
  if (name == "macro_f1")
    return metrics.macro_f1;
  return Error(Code::kUsage,
               "'{}' is not a metric an evaluation computes: accuracy, macro_precision, "
               "macro_recall or macro_f1",
               name);
}

}  // namespace conveyor::serving
