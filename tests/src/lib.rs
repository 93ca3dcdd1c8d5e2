//! What the integration tests share: an emulator with known credentials and
//! clients that talk to it.

use std::time::Duration;

use cf_ssh_settings::{AccountId, Client, RetryPolicy};
use cf_ssh_settings_emulator::Emulator;

/// The account the test credentials may use.
pub const ACCOUNT: &str = "699d98642c564d2e855e9661899b7252";
/// An account no test credential may use.
pub const OTHER_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
/// Distinctive secrets, so a test can search any text for them.
pub const TOKEN: &str = "tokZq8mN3vX7pL2kR9wSECRETTOKEN";
pub const EMAIL: &str = "secret.person.4417@example.com";
pub const KEY: &str = "keyHf83Jd92Kq0Lm4NzSECRETKEY";
/// A valid HPKE public key (32 bytes, standard base64).
pub const PUBLIC_KEY: &str = "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA=";

/// An emulator on a free loopback port that accepts the test credentials.
pub async fn emulator() -> Emulator {
    Emulator::builder()
        .token(TOKEN, [ACCOUNT])
        .api_key(EMAIL, KEY, [ACCOUNT])
        .start()
        .await
        .expect("the emulator starts")
}

/// Retries with waits short enough for tests.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

/// A client with the test token, pointed at `emulator`.
pub fn token_client(emulator: &Emulator) -> Client {
    Client::builder()
        .api_token(TOKEN)
        .base_url(emulator.base_url())
        .retry_policy(fast_retries())
        .build()
        .expect("a valid client")
}

/// A client with the test email and key, pointed at `emulator`.
pub fn key_client(emulator: &Emulator) -> Client {
    Client::builder()
        .api_key(EMAIL, KEY)
        .base_url(emulator.base_url())
        .retry_policy(fast_retries())
        .build()
        .expect("a valid client")
}

/// The test account id.
pub fn account() -> AccountId {
    ACCOUNT.parse().expect("a valid account id")
}

/// Panics if any of the test secrets appears in `text`.
pub fn assert_no_secrets(text: &str) {
    for secret in [TOKEN, EMAIL, KEY] {
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
}

/// A client with the test token and `retry`, pointed at a loopback port
/// that refuses connections (a listener bound, then dropped).
pub fn refused_client(retry: RetryPolicy) -> Client {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port();
    Client::builder()
        .api_token(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}/client/v4"))
        .retry_policy(retry)
        .build()
        .expect("a valid client")
}
