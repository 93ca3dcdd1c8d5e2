//! Rotate the SSH account seed and manage the SSH session-log key of
//! Cloudflare Zero Trust accounts.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = cf_ssh_settings_emulator::Emulator::builder()
//! #     .token("demo-token", ["699d98642c564d2e855e9661899b7252"])
//! #     .start().await?;
//! # let base_url = emulator.base_url();
//! use cf_ssh_settings::{AccountId, Client, Error, GatewaySettings};
//!
//! // Client::from_env() reads CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and
//! // CLOUDFLARE_API_KEY) and CLOUDFLARE_BASE_URL.
//! let client = Client::builder().api_token("demo-token").base_url(base_url).build()?;
//! let account: AccountId = "699d98642c564d2e855e9661899b7252".parse()?;
//! let settings: GatewaySettings = client.rotate_seed(&account).await?;
//! println!("new seed: {:?}", settings.seed_id);
//! # Ok(())
//! # }
//! ```
//!
//! Calls return the settings, never Cloudflare's envelope; every failure is
//! an [`Error`] that shows the HTTP status, Cloudflare's codes and messages
//! and the `cf-ray` id. Values are checked before anything is sent: an
//! [`AccountId`] is 32 hexadecimal characters, a [`PublicKey`] is 32 bytes.
//!
//! Events are emitted with [`tracing`](https://docs.rs/tracing): a span per
//! call and per attempt, with the operation, status, attempt, delay and
//! `cf-ray`, and never a header value.

#![warn(missing_docs)]

mod account_id;
mod client;
mod credentials;
mod error;
mod public_key;
mod rate_limit;
mod response;
mod retry;
mod transport;

pub use account_id::AccountId;
pub use cf_ssh_settings_api::types::GatewaySettings;
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, USER_AGENT};
pub use credentials::Credentials;
pub use error::{Error, ErrorKind, Message};
pub use public_key::PublicKey;
pub use rate_limit::RateLimit;
/// The HTTP status type of [`Error::status`].
pub use reqwest::StatusCode;
pub use retry::RetryPolicy;
