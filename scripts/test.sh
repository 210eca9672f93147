#!/usr/bin/env bash
# The whole test command (`npm test`, which .ci/run calls): prepare the machine, check that
# generated code matches its sources, type-check, run every suite, and end with one plain
# "N passed, N failed" line that any CI can read.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
npm run --silent gen:check
npm run --silent typecheck
mkdir -p var
results=var/test-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
node --import tsx scripts/test-summary.ts "$results" || status=1
exit "$status"
