//! The one error type of this crate.

use std::{error::Error as StdError, fmt, time::Duration};

use reqwest::StatusCode;

/// What went wrong in a call, or in making a client or a value.
///
/// Every error that comes from a response shows the HTTP status, each
/// Cloudflare message with its code, and the `cf-ray` id to quote to
/// Cloudflare support:
///
/// ```text
/// 403 Forbidden: [10000] Authentication error (cf-ray 8c1f0e2a3b4c5d6e-LHR)
/// ```
///
/// Nothing secret is ever part of it: credentials are not, and text a server
/// sent back has them scrubbed.
#[non_exhaustive]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    /// What the error is about, for errors not made of Cloudflare messages.
    detail: String,
    status: Option<StatusCode>,
    messages: Vec<Message>,
    ray_id: Option<String>,
    content_type: Option<String>,
    excerpt: Option<String>,
    json_path: Option<String>,
    retry_after: Option<Duration>,
    outcome_unknown: bool,
    attempts: u32,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// The kinds of [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A value was rejected before anything was sent: an account id, a
    /// public key, a credential or a base URL.
    InvalidInput,
    /// The client could not be configured: credentials missing or conflicting.
    Config,
    /// Cloudflare answered with an error: a failure envelope, or a success
    /// status whose envelope says `success: false`.
    Api,
    /// The response could not be understood: not JSON (an HTML error page),
    /// invalid or truncated JSON, a body of the wrong shape or too large, or
    /// a success with no result.
    InvalidResponse,
    /// No response: the connection could not be made or was dropped.
    Transport,
    /// No response within the attempt timeout or the call's deadline.
    Timeout,
}

/// One message of Cloudflare's `errors` (or `messages`) list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Message {
    /// Cloudflare's code, e.g. 10000. Codes above 65535 exist.
    pub code: u32,
    /// What Cloudflare says happened.
    pub message: String,
    /// A page that explains the error, when Cloudflare gives one.
    pub documentation_url: Option<String>,
    /// The JSON pointer of the part of the request at fault (`source.pointer`).
    pub pointer: Option<String>,
    /// Further messages that explain this one (e.g. 6111 under 6003).
    pub error_chain: Vec<Message>,
}

impl From<cf_ssh_settings_api::types::Message> for Message {
    fn from(m: cf_ssh_settings_api::types::Message) -> Self {
        Message {
            // Codes are at least 1000 by the spec; a nonsensical one is kept in range.
            code: u32::try_from(m.code.max(0)).unwrap_or(u32::MAX),
            message: m.message,
            documentation_url: m.documentation_url,
            pointer: m.source.and_then(|s| s.pointer),
            error_chain: m.error_chain.into_iter().map(Message::from).collect(),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)?;
        if let Some(pointer) = &self.pointer {
            write!(f, " at {pointer}")?;
        }
        if !self.error_chain.is_empty() {
            f.write_str(": ")?;
            write_list(f, &self.error_chain)?;
        }
        Ok(())
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, messages: &[Message]) -> fmt::Result {
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{message}")?;
    }
    Ok(())
}

impl Error {
    fn new(kind: ErrorKind, detail: String) -> Self {
        Error(Box::new(Inner {
            kind,
            detail,
            status: None,
            messages: Vec::new(),
            ray_id: None,
            content_type: None,
            excerpt: None,
            json_path: None,
            retry_after: None,
            outcome_unknown: false,
            attempts: 0,
            source: None,
        }))
    }

    pub(crate) fn invalid_input(what: &str, reason: String) -> Self {
        Self::new(ErrorKind::InvalidInput, format!("invalid {what}: {reason}"))
    }

    pub(crate) fn config(detail: String) -> Self {
        Self::new(ErrorKind::Config, detail)
    }

    pub(crate) fn api(status: StatusCode, messages: Vec<Message>) -> Self {
        let mut error = Self::new(ErrorKind::Api, String::new());
        error.0.status = Some(status);
        if messages.is_empty() {
            error.0.detail = "the API reported a failure without an error message".into();
        }
        error.0.messages = messages;
        error
    }

    pub(crate) fn invalid_response(status: StatusCode, detail: String) -> Self {
        let mut error = Self::new(ErrorKind::InvalidResponse, detail);
        error.0.status = Some(status);
        error
    }

    pub(crate) fn transport(kind: ErrorKind, detail: String) -> Self {
        Self::new(kind, detail)
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_body(
        mut self,
        content_type: Option<String>,
        excerpt: Option<String>,
    ) -> Self {
        self.0.content_type = content_type;
        self.0.excerpt = excerpt;
        self
    }

    pub(crate) fn with_json_path(mut self, path: String) -> Self {
        self.0.json_path = Some(path);
        self
    }

    pub(crate) fn with_ray_id(mut self, ray_id: Option<String>) -> Self {
        self.0.ray_id = ray_id;
        self
    }

    pub(crate) fn with_status(mut self, status: Option<StatusCode>) -> Self {
        if self.0.status.is_none() {
            self.0.status = status;
        }
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Duration) -> Self {
        self.0.retry_after = Some(wait);
        self
    }

    pub(crate) fn with_outcome_unknown(mut self) -> Self {
        self.0.outcome_unknown = true;
        self
    }

    /// Which kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// Cloudflare's messages (the envelope's `errors`), in order.
    pub fn messages(&self) -> &[Message] {
        &self.0.messages
    }

    /// The codes of Cloudflare's messages, in order (nested chains not included).
    pub fn codes(&self) -> Vec<u32> {
        self.0.messages.iter().map(|m| m.code).collect()
    }

    /// The `cf-ray` id of the response: quote it to Cloudflare support.
    pub fn ray_id(&self) -> Option<&str> {
        self.0.ray_id.as_deref()
    }

    /// The `Content-Type` of a response body that could not be understood.
    pub fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// The start of a response body that could not be understood (at most
    /// 200 characters, secrets scrubbed).
    pub fn body_excerpt(&self) -> Option<&str> {
        self.0.excerpt.as_deref()
    }

    /// Where in the body decoding failed, as a JSON path like `result.seed_id`.
    pub fn json_path(&self) -> Option<&str> {
        self.0.json_path.as_deref()
    }

    /// How long Cloudflare asked to wait (`Retry-After`) when that was longer
    /// than the retry policy allows.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// True when a request that changes state (`rotate_seed`) may or may not
    /// have taken effect: it was sent, but no definite answer came back. Call
    /// `get_settings` to see the current state before trying again.
    pub fn is_outcome_unknown(&self) -> bool {
        self.0.outcome_unknown
    }

    /// How many requests were sent for this call (0 if none).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        if let Some(status) = e.status {
            write!(f, "{status}: ")?;
        }
        write_list(f, &e.messages)?;
        if !e.detail.is_empty() {
            if !e.messages.is_empty() {
                f.write_str(": ")?;
            }
            f.write_str(&e.detail)?;
        }
        if let Some(wait) = e.retry_after {
            write!(
                f,
                " (Cloudflare asked to wait {} s, longer than the retry policy allows)",
                wait.as_secs()
            )?;
        }
        if e.attempts > 1 {
            write!(f, " (after {} attempts)", e.attempts)?;
        }
        if e.outcome_unknown {
            f.write_str("; the rotation may or may not have happened: call get_settings to see the current seed_id")?;
        }
        if let Some(ray) = &e.ray_id {
            write!(f, " (cf-ray {ray})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Inner holds no secrets: credentials never enter an Error.
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}
