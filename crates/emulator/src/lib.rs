//! A local, stateful, fault-injectable emulator of Cloudflare's Zero Trust
//! SSH settings API (`/accounts/{account_id}/gateway/audit_ssh_settings`
//! and its `rotate_seed`), for testing clients without the real service.
//!
//! It answers like the real v4 API: the same envelopes, error codes,
//! `cf-ray` and `Ratelimit` headers, per-credential rate limiting and
//! token or email + key auth. Tests can make chosen requests misbehave
//! ([`Fault`]) and inspect what a client sent ([`Emulator::received`]).
//!
//! ```
//! use cf_ssh_settings_emulator::{Emulator, Fault, Operation};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emu = Emulator::builder()
//!     .token("T", ["699d98642c564d2e855e9661899b7252"])
//!     .start()
//!     .await?;
//! emu.inject(Operation::RotateSeed, Fault::HtmlError { status: 503 }, 2);
//! // ... point a client at emu.base_url() ...
//! assert!(emu.base_url().ends_with("/client/v4"));
//! assert_eq!(emu.requests(Operation::RotateSeed), 0);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod api;
mod auth;
mod body;
mod emulator;
mod envelope;
mod fault;
mod fault_reply;
mod handler;
mod persist;
mod ratelimit;
mod record;
mod reply;
mod route;
mod server;
mod settings;
mod shared;

pub use emulator::{DEFAULT_PREFIX, DEFAULT_RATE_LIMIT, Emulator, EmulatorBuilder};
pub use fault::{Fault, FaultSpec, Operation};
pub use record::RecordedRequest;

/// The account the binary serves when none is given.
pub const DEMO_ACCOUNT: &str = "699d98642c564d2e855e9661899b7252";
/// The token the binary accepts when no credential is given.
pub const DEMO_TOKEN: &str = "cf-ssh-settings-emulator-demo-token";
