//! The clocks of the standard, run on every tick: progress replies while escalated and
//! while a recorded visit or call waits for its solution,
//! reminders, breach alerts, the CSO alert when a new ticket goes unanswered, document
//! reminders, auto-close and the staff's daily digest. Each mail carries a dedup key in
//! the outbox, so a tick repeated after a restart never sends the same thing twice.

use chrono::{DateTime, Duration, Utc};

use super::digest;
use super::letters::{Letter, MailError, Mailer, ReminderKind, Sending};
use super::{desk_mail, recipients};
use crate::desk::Desk;
use crate::mail::compose::is_sendable;
use crate::rules::kinds::EventKind;
use crate::rules::ticket::{self, Action, Status};
use crate::store::tickets::{self, Event, Ticket};
use crate::store::{Store, StoreError, outbox};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub progress: usize,
    pub reminders: usize,
    pub alerts: usize,
    pub closed: usize,
    /// Daily digests queued.
    pub digests: usize,
}

pub fn tick(store: &mut Store, desk: &Desk, now: DateTime<Utc>) -> Result<TickReport, MailError> {
    let mut report = TickReport::default();
    let open = tickets::open(store.conn())?;
    for mut t in open {
        // One transaction per ticket: a failure on one never blocks the others.
        let tx = store.transaction()?;
        let mailer = Mailer::new(desk, &tx, now);
        match t.status {
            Status::New | Status::InProgress => {
                unanswered(&mailer, &t, &mut report)?;
                visit_progress(&mailer, &mut t, &mut report)?;
                report.alerts += desk_mail::visit_deadline(&mailer, &t, |staff, key| {
                    remind(&mailer, &t, staff, ReminderKind::Visit, key)
                })?;
            }
            Status::AwaitingDocuments => documents_reminder(&mailer, &t, &mut report)?,
            Status::Escalated => escalated(&mailer, &mut t, &mut report)?,
            Status::Resolved => auto_close(&mailer, &mut t, &mut report)?,
            Status::Closed => {}
        }
        tx.commit().map_err(StoreError::from)?;
    }
    report.alerts += undelivered(store, desk, now)?;
    desk_mail::refresh_standing(store, desk, now)?;
    // After the clocks, so the digest lists what they just changed.
    report.digests = digest::run(store, desk, now)?;
    Ok(report)
}

/// A mail to a stakeholder that the mail server refused for good (their address does
/// not exist, their mailbox is full for good): its ticket's owner, or the CSOs on duty,
/// are told once, with the server's answer, so someone answers another way. The outbox
/// keeps it as failed (`loketd outbox --status failed`; `loketd status` warns).
fn undelivered(store: &mut Store, desk: &Desk, now: DateTime<Utc>) -> Result<usize, MailError> {
    let refused = outbox::refused_since(store.conn(), now - Duration::days(7))?;
    let roster = &desk.config.roster;
    let to_stakeholder = |r: &outbox::Refused| {
        r.recipients
            .split(',')
            .all(|a| roster.staff_by_address(a.trim()).is_none())
    };
    let refused: Vec<_> = refused.into_iter().filter(to_stakeholder).collect();
    if refused.is_empty() {
        return Ok(0);
    }
    let tx = store.transaction()?;
    let m = Mailer::new(desk, &tx, now);
    let mut told = 0;
    for r in &refused {
        let Some(t) = tickets::find(&tx, r.ticket_id)? else {
            continue;
        };
        let letter = Letter::Undelivered {
            recipients: &r.recipients,
            what: r.kind.into(),
            error: &r.error,
        };
        // Not the round-robin turn: a notice must not advance it.
        let staff = match &t.assignee {
            Some(a) => vec![a.clone()],
            None => recipients::first_line(desk),
        };
        for to in staff {
            let subject = format!(
                "Surel untuk {} tidak terkirim (tiket #{})",
                r.recipients, t.id
            );
            let dedup = format!("undelivered:{}:{to}", r.id);
            if m.to_address_once(Some(&t), &to, subject, &letter, &dedup)? {
                told += 1;
                tracing::warn!(ticket = t.id, outbox = r.id, %to, "a mail to the stakeholder was refused for good; staff told");
            }
        }
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(told)
}

/// The completion clock ran out with no answer: alert the CSOs on duty (and the assignee).
fn unanswered(m: &Mailer<'_>, t: &Ticket, r: &mut TickReport) -> Result<(), MailError> {
    let (Some(due), None) = (t.due_at, t.first_response_at) else {
        return Ok(());
    };
    if m.now < due {
        return Ok(());
    }
    // Every CSO, or whoever stands in for them (not the round-robin turn: an alert
    // must not advance it).
    let mut to = match &t.assignee {
        Some(a) => vec![a.clone()],
        None => recipients::first_line(m.desk),
    };
    to.dedup();
    for staff in to {
        let key = format!("unanswered:{}:{staff}", t.id);
        if remind(m, t, &staff, ReminderKind::Unanswered, key)? {
            r.alerts += 1;
        }
    }
    Ok(())
}

fn documents_reminder(m: &Mailer<'_>, t: &Ticket, r: &mut TickReport) -> Result<(), MailError> {
    let Some(paused) = t.paused_at else {
        return Ok(());
    };
    let days = m.desk.config.helpdesk.document_reminder_days;
    if m.now < m.desk.calendar.add_working_days(paused, days) {
        return Ok(());
    }
    let key = format!("docreminder:{}:{}", t.id, paused.timestamp());
    if m.to_stakeholder(
        t,
        &Letter::DocumentsReminder {},
        Sending::default().automatic().once(key),
    )? {
        r.reminders += 1;
    }
    Ok(())
}

/// Whether today's progress is due: a working day, past the configured time, and none
/// went out today (scheduled, or a staff member's `#progres`).
fn progress_due(m: &Mailer<'_>, t: &Ticket) -> bool {
    let cal = &m.desk.calendar;
    let today = cal.local_date(m.now);
    let progress_at = cal.at_local(today, m.desk.config.helpdesk.progress_time);
    let sent_today = t
        .last_progress_at
        .is_some_and(|p| cal.local_date(p) == today);
    cal.is_working_day(today) && m.now >= progress_at && !sent_today
}

/// Today's progress reply to the stakeholder (when [`progress_due`]).
fn send_progress(
    m: &Mailer<'_>,
    t: &mut Ticket,
    r: &mut TickReport,
    answered_at: Option<String>,
) -> Result<(), MailError> {
    let key = format!("progress:{}:{}", t.id, m.desk.calendar.local_date(m.now));
    let letter = Letter::Progress {
        text: "",
        staff_name: None,
        answered_at,
    };
    if m.to_stakeholder(t, &letter, Sending::default().automatic().once(key))? {
        // Marked only when queued: a reply held back by the hourly loop guard is
        // tried again on the next tick instead of silently skipping the day.
        r.progress += 1;
        t.last_progress_at = Some(m.now);
        tickets::save(m.conn, t)?;
        tickets::log(
            m.conn,
            t.id,
            &Event::new(EventKind::ProgressSent, "loketd", m.now).detail("scheduled"),
        )?;
    }
    Ok(())
}

/// The standard's step 6b: while a consultation recorded from a visit or call waits
/// for its solution (the 3 working days after it), the visitor hears of progress each
/// working day after the visit day: by mail when they gave an address; else its owner
/// is reminded to call them (and records that with `#progres`, which stops the
/// reminder for the day). After the 3 days, `desk_mail::visit_deadline` takes over.
fn visit_progress(m: &Mailer<'_>, t: &mut Ticket, r: &mut TickReport) -> Result<(), MailError> {
    let cal = &m.desk.calendar;
    let today = cal.local_date(m.now);
    if !desk_mail::visit_waiting(t)
        || m.now >= desk_mail::visit_deadline_at(m, t)
        || today <= cal.local_date(t.created_at)
        || !progress_due(m, t)
    {
        return Ok(());
    }
    if is_sendable(&t.requester) {
        return send_progress(m, t, r, None);
    }
    let owners = match &t.assignee {
        Some(a) => vec![a.clone()],
        None => recipients::first_line(m.desk),
    };
    for staff in owners {
        let key = format!("callprogress:{}:{today}:{staff}", t.id);
        if remind(m, t, &staff, ReminderKind::Progress, key)? {
            r.reminders += 1;
        }
    }
    Ok(())
}

fn escalated(m: &Mailer<'_>, t: &mut Ticket, r: &mut TickReport) -> Result<(), MailError> {
    let desk = m.desk;
    let cal = &desk.calendar;
    let today = cal.local_date(m.now);

    // A progress reply each working day at the configured time, unless one went out today.
    if progress_due(m, t) {
        let answered_at = answered_since_escalation(m, t)?.map(|at| m.local(at));
        send_progress(m, t, r, answered_at)?;
    }

    let Some(due) = t.escalation_due_at else {
        return Ok(());
    };
    let head = t
        .section
        .as_deref()
        .and_then(|c| desk.config.roster.section(c))
        .map(|s| s.head.clone());
    let mut responsible: Vec<String> = head.into_iter().chain(t.assignee.clone()).collect();
    responsible.dedup();
    // Half of the office time between the question and the deadline: counted in
    // calendar time, a deadline across Idulfitri would put "half-way" on a holiday.
    let span = cal.office_minutes_between(t.created_at, due);
    let halfway = cal.add_office_minutes(t.created_at, span / 2);
    if m.now >= halfway && m.now < due {
        for s in &responsible {
            if remind(
                m,
                t,
                s,
                ReminderKind::Halfway,
                format!("halfway:{}:{s}", t.id),
            )? {
                r.reminders += 1;
            }
        }
    }
    if cal.local_date(due) == today && m.now < due {
        for s in &responsible {
            if remind(
                m,
                t,
                s,
                ReminderKind::Dueday,
                format!("dueday:{}:{s}", t.id),
            )? {
                r.reminders += 1;
            }
        }
    }
    if m.now >= due {
        // At the miss, once: the section head (and owner) and the head of office.
        let mut alerted: Vec<String> = responsible;
        if let Some(k) = desk.config.roster.head_of_office() {
            alerted.push(k.address.clone());
        }
        alerted.dedup();
        let mut any = false;
        for k in alerted {
            let key = format!("breach:{}:{k}", t.id);
            if remind(m, t, &k, ReminderKind::Breach, key)? {
                r.alerts += 1;
                any = true;
            }
        }
        // The alerts' dedup keys make this true once per ticket.
        if any {
            tracing::info!(ticket = t.id, due = %due, "escalation deadline missed: section head and head of office alerted");
        }
    }
    Ok(())
}

/// When a staff answer last went to the stakeholder after the escalation, if one did.
fn answered_since_escalation(
    m: &Mailer<'_>,
    t: &Ticket,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut answered = None;
    for e in tickets::events(m.conn, t.id)? {
        match e.kind {
            EventKind::Escalated => answered = None,
            EventKind::Answered => answered = Some(e.at),
            _ => {}
        }
    }
    Ok(answered)
}

fn auto_close(m: &Mailer<'_>, t: &mut Ticket, r: &mut TickReport) -> Result<(), MailError> {
    let Some(resolved) = t.resolved_at else {
        return Ok(());
    };
    let quiet = Duration::days(i64::from(m.desk.config.helpdesk.auto_close_days));
    if m.now < resolved + quiet {
        return Ok(());
    }
    let to = ticket::transition(t.status, &Action::AutoClose).unwrap_or(Status::Closed);
    t.closed_at = Some(m.now);
    tickets::save(m.conn, t)?;
    tickets::set_status(
        m.conn,
        t,
        to,
        &Event::new(EventKind::AutoClosed, "loketd", m.now),
    )?;
    r.closed += 1;
    Ok(())
}

/// A reminder or alert to one staff member, at most once per key.
fn remind(
    m: &Mailer<'_>,
    t: &Ticket,
    staff: &str,
    what: ReminderKind,
    key: String,
) -> Result<bool, MailError> {
    let sent = m.to_staff(
        t,
        staff,
        &Letter::Reminder { what },
        Sending::default().once(key),
    )?;
    if sent {
        tickets::log(
            m.conn,
            t.id,
            &Event::new(what.event(), "loketd", m.now).detail(staff),
        )?;
    }
    Ok(sent)
}
