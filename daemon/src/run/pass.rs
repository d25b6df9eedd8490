//! One pass over the inbox: list, fetch new mail in batches, ingest each mail in its
//! own transaction, and only then move it out of the inbox. A mail that cannot be
//! processed (unparseable, unanswerable, or a row it cannot have) is quarantined with
//! its reason; only a storage failure stops the pass with the mail still in the inbox
//! (it is tried again on the next pass). A stop request ends the pass after the mail
//! in flight.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use crate::desk::Desk;
use crate::failpoint;
use crate::net::imap::{Listed, Mailbox, MailboxError};
use crate::store::messages::Quarantine;
use crate::store::{Disposition, Store, StoreError};
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
        for (uid, raw) in fetched {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let src = source(uid);
            let result = catch_unwind(AssertUnwindSafe(|| {
                ingest::ingest(store, desk, &src, &raw, now())
            }));
            // Storage is broken (disk, lock timeout, permissions), also when it broke
            // while a reply was being queued: keep the mail in the inbox, move what is
            // done, and let the caller retry later.
            let result = match result {
                Ok(Err(e)) => match e.into_storage_failure() {
                    Ok(storage) => {
                        move_out(mb, desk, &mut to_processed, &mut to_quarantine)?;
                        return Err(storage.into());
                    }
                    Err(e) => Ok(Err(e)),
                },
                other => other,
            };
            let outcome = match result {
                Ok(Ok(o)) => o,
                // Anything else is about this mail (a row it cannot have): quarantined,
                // so the mails behind it are not held.
                Ok(Err(IngestError::Store(e))) => {
                    let reason = format!("cannot store: {e}");
                    ingest::quarantine(store, &unprocessed(&src, raw.len(), &reason), now())?;
                    Outcome::Quarantined { reason }
                }
                Ok(Err(IngestError::Mail(e))) => {
                    let reason = format!("cannot answer: {e}");
                    ingest::quarantine(store, &unprocessed(&src, raw.len(), &reason), now())?;
                    Outcome::Quarantined { reason }
                }
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(std::string::ToString::to_string)
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let reason = format!("internal error while processing: {what}");
                    ingest::quarantine(store, &unprocessed(&src, raw.len(), &reason), now())?;
                    Outcome::Quarantined { reason }
                }
            };
            failpoint::hit(failpoint::COMMIT_BEFORE_MOVE);
            match outcome {
                Outcome::Quarantined { .. } => {
                    report.quarantined += 1;
                    to_quarantine.push(uid);
                }
                o => {
                    match o {
                        Outcome::New { .. } => report.new_tickets += 1,
                        Outcome::Reply { .. } => report.replies += 1,
                        Outcome::Staff { .. } => report.staff += 1,
                        Outcome::StoredOnly { .. } => report.stored_only += 1,
                        _ => report.duplicates += 1,
                    }
                    to_processed.push(uid);
                }
            }
        }
        failpoint::hit(failpoint::BATCH_BEFORE_MOVE);
        move_out(mb, desk, &mut to_processed, &mut to_quarantine)?;
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
