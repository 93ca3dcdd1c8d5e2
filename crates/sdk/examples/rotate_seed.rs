//! The main job: rotate an account's SSH seed and show the settings before
//! and after.
//!
//! ```text
//! cargo run --example rotate_seed [-- --json]
//! ```
//!
//! With `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` and
//! `CLOUDFLARE_API_KEY`) and `CLOUDFLARE_ACCOUNT_ID` set, it rotates that
//! account's seed on the real API (or at `CLOUDFLARE_BASE_URL`). With no
//! credentials set, it starts the bundled emulator on a free loopback port,
//! says so, and rotates a demo account's seed twice.

use std::process::ExitCode;

use cf_ssh_settings::{AccountId, Client, GatewaySettings};
use cf_ssh_settings_emulator::{DEMO_ACCOUNT, DEMO_TOKEN, Emulator};

const CREDENTIAL_VARS: [&str; 3] = [
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_EMAIL",
    "CLOUDFLARE_API_KEY",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut json = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!(
                    "usage: rotate_seed [--json]\n\nRotates the SSH seed of CLOUDFLARE_ACCOUNT_ID with the credentials in CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY); with none set, runs on the bundled local emulator."
                );
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: rotate_seed [--json]"
                ));
            }
        }
    }

    let has_credentials = CREDENTIAL_VARS
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()));
    let (client, account, rotations, _emulator) = if has_credentials {
        let client = Client::from_env().map_err(|e| e.to_string())?;
        let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").map_err(|_| {
            "set CLOUDFLARE_ACCOUNT_ID to the account whose SSH seed to rotate".to_string()
        })?;
        let account: AccountId = account
            .parse()
            .map_err(|e: cf_ssh_settings::Error| format!("CLOUDFLARE_ACCOUNT_ID: {e}"))?;
        (client, account, 1, None)
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
        (
            client,
            DEMO_ACCOUNT
                .parse()
                .map_err(|e: cf_ssh_settings::Error| e.to_string())?,
            2,
            Some(emulator),
        )
    };

    let before = client
        .get_settings(&account)
        .await
        .map_err(|e| e.to_string())?;
    let mut after = Vec::new();
    for _ in 0..rotations {
        after.push(
            client
                .rotate_seed(&account)
                .await
                .map_err(|e| e.to_string())?,
        );
    }

    if json {
        let document =
            serde_json::json!({ "account_id": account, "before": before, "after": after });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?
        );
    } else {
        println!("account {account}");
        show("before", &before);
        for (i, settings) in after.iter().enumerate() {
            show(&format!("rotation {}", i + 1), settings);
        }
    }
    Ok(())
}

fn show(label: &str, settings: &GatewaySettings) {
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
