//! `loketd backup DIR`: a consistent copy of the data folder while the daemon runs.
//!
//! The database is copied with SQLite's online backup API in one step (one read
//! snapshot; writers go on meanwhile). Then every file the *copy* names is copied:
//! raw mail and attachments are content-addressed and written before the transaction
//! that names them, so each file a committed row names exists and is never replaced.
//! A raw mail kept with its attachment bodies cut out needs those attachment files to
//! be read back (`store::raw`): each copied raw file is read, and every file it names is
//! copied too, whichever row names it. The capability key goes along (without it,
//! replies to old notifications are not commands).

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::key::KEY_FILE;
use super::{StoreError, attachment_path, raw};

/// What a backup holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Copied {
    pub tickets: i64,
    pub raw: usize,
    pub attachments: usize,
    /// Files the database names that are no longer on disk (retention removed them after
    /// closing, or they were lost): not copied, counted so the admin hears of them.
    pub missing: usize,
}

pub fn backup(data_dir: &Path, target: &Path) -> Result<Copied, StoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let db_path = target.join("loketd.sqlite");
    if db_path.exists() {
        return Err(StoreError::Io {
            path: db_path,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a backup is already there; give a new folder",
            ),
        });
    }
    for sub in ["", "raw", "attachments"] {
        let p = target.join(sub);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&p)
            .map_err(io(&p))?;
    }
    let src_path = data_dir.join("loketd.sqlite");
    let db = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Db { path, source }
    };
    let src = Connection::open(&src_path).map_err(db(&src_path))?;
    src.busy_timeout(Duration::from_secs(30))
        .map_err(db(&src_path))?;
    let tmp = target.join("loketd.sqlite.partial");
    let _ = fs::remove_file(&tmp);
    let mut dst = Connection::open(&tmp).map_err(db(&tmp))?;
    {
        let b = Backup::new(&src, &mut dst).map_err(db(&tmp))?;
        // All pages in one step: one consistent snapshot of the source.
        loop {
            match b.step(-1).map_err(db(&tmp))? {
                StepResult::Done => break,
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    let check: String = dst
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(db(&tmp))?;
    if check != "ok" {
        return Err(StoreError::Io {
            path: tmp,
            source: std::io::Error::other(format!("the copy fails integrity_check: {check}")),
        });
    }
    let mut copied = Copied {
        tickets: dst
            .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
            .map_err(db(&tmp))?,
        ..Copied::default()
    };
    let mut needed = std::collections::BTreeSet::new();
    for h in hashes(
        &dst,
        "SELECT raw_sha256 FROM messages UNION SELECT raw_sha256 FROM quarantine WHERE raw_sha256 IS NOT NULL",
    )
    .map_err(db(&tmp))?
    {
        let name = format!("{h}.eml");
        let to = target.join("raw").join(&name);
        if copy_file(&data_dir.join("raw").join(&name), &to)? {
            copied.raw += 1;
            let file = fs::read(&to).map_err(io(&to))?;
            needed.extend(raw::needs(&file, &h));
        } else {
            copied.missing += 1;
        }
    }
    needed.extend(hashes(&dst, "SELECT DISTINCT sha256 FROM attachments").map_err(db(&tmp))?);
    for h in needed {
        if copy_file(&attachment_path(data_dir, &h), &attachment_path(target, &h))? {
            copied.attachments += 1;
        } else {
            copied.missing += 1;
        }
    }
    drop(dst);
    let key = data_dir.join(KEY_FILE);
    if key.exists() {
        copy_file(&key, &target.join(KEY_FILE))?;
    }
    fs::rename(&tmp, &db_path).map_err(io(&db_path))?;
    Ok(copied)
}

/// The hashes a query lists, checked to be plain hex (they become file names).
fn hashes(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let all: Vec<String> = rows.collect::<Result<_, _>>()?;
    Ok(all
        .into_iter()
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
        .collect())
}

/// Copies a file (mode 0600), unless the target is already there (same content).
/// Copies one file; `false` when the source is gone (the rows outlive the files that
/// retention removes), any other failure is an error.
fn copy_file(from: &Path, to: &PathBuf) -> Result<bool, StoreError> {
    if to.exists() {
        return Ok(true);
    }
    match fs::copy(from, to) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !from.exists() => return Ok(false),
        Err(source) => {
            return Err(StoreError::Io {
                path: from.to_path_buf(),
                source,
            });
        }
    }
    fs::set_permissions(to, fs::Permissions::from_mode(0o600)).map_err(|source| {
        StoreError::Io {
            path: to.clone(),
            source,
        }
    })?;
    Ok(true)
}
