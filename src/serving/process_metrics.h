// The process_* metrics as Prometheus's official client libraries export
// them (client_golang's process collector), read from /proc at scrape time:
//
//   process_cpu_seconds_total       counter  user + system CPU time
//   process_resident_memory_bytes   gauge    resident set size
//   process_virtual_memory_bytes    gauge    virtual memory size
//   process_open_fds                gauge    entries in /proc/self/fd
//   process_max_fds                 gauge    the soft RLIMIT_NOFILE ("Max open files")
//   process_start_time_seconds      gauge    start time, seconds since the Unix epoch
//
// Linux only. Thread safety: stateless functions; the collectable is const.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <filesystem>
#include <vector>

#include "common/status.h"

namespace conveyor::serving {

struct ProcessStats {
  double cpu_seconds = 0;
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

// Reads `proc_dir`/self/{stat,fd,limits} and `proc_dir`/stat (btime).
// `ticks_per_second` and `page_size` default to sysconf's. kIo when a file
// cannot be read, kInvalid when one does not parse ("/proc/self/stat: ...").
Result<ProcessStats> ReadProcessStats(const std::filesystem::path& proc_dir = "/proc",
                                      long ticks_per_second = 0, long page_size = 0);

// The six families from ReadProcessStats; none when /proc cannot be read
// (a scrape then simply lacks them).
class ProcessCollector : public prometheus::Collectable {
 public:
  explicit ProcessCollector(std::filesystem::path proc_dir = "/proc")
      : proc_dir_(std::move(proc_dir)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::filesystem::path proc_dir_;
};

}  // namespace conveyor::serving
