//! The measuring side of `cargo xtask bench`: our SDK and its floor, raw
//! `reqwest` making the identical request and decoding the envelope by hand,
//! against an emulator that xtask started on loopback.
//!
//! ```text
//! cf-ssh-settings-bench seq        --base-url U --token T --account A [--rounds 5] [--calls 2000] [--warmup 200] [--clients sdk,raw]
//! cf-ssh-settings-bench concurrent --base-url U --token T --account A [--rounds 5] [--calls 20000] [--in-flight 64] [--warmup 500] [--clients sdk,raw]
//! cf-ssh-settings-bench check
//! ```
//!
//! `seq` and `concurrent` run the clients' rounds alternately (A B B A A B
//! ...), after a warm-up of each, and print one JSON document with every
//! round; xtask takes the medians. `check` proves, on an in-process
//! emulator, that the raw floor sends byte for byte the request the SDK
//! sends (same method, path, headers and body).

use std::{
    collections::HashMap,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cf_ssh_settings::{AccountId, Client};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue,
};
use serde::Deserialize;

const USAGE: &str = "usage: cf-ssh-settings-bench (seq | concurrent) --base-url URL --token TOKEN --account ID \
[--rounds N] [--calls N] [--warmup N] [--in-flight N] [--clients sdk,raw]\n       cf-ssh-settings-bench check";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("seq") => Options::parse(&args[1..]).and_then(|o| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(sequential(o))
        }),
        Some("concurrent") => Options::parse(&args[1..]).and_then(|o| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(concurrent(o))
        }),
        Some("check") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(check())),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    base_url: String,
    token: String,
    account: String,
    rounds: usize,
    calls: Option<usize>,
    warmup: Option<usize>,
    in_flight: usize,
    clients: Vec<Kind>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut values = HashMap::new();
        let mut iter = args.iter();
        while let Some(flag) = iter.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {flag:?}\n{USAGE}"))?;
            let value = iter
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            values.insert(name.to_string(), value.clone());
        }
        let mut take = |name: &str| values.remove(name);
        let number = |value: Option<String>, name: &str| -> Result<Option<usize>, String> {
            value
                .map(|v| v.parse().map_err(|e| format!("--{name} {v}: {e}")))
                .transpose()
        };
        let required = |value: Option<String>, name: &str| {
            value.ok_or_else(|| format!("--{name} is required\n{USAGE}"))
        };
        let options = Options {
            base_url: required(take("base-url"), "base-url")?,
            token: required(take("token"), "token")?,
            account: required(take("account"), "account")?,
            rounds: number(take("rounds"), "rounds")?.unwrap_or(5).max(1),
            calls: number(take("calls"), "calls")?,
            warmup: number(take("warmup"), "warmup")?,
            in_flight: number(take("in-flight"), "in-flight")?.unwrap_or(64).max(1),
            clients: take("clients")
                .unwrap_or_else(|| "sdk,raw".into())
                .split(',')
                .map(|c| match c {
                    "sdk" => Ok(Kind::Sdk),
                    "raw" => Ok(Kind::Raw),
                    other => Err(format!("--clients: unknown client {other:?} (sdk, raw)")),
                })
                .collect::<Result<_, _>>()?,
        };
        if let Some(unknown) = values.keys().next() {
            return Err(format!("unknown option --{unknown}\n{USAGE}"));
        }
        Ok(options)
    }

    fn callers(&self) -> Result<Vec<Caller>, String> {
        self.clients
            .iter()
            .map(|kind| Caller::new(*kind, &self.base_url, &self.token, &self.account))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sdk,
    Raw,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sdk => "sdk",
            Kind::Raw => "raw",
        }
    }
}

/// One of the two clients, behind one `rotate_seed`. Cheap to clone: clones
/// share the connection pool, as a cloned `Client` does.
#[derive(Clone)]
enum Caller {
    Sdk(Client, AccountId),
    Raw(Raw),
}

impl Caller {
    fn new(kind: Kind, base_url: &str, token: &str, account: &str) -> Result<Caller, String> {
        Ok(match kind {
            Kind::Sdk => Caller::Sdk(
                Client::builder()
                    .api_token(token)
                    .base_url(base_url)
                    .build()
                    .map_err(|e| e.to_string())?,
                account
                    .parse()
                    .map_err(|e: cf_ssh_settings::Error| e.to_string())?,
            ),
            Kind::Raw => Caller::Raw(Raw::new(base_url, token, account)?),
        })
    }

    fn kind(&self) -> Kind {
        match self {
            Caller::Sdk(..) => Kind::Sdk,
            Caller::Raw(_) => Kind::Raw,
        }
    }

    /// One rotation; returns the new seed id so neither side can skip decoding.
    async fn rotate_seed(&self) -> Result<usize, String> {
        match self {
            Caller::Sdk(client, account) => {
                let settings = client
                    .rotate_seed(account)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(settings.seed_id.map_or(0, |s| s.len()))
            }
            Caller::Raw(raw) => {
                let settings = raw.rotate_seed().await?;
                Ok(settings.seed_id.map_or(0, |s| s.len()))
            }
        }
    }
}

/// The floor: what one would write with only `reqwest` and `serde`. The
/// client is configured as the SDK configures its own (User-Agent, the
/// credential as a default header, no redirects, 5 s connect timeout) and
/// each call sends the SDK's request; `check` proves they are the same.
#[derive(Clone)]
struct Raw {
    http: reqwest::Client,
    base_url: String,
    account: String,
}

/// The v4 envelope, decoded into the same field types as the SDK's.
#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[allow(dead_code, reason = "decoded as the SDK decodes it")]
    errors: Vec<RawMessage>,
    #[allow(dead_code, reason = "decoded as the SDK decodes it")]
    messages: Vec<RawMessage>,
    result: Option<RawSettings>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded as the SDK decodes it")]
struct RawMessage {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded as the SDK decodes it")]
struct RawSettings {
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    public_key: Option<String>,
    seed_id: Option<String>,
}

impl Raw {
    fn new(base_url: &str, token: &str, account: &str) -> Result<Raw, String> {
        let mut headers = HeaderMap::new();
        let mut auth =
            HeaderValue::try_from(format!("Bearer {token}")).map_err(|e| e.to_string())?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        let http = reqwest::Client::builder()
            .user_agent(cf_ssh_settings::USER_AGENT)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Raw {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            account: account.to_string(),
        })
    }

    async fn rotate_seed(&self) -> Result<RawSettings, String> {
        let url = format!(
            "{}/accounts/{}/gateway/audit_ssh_settings/rotate_seed",
            self.base_url, self.account
        );
        let response = self
            .http
            .post(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(CONTENT_LENGTH, HeaderValue::from_static("0"))
            .body("")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("status {status}"));
        }
        let envelope: Envelope = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        match envelope.result {
            Some(settings) if envelope.success => Ok(settings),
            _ => Err("success: false or no result".into()),
        }
    }
}

/// What one round of one client measured.
struct Round {
    kind: Kind,
    round: usize,
    calls: usize,
    elapsed: Duration,
    /// CPU time of the measuring thread (`seq` only: one thread does all).
    cpu: Option<Duration>,
    /// Each call's latency, in nanoseconds, sorted.
    latencies: Vec<u64>,
}

impl Round {
    fn new(
        kind: Kind,
        round: usize,
        elapsed: Duration,
        cpu: Option<Duration>,
        mut latencies: Vec<u64>,
    ) -> Round {
        latencies.sort_unstable();
        Round {
            kind,
            round,
            calls: latencies.len(),
            elapsed,
            cpu,
            latencies,
        }
    }

    fn percentile_us(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1] as f64 / 1e3
    }

    fn json(&self) -> serde_json::Value {
        let secs = self.elapsed.as_secs_f64();
        let mean_us = self.latencies.iter().sum::<u64>() as f64 / self.calls.max(1) as f64 / 1e3;
        serde_json::json!({
            "client": self.kind.name(),
            "round": self.round,
            "calls": self.calls,
            "secs": secs,
            "calls_per_sec": self.calls as f64 / secs,
            "p50_us": self.percentile_us(50.0),
            "p99_us": self.percentile_us(99.0),
            "mean_us": mean_us,
            "cpu_us_per_call": self.cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64),
        })
    }
}

/// The clients' order in round `round`: A B, B A, A B, ... so that neither
/// always runs first (after the other has warmed caches or heated the CPU).
fn order(callers: &[Caller], round: usize) -> Vec<&Caller> {
    let mut order: Vec<&Caller> = callers.iter().collect();
    if round % 2 == 1 {
        order.reverse();
    }
    order
}

fn print(metric: &str, options: &Options, rounds: &[Round]) {
    let document = serde_json::json!({
        "metric": metric,
        "in_flight": options.in_flight,
        "rounds": rounds.iter().map(Round::json).collect::<Vec<_>>(),
    });
    println!("{document}");
}

/// The CPU time the calling thread has used, from Linux's schedstat (ns).
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Item 1: one call after another on one connection; the current-thread
/// runtime does all the client's work on this thread.
async fn sequential(options: Options) -> Result<(), String> {
    let calls = options.calls.unwrap_or(2000).max(1);
    let warmup = options.warmup.unwrap_or(200);
    let callers = options.callers()?;
    for caller in &callers {
        for _ in 0..warmup {
            caller.rotate_seed().await?;
        }
    }
    let mut rounds = Vec::new();
    for round in 0..options.rounds {
        for caller in order(&callers, round) {
            let mut latencies = Vec::with_capacity(calls);
            let cpu = thread_cpu();
            let started = Instant::now();
            for _ in 0..calls {
                let call = Instant::now();
                std::hint::black_box(caller.rotate_seed().await?);
                latencies.push(call.elapsed().as_nanos() as u64);
            }
            let elapsed = started.elapsed();
            let cpu = cpu.and_then(|before| Some(thread_cpu()?.saturating_sub(before)));
            rounds.push(Round::new(caller.kind(), round, elapsed, cpu, latencies));
        }
    }
    print("seq", &options, &rounds);
    Ok(())
}

/// Item 2: `in_flight` tasks share one client (cloned into each) and take
/// calls from a common count until `calls` are done.
async fn concurrent(options: Options) -> Result<(), String> {
    let calls = options.calls.unwrap_or(20_000).max(1);
    let warmup = options.warmup.unwrap_or(500);
    let callers = options.callers()?;
    for caller in &callers {
        // Opens the pool's connections, as many as will be in flight.
        run_tasks(caller, warmup.max(options.in_flight), options.in_flight).await?;
    }
    let mut rounds = Vec::new();
    for round in 0..options.rounds {
        for caller in order(&callers, round) {
            let started = Instant::now();
            let latencies = run_tasks(caller, calls, options.in_flight).await?;
            rounds.push(Round::new(
                caller.kind(),
                round,
                started.elapsed(),
                None,
                latencies,
            ));
        }
    }
    print("concurrent", &options, &rounds);
    Ok(())
}

async fn run_tasks(caller: &Caller, calls: usize, in_flight: usize) -> Result<Vec<u64>, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let caller = caller.clone();
        let next = next.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(calls / in_flight + 1);
            while next.fetch_add(1, Ordering::Relaxed) < calls {
                let call = Instant::now();
                std::hint::black_box(caller.rotate_seed().await?);
                latencies.push(call.elapsed().as_nanos() as u64);
            }
            Ok::<_, String>(latencies)
        });
    }
    let mut all = Vec::with_capacity(calls);
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined.map_err(|e| e.to_string())??);
    }
    Ok(all)
}

/// Proves the floor fair: the emulator records what each client sent.
async fn check() -> Result<(), String> {
    const TOKEN: &str = "bench-check-token";
    const ACCOUNT: &str = "699d98642c564d2e855e9661899b7252";
    let emulator = cf_ssh_settings_emulator::Emulator::builder()
        .token(TOKEN, [ACCOUNT])
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let base_url = emulator.base_url();
    let mut seen = Vec::new();
    for kind in [Kind::Sdk, Kind::Raw] {
        emulator.clear_received();
        Caller::new(kind, &base_url, TOKEN, ACCOUNT)?
            .rotate_seed()
            .await?;
        let mut received = emulator.received();
        let request = received
            .pop()
            .filter(|_| received.is_empty())
            .ok_or_else(|| format!("{}: expected exactly one request", kind.name()))?;
        let mut headers = request.headers.clone();
        headers.sort();
        seen.push((request.method, request.path, headers, request.body));
    }
    emulator.shutdown().await;
    let (sdk, raw) = (&seen[0], &seen[1]);
    if sdk != raw {
        return Err(format!(
            "the raw floor does not send the SDK's request:\n  sdk {sdk:?}\n  raw {raw:?}"
        ));
    }
    let names: Vec<&str> = sdk.2.iter().map(|(n, _)| n.as_str()).collect();
    println!(
        "ok: SDK and raw reqwest send the same request: {} {} with headers [{}] and a {}-byte body",
        sdk.0,
        sdk.1,
        names.join(", "),
        sdk.3.len()
    );
    Ok(())
}
