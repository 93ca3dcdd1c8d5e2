//! Secrets never show in Debug or Display output.

use cf_ssh_settings::{Client, Credentials};
use cf_ssh_settings_emulator::{Fault, Operation};
use cf_ssh_settings_tests::*;

#[tokio::test]
async fn clients_credentials_and_errors_print_no_secret() {
    let emu = emulator().await;
    let mut printed = Vec::new();
    for client in [token_client(&emu), key_client(&emu)] {
        printed.push(format!("{client:?}"));
        emu.inject(Operation::Any, Fault::HtmlError { status: 502 }, 3);
        let err = client.get_settings(&account()).await.unwrap_err();
        printed.push(format!("{err} {err:?}"));
        let other = OTHER_ACCOUNT.parse().unwrap();
        let err = client.rotate_seed(&other).await.unwrap_err();
        printed.push(format!("{err} {err:?}"));
    }
    printed.push(format!("{:?}", Credentials::api_token(TOKEN).unwrap()));
    printed.push(format!("{:?}", Credentials::api_key(EMAIL, KEY).unwrap()));
    printed.push(format!("{:?}", Client::builder().api_key(EMAIL, KEY)));
    for text in &printed {
        assert_no_secrets(text);
    }
}

#[tokio::test]
async fn a_server_echoing_the_key_in_an_error_envelope_does_not_get_it_into_the_error() {
    let emu = emulator().await;
    let body = format!(
        r#"{{"success":false,"errors":[{{"code":6103,"message":"bad key {KEY}","documentation_url":"https://x/{EMAIL}","source":{{"pointer":"/{KEY}"}},"error_chain":[{{"code":6102,"message":"email {EMAIL}"}}]}}],"messages":[],"result":null}}"#
    );
    emu.inject(
        Operation::GetSettings,
        Fault::Status {
            status: 400,
            content_type: "application/json".into(),
            body,
        },
        1,
    );
    let err = key_client(&emu).get_settings(&account()).await.unwrap_err();
    assert_eq!(err.codes(), [6103]);
    let text = format!("{err} {err:?}");
    assert!(text.contains("** redacted **"), "{text}");
    assert_no_secrets(&text);
}

#[tokio::test]
async fn a_server_echoing_the_token_does_not_get_it_into_the_error() {
    let emu = emulator().await;
    let page = format!("<html>bad token {TOKEN}</html>");
    emu.inject(
        Operation::GetSettings,
        Fault::Status {
            status: 500,
            content_type: "text/html".into(),
            body: page,
        },
        3,
    );
    let err = token_client(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("** redacted **"), "{text}");
    assert_no_secrets(&text);
}

/// Everything the SDK logs (at every level, reqwest's `log` records
/// included), and every Debug and Display of every outcome, across the whole
/// fault matrix with both kinds of credentials: no secret anywhere.
#[tokio::test]
async fn secrets_appear_nowhere_across_the_fault_matrix() {
    use crate::faults::{matrix, matrix_key_client, matrix_token_client, run};

    let logs = Capture::default();
    // Global, so that `log` records (reqwest's) are bridged in too; events of
    // tests running alongside land here as well, which only widens the net.
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish()
        .try_init()
        .expect("no other test installs a subscriber");

    let mut printed = String::new();
    for make_client in [matrix_token_client, matrix_key_client] {
        for case in matrix() {
            let (outcome, _, emu) = run(&case, make_client).await;
            printed.push_str(&format!("{outcome:?}\n"));
            if let Err(err) = &outcome {
                printed.push_str(&format!("{err}\n{err:#?}\n"));
            }
            printed.push_str(&format!("{:?}\n", make_client(&emu)));
        }
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("rotate_seed") && logs.contains("attempt"),
        "the SDK's events were captured"
    );
    assert!(logs.contains("cf_ray"), "cf-ray ids are logged");
    assert_no_secrets(&logs);
    assert_no_secrets(&printed);
}

/// A writer that keeps what the log subscriber writes.
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}
