//! What the emulator received: per-operation counts and a request log.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::fault::Operation;

/// One request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The request target as sent: path, plus `?query` if there was one.
    pub path: String,
    /// Header names in lower case, values as sent (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// The body bytes (at most the emulator's body limit).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Log {
    /// Indexed by `Operation::index`; `Any` counts everything.
    counts: [usize; 4],
    requests: VecDeque<RecordedRequest>,
}

/// Counts and keeps requests; `max` bounds the kept log (oldest dropped).
pub(crate) struct Recorder {
    log: Mutex<Log>,
    max: Option<usize>,
}

impl Recorder {
    pub fn new(max: Option<usize>) -> Self {
        Recorder {
            log: Mutex::new(Log::default()),
            max,
        }
    }

    pub fn record(&self, op: Option<Operation>, request: RecordedRequest) {
        let mut log = self.lock();
        log.counts[Operation::Any.index()] += 1;
        if let Some(op) = op {
            log.counts[op.index()] += 1;
        }
        if self.max == Some(0) {
            return;
        }
        if self.max.is_some_and(|max| log.requests.len() >= max) {
            log.requests.pop_front();
        }
        log.requests.push_back(request);
    }

    pub fn count(&self, op: Operation) -> usize {
        self.lock().counts[op.index()]
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.iter().cloned().collect()
    }

    pub fn clear(&self) {
        *self.lock() = Log::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}
