#!/usr/bin/env bash
# `npm test`: system prerequisites, build, type check, the mocha suites in plain Node against the local
# Hub, then the suites inside a real VS Code (code-server + headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
node esbuild.js
npx tsc -p . --noEmit
npx mocha
if [ -f scripts/test-vscode.sh ]; then bash scripts/test-vscode.sh; fi
