//! Every way a response can fail gives a typed error that shows the status,
//! Cloudflare's codes and messages, and the cf-ray id.

use cf_ssh_settings::{Client, ErrorKind, RetryPolicy, StatusCode};
use cf_ssh_settings_emulator::{Fault, Operation};
use cf_ssh_settings_tests::*;

/// A client that makes one attempt, so each fault is seen as it is.
fn one_attempt(emu: &cf_ssh_settings_emulator::Emulator) -> Client {
    token_client(emu).with_retry_policy(RetryPolicy::none())
}

#[tokio::test]
async fn an_unknown_token_is_a_403_api_error_that_displays_code_message_and_ray() {
    let emu = emulator().await;
    let client = Client::builder()
        .api_token("not-a-known-token")
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let err = client.get_settings(&account()).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(err.codes(), [10000]);
    let ray = err.ray_id().expect("the emulator sends cf-ray").to_string();
    assert_eq!(
        err.to_string(),
        format!("403 Forbidden: [10000] Authentication error (cf-ray {ray})")
    );
    assert_eq!(err.attempts(), 1, "a 403 is not retried");
}

#[tokio::test]
async fn a_token_not_allowed_on_the_account_is_9109() {
    let emu = emulator().await;
    let other = OTHER_ACCOUNT.parse().unwrap();
    let err = token_client(&emu).get_settings(&other).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(err.codes(), [9109]);
    assert!(
        err.to_string().starts_with("403 Forbidden: [9109] "),
        "{err}"
    );
}

#[tokio::test]
async fn a_200_with_success_false_is_an_api_error() {
    let emu = emulator().await;
    emu.inject(Operation::GetSettings, Fault::SuccessFalse, 1);
    let err = one_attempt(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status(), Some(StatusCode::OK));
    assert!(!err.codes().is_empty());
    let ray = err.ray_id().unwrap().to_string();
    let first = &err.messages()[0];
    assert!(
        err.to_string()
            .starts_with(&format!("200 OK: [{}] {}", first.code, first.message)),
        "{err}"
    );
    assert!(
        err.to_string().ends_with(&format!("(cf-ray {ray})")),
        "{err}"
    );
}

#[tokio::test]
async fn a_200_without_result_is_an_invalid_response() {
    let emu = emulator().await;
    emu.inject(Operation::GetSettings, Fault::MissingResult, 1);
    let err = one_attempt(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("no result"), "{err}");
}

#[tokio::test]
async fn an_html_502_shows_status_content_type_and_excerpt() {
    let emu = emulator().await;
    emu.inject(Operation::GetSettings, Fault::HtmlError { status: 502 }, 1);
    let err = one_attempt(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert!(err.content_type().unwrap().starts_with("text/html"));
    let excerpt = err.body_excerpt().unwrap();
    assert!(
        excerpt.chars().count() <= 201 && excerpt.contains('<'),
        "{excerpt}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("502 Bad Gateway: expected a JSON body, got text/html"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("(cf-ray {})", err.ray_id().unwrap())),
        "{text}"
    );
}

#[tokio::test]
async fn invalid_json_says_where() {
    let emu = emulator().await;
    emu.inject(Operation::GetSettings, Fault::InvalidJson, 1);
    let err = one_attempt(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.status(), Some(StatusCode::OK));
    assert!(
        err.to_string().contains("not valid JSON at line 1 column"),
        "{err}"
    );
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_gives_the_json_path() {
    let emu = emulator().await;
    emu.inject(Operation::GetSettings, Fault::WrongShape, 1);
    let err = one_attempt(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.json_path().unwrap().starts_with("result."), "{err}");
    assert!(
        err.to_string()
            .contains("does not match the API's schema at result."),
        "{err}"
    );
}

#[tokio::test]
async fn a_truncated_body_is_an_invalid_response_with_the_status() {
    let emu = emulator().await;
    emu.inject(Operation::GetSettings, Fault::TruncatedBody, 1);
    let err = one_attempt(&emu)
        .get_settings(&account())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    assert_eq!(err.status(), Some(StatusCode::OK));
    assert!(err.to_string().contains("ended early"), "{err}");
}

#[tokio::test]
async fn a_connection_refused_is_a_transport_error() {
    let client = refused_client(RetryPolicy::none());
    let err = client.get_settings(&account()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.status(), None);
    assert!(
        err.to_string().starts_with("could not connect to the API"),
        "{err}"
    );
}

/// Failure bodies that lack fields of the schema (edge errors and older
/// responses omit `messages` or `result`) still give Cloudflare's codes.
#[tokio::test]
async fn failures_that_do_not_match_the_schema_still_give_their_codes() {
    let emu = emulator().await;
    let client = one_attempt(&emu);
    let cases = [
        (
            403,
            r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#,
            10000,
        ),
        (
            200,
            r#"{"success":false,"errors":[{"code":81057,"message":"Big code"}]}"#,
            81057,
        ),
        (
            502,
            r#"{"errors":[{"code":1101,"message":"Worker threw exception"}]}"#,
            1101,
        ),
    ];
    for (status, body, code) in cases {
        emu.inject(
            Operation::GetSettings,
            Fault::Status {
                status,
                content_type: "application/json".into(),
                body: body.into(),
            },
            1,
        );
        let err = client.get_settings(&account()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Api, "{status}: {err}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(err.codes(), [code], "{err}");
        assert!(err.to_string().contains(&format!("[{code}] ")), "{err}");
    }
}
