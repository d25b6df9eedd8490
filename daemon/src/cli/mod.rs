//! The commands that show things (they only read: no lock, fine beside `run`), and
//! what they share: office-local times, sizes, stdout that a closed pipe ends quietly.

pub(crate) mod status;
pub(crate) mod view;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use loket_core::config::{Config, DeskConfig};
use loket_core::text;
use loketd::store::Store;

/// Writes one line to stdout. An error (a closed pipe: `loketd tickets | head`) goes
/// back to `main`, which ends quietly on a broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}
pub(crate) use say;

/// Whether an error is stdout's reader going away.
pub(crate) fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// site.toml and the store, for the commands that only read.
pub(crate) struct Office {
    pub config: DeskConfig,
    pub store: Store,
}

impl Office {
    pub(crate) fn open(root: &Path) -> Result<Office> {
        let config = Config::load(root)
            .and_then(Config::into_desk)
            .context("site.toml")?;
        let store = Store::open(&config.mail.data_dir)?;
        Ok(Office { config, store })
    }

    fn zone(&self) -> FixedOffset {
        self.config.office_hours.utc_offset
    }

    /// "Selasa, 1 Des 2026 14.02 WITA".
    pub(crate) fn time(&self, at: DateTime<Utc>) -> String {
        text::datetime_id(at, self.zone())
    }

    pub(crate) fn opt_time(&self, at: Option<DateTime<Utc>>) -> String {
        at.map_or_else(|| "-".to_string(), |t| self.time(t))
    }

    pub(crate) fn data_dir(&self) -> &PathBuf {
        &self.config.mail.data_dir
    }
}

/// "812 B", "4.2 KB", "9.1 MB".
pub(crate) fn size(bytes: u64) -> String {
    const K: f64 = 1000.0;
    let b = bytes as f64;
    if b < K {
        format!("{bytes} B")
    } else if b < K * K {
        format!("{:.1} KB", b / K)
    } else {
        format!("{:.1} MB", b / K / K)
    }
}

/// "45 s", "12 min", "3 h 5 min", "2 d 4 h".
pub(crate) fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Flushes stdout, so a closed pipe is noticed here and not at exit.
pub(crate) fn flush() -> Result<()> {
    std::io::stdout().flush()?;
    Ok(())
}
