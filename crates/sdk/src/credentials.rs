//! API credentials: an API token, or a global API key with its account email.

use std::fmt;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::Error;

const TOKEN_VAR: &str = "CLOUDFLARE_API_TOKEN";
const EMAIL_VAR: &str = "CLOUDFLARE_EMAIL";
const KEY_VAR: &str = "CLOUDFLARE_API_KEY";

/// How requests authenticate. Never printed: `Debug` shows only the kind.
///
/// ```
/// use cf_ssh_settings::Credentials;
///
/// let credentials = Credentials::api_token("0123456789abcdef")?;
/// assert_eq!(format!("{credentials:?}"), "Credentials(API token: ** redacted **)");
/// assert!(Credentials::api_token("token-with-newline\n").is_err());
/// # Ok::<(), cf_ssh_settings::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials(Kind);

#[derive(Clone)]
enum Kind {
    Token(SecretString),
    Key {
        email: SecretString,
        key: SecretString,
    },
}

impl Credentials {
    /// An API token (preferred), sent as `Authorization: Bearer <token>`.
    pub fn api_token(token: impl Into<String>) -> Result<Self, Error> {
        let token = secret("API token", token.into())?;
        Ok(Credentials(Kind::Token(token)))
    }

    /// A global API key and the email of its user, sent as `X-Auth-Email`
    /// and `X-Auth-Key`.
    pub fn api_key(email: impl Into<String>, key: impl Into<String>) -> Result<Self, Error> {
        let email = secret("API email", email.into())?;
        let key = secret("API key", key.into())?;
        Ok(Credentials(Kind::Key { email, key }))
    }

    /// Reads `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` with
    /// `CLOUDFLARE_API_KEY`, as every official Cloudflare SDK does. A variable
    /// set to the empty string counts as unset.
    ///
    /// Setting a token and a key, or only one of email and key, is an error
    /// naming the variables: this never picks one silently.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name| lookup(name).filter(|value: &String| !value.is_empty());
        match (var(TOKEN_VAR), var(EMAIL_VAR), var(KEY_VAR)) {
            (Some(token), None, None) => Self::api_token(token),
            (None, Some(email), Some(key)) => Self::api_key(email, key),
            (Some(_), email, key) => {
                let others: Vec<&str> = [(email, EMAIL_VAR), (key, KEY_VAR)]
                    .into_iter()
                    .filter_map(|(value, name)| value.map(|_| name))
                    .collect();
                let are = if others.len() == 1 {
                    "are both"
                } else {
                    "are all"
                };
                Err(Error::config(format!(
                    "{TOKEN_VAR} and {} {are} set: set either {TOKEN_VAR}, or \
                     {EMAIL_VAR} and {KEY_VAR}, not both",
                    others.join(" and ")
                )))
            }
            (None, Some(_), None) => Err(Error::config(format!(
                "{EMAIL_VAR} is set but {KEY_VAR} is not: set both, or set {TOKEN_VAR} instead"
            ))),
            (None, None, Some(_)) => Err(Error::config(format!(
                "{KEY_VAR} is set but {EMAIL_VAR} is not: set both, or set {TOKEN_VAR} instead"
            ))),
            (None, None, None) => Err(Error::config(format!(
                "no Cloudflare credentials: set {TOKEN_VAR} (an API token with Zero Trust \
                 permissions), or {EMAIL_VAR} and {KEY_VAR}"
            ))),
        }
    }

    /// "API token" or "API key": which kind these are, safe to print.
    pub fn kind(&self) -> &'static str {
        match self.0 {
            Kind::Token(_) => "API token",
            Kind::Key { .. } => "API key",
        }
    }

    /// The authentication headers, marked sensitive so that no layer below
    /// (reqwest, hyper, a proxy's debug output) prints them.
    pub(crate) fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: HeaderName, value: String| {
            // Checked when the credentials were made: visible ASCII only.
            if let Ok(mut value) = HeaderValue::try_from(value) {
                value.set_sensitive(true);
                headers.insert(name, value);
            }
        };
        match &self.0 {
            Kind::Token(token) => put(AUTHORIZATION, format!("Bearer {}", token.expose_secret())),
            Kind::Key { email, key } => {
                put(
                    HeaderName::from_static("x-auth-email"),
                    email.expose_secret().to_owned(),
                );
                put(
                    HeaderName::from_static("x-auth-key"),
                    key.expose_secret().to_owned(),
                );
            }
        }
        headers
    }

    /// Every secret value (an empty string pads a token's), for scrubbing
    /// text a server sent back. No allocation: it is asked for on every call.
    pub(crate) fn secrets(&self) -> [&str; 2] {
        match &self.0 {
            Kind::Token(token) => [token.expose_secret(), ""],
            Kind::Key { email, key } => [email.expose_secret(), key.expose_secret()],
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}: ** redacted **)", self.kind())
    }
}

/// Only visible ASCII goes into a header: whitespace (a trailing newline read
/// from a file) or a control character is rejected, without echoing the value.
fn secret(what: &'static str, value: String) -> Result<SecretString, Error> {
    let value = SecretString::from(value);
    let text = value.expose_secret();
    if text.is_empty() {
        return Err(Error::invalid_input(what, "it is empty".into()));
    }
    if let Some(position) = text.chars().position(|c| !c.is_ascii_graphic()) {
        let what_char = match text.chars().nth(position) {
            Some(c) if c.is_whitespace() => "whitespace",
            Some(c) if c.is_control() => "a control character",
            _ => "a character that is not visible ASCII",
        };
        return Err(Error::invalid_input(
            what,
            format!(
                "character {} of {} is {what_char} (a trailing newline from a file?)",
                position + 1,
                text.chars().count()
            ),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Credentials, Error> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Credentials::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn env_token_alone_is_a_token() {
        assert_eq!(from(&[(TOKEN_VAR, "tok")]).unwrap().kind(), "API token");
    }

    #[test]
    fn env_email_and_key_are_a_key() {
        assert_eq!(
            from(&[(EMAIL_VAR, "a@b.c"), (KEY_VAR, "k")])
                .unwrap()
                .kind(),
            "API key"
        );
    }

    #[test]
    fn env_token_and_key_is_an_error_naming_the_variables() {
        let err = from(&[(TOKEN_VAR, "tok"), (KEY_VAR, "k")])
            .unwrap_err()
            .to_string();
        assert!(err.contains(TOKEN_VAR) && err.contains(KEY_VAR), "{err}");
        assert!(!err.contains("tok\""), "{err}");
    }

    #[test]
    fn env_half_a_key_is_an_error_naming_the_missing_variable() {
        let err = from(&[(EMAIL_VAR, "a@b.c")]).unwrap_err().to_string();
        assert!(err.contains(KEY_VAR), "{err}");
        let err = from(&[(KEY_VAR, "k")]).unwrap_err().to_string();
        assert!(err.contains(EMAIL_VAR), "{err}");
    }

    #[test]
    fn env_nothing_set_says_what_to_set() {
        let err = from(&[(TOKEN_VAR, "")]).unwrap_err().to_string();
        assert!(err.contains(TOKEN_VAR) && err.contains(EMAIL_VAR), "{err}");
    }

    #[test]
    fn token_with_newline_is_rejected_without_echoing_it() {
        let err = Credentials::api_token("SECRETVALUE\n").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("SECRETVALUE"), "{text}");
        assert!(text.contains("whitespace"), "{text}");
    }
}
