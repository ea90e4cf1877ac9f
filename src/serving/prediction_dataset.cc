#include "serving/prediction_dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "serving/prediction_log.h"

namespace conveyor::serving {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

struct Position {
  size_t file = 0;
  size_t line = 0;
  bool operator==(const Position&) const = default;
};

std::string Key(const std::string& request_id, size_t row) {
  return request_id + '\n' + std::to_string(row);
}

// One parsed line, with where it came from for errors.
class LineReader {
 public:
  LineReader(const Json& json, const fs::path& file, size_t line)
      : json_(json), file_(file), line_(line) {}

  template <typename T>
  Result<T> Get(const char* field) const {
    auto it = json_.find(field);
    if (it == json_.end()) {
      return Error(Code::kInvalid, "{}:{}: field '{}' is missing", file_.string(), line_, field);
    }
    try {
      return it->template get<T>();
    } catch (const Json::exception&) {
      return Error(Code::kInvalid, "{}:{}: field '{}' has the wrong type ({})", file_.string(),
                   line_, field, it->type_name());
    }
  }

 private:
  const Json& json_;
  const fs::path& file_;
  const size_t line_;
};

// How ForEachLine reads: pass 1 needs every line's keys, not its input
// (400 numbers a row); pass 2 needs only the lines pass 1 bound a label to.
struct LineFilter {
  bool drop_input = false;             // parse, but keep no "input" array
  std::function<bool(size_t)> wanted;  // empty: every line; else lines it accepts
};

// Calls `each(json, line number)` for every complete line of `file` that
// `filter` wants.
Status ForEachLine(const fs::path& file, DatasetScan* scan, const LineFilter& filter,
                   const std::function<Status(const Json&, size_t)>& each) {
  const Json::parser_callback_t drop_input = [](int depth, Json::parse_event_t event,
                                                Json& parsed) {
    return !(depth == 1 && event == Json::parse_event_t::key && parsed == "input");
  };
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Error(Code::kIo, "cannot read {}", file.string());
  }
  std::string text;
  size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (in.eof()) {  // no newline after it: cut short by a crash
      if (!text.empty() && scan != nullptr)
        ++scan->torn_lines;
      break;
    }
    if (text.empty() || (filter.wanted && !filter.wanted(number)))
      continue;
    Json json = Json::parse(text, filter.drop_input ? drop_input : nullptr,
                            /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
      return Error(Code::kInvalid, "{}:{}: not a JSON object", file.string(), number);
    }
    RETURN_IF_ERROR(each(json, number));
  }
  if (in.bad()) {
    return Error(Code::kIo, "cannot read {}", file.string());
  }
  return OkStatus();
}

Result<LabelledExample> ReadPrediction(const LineReader& in, const fs::path& file, size_t line) {
  LabelledExample example;
  ASSIGN_OR_RETURN(example.request_id, in.Get<std::string>("request_id"));
  ASSIGN_OR_RETURN(example.row, in.Get<size_t>("row"));
  ASSIGN_OR_RETURN(example.model, in.Get<std::string>("model"));
  ASSIGN_OR_RETURN(example.version, in.Get<int>("version"));
  ASSIGN_OR_RETURN(example.predicted, in.Get<std::string>("predicted"));
  ASSIGN_OR_RETURN(std::vector<int> shape, in.Get<std::vector<int>>("shape"));
  if (shape.size() != 2 || shape[0] <= 0 || shape[1] <= 0) {
    return Error(Code::kInvalid, "{}:{}: field 'shape' must be [rows, cols]", file.string(), line);
  }
  example.rows = shape[0];
  example.cols = shape[1];
  ASSIGN_OR_RETURN(example.input, in.Get<std::vector<float>>("input"));
  if (example.input.size() != static_cast<size_t>(example.rows) * example.cols) {
    return Error(Code::kInvalid, "{}:{}: 'input' has {} values, 'shape' says {}x{}", file.string(),
                 line, example.input.size(), example.rows, example.cols);
  }
  return example;
}

}  // namespace

Result<std::vector<fs::path>> PredictionLogFiles(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const fs::path& path : paths) {
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (error || !fs::exists(status)) {
      return Error(Code::kNotFound, "no prediction log at {}", path.string());
    }
    if (!fs::is_directory(status)) {
      files.push_back(path);
      continue;
    }
    std::vector<fs::path> found;
    for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (name.starts_with(kPredictionSegmentPrefix) && name.ends_with(".jsonl"))
        found.push_back(it->path());
    }
    if (error) {
      return Error(Code::kIo, "cannot list {}: {}", path.string(), error.message());
    }
    std::sort(found.begin(), found.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

Result<DatasetScan> ScanLabelledExamples(
    const std::vector<fs::path>& files, const DatasetFilter& filter,
    const std::function<Status(const LabelledExample&)>& emit) {
  DatasetScan scan;
  scan.files = files.size();
  // Pass 1: every prediction and label of each (request id, row), with its
  // time. Several replicas may write to one directory, so file order is
  // not event order; the "ts" field is (UTC, fixed width: it sorts as text).
  struct Seen {
    std::string ts;
    Position where;
  };
  struct Labelled {
    std::string ts;
    std::string label;
  };
  std::unordered_map<std::string, std::vector<Seen>> predictions;
  std::unordered_map<std::string, std::vector<Labelled>> labels;
  for (size_t f = 0; f < files.size(); ++f) {
    RETURN_IF_ERROR(ForEachLine(
        files[f], &scan, {.drop_input = true}, [&](const Json& json, size_t line) -> Status {
          LineReader in(json, files[f], line);
          ASSIGN_OR_RETURN(std::string type, in.Get<std::string>("type"));
          ASSIGN_OR_RETURN(std::string ts, in.Get<std::string>("ts"));
          ASSIGN_OR_RETURN(std::string request_id, in.Get<std::string>("request_id"));
          ASSIGN_OR_RETURN(size_t row, in.Get<size_t>("row"));
          if (type == "prediction") {
            ++scan.predictions;
            ASSIGN_OR_RETURN(std::string model, in.Get<std::string>("model"));
            if (filter.model.empty() || model == filter.model)
              predictions[Key(request_id, row)].push_back({std::move(ts), Position{f, line}});
          } else if (type == "feedback") {
            ++scan.feedback;
            ASSIGN_OR_RETURN(std::string label, in.Get<std::string>("label"));
            labels[Key(request_id, row)].push_back({std::move(ts), std::move(label)});
          } else {
            return Error(Code::kInvalid, "{}:{}: type '{}' is neither prediction nor feedback",
                         files[f].string(), line, type);
          }
          return OkStatus();
        }));
  }
  // Each label belongs to the prediction its request id named when it was
  // sent: the latest one at or before it (the earliest, if a clock put the
  // label first). A prediction's first label counts.
  std::map<std::pair<size_t, size_t>, std::string> bound;  // (file, line) -> label
  for (auto& [key, sent] : labels) {
    auto it = predictions.find(key);
    if (it == predictions.end())
      continue;
    std::vector<Seen>& made = it->second;
    std::stable_sort(made.begin(), made.end(),
                     [](const Seen& a, const Seen& b) { return a.ts < b.ts; });
    std::stable_sort(sent.begin(), sent.end(),
                     [](const Labelled& a, const Labelled& b) { return a.ts < b.ts; });
    for (const Labelled& label : sent) {
      auto after =
          std::upper_bound(made.begin(), made.end(), label.ts,
                           [](const std::string& ts, const Seen& seen) { return ts < seen.ts; });
      const Seen& target = after == made.begin() ? made.front() : *(after - 1);
      bound.emplace(std::make_pair(target.where.file, target.where.line), label.label);
    }
  }
  // Pass 2: the labelled predictions, in log order. A segment removed since
  // pass 1 (rotation on a live server) is skipped.
  for (size_t f = 0; f < files.size(); ++f) {
    std::error_code gone;
    if (!fs::exists(files[f], gone))
      continue;
    const LineFilter bound_only{.wanted = [&](size_t line) { return bound.count({f, line}) != 0; }};
    RETURN_IF_ERROR(
        ForEachLine(files[f], nullptr, bound_only, [&](const Json& json, size_t line) -> Status {
          auto label = bound.find({f, line});
          LineReader in(json, files[f], line);
          ASSIGN_OR_RETURN(LabelledExample example, ReadPrediction(in, files[f], line));
          example.label = label->second;
          example.where = fmt::format("{}:{}", files[f].string(), line);
          ++scan.labelled;
          return emit(example);
        }));
  }
  return scan;
}

}  // namespace conveyor::serving
