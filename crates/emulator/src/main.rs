//! `cf-ssh-settings-emulator`: run the emulator as a standalone server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cf_ssh_settings_emulator::{DEMO_ACCOUNT, DEMO_TOKEN, Emulator, FaultSpec};

const HELP: &str = "\
cf-ssh-settings-emulator: a local emulator of Cloudflare's Zero Trust SSH settings API

USAGE:
    cf-ssh-settings-emulator [OPTIONS]

OPTIONS:
    --addr HOST:PORT       Address to listen on [default: 127.0.0.1:8787]
    --token TOKEN          Accept 'Authorization: Bearer TOKEN' (repeatable)
    --api-key EMAIL:KEY    Accept X-Auth-Email + X-Auth-Key (repeatable)
    --account ID           Account (32 lower-case hex) every credential may
                           access (repeatable)
    --state FILE           Keep state in this JSON file across restarts
    --prefix PATH          Base path of the API [default: /client/v4]; '' for none
    --rate-limit N/SECS    Requests per window per credential [default: 1200/300]
    --fault SPEC           Make requests misbehave (repeatable, see below)
    -h, --help             Print this help
    -V, --version          Print the version

With no --token and no --api-key, the demo token
'cf-ssh-settings-emulator-demo-token' is accepted; with no --account, the demo
account 699d98642c564d2e855e9661899b7252 is served.

FAULTS:
    SPEC is OP[*N]=KIND[:ARG...]: the next N (default 1) requests for OP get KIND.
    OP:   get | update | rotate_seed | any
    KIND: rate-limited:RETRY_AFTER       429, code 971, Retry-After verbatim
          html:STATUS                    Cloudflare-style HTML error page
          success-false                  200 with success: false
          missing-result                 200 with success: true, no result
          truncated                      200, body cut short, connection closed
          invalid-json                   200, body not JSON
          wrong-shape                    200, result of the wrong types
          delay:MILLIS                   act at once, answer MILLIS later
          drop                           close the connection, no answer
          redirect:STATUS:LOCATION       3xx with Location
          huge:BYTES                     200 JSON body of BYTES bytes
          status:STATUS:CONTENT_TYPE:BODY   anything else
    The last argument of rate-limited, redirect and status is taken verbatim
    (it may contain ':'), so give their count after OP. Kinds whose arguments are
    all numbers (or none) also accept the count as a final ':N'.
    Examples: rotate_seed=html:503:2   'any*3=rate-limited:Wed, 21 Oct 2026 07:28:00 GMT'
              get=drop   update*2=status:418:text/plain:teapot

Logs one line per request to stderr (never header values). Stops on Ctrl-C
or SIGTERM.
";

/// The parsed command line.
struct Args {
    addr: SocketAddr,
    tokens: Vec<String>,
    api_keys: Vec<(String, String)>,
    accounts: Vec<String>,
    state: Option<PathBuf>,
    prefix: String,
    rate_limit: (u32, Duration),
    faults: Vec<FaultSpec>,
}

fn parse_args() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 8787)),
        tokens: Vec::new(),
        api_keys: Vec::new(),
        accounts: Vec::new(),
        state: None,
        prefix: cf_ssh_settings_emulator::DEFAULT_PREFIX.to_owned(),
        rate_limit: cf_ssh_settings_emulator::DEFAULT_RATE_LIMIT,
        faults: Vec::new(),
    };
    let mut parser = lexopt::Parser::from_env();
    let text = |parser: &mut lexopt::Parser| -> Result<String, String> {
        parser
            .value()
            .map_err(|e| e.to_string())?
            .into_string()
            .map_err(|v| format!("not UTF-8: {v:?}"))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("cf-ssh-settings-emulator {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            Long("addr") => {
                let value = text(&mut parser)?;
                args.addr = value.parse().map_err(|e| format!("--addr {value}: {e}"))?;
            }
            Long("token") => args.tokens.push(text(&mut parser)?),
            Long("api-key") => {
                let value = text(&mut parser)?;
                let (email, key) = value.split_once(':').ok_or("--api-key expects EMAIL:KEY")?;
                args.api_keys.push((email.to_owned(), key.to_owned()));
            }
            Long("account") => {
                let id = text(&mut parser)?;
                if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(format!(
                        "--account {id}: expected 32 lower-case hex characters"
                    ));
                }
                args.accounts.push(id);
            }
            Long("state") => args.state = Some(parser.value().map_err(|e| e.to_string())?.into()),
            Long("prefix") => args.prefix = text(&mut parser)?,
            Long("rate-limit") => {
                let value = text(&mut parser)?;
                args.rate_limit = parse_rate_limit(&value).ok_or_else(|| {
                    format!("--rate-limit {value}: expected N/SECONDS, e.g. 1200/300")
                })?;
            }
            Long("fault") => args.faults.push(text(&mut parser)?.parse()?),
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    Ok(Some(args))
}

fn parse_rate_limit(value: &str) -> Option<(u32, Duration)> {
    let (n, secs) = value.split_once('/')?;
    let secs: u64 = secs.parse().ok()?;
    (secs > 0).then_some((n.parse().ok()?, Duration::from_secs(secs)))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}\n(see --help)");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut args: Args) -> std::io::Result<()> {
    if args.accounts.is_empty() {
        println!("no --account given: serving the demo account {DEMO_ACCOUNT}");
        args.accounts.push(DEMO_ACCOUNT.to_owned());
    }
    if args.tokens.is_empty() && args.api_keys.is_empty() {
        println!("no --token or --api-key given: accepting the demo token");
        args.tokens.push(DEMO_TOKEN.to_owned());
    }
    let mut builder = Emulator::builder()
        .addr(args.addr)
        .path_prefix(args.prefix)
        .rate_limit(args.rate_limit.0, args.rate_limit.1)
        .log_requests(true)
        // A long-running server must not grow without bound.
        .max_recorded(1000);
    if let Some(state) = &args.state {
        builder = builder.state_file(state);
    }
    for token in &args.tokens {
        builder = builder.token(token, &args.accounts);
    }
    for (email, key) in &args.api_keys {
        builder = builder.api_key(email, key, &args.accounts);
    }
    for spec in &args.faults {
        builder = builder.fault(spec.operation, spec.fault.clone(), spec.count);
    }
    let emulator = builder.start().await?;

    // The credentials are the emulator's own configuration, so printing
    // them here is fine; per-request logs never show header values.
    println!("listening on {}", emulator.base_url());
    let accounts = args.accounts.join(", ");
    for token in &args.tokens {
        println!("accepting API token (Authorization: Bearer) {token} for accounts {accounts}");
    }
    for (email, key) in &args.api_keys {
        println!("accepting X-Auth-Email {email} with X-Auth-Key {key} for accounts {accounts}");
    }
    if let Some(state) = &args.state {
        println!("state file: {}", state.display());
    }
    let (limit, window) = args.rate_limit;
    println!(
        "rate limit: {limit} requests per {}s per credential",
        window.as_secs()
    );
    for spec in &args.faults {
        println!("fault: {}*{}={}", spec.operation, spec.count, spec.fault);
    }

    shutdown_signal().await;
    eprintln!("shutting down");
    emulator.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
