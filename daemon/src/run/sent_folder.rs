//! One pass over the shared mailbox's sent folder (`[mail.imap] sent_folder`), after each
//! inbox pass: its new mail (UID above the stored state) is read, each in its own
//! transaction with the folder's UID state, as an answer a person sent from the official
//! mailbox (see `workflow::mailbox_answer`). The folder is only read (EXAMINE): nothing
//! in it is moved or marked. On first sight of the folder (or a changed UIDVALIDITY) the
//! state starts at its newest mail: what was sent before is not read.

use chrono::{DateTime, Utc};

use crate::desk::Desk;
use crate::net::imap::Mailbox;
use crate::store::{self, Store};
use crate::workflow::ingest::Source;
use crate::workflow::mailbox_answer::{self, SentOutcome};

use super::RunError;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SentReport {
    /// Answers recorded on tickets.
    pub answers: usize,
    /// The daemon's own mail, mail outside any ticket's thread, unreadable mail.
    pub ignored: usize,
}

pub fn sent_pass(
    mb: &mut Mailbox,
    store: &mut Store,
    desk: &Desk,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<SentReport, RunError> {
    let Some(folder) = desk.config.mail.imap.sent_folder.as_deref() else {
        return Ok(SentReport::default());
    };
    let state = store.folder_state(folder)?;
    // Nothing is listed on first sight (a sent folder may hold years of mail).
    let after = state.map_or(u32::MAX - 1, |(_, last)| last);
    let result = read(mb, store, desk, folder, state, after, &now);
    // Back to the inbox whatever happened: IDLE and the next pass work on it.
    mb.reselect()?;
    result
}

fn read(
    mb: &mut Mailbox,
    store: &mut Store,
    desk: &Desk,
    folder: &str,
    state: Option<(u32, u32)>,
    after: u32,
    now: &impl Fn() -> DateTime<Utc>,
) -> Result<SentReport, RunError> {
    let mut report = SentReport::default();
    let examined = mb.examine_since(folder, after)?;
    if state.is_none_or(|(validity, _)| validity != examined.uidvalidity) {
        let last = examined.uid_next.saturating_sub(1);
        let tx = store.transaction()?;
        store::set_folder_state(&tx, folder, examined.uidvalidity, last)?;
        tx.commit().map_err(store::StoreError::from)?;
        tracing::info!(
            folder,
            uidvalidity = examined.uidvalidity,
            from_uid = last + 1,
            "sent folder: answers sent from the office mailbox are read from now on"
        );
        return Ok(report);
    }
    for l in examined.listed {
        // One at a time: the sent folder of a shared mailbox gets a few mails a day.
        for (uid, raw) in mb.fetch(&[l.uid])? {
            let src = Source {
                folder: folder.to_string(),
                uidvalidity: examined.uidvalidity,
                uid,
            };
            match mailbox_answer::ingest_sent(store, desk, &src, &raw, now())? {
                SentOutcome::Answer { .. } => report.answers += 1,
                SentOutcome::Duplicate => {}
                _ => report.ignored += 1,
            }
        }
    }
    if report != SentReport::default() {
        tracing::info!(
            folder,
            answers = report.answers,
            ignored = report.ignored,
            "sent folder pass"
        );
    }
    Ok(report)
}
