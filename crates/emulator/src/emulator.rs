//! The public handle: building, starting, steering and stopping an emulator.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Credentials;
use crate::fault::{Fault, FaultQueue, Operation};
use crate::ratelimit::RateLimiter;
use crate::record::{RecordedRequest, Recorder};
use crate::server::serve;
use crate::settings::Store;
use crate::shared::Shared;

/// The path prefix of Cloudflare's base URL.
pub const DEFAULT_PREFIX: &str = "/client/v4";
/// Cloudflare's documented limit: 1200 requests per 5 minutes per user.
pub const DEFAULT_RATE_LIMIT: (u32, Duration) = (1200, Duration::from_secs(300));

/// Configures an [`Emulator`]; get one from [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    credentials: Credentials,
    prefix: String,
    rate_limit: (u32, Duration),
    state_file: Option<PathBuf>,
    addr: SocketAddr,
    faults: Vec<(Operation, Fault, usize)>,
    log_requests: bool,
    max_recorded: Option<usize>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            credentials: Credentials::default(),
            prefix: DEFAULT_PREFIX.to_owned(),
            rate_limit: DEFAULT_RATE_LIMIT,
            state_file: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            faults: Vec::new(),
            log_requests: false,
            max_recorded: None,
        }
    }
}

impl EmulatorBuilder {
    /// Accepts `Authorization: Bearer <token>` for these accounts.
    /// Repeatable; a token given twice gets the union of its accounts.
    pub fn token<A>(mut self, token: impl Into<String>, accounts: A) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
    {
        let accounts = accounts.into_iter().map(Into::into);
        self.credentials.add_token(token.into(), accounts);
        self
    }

    /// Accepts `X-Auth-Email` + `X-Auth-Key` for these accounts.
    pub fn api_key<A>(
        mut self,
        email: impl Into<String>,
        key: impl Into<String>,
        accounts: A,
    ) -> Self
    where
        A: IntoIterator,
        A::Item: Into<String>,
    {
        let accounts = accounts.into_iter().map(Into::into);
        self.credentials.add_key(email.into(), key.into(), accounts);
        self
    }

    /// Serves the API below this path (default `/client/v4`); `""` or `"/"`
    /// serves it at the root.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        let trimmed = prefix.trim_matches('/');
        self.prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        self
    }

    /// Allows `requests` per `window` per credential (default 1200 per 300 s).
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = (requests, window);
        self
    }

    /// Loads state from this JSON file at start (if it exists) and rewrites
    /// it atomically after every change.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Binds here instead of `127.0.0.1:0`.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Injects a fault before the first request (see [`Emulator::inject`]).
    pub fn fault(mut self, operation: Operation, fault: Fault, count: usize) -> Self {
        self.faults.push((operation, fault, count));
        self
    }

    /// Logs one line per request to stderr (method, path, status, time,
    /// cf-ray; never header values). Off by default.
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Keeps only the latest `max` requests for [`Emulator::received`]
    /// (default: all). Counts are kept regardless.
    pub fn max_recorded(mut self, max: usize) -> Self {
        self.max_recorded = Some(max);
        self
    }

    /// Binds, loads the state file and starts serving on the current Tokio
    /// runtime.
    pub async fn start(self) -> io::Result<Emulator> {
        if self.rate_limit.1.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "rate-limit window must be longer than zero",
            ));
        }
        let store = Store::open(self.state_file)?;
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let faults = FaultQueue::default();
        for (operation, fault, count) in self.faults {
            faults.push(operation, fault, count);
        }
        let shared = Arc::new(Shared {
            base_url: format!("http://{addr}{}", self.prefix),
            prefix: self.prefix,
            credentials: self.credentials,
            limiter: RateLimiter::new(self.rate_limit.0, self.rate_limit.1),
            store: Mutex::new(store),
            faults,
            recorder: Recorder::new(self.max_recorded),
            log_requests: self.log_requests,
        });
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, shared.clone(), stop_rx));
        Ok(Emulator {
            shared,
            running: Arc::new(Running {
                addr,
                stop,
                task: Mutex::new(Some(task)),
            }),
        })
    }
}

/// A running emulator. Cheap to clone; all clones steer the same server,
/// which stops on [`Emulator::shutdown`] or when the last clone is dropped.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
    running: Arc<Running>,
}

struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Emulator {
    /// A builder with the defaults: no credentials, prefix `/client/v4`,
    /// 1200 requests per 300 s, no state file, `127.0.0.1:0`.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:41234/client/v4`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// Makes the next `count` requests for `operation` misbehave
    /// (`Operation::Any`: any request). Faults are used up in the order
    /// they were injected.
    pub fn inject(&self, operation: Operation, fault: Fault, count: usize) {
        self.shared.faults.push(operation, fault, count);
    }

    /// Removes all pending faults.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Fault uses still pending.
    pub fn pending_faults(&self) -> usize {
        self.shared.faults.remaining()
    }

    /// Requests received for `operation` so far, faulted ones included
    /// (`Operation::Any`: all, including unrouted ones).
    pub fn requests(&self, operation: Operation) -> usize {
        self.shared.recorder.count(operation)
    }

    /// Every request received so far, oldest first.
    pub fn received(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.requests()
    }

    /// Forgets received requests and resets the counts.
    pub fn clear_received(&self) {
        self.shared.recorder.clear();
    }

    /// The stored settings of `account` (the API's `result` object), or
    /// `None` if it was never touched.
    pub fn settings(&self, account: &str) -> Option<serde_json::Value> {
        let store = self.shared.store();
        store
            .get(account)
            .map(|s| serde_json::to_value(s).expect("settings serialise"))
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s) and
    /// returns when the server is gone. Further calls return at once.
    pub async fn shutdown(&self) {
        let _ = self.running.stop.send(true);
        let task = self
            .running
            .task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}
