//! One loketd per data folder: `data_dir/loketd.lock`, locked with flock for the life of
//! `run` and of every command that writes. Two writers on one folder would send the
//! same acknowledgement twice and race each other's outbox rows; the second one stops
//! at once instead and names the process holding the lock. The kernel drops the lock
//! when the holder exits, however it exits, so a crash never leaves a stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// File name of the lock inside the data folder.
pub const LOCK_FILE: &str = "loketd.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another loketd ({holder}) is already working on {dir}; only one may run per data \
         folder. Stop it first (`systemctl stop loketd`), or use the read-only commands \
         (tickets, show, report, status) while it runs"
    )]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The lock, held until dropped (or the process ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Takes the lock on `data_dir` without waiting, creating the folder and the lock
    /// file if needed, and writes our PID into it for the next one to name.
    pub fn acquire(data_dir: &Path) -> Result<DataLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::Held {
                    dir: data_dir.to_path_buf(),
                    holder: if pid.is_empty() {
                        "PID not yet written".to_string()
                    } else {
                        format!("PID {pid}")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DataLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        // flock locks belong to the open file description: a second open in the same
        // process conflicts just as another process would.
        let e = DataLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("PID {}", std::process::id())), "{e}");
        drop(first);
        DataLock::acquire(dir.path()).unwrap();
    }
}
