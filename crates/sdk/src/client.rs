//! The client: configuration and the three calls.

use std::{
    fmt,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use cf_ssh_settings_api::types::{self as api_types, GatewaySettings};
use tracing::Instrument as _;

use crate::{
    AccountId, Credentials, Error, PublicKey, RateLimit, RetryPolicy,
    rate_limit::{Limiter, RateLimitHeaders},
    response, transport,
};

/// Where the API is: Cloudflare's v4 API.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
const BASE_URL_VAR: &str = "CLOUDFLARE_BASE_URL";
/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("cf-ssh-settings/", env!("CARGO_PKG_VERSION"));

/// A client of the Zero Trust SSH settings API. Cheap to clone: clones share
/// the connection pool, the client-side rate limiter and the last rate-limit
/// reading.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = cf_ssh_settings_emulator::Emulator::builder()
/// #     .token("demo-token", ["699d98642c564d2e855e9661899b7252"])
/// #     .start().await?;
/// # let base_url = emulator.base_url();
/// use cf_ssh_settings::{AccountId, Client, PublicKey};
///
/// let client = Client::builder().api_token("demo-token").base_url(base_url).build()?;
/// let account: AccountId = "699d98642c564d2e855e9661899b7252".parse()?;
///
/// let before = client.get_settings(&account).await?;
/// let after = client.rotate_seed(&account).await?;
/// assert_ne!(before.seed_id, after.seed_id);
///
/// let key: PublicKey = "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA=".parse()?;
/// let settings = client.update_settings(&account, &key).await?;
/// assert_eq!(settings.public_key.as_deref().map(String::as_str), Some(key.to_base64().as_str()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    config: CallConfig,
}

/// What all clones of a client share.
struct Shared {
    base_url: String,
    http: reqwest::Client,
    credentials: Credentials,
    limiter: Option<Limiter>,
    rate_limit: Mutex<Option<RateLimitHeaders>>,
}

/// What can differ from call to call.
#[derive(Debug, Clone)]
pub(crate) struct CallConfig {
    pub retry: RetryPolicy,
    pub attempt_timeout: Duration,
    pub deadline: Option<Duration>,
    pub max_body_bytes: usize,
}

/// The calls, by the names the generated client gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    GetSettings,
    UpdateSettings,
    RotateSeed,
}

impl Operation {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Operation::GetSettings => "get_settings",
            Operation::UpdateSettings => "update_settings",
            Operation::RotateSeed => "rotate_seed",
        }
    }

    /// Whether sending it twice does the same as sending it once. A PUT of
    /// the same key is; a rotation is not.
    pub(crate) fn idempotent(self) -> bool {
        self != Operation::RotateSeed
    }
}

impl Client {
    /// A builder, to set credentials, the base URL, timeouts and retries.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the environment: credentials as
    /// [`Credentials::from_env`] reads them, and `CLOUDFLARE_BASE_URL` if set.
    ///
    /// ```
    /// // With none of the CLOUDFLARE_* variables set, the error says what to set.
    /// # if std::env::var_os("CLOUDFLARE_API_TOKEN").is_none() && std::env::var_os("CLOUDFLARE_API_KEY").is_none() && std::env::var_os("CLOUDFLARE_EMAIL").is_none() {
    /// let err = cf_ssh_settings::Client::from_env().unwrap_err();
    /// assert!(err.to_string().contains("CLOUDFLARE_API_TOKEN"));
    /// # }
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        Client::builder().env()?.build()
    }

    /// Reads the account's SSH settings.
    pub async fn get_settings(&self, account: &AccountId) -> Result<GatewaySettings, Error> {
        self.call(Operation::GetSettings, account, None).await
    }

    /// Sets the HPKE public key that encrypts the account's SSH session logs.
    pub async fn update_settings(
        &self,
        account: &AccountId,
        public_key: &PublicKey,
    ) -> Result<GatewaySettings, Error> {
        self.call(Operation::UpdateSettings, account, Some(public_key))
            .await
    }

    /// Rotates the account's SSH seed: the Cloudflare SSH Proxy gets a new
    /// host key identity, and the previous one stops being current.
    ///
    /// Not idempotent: by default it is retried only when the server
    /// certainly did not act. When it fails with
    /// [`Error::is_outcome_unknown`], call [`get_settings`](Self::get_settings)
    /// to see whether the `seed_id` changed.
    pub async fn rotate_seed(&self, account: &AccountId) -> Result<GatewaySettings, Error> {
        self.call(Operation::RotateSeed, account, None).await
    }

    /// This client, with another retry policy for the calls made through it.
    pub fn with_retry_policy(&self, retry: RetryPolicy) -> Client {
        let mut client = self.clone();
        client.config.retry = retry;
        client
    }

    /// This client, with a deadline for each call made through it: attempts
    /// and waits included, no call takes longer.
    pub fn with_deadline(&self, deadline: Duration) -> Client {
        let mut client = self.clone();
        client.config.deadline = Some(deadline);
        client
    }

    /// What the `Ratelimit` headers of the last response said, if any did.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        let headers = self
            .shared
            .rate_limit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        headers?.parse()
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }

    pub(crate) fn config(&self) -> &CallConfig {
        &self.config
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.config.retry
    }

    pub(crate) fn limiter(&self) -> Option<&Limiter> {
        self.shared.limiter.as_ref()
    }

    pub(crate) fn record_rate_limit(&self, headers: RateLimitHeaders) {
        *self
            .shared
            .rate_limit
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(headers);
    }

    async fn call(
        &self,
        operation: Operation,
        account: &AccountId,
        public_key: Option<&PublicKey>,
    ) -> Result<GatewaySettings, Error> {
        let observed = transport::Shared::default();
        let api = cf_ssh_settings_api::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            transport::exec(self.clone(), operation, observed.clone()),
        );
        let account_id = api_types::AccountId::from(account);
        let span =
            tracing::info_span!("cf_ssh_settings", operation = operation.id(), account = %account);
        async {
            let outcome = match (operation, public_key) {
                (Operation::UpdateSettings, Some(key)) => {
                    let body = api_types::UpdateSettingsBody {
                        public_key: api_types::PublicKey(key.to_base64()),
                    };
                    api.update_settings(&account_id, &body).await
                }
                (Operation::RotateSeed, _) => api.rotate_seed(&account_id).await,
                _ => api.get_settings(&account_id).await,
            };
            let observed = std::mem::take(&mut *observed.lock().unwrap_or_else(|p| p.into_inner()));
            let secrets = self.shared.credentials.secrets();
            let result = response::interpret(outcome, observed, &secrets).await;
            match &result {
                Ok(_) => tracing::info!("ok"),
                Err(error) => tracing::warn!(
                    status = error.status().map(|s| s.as_u16()),
                    codes = ?error.codes(),
                    cf_ray = error.ray_id(),
                    attempts = error.attempts(),
                    "failed"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url)
            .field("credentials", &self.shared.credentials)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Exactly one credential must be given.
///
/// ```
/// use std::time::Duration;
/// use cf_ssh_settings::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .api_token("0123456789abcdef")
///     .base_url("http://127.0.0.1:8787/client/v4")
///     .attempt_timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().max_attempts(5))
///     .limit_requests(1200, Duration::from_secs(300))
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8787/client/v4");
///
/// // Plain http goes to loopback hosts only: the API refuses http.
/// assert!(Client::builder().api_token("t").base_url("http://example.com").build().is_err());
/// # Ok::<(), cf_ssh_settings::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    credentials: Vec<Result<Credentials, Error>>,
    base_url: Option<String>,
    connect_timeout: Duration,
    limit: Option<(u32, Duration)>,
    config: CallConfig,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            credentials: Vec::new(),
            base_url: None,
            connect_timeout: Duration::from_secs(5),
            limit: None,
            config: CallConfig {
                retry: RetryPolicy::default(),
                attempt_timeout: Duration::from_secs(30),
                deadline: None,
                max_body_bytes: 1 << 20,
            },
        }
    }
}

impl ClientBuilder {
    /// Authenticate with an API token (preferred). An invalid token (empty,
    /// or with whitespace) makes `build` fail.
    pub fn api_token(self, token: impl Into<String>) -> Self {
        self.push_credentials(Credentials::api_token(token))
    }

    /// Authenticate with a global API key and its user's email.
    pub fn api_key(self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.push_credentials(Credentials::api_key(email, key))
    }

    /// Authenticate with credentials made beforehand.
    pub fn credentials(self, credentials: Credentials) -> Self {
        self.push_credentials(Ok(credentials))
    }

    /// Errors in making credentials surface from `build`, so that the
    /// builder chains.
    fn push_credentials(mut self, credentials: Result<Credentials, Error>) -> Self {
        self.credentials.push(credentials);
        self
    }

    /// Credentials as [`Credentials::from_env`] reads them, and
    /// `CLOUDFLARE_BASE_URL` if set: [`Client::from_env`] with the rest of
    /// the builder's settings still open.
    ///
    /// ```
    /// # if std::env::var_os("CLOUDFLARE_API_TOKEN").is_some() {
    /// use std::time::Duration;
    /// let client = cf_ssh_settings::Client::builder()
    ///     .env()?
    ///     .limit_requests(1200, Duration::from_secs(300))
    ///     .build()?;
    /// # }
    /// # Ok::<(), cf_ssh_settings::Error>(())
    /// ```
    pub fn env(self) -> Result<Self, Error> {
        let mut builder = self.credentials(Credentials::from_env()?);
        if let Some(url) = std::env::var(BASE_URL_VAR)
            .ok()
            .filter(|url| !url.is_empty())
        {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// Send requests here instead of `https://api.cloudflare.com/client/v4`.
    /// A trailing slash is fine; `http://` is accepted only for loopback
    /// hosts (127.0.0.0/8, ::1, localhost).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long connecting may take. Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, body included. Default 30 s.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.config.attempt_timeout = timeout;
        self
    }

    /// How long a call may take in all, attempts and waits included.
    /// Default: no deadline beyond the attempts' own timeouts.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.config.deadline = Some(deadline);
        self
    }

    /// The retry policy of every call. Default [`RetryPolicy::default`].
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// Send at most `max` requests in any `window`, waiting as needed, across
    /// all clones of the client: e.g. `(1200, 5 minutes)`, Cloudflare's limit,
    /// keeps many concurrent tasks from being answered 429. Default: none.
    pub fn limit_requests(mut self, max: u32, window: Duration) -> Self {
        self.limit = Some((max, window));
        self
    }

    /// The largest response body read. Default 1 MiB; a larger body is an
    /// error, never read whole.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.config.max_body_bytes = bytes;
        self
    }

    /// Checks the configuration and makes the client.
    pub fn build(self) -> Result<Client, Error> {
        let mut given = self.credentials.into_iter();
        let credentials = match (given.next(), given.next()) {
            (None, _) => {
                return Err(Error::config(
                    "no credentials: call api_token or api_key on the builder, or use \
                     Client::from_env"
                        .into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "more than one credential was given (api_token, api_key or credentials): \
                     give exactly one"
                        .into(),
                ));
            }
            (Some(credentials), None) => credentials?,
        };
        let base_url = check_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(credentials.headers())
            // The API never redirects; following one could carry credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.config.attempt_timeout)
            .build()
            .map_err(|e| Error::config(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            shared: Arc::new(Shared {
                base_url,
                http,
                credentials,
                limiter: self.limit.map(|(max, window)| Limiter::new(max, window)),
                rate_limit: Mutex::new(None),
            }),
            config: self.config,
        })
    }
}

/// A base URL without trailing slash, https or loopback http.
fn check_base_url(text: &str) -> Result<String, Error> {
    let invalid = |reason: &str| Error::invalid_input("base URL", reason.to_string());
    let url = reqwest::Url::parse(text.trim_end_matches('/'))
        .map_err(|e| invalid(&format!("{e}; expected e.g. {DEFAULT_BASE_URL}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not carry a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                "plain http is accepted only for loopback hosts (127.0.0.0/8, ::1, \
                 localhost): the API refuses http, and credentials would travel in clear",
            ));
        }
        _ => return Err(invalid("the scheme must be https")),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert_eq!(
            check_base_url("https://api.cloudflare.com/client/v4/").unwrap(),
            "https://api.cloudflare.com/client/v4"
        );
        for ok in [
            "http://127.0.0.1:8787",
            "http://127.1.2.3/x",
            "http://[::1]:80/client/v4",
            "http://LOCALHOST:1",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "https://u:p@api.cloudflare.com",
            "not a url",
            "https://h/?q=1",
        ] {
            assert_eq!(
                check_base_url(bad).unwrap_err().kind(),
                crate::ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn builder_needs_exactly_one_credential() {
        assert_eq!(
            Client::builder().build().unwrap_err().kind(),
            crate::ErrorKind::Config
        );
        let both = Client::builder()
            .api_token("t")
            .api_key("a@b.c", "k")
            .build()
            .unwrap_err();
        assert_eq!(both.kind(), crate::ErrorKind::Config);
        assert!(both.to_string().contains("exactly one"), "{both}");
    }
}
