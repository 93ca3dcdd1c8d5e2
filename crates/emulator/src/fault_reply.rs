//! What a faulted request gets instead of a normal answer.

use crate::body::EmuBody;
use crate::envelope::{Message, failure_body, success_body};
use crate::fault::Fault;
use crate::reply::{JSON, Reply};
use crate::route;
use crate::settings::{Settings, format_now};
use crate::shared::Shared;

/// A faulted request's outcome.
pub(crate) enum FaultOutcome {
    Reply(Reply),
    /// Close the connection without answering.
    Drop,
}

/// Builds the misbehaving answer. Reads state at most; never changes it.
/// `Fault::Delay` is handled by the caller and never reaches here.
pub(crate) fn fault_reply(shared: &Shared, fault: &Fault, path: &str, ray: &str) -> FaultOutcome {
    let quota = shared.limiter.untouched();
    let reply = match fault {
        Fault::RateLimited { retry_after } => {
            let mut quota = quota;
            quota.remaining = 0;
            Reply::json(
                429,
                failure_body(&[Message::new(
                    971,
                    "Please wait and consider throttling your request speed",
                )]),
                quota,
            )
            .with_header("retry-after", retry_after.clone())
        }
        Fault::HtmlError { status } => Reply {
            status: *status,
            content_type: Some("text/html; charset=UTF-8"),
            body: EmuBody::full(html_page(*status, ray)),
            headers: Vec::new(),
            quota,
        },
        Fault::SuccessFalse => Reply::json(
            200,
            br#"{"errors":[{"code":1001,"message":"Unable to process the request"}],"messages":[],"success":false,"result":null}"#.to_vec(),
            quota,
        ),
        Fault::MissingResult => Reply::json(
            200,
            br#"{"errors":[],"messages":[],"success":true}"#.to_vec(),
            quota,
        ),
        Fault::TruncatedBody => {
            let full = success_body(&current_settings(shared, path));
            let mut reply = Reply::json(200, Vec::new(), quota)
                .with_header("content-length", full.len().to_string());
            reply.body = EmuBody::truncated(full[..full.len() / 2].to_vec().into());
            reply
        }
        Fault::InvalidJson => Reply::json(
            200,
            br#"{"errors":[],"messages":[],"success":true,"result":{'seed_id': undefined,}"#.to_vec(),
            quota,
        ),
        Fault::WrongShape => Reply::json(
            200,
            br#"{"errors":[],"messages":[],"success":true,"result":{"seed_id":42,"created_at":true,"public_key":["not","a","string"]}}"#.to_vec(),
            quota,
        ),
        Fault::DropConnection => return FaultOutcome::Drop,
        Fault::Redirect { status, location } => Reply {
            status: *status,
            content_type: None,
            body: EmuBody::empty(),
            headers: vec![("location", location.clone())],
            quota,
        },
        Fault::HugeBody { bytes } => Reply {
            status: 200,
            content_type: Some(JSON),
            body: EmuBody::huge(*bytes),
            headers: Vec::new(),
            quota,
        },
        Fault::Status {
            status,
            content_type,
            body,
        } => Reply {
            status: *status,
            content_type: None,
            body: EmuBody::full(body.clone()),
            headers: vec![("content-type", content_type.clone())],
            quota,
        },
        // The caller acts at once and answers after the delay.
        Fault::Delay(_) => unreachable!("Delay is not a replacement answer"),
    };
    FaultOutcome::Reply(reply)
}

/// The account's stored settings, or a plausible unsaved stand-in, so a
/// truncated body is a prefix of a realistic answer.
fn current_settings(shared: &Shared, path: &str) -> Settings {
    let stored = route::parse(&shared.prefix, path)
        .ok()
        .and_then(|route| shared.store().get(route.account).cloned());
    stored.unwrap_or_else(|| Settings::initial(&format_now()))
}

/// A page in the style of Cloudflare's edge error pages.
fn html_page(status: u16, ray: &str) -> String {
    let title = match status {
        500 => "Internal server error",
        502 => "Bad gateway",
        503 => "Service unavailable",
        504 => "Gateway time-out",
        520 => "Web server is returning an unknown error",
        521 => "Web server is down",
        522 => "Connection timed out",
        523 => "Origin is unreachable",
        524 => "A timeout occurred",
        525 => "SSL handshake failed",
        526 => "Invalid SSL certificate",
        527 => "Railgun Listener to origin error",
        _ => hyper::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
    };
    let ray_id = ray.split('-').next().unwrap_or(ray);
    format!(
        r#"<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html lang="en-US">
<head>
<title>api.cloudflare.com | {status}: {title}</title>
<meta charset="UTF-8" />
<meta name="robots" content="noindex, nofollow" />
</head>
<body>
<div id="cf-wrapper">
  <div id="cf-error-details" class="p-0">
    <header class="mx-auto pt-10 lg:pt-6 lg:px-8 w-240 lg:w-full mb-8">
      <h1 class="inline-block sm:block sm:mb-2 font-light text-60 lg:text-4xl text-black-dark leading-tight mr-2">
        <span class="inline-block">{title}</span>
        <span class="code-label">Error code {status}</span>
      </h1>
    </header>
    <div class="cf-error-footer cf-wrapper w-240 lg:w-full py-10 sm:py-4 sm:px-8 mx-auto text-center sm:text-left border-solid border-0 border-t border-gray-300">
      <p class="text-13">
        <span class="cf-footer-item sm:block sm:mb-1">Cloudflare Ray ID: <strong class="font-semibold">{ray_id}</strong></span>
        <span class="cf-footer-separator sm:hidden">&bull;</span>
        <span class="cf-footer-item sm:block sm:mb-1">Performance &amp; security by Cloudflare</span>
      </p>
    </div>
  </div>
</div>
</body>
</html>
"#
    )
}
