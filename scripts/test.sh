#!/usr/bin/env bash
# `npm test`: system prerequisites and the Python client judge (.venv-judge), build, type check, the mocha
# suites in plain Node against the local Hub, then the suites inside a real VS Code (code-server + headless
# Chromium). Ends with one plain "tests: N passed, M failed" line summing every suite.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh || exit 1
bash scripts/ensure-python-judge.sh || exit 1
node esbuild.js || exit 1
npx tsc -p . --noEmit || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
npx mocha 2>&1 | tee -a "$log" || status=1
bash scripts/test-vscode.sh 2>&1 | tee -a "$log" || status=1

# Mocha prints "N passing" / "N failing" per run (plain Node and the extension host); the UI test one verdict.
passed=$(grep -oE '^ *[0-9]+ passing' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -oE '^ *[0-9]+ failing' "$log" | awk '{s += $1} END {print s + 0}')
grep -q '^UI test: passed' "$log" && passed=$((passed + 1))
grep -q '^UI test: FAILED' "$log" && failed=$((failed + 1))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo
echo "tests: $passed passed, $failed failed"
exit "$status"
