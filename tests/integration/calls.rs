//! What each call sends, and what it returns.

use cf_ssh_settings::PublicKey;
use cf_ssh_settings_emulator::Operation;
use cf_ssh_settings_tests::*;

const SETTINGS_PATH: &str =
    "/client/v4/accounts/699d98642c564d2e855e9661899b7252/gateway/audit_ssh_settings";

#[tokio::test]
async fn get_settings_sends_a_get_with_the_token_and_returns_the_result() {
    let emu = emulator().await;
    let settings = token_client(&emu).get_settings(&account()).await.unwrap();

    let requests = emu.received();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, SETTINGS_PATH);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("x-auth-key"), None);
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("user-agent"),
        Some(cf_ssh_settings::USER_AGENT)
    );
    assert!(cf_ssh_settings::USER_AGENT.starts_with("cf-ssh-settings/0."));
    assert_eq!(
        request.header("api-version"),
        None,
        "progenitor's api-version is not sent"
    );

    // The envelope's result, exactly as stored.
    let stored = emu.settings(ACCOUNT).unwrap();
    assert_eq!(
        serde_json::to_value(&settings).unwrap()["seed_id"],
        stored["seed_id"]
    );
}

#[tokio::test]
async fn rotate_seed_posts_an_empty_body_with_content_length_zero() {
    let emu = emulator().await;
    let client = token_client(&emu);
    let first = client.rotate_seed(&account()).await.unwrap();
    let second = client.rotate_seed(&account()).await.unwrap();
    assert!(first.seed_id.is_some());
    assert_ne!(
        first.seed_id, second.seed_id,
        "each rotation makes a new seed"
    );
    assert_eq!(
        first.created_at, second.created_at,
        "created_at is set once"
    );

    let request = &emu.received()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("{SETTINGS_PATH}/rotate_seed"));
    assert_eq!(request.header("content-length"), Some("0"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request.body.is_empty());
    assert_eq!(emu.requests(Operation::RotateSeed), 2);
}

#[tokio::test]
async fn update_settings_puts_the_public_key_as_json() {
    let emu = emulator().await;
    let client = token_client(&emu);
    let key: PublicKey = PUBLIC_KEY.parse().unwrap();
    let settings = client.update_settings(&account(), &key).await.unwrap();
    assert_eq!(
        settings.public_key.as_deref().map(String::as_str),
        Some(PUBLIC_KEY)
    );

    let request = &emu.received()[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, SETTINGS_PATH);
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, serde_json::json!({ "public_key": PUBLIC_KEY }));

    let read_back = client.get_settings(&account()).await.unwrap();
    assert_eq!(read_back.public_key, settings.public_key);
}

#[tokio::test]
async fn api_key_credentials_send_email_and_key_headers() {
    let emu = emulator().await;
    key_client(&emu).get_settings(&account()).await.unwrap();
    let request = &emu.received()[0];
    assert_eq!(request.header("x-auth-email"), Some(EMAIL));
    assert_eq!(request.header("x-auth-key"), Some(KEY));
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn a_trailing_slash_on_the_base_url_is_tolerated() {
    let emu = emulator().await;
    let client = cf_ssh_settings::Client::builder()
        .api_token(TOKEN)
        .base_url(format!("{}/", emu.base_url()))
        .build()
        .unwrap();
    client.get_settings(&account()).await.unwrap();
    assert_eq!(emu.received()[0].path, SETTINGS_PATH);
}

#[tokio::test]
async fn an_upper_case_account_id_is_sent_in_lower_case() {
    let emu = emulator().await;
    let account = ACCOUNT.to_uppercase().parse().unwrap();
    token_client(&emu).get_settings(&account).await.unwrap();
    assert_eq!(emu.received()[0].path, SETTINGS_PATH);
}

#[tokio::test]
async fn the_rate_limit_headers_of_the_last_response_are_readable() {
    let emu = emulator().await;
    let client = token_client(&emu);
    assert_eq!(client.rate_limit(), None);
    client.get_settings(&account()).await.unwrap();
    let limit = client
        .rate_limit()
        .expect("the emulator sends Ratelimit headers");
    assert_eq!(limit.limit, Some(1200));
    assert_eq!(limit.remaining, Some(1199));
}
