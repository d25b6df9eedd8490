//! The stakeholder's side of the procedure: a new question opens a ticket (with an
//! acknowledgement and a notification to the CSOs on duty), a reply joins it, documents
//! restart the paused clock, a rating is recorded, and a reply after "Resolved" reopens
//! the ticket or, once it is closed, opens a new one that points back.

use chrono::Duration;
use loket_core::config::{NotifyMode, Role};
use rusqlite::Connection;

use super::letters::{Letter, MailError, Mailer, NotifyEvent, Sending, kept_on_server};
use super::received::{Outcome, Received};
use crate::desk::Desk;
use crate::mail::compose::FileAttachment;
use crate::mail::parse::ParsedMail;
use crate::mail::{quote, subject};
use crate::rules::ikm;
use crate::rules::kinds::{EventKind, MessageKind};
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
    let service = subject::service_codes(&mail.subject)
        .into_iter()
        .find(|c| desk.service(c).is_some())
        .unwrap_or_else(|| desk.config.helpdesk.default_service.clone());
    let due = desk
        .service(&service)
        .map(|s| desk.deadline(now, s.completion));
    let requester = from.email.to_lowercase();
    let t = tickets::create(
        m.conn,
        &NewTicket {
            service: &service,
            subject: &subject::clean(&mail.subject),
            requester: &requester,
            requester_name: from.name.as_deref(),
            created_at: now,
            due_at: due,
            previous_ticket: previous,
            root_message_id: mail.message_id.as_deref(),
        },
    )?;
    let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
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
    m.to_stakeholder(
        &t,
        &ack,
        Sending::default()
            .automatic()
            .answering(mail.message_id.clone()),
    )?;
    for cso in on_duty(m.conn, desk)? {
        notify(m, &t, &cso, mail, NotifyEvent::New, &mail.text)?;
    }
    tracing::info!(ticket = t.id, %service, requester = %from.email, "new ticket");
    Ok(t.id)
}

/// The stakeholder writes again in ticket `ticket`.
pub(crate) fn reply(m: &Mailer<'_>, r: &Received<'_>, ticket: i64) -> Result<Outcome, MailError> {
    let (desk, now, mail) = (m.desk, m.now, r.mail);
    let Some(mut t) = tickets::find(m.conn, ticket)? else {
        let id = open_ticket(m, r, None)?;
        return Ok(Outcome::New { ticket: id });
    };
    let text = quote::strip_reply(&mail.text);
    let reopen_until = t
        .resolved_at
        .map(|at| at + Duration::days(i64::from(desk.config.helpdesk.reopen_days)));

    // A closed ticket, or a resolved one past its reopen period, is not reopened: the
    // question gets a new ticket that points back at the old one.
    if t.status == Status::Closed
        || (t.status == Status::Resolved && reopen_until.is_some_and(|u| now > u))
    {
        if t.status == Status::Resolved
            && let Some((score, _)) = ikm::parse_rating(&text)
        {
            // A late rating is still a rating.
            let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
            rate(m, &t, score, &text, row)?;
            return Ok(Outcome::Reply { ticket: t.id });
        }
        let id = open_ticket(m, r, Some(t.id))?;
        return Ok(Outcome::New { ticket: id });
    }

    let row = r.store(m.conn, Some(t.id), MessageKind::Stakeholder, None, now)?;
    let actor = r.sender();
    if t.status == Status::Resolved {
        if let Some((score, comment)) = ikm::parse_rating(&text) {
            rate(m, &t, score, &comment, row)?;
            return Ok(Outcome::Reply { ticket: t.id });
        }
        let to = ticket::transition(t.status, &Action::Reopen).unwrap_or(Status::InProgress);
        let e = Event::new(EventKind::Reopened, &actor, now).on(row);
        tickets::set_status(m.conn, &mut t, to, &e)?;
        t.resolved_at = None;
        tickets::save(m.conn, &t)?;
        tell_staff(m, &t, mail, &text, NotifyEvent::Reopened)?;
        return Ok(Outcome::Reply { ticket: t.id });
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
    let e = Event::new(kind, &actor, now).on(row);
    if to == t.status {
        tickets::log(m.conn, t.id, &e)?;
    } else {
        tickets::set_status(m.conn, &mut t, to, &e)?;
    }
    tell_staff(m, &t, mail, &text, event)?;
    Ok(Outcome::Reply { ticket: t.id })
}

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

/// Tells the staff on a ticket what the stakeholder wrote (with attachments): its
/// owner, the section head while escalated, else the CSOs on duty.
fn tell_staff(
    m: &Mailer<'_>,
    t: &Ticket,
    mail: &ParsedMail,
    text: &str,
    event: NotifyEvent,
) -> Result<(), MailError> {
    let desk = m.desk;
    let mut recipients: Vec<String> = t.assignee.iter().cloned().collect();
    if t.status == Status::Escalated
        && let Some(head) = t
            .section
            .as_deref()
            .and_then(|c| desk.config.roster.section(c))
            .map(|s| s.head.clone())
        && !recipients.contains(&head)
    {
        recipients.push(head);
    }
    if recipients.is_empty() {
        recipients = on_duty(m.conn, desk)?;
    }
    for to in recipients {
        notify(m, t, &to, mail, event, text)?;
    }
    Ok(())
}

/// One notification about the stakeholder's mail, with its attachments.
fn notify(
    m: &Mailer<'_>,
    t: &Ticket,
    to: &str,
    mail: &ParsedMail,
    event: NotifyEvent,
    text: &str,
) -> Result<bool, MailError> {
    let limit = m.desk.config.helpdesk.forward_attachments_max_bytes;
    let (files, listed) = forwardable(limit, mail);
    let letter = Letter::Notify {
        event,
        text,
        by: None,
        thread: Vec::new(),
        listed_attachments: listed,
    };
    m.to_staff(t, to, &letter, Sending::files(files))
}

/// Staff who get a new ticket: every CSO, or the next one in turn.
fn on_duty(conn: &Connection, desk: &Desk) -> Result<Vec<String>, StoreError> {
    let roster = &desk.config.roster;
    let csos: Vec<String> = roster.csos().map(|s| s.address.clone()).collect();
    if csos.is_empty() {
        // No CSO configured: section heads and the head of office still must hear of it.
        return Ok(roster
            .staff
            .iter()
            .filter(|s| s.role != Role::Cso)
            .map(|s| s.address.clone())
            .collect());
    }
    match desk.config.helpdesk.notify {
        NotifyMode::All => Ok(csos),
        NotifyMode::RoundRobin => {
            let last = tickets::kv_get(conn, "round_robin")?;
            let next = last
                .and_then(|l| csos.iter().position(|c| *c == l))
                .map_or(0, |i| (i + 1) % csos.len());
            tickets::kv_set(conn, "round_robin", &csos[next])?;
            Ok(vec![csos[next].clone()])
        }
    }
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
