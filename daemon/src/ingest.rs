//! One mail in: parse → classify → one SQLite transaction holding the message row, the
//! ticket change, its events and every mail it causes (outbox). The caller moves the
//! mail out of the inbox only after this returns Ok.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tera::Context;

use crate::authres;
use crate::classify::{self, Facts, Route};
use crate::compose::FileAttachment;
use crate::desk::Desk;
use crate::mails::{Letter, MailError, Mailer};
use crate::parse::{self, ParsedMail};
use crate::store::{self, Store, StoreError, sha256_hex};
use crate::subject;
use crate::ticket::{self, Action, Status};
use crate::tickets::{self, NewTicket, Ticket};
use crate::{ikm, quote, staff};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> Self {
        IngestError::Store(e.into())
    }
}

/// Where a mail came from on the server.
#[derive(Debug, Clone)]
pub struct Source {
    pub folder: String,
    pub uidvalidity: u32,
    pub uid: u32,
}

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
        kind: String,
    },
    /// Already stored earlier (a re-fetch, or the same mail delivered twice).
    Duplicate,
    Quarantined {
        reason: String,
    },
}

/// Stores and acts on one mail.
pub fn ingest(
    store: &mut Store,
    desk: &Desk,
    src: &Source,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, IngestError> {
    let sha = store.save_raw(raw)?;
    let mut mail = match parse::parse(raw) {
        Ok(m) => m,
        Err(e) => {
            let reason = format!("cannot parse: {e}");
            quarantine(store, src, Some(&sha), None, raw.len(), &reason, now)?;
            return Ok(Outcome::Quarantined { reason });
        }
    };
    mail.flag_own(desk.composer.domain());
    let dedup_key = match &mail.message_id {
        Some(id) => format!("mid:{id}:{}", content_hash(raw)),
        None => format!("uid:{}:{}:{}", src.folder, src.uidvalidity, src.uid),
    };

    // Files first, fsynced, then the rows that name them (see `store`).
    let attachment_hashes = mail
        .attachments
        .iter()
        .map(|a| store.save_attachment(&a.data))
        .collect::<Result<Vec<_>, _>>()?;
    let tx = store.transaction()?;
    let exists: Option<i64> = tx
        .query_row(
            "SELECT id FROM messages WHERE dedup_key = ?1",
            [&dedup_key],
            |r| r.get(0),
        )
        .optional()?;
    let outcome = if exists.is_some() {
        Outcome::Duplicate
    } else {
        let facts = facts(&tx, desk, &mail)?;
        let route = classify::classify(mail.automatic.as_ref(), &facts);
        let stored = StoredMail {
            mail: &mail,
            src,
            sha: &sha,
            dedup_key: &dedup_key,
            attachment_hashes: &attachment_hashes,
        };
        apply(&tx, desk, &stored, route, now)?
    };
    store::set_folder_state(&tx, &src.folder, src.uidvalidity, src.uid)?;
    tx.commit()?;
    Ok(outcome)
}

/// Records a mail that will not be processed (unparseable, too large). The caller
/// moves it to the quarantine folder, where it stays for a human.
pub fn quarantine(
    store: &mut Store,
    src: &Source,
    sha: Option<&str>,
    sender: Option<&str>,
    size: usize,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = store.transaction()?;
    tx.execute(
        "INSERT OR IGNORE INTO quarantine (folder, uidvalidity, uid, raw_sha256, sender, size, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![src.folder, src.uidvalidity, src.uid, sha, sender, size as i64, reason, now],
    )?;
    store::set_folder_state(&tx, &src.folder, src.uidvalidity, src.uid)?;
    tx.commit()?;
    tracing::warn!(uid = src.uid, %reason, "mail quarantined");
    Ok(())
}

/// A mail over the size limit: quarantined unread, and the sender (unless the mail is
/// automatic) gets a short note saying how to send it instead.
pub fn quarantine_oversize(
    store: &mut Store,
    desk: &Desk,
    src: &Source,
    header: Option<&[u8]>,
    size: u32,
    now: DateTime<Utc>,
) -> Result<(), IngestError> {
    let parsed = header.and_then(|h| parse::parse(h).ok());
    let sender = parsed
        .as_ref()
        .filter(|m| m.automatic.is_none() && !m.is_own(desk.composer.domain()))
        .and_then(|m| m.reply_address().cloned());
    let limit = desk.config.mail.max_message_bytes;
    let reason = format!("too large: {size} bytes, limit {limit}");
    quarantine(
        store,
        src,
        None,
        sender.as_ref().map(|a| a.email.as_str()),
        size as usize,
        &reason,
        now,
    )?;
    if let Some(to) = sender {
        let tx = store.transaction()?;
        let mailer = Mailer {
            desk,
            conn: &tx,
            now,
        };
        let mut ctx = Context::new();
        ctx.insert("size_mb", &format!("{:.1}", size as f64 / 1_048_576.0));
        ctx.insert("limit_mb", &format!("{:.1}", limit as f64 / 1_048_576.0));
        ctx.insert(
            "subject",
            &parsed
                .as_ref()
                .map(|m| m.subject.clone())
                .unwrap_or_default(),
        );
        let subj = format!(
            "Surat Anda terlalu besar: {}",
            subject::clean(&parsed.map(|m| m.subject).unwrap_or_default())
        );
        mailer.to_staff_plain(None, &to.email, "too_large", subj, "too_large.txt", ctx)?;
        tx.commit().map_err(StoreError::from)?;
    }
    Ok(())
}

struct StoredMail<'a> {
    mail: &'a ParsedMail,
    src: &'a Source,
    sha: &'a str,
    dedup_key: &'a str,
    /// Content hashes of `mail.attachments`, already saved under `attachments/`.
    attachment_hashes: &'a [String],
}

impl StoredMail<'_> {
    /// Inserts the message row (and its attachments) and records its Message-ID.
    fn insert(
        &self,
        conn: &Connection,
        ticket: Option<i64>,
        kind: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let m = self.mail;
        conn.execute(
            "INSERT INTO messages (dedup_key, message_id, raw_sha256, ticket_id, folder, uidvalidity,
                                   uid, kind, reason, sender, subject, body, size, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                self.dedup_key,
                m.message_id,
                self.sha,
                ticket,
                self.src.folder,
                self.src.uidvalidity,
                self.src.uid,
                kind,
                reason,
                m.from.as_ref().map(|a| a.email.to_lowercase()),
                m.subject,
                m.text,
                m.size as i64,
                now
            ],
        )?;
        let row = conn.last_insert_rowid();
        for (a, hash) in m.attachments.iter().zip(self.attachment_hashes) {
            conn.execute(
                "INSERT INTO attachments (message_row, sha256, filename, content_type, size)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row, hash, a.filename, a.content_type, a.data.len() as i64],
            )?;
        }
        if let (Some(id), Some(t)) = (&m.message_id, ticket) {
            tickets::add_thread_id(conn, id, t, "in")?;
        }
        Ok(row)
    }
}

fn facts(conn: &Connection, desk: &Desk, mail: &ParsedMail) -> Result<Facts, StoreError> {
    let mut ids: Vec<String> = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    let thread = tickets::thread_lookup(conn, &ids)?;
    let tagged = match subject::ticket_tag(&mail.subject, &desk.config.mail.tag) {
        Some(id) => tickets::get(conn, id)?.map(|t| t.id),
        None => None,
    };
    let sender = mail.from.as_ref().map(|a| a.email.to_lowercase());
    let staff = sender
        .as_deref()
        .and_then(|s| desk.config.staff_by_address(s));
    let capability = staff.and_then(|s| desk.key.find_capability(&ids, &s.address));
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

fn apply(
    tx: &Transaction<'_>,
    desk: &Desk,
    m: &StoredMail<'_>,
    route: Route,
    now: DateTime<Utc>,
) -> Result<Outcome, IngestError> {
    let mailer = Mailer {
        desk,
        conn: tx,
        now,
    };
    match route {
        Route::Automatic { reason, ticket } => {
            let row = m.insert(tx, ticket, "automatic", Some(&reason.to_string()), now)?;
            if let Some(t) = ticket {
                tickets::event(
                    tx,
                    t,
                    now,
                    &sender(m.mail),
                    "automatic_mail",
                    Some(row),
                    &reason.to_string(),
                )?;
            }
            tracing::info!(?ticket, %reason, "automatic mail stored, not answered");
            Ok(Outcome::StoredOnly {
                ticket,
                kind: "automatic".into(),
            })
        }
        Route::New => {
            let ticket = open_ticket(tx, desk, &mailer, m, None, now)?;
            Ok(Outcome::New { ticket })
        }
        Route::Reply { ticket } => stakeholder_reply(tx, desk, &mailer, m, ticket, now),
        Route::Staff { ticket } => {
            let row = m.insert(tx, Some(ticket), "staff", None, now)?;
            let mut t = tickets::get(tx, ticket)?
                .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))?;
            staff::execute(&mailer, &mut t, m.mail, row)?;
            Ok(Outcome::Staff { ticket })
        }
        Route::Unverified { ticket, why } => {
            let row = m.insert(tx, Some(ticket), "unverified", Some(why), now)?;
            let from = sender(m.mail);
            tickets::event(
                tx,
                ticket,
                now,
                &from,
                "unverified_staff_mail",
                Some(row),
                why,
            )?;
            if let Some(t) = tickets::get(tx, ticket)? {
                let mut ctx = mailer.context(&t);
                ctx.insert("why", why);
                ctx.insert("subject", &m.mail.subject);
                mailer.to_staff_plain(
                    Some(ticket),
                    &from,
                    "unverified",
                    format!(
                        "Balasan atas nama Anda tidak dapat diverifikasi [{} #{}]",
                        desk.config.mail.tag, ticket
                    ),
                    "unverified.txt",
                    ctx,
                )?;
            }
            tracing::warn!(ticket, sender = %from, why, "staff-looking mail not verified; not executed");
            Ok(Outcome::StoredOnly {
                ticket: Some(ticket),
                kind: "unverified".into(),
            })
        }
        Route::Stray { ticket } => {
            let row = m.insert(
                tx,
                Some(ticket),
                "stray",
                Some("reply to a staff notification from outside the staff"),
                now,
            )?;
            tickets::event(
                tx,
                ticket,
                now,
                &sender(m.mail),
                "stray_mail",
                Some(row),
                "",
            )?;
            Ok(Outcome::StoredOnly {
                ticket: Some(ticket),
                kind: "stray".into(),
            })
        }
    }
}

fn sender(mail: &ParsedMail) -> String {
    mail.from
        .as_ref()
        .map(|a| a.email.to_lowercase())
        .unwrap_or_default()
}

/// A new ticket: store, acknowledge the stakeholder, notify the CSOs on duty.
fn open_ticket(
    tx: &Transaction<'_>,
    desk: &Desk,
    mailer: &Mailer<'_>,
    m: &StoredMail<'_>,
    previous: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, IngestError> {
    let mail = m.mail;
    let Some(from) = mail.reply_address() else {
        // The parser flags a mail without sender as automatic; nothing to answer here.
        let row = m.insert(tx, None, "automatic", Some("no-sender"), now)?;
        return Ok(row);
    };
    let service = subject::service_codes(&mail.subject)
        .into_iter()
        .find(|c| desk.site.service(c).is_some())
        .unwrap_or_else(|| desk.config.helpdesk.default_service.clone());
    let due = desk
        .site
        .service(&service)
        .map(|s| desk.deadline(now, s.completion));
    let clean = subject::clean(&mail.subject);
    let id = tickets::create(
        tx,
        &NewTicket {
            service: &service,
            subject: &clean,
            requester: &from.email.to_lowercase(),
            requester_name: from.name.as_deref(),
            created_at: now,
            due_at: due,
            previous_ticket: previous,
            root_message_id: mail.message_id.as_deref(),
        },
    )?;
    let row = m.insert(tx, Some(id), "stakeholder", None, now)?;
    tickets::event(
        tx,
        id,
        now,
        &from.email.to_lowercase(),
        "created",
        Some(row),
        &previous
            .map(|p| format!("follows #{p}"))
            .unwrap_or_default(),
    )?;
    let t = tickets::get(tx, id)?.ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))?;
    let ctx = mailer.context(&t);
    mailer.to_stakeholder(
        &t,
        Letter::new("ack", "ack.txt", ctx),
        true,
        mail.message_id.as_deref(),
    )?;
    for cso in staff::on_duty(tx, desk)? {
        let mut ctx = mailer.context(&t);
        ctx.insert("event", "new");
        ctx.insert("text", &mail.text);
        let (files, listed) = staff::forwardable(desk, mail);
        ctx.insert("listed_attachments", &listed);
        mailer.to_staff(
            &t,
            &cso,
            Letter::new("notify", "notify.txt", ctx).with_files(files),
        )?;
    }
    tracing::info!(ticket = id, %service, requester = %from.email, "new ticket");
    Ok(id)
}

fn stakeholder_reply(
    tx: &Transaction<'_>,
    desk: &Desk,
    mailer: &Mailer<'_>,
    m: &StoredMail<'_>,
    ticket: i64,
    now: DateTime<Utc>,
) -> Result<Outcome, IngestError> {
    let Some(mut t) = tickets::get(tx, ticket)? else {
        let id = open_ticket(tx, desk, mailer, m, None, now)?;
        return Ok(Outcome::New { ticket: id });
    };
    let mail = m.mail;
    let text = quote::strip_reply(&mail.text);
    let reopen_until = t
        .resolved_at
        .map(|r| r + chrono::Duration::days(i64::from(desk.config.helpdesk.reopen_days)));

    // A closed ticket, or a resolved one past its reopen period, is not reopened: the
    // question gets a new ticket that points back at the old one.
    if t.status == Status::Closed
        || (t.status == Status::Resolved && reopen_until.is_some_and(|u| now > u))
    {
        if t.status == Status::Resolved
            && let Some((score, _)) = ikm::parse_rating(&text)
        {
            // A late rating is still a rating.
            let row = m.insert(tx, Some(t.id), "stakeholder", None, now)?;
            record_rating(tx, &t, score, &text, row, now)?;
            return Ok(Outcome::Reply { ticket: t.id });
        }
        let id = open_ticket(tx, desk, mailer, m, Some(t.id), now)?;
        return Ok(Outcome::New { ticket: id });
    }

    let row = m.insert(tx, Some(t.id), "stakeholder", None, now)?;
    let actor = sender(mail);
    if t.status == Status::Resolved {
        if let Some((score, comment)) = ikm::parse_rating(&text) {
            record_rating(tx, &t, score, &comment, row, now)?;
            return Ok(Outcome::Reply { ticket: t.id });
        }
        let to = ticket::transition(t.status, &Action::Reopen).unwrap_or(Status::InProgress);
        tickets::set_status(tx, &mut t, to, now, &actor, "reopened", Some(row), "")?;
        t.resolved_at = None;
        tickets::save(tx, &t)?;
        forward_to_staff(desk, mailer, &t, mail, &text, "reopened")?;
        return Ok(Outcome::Reply { ticket: t.id });
    }

    let action = Action::StakeholderReply {
        has_attachments: !mail.attachments.is_empty(),
    };
    let to = ticket::transition(t.status, &action).unwrap_or(t.status);
    let event = if t.status == Status::AwaitingDocuments && to != t.status {
        // Documents arrived: the completion clock runs again for the time it had left.
        if let (Some(paused), Some(due)) = (t.paused_at, t.due_at) {
            let left = desk.calendar.office_minutes_between(paused, due).max(0);
            t.due_at = Some(desk.calendar.add_office_minutes(now, left));
        }
        t.paused_at = None;
        tickets::save(tx, &t)?;
        "documents_received"
    } else {
        "stakeholder_reply"
    };
    if to != t.status {
        tickets::set_status(tx, &mut t, to, now, &actor, event, Some(row), "")?;
    } else {
        tickets::event(tx, t.id, now, &actor, event, Some(row), "")?;
    }
    forward_to_staff(desk, mailer, &t, mail, &text, event)?;
    Ok(Outcome::Reply { ticket: t.id })
}

fn record_rating(
    tx: &Transaction<'_>,
    t: &Ticket,
    score: u8,
    comment: &str,
    row: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO ratings (ticket_id, score, comment, at, message_row) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(ticket_id) DO UPDATE SET score = ?2, comment = ?3, at = ?4, message_row = ?5",
        params![t.id, score, comment, now, row],
    )?;
    tickets::event(
        tx,
        t.id,
        now,
        &t.requester,
        "rated",
        Some(row),
        &score.to_string(),
    )?;
    Ok(())
}

/// Tells the staff on a ticket what the stakeholder wrote (with attachments).
fn forward_to_staff(
    desk: &Desk,
    mailer: &Mailer<'_>,
    t: &Ticket,
    mail: &ParsedMail,
    text: &str,
    event: &str,
) -> Result<(), MailError> {
    let mut recipients: Vec<String> = Vec::new();
    if let Some(a) = &t.assignee {
        recipients.push(a.clone());
    }
    if t.status == Status::Escalated
        && let Some(head) = t
            .section
            .as_deref()
            .and_then(|c| desk.config.section(c))
            .map(|s| s.head.clone())
        && !recipients.contains(&head)
    {
        recipients.push(head);
    }
    if recipients.is_empty() {
        recipients = staff::on_duty(mailer.conn, desk)?;
    }
    for to in recipients {
        let mut ctx = mailer.context(t);
        ctx.insert("event", event);
        ctx.insert("text", text);
        let (files, listed) = staff::forwardable(desk, mail);
        ctx.insert("listed_attachments", &listed);
        mailer.to_staff(
            t,
            &to,
            Letter::new("notify", "notify.txt", ctx).with_files(files),
        )?;
    }
    Ok(())
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

/// Attachments to send along, from the stored mail (used by `staff`).
pub fn attachments_of(mail: &ParsedMail) -> Vec<FileAttachment> {
    mail.attachments
        .iter()
        .map(|a| FileAttachment {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            data: a.data.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
