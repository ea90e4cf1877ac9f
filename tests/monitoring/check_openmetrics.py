"""Parses an OpenMetrics text exposition with a third-party parser.

Usage: /usr/bin/python3 check_openmetrics.py < exposition.txt

Reads the exposition on stdin (it must be UTF-8) and parses it with
prometheus_client's OpenMetrics parser (Debian's python3-prometheus-client;
scripts/install-deps.sh), which raises on what the format forbids: a missing
`# EOF`, anything after it, a blank line, a counter sample without `_total`,
clashing or interleaved families, a histogram without a `+Inf` bucket or with
a `_count` that differs from it, a non-integer bucket or count, a negative
or NaN counter, bad escapes. Prints what it understood, one family a line
(`name type samples`) followed by its samples, each indented by two spaces
(`name{labels as sorted JSON} value [timestamp]`), and exits 0; or prints
`invalid OpenMetrics: <the parser's error>` on stderr and exits 1. Exits 77
when the module is missing. Run by openmetrics_test.cc (serving_test).
"""
import json
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError as error:
    print(f"SKIP: {sys.executable} cannot import prometheus_client ({error}); "
          "install python3-prometheus-client (scripts/install-deps.sh)", file=sys.stderr)
    sys.exit(77)


def main():
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
        families = list(text_string_to_metric_families(text))
    except (ValueError, KeyError, IndexError) as error:
        # The parser reports most faults as ValueError, a few (a missing le
        # or quantile label) as KeyError or IndexError; UnicodeDecodeError
        # is a ValueError.
        print(f"invalid OpenMetrics: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for family in families:
        print(f"{family.name} {family.type} {len(family.samples)}")
        for sample in family.samples:
            labels = json.dumps(sample.labels, sort_keys=True, ensure_ascii=False)
            line = f"  {sample.name}{labels} {sample.value!r}"
            if sample.timestamp is not None:
                line += f" {sample.timestamp}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
