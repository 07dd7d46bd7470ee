#!/usr/bin/env bash
# Makes sure git and git-lfs are present: installs them with apt when running as root, otherwise says how.
set -euo pipefail
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
git lfs version >/dev/null 2>&1 || missing+=(git-lfs)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get…" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "HF Models needs ${missing[*]}. Install it, for example: sudo apt-get install ${missing[*]}  (macOS: brew install ${missing[*]})" >&2
    exit 1
  fi
fi
# git-lfs needs its filters registered once per user; harmless when already done.
git lfs install --skip-repo >/dev/null
