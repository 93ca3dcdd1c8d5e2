//! Operations, the faults that can be injected into them, and the
//! command-line syntax for faults.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// An API operation, for counting requests and targeting faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET .../audit_ssh_settings`
    GetSettings,
    /// `PUT .../audit_ssh_settings`
    UpdateSettings,
    /// `POST .../audit_ssh_settings/rotate_seed`
    RotateSeed,
    /// Every request, including ones that match no route.
    Any,
}

impl Operation {
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Operation::GetSettings => "get_settings",
            Operation::UpdateSettings => "update_settings",
            Operation::RotateSeed => "rotate_seed",
            Operation::Any => "any",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Operation {
    type Err = String;

    /// Accepts `get`/`get_settings`, `update`/`put`/`update_settings`,
    /// `rotate`/`rotate_seed`, `any`/`*`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "get" | "get_settings" => Ok(Operation::GetSettings),
            "update" | "put" | "update_settings" => Ok(Operation::UpdateSettings),
            "rotate" | "rotate_seed" => Ok(Operation::RotateSeed),
            "any" | "*" => Ok(Operation::Any),
            _ => Err(format!(
                "unknown operation {s:?} (expected get, update, rotate_seed or any)"
            )),
        }
    }
}

/// How a request misbehaves. A faulted request never changes state,
/// except [`Fault::Delay`], which acts at once and answers late.
///
/// Status codes that are not valid HTTP (outside 100..=999) are sent as 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429, code 971, with this `Retry-After` value.
    RateLimited {
        /// Sent verbatim: seconds or an HTTP date.
        retry_after: String,
    },
    /// A Cloudflare-style HTML error page (`text/html`).
    HtmlError {
        /// e.g. 500, 502, 503, 504, 520-527.
        status: u16,
    },
    /// 200 with `success: false` and error code 1001.
    SuccessFalse,
    /// 200 with `success: true` and no `result` member.
    MissingResult,
    /// 200 whose `content-length` announces the full body; only part of it
    /// is sent, then the connection closes.
    TruncatedBody,
    /// 200, `application/json`, a body that is not JSON.
    InvalidJson,
    /// 200, valid JSON of the wrong shape (`"result": {"seed_id": 42, ...}`).
    WrongShape,
    /// Acts at once, like a slow server, and answers this much later.
    Delay(Duration),
    /// Closes the connection without any response.
    DropConnection,
    /// A redirect with an empty body and no `content-type`.
    Redirect {
        /// A 3xx status.
        status: u16,
        /// The `Location` header, verbatim.
        location: String,
    },
    /// 200 `application/json` body of exactly `bytes` bytes
    /// (`{"pad":"xxx…"}`), streamed.
    HugeBody {
        /// Total body length.
        bytes: usize,
    },
    /// Any other answer.
    Status {
        /// The HTTP status.
        status: u16,
        /// The `content-type` header, verbatim.
        content_type: String,
        /// The body, verbatim.
        body: String,
    },
}

impl fmt::Display for Fault {
    /// The fault in `--fault` syntax (without operation and count).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::RateLimited { retry_after } => write!(f, "rate-limited:{retry_after}"),
            Fault::HtmlError { status } => write!(f, "html:{status}"),
            Fault::SuccessFalse => f.write_str("success-false"),
            Fault::MissingResult => f.write_str("missing-result"),
            Fault::TruncatedBody => f.write_str("truncated"),
            Fault::InvalidJson => f.write_str("invalid-json"),
            Fault::WrongShape => f.write_str("wrong-shape"),
            Fault::Delay(d) => write!(f, "delay:{}", d.as_millis()),
            Fault::DropConnection => f.write_str("drop"),
            Fault::Redirect { status, location } => write!(f, "redirect:{status}:{location}"),
            Fault::HugeBody { bytes } => write!(f, "huge:{bytes}"),
            Fault::Status {
                status,
                content_type,
                body,
            } => write!(f, "status:{status}:{content_type}:{body}"),
        }
    }
}

/// A fault as written on the command line: `OP[*N]=KIND[:ARG...]`.
///
/// Kinds: `rate-limited:RETRY_AFTER`, `html:STATUS`, `success-false`,
/// `missing-result`, `truncated`, `invalid-json`, `wrong-shape`,
/// `delay:MILLIS`, `drop`, `redirect:STATUS:LOCATION`, `huge:BYTES`,
/// `status:STATUS:CONTENT_TYPE:BODY`. The last argument of
/// `rate-limited`, `redirect` and `status` is taken verbatim (it may hold
/// colons), so their count goes after the operation (`any*3=...`). Kinds
/// whose arguments are all numbers also take the count as a final `:N`
/// (`rotate_seed=html:503:2`). The count defaults to 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// Which requests the fault applies to.
    pub operation: Operation,
    /// What happens to them.
    pub fault: Fault,
    /// How many matching requests it applies to.
    pub count: usize,
}

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let (lhs, rhs) = spec
            .split_once('=')
            .ok_or_else(|| format!("fault {spec:?}: expected OP[*N]=KIND[:ARG...]"))?;
        let (op, lhs_count) = match lhs.split_once('*') {
            Some((op, n)) if !op.is_empty() => (op, Some(parse_count(n)?)),
            _ => (lhs, None),
        };
        let operation = op.parse()?;
        let (kind, args) = match rhs.split_once(':') {
            Some((kind, args)) => (kind, Some(args)),
            None => (rhs, None),
        };
        let kind = kind.to_ascii_lowercase().replace('_', "-");
        let (fault, tail_count) = parse_kind(&kind, args)?;
        let count = match (lhs_count, tail_count) {
            (Some(_), Some(_)) => return Err(format!("fault {spec:?}: count given twice")),
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => 1,
        };
        Ok(FaultSpec {
            operation,
            fault,
            count,
        })
    }
}

/// Parses a kind and its arguments; returns the fault and a trailing count.
fn parse_kind(kind: &str, args: Option<&str>) -> Result<(Fault, Option<usize>), String> {
    let text = |what: &str| args.ok_or_else(|| format!("{kind} needs {what}"));
    let numeric = |what: &str| -> Result<(u64, Option<usize>), String> {
        let args = text(what)?;
        let (value, count) = match args.split_once(':') {
            Some((value, count)) => (value, Some(parse_count(count)?)),
            None => (args, None),
        };
        let value = value
            .parse()
            .map_err(|_| format!("{kind}: {what} must be a number, got {value:?}"))?;
        Ok((value, count))
    };
    let bare = |fault: Fault| -> Result<(Fault, Option<usize>), String> {
        Ok((fault, args.map(parse_count).transpose()?))
    };
    match kind {
        "rate-limited" | "ratelimited" | "429" => Ok((
            Fault::RateLimited {
                retry_after: text("a Retry-After value")?.to_owned(),
            },
            None,
        )),
        "html" => {
            let (status, count) = numeric("a status")?;
            Ok((
                Fault::HtmlError {
                    status: status_code(status)?,
                },
                count,
            ))
        }
        "success-false" => bare(Fault::SuccessFalse),
        "missing-result" => bare(Fault::MissingResult),
        "truncated" | "truncated-body" => bare(Fault::TruncatedBody),
        "invalid-json" => bare(Fault::InvalidJson),
        "wrong-shape" => bare(Fault::WrongShape),
        "drop" | "drop-connection" => bare(Fault::DropConnection),
        "delay" => {
            let (millis, count) = numeric("milliseconds")?;
            Ok((Fault::Delay(Duration::from_millis(millis)), count))
        }
        "huge" | "huge-body" => {
            let (bytes, count) = numeric("a byte count")?;
            let bytes = usize::try_from(bytes).map_err(|_| "huge: too many bytes".to_owned())?;
            Ok((Fault::HugeBody { bytes }, count))
        }
        "redirect" => {
            let (status, location) = text("STATUS:LOCATION")?
                .split_once(':')
                .ok_or("redirect needs STATUS:LOCATION")?;
            let status = status_code(status.parse().map_err(|_| "redirect: bad status")?)?;
            if !(300..400).contains(&status) {
                return Err(format!("redirect: {status} is not a 3xx status"));
            }
            let location = location.to_owned();
            Ok((Fault::Redirect { status, location }, None))
        }
        "status" => {
            let mut parts = text("STATUS:CONTENT_TYPE:BODY")?.splitn(3, ':');
            let status = parts.next().unwrap_or_default();
            let status = status_code(status.parse().map_err(|_| "status: bad status")?)?;
            let content_type = parts.next().unwrap_or_default().to_owned();
            let body = parts.next().unwrap_or_default().to_owned();
            Ok((
                Fault::Status {
                    status,
                    content_type,
                    body,
                },
                None,
            ))
        }
        _ => Err(format!("unknown fault kind {kind:?}")),
    }
}

fn parse_count(n: &str) -> Result<usize, String> {
    match n.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("fault count must be a positive number, got {n:?}")),
    }
}

fn status_code(status: u64) -> Result<u16, String> {
    match u16::try_from(status) {
        Ok(s) if (100..=999).contains(&s) => Ok(s),
        _ => Err(format!("{status} is not an HTTP status")),
    }
}

/// Pending faults, consumed in the order they were injected.
#[derive(Default)]
pub(crate) struct FaultQueue {
    pending: Mutex<Vec<(Operation, Fault, usize)>>,
}

impl FaultQueue {
    pub fn push(&self, operation: Operation, fault: Fault, count: usize) {
        if count > 0 {
            self.lock().push((operation, fault, count));
        }
    }

    /// Takes one use of the first fault matching a request for `op`
    /// (`None`: a request that matches no operation).
    pub fn take(&self, op: Option<Operation>) -> Option<Fault> {
        let mut pending = self.lock();
        let index = pending
            .iter()
            .position(|(target, _, _)| *target == Operation::Any || Some(*target) == op)?;
        let entry = &mut pending[index];
        entry.2 -= 1;
        let fault = entry.1.clone();
        if entry.2 == 0 {
            pending.remove(index);
        }
        Some(fault)
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn remaining(&self) -> usize {
        self.lock().iter().map(|(_, _, n)| n).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Operation, Fault, usize)>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}
