//! No panic, whatever the bytes: arbitrary responses through the whole
//! response path (hyper included), and arbitrary strings through parsing.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use cf_ssh_settings::{AccountId, Client, PublicKey, RetryPolicy};
use cf_ssh_settings_tests::*;
use proptest::prelude::*;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// A server that answers every connection with the bytes in `response`,
/// then closes it.
async fn raw_server(response: Arc<Mutex<Vec<u8>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let bytes = response.lock().unwrap().clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&bytes).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

fn header() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        Just("content-type".to_string()),
        Just("content-length".to_string()),
        Just("retry-after".to_string()),
        Just("cf-ray".to_string()),
        Just("ratelimit".to_string()),
        Just("ratelimit-policy".to_string()),
        Just("location".to_string()),
        Just("transfer-encoding".to_string()),
        "[a-z-]{1,12}",
    ];
    (name, "[ -~]{0,40}")
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let envelope = (
        any::<bool>(),
        any::<i64>(),
        "[ -~]{0,20}",
        proptest::option::of("[ -~]{0,40}"),
    )
        .prop_map(|(success, code, message, seed)| {
            serde_json::json!({
                "success": success,
                "errors": [{ "code": code, "message": message }],
                "messages": [],
                "result": seed.map(|s| serde_json::json!({ "seed_id": s, "created_at": s })),
            })
            .to_string()
            .into_bytes()
        });
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), envelope]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_response_gives_a_result_or_an_error_never_a_panic(
        status in 100u16..1000,
        headers in proptest::collection::vec(header(), 0..6),
        body in body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut response = format!("HTTP/1.1 {status} Whatever\r\n").into_bytes();
            for (name, value) in &headers {
                response.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            response.extend_from_slice(b"\r\n");
            response.extend_from_slice(&body);
            let url = raw_server(Arc::new(Mutex::new(response))).await;
            let client = Client::builder()
                .api_token(TOKEN)
                .base_url(url)
                .retry_policy(RetryPolicy::none().max_retry_after(Duration::from_millis(1)))
                .attempt_timeout(Duration::from_millis(500))
                .build()
                .unwrap();
            match client.rotate_seed(&account()).await {
                Ok(settings) => assert!(status / 100 == 2, "success from status {status}: {settings:?}"),
                Err(err) => {
                    // Display and Debug work for every error, and hold no secret.
                    assert_no_secrets(&format!("{err} {err:?}"));
                }
            }
        });
    }

    #[test]
    fn account_id_parsing_never_panics_and_accepts_only_32_hex(input in "\\PC{0,40}") {
        match input.parse::<AccountId>() {
            Ok(id) => {
                prop_assert_eq!(id.as_str().len(), 32);
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
                prop_assert_eq!(id.as_str(), input.to_ascii_lowercase());
            }
            Err(err) => prop_assert!(err.to_string().starts_with("invalid account id")),
        }
    }

    #[test]
    fn hex_strings_of_32_are_account_ids(input in "[0-9a-fA-F]{32}") {
        prop_assert!(input.parse::<AccountId>().is_ok());
    }

    #[test]
    fn public_key_parsing_never_panics_and_round_trips(input in "[A-Za-z0-9+/=\\s-]{0,50}") {
        if let Ok(key) = input.parse::<PublicKey>() {
            prop_assert_eq!(key.to_base64(), input);
        }
    }

    #[test]
    fn every_32_byte_key_round_trips(bytes in proptest::array::uniform32(any::<u8>())) {
        let key = PublicKey::from_bytes(bytes);
        prop_assert_eq!(key.to_base64().parse::<PublicKey>().unwrap(), key);
    }
}
