//! Cloudflare's rate limit: what the server reports, and an optional limiter
//! that keeps a client (and all its clones) under it.

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;

/// What the `Ratelimit` and `Ratelimit-Policy` headers of the last response
/// said, e.g. `"default";r=1199;t=300` and `"default";q=1200;w=300`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests left in the current window (`r`).
    pub remaining: Option<u64>,
    /// Time until the window resets (`t`).
    pub reset: Option<Duration>,
    /// Requests allowed per window (`q` of the policy).
    pub limit: Option<u64>,
    /// The window's length (`w` of the policy).
    pub window: Option<Duration>,
}

static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// The two headers as received: kept as they are on every response (cheap
/// reference-counted copies) and parsed only when asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateLimitHeaders {
    limit: Option<HeaderValue>,
    policy: Option<HeaderValue>,
}

impl RateLimitHeaders {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let limit = headers.get(&RATELIMIT).cloned();
        let policy = headers.get(&RATELIMIT_POLICY).cloned();
        (limit.is_some() || policy.is_some()).then_some(RateLimitHeaders { limit, policy })
    }

    pub(crate) fn parse(&self) -> Option<RateLimit> {
        // `"default";r=1199;t=300`: the value of `key=` among the parameters.
        let field = |header: &Option<HeaderValue>, key: &str| -> Option<u64> {
            let text = header.as_ref()?.to_str().ok()?;
            text.split([';', ',']).find_map(|part| {
                let (k, v) = part.trim().split_once('=')?;
                if k.trim() == key {
                    v.trim().parse().ok()
                } else {
                    None
                }
            })
        };
        let limit = RateLimit {
            remaining: field(&self.limit, "r"),
            reset: field(&self.limit, "t").map(Duration::from_secs),
            limit: field(&self.policy, "q"),
            window: field(&self.policy, "w").map(Duration::from_secs),
        };
        let any = limit.remaining.is_some()
            || limit.reset.is_some()
            || limit.limit.is_some()
            || limit.window.is_some();
        any.then_some(limit)
    }
}

/// Allows at most `max` requests in any `window`, delaying the rest: a
/// sliding window over the send times of the last `max` requests.
#[derive(Debug)]
pub(crate) struct Limiter {
    max: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub(crate) fn new(max: u32, window: Duration) -> Self {
        Limiter {
            max: (max as usize).max(1),
            window,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until one more request fits in the window, and counts it.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait = {
                let mut sent = self
                    .sent
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|&t| now.duration_since(t) >= self.window)
                {
                    sent.pop_front();
                }
                if sent.len() < self.max {
                    sent.push_back(now);
                    return;
                }
                self.window.saturating_sub(now.duration_since(sent[0]))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cloudflare_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit", "\"default\";r=1199;t=300".parse().unwrap());
        headers.insert(
            "ratelimit-policy",
            "\"default\";q=1200;w=300".parse().unwrap(),
        );
        let limit = RateLimitHeaders::from_headers(&headers)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(limit.remaining, Some(1199));
        assert_eq!(limit.reset, Some(Duration::from_secs(300)));
        assert_eq!(limit.limit, Some(1200));
        assert_eq!(limit.window, Some(Duration::from_secs(300)));
        assert!(RateLimitHeaders::from_headers(&HeaderMap::new()).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_delays_past_the_window() {
        let limiter = Limiter::new(3, Duration::from_secs(10));
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_secs(1));
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(10));
    }
}
