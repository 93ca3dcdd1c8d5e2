//! The API's normal behaviour: routing, auth, rate limiting, validation
//! and the three operations.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::{HeaderMap, Method};

use crate::envelope::{ApiError, success_body};
use crate::fault::Operation;
use crate::reply::Reply;
use crate::route;
use crate::settings::Change;
use crate::shared::Shared;

/// Bytes in an X25519 public key.
const PUBLIC_KEY_LEN: usize = 32;

/// Answers one request that no fault intercepted. Checks run in the
/// order the real API appears to run them: route, method, credentials,
/// rate limit, account access, body.
pub(crate) fn respond(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let untouched = shared.limiter.untouched();
    let route = match route::parse(&shared.prefix, path) {
        Ok(route) => route,
        Err(error) => return Reply::error(error, untouched),
    };
    if !route::valid_account_id(route.account) {
        return Reply::error(ApiError::could_not_route(route.below_prefix), untouched);
    }
    let operation = match route.operation(method) {
        Ok(operation) => operation,
        Err(error) => return Reply::error(error, untouched),
    };
    let principal = match shared.credentials.authenticate(headers) {
        Ok(principal) => principal,
        Err(error) => return Reply::error(error, untouched),
    };
    let quota = shared.limiter.hit(&principal.id);
    if quota.exceeded {
        return Reply::error(ApiError::rate_limited(), quota)
            .with_header("retry-after", quota.reset.to_string());
    }
    if !principal.may_access(route.account) {
        return Reply::error(ApiError::unauthorized(), quota);
    }
    let change = match operation {
        Operation::UpdateSettings => match public_key(body) {
            Ok(key) => Change::SetPublicKey(key),
            Err(error) => return Reply::error(error, quota),
        },
        Operation::RotateSeed => Change::RotateSeed,
        Operation::GetSettings | Operation::Any => Change::Touch,
    };
    let applied = shared.store().apply(route.account, change);
    match applied {
        Ok(settings) => Reply::json(200, success_body(&settings), quota),
        Err(error) => Reply::error(
            ApiError::internal(&format!("could not save state: {error}")),
            quota,
        ),
    }
}

/// The `public_key` of a PUT body: standard Base64 of exactly 32 bytes.
fn public_key(body: &[u8]) -> Result<String, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::invalid_json(&e.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::invalid_json("expected a JSON object"))?;
    let key = match object.get("public_key") {
        None => return Err(ApiError::invalid_public_key("required field is missing")),
        Some(serde_json::Value::String(key)) => key,
        Some(_) => return Err(ApiError::invalid_public_key("must be a string")),
    };
    match STANDARD.decode(key) {
        Ok(bytes) if bytes.len() == PUBLIC_KEY_LEN => Ok(key.clone()),
        Ok(bytes) => Err(ApiError::invalid_public_key(&format!(
            "decodes to {} bytes; an X25519 public key is {PUBLIC_KEY_LEN}",
            bytes.len()
        ))),
        Err(_) => Err(ApiError::invalid_public_key(
            "not standard Base64 (RFC 4648 alphabet with padding)",
        )),
    }
}
