"""Parses every file of deploy/monitoring/ and checks the dashboards' and
alert rules' PromQL against the series conveyor and node_exporter export.

Usage: check_monitoring.py SOURCE_DIR. Prints one line per problem, exits 1
when there is any. Run by check_monitoring.sh (the monitoring_config test).
"""
import json
import os
import re
import sys

import yaml

# The node_exporter series the dashboards may use (node_exporter 1.5, the
# cpu, loadavg, meminfo, filesystem, netdev, diskstats, stat and time
# collectors, all enabled by default); `up` is Prometheus's own.
NODE_SERIES = {
    "node_cpu_seconds_total", "node_load1", "node_load5", "node_load15",
    "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
    "node_memory_MemFree_bytes", "node_memory_Cached_bytes", "node_memory_Buffers_bytes",
    "node_memory_SwapTotal_bytes", "node_memory_SwapFree_bytes",
    "node_filesystem_avail_bytes", "node_filesystem_size_bytes", "node_filesystem_free_bytes",
    "node_network_receive_bytes_total", "node_network_transmit_bytes_total",
    "node_disk_read_bytes_total", "node_disk_written_bytes_total",
    "node_disk_io_time_seconds_total", "node_time_seconds", "node_boot_time_seconds",
    "node_uname_info",
}
PROMETHEUS_SERIES = {"up", "ALERTS"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
            "or", "unless", "offset", "inf", "nan", "atan2"}
DATASOURCE_UID = "prometheus"


def conveyor_series(serving_md):
    """The series of docs/serving.md's Metrics table, histograms expanded."""
    text = open(serving_md, encoding="utf-8").read()
    section = text.split("\n## Metrics", 1)[1].split("\n## ", 1)[0]
    series = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4 or not cells[1].startswith("`"):
            continue
        names = re.findall(r"`([a-z_:][a-z0-9_:]*)`", cells[1])
        for name in names:
            if cells[2] == "histogram":
                series.update({name + "_bucket", name + "_sum", name + "_count"})
            else:
                series.add(name)
    return series


def series_in(expr):
    """Metric names in a PromQL expression (Grafana variables allowed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)  # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\w+", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.$])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", e):
        name, call = m.group(1), m.group(2)
        if call or name in KEYWORDS:
            continue
        names.add(name)
    return names


def main():
    source = sys.argv[1]
    monitoring = os.path.join(source, "deploy", "monitoring")
    problems = []
    known = conveyor_series(os.path.join(source, "docs", "serving.md"))
    if "conveyor_http_requests_total" not in known or "conveyor_prediction_score_bucket" not in known:
        problems.append("docs/serving.md: no Metrics table with conveyor's series found")
    known |= NODE_SERIES | PROMETHEUS_SERIES

    def check_expr(where, expr):
        for name in sorted(series_in(expr)):
            if name not in known:
                problems.append(f"{where}: {name} is not a series conveyor (docs/serving.md) "
                                f"or node_exporter exports: {expr}")

    # Every YAML file parses.
    documents = {}
    for root, _, files in os.walk(monitoring):
        for f in sorted(files):
            path = os.path.join(root, f)
            rel = os.path.relpath(path, source)
            if f.endswith((".yml", ".yaml")):
                try:
                    documents[rel] = yaml.safe_load(open(path, encoding="utf-8"))
                except yaml.YAMLError as e:
                    problems.append(f"{rel}: not valid YAML: {e}")

    # Alert rules: metric names, and the labels and annotations the docs promise.
    rules = documents.get("deploy/monitoring/alerts.yml") or {}
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            where = f"deploy/monitoring/alerts.yml: {rule.get('alert', rule.get('record'))}"
            check_expr(where, rule["expr"])
            if "alert" in rule:
                if "for" not in rule:
                    problems.append(f"{where}: no `for:`")
                if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
                    problems.append(f"{where}: severity label is not warning or critical")
                if not rule.get("annotations", {}).get("description"):
                    problems.append(f"{where}: no description annotation")

    # Provisioning: the datasource uid the dashboards use, the dashboards' path.
    datasources = documents.get("deploy/monitoring/grafana/provisioning/datasources/prometheus.yml") or {}
    uids = [d.get("uid") for d in datasources.get("datasources", [])]
    if uids != [DATASOURCE_UID]:
        problems.append(f"datasources/prometheus.yml: expected one datasource with uid "
                        f"{DATASOURCE_UID!r}, got {uids}")
    providers = (documents.get("deploy/monitoring/grafana/provisioning/dashboards/conveyor.yml")
                 or {}).get("providers", [])
    if not providers or not providers[0].get("options", {}).get("path"):
        problems.append("dashboards/conveyor.yml: no provider with options.path")

    # docker-compose.yml: the services, and every ./file it mounts exists.
    compose = documents.get("deploy/monitoring/docker-compose.yml") or {}
    services = compose.get("services", {})
    for service in ("conveyor", "prometheus", "alertmanager", "grafana", "node-exporter"):
        if service not in services:
            problems.append(f"docker-compose.yml: no service {service}")
    for name, service in services.items():
        for volume in service.get("volumes", []):
            host = volume.split(":", 1)[0]
            if host.startswith("./") and not os.path.exists(os.path.join(monitoring, host)):
                problems.append(f"docker-compose.yml: {name} mounts {host}, which does not exist")

    # Dashboards: parse, unique uids, datasource, every expression's series.
    dashboard_dir = os.path.join(monitoring, "grafana", "dashboards")
    seen_uids = set()
    titles = []
    for f in sorted(os.listdir(dashboard_dir)):
        rel = os.path.join("deploy/monitoring/grafana/dashboards", f)
        if not f.endswith(".json"):
            problems.append(f"{rel}: not a .json dashboard")
            continue
        try:
            board = json.load(open(os.path.join(dashboard_dir, f), encoding="utf-8"))
        except json.JSONDecodeError as e:
            problems.append(f"{rel}: not valid JSON: {e}")
            continue
        titles.append(board.get("title"))
        if board.get("uid") in seen_uids or not board.get("uid"):
            problems.append(f"{rel}: missing or duplicate uid {board.get('uid')!r}")
        seen_uids.add(board.get("uid"))
        for variable in board.get("templating", {}).get("list", []):
            query = variable.get("query")
            query = query.get("query", "") if isinstance(query, dict) else query or ""
            inner = re.match(r"label_values\((.*),\s*\w+\)$", query)
            check_expr(f"{rel}: variable {variable.get('name')}", inner.group(1) if inner else query)
        panels = board.get("panels", [])
        if not panels:
            problems.append(f"{rel}: no panels")
        for panel in panels:
            where = f"{rel}: panel {panel.get('title')!r}"
            if panel.get("datasource", {}).get("uid") != DATASOURCE_UID:
                problems.append(f"{where}: datasource is not uid {DATASOURCE_UID!r}")
            targets = panel.get("targets", [])
            if panel.get("type") not in ("row", "text") and not targets:
                problems.append(f"{where}: no query")
            for target in targets:
                if not target.get("expr"):
                    problems.append(f"{where}: target {target.get('refId')} has no expr")
                    continue
                check_expr(where, target["expr"])
    for title in ("conveyor — model monitoring", "conveyor — service performance", "system load"):
        if title not in titles:
            problems.append(f"deploy/monitoring/grafana/dashboards: no dashboard titled {title!r}")

    for problem in problems:
        print("FAIL:", problem)
    if problems:
        return 1
    print(f"OK: {len(documents)} YAML files, {len(titles)} dashboards; every expression "
          f"names series conveyor or node_exporter exports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
