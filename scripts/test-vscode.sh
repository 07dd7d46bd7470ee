#!/usr/bin/env bash
# Runs the extension in a real VS Code (code-server 4.100.3 + Debian chromium, offline): the
# extension-host mocha suite, then the playwright UI test. Non-zero exit if either fails.
#   scripts/test-vscode.sh [--suite-only | --ui-only]
#   HF_MODELS_SUITE_GREP=<text> runs only the extension-host tests whose title contains <text>.
# Screenshots land in test-artifacts/. Needs root + apt the first time (see ensure-vscode-test-deps.sh); later runs reuse .vscode-e2e/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export E2E_DIR="${E2E_DIR:-$ROOT/.vscode-e2e}"

bash "$ROOT/scripts/ensure-vscode-test-deps.sh"
# The UI test seeds the Hugging Face cache with the reference client's `hf download`.
bash "$ROOT/scripts/ensure-python-judge.sh"
[ -x "$ROOT/node_modules/.bin/tsx" ] || { echo "node_modules is missing: run npm ci first" >&2; exit 1; }

# Everything the run writes (code-server config, chromium profile, git config, hub and model folders)
# stays in one throw-away tree; the user's HOME and Hugging Face token are not seen.
RUN_HOME="$E2E_DIR/run-env"
rm -rf "$RUN_HOME"
mkdir -p "$RUN_HOME"/{home,xdg/config,xdg/data,xdg/cache,tmp}
export HOME="$RUN_HOME/home" XDG_CONFIG_HOME="$RUN_HOME/xdg/config" XDG_DATA_HOME="$RUN_HOME/xdg/data" \
  XDG_CACHE_HOME="$RUN_HOME/xdg/cache" TMPDIR="$RUN_HOME/tmp"
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_TOKEN_PATH HF_HOME HF_HUB_CACHE HUGGINGFACE_HUB_CACHE HF_ENDPOINT
git lfs install --skip-repo >/dev/null

cd "$ROOT"
exec "$ROOT/node_modules/.bin/tsx" test/ui/run.ts "$@"
