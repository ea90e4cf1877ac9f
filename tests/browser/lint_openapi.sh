#!/usr/bin/env bash
# The OpenAPI document `conveyor serve --openapi` prints must pass
# `redocly lint` with web/redocly.yaml (the strict rule set). To show the
# linter really fails on a broken document, a copy with a schema removed
# (so that $refs dangle) must be refused too.
#
#   lint_openapi.sh CONVEYOR_BIN WEB_DIR WORK_DIR
set -euo pipefail
conveyor=${1:?usage: lint_openapi.sh CONVEYOR_BIN WEB_DIR WORK_DIR}
web=${2:?}
work=${3:?}
redocly=$web/node_modules/.bin/redocly
[ -x "$redocly" ] || { echo "lint_openapi: $redocly is missing: run npm ci --prefix web" >&2; exit 1; }
mkdir -p "$work"
cd "$work"
# Outside any project, with --model: no store is opened, no model loaded.
"$conveyor" serve --openapi -m digits >openapi.json
# Keep the linter offline and quiet (no telemetry, no update check).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
"$redocly" lint --config "$web/redocly.yaml" --format=stylish openapi.json
# The document of a server with the retraining hook and without feedback.
"$conveyor" serve --openapi -m digits --no-feedback --retrain-on Drift \
  --retrain-command true >openapi-hook.json
grep -q '"/hooks/alertmanager"' openapi-hook.json
"$redocly" lint --config "$web/redocly.yaml" --format=stylish openapi-hook.json

node -e '
  const fs = require("fs");
  const spec = JSON.parse(fs.readFileSync("openapi.json", "utf8"));
  delete spec.components.schemas.ModelIdentity;
  fs.writeFileSync("broken.json", JSON.stringify(spec, null, 2));
'
if "$redocly" lint --config "$web/redocly.yaml" --format=stylish broken.json >broken.log 2>&1; then
  echo "lint_openapi: the linter accepted a document with dangling \$refs" >&2
  exit 1
fi
grep -q "no-unresolved-refs" broken.log || { cat broken.log >&2; exit 1; }
echo "lint_openapi: ok (and a broken document is refused)"
