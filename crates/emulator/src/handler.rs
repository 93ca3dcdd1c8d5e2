//! One HTTP request: read, record, maybe fault, answer, log.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::api;
use crate::body::EmuBody;
use crate::envelope::ApiError;
use crate::fault::Fault;
use crate::fault_reply::{FaultOutcome, fault_reply};
use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::route;
use crate::shared::Shared;

/// Largest request body read; the real bodies are tens of bytes.
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// Returned to hyper to make it close the connection without answering.
#[derive(Debug)]
pub(crate) struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose (fault injection)")
    }
}

impl std::error::Error for Dropped {}

/// Serves one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<EmuBody>, Dropped> {
    let started = Instant::now();
    let ray = new_ray();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let target = parts
        .uri
        .path_and_query()
        .map_or(path, |p| p.as_str())
        .to_owned();
    let (body, too_large) = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => (collected.to_bytes().to_vec(), false),
        // Either over the limit or the client went away mid-body.
        Err(error) => (Vec::new(), error.is::<http_body_util::LengthLimitError>()),
    };
    let operation = route::classify(&shared.prefix, &parts.method, path);
    shared.recorder.record(
        operation,
        RecordedRequest {
            method: parts.method.to_string(),
            path: target,
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.clone(),
        },
    );

    let fault = shared.faults.take(operation);
    let outcome = match &fault {
        // A slow server: it acts at once and answers late, so a client that
        // gives up waiting has still changed state (as with the real API).
        Some(Fault::Delay(delay)) => {
            let reply = api::respond(&shared, &parts.method, path, &parts.headers, &body);
            tokio::time::sleep(*delay).await;
            Some(FaultOutcome::Reply(reply))
        }
        Some(fault) => Some(fault_reply(&shared, fault, path, &ray)),
        None => None,
    };
    let reply = match outcome {
        Some(FaultOutcome::Drop) => {
            log(
                &shared,
                &parts.method,
                path,
                None,
                started,
                &ray,
                fault.as_ref(),
            );
            return Err(Dropped);
        }
        Some(FaultOutcome::Reply(reply)) => reply,
        None if too_large => Reply::error(
            ApiError::body_too_large(BODY_LIMIT),
            shared.limiter.untouched(),
        ),
        None => api::respond(&shared, &parts.method, path, &parts.headers, &body),
    };
    log(
        &shared,
        &parts.method,
        path,
        Some(reply.status),
        started,
        &ray,
        fault.as_ref(),
    );
    Ok(reply.into_response(&ray, &shared.limiter.policy()))
}

/// One line per request. Never prints a header value: they carry secrets.
fn log(
    shared: &Shared,
    method: &hyper::Method,
    path: &str,
    status: Option<u16>,
    started: Instant,
    ray: &str,
    fault: Option<&Fault>,
) {
    if !shared.log_requests {
        return;
    }
    let status = status.map_or_else(|| "---".to_owned(), |s| s.to_string());
    let ms = started.elapsed().as_millis();
    let fault = fault.map(|f| format!(" fault={f}")).unwrap_or_default();
    eprintln!("{method} {path} {status} {ms}ms cf-ray={ray}{fault}");
}

/// A ray id like Cloudflare's (16 hex digits) with `-EMU` where the real
/// one names a data centre.
fn new_ray() -> String {
    let bits = uuid::Uuid::new_v4().as_u128();
    format!("{:016x}-EMU", (bits as u64) ^ ((bits >> 64) as u64))
}
