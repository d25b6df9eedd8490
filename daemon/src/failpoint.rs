//! Named crash points on the paths where a crash matters, for the crash test. Built
//! only with the `failpoints` feature (the daemon's own tests turn it on); in any other
//! build [`hit`] and [`mark`] are empty and vanish.
//!
//! The test arms one point per process with `LOKETD_FAILPOINT=<name>:<n>[:<action>]`:
//! the n-th time the process passes `<name>` it aborts (`crash`, the default: no
//! clean-up, as SIGKILL or a power cut), sends itself SIGTERM (`term`, to test the
//! clean stop at an exact place) or panics (`panic`, as a bug on one mail would). Each hit of an armed point and each [`mark`] is
//! appended to `LOKETD_FAILPOINT_LOG` as `<pid> <what> [<detail>]`, so the test counts
//! what happened from the log.

/// After a mail's files are written and fsynced, before its rows.
pub const FILES_WRITTEN: &str = "files-written";
/// While one mail is being recorded (its savepoint open): where a bug would panic.
pub const RECORDING: &str = "recording";
/// After a mail's rows are written in its batch's transaction, before the commit.
pub const STORED_IN_BATCH: &str = "stored-in-batch";
/// After a batch's transaction (or an oversized mail's) committed, before its MOVE.
pub const COMMIT_BEFORE_MOVE: &str = "commit-before-move";
/// After a batch's processed mail was moved, before its quarantined mail is.
pub const BATCH_BEFORE_MOVE: &str = "batch-before-move";
/// After the SMTP server accepted a mail, before its outbox row is marked sent.
pub const SENT_BEFORE_MARK: &str = "sent-before-mark";
/// Inside a schema migration's transaction, before its commit.
pub const MIGRATION: &str = "migration";

#[cfg(feature = "failpoints")]
mod armed {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};

    struct Armed {
        name: String,
        nth: u64,
        action: Option<String>,
    }

    fn armed() -> Option<&'static Armed> {
        static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
        ARMED
            .get_or_init(|| {
                let spec = std::env::var("LOKETD_FAILPOINT").ok()?;
                let mut parts = spec.split(':');
                let name = parts.next()?.to_string();
                let nth = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
                let action = parts.next().map(str::to_string);
                Some(Armed { name, nth, action })
            })
            .as_ref()
    }

    pub(crate) fn log(what: &str, detail: &str) {
        static LOG: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
        let log = LOG.get_or_init(|| {
            let path = std::env::var_os("LOKETD_FAILPOINT_LOG")?;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
                .map(Mutex::new)
        });
        if let Some(file) = log {
            // One write per line: a line survives a SIGKILL right after it.
            let line = format!("{} {what} {detail}\n", std::process::id());
            let mut f = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = f.write_all(line.as_bytes());
        }
    }

    pub(crate) fn hit(name: &str) {
        static HITS: AtomicU64 = AtomicU64::new(0);
        let Some(a) = armed().filter(|a| a.name == name) else {
            return;
        };
        if HITS.fetch_add(1, Ordering::SeqCst) + 1 != a.nth {
            return;
        }
        if a.action.as_deref() == Some("panic") {
            log("panic", name);
            panic!("failpoint {name}");
        }
        if a.action.as_deref() == Some("term") {
            log("term", name);
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(std::process::id().to_string())
                .status();
            // The handler runs on whichever thread the kernel picks: give it time to
            // set the stop flag before this thread goes on to look at it.
            std::thread::sleep(std::time::Duration::from_millis(300));
        } else {
            log("crash", name);
            std::process::abort();
        }
    }
}

/// Passes the named crash point (see the module docs).
#[inline]
pub fn hit(name: &str) {
    #[cfg(feature = "failpoints")]
    armed::hit(name);
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// Notes a step in the failpoint log (e.g. `send <outbox id>`), for the test's
/// accounting.
#[inline]
pub fn mark(what: &str, detail: &dyn std::fmt::Display) {
    #[cfg(feature = "failpoints")]
    armed::log(what, &detail.to_string());
    #[cfg(not(feature = "failpoints"))]
    let _ = (what, detail);
}
