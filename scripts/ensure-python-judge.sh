#!/usr/bin/env bash
# The third stock client of the fidelity tests: the reference Python client, huggingface_hub + hf_xet
# (Rust xet-core), in a venv outside git (.venv-judge/ at the project root). Idempotent: when the venv
# already imports both it returns at once. Offline: pip is pointed at the machine's own wheel indexes, read
# from `pip config list` (global.extra-index-url, find-links), never at pypi.org, which would cost minutes
# of retries here. Prints one clear line and exits non-zero when it cannot install.
# Usage: bash scripts/ensure-python-judge.sh   (VENV=<dir> to put the venv elsewhere)
set -uo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv-judge}"
PACKAGES=(huggingface_hub hf_xet)
CHECK='import huggingface_hub, hf_xet; print(huggingface_hub.__version__)'

if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/hf" ] && version=$("$VENV/bin/python" -c "$CHECK" 2>/dev/null); then
  echo "python judge: huggingface_hub $version in $VENV"
  exit 0
fi

fail() {
  echo "python judge: $1" >&2
  echo "python judge: the Python client tests need python3 (with venv) and the wheels of ${PACKAGES[*]}." >&2
  exit 1
}

command -v python3 >/dev/null || fail "python3 not found"

# Index locations from pip's own configuration: the first extra index becomes the index (so pip never
# tries pypi.org), the rest stay extra indexes; find-links are kept. Absent config: pip's defaults.
config=$(python3 -m pip config list 2>/dev/null || true)
value() { printf '%s\n' "$config" | sed -n "s/^[^.]*\.$1='\(.*\)'\$/\1/p" | head -n 1; }
read -r -a extra <<<"$(value extra-index-url)"
read -r -a primary <<<"$(value index-url)"
read -r -a links <<<"$(value find-links)"
args=()
if [ "${#primary[@]}" -gt 0 ]; then
  args+=(--index-url "${primary[0]}")
  for u in "${extra[@]}"; do args+=(--extra-index-url "$u"); done
elif [ "${#extra[@]}" -gt 0 ]; then
  args+=(--index-url "${extra[0]}")
  for u in "${extra[@]:1}"; do args+=(--extra-index-url "$u"); done
fi
for l in "${links[@]}"; do args+=(--find-links "$l"); done

echo "python judge: creating $VENV and installing ${PACKAGES[*]} (${args[*]:-pip defaults})"
start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { rm -rf "$VENV"; fail "python3 -m venv $VENV failed (on Debian/Ubuntu: apt-get install python3-venv)"; }
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 15 "${args[@]}" "${PACKAGES[@]}" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  fail "pip could not install ${PACKAGES[*]} into $VENV"
fi
version=$("$VENV/bin/python" -c "$CHECK" 2>/dev/null) || fail "installed, but the venv cannot import ${PACKAGES[*]}"
[ -x "$VENV/bin/hf" ] || fail "installed, but $VENV/bin/hf is missing"
echo "python judge: huggingface_hub $version with hf_xet in $VENV ($(( $(date +%s) - start )) s)"
