#!/usr/bin/env bash
# Checks deploy/monitoring/ (the monitoring_config test): promtool validates
# the alert rules, runs their unit tests and validates prometheus.yml; then
# check_monitoring.py parses every YAML and JSON file there and checks that
# each PromQL expression of the dashboards and rules names only series that
# conveyor (docs/serving.md#metrics) or node_exporter exports.
#
# Usage: check_monitoring.sh SOURCE_DIR
# Exit 77 (ctest's SKIP_RETURN_CODE) when promtool is absent: install
# Debian's prometheus (scripts/install-deps.sh).
set -euo pipefail

source_dir=${1:?usage: check_monitoring.sh SOURCE_DIR}
monitoring=$source_dir/deploy/monitoring

if ! command -v promtool >/dev/null; then
  echo "SKIP: promtool not found; install Debian's prometheus (scripts/install-deps.sh)"
  exit 77
fi
# Debian's python3, for its python3-yaml (not whichever python3 is first on PATH).
python=/usr/bin/python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  echo "FAIL: $python cannot import yaml; install python3-yaml (scripts/install-deps.sh)"
  exit 1
fi

cd "$monitoring"
promtool check rules alerts.yml
promtool test rules alerts_test.yml
promtool check config prometheus.yml
"$python" "$source_dir/tests/monitoring/check_monitoring.py" "$source_dir"
