//! One pass over the inbox: list, fetch new mail in batches, store each batch in one
//! transaction (group commit: the files fsynced together, the folders once, one
//! commit), and only then move the batch out of the inbox with one MOVE per target
//! folder. Each mail is a savepoint inside it: a mail that cannot be processed (unparseable,
//! unanswerable, or a row it cannot have) is rolled back and quarantined with its
//! reason, and the rest of the batch goes on. Only a storage failure stops the pass:
//! the mails of the batch before it are committed and moved, that mail and the ones
//! after it stay in the inbox (tried again on the next pass). A crash loses at most the
//! uncommitted batch, which is fetched again; de-duplication makes a re-fetch of
//! anything committed a no-op. A stop request ends the pass after the mail in flight
//! (the batch so far is committed and moved).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use crate::desk::Desk;
use crate::failpoint;
use crate::net::imap::{Listed, Mailbox, MailboxError};
use crate::store::messages::Quarantine;
use crate::store::{Disposition, Files, Store, StoreError};
use crate::workflow::ingest::{self, IngestError, Outcome, Source};

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Mailbox(#[from] MailboxError),
    #[error("storage failed, mail left in the inbox: {0}")]
    Store(#[from] StoreError),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub fetched: usize,
    pub new_tickets: usize,
    pub replies: usize,
    pub staff: usize,
    pub stored_only: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    /// Mails stored by an earlier pass but still in the inbox (a crash between commit
    /// and MOVE): moved now, not processed again.
    pub recovered: usize,
}

impl PassReport {
    pub fn moved(&self) -> usize {
        self.new_tickets
            + self.replies
            + self.staff
            + self.stored_only
            + self.duplicates
            + self.quarantined
            + self.recovered
    }
}

pub fn pass(
    mb: &mut Mailbox,
    store: &mut Store,
    desk: &Desk,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<PassReport, PassError> {
    pass_until(mb, store, desk, now, &AtomicBool::new(false))
}

/// [`pass`], ending after the mail in flight once `stop` is set: that mail is committed
/// and moved, the rest stay in the inbox for the next start.
pub fn pass_until(
    mb: &mut Mailbox,
    store: &mut Store,
    desk: &Desk,
    now: impl Fn() -> DateTime<Utc>,
    stop: &AtomicBool,
) -> Result<PassReport, PassError> {
    let imap = &desk.config.mail.imap;
    let listed = mb.list()?;
    let uidvalidity = mb.uidvalidity();
    let folder = mb.folder().to_string();
    if let Some((known, _)) = store.folder_state(&folder)?
        && known != uidvalidity
    {
        tracing::warn!(
            folder,
            old = known,
            new = uidvalidity,
            "UIDVALIDITY changed: the server renumbered the folder; mail is matched by Message-ID and content"
        );
    }
    let mut report = PassReport::default();
    let source = |uid| Source {
        folder: folder.clone(),
        uidvalidity,
        uid,
    };

    let mut fresh = Vec::new();
    let (mut to_processed, mut to_quarantine) = (Vec::new(), Vec::new());
    for l in &listed {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match store.seen_uid(&folder, uidvalidity, l.uid)? {
            Some(Disposition::Processed) => {
                to_processed.push(l.uid);
                report.recovered += 1;
            }
            Some(Disposition::Quarantined) => {
                to_quarantine.push(l.uid);
                report.recovered += 1;
            }
            None if u64::from(l.size) > desk.config.mail.max_message_bytes => {
                let header = mb.fetch_header(l.uid)?;
                ingest::quarantine_oversize(
                    store,
                    desk,
                    &source(l.uid),
                    header.as_deref(),
                    l.size,
                    now(),
                )?;
                failpoint::hit(failpoint::COMMIT_BEFORE_MOVE);
                to_quarantine.push(l.uid);
                report.quarantined += 1;
            }
            None => fresh.push(*l),
        }
    }
    move_out(mb, desk, &mut to_processed, &mut to_quarantine)?;

    for batch in batches(&fresh, imap.batch_size, BATCH_BYTES) {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let fetched = mb.fetch(&batch)?;
        report.fetched += fetched.len();
        let (stored, failure) = store_batch(store, desk, &source, &fetched, &now, stop);
        for (uid, outcome) in stored {
            match outcome {
                Outcome::New { .. } => report.new_tickets += 1,
                Outcome::Reply { .. } => report.replies += 1,
                Outcome::Staff { .. } => report.staff += 1,
                Outcome::StoredOnly { .. } => report.stored_only += 1,
                Outcome::Duplicate => report.duplicates += 1,
                Outcome::Quarantined { .. } => {
                    report.quarantined += 1;
                    to_quarantine.push(uid);
                    continue;
                }
            }
            to_processed.push(uid);
        }
        failpoint::hit(failpoint::COMMIT_BEFORE_MOVE);
        move_out(mb, desk, &mut to_processed, &mut to_quarantine)?;
        if let Some(storage) = failure {
            return Err(storage.into());
        }
    }
    if report.moved() > 0 {
        tracing::info!(
            fetched = report.fetched,
            new_tickets = report.new_tickets,
            replies = report.replies,
            staff = report.staff,
            stored_only = report.stored_only,
            duplicates = report.duplicates,
            quarantined = report.quarantined,
            recovered = report.recovered,
            "inbox pass"
        );
    }
    Ok(report)
}

/// Stores a fetched batch in one transaction, each mail in a savepoint, until the end,
/// a stop request or a storage failure; then fsyncs the folders of its files and
/// commits. Returns what became of each committed mail, and the storage failure that
/// ended the batch early, if any (the mails from there on stay in the inbox). When the
/// commit itself fails, nothing of the batch is stored and nothing is returned.
fn store_batch(
    store: &mut Store,
    desk: &Desk,
    source: &dyn Fn(u32) -> Source,
    fetched: &[(u32, Vec<u8>)],
    now: &dyn Fn() -> DateTime<Utc>,
    stop: &AtomicBool,
) -> (Vec<(u32, Outcome)>, Option<StoreError>) {
    let (mut tx, files) = match store.batch() {
        Ok(b) => b,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut stored = Vec::new();
    let mut failure = None;
    for (uid, raw) in fetched {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match store_one(&mut tx, &files, desk, &source(*uid), raw, now()) {
            Ok(outcome) => stored.push((*uid, outcome)),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        failpoint::hit(failpoint::STORED_IN_BATCH);
    }
    // Files before the rows that name them: the folders are fsynced before the commit.
    match files.sync().and_then(|()| Ok(tx.commit()?)) {
        Ok(()) => (stored, failure),
        Err(e) => (Vec::new(), Some(failure.unwrap_or(e))),
    }
}

/// One mail of a batch, in a savepoint of the batch's transaction: its rows, or, when
/// anything about the mail itself fails (it cannot be parsed or answered, a row it
/// cannot have, a panic), those are rolled back and only its quarantine record is
/// kept, so the mails behind it are not held. Err only for a storage failure (disk,
/// lock timeout, permissions), also one that came up while a reply was being queued.
fn store_one(
    tx: &mut Transaction<'_>,
    files: &Files<'_>,
    desk: &Desk,
    src: &Source,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<Outcome, IngestError> {
        let prepared = ingest::prepare(files, desk, src, raw)?;
        let sp = tx.savepoint()?;
        let outcome = ingest::record(&sp, desk, &prepared, now)?;
        sp.commit()?;
        Ok(outcome)
    }));
    let reason = match result {
        Ok(Ok(outcome)) => return Ok(outcome),
        Ok(Err(e)) => match e.into_storage_failure() {
            Ok(storage) => return Err(storage),
            Err(IngestError::Store(e)) => format!("cannot store: {e}"),
            Err(IngestError::Mail(e)) => format!("cannot answer: {e}"),
        },
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(std::string::ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("internal error while processing: {what}")
        }
    };
    let q = unprocessed(src, raw.len(), &reason);
    ingest::quarantine_in(tx, &q, now)?;
    ingest::tell_quarantined(tx, desk, &q, raw, now)?;
    Ok(Outcome::Quarantined { reason })
}

/// A mail whose processing failed, for the quarantine record.
fn unprocessed<'a>(src: &'a Source, size: usize, reason: &'a str) -> Quarantine<'a> {
    Quarantine {
        source: src,
        raw_sha256: None,
        sender: None,
        size,
        reason,
    }
}

/// At most this much mail is held in memory at once (plus one mail over it).
const BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// Groups UIDs into fetches of at most `max_count` mails and about `max_bytes`; a mail
/// larger than `max_bytes` gets a fetch of its own.
fn batches(listed: &[Listed], max_count: usize, max_bytes: u64) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0u64;
    for l in listed {
        let size = u64::from(l.size);
        match out.last_mut() {
            Some(b) if b.len() < max_count && bytes + size <= max_bytes => {
                b.push(l.uid);
                bytes += size;
            }
            _ => {
                out.push(vec![l.uid]);
                bytes = size;
            }
        }
    }
    out
}

fn move_out(
    mb: &mut Mailbox,
    desk: &Desk,
    processed: &mut Vec<u32>,
    quarantined: &mut Vec<u32>,
) -> Result<(), MailboxError> {
    let imap = &desk.config.mail.imap;
    mb.put_away(processed)?;
    processed.clear();
    failpoint::hit(failpoint::BATCH_BEFORE_MOVE);
    mb.move_to(quarantined, &imap.quarantine_folder)?;
    quarantined.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::batches;
    use crate::net::imap::Listed;

    #[test]
    fn batches_are_bounded_by_count_and_bytes() {
        let l = |uid, size| Listed { uid, size };
        let listed = [l(1, 10), l(2, 10), l(3, 10), l(4, 50), l(5, 100), l(6, 1)];
        assert_eq!(
            batches(&listed, 2, 60),
            vec![vec![1, 2], vec![3, 4], vec![5], vec![6]]
        );
        assert_eq!(batches(&listed, 100, 1000), vec![vec![1, 2, 3, 4, 5, 6]]);
        assert!(batches(&[], 10, 10).is_empty());
    }
}
