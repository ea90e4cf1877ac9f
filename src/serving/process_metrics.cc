#include "serving/process_metrics.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace conveyor::serving {
namespace {

Result<std::string> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    return Error(Code::kIo, "{}: cannot read", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

Result<ProcessStats> ReadProcessStats(const std::filesystem::path& proc_dir, long ticks_per_second,
                                      long page_size) {
  if (ticks_per_second <= 0)
    ticks_per_second = sysconf(_SC_CLK_TCK);
  if (page_size <= 0)
    page_size = sysconf(_SC_PAGESIZE);
  const std::filesystem::path self = proc_dir / "self";
  ProcessStats stats;

  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces and
  // parentheses, so fields are counted from the last ')'. After it, field 3
  // (state) is index 0: utime is field 14, stime 15, starttime 22, vsize 23,
  // rss 24.
  ASSIGN_OR_RETURN(std::string stat, ReadAll(self / "stat"));
  const size_t close = stat.rfind(')');
  if (close == std::string::npos)
    return Error(Code::kInvalid, "{}: no ')' after the command name", (self / "stat").string());
  std::istringstream fields(stat.substr(close + 1));
  std::vector<std::string> field;
  for (std::string word; fields >> word;)
    field.push_back(word);
  if (field.size() < 22)
    return Error(Code::kInvalid, "{}: {} fields after the command name, expected at least 22",
                 (self / "stat").string(), field.size());
  double utime = 0;
  double stime = 0;
  double start_ticks = 0;
  try {
    utime = std::stod(field[14 - 3]);
    stime = std::stod(field[15 - 3]);
    start_ticks = std::stod(field[22 - 3]);
    stats.virtual_memory_bytes = std::stod(field[23 - 3]);
    stats.resident_memory_bytes = std::stod(field[24 - 3]) * static_cast<double>(page_size);
  } catch (const std::exception&) {
    return Error(Code::kInvalid, "{}: a time or size field is not a number",
                 (self / "stat").string());
  }
  const auto ticks = static_cast<double>(ticks_per_second);
  stats.cpu_seconds = (utime + stime) / ticks;

  // Boot time from /proc/stat's "btime <seconds>".
  ASSIGN_OR_RETURN(std::string system_stat, ReadAll(proc_dir / "stat"));
  const size_t btime = system_stat.find("\nbtime ");
  if (btime == std::string::npos)
    return Error(Code::kInvalid, "{}: no btime line", (proc_dir / "stat").string());
  stats.start_time_seconds =
      std::strtod(system_stat.c_str() + btime + 7, nullptr) + start_ticks / ticks;

  std::error_code ec;
  double open = 0;
  for (std::filesystem::directory_iterator it(self / "fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++open;
  }
  if (ec)
    return Error(Code::kIo, "{}: {}", (self / "fd").string(), ec.message());
  stats.open_fds = open;

  // "Max open files            1024                 1048576              files"
  ASSIGN_OR_RETURN(std::string limits, ReadAll(self / "limits"));
  const size_t line = limits.find("Max open files");
  if (line == std::string::npos)
    return Error(Code::kInvalid, "{}: no 'Max open files' line", (self / "limits").string());
  std::istringstream soft(limits.substr(line + 14));
  std::string value;
  soft >> value;
  stats.max_fds = value == "unlimited" ? -1 : std::strtod(value.c_str(), nullptr);
  return stats;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  Result<ProcessStats> stats = ReadProcessStats(proc_dir_);
  if (!stats.ok())
    return {};
  using prometheus::MetricType;
  return {
      Family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             MetricType::Counter, stats->cpu_seconds),
      Family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
             stats->resident_memory_bytes),
      Family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
             stats->virtual_memory_bytes),
      Family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
             stats->open_fds),
      Family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
             stats->max_fds),
      Family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
             MetricType::Gauge, stats->start_time_seconds),
  };
}

}  // namespace conveyor::serving
