#!/usr/bin/env bash
# Tools `cargo xtask bench` needs beyond Rust and Python: wrk (item 6) and
# GNU time (item 4's peak memory), from the Debian packages `wrk` and `time`.
# Installs only what is missing. Not part of .ci/run: the benchmark is too
# slow for CI.
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v curl >/dev/null 2>&1 || missing+=(curl)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
echo "bench-setup: installing ${missing[*]}" >&2
sudo=""
if [[ "$(id -u)" -ne 0 ]]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
