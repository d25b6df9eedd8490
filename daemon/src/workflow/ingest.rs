//! One mail in: parse → classify → its rows in one SQLite transaction (its own, or its
//! fetched batch's, see `run::pass`): the message row, the ticket change, its events
//! and every mail it causes (outbox). The caller moves the mail out of the inbox only
//! after that transaction committed.
//!
//! This is the seam the workflow is tested at: raw bytes and a clock in, rows out, no
//! server involved.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::letters::{Letter, MailError, Mailer};
use super::received::{self, Received};
use super::{desk_mail, staff, stakeholder};
use crate::desk::Desk;
use crate::failpoint;
use crate::mail::parse::{self, ParsedMail};
use crate::mail::{authres, subject};
use crate::rules::classify::{self, Facts, Route};
use crate::rules::kinds::{EventKind, MessageKind};
use crate::store::messages::{self, NewMessage, Quarantine};
use crate::store::tickets::{self, Event};
use crate::store::{self, Files, Store, StoreError, health, sha256_hex};

pub use super::received::Outcome;
pub use crate::store::messages::Source;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl IngestError {
    /// The storage failure under this error, if it is one (disk, lock timeout,
    /// permissions), however deep in the workflow it came up: the mail must stay in the
    /// inbox then. Anything else is about the mail itself.
    pub fn into_storage_failure(self) -> Result<StoreError, IngestError> {
        match self {
            IngestError::Store(e) | IngestError::Mail(MailError::Store(e))
                if e.is_storage_failure() =>
            {
                Ok(e)
            }
            other => Err(other),
        }
    }
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> Self {
        IngestError::Store(e.into())
    }
}

/// Stores and acts on one mail, in a transaction of its own: [`prepare`] and
/// [`record`], as the inbox pass does for each mail of a batch.
pub fn ingest(
    store: &mut Store,
    desk: &Desk,
    src: &Source,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, IngestError> {
    let (tx, files) = store.batch()?;
    let prepared = prepare(&files, desk, src, raw)?;
    files.sync()?;
    let outcome = record(&tx, desk, &prepared, now)?;
    tx.commit()?;
    Ok(outcome)
}

/// A fetched mail, parsed, with its raw file and attachments saved (fsynced with their
/// folders by [`Files::sync`] before the commit): ready for [`record`].
pub(crate) struct Prepared<'a> {
    src: &'a Source,
    raw: &'a [u8],
    sha: String,
    /// The mail and its attachments' hashes, or why it cannot be parsed.
    mail: Result<(ParsedMail, Vec<String>), String>,
}

/// Files first (see `store`): each attachment once by content, then the raw mail with
/// the bodies of those attachments cut out (`store::raw`); a mail that cannot be parsed
/// is kept whole. Fails only when a file cannot be written (storage).
pub(crate) fn prepare<'a>(
    files: &Files<'_>,
    desk: &Desk,
    src: &'a Source,
    raw: &'a [u8],
) -> Result<Prepared<'a>, StoreError> {
    let (sha, mail) = match parse::parse(raw) {
        Ok(mut mail) => {
            mail.flag_own(desk.config.mail.domain());
            let (sha, hashes) = received::save_files(files, raw, &mut mail)?;
            (sha, Ok((mail, hashes)))
        }
        Err(e) => (files.save_raw(raw)?, Err(format!("cannot parse: {e}"))),
    };
    if mail.is_ok() {
        failpoint::hit(failpoint::FILES_WRITTEN);
    }
    Ok(Prepared {
        src,
        raw,
        sha,
        mail,
    })
}

/// The rows of a prepared mail, in the caller's transaction (or savepoint): the message,
/// the ticket change, its events and every mail it causes; or its quarantine record
/// when it cannot be parsed.
pub(crate) fn record(
    conn: &Connection,
    desk: &Desk,
    p: &Prepared<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, IngestError> {
    failpoint::hit(failpoint::RECORDING);
    let (src, raw, sha) = (p.src, p.raw, &p.sha);
    let (mail, hashes) = match &p.mail {
        Ok(parsed) => parsed,
        Err(reason) => {
            let q = Quarantine {
                source: src,
                raw_sha256: Some(sha),
                sender: None,
                size: raw.len(),
                reason,
            };
            quarantine_in(conn, &q, now)?;
            return Ok(Outcome::Quarantined {
                reason: reason.clone(),
            });
        }
    };
    let dedup_key = match &mail.message_id {
        Some(id) => format!("mid:{id}:{}", content_hash(raw)),
        None => format!("uid:{}:{}:{}", src.folder, src.uidvalidity, src.uid),
    };
    let attachments = received::attachment_rows(mail, hashes);
    let sender = mail.from.as_ref().map(|a| a.email.to_lowercase());
    let received = Received {
        mail,
        row: NewMessage {
            dedup_key: &dedup_key,
            message_id: mail.message_id.as_deref(),
            raw_sha256: sha,
            source: src,
            sender: sender.as_deref(),
            subject: &mail.subject,
            body: &mail.text,
            size: mail.size,
            attachments: &attachments,
        },
    };
    let outcome = if messages::exists(conn, &dedup_key)? {
        Outcome::Duplicate
    } else {
        let facts = facts(conn, desk, mail)?;
        let mailer = Mailer::new(desk, conn, now);
        // Staff-started mail (forms, desk commands, replies to desk mail) first.
        match desk_mail::route(&mailer, &received, &facts)? {
            Some(outcome) => outcome,
            None => match &facts.capability {
                Some((ticket, id))
                    if mail.automatic.is_none() && !super::sent::sent_here(conn, *ticket, id)? =>
                {
                    unknown_ticket(&mailer, &received, *ticket)?
                }
                _ => route_mail(
                    &mailer,
                    &received,
                    classify::classify(mail.automatic.as_ref(), &facts),
                )?,
            },
        }
    };
    store::set_folder_state(conn, &src.folder, src.uidvalidity, src.uid)?;
    Ok(outcome)
}

/// Records a mail that will not be processed (unparseable, too large). The caller
/// moves it to the quarantine folder, where it stays for a human.
pub(crate) fn quarantine(
    store: &mut Store,
    q: &Quarantine<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = store.transaction()?;
    quarantine_in(&tx, q, now)?;
    tx.commit()?;
    Ok(())
}

/// [`quarantine`] in the caller's transaction.
pub(crate) fn quarantine_in(
    conn: &Connection,
    q: &Quarantine<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    messages::quarantine(conn, q, now)?;
    store::set_folder_state(conn, &q.source.folder, q.source.uidvalidity, q.source.uid)?;
    tracing::warn!(
        uid = q.source.uid,
        sender = q.sender.unwrap_or("-"),
        reason = q.reason,
        "mail quarantined"
    );
    Ok(())
}

/// Tells the staff on duty that a mail waits in the quarantine folder, unread by any
/// person yet, at most once an hour each (a stream of broken mail must not flood them;
/// `loketd quarantine` and `loketd status` count them all). In the caller's
/// transaction; a note that cannot be written is logged and the quarantine stands.
pub(crate) fn tell_quarantined(
    conn: &Connection,
    desk: &Desk,
    q: &Quarantine<'_>,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // The mail may be quarantined because the parser panicked on it: read its header
    // again only where a panic is caught.
    let (from, subject) = std::panic::catch_unwind(|| sender_and_subject(raw)).unwrap_or_default();
    let letter = Letter::Quarantined {
        folder: &desk.config.mail.imap.quarantine_folder,
        uid: q.source.uid,
        size: q.size,
        reason: q.reason,
        from,
        subject,
    };
    let mailer = Mailer::new(desk, conn, now);
    let hour = now.format("%Y-%m-%dT%H");
    for staff in super::recipients::first_line(desk) {
        let dedup = format!("quarantined:{staff}:{hour}");
        let subject = "Surel tidak dapat diproses: tersimpan di folder karantina".to_string();
        match mailer.to_address_once(None, &staff, subject, &letter, &dedup) {
            Ok(_) => {}
            Err(MailError::Store(e)) => return Err(e),
            Err(MailError::Compose(e)) => {
                tracing::error!(%staff, error = %e, "cannot write the quarantine notice; the mail stays quarantined");
                let text = format!("quarantine notice to {staff} not written: {e}");
                health::record_error(conn, &text, now)?;
            }
        }
    }
    Ok(())
}

/// Who wrote a mail and about what, on one line each, when its header reads.
fn sender_and_subject(raw: &[u8]) -> (Option<String>, Option<String>) {
    let header = mail_parser::MessageParser::default().parse_headers(raw);
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let from = header
        .as_ref()
        .and_then(|h| h.from())
        .and_then(|a| a.first())
        .map(|a| {
            let address = a.address().unwrap_or_default();
            match a.name() {
                Some(name) => one_line(&format!("{name} <{address}>")),
                None => address.to_string(),
            }
        });
    let subject = header.as_ref().and_then(|h| h.subject()).map(one_line);
    (from, subject)
}

/// A mail over the size limit, read no further than its header. In one transaction:
/// the quarantine record (the mail stays in the quarantine folder for a human) and,
/// unless the mail is automatic, a ticket with what is known (sender, subject, size),
/// a note telling the sender how to send it smaller, and the staff on duty notified.
/// When that mail cannot be written, the mail is still quarantined, with the reason.
pub(crate) fn quarantine_oversize(
    store: &mut Store,
    desk: &Desk,
    src: &Source,
    header: Option<&[u8]>,
    size: u32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let parsed = header.and_then(|h| parse::parse(h).ok());
    let person = parsed
        .as_ref()
        .filter(|m| m.automatic.is_none() && !m.is_own(desk.config.mail.domain()));
    let sender = parsed
        .as_ref()
        .and_then(ParsedMail::reply_address)
        .map(|a| a.email.to_lowercase());
    let limit = desk.config.mail.max_message_bytes;
    let too_large = format!("too large: {size} bytes, limit {limit}");
    let q = |reason| Quarantine {
        source: src,
        raw_sha256: None,
        sender: sender.as_deref(),
        size: size as usize,
        reason,
    };
    let tx = store.transaction()?;
    let mailer = Mailer::new(desk, &tx, now);
    let ticket = match person {
        Some(m) => stakeholder::open_oversize(&mailer, m, u64::from(size)),
        None => Ok(None),
    };
    let reason = match ticket {
        Ok(Some(t)) => format!("{too_large}; ticket #{t}"),
        Ok(None) => too_large,
        Err(MailError::Store(e)) => return Err(e),
        Err(MailError::Compose(e)) => {
            // Nothing of the ticket is kept; the quarantine record says why.
            drop(tx);
            let reason = format!("{too_large}; cannot write the note to the sender: {e}");
            quarantine(store, &q(&reason), now)?;
            return Ok(());
        }
    };
    messages::quarantine(&tx, &q(&reason), now)?;
    store::set_folder_state(&tx, &src.folder, src.uidvalidity, src.uid)?;
    tx.commit()?;
    tracing::warn!(uid = src.uid, reason, "mail quarantined");
    Ok(())
}

/// A staff reply whose capability names a ticket this database does not hold, or a
/// notification it never sent (restored from an older backup, or reset while the
/// capability key was kept). Nothing of it is run: it is quarantined with its reason
/// and the staff member is told, in this mail's transaction. The mails behind it in
/// the inbox go on.
fn unknown_ticket(m: &Mailer<'_>, r: &Received<'_>, ticket: i64) -> Result<Outcome, IngestError> {
    let reason = format!(
        "staff reply to a notification about ticket #{ticket} that this database did not send (restored from an older backup?); not run"
    );
    let q = Quarantine {
        source: r.row.source,
        raw_sha256: Some(r.row.raw_sha256),
        sender: r.row.sender,
        size: r.row.size,
        reason: &reason,
    };
    messages::quarantine(m.conn, &q, m.now)?;
    let staff = r.sender();
    let letter = Letter::UnknownTicket {
        ticket_id: ticket,
        subject: &r.mail.subject,
    };
    let subject = format!("Balasan Anda untuk tiket #{ticket} tidak dapat diproses");
    m.to_address(None, &staff, subject, &letter)?;
    tracing::warn!(ticket, sender = %staff, "staff reply for a ticket not in the database: quarantined, staff told");
    Ok(Outcome::Quarantined { reason })
}

fn facts(conn: &Connection, desk: &Desk, mail: &ParsedMail) -> Result<Facts, StoreError> {
    let mut ids: Vec<String> = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    let thread = tickets::thread_lookup(conn, &ids)?;
    let tagged = match subject::ticket_tag(&mail.subject, &desk.config.mail.tag) {
        Some(id) => tickets::find(conn, id)?.map(|t| t.id),
        None => None,
    };
    let sender = mail.from.as_ref().map(|a| a.email.to_lowercase());
    let staff = sender
        .as_deref()
        .and_then(|s| desk.config.roster.staff_by_address(s));
    let capability = staff.and_then(|s| desk.key.find_capability_id(&ids, &s.address));
    let authenticated = match (&desk.config.helpdesk.trusted_authserv_id, &sender) {
        (None, _) => true,
        (Some(id), Some(s)) => {
            let domain = s.rsplit('@').next().unwrap_or_default();
            authres::aligned_pass(&mail.auth_results, id, domain)
        }
        (Some(_), None) => false,
    };
    Ok(Facts {
        thread,
        tagged,
        sender_is_staff: staff.is_some(),
        capability,
        authenticated,
    })
}

fn route_mail(m: &Mailer<'_>, r: &Received<'_>, route: Route) -> Result<Outcome, IngestError> {
    let now = m.now;
    match route {
        Route::Automatic { reason, ticket } => {
            let reason = reason.to_string();
            let row = r.store(m.conn, ticket, MessageKind::Automatic, Some(&reason), now)?;
            if let Some(t) = ticket {
                let actor = r.sender();
                let e = Event::new(EventKind::AutomaticMail, &actor, now)
                    .on(row)
                    .detail(&reason);
                tickets::log(m.conn, t, &e)?;
            }
            tracing::info!(ticket, %reason, "automatic mail stored, not answered");
            Ok(Outcome::StoredOnly {
                ticket,
                kind: MessageKind::Automatic,
            })
        }
        Route::New => {
            let ticket = stakeholder::open_ticket(m, r, None)?;
            Ok(Outcome::New { ticket })
        }
        Route::Reply { ticket } => Ok(stakeholder::reply(m, r, ticket)?),
        Route::Staff { ticket, answering } => {
            let row = r.store(m.conn, Some(ticket), MessageKind::Staff, None, now)?;
            let mut t = tickets::get(m.conn, ticket)?;
            staff::execute(m, &mut t, r.mail, row, &answering)?;
            Ok(Outcome::Staff { ticket })
        }
        Route::Unverified { ticket, why } => {
            let why_name: &'static str = why.into();
            let row = r.store(
                m.conn,
                Some(ticket),
                MessageKind::Unverified,
                Some(why_name),
                now,
            )?;
            let from = r.sender();
            let e = Event::new(EventKind::UnverifiedStaffMail, &from, now)
                .on(row)
                .detail(why_name);
            tickets::log(m.conn, ticket, &e)?;
            let t = tickets::get(m.conn, ticket)?;
            let letter = Letter::Unverified {
                why,
                subject: &r.mail.subject,
            };
            let subject = format!(
                "Balasan atas nama Anda tidak dapat diverifikasi [{} #{}]",
                m.desk.config.mail.tag, ticket
            );
            m.to_address(Some(&t), &from, subject, &letter)?;
            stakeholder::answer_waiting(m, &t, r.mail, &from)?;
            tracing::warn!(ticket, sender = %from, why = why_name, "staff-looking mail not verified; not executed; sender and staff on the ticket told");
            Ok(Outcome::StoredOnly {
                ticket: Some(ticket),
                kind: MessageKind::Unverified,
            })
        }
        Route::Stray { ticket } => {
            let row = r.store(
                m.conn,
                Some(ticket),
                MessageKind::Stray,
                Some("reply to a staff notification from outside the staff"),
                now,
            )?;
            let actor = r.sender();
            tickets::log(
                m.conn,
                ticket,
                &Event::new(EventKind::StrayMail, &actor, now).on(row),
            )?;
            // The sender hears how to answer properly (nothing of the ticket), and the
            // staff on the ticket that an answer waits.
            if let Some(from) = r.mail.reply_address() {
                let letter = Letter::Stray {
                    subject: &r.mail.subject,
                };
                let subject = format!(
                    "Surel Anda tidak diteruskan: {}",
                    subject::clean(&r.mail.subject)
                );
                m.to_address(None, &from.email, subject, &letter)?;
            }
            let t = tickets::get(m.conn, ticket)?;
            stakeholder::answer_waiting(m, &t, r.mail, &actor)?;
            tracing::info!(ticket, sender = %actor, "reply to a staff notification from outside the staff: not relayed or run; sender and staff on the ticket told");
            Ok(Outcome::StoredOnly {
                ticket: Some(ticket),
                kind: MessageKind::Stray,
            })
        }
    }
}

/// Hash of a mail without its trace headers (Received, Return-Path, Delivered-To, …)
/// that each delivery adds: the same mail delivered twice has the same hash.
pub fn content_hash(raw: &[u8]) -> String {
    const TRACE: &[&str] = &[
        "received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "authentication-results",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "x-spam-status",
        "x-spam-score",
        "x-spam-level",
        "x-spam-checker-version",
    ];
    let body_at = find(raw, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(raw, b"\n\n").map(|i| i + 2))
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(body_at);
    let mut kept = Vec::with_capacity(raw.len());
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            let name = line
                .split(|&b| b == b':')
                .next()
                .map(|n| String::from_utf8_lossy(n).trim().to_ascii_lowercase())
                .unwrap_or_default();
            skipping = TRACE.contains(&name.as_str());
        }
        if !skipping {
            kept.extend_from_slice(line);
        }
    }
    kept.extend_from_slice(body);
    sha256_hex(&kept)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::content_hash;

    #[test]
    fn content_hash_ignores_trace_headers() {
        let a = b"Received: from a by b; Mon, 1 Jan 2026\r\n\tcontinued\r\nReturn-Path: <x@y>\r\nSubject: Hi\r\n\r\nbody\r\n";
        let b = b"Received: from c by d; Tue, 2 Jan 2026\r\nDelivered-To: o@k\r\nSubject: Hi\r\n\r\nbody\r\n";
        assert_eq!(content_hash(a), content_hash(b));
        let c = b"Subject: Hi\r\n\r\nother body\r\n";
        assert_ne!(content_hash(a), content_hash(c));
        let d = b"Subject: Hello\r\n\r\nbody\r\n";
        assert_ne!(content_hash(a), content_hash(d));
    }
}
