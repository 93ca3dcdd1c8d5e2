"""Sequential rotate_seed calls with the official Python SDK (cloudflare 5.9.0),
for `cargo xtask bench` item 3. Prints the rounds as JSON, in the shape of
`cf-ssh-settings-bench seq`.

usage: python rotate_seq.py BASE_URL TOKEN ACCOUNT ROUNDS CALLS WARMUP
"""

import json
import sys
import time

import cloudflare


def percentile_us(sorted_ns, p):
    rank = max(1, min(len(sorted_ns), -(-len(sorted_ns) * p // 100)))
    return sorted_ns[rank - 1] / 1e3


def main():
    base_url, token, account = sys.argv[1:4]
    rounds, calls, warmup = (int(v) for v in sys.argv[4:7])
    client = cloudflare.Cloudflare(api_token=token, base_url=base_url)
    ssh = client.zero_trust.gateway.audit_ssh_settings
    for _ in range(warmup):
        ssh.rotate_seed(account_id=account)
    out = []
    for round_ in range(rounds):
        latencies = []
        cpu = time.process_time_ns()
        started = time.perf_counter_ns()
        for _ in range(calls):
            call = time.perf_counter_ns()
            settings = ssh.rotate_seed(account_id=account)
            latencies.append(time.perf_counter_ns() - call)
            assert settings is not None and settings.seed_id, settings
        secs = (time.perf_counter_ns() - started) / 1e9
        cpu = time.process_time_ns() - cpu
        latencies.sort()
        out.append(
            {
                "client": "python",
                "round": round_,
                "calls": calls,
                "secs": secs,
                "calls_per_sec": calls / secs,
                "p50_us": percentile_us(latencies, 50),
                "p99_us": percentile_us(latencies, 99),
                "mean_us": sum(latencies) / len(latencies) / 1e3,
                "cpu_us_per_call": cpu / calls / 1e3,
            }
        )
    print(json.dumps({"metric": "python-seq", "cloudflare": cloudflare.__version__, "rounds": out}))


if __name__ == "__main__":
    main()
