#!/usr/bin/python3
"""Keeps the bad-input table in docs/robustness.md honest.

Usage: check_bad_input_table.py SOURCE_DIR [--min-rows N]

The table is the one under "## Bad input: what each kind gets", with the
columns #, area, input, answer, test. A row passes when:
  - its test column reads `path/to/file: Suite.Name`, the file exists under
    SOURCE_DIR and defines TEST(Suite, Name), TEST_F(Suite, Name) or
    TEST_P(Suite, Name);
  - its answer has a key token that appears in that file's text: every
    fragment in backticks, or, when there is none, the HTTP status (the
    first number from 100 to 599).
The table as a whole passes with at least N rows (default 50), numbered
1, 2, 3, ... and every area (HTTP, files, configs, models, remotes) present.
Every failure is printed as docs/robustness.md:LINE: row N: what is wrong;
the exit status is 1 if there was any.
"""

import argparse
import collections
import os
import re
import sys

DOC = "docs/robustness.md"
HEADING = "## Bad input: what each kind gets"
COLUMNS = ["#", "area", "input", "answer", "test"]
AREAS = ["HTTP", "files", "configs", "models", "remotes"]

Row = collections.namedtuple("Row", "line cells")


def split_row(line):
    """The cells of a Markdown table row; `\\|` is a literal bar."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body)]


def read_table(text):
    """(header cells, rows, line of the heading) of the table under HEADING."""
    lines = text.split("\n")
    try:
        start = lines.index(HEADING)
    except ValueError:
        return None, [], 0
    header = None
    rows = []
    for number, line in enumerate(lines[start + 1:], start + 2):
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            if rows:
                break  # the table has ended
            continue
        cells = split_row(line)
        if header is None:
            header = cells
        elif all(re.fullmatch(r":?-+:?", c) for c in cells):
            continue  # the |---| line
        else:
            rows.append(Row(number, cells))
    return header, rows, start + 1


def key_tokens(answer):
    fragments = re.findall(r"`([^`]+)`", answer)
    if fragments:
        return fragments
    status = re.search(r"\b([1-5][0-9][0-9])\b", answer)
    return [status.group(1)] if status else []


def defines_test(text, suite, name):
    pattern = r"\bTEST(?:_F|_P)?\(\s*%s\s*,\s*%s\s*\)" % (re.escape(suite), re.escape(name))
    return re.search(pattern, text) is not None


def check(source_dir, min_rows):
    path = os.path.join(source_dir, DOC)
    with open(path, encoding="utf-8") as f:
        header, rows, heading_line = read_table(f.read())
    errors = []
    if header is None:
        return [f"{DOC}: no table under '{HEADING}'"], {}
    if [h.lower() for h in header] != COLUMNS:
        errors.append(f"{DOC}:{heading_line}: the table's columns are {header}, "
                      f"expected {COLUMNS}")
        return errors, {}
    if len(rows) < min_rows:
        errors.append(f"{DOC}:{heading_line}: the table has {len(rows)} rows, "
                      f"at least {min_rows} are needed")
    files = {}
    per_area = collections.Counter()
    for index, row in enumerate(rows, 1):
        where = f"{DOC}:{row.line}: row {row.cells[0] if row.cells else '?'}"
        if len(row.cells) != len(COLUMNS):
            errors.append(f"{where}: has {len(row.cells)} cells, expected {len(COLUMNS)} "
                          f"(a '|' inside a cell must be written '\\|')")
            continue
        number, area, bad_input, answer, test = row.cells
        if number != str(index):
            errors.append(f"{where}: numbered '{number}', expected {index}")
        if area not in AREAS:
            errors.append(f"{where}: area '{area}' is not one of {', '.join(AREAS)}")
        per_area[area] += 1
        if not bad_input:
            errors.append(f"{where}: the input column is empty")
        match = re.fullmatch(r"`?([^`:\s]+):\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)`?", test)
        if not match:
            errors.append(f"{where}: test '{test}' is not 'path/to/file: Suite.Name'")
            continue
        file, suite, name = match.groups()
        if file not in files:
            full = os.path.join(source_dir, file)
            files[file] = open(full, encoding="utf-8").read() if os.path.isfile(full) else None
        text = files[file]
        if text is None:
            errors.append(f"{where}: test file {file} does not exist")
            continue
        if not defines_test(text, suite, name):
            errors.append(f"{where}: {file} defines no TEST, TEST_F or TEST_P ({suite}, {name})")
        tokens = key_tokens(answer)
        if not tokens:
            errors.append(f"{where}: the answer has no key token (an HTTP status, or a "
                          f"fragment in backticks): '{answer}'")
        for token in tokens:
            if token not in text:
                errors.append(f"{where}: the answer's '{token}' does not appear in {file}")
    for area in AREAS:
        if per_area[area] == 0:
            errors.append(f"{DOC}:{heading_line}: no row for area '{area}'")
    return errors, per_area


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source_dir")
    parser.add_argument("--min-rows", type=int, default=50)
    args = parser.parse_args()
    errors, per_area = check(args.source_dir, args.min_rows)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s) in the bad-input table", file=sys.stderr)
        return 1
    counts = ", ".join(f"{area} {per_area[area]}" for area in AREAS)
    print(f"bad-input table: {sum(per_area.values())} rows ({counts}), each test found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
