//! The per-account settings and the in-memory store that holds them.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::persist;

/// One account's SSH settings, as the API's `result` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Settings {
    /// What an account's settings look like when they first come into
    /// existence: a seed, timestamps, no public key.
    pub fn initial(now: &str) -> Self {
        Settings {
            created_at: Some(now.to_owned()),
            public_key: None,
            seed_id: Some(new_seed()),
            updated_at: Some(now.to_owned()),
        }
    }
}

/// A change a successful request makes.
pub(crate) enum Change {
    /// Only bring the settings into existence (GET).
    Touch,
    SetPublicKey(String),
    RotateSeed,
}

/// All accounts' settings, optionally mirrored to a JSON file.
pub(crate) struct Store {
    accounts: BTreeMap<String, Settings>,
    file: Option<PathBuf>,
    last_tick: Option<DateTime<Utc>>,
}

impl Store {
    /// Opens the store, reading `file` if it exists.
    pub fn open(file: Option<PathBuf>) -> io::Result<Self> {
        let accounts = match &file {
            Some(path) => persist::load(path)?,
            None => BTreeMap::new(),
        };
        Ok(Store {
            accounts,
            file,
            last_tick: None,
        })
    }

    pub fn get(&self, account: &str) -> Option<&Settings> {
        self.accounts.get(account)
    }

    /// Applies `change` and persists it before returning, so that a
    /// client never sees a write that a restart would lose.
    pub fn apply(&mut self, account: &str, change: Change) -> io::Result<Settings> {
        let before = self.accounts.get(account).cloned();
        let now = self.tick();
        let settings = self
            .accounts
            .entry(account.to_owned())
            .or_insert_with(|| Settings::initial(&now));
        match change {
            Change::Touch => {}
            Change::SetPublicKey(key) => {
                settings.public_key = Some(key);
                settings.updated_at = Some(now);
            }
            Change::RotateSeed => {
                settings.seed_id = Some(new_seed());
                settings.updated_at = Some(now);
            }
        }
        let after = settings.clone();
        if before.as_ref() != Some(&after)
            && let Some(path) = &self.file
            && let Err(error) = persist::save(path, &self.accounts)
        {
            // Roll back so memory never runs ahead of the file.
            match before {
                Some(old) => self.accounts.insert(account.to_owned(), old),
                None => self.accounts.remove(account),
            };
            return Err(error);
        }
        Ok(after)
    }

    /// The current time, strictly later than any earlier tick at the
    /// microsecond precision timestamps are shown with, so "the last
    /// write" is always well defined by `updated_at`.
    fn tick(&mut self) -> String {
        let now = Utc::now();
        let mut now = now - TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1000));
        if let Some(last) = self.last_tick
            && now <= last
        {
            now = last + TimeDelta::microseconds(1);
        }
        self.last_tick = Some(now);
        now.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

/// The current time as the API shows timestamps (UTC, microseconds).
pub(crate) fn format_now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn new_seed() -> String {
    uuid::Uuid::new_v4().to_string()
}
