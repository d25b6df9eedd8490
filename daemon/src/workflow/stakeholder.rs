//! The stakeholder's side of the procedure: a new question opens a ticket (with an
//! acknowledgement and a notification to the CSOs on duty), a reply joins it, documents
//! restart the paused clock, a rating is recorded, and a reply after "Resolved" reopens
//! the ticket or, once it is closed, opens a new one that points back.

use chrono::Duration;
use loket_core::text;

use super::letters::{
    Earlier, EarlierTicket, Letter, MailError, Mailer, NotifyEvent, Sending, kept_on_server,
};
use super::received::{Outcome, Received};
use super::recipients::{on_duty, staff_on};
use super::sent::{self, Audience};
use super::survey;
use crate::desk::Desk;
use crate::mail::compose::{FileAttachment, is_sendable};
use crate::mail::parse::ParsedMail;
use crate::mail::{relay, subject};
use crate::rules::ikm::{self, AfterResolved};
use crate::rules::kinds::{Channel, EventKind, MessageKind, ThreadKind};
use crate::rules::skm::{self, SkmReading};
use crate::rules::ticket::{self, Action, Status};
use crate::store::StoreError;
use crate::store::tickets::{self, Event, NewTicket, Ticket};

/// A new ticket: store, acknowledge the stakeholder, notify the CSOs on duty.
/// `previous` is the closed ticket a late reply follows on.
pub(crate) fn open_ticket(
    m: &Mailer<'_>,
    r: &Received<'_>,
    previous: Option<i64>,
) -> Result<i64, MailError> {
    let (desk, now, mail) = (m.desk, m.now, r.mail);
    let Some(from) = mail.reply_address() else {
        // The parser flags a mail without sender as automatic; nothing to answer here.
        let row = r.store(m.conn, None, MessageKind::Automatic, Some("no-sender"), now)?;
        return Ok(row);
    };
    let requester = from.email.to_lowercase();
    let t = create(m, mail, from, previous)?;
    let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
    let (copied, too_many) = colleagues(desk, mail, &requester);
    for colleague in copied {
        tickets::add_copied(m.conn, t.id, &colleague.email, colleague.name.as_deref())?;
    }
    let follows = previous
        .map(|p| format!("follows #{p}"))
        .unwrap_or_default();
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::Created, &requester, now)
            .on(row)
            .detail(&follows),
    )?;
    let ack = Letter::Ack {
        service_url: desk.service(&t.service).map(|s| desk.service_url(s)),
    };
    // A person's new question is always acknowledged; the hourly limit is for loops:
    // the same sender sending the same mail again and again.
    let mut how = Sending::default()
        .automatic()
        .answering(mail.message_id.clone());
    if !r.repeats(m.conn, now)? {
        how = how.unlimited();
    }
    // An address the mail builder refuses cannot be answered by mail: the question is
    // still a ticket, and the CSOs are told to answer another way.
    let sendable = is_sendable(&requester);
    let acked = sendable && m.to_stakeholder(&t, &ack, how)?;
    // What loketd did not do is said at the top of the notification.
    let mut notes = Vec::new();
    if !sendable {
        tracing::info!(ticket = t.id, requester = %requester, "the sender's address cannot be written to: no acknowledgement, CSOs told");
        notes.push(format!(
            "[loketd: alamat pengirim ({requester}) tidak dapat dikirimi surel, sehingga tanda terima \
             TIDAK dikirim dan jawaban lewat surel tidak akan sampai. Hubungi pengirim lewat \
             saluran lain (telepon, HAI CSO).]"
        ));
    } else if !acked {
        notes.push(format!(
            "[loketd: tanda terima TIDAK dikirim: pengirim mengirim surel yang sama berulang kali \
             (batas {} balasan otomatis per jam). Balas surel ini untuk menjawabnya.]",
            desk.config.helpdesk.auto_replies_per_hour
        ));
    }
    if let Some(n) = too_many {
        notes.push(format!(
            "[loketd: surel ini ditujukan kepada {n} alamat lain; tidak ada yang dijadikan tembusan \
             tiket, jawaban hanya dikirim kepada pengirim.]"
        ));
    }
    notes.push(mail.text.clone());
    let text = notes.join("\n\n");
    let csos = on_duty(m.conn, desk)?;
    notify(m, &t, &csos, mail, NotifyEvent::New, &text, None)?;
    tracing::info!(ticket = t.id, service = %t.service, requester = %from.email, "new ticket");
    Ok(t.id)
}

/// A mail over the size limit, known only by its header: a ticket with the sender,
/// subject and size, a note telling the sender how to send it smaller, the CSOs on
/// duty notified. `None` when the mail has no sender to answer, or its Message-ID
/// already has a ticket (the same mail delivered again).
pub(crate) fn open_oversize(
    m: &Mailer<'_>,
    mail: &ParsedMail,
    size: u64,
) -> Result<Option<i64>, MailError> {
    let (desk, now) = (m.desk, m.now);
    let Some(from) = mail.reply_address() else {
        return Ok(None);
    };
    if let Some(id) = &mail.message_id
        && tickets::thread_lookup(m.conn, std::slice::from_ref(id))?.is_some()
    {
        return Ok(None);
    }
    // A mail in an existing thread gets its own ticket that points back.
    let mut ids = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    let previous = tickets::thread_lookup(m.conn, &ids)?.map(|(t, _)| t);
    let requester = from.email.to_lowercase();
    let t = create(m, mail, from, previous)?;
    if let Some(id) = &mail.message_id {
        tickets::add_thread_id(m.conn, id, t.id, ThreadKind::In)?;
    }
    let limit = desk.config.mail.max_message_bytes;
    let detail = format!("too large: {size} bytes, limit {limit}; kept in the quarantine folder");
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::Created, &requester, now).detail(&detail),
    )?;
    let (size_mb, limit_mb) = (megabytes(size), megabytes(limit));
    let note = Letter::TooLarge {
        subject: &mail.subject,
        size_mb: size_mb.clone(),
        limit_mb: limit_mb.clone(),
    };
    m.to_stakeholder(
        &t,
        &note,
        Sending::default()
            .automatic()
            .answering(mail.message_id.clone()),
    )?;
    let text = format!(
        "Surel ini berukuran {size_mb} MB, melebihi batas {limit_mb} MB, sehingga tidak diunduh \
         loketd: isi dan lampirannya ada di folder karantina kotak surat layanan. Pengirim \
         sudah diminta mengirim ulang dalam ukuran lebih kecil (dipecah, atau melalui tautan)."
    );
    let csos = on_duty(m.conn, desk)?;
    notify(m, &t, &csos, mail, NotifyEvent::New, &text, None)?;
    tracing::info!(ticket = t.id, requester = %requester, size, "ticket for a mail over the size limit");
    Ok(Some(t.id))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

/// The ticket row for a new question from `from`: the service whose code the subject
/// names (else the default), its completion deadline from now.
fn create(
    m: &Mailer<'_>,
    mail: &ParsedMail,
    from: &crate::mail::parse::Address,
    previous: Option<i64>,
) -> Result<Ticket, StoreError> {
    let desk = m.desk;
    let service = subject::service_codes(&mail.subject)
        .into_iter()
        .find(|c| desk.service(c).is_some())
        .unwrap_or_else(|| desk.config.helpdesk.default_service.clone());
    let due = desk
        .service(&service)
        .map(|s| desk.deadline(m.now, s.completion));
    tickets::create(
        m.conn,
        &NewTicket {
            service: &service,
            subject: &subject::clean(&mail.subject),
            requester: &from.email.to_lowercase(),
            requester_name: from.name.as_deref(),
            created_at: m.now,
            due_at: due,
            previous_ticket: previous,
            root_message_id: mail.message_id.as_deref(),
            channel: Channel::Email,
        },
    )
}

/// Someone writes again in ticket `ticket` (by its thread or its subject tag).
pub(crate) fn reply(m: &Mailer<'_>, r: &Received<'_>, ticket: i64) -> Result<Outcome, MailError> {
    let (desk, now, mail) = (m.desk, m.now, r.mail);
    let Some(mut t) = tickets::find(m.conn, ticket)? else {
        let id = open_ticket(m, r, None)?;
        return Ok(Outcome::New { ticket: id });
    };
    let actor = r.sender();
    // Only the requester and the colleagues they copied speak in their ticket; anyone
    // else gets a ticket of their own that points back (staff may `#gabung` it), and
    // nothing of the old ticket goes to them.
    if !tickets::is_stakeholder(m.conn, &t, &actor)? {
        let id = open_ticket(m, r, Some(t.id))?;
        tracing::info!(ticket = id, tagged = t.id, sender = %actor, "mail naming a ticket from outside it: new ticket pointing back");
        return Ok(Outcome::New { ticket: id });
    }
    let sent = sent::sent_about(m.conn, t.id, Audience::Stakeholder)?;
    let text = relay::strip_own(&mail.text, &sent);
    let reopen_until = t
        .resolved_at
        .map(|at| at + Duration::days(i64::from(desk.config.helpdesk.reopen_days)));

    // An SKM survey answer (the "Resolved" mail asks for it) is recorded, or answered
    // once with what is missing; it never reopens the ticket, however late it comes.
    if matches!(t.status, Status::Resolved | Status::Closed) {
        let reading = skm::read(&mail.text, &sent);
        // A partial row of digits in a mail that asks something is taken for the
        // question it may be (reopen or a new ticket, as below), never swallowed.
        let question = matches!(&reading, SkmReading::Incomplete(i) if i.asks);
        if reading != SkmReading::None && !question {
            let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
            survey::answered(m, r, &t, reading, row)?;
            return Ok(Outcome::Reply { ticket: t.id });
        }
    }

    // A closed ticket, or a resolved one past its reopen period, is not reopened: the
    // question gets a new ticket that points back at the old one.
    if t.status == Status::Closed
        || (t.status == Status::Resolved && reopen_until.is_some_and(|u| now > u))
    {
        if t.status == Status::Resolved
            && let Some((score, comment)) = ikm::parse_rating(&text)
        {
            // A late rating is still a rating.
            let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
            rate(m, &t, score, &comment, row)?;
            return Ok(Outcome::Reply { ticket: t.id });
        }
        let id = open_ticket(m, r, Some(t.id))?;
        return Ok(Outcome::New { ticket: id });
    }

    let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
    if t.status == Status::Resolved {
        return after_resolved(m, r, &mut t, &text, row);
    }

    let action = Action::StakeholderReply {
        has_attachments: !mail.attachments.is_empty(),
    };
    let to = ticket::transition(t.status, &action).unwrap_or(t.status);
    let documents = t.status == Status::AwaitingDocuments && to != t.status;
    if documents {
        // Documents arrived: the completion clock runs again for the time it had left.
        if let (Some(paused), Some(due)) = (t.paused_at, t.due_at) {
            let left = desk.calendar.office_minutes_between(paused, due).max(0);
            t.due_at = Some(desk.calendar.add_office_minutes(now, left));
        }
        t.paused_at = None;
        tickets::save(m.conn, &t)?;
    }
    let (kind, event) = if documents {
        (EventKind::DocumentsReceived, NotifyEvent::DocumentsReceived)
    } else {
        (EventKind::StakeholderReply, NotifyEvent::StakeholderReply)
    };
    tracing::info!(ticket = t.id, requester = %actor, event = %kind, "stakeholder reply joined the ticket");
    let e = Event::new(kind, &actor, now).on(row);
    if to == t.status {
        tickets::log(m.conn, t.id, &e)?;
    } else {
        tickets::set_status(m.conn, &mut t, to, &e)?;
    }
    tell_staff(m, &t, mail, &text, event, Some(&actor))?;
    Ok(Outcome::Reply { ticket: t.id })
}

/// A reply to a resolved ticket within its reopen period: a rating or a thank-you is
/// recorded, a new question reopens it, and anything else is shown to staff without
/// reopening.
fn after_resolved(
    m: &Mailer<'_>,
    r: &Received<'_>,
    t: &mut Ticket,
    text: &str,
    row: i64,
) -> Result<Outcome, MailError> {
    let (now, actor) = (m.now, r.sender());
    let reading = ikm::after_resolved(text);
    if let AfterResolved::Rating { score, comment, .. } = &reading {
        rate(m, t, *score, comment, row)?;
    }
    match reading {
        AfterResolved::Question | AfterResolved::Rating { asks: true, .. } => {
            let to = ticket::transition(t.status, &Action::Reopen).unwrap_or(Status::InProgress);
            tracing::info!(ticket = t.id, requester = %actor, "ticket reopened by the stakeholder's reply");
            let e = Event::new(EventKind::Reopened, &actor, now).on(row);
            tickets::set_status(m.conn, t, to, &e)?;
            t.resolved_at = None;
            tickets::save(m.conn, t)?;
            tell_staff(m, t, r.mail, text, NotifyEvent::Reopened, Some(&actor))?;
        }
        AfterResolved::Rating { .. } => {}
        AfterResolved::Thanks => {
            tickets::log(
                m.conn,
                t.id,
                &Event::new(EventKind::StakeholderReply, &actor, now)
                    .on(row)
                    .detail("thanks"),
            )?;
        }
        AfterResolved::Unclear => {
            tickets::log(
                m.conn,
                t.id,
                &Event::new(EventKind::Unclear, &actor, now).on(row),
            )?;
            tell_staff(m, t, r.mail, text, NotifyEvent::Unclear, Some(&actor))?;
            tracing::info!(ticket = t.id, sender = %actor, "reply after Resolved neither thanks nor a question: not reopened, staff asked");
        }
    }
    Ok(Outcome::Reply { ticket: t.id })
}

/// An answer that may not be relayed (from an unlisted address, or from staff without
/// proof) waits: the staff on the ticket hear of it, with its text.
pub(crate) fn answer_waiting(
    m: &Mailer<'_>,
    t: &Ticket,
    mail: &ParsedMail,
    from: &str,
) -> Result<(), MailError> {
    let sent = sent::sent_about(m.conn, t.id, Audience::Anyone)?;
    let text = relay::strip_own(&mail.text, &sent);
    for to in staff_on(m, t)? {
        if to != from {
            let letter = Letter::Notify {
                event: NotifyEvent::AnswerWaiting,
                text: &text,
                by: Some(from),
                thread: Vec::new(),
                listed_attachments: Vec::new(),
                earlier: None,
            };
            m.to_staff(t, &to, &letter, Sending::default())?;
        }
    }
    Ok(())
}

/// The people in To/Cc of the stakeholder's first mail who join their ticket: not the
/// office, not its staff, not the requester.
/// When there are more than [`MAX_COLLEAGUES`], none joins and their number is returned.
fn colleagues<'a>(
    desk: &Desk,
    mail: &'a ParsedMail,
    requester: &str,
) -> (Vec<&'a crate::mail::parse::Address>, Option<usize>) {
    let office_domain = desk.config.mail.domain().to_lowercase();
    let mut seen: Vec<String> = Vec::new();
    let found: Vec<&crate::mail::parse::Address> = mail
        .to
        .iter()
        .chain(&mail.cc)
        .filter(|a| {
            let email = a.email.to_lowercase();
            let own = email.rsplit('@').next() == Some(office_domain.as_str())
                || email == desk.config.mail.address.to_lowercase()
                || desk.config.roster.staff_by_address(&email).is_some();
            let keep = !own && email != requester && !seen.contains(&email);
            if keep && !is_sendable(&email) {
                tracing::info!(sender = requester, copy = %email, "an address in To/Cc cannot be written to: not a copy of the ticket");
                return false;
            }
            if keep {
                seen.push(email);
            }
            keep
        })
        .collect();
    if found.len() > MAX_COLLEAGUES {
        // A mail to a whole list: answering everyone on it would be a mass mailing.
        tracing::info!(
            sender = requester,
            copies = found.len(),
            max = MAX_COLLEAGUES,
            "too many addresses in To/Cc: none joins the ticket; only the sender is answered"
        );
        return (Vec::new(), Some(found.len()));
    }
    (found, None)
}

/// Copies on one ticket: a mail to a whole list is not a list of colleagues.
const MAX_COLLEAGUES: usize = 10;

fn rate(m: &Mailer<'_>, t: &Ticket, score: u8, comment: &str, row: i64) -> Result<(), StoreError> {
    tickets::rate(m.conn, t.id, score, comment, m.now, row)?;
    let detail = score.to_string();
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::Rated, &t.requester, m.now)
            .on(row)
            .detail(&detail),
    )
}

/// Tells the staff on a ticket what the stakeholder (or a colleague, `by`) wrote, with
/// attachments.
fn tell_staff(
    m: &Mailer<'_>,
    t: &Ticket,
    mail: &ParsedMail,
    text: &str,
    event: NotifyEvent,
    by: Option<&str>,
) -> Result<(), MailError> {
    notify(m, t, &staff_on(m, t)?, mail, event, text, by)
}

/// One notification to each of `to` about a mail from the stakeholder's side (`by`:
/// who wrote it, when it is not the requester's first mail), with its attachments.
fn notify(
    m: &Mailer<'_>,
    t: &Ticket,
    to: &[String],
    mail: &ParsedMail,
    event: NotifyEvent,
    text: &str,
    by: Option<&str>,
) -> Result<(), MailError> {
    let limit = m.desk.config.helpdesk.forward_attachments_max_bytes;
    // The same for everyone: looked up once.
    let earlier = if event == NotifyEvent::New {
        earlier_tickets(m, t)?
    } else {
        None
    };
    for to in to {
        let (files, listed) = forwardable(limit, mail);
        let letter = Letter::Notify {
            event,
            text,
            by,
            thread: Vec::new(),
            listed_attachments: listed,
            earlier: earlier.clone(),
        };
        m.to_staff(t, to, &letter, Sending::files(files))?;
    }
    Ok(())
}

/// The requester's earlier tickets (how many, the last three), for the CSO who reads
/// their new one; `None` for a first question.
fn earlier_tickets(m: &Mailer<'_>, t: &Ticket) -> Result<Option<Earlier>, StoreError> {
    let (count, last) = tickets::earlier_of(m.conn, &t.requester, t.id, 3)?;
    if count == 0 {
        return Ok(None);
    }
    let offset = m.desk.calendar.utc_offset();
    let last = last
        .into_iter()
        .map(|e| EarlierTicket {
            id: e.id,
            subject: e.subject,
            status: e.status.label_id(),
            opened: text::date_id(e.created_at.with_timezone(&offset).date_naive()),
        })
        .collect();
    Ok(Some(Earlier {
        count: count.min(tickets::EARLIER_COUNTED),
        more: count > tickets::EARLIER_COUNTED,
        last,
    }))
}

/// Attachments that fit in a notification, and the names of those that do not.
fn forwardable(max: u64, mail: &ParsedMail) -> (Vec<FileAttachment>, Vec<String>) {
    let mut total = 0u64;
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for a in &mail.attachments {
        let size = a.data.len() as u64;
        if total + size <= max {
            total += size;
            files.push(FileAttachment::from(a));
        } else {
            listed.push(kept_on_server(&a.filename, size));
        }
    }
    (files, listed)
}
