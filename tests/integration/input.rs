//! Bad input is rejected with a clear error before anything is sent.

use cf_ssh_settings::{AccountId, Client, ErrorKind, PublicKey};
use cf_ssh_settings_emulator::Operation;
use cf_ssh_settings_tests::*;

const BAD_ACCOUNT_IDS: &[&str] = &[
    "",
    ".",
    "..",
    "a/b",
    "%2e%2e",
    "../699d98642c564d2e855e9661899b72",
    "699d98642c564d2e855e9661899b725",   // 31
    "699d98642c564d2e855e9661899b72522", // 33
    "699d98642c564d2e855e9661899b725g",
    "699d98642c564d2e855e9661899b725 ",
    "699d98642c564d2e855e9661899b725\n",
    "６９９d98642c564d2e855e9661899b7252",
];

const BAD_PUBLIC_KEYS: &[&str] = &[
    "",
    "abc",
    "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA", // no padding
    "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSF==", // 31 bytes
    "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFAA", // 33 bytes
    "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA=\n",
    "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA-=", // URL-safe alphabet
    "not base64 at all!",
];

/// Parses each input and, for whatever parses, makes a call: the emulator
/// must see no request at all.
#[tokio::test]
async fn every_rejected_account_id_makes_no_request() {
    let emu = emulator().await;
    let client = token_client(&emu);
    for input in BAD_ACCOUNT_IDS {
        match input.parse::<AccountId>() {
            Ok(id) => panic!("{input:?} was accepted as {id:?}"),
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}");
                assert!(
                    err.to_string()
                        .starts_with("invalid account id: expected 32 hexadecimal characters"),
                    "{err}"
                );
                assert_eq!(err.status(), None);
            }
        }
        if let Ok(id) = input.parse::<AccountId>() {
            let _ = client.get_settings(&id).await;
        }
    }
    assert_eq!(emu.requests(Operation::Any), 0);
}

#[tokio::test]
async fn every_rejected_public_key_makes_no_request() {
    let emu = emulator().await;
    let client = token_client(&emu);
    for input in BAD_PUBLIC_KEYS {
        let err = input.parse::<PublicKey>().expect_err(input);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input:?}");
        assert!(
            err.to_string()
                .starts_with("invalid public key: expected standard base64 of 32 bytes"),
            "{err}"
        );
        if let Ok(key) = input.parse::<PublicKey>() {
            let _ = client.update_settings(&account(), &key).await;
        }
    }
    assert_eq!(emu.requests(Operation::Any), 0);
}

#[test]
fn a_token_with_a_newline_is_rejected_without_repeating_it() {
    let err = Client::builder()
        .api_token(format!("{TOKEN}\n"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_no_secrets(&format!("{err} {err:?}"));
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let err = Client::builder()
        .api_token(TOKEN)
        .base_url("http://api.cloudflare.com/client/v4")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("loopback"), "{err}");
}
