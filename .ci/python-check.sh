#!/usr/bin/env bash
# Fidelity check: the official Cloudflare Python SDK (and a JSON Schema
# validator fed spec/openapi.json) against the emulator binary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$root/target/py-venv"
token="python-check-token"
account="699d98642c564d2e855e9661899b7252"
other_account="0123456789abcdef0123456789abcdef"
email="check@example.com"
key="python-check-key"

# The virtualenv is reused while it was made from the same pinned
# requirements (the official SDK 5.9.0 and everything it pulls in).
requirements="$root/tests/python/requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi

cargo build --quiet -p cf-ssh-settings-emulator --bin cf-ssh-settings-emulator

log_dir="$(mktemp -d)"
emulator_pid=""
cleanup() {
    if [[ -n "$emulator_pid" ]]; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$log_dir"
}
trap cleanup EXIT

# Port 0: the emulator picks a free port and prints its base URL, so there
# is no window in which another process could take a port chosen here.
"$target/debug/cf-ssh-settings-emulator" --addr 127.0.0.1:0 \
    --token "$token" --api-key "$email:$key" --account "$account" \
    >"$log_dir/stdout" 2>"$log_dir/stderr" &
emulator_pid=$!

base_url=""
for _ in $(seq 100); do
    base_url="$(sed -n 's/^listening on //p' "$log_dir/stdout")"
    [[ -n "$base_url" ]] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [[ -z "$base_url" ]]; then
    echo "emulator did not start" >&2
    cat "$log_dir/stdout" "$log_dir/stderr" >&2
    exit 1
fi

status=0
"$venv/bin/python" "$root/tests/python/check_emulator.py" \
    --base-url "$base_url" --token "$token" --account "$account" \
    --other-account "$other_account" --email "$email" --key "$key" \
    --spec "$root/spec/openapi.json" || status=$?
if [[ "$status" -ne 0 ]]; then
    echo "--- emulator log ---" >&2
    cat "$log_dir/stderr" >&2
fi
exit "$status"
