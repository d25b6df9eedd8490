//! What the daemon sent, read back from the outbox: the text a reply is told apart
//! from (`mail::relay`).

use rusqlite::Connection;

use crate::mail::parse;
use crate::rules::kinds::{LetterKind, ThreadKind};
use crate::store::StoreError;
use crate::store::{outbox, tickets};

/// The plain text of the mail the daemon sent with `message_id`, when still kept.
pub(crate) fn sent_text(conn: &Connection, message_id: &str) -> Result<Option<String>, StoreError> {
    Ok(outbox::raw_of(conn, message_id)?.and_then(|raw| parse::parse(&raw).ok().map(|m| m.text)))
}

/// The plain text of the newest mails the daemon sent about `ticket`: to the
/// stakeholder's side only (`Audience::Stakeholder`: what their reply may quote; the
/// staff notifications repeat the stakeholder's own words), or to anyone.
pub(crate) fn sent_about(
    conn: &Connection,
    ticket: i64,
    audience: Audience,
) -> Result<String, StoreError> {
    const NEWEST: usize = 30;
    const TO_STAKEHOLDER: [LetterKind; 8] = [
        LetterKind::Ack,
        LetterKind::Answer,
        LetterKind::Documents,
        LetterKind::DocumentsReminder,
        LetterKind::Escalated,
        LetterKind::Progress,
        LetterKind::Resolved,
        LetterKind::SurveyIncomplete,
    ];
    let kinds = match audience {
        Audience::Stakeholder => Some(&TO_STAKEHOLDER[..]),
        Audience::Anyone => None,
    };
    let mut out = String::new();
    for raw in outbox::raws_of_ticket(conn, ticket, kinds, NEWEST)? {
        if let Ok(m) = parse::parse(&raw) {
            out.push_str(&m.text);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Whose mails [`sent_about`] reads.
#[derive(Clone, Copy)]
pub(crate) enum Audience {
    Stakeholder,
    Anyone,
}

/// Whether this database sent the notification `message_id` about `ticket`. A valid
/// capability it did not send comes from another life of the data folder: restored
/// from an older backup or reset while the key was kept, where ticket numbers are
/// handed out again and #17 may now be someone else's question.
pub(crate) fn sent_here(
    conn: &Connection,
    ticket: i64,
    message_id: &str,
) -> Result<bool, StoreError> {
    let ids = [message_id.to_string()];
    Ok(tickets::find(conn, ticket)?.is_some()
        && tickets::thread_lookup(conn, &ids)? == Some((ticket, ThreadKind::Staff)))
}
