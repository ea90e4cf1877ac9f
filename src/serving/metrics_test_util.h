// Test helper (header-only, for serving_test): the samples of a Prometheus
// text exposition (format 0.0.4), looked up by name and exact label set.
#pragma once

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace conveyor::serving::testing {

class Exposition {
 public:
  using Labels = std::map<std::string, std::string>;

  explicit Exposition(std::string text) : text_(std::move(text)) {
    std::istringstream lines(text_);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] == '#')
        continue;
      Sample sample;
      size_t i = line.find_first_of("{ ");
      sample.name = line.substr(0, i);
      if (i != std::string::npos && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
          const size_t eq = line.find('=', i);
          std::string name = line.substr(i, eq - i);
          std::string value;
          for (i = eq + 2; i < line.size() && line[i] != '"'; ++i) {
            if (line[i] == '\\' && i + 1 < line.size()) {
              ++i;
              value += line[i] == 'n' ? '\n' : line[i];
            } else {
              value += line[i];
            }
          }
          sample.labels[name] = value;
          ++i;  // the closing quote
          if (i < line.size() && line[i] == ',')
            ++i;
        }
        ++i;  // '}'
      }
      sample.value = std::stod(line.substr(line.find_first_not_of(' ', i)));
      samples_.push_back(std::move(sample));
    }
  }

  // The sample `name` with exactly `labels`, if there is one.
  std::optional<double> Value(const std::string& name, const Labels& labels) const {
    for (const Sample& sample : samples_) {
      if (sample.name == name && sample.labels == labels)
        return sample.value;
    }
    return std::nullopt;
  }
  // The cumulative count of `name`_bucket{labels, le}.
  std::optional<double> Bucket(const std::string& name, Labels labels,
                               const std::string& le) const {
    labels["le"] = le;
    return Value(name + "_bucket", labels);
  }
  // Over every sample named `name`, whatever its labels.
  double Sum(const std::string& name) const {
    double sum = 0;
    for (const Sample& sample : samples_)
      sum += sample.name == name ? sample.value : 0;
    return sum;
  }
  size_t Count(const std::string& name) const {
    size_t count = 0;
    for (const Sample& sample : samples_)
      count += sample.name == name ? 1 : 0;
    return count;
  }
  bool Has(const std::string& text) const { return text_.find(text) != std::string::npos; }
  const std::string& text() const { return text_; }

 private:
  struct Sample {
    std::string name;
    Labels labels;
    double value = 0;
  };
  std::string text_;
  std::vector<Sample> samples_;
};

}  // namespace conveyor::serving::testing
