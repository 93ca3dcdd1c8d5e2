//! Mapping a request path and method to an operation.

use hyper::Method;

use crate::envelope::ApiError;
use crate::fault::Operation;

/// Which resource a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Settings,
    RotateSeed,
}

/// A path that has the shape of one of the emulated resources. The
/// account id is not yet validated: requests with a bad id still count as
/// attempts at that operation.
#[derive(Debug)]
pub(crate) struct Route<'a> {
    pub resource: Resource,
    pub account: &'a str,
    /// The path below the base URL, as quoted in 7003 messages.
    pub below_prefix: &'a str,
}

/// Parses `path`, which must start with `prefix` (empty for none).
pub(crate) fn parse<'a>(prefix: &str, path: &'a str) -> Result<Route<'a>, ApiError> {
    let rest = path.strip_prefix(prefix).ok_or_else(ApiError::no_route)?;
    if !rest.starts_with("/accounts/") {
        return Err(ApiError::no_route());
    }
    let segments: Vec<&str> = rest[1..].split('/').collect();
    let resource = match segments[..] {
        ["accounts", _, "gateway", "audit_ssh_settings"] => Resource::Settings,
        [
            "accounts",
            _,
            "gateway",
            "audit_ssh_settings",
            "rotate_seed",
        ] => Resource::RotateSeed,
        _ => return Err(ApiError::could_not_route(rest)),
    };
    Ok(Route {
        resource,
        account: segments[1],
        below_prefix: rest,
    })
}

impl Route<'_> {
    /// The operation `method` performs on this route, or a 405.
    pub fn operation(&self, method: &Method) -> Result<Operation, ApiError> {
        match (self.resource, method) {
            (Resource::Settings, &Method::GET) => Ok(Operation::GetSettings),
            (Resource::Settings, &Method::PUT) => Ok(Operation::UpdateSettings),
            (Resource::Settings, _) => Err(ApiError::method_not_allowed("GET, PUT")),
            (Resource::RotateSeed, &Method::POST) => Ok(Operation::RotateSeed),
            (Resource::RotateSeed, _) => Err(ApiError::method_not_allowed("POST")),
        }
    }
}

/// The spec's `AccountId`: exactly 32 lower-case hex characters.
pub(crate) fn valid_account_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The operation a request attempts, if any (for counting and faults).
pub(crate) fn classify(prefix: &str, method: &Method, path: &str) -> Option<Operation> {
    parse(prefix, path).ok()?.operation(method).ok()
}
