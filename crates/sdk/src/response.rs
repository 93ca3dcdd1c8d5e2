//! Turns what the generated client returned, and what the attempts saw, into
//! the settings or an [`Error`] that explains the response.

use cf_ssh_settings_api::types::{FailureResponse, GatewaySettings, SettingsResponse};
use progenitor_client::{Error as ApiError, ResponseValue};
use reqwest::{StatusCode, header::CONTENT_TYPE};
use serde::de::DeserializeOwned;

use crate::{Error, ErrorKind, Message, transport::Observed};

/// The longest body excerpt an error carries.
const EXCERPT_CHARS: usize = 200;

pub(crate) type Outcome = Result<ResponseValue<SettingsResponse>, ApiError<FailureResponse>>;

/// What a call returns, given the generated client's outcome.
pub(crate) async fn interpret(
    outcome: Outcome,
    observed: Observed,
    secrets: &[&str],
) -> Result<GatewaySettings, Error> {
    let result = match (observed.body_too_large, outcome) {
        (Some(size), _) => Err(Error::invalid_response(
            observed.status.unwrap_or(StatusCode::OK),
            format!("the response body is over the size limit (at least {size} bytes)"),
        )),
        (None, Ok(value)) => {
            let status = value.status();
            success(value.into_inner(), status, secrets)
        }
        (None, Err(error)) => failure(error, &observed, secrets).await,
    };
    result.map_err(|mut error| {
        if let Some(wait) = observed.retry_after_exceeded {
            error = error.with_retry_after(wait);
        }
        if observed.outcome_unknown {
            error = error.with_outcome_unknown();
        }
        error
            .with_status(observed.status)
            .with_ray_id(observed.ray_id())
            .with_attempts(observed.attempts)
    })
}

/// A decoded success envelope: the result, unless it says it failed.
fn success(
    envelope: SettingsResponse,
    status: StatusCode,
    secrets: &[&str],
) -> Result<GatewaySettings, Error> {
    if !envelope.success {
        return Err(Error::api(status, messages(envelope.errors.0, secrets)));
    }
    envelope.result.ok_or_else(|| {
        Error::invalid_response(status, "the response says success but has no result".into())
    })
}

async fn failure(
    error: ApiError<FailureResponse>,
    observed: &Observed,
    secrets: &[&str],
) -> Result<GatewaySettings, Error> {
    match error {
        ApiError::ErrorResponse(value) => {
            let status = value.status();
            Err(Error::api(
                status,
                messages(value.into_inner().errors.0, secrets),
            ))
        }
        ApiError::InvalidResponsePayload(body, _) => {
            let status = observed.status.unwrap_or(StatusCode::OK);
            if let Some(messages) = lenient_errors(status, &body, secrets) {
                return Err(Error::api(status, messages));
            }
            Err(undecodable(
                status,
                observed.content_type.as_ref(),
                &body,
                secrets,
            ))
        }
        ApiError::UnexpectedResponse(response) => {
            let status = response.status();
            let content_type = response.headers().get(CONTENT_TYPE).cloned();
            // Already in memory (see transport.rs): this does not wait.
            let body = response.bytes().await.unwrap_or_default();
            if let Ok(envelope) = decode::<SettingsResponse>(&body)
                && status.is_success()
            {
                return success(envelope, status, secrets);
            }
            if let Some(messages) = lenient_errors(status, &body, secrets) {
                return Err(Error::api(status, messages));
            }
            if status.is_redirection() {
                return Err(Error::invalid_response(
                    status,
                    "the server redirected the request; redirects are not followed, since \
                     the API never redirects and credentials must not go elsewhere"
                        .into(),
                ));
            }
            Err(undecodable(status, content_type.as_ref(), &body, secrets))
        }
        ApiError::CommunicationError(error) | ApiError::ResponseBodyError(error) => {
            Err(no_response(error, observed))
        }
        ApiError::InvalidRequest(reason) => Err(Error::invalid_input("request", reason)),
        other => Err(Error::transport(ErrorKind::Transport, other.to_string())),
    }
}

/// A request that got no (whole) response.
fn no_response(error: reqwest::Error, observed: &Observed) -> Error {
    let cause = causes(&error);
    let timeout = observed.timeout;
    let mut out = if let Some(status) = observed.status {
        Error::invalid_response(status, format!("the response body ended early: {cause}"))
    } else if error.is_timeout() {
        let why = if observed.deadline_hit {
            "the call's deadline"
        } else {
            "the attempt timeout"
        };
        Error::transport(
            ErrorKind::Timeout,
            format!("no response within {timeout:?} ({why}): {cause}"),
        )
    } else if error.is_connect() {
        Error::transport(
            ErrorKind::Transport,
            format!("could not connect to the API: {cause}"),
        )
    } else {
        Error::transport(
            ErrorKind::Transport,
            format!("the connection failed: {cause}"),
        )
    };
    if observed.status.is_some() && error.is_timeout() {
        out = Error::transport(
            ErrorKind::Timeout,
            format!("the response body did not arrive within {timeout:?}: {cause}"),
        );
    }
    out.with_source(error)
}

/// The chain of causes of an error, innermost last, without the URL that
/// reqwest puts in its own message.
fn causes(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ")
}

/// Explains a body that is not what the API sends.
fn undecodable(
    status: StatusCode,
    content_type: Option<&reqwest::header::HeaderValue>,
    body: &[u8],
    secrets: &[&str],
) -> Error {
    let content_type = content_type
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let excerpt = excerpt(body, secrets);
    let parsed = if status.is_success() {
        decode::<SettingsResponse>(body).map(drop)
    } else {
        decode::<FailureResponse>(body).map(drop)
    };
    let looks_like_json = content_type
        .as_deref()
        .is_some_and(|ct| ct.contains("json"))
        || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
    let mut error = match parsed {
        _ if body.is_empty() => {
            Error::invalid_response(status, "the response has an empty body".into())
        }
        _ if !looks_like_json => Error::invalid_response(
            status,
            format!(
                "expected a JSON body, got {}: {:?}",
                content_type.as_deref().unwrap_or("no content type"),
                excerpt
            ),
        ),
        Err((_, e)) if e.is_syntax() || e.is_eof() => Error::invalid_response(
            status,
            format!(
                "the body is not valid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        ),
        Err((path, e)) => {
            let what = scrub(&e.to_string(), secrets);
            Error::invalid_response(
                status,
                format!("the body does not match the API's schema at {path}: {what}"),
            )
            .with_json_path(path)
        }
        Ok(()) => Error::invalid_response(status, format!("unexpected status {status}")),
    };
    error = error.with_body(content_type, Some(excerpt));
    error
}

/// Decodes, reporting the JSON path where decoding failed.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, (String, serde_json::Error)> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| (e.path().to_string(), e.into_inner()))?;
    deserializer.end().map_err(|e| (".".to_string(), e))?;
    Ok(value)
}

/// Cloudflare's messages from a JSON body that is a failure but does not
/// match the failure schema in every field (edge and older errors may lack
/// `messages` or `result`): its `errors`, when the status is not a success,
/// or when a success status comes with `success: false`.
fn lenient_errors(status: StatusCode, body: &[u8], secrets: &[&str]) -> Option<Vec<Message>> {
    #[derive(serde::Deserialize)]
    struct Failure {
        success: Option<bool>,
        #[serde(default)]
        errors: Vec<cf_ssh_settings_api::types::Message>,
    }
    let failure = serde_json::from_slice::<Failure>(body).ok()?;
    let failed = if status.is_success() {
        failure.success == Some(false)
    } else {
        !failure.errors.is_empty()
    };
    failed.then(|| messages(failure.errors, secrets))
}

fn messages(list: Vec<cf_ssh_settings_api::types::Message>, secrets: &[&str]) -> Vec<Message> {
    fn clean(mut m: Message, secrets: &[&str]) -> Message {
        m.message = scrub(&m.message, secrets);
        m.documentation_url = m.documentation_url.map(|url| scrub(&url, secrets));
        m.pointer = m.pointer.map(|pointer| scrub(&pointer, secrets));
        m.error_chain = m
            .error_chain
            .into_iter()
            .map(|c| clean(c, secrets))
            .collect();
        m
    }
    list.into_iter()
        .map(|m| clean(Message::from(m), secrets))
        .collect()
}

/// The start of a body as text: control characters shown as spaces, and any
/// credential a hostile server echoed back replaced.
fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    // Scrubbed before it is cut, so no part of a secret survives at the cut.
    let prefix = &body[..body.len().min(EXCERPT_CHARS * 8)];
    let text = scrub(&String::from_utf8_lossy(prefix), secrets);
    let mut out: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > EXCERPT_CHARS || body.len() > prefix.len() {
        out.push('…');
    }
    out
}

fn scrub(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, "** redacted **")
        })
}
