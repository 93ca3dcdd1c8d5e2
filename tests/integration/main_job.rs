//! The main job, `cargo run --example rotate_seed`, run as a process.

use std::{path::PathBuf, process::Command};

use cf_ssh_settings_emulator::{Emulator, Operation};
use cf_ssh_settings_tests::*;

/// The example's binary, next to this test's own. It is (re)built once per
/// test run: `cargo test -p cf-ssh-settings-tests` alone does not build
/// another package's examples, and a stale one would test old code.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "-p",
            "cf-ssh-settings",
            "--example",
            "rotate_seed",
        ]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(
            build.status().expect("cargo runs").success(),
            "building the example failed"
        );
    });
    dir.join("examples")
        .join(format!("rotate_seed{}", std::env::consts::EXE_SUFFIX))
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the example with only the given CLOUDFLARE_* variables set.
async fn run(vars: &[(&str, String)], args: &[&str]) -> Run {
    let mut command = Command::new(example());
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("CLOUDFLARE_")) {
        command.env_remove(name);
    }
    command.envs(vars.iter().map(|(k, v)| (k, v))).args(args);
    // Blocking, off the runtime thread, so an in-process emulator keeps serving.
    let output = tokio::task::spawn_blocking(move || command.output().expect("the example runs"))
        .await
        .unwrap();
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn token_env(emu: &Emulator, accounts: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CLOUDFLARE_API_TOKEN", TOKEN.to_string()),
        ("CLOUDFLARE_BASE_URL", emu.base_url()),
        ("CLOUDFLARE_ACCOUNT_ID", accounts.to_string()),
    ]
}

#[tokio::test]
async fn with_no_credentials_it_rotates_the_demo_account_on_the_bundled_emulator() {
    let run = run(&[], &["--json"]).await;
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("using the bundled local emulator"),
        "{}",
        run.stderr
    );
    let documents: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let document = &documents[0];
    let seeds = [
        &document["before"]["seed_id"],
        &document["after"][0]["seed_id"],
        &document["after"][1]["seed_id"],
    ];
    assert!(seeds.iter().all(|s| s.is_string()), "{document}");
    assert!(
        seeds[0] != seeds[1] && seeds[1] != seeds[2] && seeds[0] != seeds[2],
        "{document}"
    );
}

#[tokio::test]
async fn it_rotates_every_listed_account_and_reports_the_ones_that_failed() {
    let emu = emulator().await;
    let before = token_client(&emu).get_settings(&account()).await.unwrap();
    let run = run(
        &token_env(&emu, &format!("{ACCOUNT}, {OTHER_ACCOUNT}")),
        &[],
    )
    .await;

    assert!(!run.ok, "a failed account makes the exit status 1");
    assert!(
        run.stdout.contains(&format!("account {ACCOUNT}\n  before")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("rotation 1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("403 Forbidden: [9109]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 rotated, 1 failed"), "{}", run.stdout);
    assert_eq!(emu.requests(Operation::RotateSeed), 1);
    let after = token_client(&emu).get_settings(&account()).await.unwrap();
    assert_ne!(before.seed_id, after.seed_id);
    assert_no_secrets(&format!("{}{}", run.stdout, run.stderr));
}

#[tokio::test]
async fn a_bad_account_id_anywhere_in_the_list_stops_it_before_any_request() {
    let emu = emulator().await;
    let run = run(&token_env(&emu, &format!("{ACCOUNT},..")), &[]).await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("CLOUDFLARE_ACCOUNT_ID: invalid account id"),
        "{}",
        run.stderr
    );
    assert_eq!(emu.requests(Operation::Any), 0);
}

#[tokio::test]
async fn conflicting_credentials_stop_it_with_the_variables_named() {
    let emu = emulator().await;
    let mut vars = token_env(&emu, ACCOUNT);
    vars.push(("CLOUDFLARE_API_KEY", KEY.to_string()));
    let run = run(&vars, &[]).await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("CLOUDFLARE_API_TOKEN and CLOUDFLARE_API_KEY are both set"),
        "{}",
        run.stderr
    );
    assert_no_secrets(&run.stderr);
    assert_eq!(emu.requests(Operation::Any), 0);
}
