//! The main job: rotate accounts' SSH seeds and show the settings before and
//! after.
//!
//! ```text
//! cargo run --example rotate_seed [-- --json]
//! ```
//!
//! With `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` and
//! `CLOUDFLARE_API_KEY`) set, it rotates the seed of each account in
//! `CLOUDFLARE_ACCOUNT_ID` (one id, or several separated by commas) on the
//! real API (or at `CLOUDFLARE_BASE_URL`). With no credentials set, it starts
//! the bundled emulator on a free loopback port, says so, and rotates a demo
//! account's seed twice.
//!
//! Every account id is checked before anything is sent. A failed account
//! does not stop the others; the exit status is 1 if any failed.

use std::{process::ExitCode, time::Duration};

use cf_ssh_settings::{AccountId, Client, GatewaySettings};
use cf_ssh_settings_emulator::{DEMO_ACCOUNT, DEMO_TOKEN, Emulator};

const CREDENTIAL_VARS: [&str; 3] = [
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_EMAIL",
    "CLOUDFLARE_API_KEY",
];
const USAGE: &str = "usage: rotate_seed [--json]

Rotates the SSH seed of each account in CLOUDFLARE_ACCOUNT_ID (comma-separated)
with the credentials in CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and
CLOUDFLARE_API_KEY); with none set, runs on the bundled local emulator.";

/// What happened to one account.
struct Outcome {
    account: AccountId,
    before: Option<GatewaySettings>,
    after: Vec<GatewaySettings>,
    error: Option<cf_ssh_settings::Error>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Ok(true) when every account was rotated.
async fn run() -> Result<bool, String> {
    let mut json = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(true);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }

    let has_credentials = CREDENTIAL_VARS
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()));
    let (client, accounts, rotations, _emulator) = if has_credentials {
        // Many accounts: stay under Cloudflare's 1200 requests per 5 minutes
        // instead of being answered 429.
        let client = Client::builder()
            .env()
            .and_then(|builder| {
                builder
                    .limit_requests(1200, Duration::from_secs(300))
                    .build()
            })
            .map_err(|e| e.to_string())?;
        let ids = std::env::var("CLOUDFLARE_ACCOUNT_ID").unwrap_or_default();
        let accounts = ids
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|id| !id.is_empty())
            .map(|id| {
                id.parse::<AccountId>()
                    .map_err(|e| format!("CLOUDFLARE_ACCOUNT_ID: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if accounts.is_empty() {
            return Err("set CLOUDFLARE_ACCOUNT_ID to the account (or comma-separated accounts) whose SSH seed to rotate".into());
        }
        (client, accounts, 1, None)
    } else {
        let emulator = Emulator::builder()
            .token(DEMO_TOKEN, [DEMO_ACCOUNT])
            .start()
            .await
            .map_err(|e| format!("cannot start the local emulator: {e}"))?;
        eprintln!(
            "No CLOUDFLARE_* credentials set: using the bundled local emulator at {} (demo account {DEMO_ACCOUNT}).",
            emulator.base_url()
        );
        let client = Client::builder()
            .api_token(DEMO_TOKEN)
            .base_url(emulator.base_url())
            .build()
            .map_err(|e| e.to_string())?;
        let account = DEMO_ACCOUNT
            .parse()
            .map_err(|e: cf_ssh_settings::Error| e.to_string())?;
        (client, vec![account], 2, Some(emulator))
    };

    let mut outcomes = Vec::new();
    for account in accounts {
        let outcome = rotate(&client, account, rotations).await;
        if !json {
            show(&outcome);
        }
        outcomes.push(outcome);
    }

    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if json {
        let documents: Vec<_> = outcomes
            .iter()
            .map(|o| {
                serde_json::json!({
                    "account_id": o.account,
                    "before": o.before,
                    "after": o.after,
                    "error": o.error.as_ref().map(|e| e.to_string()),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&documents).map_err(|e| e.to_string())?
        );
    } else if outcomes.len() > 1 || failed > 0 {
        let unknown = outcomes
            .iter()
            .filter(|o| o.error.as_ref().is_some_and(|e| e.is_outcome_unknown()))
            .count();
        println!(
            "{} rotated, {failed} failed ({unknown} of them may or may not have rotated: check with get_settings)",
            outcomes.len() - failed
        );
    }
    Ok(failed == 0)
}

/// Reads the settings, then rotates `rotations` times; stops at the first error.
async fn rotate(client: &Client, account: AccountId, rotations: usize) -> Outcome {
    let mut outcome = Outcome {
        account,
        before: None,
        after: Vec::new(),
        error: None,
    };
    match client.get_settings(&outcome.account).await {
        Ok(settings) => outcome.before = Some(settings),
        Err(error) => {
            outcome.error = Some(error);
            return outcome;
        }
    }
    for _ in 0..rotations {
        match client.rotate_seed(&outcome.account).await {
            Ok(settings) => outcome.after.push(settings),
            Err(error) => {
                outcome.error = Some(error);
                break;
            }
        }
    }
    outcome
}

fn show(outcome: &Outcome) {
    println!("account {}", outcome.account);
    if let Some(before) = &outcome.before {
        line("before", before);
    }
    for (i, settings) in outcome.after.iter().enumerate() {
        line(&format!("rotation {}", i + 1), settings);
    }
    if let Some(error) = &outcome.error {
        println!("  error       {error}");
    }
}

fn line(label: &str, settings: &GatewaySettings) {
    let text = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    println!(
        "  {label:<11} seed_id {:<36}  updated_at {}  public_key {}",
        text(settings.seed_id.as_ref().map(|s| s.to_string())),
        text(
            settings
                .updated_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        ),
        text(settings.public_key.as_ref().map(|k| k.to_string())),
    );
}
