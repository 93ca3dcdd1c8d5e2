//! When a failed attempt is tried again, and how long to wait first.

use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, header::HeaderMap};

/// How a call retries. Set it for every call on the client builder, or for
/// some calls with [`Client::with_retry_policy`](crate::Client::with_retry_policy).
///
/// The default makes up to 3 attempts with exponential back-off from 0.5 s
/// (doubling, capped at 8 s, up to 25 % less at random) on connection
/// failures, timeouts and 408, 429, 500, 502, 503, 504 and 520-524
/// responses, and waits out a `Retry-After` of up to 60 s; a longer one fails
/// the call at once, with the wait in the error.
///
/// `rotate_seed` changes state, so by default it is retried only when the
/// server certainly did not act on it: the connection failed before the
/// request was sent, or the answer was 429. [`retry_writes`](Self::retry_writes)
/// opts in to retrying it like the other calls.
///
/// ```
/// use std::time::Duration;
/// use cf_ssh_settings::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(200))
///     .max_retry_after(Duration::from_secs(120));
/// assert_eq!(RetryPolicy::none().get_max_attempts(), 1);
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    jitter: f64,
    max_retry_after: Duration,
    retry_writes: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: 0.25,
            max_retry_after: Duration::from_secs(60),
            retry_writes: false,
        }
    }
}

impl RetryPolicy {
    /// One attempt, never retried.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// At most this many attempts in all (at least 1). Default 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; each later one doubles it. Default 0.5 s.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest back-off wait. Default 8 s.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Up to this fraction (0 to 1) is taken off each back-off wait at
    /// random, so that many clients do not retry in step. Default 0.25.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The longest `Retry-After` that is waited out. Default 60 s.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Also retry `rotate_seed` after a timeout or a 5xx, accepting that
    /// the seed may be rotated more than once. Default false.
    pub fn retry_writes(mut self, retry: bool) -> Self {
        self.retry_writes = retry;
        self
    }

    /// The most attempts a call makes.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    pub(crate) fn get_retry_writes(&self) -> bool {
        self.retry_writes
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let doubled = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = doubled.min(self.max_delay);
        let factor = 1.0 - self.jitter * fastrand::f64();
        Duration::try_from_secs_f64(capped.as_secs_f64() * factor).unwrap_or(capped)
    }
}

/// Statuses worth another attempt: the request timed out, was rate limited,
/// or the server or Cloudflare's edge failed in a way that passes.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        408 | 429 | 500 | 502 | 503 | 504 | 520..=524
    )
}

/// The `Retry-After` header as a wait: whole seconds, or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::default().jitter(0.0);
        let waits: Vec<u128> = (1..=6).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000]);
    }

    #[test]
    fn extreme_settings_do_not_panic() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::MAX)
            .max_delay(Duration::MAX)
            .jitter(f64::NAN);
        assert_eq!(policy.backoff(u32::MAX), Duration::MAX);
        let policy = RetryPolicy::default()
            .base_delay(Duration::MAX)
            .max_delay(Duration::MAX)
            .jitter(1.0);
        assert!(policy.backoff(3) <= Duration::MAX);
    }

    #[test]
    fn jitter_only_shortens_the_wait() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let wait = policy.backoff(1);
            assert!(wait <= Duration::from_millis(500) && wait >= Duration::from_millis(375));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        headers.insert(
            "retry-after",
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
