//! Drains the outbox over SMTP, one connection for the whole flush: every due row is
//! sent, marked sent, retried later with backoff (4xx), or marked failed (5xx, or after
//! 72 h), one at a time, so at most one mail is in flight when loketd dies. While the server cannot be
//! reached at all, mail stays due and the caller backs off as a whole. Nothing is
//! dropped.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::failpoint;
use crate::net::smtp::{FailureKind, Sender, Session};
use crate::store::StoreError;
use crate::store::outbox::{self, Pending};

/// What one flush did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// The server could not be reached: nothing more was tried; the caller backs off.
    pub unreachable: bool,
    /// The server refused our login or TLS (its answer): nothing more was tried, no
    /// mail is at fault; the caller holds the queue, says what to check and backs off.
    pub refused_us: Option<String>,
}

/// Sends everything that is due, in batches of rows read from the outbox. Stops at
/// the first connection-level failure: the server is away, and the other mails would
/// only fail the same way.
pub fn flush(
    sender: &Sender,
    conn: &Connection,
    now: DateTime<Utc>,
) -> Result<Flushed, StoreError> {
    flush_until(sender, conn, now, &AtomicBool::new(false))
}

/// [`flush`], stopping before the next mail once `stop` is set (a clean stop finishes
/// the mail in flight and leaves the rest queued).
pub fn flush_until(
    sender: &Sender,
    conn: &Connection,
    now: DateTime<Utc>,
    stop: &AtomicBool,
) -> Result<Flushed, StoreError> {
    let mut done = Flushed::default();
    // One connection for the whole flush (see `Session`).
    let mut session = sender.session();
    // Each row leaves the due set (sent, failed, or retried later than `now`), so
    // every round makes progress and the loop ends.
    loop {
        let due = outbox::due(conn, now, 200)?;
        if due.is_empty() || !send_batch(&mut session, conn, now, due, &mut done, stop)? {
            return Ok(done);
        }
    }
}

/// Sends one batch; false when the server went away or `stop` is set (stop flushing).
fn send_batch(
    session: &mut Session<'_>,
    conn: &Connection,
    now: DateTime<Utc>,
    due: Vec<Pending>,
    done: &mut Flushed,
    stop: &AtomicBool,
) -> Result<bool, StoreError> {
    for p in due {
        if stop.load(Ordering::SeqCst) {
            return Ok(false);
        }
        failpoint::mark("send", &p.id);
        match session.send(&p.recipients, &p.raw) {
            Ok(()) => {
                failpoint::hit(failpoint::SENT_BEFORE_MARK);
                outbox::mark_sent(conn, p.id, Utc::now())?;
                failpoint::mark("marked", &p.id);
                tracing::info!(id = p.id, message_id = %p.message_id, to = %p.recipients.join(","), "sent");
                done.sent += 1;
            }
            Err(f) if f.kind == FailureKind::Permanent => {
                tracing::warn!(id = p.id, error = %f.message, "SMTP refused the mail for good");
                outbox::mark_failed(conn, p.id, &f.message)?;
                done.failed += 1;
            }
            // The server is away: the mail stays due (a per-mail backoff would hold
            // every queued reply back long after the server returns).
            Err(f) if f.kind == FailureKind::Connection => {
                tracing::warn!(id = p.id, error = %f.message, "SMTP server unreachable, mail stays queued");
                outbox::mark_unreachable(conn, &p, &f.message, now)?;
                done.retried += 1;
                done.unreachable = true;
                return Ok(false);
            }
            // Our login or TLS was refused: the mail keeps its place and its attempts,
            // and is never given up for it; the caller says what to fix.
            Err(f) if f.kind == FailureKind::Config => {
                outbox::note_error(conn, p.id, &f.message)?;
                done.refused_us = Some(f.message);
                return Ok(false);
            }
            Err(f) => {
                tracing::warn!(id = p.id, error = %f.message, "SMTP failed, will retry");
                outbox::mark_retry(conn, &p, &f.message, now)?;
                done.retried += 1;
            }
        }
    }
    Ok(true)
}
