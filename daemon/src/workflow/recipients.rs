//! Who hears of what: the staff a ticket's news goes to, and who answers new questions.
//! One place, so that a new ticket, a survey comment, a quarantined mail and an alert
//! reach the same people.

use loket_core::config::{NotifyMode, Role};
use rusqlite::Connection;

use super::letters::Mailer;
use crate::desk::Desk;
use crate::rules::ticket::Status;
use crate::store::StoreError;
use crate::store::tickets::{self, Ticket};

/// The staff a ticket's news goes to: its owner, the section head while escalated,
/// else the CSOs on duty.
pub(crate) fn staff_on(m: &Mailer<'_>, t: &Ticket) -> Result<Vec<String>, StoreError> {
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
    Ok(recipients)
}

/// Staff who answer new questions: every CSO; with no CSO configured, the section heads
/// and the head of office (someone must hear of a question).
pub(crate) fn first_line(desk: &Desk) -> Vec<String> {
    let roster = &desk.config.roster;
    let csos: Vec<String> = roster.csos().map(|s| s.address.clone()).collect();
    if !csos.is_empty() {
        return csos;
    }
    roster
        .staff
        .iter()
        .filter(|s| s.role != Role::Cso)
        .map(|s| s.address.clone())
        .collect()
}

/// Staff who get a new ticket: the first line, or the next CSO in turn.
pub(crate) fn on_duty(conn: &Connection, desk: &Desk) -> Result<Vec<String>, StoreError> {
    let csos = first_line(desk);
    if desk.config.roster.csos().next().is_none() {
        return Ok(csos);
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
