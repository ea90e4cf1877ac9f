// `conveyor feedback export`: the labelled predictions of a prediction log
// (`conveyor serve --log-predictions DIR`, serving/prediction_log.h) as a
// training dataset — every logged prediction a client sent the true label
// for, with its raw input — written as a samples file (ml/samples.h, what
// the digits pipeline's stages read) or CSV (label, then the pixels).
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/stable_hash.h"
#include "ml/samples.h"
#include "serving/prediction_dataset.h"

namespace conveyor::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Collects examples into one of the two output forms.
class DatasetWriter {
 public:
  explicit DatasetWriter(bool csv) : csv_(csv) {}

  Status Add(const serving::LabelledExample& example) {
    if (count_ == 0) {
      rows_ = example.rows;
      cols_ = example.cols;
      samples_.rows = rows_;
      samples_.cols = cols_;
      if (csv_) {
        text_ = "label";
        for (int i = 0; i < rows_ * cols_; ++i)
          text_ += fmt::format(",x{}", i);
        text_ += '\n';
      }
    } else if (example.rows != rows_ || example.cols != cols_) {
      return Error(Code::kInvalid,
                   "{}: a {}x{} input among {}x{} ones; export one model's log at a time "
                   "(--model NAME)",
                   example.where, example.rows, example.cols, rows_, cols_);
    }
    ++count_;
    ++per_label_[example.label];
    if (csv_) {
      text_ += CsvField(example.label);
      for (float value : example.input)
        text_ += fmt::format(",{}", value);
      text_ += '\n';
      return OkStatus();
    }
    int32_t label = 0;
    const char* end = example.label.data() + example.label.size();
    auto [ptr, ec] = std::from_chars(example.label.data(), end, label);
    if (ec != std::errc() || ptr != end || label < 0) {
      return Error(Code::kInvalid,
                   "{}: label '{}' is not a class number, which a samples file needs; export "
                   "CSV instead (--format csv)",
                   example.where, example.label);
    }
    samples_.Add(label, example.input);
    return OkStatus();
  }

  std::string Bytes() const { return csv_ ? text_ : ml::EncodeSamples(samples_); }
  size_t count() const { return count_; }
  const std::map<std::string, size_t>& per_label() const { return per_label_; }

 private:
  static std::string CsvField(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos)
      return text;
    std::string quoted = "\"";
    for (char c : text)
      quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }

  const bool csv_;
  int rows_ = 0;
  int cols_ = 0;
  size_t count_ = 0;
  ml::SampleSet samples_;
  std::string text_;
  std::map<std::string, size_t> per_label_;
};

class FeedbackCommand : public Command {
 public:
  std::string_view Name() const override { return "feedback"; }
  std::string_view Summary() const override {
    return "Turn a server's logged predictions and their labels into training data";
  }

  void Configure(CLI::App& app) override {
    export_ = app.add_subcommand("export",
                                 "Write the labelled predictions of a prediction log as a dataset");
    export_
        ->add_option("logs", logs_,
                     "Prediction log directories (serve --log-predictions DIR) or segment "
                     "files")
        ->required();
    export_->add_option("-o,--out", out_, "The dataset file to write (replaced atomically)")
        ->required()
        ->type_name("FILE");
    export_
        ->add_option("--format", format_,
                     "samples (conveyor's samples file; labels must be class numbers) or csv "
                     "(default: csv for a .csv file, else samples)")
        ->check(CLI::IsMember({"samples", "csv"}));
    export_->add_option("--model", model_, "Only predictions made by this model");
    export_
        ->add_option("--holdout", holdout_,
                     "Share of the examples (0..1) written to --holdout-out instead of --out, "
                     "chosen by a stable hash of request id and row: data no model trains on, "
                     "for 'model promote --if-better METRIC --evaluate-on' to judge by")
        ->check(CLI::Range(0.0, 1.0));
    export_->add_option("--holdout-out", holdout_out_, "Where the held-out examples go")
        ->type_name("FILE");
    export_->add_flag("--json", json_, "Print what was exported as JSON");
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor serve --log-predictions /var/log/conveyor/digits ...\n"
        "  conveyor feedback export /var/log/conveyor/digits -o data/feedback.samples\n"
        "  conveyor feedback export logs/ -o live.csv --model digits\n"
        "  conveyor feedback export logs/ -o data/feedback.samples --holdout 0.3 \\\n"
        "      --holdout-out data/feedback_holdout.samples\n"
        "\n"
        "A prediction enters the dataset once a client has sent its true label to\n"
        "POST /feedback; its input is the raw one (pixels 0..255, before the model's\n"
        "preprocessing). Several replicas may log to one directory. Nothing labelled\n"
        "is an error, and the output file is then left as it was.");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    std::vector<fs::path> paths;
    for (const std::string& log : logs_)
      paths.push_back(global.cwd / log);
    const fs::path out = global.cwd / out_;
    const bool csv = format_.empty() ? out.extension() == ".csv" : format_ == "csv";
    ASSIGN_OR_RETURN(std::vector<fs::path> files, serving::PredictionLogFiles(paths));
    if (files.empty()) {
      return Error(Code::kNotFound, "no prediction log segments (predictions-*.jsonl) in {}",
                   fmt::join(logs_, ", "));
    }
    if ((holdout_ > 0) != !holdout_out_.empty()) {
      return Error(Code::kUsage, "--holdout and --holdout-out go together");
    }
    const fs::path holdout_out = holdout_out_.empty() ? fs::path() : global.cwd / holdout_out_;
    if (!holdout_out.empty() && holdout_out.lexically_normal() == out.lexically_normal()) {
      return Error(Code::kUsage, "--holdout-out and -o name the same file ({})", out_);
    }
    const bool holdout_csv = format_.empty() ? holdout_out.extension() == ".csv" : format_ == "csv";
    DatasetWriter writer(csv);
    DatasetWriter held(holdout_csv);
    ASSIGN_OR_RETURN(
        serving::DatasetScan scan,
        serving::ScanLabelledExamples(
            files, {.model = model_}, [&](const serving::LabelledExample& e) {
              if (holdout_ > 0 &&
                  StableHashBelow(fmt::format("{}\n{}", e.request_id, e.row), holdout_))
                return held.Add(e);
              return writer.Add(e);
            }));
    if (holdout_ > 0 && held.count() == 0 && writer.count() > 0) {
      return Error(Code::kNotFound,
                   "none of the {} labelled examples fell in the --holdout {}: too few to hold "
                   "any out; raise it or send more labels",
                   writer.count(), holdout_);
    }
    if (holdout_ > 0 && writer.count() == 0 && held.count() > 0) {
      return Error(Code::kNotFound,
                   "all {} labelled examples fell in the --holdout {}: nothing left to train "
                   "on; lower it or send more labels",
                   held.count(), holdout_);
    }
    if (writer.count() == 0) {
      return Error(Code::kNotFound,
                   "no labelled predictions in {} file(s) ({} predictions, {} labels logged{}); "
                   "clients send labels to POST /feedback",
                   scan.files, scan.predictions, scan.feedback,
                   model_.empty() ? "" : fmt::format("; only model '{}' taken", model_));
    }
    // Both files are written in full before either replaces its old version,
    // so a failed write (a full disk) never leaves a new training file beside
    // an old holdout, whose examples could then overlap.
    ASSIGN_OR_RETURN(StagedFile training, StagedFile::Write(out, writer.Bytes()));
    std::optional<StagedFile> holdout;
    if (held.count() > 0) {
      ASSIGN_OR_RETURN(StagedFile staged, StagedFile::Write(holdout_out, held.Bytes()));
      holdout.emplace(std::move(staged));
    }
    RETURN_IF_ERROR(training.Commit());
    if (holdout) {
      RETURN_IF_ERROR(holdout->Commit());
    }
    if (json_) {
      Json answer{{"out", out.string()},
                  {"format", csv ? "csv" : "samples"},
                  {"examples", writer.count()},
                  {"labels", writer.per_label()},
                  {"holdout_out", holdout_out.empty() ? Json(nullptr) : Json(holdout_out.string())},
                  {"holdout_examples", held.count()},
                  {"files", scan.files},
                  {"predictions", scan.predictions},
                  {"feedback", scan.feedback},
                  {"torn_lines", scan.torn_lines}};
      console.Out(answer.dump(2));
      return OkStatus();
    }
    std::string labels;
    for (const auto& [label, n] : writer.per_label())
      labels += fmt::format("{}{}: {}", labels.empty() ? "" : ", ", label, n);
    console.Out(
        fmt::format("Exported {} labelled examples to {}, of {} logged predictions "
                    "(per label: {})",
                    writer.count(), out_, scan.predictions, labels));
    if (held.count() > 0) {
      console.Out(fmt::format("Held out {} of them in {}", held.count(), holdout_out_));
    }
    if (scan.torn_lines > 0) {
      console.Note(fmt::format("{} last line(s) cut short by a stopped server were skipped",
                               scan.torn_lines));
    }
    return OkStatus();
  }

 private:
  CLI::App* export_ = nullptr;
  std::vector<std::string> logs_;
  std::string out_;
  std::string format_;
  std::string model_;
  double holdout_ = 0;
  std::string holdout_out_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeFeedbackCommand() { return std::make_unique<FeedbackCommand>(); }

}  // namespace conveyor::cli
