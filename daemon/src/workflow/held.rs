//! Staff replies the daemon holds instead of relaying: why (unsure what the new text
//! is, or another answer went out since the stakeholder last wrote), the record kept
//! for `#kirim`, and what people wrote that a reply may cite.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::letters::{Hold, Letter, MailError, Mailer, Sending};
use crate::rules::kinds::{EventKind, MessageKind};
use crate::store::tickets::{self, Event, Ticket};
use crate::store::{StoreError, messages};

/// What people wrote on the ticket, which notifications repeat: the stakeholder's mails
/// and held staff texts. A line of it in a reply is someone citing, not a leak.
pub(super) fn their_words(conn: &Connection, ticket: i64) -> Result<String, StoreError> {
    let mut out = String::new();
    for m in messages::of_ticket(conn, ticket)? {
        if m.kind == MessageKind::Stakeholder {
            out.push_str(&m.body);
            out.push('\n');
        }
    }
    for e in tickets::events(conn, ticket)? {
        if e.kind == EventKind::Held
            && let Some(h) = HeldReply::read(&e.detail)
        {
            out.push_str(&h.text);
            out.push('\n');
            out.push_str(&h.below);
            out.push('\n');
        }
    }
    Ok(out)
}

/// An answer another staff member sent.
pub(super) struct Answered {
    by: String,
    at: DateTime<Utc>,
}

/// Another staff member answered since the stakeholder last wrote: who, and when.
pub(super) fn answered_by_other(
    conn: &Connection,
    t: &Ticket,
    actor: &str,
) -> Result<Option<Answered>, StoreError> {
    let mut answered = None;
    for e in tickets::events(conn, t.id)? {
        match e.kind {
            EventKind::Created
            | EventKind::StakeholderReply
            | EventKind::DocumentsReceived
            | EventKind::Reopened
            | EventKind::Escalated => answered = None,
            EventKind::Answered | EventKind::Resolved if e.actor != actor => {
                answered = Some(Answered {
                    by: e.actor,
                    at: e.at,
                });
            }
            _ => {}
        }
    }
    Ok(answered)
}

/// Nothing goes to the stakeholder: the author gets the reply back with the reason and
/// how to send it; the text is kept in the ticket's history for `#kirim`.
pub(super) fn hold(
    m: &Mailer<'_>,
    t: &Ticket,
    actor: &str,
    row: i64,
    why: Hold,
    (text, below): (&str, &str),
    answered: Option<&Answered>,
) -> Result<(), MailError> {
    let detail = serde_json::to_string(&HeldReply {
        reason: why,
        text: text.to_string(),
        below: below.to_string(),
    })
    .unwrap_or_default();
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::Held, actor, m.now)
            .on(row)
            .detail(&detail),
    )?;
    let answered_by = answered.map(|a| {
        m.desk
            .config
            .roster
            .staff_by_address(&a.by)
            .map_or(a.by.as_str(), |s| s.name.as_str())
    });
    let letter = Letter::Held {
        reason: why,
        text,
        below,
        answered_by,
        answered_at: answered.map(|a| m.local(a.at)),
    };
    m.to_staff(t, actor, &letter, Sending::default())?;
    tracing::info!(ticket = t.id, staff = %actor, reason = %why, "staff reply held, not relayed; author told");
    Ok(())
}

/// A held reply as kept in its `held` event: what `#kirim` sends, and what the author
/// wrote below the quote (their words, when they copy them up in the next reply).
#[derive(serde::Serialize, serde::Deserialize)]
struct HeldReply {
    reason: Hold,
    text: String,
    below: String,
}

impl HeldReply {
    fn read(detail: &str) -> Option<HeldReply> {
        serde_json::from_str(detail).ok()
    }
}

/// The text of this staff member's latest held reply on the ticket, unless it was
/// already sent with `#kirim` (a second `#kirim` must not send it twice).
pub(super) fn held_text(
    conn: &Connection,
    ticket: i64,
    actor: &str,
) -> Result<Option<String>, StoreError> {
    let mut held = None;
    for e in tickets::events(conn, ticket)? {
        match e.kind {
            EventKind::Held if e.actor == actor => {
                held = HeldReply::read(&e.detail).map(|h| h.text);
            }
            EventKind::SentAnyway if e.actor == actor => held = None,
            _ => {}
        }
    }
    Ok(held)
}
