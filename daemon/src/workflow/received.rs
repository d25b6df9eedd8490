//! A received mail on its way through the workflow, and what became of it.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::mail::parse::ParsedMail;
use crate::rules::kinds::{MessageKind, ThreadKind};
use crate::store::messages::{self, NewAttachment, NewMessage};
use crate::store::{Files, StoreError, raw, tickets};

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    New {
        ticket: i64,
    },
    Reply {
        ticket: i64,
    },
    Staff {
        ticket: i64,
    },
    /// Stored without action: automatic, unverified or stray mail.
    StoredOnly {
        ticket: Option<i64>,
        kind: MessageKind,
    },
    /// Already stored earlier (a re-fetch, or the same mail delivered twice).
    Duplicate,
    Quarantined {
        reason: String,
    },
}

/// A received mail on its way into the store: what was parsed, and its row.
pub(crate) struct Received<'a> {
    pub(crate) mail: &'a ParsedMail,
    pub(crate) row: NewMessage<'a>,
}

impl Received<'_> {
    /// Inserts the message row (and its attachments) and records its Message-ID in the
    /// ticket's thread.
    pub(crate) fn store(
        &self,
        conn: &Connection,
        ticket: Option<i64>,
        kind: MessageKind,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let row = messages::insert(conn, &self.row, ticket, kind, reason, now)?;
        if let (Some(id), Some(t)) = (&self.mail.message_id, ticket) {
            tickets::add_thread_id(conn, id, t, ThreadKind::In)?;
        }
        Ok(row)
    }

    /// Whether the sender sent this same text within the last hour before (a loop, or
    /// someone's script), counting this mail once it is stored.
    pub(crate) fn repeats(
        &self,
        conn: &Connection,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(sender) = self.row.sender else {
            return Ok(true);
        };
        let same = messages::count_same_text(
            conn,
            sender,
            self.row.body,
            now - chrono::Duration::hours(1),
        )?;
        Ok(same > 1)
    }

    /// The sender's address, lower case; empty when the mail has none.
    pub(crate) fn sender(&self) -> String {
        self.row.sender.unwrap_or_default().to_string()
    }
}

/// Keeps a parsed mail's files: each attachment once by content (its hash noted in
/// `stored`), then the raw mail with the bodies of those attachments cut out
/// (`store::raw`). Returns the raw mail's hash and the attachments' hashes, in order.
pub(crate) fn save_files(
    files: &Files<'_>,
    raw_mail: &[u8],
    mail: &mut ParsedMail,
) -> Result<(String, Vec<String>), StoreError> {
    let mut hashes = Vec::with_capacity(mail.attachments.len());
    for a in &mut mail.attachments {
        let sha = files.save_attachment(&a.data)?;
        a.stored = Some(sha.clone());
        hashes.push(sha);
    }
    let sha = files.save_raw_cut(raw_mail, &raw::bodies(&mail.attachments))?;
    Ok((sha, hashes))
}

/// The attachment rows of `mail`, its files saved as `hashes` (see [`save_files`]).
pub(crate) fn attachment_rows<'a>(
    mail: &'a ParsedMail,
    hashes: &'a [String],
) -> Vec<NewAttachment<'a>> {
    mail.attachments
        .iter()
        .zip(hashes)
        .map(|(a, sha256)| NewAttachment {
            sha256,
            filename: &a.filename,
            content_type: &a.content_type,
            size: a.data.len(),
        })
        .collect()
}
