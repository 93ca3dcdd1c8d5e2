//! How one call's request is sent: attempts, waits, timeouts and the body
//! limit. The generated client hands each request here (see `Exec` in
//! crates/api), and the outcome is interpreted in `response.rs`.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::ResponseBuilderExt as _;
use reqwest::{
    Method, StatusCode,
    header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue},
};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::{Client, client::Operation, rate_limit::RateLimitHeaders, retry};

static API_VERSION: HeaderName = HeaderName::from_static("api-version");
static CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// What the attempts of one call saw, for `response.rs` to explain.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// Requests sent (or tried).
    pub attempts: u32,
    /// Status, `cf-ray` and `Content-Type` of the last response, if one came.
    pub status: Option<StatusCode>,
    pub ray: Option<HeaderValue>,
    pub content_type: Option<HeaderValue>,
    /// The body was over the limit: at least this many bytes.
    pub body_too_large: Option<u64>,
    /// `Retry-After` asked for a wait over the policy's ceiling.
    pub retry_after_exceeded: Option<Duration>,
    /// A state-changing request was sent and no definite answer came back.
    pub outcome_unknown: bool,
    /// The time the last attempt was given.
    pub timeout: Duration,
    /// The deadline cut the call short.
    pub deadline_hit: bool,
}

impl Observed {
    pub(crate) fn ray_id(&self) -> Option<String> {
        let ray = self.ray.as_ref()?.to_str().ok()?;
        Some(ray.chars().take(64).collect())
    }
}

pub(crate) type Shared = Arc<Mutex<Observed>>;

fn lock(observed: &Shared) -> std::sync::MutexGuard<'_, Observed> {
    observed
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The function the generated client sends this call's request with.
pub(crate) fn exec(
    client: Client,
    operation: Operation,
    observed: Shared,
) -> cf_ssh_settings_api::Exec {
    cf_ssh_settings_api::Exec(Arc::new(move |request, _| {
        let client = client.clone();
        let observed = observed.clone();
        Box::pin(async move { send(&client, operation, request, &observed).await })
    }))
}

/// Makes the request look as the official SDKs send it.
fn prepare(request: &mut reqwest::Request) {
    // progenitor sends the spec's `info.version` as `api-version`, a value the
    // real API was never seen receiving: send none.
    request.headers_mut().remove(&API_VERSION);
    // The bodiless POST carries `Content-Length: 0` and a JSON content type,
    // as the official SDKs send it (some proxies refuse a POST without a length).
    if request.method() == Method::POST && request.body().is_none() {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        *request.body_mut() = Some(reqwest::Body::from(""));
    }
}

/// Sends the request, retrying as the client's policy allows, and returns the
/// last response with its body read into memory.
async fn send(
    client: &Client,
    operation: Operation,
    mut request: reqwest::Request,
    observed: &Shared,
) -> reqwest::Result<reqwest::Response> {
    prepare(&mut request);
    let policy = client.retry_policy();
    let started = Instant::now();
    // A deadline too far off to represent is no deadline.
    let deadline = client
        .config()
        .deadline
        .and_then(|d| started.checked_add(d));
    let mut attempt = 0;
    let mut this = request;
    loop {
        attempt += 1;
        // A copy for the next attempt, while one may follow. Bodies here are
        // in memory, so copying succeeds; if it did not, no retry would follow.
        let spare = if attempt < policy.get_max_attempts() {
            this.try_clone()
        } else {
            None
        };
        // The client applies the attempt timeout to every request; a request
        // gets its own only when the deadline leaves less.
        let mut timeout = client.config().attempt_timeout;
        if let Some(left) = deadline.map(|d| d.saturating_duration_since(Instant::now()))
            && left < timeout
        {
            timeout = left;
            *this.timeout_mut() = Some(left);
            lock(observed).deadline_hit = true;
        }
        if let Some(limiter) = client.limiter() {
            limiter.acquire().await;
        }
        {
            let mut seen = lock(observed);
            seen.attempts = attempt;
            seen.timeout = timeout;
            seen.status = None;
            seen.ray = None;
            seen.content_type = None;
        }

        let span = tracing::debug_span!("attempt", operation = operation.id(), attempt);
        let outcome = execute(client, this, observed).instrument(span).await;

        // Decide whether to try again, and after how long.
        let (retry, wait) = match &outcome {
            Ok(response) => {
                let status = response.status();
                let mut seen = lock(observed);
                tracing::debug!(
                    operation = operation.id(),
                    attempt,
                    status = status.as_u16(),
                    cf_ray = seen.ray_id().as_deref().unwrap_or("-"),
                    "response"
                );
                if seen.body_too_large.is_some() || !retry::is_retryable(status) {
                    (false, Duration::ZERO)
                } else {
                    // A 429 was refused before acting; anything else may have acted.
                    let acted = status != StatusCode::TOO_MANY_REQUESTS;
                    if acted && !operation.idempotent() {
                        seen.outcome_unknown = true;
                    }
                    let safe = operation.idempotent() || !acted || policy.get_retry_writes();
                    match retry::retry_after(response.headers()) {
                        Some(wait) if wait > policy.get_max_retry_after() => {
                            seen.retry_after_exceeded = Some(wait);
                            (false, Duration::ZERO)
                        }
                        Some(wait) => (safe, wait),
                        None => (safe, policy.backoff(attempt)),
                    }
                }
            }
            Err(error) => {
                // A connect error means nothing was sent; anything later may
                // have reached the server.
                let sent = !error.is_connect();
                let safe = operation.idempotent() || !sent || policy.get_retry_writes();
                tracing::debug!(
                    operation = operation.id(),
                    attempt,
                    timeout = error.is_timeout(),
                    connect = error.is_connect(),
                    "no response"
                );
                if sent && !operation.idempotent() {
                    lock(observed).outcome_unknown = true;
                }
                (safe, policy.backoff(attempt))
            }
        };
        let out_of_time =
            deadline.is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|t| t >= d));
        let Some(next) = spare.filter(|_| retry && !out_of_time) else {
            if retry && out_of_time {
                lock(observed).deadline_hit = true;
            }
            return outcome;
        };
        tracing::debug!(
            operation = operation.id(),
            attempt,
            delay_ms = wait.as_millis() as u64,
            "retrying"
        );
        tokio::time::sleep(wait).await;
        this = next;
    }
}

/// One attempt: sends the request and reads the body, at most the client's
/// body limit, into memory.
async fn execute(
    client: &Client,
    request: reqwest::Request,
    observed: &Shared,
) -> reqwest::Result<reqwest::Response> {
    let mut response = client.http().execute(request).await?;
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    {
        let mut seen = lock(observed);
        seen.status = Some(status);
        seen.ray = headers.get(&CF_RAY).cloned();
        seen.content_type = headers.get(CONTENT_TYPE).cloned();
    }
    if let Some(limit) = RateLimitHeaders::from_headers(&headers) {
        client.record_rate_limit(limit);
    }

    // A huge or endless body is cut off at the limit, never buffered whole.
    // The usual body arrives in one chunk, which is kept without a copy.
    let max = client.config().max_body_bytes;
    let mut body = bytes::BytesMut::new();
    let mut first = None;
    if let Some(announced) = response.content_length().filter(|&n| n > max as u64) {
        lock(observed).body_too_large = Some(announced);
    } else {
        while let Some(chunk) = response.chunk().await? {
            let read = body.len() + first.as_ref().map_or(0, bytes::Bytes::len) + chunk.len();
            if read > max {
                lock(observed).body_too_large = Some(read as u64);
                first = None;
                body.clear();
                break;
            }
            match first.take() {
                None if body.is_empty() => first = Some(chunk),
                earlier => {
                    body.extend_from_slice(&earlier.unwrap_or_default());
                    body.extend_from_slice(&chunk);
                }
            }
        }
    }
    let body = first.unwrap_or_else(|| body.freeze());

    // The generated client decodes from a reqwest::Response: rebuild one
    // around the body in memory (with the real URL, so none is parsed).
    // (A builder given only a URL cannot fail: nothing is converted.)
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body)
        .unwrap_or_default();
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}
