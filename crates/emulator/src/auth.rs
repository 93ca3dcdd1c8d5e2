//! Credentials the emulator accepts, and checking a request's auth headers
//! the way Cloudflare does (which code for which mistake).

use std::collections::{HashMap, HashSet};

use hyper::HeaderMap;

use crate::envelope::{ApiError, Message};

/// Configured API tokens and email + key pairs, each with its accounts.
#[derive(Debug, Default, Clone)]
pub(crate) struct Credentials {
    tokens: HashMap<String, HashSet<String>>,
    /// Keyed by lower-cased email: email addresses compare case-insensitively.
    keys: HashMap<String, (String, HashSet<String>)>,
}

/// Who a request authenticated as.
pub(crate) struct Principal<'a> {
    /// Rate-limit bucket: one per credential.
    pub id: String,
    accounts: &'a HashSet<String>,
}

impl Principal<'_> {
    pub fn may_access(&self, account: &str) -> bool {
        self.accounts.contains(account)
    }
}

impl Credentials {
    pub fn add_token(&mut self, token: String, accounts: impl IntoIterator<Item = String>) {
        self.tokens.entry(token).or_default().extend(accounts);
    }

    pub fn add_key(
        &mut self,
        email: String,
        key: String,
        accounts: impl IntoIterator<Item = String>,
    ) {
        let entry = self
            .keys
            .entry(email.to_ascii_lowercase())
            .or_insert_with(|| (key.clone(), HashSet::new()));
        entry.0 = key;
        entry.1.extend(accounts);
    }

    /// Identifies the caller, or says why not. A well-formed
    /// `Authorization` header wins over the legacy email + key pair.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal<'_>, ApiError> {
        if let Some(value) = headers.get("authorization") {
            let token = value.to_str().ok().and_then(bearer_token).ok_or_else(|| {
                ApiError::invalid_headers(vec![Message::new(
                    6111,
                    "Invalid format for Authorization header",
                )])
            })?;
            let accounts = self
                .tokens
                .get(token)
                .ok_or_else(ApiError::authentication)?;
            return Ok(Principal {
                id: format!("token:{token}"),
                accounts,
            });
        }
        let email = headers.get("x-auth-email");
        let key = headers.get("x-auth-key");
        if email.is_none() && key.is_none() {
            return Err(ApiError::missing_auth());
        }
        let email = email
            .and_then(|v| v.to_str().ok())
            .filter(|e| sane_email(e));
        let key = key.and_then(|v| v.to_str().ok()).filter(|k| sane_key(k));
        let (email, key) = match (email, key) {
            (Some(email), Some(key)) => (email, key),
            (email, key) => {
                let mut chain = Vec::new();
                if email.is_none() {
                    chain.push(Message::new(6102, "Invalid format for X-Auth-Email header"));
                }
                if key.is_none() {
                    chain.push(Message::new(6103, "Invalid format for X-Auth-Key header"));
                }
                return Err(ApiError::invalid_headers(chain));
            }
        };
        let email = email.to_ascii_lowercase();
        match self.keys.get(&email) {
            Some((expected, accounts)) if expected == key => Ok(Principal {
                id: format!("key:{email}"),
                accounts,
            }),
            _ => Err(ApiError::authentication()),
        }
    }
}

/// `Bearer <token68>` (scheme case-insensitive, as RFC 9110 says).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let token68 = !body.is_empty()
        && token.len() <= 1024
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    token68.then_some(token)
}

fn sane_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= 254
        && email.bytes().all(|b| b.is_ascii_graphic())
}

fn sane_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 256
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
