//! The state file: load at start, atomic rewrite on every change.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::settings::Settings;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    accounts: BTreeMap<String, Settings>,
}

/// Reads the accounts from `path`; a missing file is an empty state.
pub(crate) fn load(path: &Path) -> io::Result<BTreeMap<String, Settings>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => return Err(error),
    };
    let state: StateFile = serde_json::from_slice(&bytes).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("state file {}: {error}", path.display()),
        )
    })?;
    if state.version != VERSION {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "state file {}: version {} is not {VERSION}",
                path.display(),
                state.version
            ),
        ));
    }
    Ok(state.accounts)
}

/// Replaces `path` atomically: a crash leaves either the old or the new
/// file, never a torn one.
pub(crate) fn save(path: &Path, accounts: &BTreeMap<String, Settings>) -> io::Result<()> {
    let state = StateFile {
        version: VERSION,
        accounts: accounts.clone(),
    };
    let mut bytes = serde_json::to_vec_pretty(&state).map_err(io::Error::other)?;
    bytes.push(b'\n');
    let temp = temp_path(path);
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
        return written;
    }
    sync_parent(path);
    Ok(())
}

/// A temporary name in the same directory (rename is only atomic within
/// one file system), unique per process and per write.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

/// Makes the rename itself durable; best effort, since not every platform
/// can open a directory.
fn sync_parent(path: &Path) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}
