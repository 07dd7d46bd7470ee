#!/usr/bin/env bash
# Installs what the real-VS-Code tests and `npm start` need and skips whatever is already there:
# Debian packages (chromium, libkrb5-dev, pkg-config, ripgrep, git-lfs) and code-server 4.100.3 in a cache folder.
#
# Usage: scripts/ensure-vscode-test-deps.sh [--server-only]
#   --server-only   skip chromium (start.sh needs only code-server)
# Env:   E2E_DIR      scratch folder (default <repo>/.vscode-e2e); code-server lands in $E2E_DIR/cs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_DIR="${E2E_DIR:-$ROOT/.vscode-e2e}"
CS_DIR="$E2E_DIR/cs"
CS_VERSION="4.100.3"
# VS Code 1.100's @vscode/ripgrep postinstall looks for exactly this archive before going to GitHub.
RG_CACHE_NAME="vscode-ripgrep-cache-1.15.11"
RG_ARCHIVE="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

server_only=false
[ "${1:-}" = "--server-only" ] && server_only=true

say() { echo "[ensure-vscode-test-deps] $*" >&2; }

# --- Debian packages ---------------------------------------------------------------------------
need_pkgs=()
$server_only || command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v rg >/dev/null 2>&1 || need_pkgs+=(ripgrep)
command -v pkg-config >/dev/null 2>&1 || need_pkgs+=(pkg-config)
git lfs version >/dev/null 2>&1 || need_pkgs+=(git-lfs)
# libkrb5-dev is needed only to build code-server's `kerberos` module, i.e. only when installing it.
cs_installed() {
  [ -x "$CS_DIR/node_modules/.bin/code-server" ] &&
    [ "$(node -p "require('$CS_DIR/node_modules/code-server/package.json').version" 2>/dev/null)" = "$CS_VERSION" ]
}
if ! cs_installed && ! dpkg -s libkrb5-dev >/dev/null 2>&1; then need_pkgs+=(libkrb5-dev); fi
if ! cs_installed; then
  command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || need_pkgs+=(build-essential)
  command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
fi

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing system packages: ${need_pkgs[*]}"
    say "install them as root, for example: sudo apt-get install -y ${need_pkgs[*]}"
    exit 1
  fi
  say "apt-get install ${need_pkgs[*]} …"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# --- code-server -------------------------------------------------------------------------------
if cs_installed; then
  say "code-server $CS_VERSION already in $CS_DIR"
  exit 0
fi

if [ ! -f /usr/include/node/node.h ] && [ ! -f "$(dirname "$(dirname "$(command -v node)")")/include/node/node.h" ]; then
  say "Node headers not found (needed to build code-server's native modules offline); install the Node headers package (Debian: libnode-dev or nodejs with headers)"
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != "20" ]; then
  say "code-server $CS_VERSION installs only with Node 20 (found $(node -v)); see /work/shared/vscode/TESTING.md §9 for newer Node"
  exit 1
fi

# Every code-server command writes into XDG dirs, and the install unpacks the ripgrep cache from TMPDIR,
# so keep both inside the scratch folder.
mkdir -p "$E2E_DIR"/{home,xdg/config,xdg/data,xdg/cache,tmp} "$CS_DIR"
export HOME="$E2E_DIR/home" XDG_CONFIG_HOME="$E2E_DIR/xdg/config" XDG_DATA_HOME="$E2E_DIR/xdg/data" \
  XDG_CACHE_HOME="$E2E_DIR/xdg/cache" TMPDIR="$E2E_DIR/tmp"
mkdir -p "$TMPDIR/$RG_CACHE_NAME"
if [ ! -f "$TMPDIR/$RG_CACHE_NAME/$RG_ARCHIVE" ]; then
  tar -czf "$TMPDIR/$RG_CACHE_NAME/$RG_ARCHIVE" -C "$(dirname "$(command -v rg)")" rg
fi

node_prefix="$(dirname "$(dirname "$(command -v node)")")"
[ -f "$node_prefix/include/node/node.h" ] || node_prefix=/usr
say "npm install code-server@$CS_VERSION into $CS_DIR (about a minute: native modules build from source) …"
start=$(date +%s)
cd "$CS_DIR"
[ -f package.json ] || echo '{"private":true}' > package.json
if ! npm_config_yes=true npm_config_nodedir="$node_prefix" npm install --no-audit --no-fund \
  "code-server@$CS_VERSION" --unsafe-perm >"$E2E_DIR/cs-install.log" 2>&1; then
  tail -40 "$E2E_DIR/cs-install.log" >&2
  say "code-server install failed; full log: $E2E_DIR/cs-install.log"
  exit 1
fi
cs_installed || { say "code-server install finished but $CS_DIR/node_modules/.bin/code-server is not $CS_VERSION"; exit 1; }
say "code-server $CS_VERSION installed in $(( $(date +%s) - start )) s"
