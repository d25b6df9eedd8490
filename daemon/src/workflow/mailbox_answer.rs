//! Answers sent by people from the official mailbox itself (a shared mailbox opened in
//! Outlook or Thunderbird), read from its sent folder: one that belongs to a ticket's
//! thread is recorded on the ticket as a staff answer by the mailbox, meets the
//! completion clock, and `#selesai`, `#dokumen` or `#eskalasi <seksi>` on a line of its
//! own takes effect. Only a holder of the mailbox's password can put mail in its sent
//! folder, so nothing more is proved.
//!
//! Its attachments are kept on the ticket as a received mail's are. Commands it holds
//! that are not run from here are told to the CSOs in the ticket's thread.
//!
//! The stakeholder already has the person's mail: nothing of it is relayed again. What
//! the procedure adds still goes out: for `#selesai` the status "Resolved" with the
//! satisfaction question, for `#eskalasi` the standard's notice with the deadline (and
//! the thread to the section head), as from staff.
//!
//! Never read as a person's answer: the daemon's own mail (a server that files submitted
//! mail in Sent), by its Message-ID or its outbox row. Mail outside every ticket's
//! thread is logged and left alone.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::letters::{Letter, MailError, Mailer, NotifyEvent, Sending};
use super::received::{self, Received};
use super::{recipients, staff};
use crate::desk::Desk;
use crate::mail::parse::{self, ParsedMail};
use crate::mail::subject;
use crate::rules::command::{self, Command};
use crate::rules::kinds::{EventKind, MessageKind};
use crate::rules::ticket::{self, Action};
use crate::store::messages::{self, NewMessage, Source};
use crate::store::tickets::{self, Event, Ticket};
use crate::store::{self, Store, StoreError, health, sha256_hex};

/// The text of the "Resolved" mail for a ticket resolved from the sent folder: the
/// answer itself went in the person's own mail.
const RESOLVED_NOTE: &str =
    "Jawaban atas pertanyaan Anda telah kami sampaikan dalam surel sebelumnya pada utas ini.";

/// What became of one mail of the sent folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentOutcome {
    /// Recorded on the ticket as the mailbox's answer.
    Answer { ticket: i64 },
    /// The daemon's own mail.
    Own,
    /// Not in any ticket's thread: left alone (logged).
    NotInThread,
    /// Read before.
    Duplicate,
    /// Cannot be parsed, or a mail about it cannot be written: left alone (logged).
    Unreadable,
}

/// Reads one mail of the sent folder at `src`, in one transaction with the folder's
/// UID state (a crash re-reads it and finds it stored).
pub fn ingest_sent(
    store: &mut Store,
    desk: &Desk,
    src: &Source,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<SentOutcome, MailError> {
    let outcome = match parse::parse(raw) {
        Ok(mut mail) => match record(store, desk, src, raw, &mut mail, now) {
            Ok(o) => o,
            // A mail that cannot be written about (a template error) must not stall the
            // pass on it: left alone, said at ERROR.
            Err(MailError::Compose(e)) => {
                tracing::error!(folder = %src.folder, uid = src.uid, error = %e, "answer in the sent folder not recorded: a mail about it cannot be written");
                let text = format!(
                    "answer in {} (UID {}) not recorded: {e}",
                    src.folder, src.uid
                );
                health::record_error(store.conn(), &text, now)?;
                SentOutcome::Unreadable
            }
            Err(e) => return Err(e),
        },
        Err(e) => {
            tracing::warn!(folder = %src.folder, uid = src.uid, error = %e, "mail in the sent folder cannot be parsed: not read as an answer");
            SentOutcome::Unreadable
        }
    };
    if !matches!(outcome, SentOutcome::Answer { .. } | SentOutcome::Duplicate) {
        // Nothing else to write: only the folder's UID state moves on.
        let tx = store.transaction()?;
        store::set_folder_state(&tx, &src.folder, src.uidvalidity, src.uid)?;
        tx.commit().map_err(StoreError::from)?;
    }
    Ok(outcome)
}

fn record(
    store: &mut Store,
    desk: &Desk,
    src: &Source,
    raw: &[u8],
    mail: &mut ParsedMail,
    now: DateTime<Utc>,
) -> Result<SentOutcome, MailError> {
    let office = desk.config.mail.address.as_str();
    if mail.is_own(desk.config.mail.domain()) || ours(store.conn(), mail)? {
        tracing::debug!(
            uid = src.uid,
            "the daemon's own mail in the sent folder: not an answer"
        );
        return Ok(SentOutcome::Own);
    }
    let Some(mut t) = ticket_of(store.conn(), desk, mail)? else {
        tracing::info!(
            uid = src.uid,
            subject = %mail.subject,
            to = %mail.to.iter().map(|a| a.email.as_str()).collect::<Vec<_>>().join(","),
            "mail in the sent folder is not in a ticket's thread: ignored"
        );
        return Ok(SentOutcome::NotInThread);
    };
    let dedup_key = match &mail.message_id {
        Some(id) => format!("mid:{id}:{}", sha256_hex(raw)),
        None => format!("uid:{}:{}:{}", src.folder, src.uidvalidity, src.uid),
    };
    let (tx, files) = store.batch()?;
    // Kept as a received mail's are: each attachment once, listed on the ticket (what
    // the office sent is part of its record), and the raw mail without their copies.
    let (sha, hashes) = received::save_files(&files, raw, mail)?;
    files.sync()?;
    let mail = &*mail;
    if messages::exists(&tx, &dedup_key)? {
        store::set_folder_state(&tx, &src.folder, src.uidvalidity, src.uid)?;
        tx.commit().map_err(StoreError::from)?;
        return Ok(SentOutcome::Duplicate);
    }
    let attachments = received::attachment_rows(mail, &hashes);
    let received = Received {
        mail,
        row: NewMessage {
            dedup_key: &dedup_key,
            message_id: mail.message_id.as_deref(),
            raw_sha256: &sha,
            source: src,
            sender: Some(office),
            subject: &mail.subject,
            body: &mail.text,
            size: mail.size,
            attachments: &attachments,
        },
    };
    let row = received.store(
        &tx,
        Some(t.id),
        MessageKind::Staff,
        Some("sent from the office mailbox"),
        now,
    )?;
    // When the person sent it (its Date), within what is possible: not before the
    // question, not after now.
    let at = mail
        .date
        .map_or(now, |d| d.clamp(t.created_at.min(now), now));
    let m = Mailer::new(desk, &tx, now);
    apply(&m, &mut t, mail, row, at)?;
    store::set_folder_state(&tx, &src.folder, src.uidvalidity, src.uid)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(SentOutcome::Answer { ticket: t.id })
}

/// The mail is one the daemon queued (a server that files submitted mail in Sent).
fn ours(conn: &Connection, mail: &ParsedMail) -> Result<bool, StoreError> {
    let Some(id) = &mail.message_id else {
        return Ok(false);
    };
    Ok(crate::store::outbox::raw_of(conn, id)?.is_some())
}

/// The ticket whose thread the mail answers: by In-Reply-To/References, else by the
/// subject tag.
fn ticket_of(
    conn: &Connection,
    desk: &Desk,
    mail: &ParsedMail,
) -> Result<Option<Ticket>, StoreError> {
    let mut ids = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    let id = match tickets::thread_lookup(conn, &ids)? {
        Some((id, _)) => Some(id),
        None => subject::ticket_tag(&mail.subject, &desk.config.mail.tag),
    };
    match id {
        Some(id) => tickets::find(conn, id),
        None => Ok(None),
    }
}

/// The person's own lines: above the first quoted line or quote header.
fn own_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().take_while(|l| {
        let t = l.trim();
        let lower = t.to_lowercase();
        !(t.starts_with('>')
            || lower.starts_with("-----original message")
            || lower.starts_with("-----pesan asli")
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("pada ") && lower.ends_with("menulis:"))
            || lower.starts_with("from:")
            || lower.starts_with("dari:"))
    })
}

/// Records the answer and carries out its command, if it has one of the three.
fn apply(
    m: &Mailer<'_>,
    t: &mut Ticket,
    mail: &ParsedMail,
    row: i64,
    at: DateTime<Utc>,
) -> Result<(), MailError> {
    let desk = m.desk;
    let office = desk.config.mail.address.as_str();
    let mut command = None;
    let mut ignored = Vec::new();
    for line in own_lines(&mail.text) {
        match command::line_command(line) {
            Some(c @ (Command::Resolve | Command::Documents | Command::Escalate { .. }))
                if command.is_none() =>
            {
                command = Some(c);
            }
            Some(other) => ignored.push(other.keyword()),
            None => {}
        }
    }
    if !ignored.is_empty() {
        let ran = command
            .as_ref()
            .map(|c| format!(" Yang dijalankan: `{}`.", c.keyword()))
            .unwrap_or_default();
        let problem = format!(
            "Jawaban dari kotak surat resmi (folder Terkirim) untuk tiket ini memuat perintah yang \
             TIDAK dijalankan: {}. Dari folder Terkirim hanya perintah pertama dari `#selesai`, \
             `#dokumen` atau `#eskalasi <seksi>` yang dijalankan.{ran} Jawabannya sendiri sudah \
             sampai kepada stakeholder dan tercatat. Bila perintah itu memang dimaksud, balas \
             surel ini dengan perintah tersebut.",
            ignored
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        tell_csos(m, t, &problem)?;
        tracing::warn!(ticket = t.id, commands = ?ignored, "commands in mail sent from the office mailbox not run (only the first #selesai, #dokumen or #eskalasi is); CSOs told");
    }
    let mut section = None;
    let mut unknown_section = None;
    let (action, kind) = match &command {
        Some(Command::Resolve) => (Action::Resolve, EventKind::Resolved),
        Some(Command::Documents) => (Action::RequestDocuments, EventKind::DocumentsRequested),
        Some(Command::Escalate { section: code }) => {
            if let Some(s) = desk.config.roster.section(code) {
                section = Some(s.clone());
                (Action::Escalate, EventKind::Escalated)
            } else {
                tracing::warn!(ticket = t.id, section = %code, "#eskalasi from the office mailbox names no section: recorded as an answer only, CSOs told");
                unknown_section = Some(code.clone());
                (Action::StaffAnswer, EventKind::Answered)
            }
        }
        _ => (Action::StaffAnswer, EventKind::Answered),
    };
    let detail = "sent from the office mailbox (sent folder)";
    let e = Event::new(kind, office, at).on(row).detail(detail);
    let Ok(to) = ticket::transition(t.status, &action) else {
        // E.g. an answer to a closed ticket: on record, the status stays.
        tickets::log(
            m.conn,
            t.id,
            &Event::new(EventKind::Answered, office, at)
                .on(row)
                .detail(detail),
        )?;
        if let Some(c) = &command {
            let problem = format!(
                "Jawaban dari kotak surat resmi (folder Terkirim) untuk tiket ini memuat `{}`, \
                 tetapi tiket berstatus \"{}\", sehingga perintah itu TIDAK dijalankan; jawabannya \
                 sendiri sudah sampai kepada stakeholder dan tercatat.",
                c.keyword(),
                t.status.label_id()
            );
            tell_csos(m, t, &problem)?;
        }
        tracing::info!(ticket = t.id, status = %t.status.as_str(), command = ?command.as_ref().map(Command::keyword), "answer from the office mailbox recorded; the status does not allow its command (CSOs told when it had one)");
        return Ok(());
    };
    if t.first_response_at.is_none() {
        t.first_response_at = Some(at);
    }
    match kind {
        EventKind::Resolved => {
            t.resolved_at = Some(at);
            t.paused_at = None;
        }
        EventKind::DocumentsRequested => t.paused_at = Some(at),
        _ => {}
    }
    if let Some(s) = &section {
        t.section = Some(s.code.clone());
        let term = desk
            .service(&t.service)
            .and_then(|s| s.escalation)
            .unwrap_or(staff::DEFAULT_ESCALATION);
        t.escalation_due_at = Some(desk.deadline(t.created_at, term));
        t.last_progress_at = Some(m.now);
    }
    if to == t.status {
        tickets::log(m.conn, t.id, &e)?;
    } else {
        tickets::set_status(m.conn, t, to, &e)?;
    }
    tickets::save(m.conn, t)?;
    if kind == EventKind::Resolved {
        // The person's mail is the answer; the stakeholder still gets the status
        // "Resolved" and the satisfaction question, as for `#selesai` from staff.
        m.to_stakeholder(
            t,
            &Letter::Resolved {
                text: RESOLVED_NOTE,
                staff_name: None,
            },
            Sending::default().answering(messages::last_from_stakeholder(m.conn, t.id)?),
        )?;
    }
    if let Some(s) = &section {
        m.to_stakeholder(
            t,
            &Letter::Escalated { staff_name: None },
            Sending::default().answering(messages::last_from_stakeholder(m.conn, t.id)?),
        )?;
        let (files, listed) = staff::earlier_attachments(desk, m.conn, t.id, Vec::new())?;
        let text: String = own_lines(&mail.text).collect::<Vec<_>>().join("\n");
        let letter = Letter::Notify {
            event: NotifyEvent::Escalated,
            text: text.trim(),
            by: Some(office),
            thread: staff::conversation(m.conn, t.id)?,
            listed_attachments: listed,
            earlier: None,
        };
        m.to_staff(t, &s.head, &letter, Sending::files(files))?;
    }
    if let Some(code) = unknown_section {
        // Nobody can be answered in the mailbox itself: the CSOs hear of it as the other
        // commands not run do (not as a refused command of theirs: the answer did go to
        // the stakeholder), and their reply to the note can escalate.
        let codes: Vec<&str> = desk
            .config
            .roster
            .sections
            .iter()
            .map(|s| s.code.as_str())
            .collect();
        let problem = format!(
            "Jawaban dari kotak surat resmi (folder Terkirim) untuk tiket ini memuat `#eskalasi {code}`, \
             tetapi seksi `{code}` tidak dikenal, sehingga tiket TIDAK dieskalasikan; jawabannya dicatat \
             sebagai jawaban biasa. Kode seksi yang ada: {}. Bila perlu, balas surel ini dengan \
             `#eskalasi <kode seksi>` dan catatan untuk Kepala Seksi.",
            codes.join(", ")
        );
        tell_csos(m, t, &problem)?;
    }
    tracing::info!(ticket = t.id, action = %kind, "answer sent from the office mailbox recorded");
    Ok(())
}

/// Whoever wrote a mail in the sent folder reads the shared mailbox, where loketd cannot
/// answer them: what of it was not carried out goes to the CSOs as an internal note in
/// the ticket's thread, where a reply can carry it out.
fn tell_csos(m: &Mailer<'_>, t: &Ticket, problem: &str) -> Result<(), MailError> {
    let letter = Letter::Notify {
        event: NotifyEvent::Note,
        text: problem,
        by: Some("loketd"),
        thread: Vec::new(),
        listed_attachments: Vec::new(),
        earlier: None,
    };
    for cso in recipients::first_line(m.desk) {
        m.to_staff(t, &cso, &letter, Sending::default())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::own_lines;

    #[test]
    fn own_lines_stop_at_the_quote() {
        let text = "Sudah kami proses.\n#selesai\n\nPada Sel, 1 Des 2026 pukul 10.00, Budi menulis:\n> #dokumen\n> tanya";
        let own: Vec<&str> = own_lines(text).collect();
        assert_eq!(own, vec!["Sudah kami proses.", "#selesai", ""]);
        let outlook = "Baik.\n\nFrom: Budi <b@x>\nSent: Tuesday\n#eskalasi pd";
        assert_eq!(own_lines(outlook).count(), 2);
    }
}
