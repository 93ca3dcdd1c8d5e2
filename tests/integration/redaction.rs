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
