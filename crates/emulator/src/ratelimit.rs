//! Per-credential fixed-window rate limiting, with the IETF draft
//! `Ratelimit` / `Ratelimit-Policy` headers Cloudflare sends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests allowed per window, per credential.
pub(crate) struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Where one credential stands after a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    pub remaining: u32,
    /// Whole seconds until the window resets (rounded up, at least 1 when
    /// exceeded so `Retry-After: 0` never invites an instant retry).
    pub reset: u64,
    pub exceeded: bool,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request by `id`.
    pub fn hit(&self, id: &str) -> Quota {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let (start, count) = windows.entry(id.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        *count = count.saturating_add(1);
        let left = self.window.saturating_sub(now.duration_since(*start));
        let exceeded = *count > self.limit;
        let mut reset = ceil_secs(left);
        if exceeded {
            reset = reset.max(1);
        }
        Quota {
            remaining: self.limit.saturating_sub(*count),
            reset,
            exceeded,
        }
    }

    /// The quota shown to requests not counted against any credential.
    pub fn untouched(&self) -> Quota {
        Quota {
            remaining: self.limit,
            reset: ceil_secs(self.window),
            exceeded: false,
        }
    }

    /// `Ratelimit-Policy` value.
    pub fn policy(&self) -> String {
        format!("\"default\";q={};w={}", self.limit, ceil_secs(self.window))
    }
}

impl Quota {
    /// `Ratelimit` value.
    pub fn header(&self) -> String {
        format!("\"default\";r={};t={}", self.remaining, self.reset)
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
