//! A response before it becomes a hyper `Response`: status, body and the
//! headers every answer carries.

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

use crate::body::EmuBody;
use crate::envelope::ApiError;
use crate::ratelimit::Quota;

/// Everything needed to build one response.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: EmuBody,
    /// Headers beyond the ones every response has.
    pub headers: Vec<(&'static str, String)>,
    pub quota: Quota,
}

pub(crate) const JSON: &str = "application/json";

impl Reply {
    pub fn json(status: u16, body: Vec<u8>, quota: Quota) -> Self {
        Reply {
            status,
            content_type: Some(JSON),
            body: EmuBody::full(body),
            headers: Vec::new(),
            quota,
        }
    }

    pub fn error(error: ApiError, quota: Quota) -> Self {
        let mut reply = Reply::json(error.status, error.body(), quota);
        if let Some(allow) = error.allow {
            reply.headers.push(("allow", allow.to_owned()));
        }
        reply
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The hyper response, with `cf-ray`, the rate-limit headers and
    /// `server: cloudflare` added like on every real API answer.
    pub fn into_response(self, ray: &str, policy: &str) -> Response<EmuBody> {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = Response::new(self.body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        let mut put = |name: &'static str, value: &str| {
            // A value that is not a legal header (from a user-supplied
            // fault) is left out rather than failing the response.
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(HeaderName::from_static(name), value);
            }
        };
        if let Some(content_type) = self.content_type {
            put("content-type", content_type);
        }
        put("cf-ray", ray);
        put("ratelimit", &self.quota.header());
        put("ratelimit-policy", policy);
        put("server", "cloudflare");
        for (name, value) in &self.headers {
            put(name, value);
        }
        response
    }
}
