// Building prometheus-cpp MetricFamily values by hand, for collectors that
// compute their series at scrape time (drift, feedback) rather than keep
// prometheus-cpp metric objects.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace conveyor::serving {

using MetricLabels = std::vector<prometheus::ClientMetric::Label>;

prometheus::MetricFamily MakeFamily(std::string name, std::string help,
                                    prometheus::MetricType type);
prometheus::ClientMetric GaugeMetric(MetricLabels labels, double value);
prometheus::ClientMetric CounterMetric(MetricLabels labels, double value);

}  // namespace conveyor::serving
