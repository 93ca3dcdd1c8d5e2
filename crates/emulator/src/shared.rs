//! The state every connection of one emulator shares.

use std::sync::{Mutex, MutexGuard};

use crate::auth::Credentials;
use crate::fault::FaultQueue;
use crate::ratelimit::RateLimiter;
use crate::record::Recorder;
use crate::settings::Store;

/// Configuration and mutable state behind an `Arc`.
pub(crate) struct Shared {
    /// What [`crate::Emulator::base_url`] returns.
    pub base_url: String,
    /// Path prefix of the base URL (`/client/v4`), or empty.
    pub prefix: String,
    pub credentials: Credentials,
    pub limiter: RateLimiter,
    pub store: Mutex<Store>,
    pub faults: FaultQueue,
    pub recorder: Recorder,
    /// Log one line per request to stderr.
    pub log_requests: bool,
}

impl Shared {
    /// The store; a panic while it was held cannot leave it half-written
    /// (every change is applied in one step), so poisoning is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}
