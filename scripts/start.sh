#!/usr/bin/env bash
# `npm start`: try the extension in a browser VS Code against a local Hub with demo models, offline.
# Builds, starts the local Hub, packages and installs the .vsix into a sandbox code-server profile
# (endpoint = the local Hub, models in the sandbox), prints the URL, and stops everything on Ctrl-C.
# Env: PORT (code-server port, default: a free one), E2E_DIR (scratch folder, default .vscode-e2e).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export E2E_DIR="${E2E_DIR:-$ROOT/.vscode-e2e}"
SANDBOX="$E2E_DIR/sandbox"
cd "$ROOT"

say() { echo "[start] $*" >&2; }
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  say "stopped"
}
trap cleanup INT TERM EXIT

[ -d node_modules ] || { say "node_modules is missing: run npm ci first"; exit 1; }
bash scripts/ensure-system-deps.sh
bash scripts/ensure-vscode-test-deps.sh --server-only
CS="$E2E_DIR/cs/node_modules/.bin/code-server"

say "building…"
node esbuild.js

# Your own Hugging Face cache stays visible in the Models view: HF_HOME defaults to $XDG_CACHE_HOME/huggingface,
# which the XDG override below would point into the sandbox.
export HF_HOME="${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}"
# code-server writes its config and logs into XDG folders: keep them in the sandbox, not in ~/.config.
mkdir -p "$SANDBOX"/{xdg/config,xdg/data,xdg/cache,workspace,models}
export XDG_CONFIG_HOME="$SANDBOX/xdg/config" XDG_DATA_HOME="$SANDBOX/xdg/data" XDG_CACHE_HOME="$SANDBOX/xdg/cache"

say "starting the local Hub with the demo repos…"
HUB_OUT="$SANDBOX/hub.out"
: >"$HUB_OUT"
setsid node dist/hub.js --port 0 --demo-dir "$ROOT/.hub-data/demo" >"$HUB_OUT" 2>"$SANDBOX/hub.log" &
pids+=($!)
HUB_URL=""
for _ in $(seq 1 600); do
  HUB_URL="$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$HUB_OUT" | head -1)"
  [ -n "$HUB_URL" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$SANDBOX/hub.log" >&2; say "the local Hub did not start"; exit 1; }
  sleep 0.1
done
[ -n "$HUB_URL" ] || { say "the local Hub did not print its URL within 60 s; see $SANDBOX/hub.log"; exit 1; }

say "packaging the extension…"
VSIX="$SANDBOX/hf-models.vsix"
(cd "$ROOT" && npm run -s package -- -o "$VSIX") >"$SANDBOX/vsce.log" 2>&1 || { cat "$SANDBOX/vsce.log" >&2; exit 1; }

# A fresh profile each time, so the settings below always point at this run's Hub.
rm -rf "$SANDBOX/ud" "$SANDBOX/exts"
mkdir -p "$SANDBOX/ud/User" "$SANDBOX/exts"
cat >"$SANDBOX/ud/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "workbench.tips.enabled": false,
  "extensions.autoCheckUpdates": false,
  "git.openRepositoryInParentFolders": "never",
  "hfModels.endpoint": "$HUB_URL",
  "hfModels.modelsDirectory": "$SANDBOX/models"
}
JSON
"$CS" --user-data-dir "$SANDBOX/ud" --extensions-dir "$SANDBOX/exts" --install-extension "$VSIX" >"$SANDBOX/install.log" 2>&1 ||
  { cat "$SANDBOX/install.log" >&2; say "installing the .vsix failed"; exit 1; }

PORT="${PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
say "starting code-server on port $PORT…"
setsid "$CS" --auth none --bind-addr "127.0.0.1:$PORT" \
  --user-data-dir "$SANDBOX/ud" --extensions-dir "$SANDBOX/exts" \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  >"$SANDBOX/code-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || { tail -20 "$SANDBOX/code-server.log" >&2; say "code-server exited"; exit 1; }
  sleep 0.2
done

URL="http://127.0.0.1:$PORT/?folder=$SANDBOX/workspace"
cat <<MSG

  HF Models is running in VS Code (code-server) with a local Hub of demo models.

    Open:   $URL

  1. Click the HF Models icon (a cube) in the activity bar on the left.
  2. Click "Download a model", type "tiny", pick demo/tiny-model and press Enter through the steps.
  3. Watch the progress notification; the model appears in the tree when done.

  Local Hub: $HUB_URL   (demo/tiny-model, demo/quantized-gguf, demo/two-revisions, demo/private-model, demo/gated-model)
    demo/private-model: run "HF Models: Set Access Token…" first (any token starting with hf_ is the demo user's).
    demo/gated-model:   also accept its terms: Open Model Page (or $HUB_URL/demo/gated-model), "Agree and access repository".
  Models are saved in: $SANDBOX/models
  Logs: $SANDBOX/{hub.log,code-server.log}
  On a remote machine, forward port $PORT first (ssh -L $PORT:127.0.0.1:$PORT …).

  Press Ctrl-C to stop.

MSG
wait "${pids[1]}"
