//! What a verified staff reply does: the published procedure's steps 2–6, carried out
//! from the staff member's mail client. Everything is checked before anything changes,
//! so a reply with a mistake changes nothing and tells its author what was wrong.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::command::{self, Command};
use crate::compose::FileAttachment;
use crate::config::{NotifyMode, Role};
use crate::desk::Desk;
use crate::ingest::attachments_of;
use crate::mails::{Letter, MailError, Mailer};
use crate::parse::ParsedMail;
use crate::quote;
use crate::standards::Deadline;
use crate::store::StoreError;
use crate::ticket::{self, Action, Status};
use crate::tickets::{self, Ticket};

/// Staff who get a new ticket: every CSO, or the next one in turn.
pub fn on_duty(conn: &Connection, desk: &Desk) -> Result<Vec<String>, StoreError> {
    let csos: Vec<String> = desk.config.csos().map(|s| s.address.clone()).collect();
    if csos.is_empty() {
        // No CSO configured: section heads and the head of office still must hear of it.
        return Ok(desk
            .config
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

/// Every CSO (for alerts, which must not advance the round-robin turn).
pub fn on_duty_all(desk: &Desk) -> Vec<String> {
    desk.config.csos().map(|s| s.address.clone()).collect()
}

/// Attachments that fit in a notification, and the names of those that do not.
pub fn forwardable(desk: &Desk, mail: &ParsedMail) -> (Vec<FileAttachment>, Vec<String>) {
    let max = desk.config.helpdesk.forward_attachments_max_bytes;
    let mut total = 0u64;
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for a in attachments_of(mail) {
        let size = a.data.len() as u64;
        if total + size <= max {
            total += size;
            files.push(a);
        } else {
            listed.push(format!(
                "{} ({:.1} MB, tersimpan di server loketd)",
                a.filename,
                size as f64 / 1_048_576.0
            ));
        }
    }
    (files, listed)
}

/// A change that passed every check, ready to apply.
struct Plan {
    owner: Option<String>,
    action: Action,
    command: Option<Command>,
    to: Status,
    text: String,
}

/// Runs a verified staff reply against ticket `t`.
pub fn execute(
    mailer: &Mailer<'_>,
    t: &mut Ticket,
    mail: &ParsedMail,
    row: i64,
) -> Result<(), MailError> {
    let actor = mail
        .from
        .as_ref()
        .map(|a| a.email.to_lowercase())
        .unwrap_or_default();
    match plan(mailer.desk, t, &actor, &quote::strip_reply(&mail.text)) {
        Ok(plan) => apply(mailer, t, mail, row, &actor, plan),
        Err(problem) => {
            tickets::event(
                mailer.conn,
                t.id,
                mailer.now,
                &actor,
                "command_rejected",
                Some(row),
                &problem,
            )?;
            let mut ctx = mailer.context(t);
            ctx.insert("problem", &problem);
            mailer.to_staff(
                t,
                &actor,
                Letter::new("command_error", "command_error.txt", ctx),
            )?;
            tracing::info!(ticket = t.id, staff = %actor, %problem, "staff command rejected");
            Ok(())
        }
    }
}

fn plan(desk: &Desk, t: &Ticket, actor: &str, text: &str) -> Result<Plan, String> {
    let parsed = command::parse(text).map_err(|e| e.to_string())?;
    let mut owner = None;
    let mut handover = false;
    let mut main = None;
    for c in parsed.commands {
        match c {
            Command::Take => owner = Some(actor.to_string()),
            Command::Assign { staff } => {
                let found = desk
                    .config
                    .staff
                    .iter()
                    .find(|s| s.address.eq_ignore_ascii_case(&staff) || s.name.eq_ignore_ascii_case(&staff))
                    .ok_or_else(|| {
                        format!(
                            "Petugas `{staff}` tidak ada dalam daftar staf; tulis alamat surelnya, misalnya `#alihkan {}`.",
                            desk.config.csos().next().map_or("cso@kantor", |s| s.address.as_str())
                        )
                    })?;
                owner = Some(found.address.clone());
                handover = true;
            }
            Command::Escalate { ref section } => {
                if desk.config.section(section).is_none() {
                    let codes: Vec<&str> = desk
                        .config
                        .sections
                        .iter()
                        .map(|s| s.code.as_str())
                        .collect();
                    return Err(format!(
                        "Seksi `{section}` tidak dikenal. Kode seksi yang ada: {}.",
                        codes.join(", ")
                    ));
                }
                main = Some(c);
            }
            other => main = Some(other),
        }
    }
    let action = match &main {
        Some(c) => Action::from_command(c),
        // The text under `#alihkan` is a hand-over note for the new owner: it must never
        // reach the stakeholder as an answer.
        None if handover => Action::Assign,
        None if parsed.text.is_empty() && owner.is_some() => Action::Take,
        None if parsed.text.is_empty() => {
            return Err("Balasan Anda kosong: tidak ada jawaban maupun perintah.".into());
        }
        None => Action::StaffAnswer,
    };
    let to = ticket::transition(t.status, &action).map_err(|e| e.to_string())?;
    Ok(Plan {
        owner,
        action,
        command: main,
        to,
        text: parsed.text,
    })
}

fn apply(
    mailer: &Mailer<'_>,
    t: &mut Ticket,
    mail: &ParsedMail,
    row: i64,
    actor: &str,
    plan: Plan,
) -> Result<(), MailError> {
    let desk = mailer.desk;
    let conn = mailer.conn;
    let now = mailer.now;
    let files = attachments_of(mail);
    // The stakeholder never saw the staff reply: thread on their own latest mail.
    let last_in = last_stakeholder_message(conn, t.id)?;
    let reply_to = last_in.as_deref();

    if let Some(owner) = &plan.owner
        && t.assignee.as_deref() != Some(owner.as_str())
    {
        t.assignee = Some(owner.clone());
        tickets::event(conn, t.id, now, actor, "assigned", Some(row), owner)?;
        if owner != actor {
            let mut ctx = mailer.context(t);
            ctx.insert("event", "assigned");
            ctx.insert("text", &plan.text);
            ctx.insert("by", actor);
            ctx.insert("thread", &thread(conn, t.id)?);
            ctx.insert("listed_attachments", &Vec::<String>::new());
            mailer.to_staff(t, owner, Letter::new("notify", "notify.txt", ctx))?;
        }
    }
    // Whoever first acts on an unowned ticket owns it.
    if t.assignee.is_none() && !matches!(plan.action, Action::Note) {
        t.assignee = Some(actor.to_string());
    }
    let moves_case_on = matches!(
        plan.action,
        Action::StaffAnswer | Action::RequestDocuments | Action::Escalate | Action::Resolve
    );
    if moves_case_on && t.first_response_at.is_none() {
        t.first_response_at = Some(now);
    }

    let mut ctx = mailer.context(t);
    ctx.insert("text", &plan.text);
    let staff_name = desk.config.staff_by_address(actor).map(|s| s.name.clone());
    ctx.insert("staff_name", &staff_name);
    let kind = match plan.action {
        Action::StaffAnswer => {
            mailer.to_stakeholder(
                t,
                Letter::new("answer", "answer.txt", ctx).with_files(files),
                false,
                reply_to,
            )?;
            "answered"
        }
        Action::RequestDocuments => {
            t.paused_at = Some(now);
            mailer.to_stakeholder(
                t,
                Letter::new("documents", "documents.txt", ctx).with_files(files),
                false,
                reply_to,
            )?;
            "documents_requested"
        }
        Action::Escalate => {
            let Some(Command::Escalate { section }) = &plan.command else {
                unreachable!("Escalate comes from the #eskalasi command")
            };
            let section = desk
                .config
                .section(section)
                .cloned()
                .expect("checked in plan");
            t.section = Some(section.code.clone());
            // The standard's escalation term; 3 working days (the published default) when
            // a service names none.
            let term = desk
                .site
                .service(&t.service)
                .and_then(|s| s.escalation)
                .unwrap_or(Deadline::WorkingDays(3));
            t.escalation_due_at = Some(desk.deadline(t.created_at, term));
            // The escalation mail tells the stakeholder where things stand: it is today's
            // progress reply, so the scheduler starts on the next working day.
            t.last_progress_at = Some(now);
            tickets::set_status(
                conn,
                t,
                plan.to,
                now,
                actor,
                "escalated",
                Some(row),
                &section.code,
            )?;
            let mut ctx = mailer.context(t);
            ctx.insert("text", &plan.text);
            ctx.insert("staff_name", &staff_name);
            mailer.to_stakeholder(
                t,
                Letter::new("escalated", "escalated.txt", ctx.clone()),
                false,
                reply_to,
            )?;
            ctx.insert("event", "escalated");
            ctx.insert("by", actor);
            ctx.insert("thread", &thread(conn, t.id)?);
            // The section head joins late: give them the stakeholder's documents too.
            let (files, listed) = earlier_attachments(desk, conn, t.id, files)?;
            ctx.insert("listed_attachments", &listed);
            mailer.to_staff(
                t,
                &section.head,
                Letter::new("escalation", "notify.txt", ctx).with_files(files),
            )?;
            tickets::save(conn, t)?;
            return Ok(());
        }
        Action::Progress => {
            t.last_progress_at = Some(now);
            mailer.to_stakeholder(
                t,
                Letter::new("progress", "progress.txt", ctx).with_files(files),
                false,
                reply_to,
            )?;
            "progress_sent"
        }
        Action::Resolve => {
            t.resolved_at = Some(now);
            t.paused_at = None;
            let mut ctx = ctx;
            ctx.insert("status", "Resolved");
            mailer.to_stakeholder(
                t,
                Letter::new("resolved", "resolved.txt", ctx).with_files(files),
                false,
                reply_to,
            )?;
            "resolved"
        }
        Action::Note => {
            for other in tickets::participants(conn, t.id)? {
                if other != actor {
                    let mut ctx = ctx.clone();
                    ctx.insert("event", "note");
                    ctx.insert("by", actor);
                    ctx.insert("listed_attachments", &Vec::<String>::new());
                    mailer.to_staff(
                        t,
                        &other,
                        Letter::new("note", "notify.txt", ctx).with_files(files.clone()),
                    )?;
                }
            }
            "note"
        }
        Action::Close => {
            t.closed_at = Some(now);
            "closed"
        }
        Action::Take | Action::Assign => {
            // The ownership block above logged the change; only save it.
            tickets::save(conn, t)?;
            return Ok(());
        }
        Action::StakeholderReply { .. } | Action::AutoClose | Action::Reopen => {
            unreachable!("not a staff action")
        }
    };
    let detail = if matches!(plan.action, Action::Note) {
        plan.text.as_str()
    } else {
        ""
    };
    if plan.to != t.status {
        tickets::set_status(conn, t, plan.to, now, actor, kind, Some(row), detail)?;
    } else {
        tickets::event(conn, t.id, now, actor, kind, Some(row), detail)?;
    }
    tickets::save(conn, t)?;
    tracing::info!(ticket = t.id, staff = %actor, action = kind, "staff reply executed");
    Ok(())
}

/// The stakeholder's side of the thread so far, oldest first, for a section head who
/// joins the ticket late.
#[derive(serde::Serialize)]
struct ThreadEntry {
    at: DateTime<Utc>,
    sender: String,
    body: String,
}

/// `files` (the staff reply's own attachments) plus the stakeholder's earlier ones, read
/// back from the attachment store, as far as the forwarding limit allows; the names of
/// the rest are listed.
fn earlier_attachments(
    desk: &Desk,
    conn: &Connection,
    ticket: i64,
    mut files: Vec<FileAttachment>,
) -> Result<(Vec<FileAttachment>, Vec<String>), StoreError> {
    let max = desk.config.helpdesk.forward_attachments_max_bytes;
    let mut total: u64 = files.iter().map(|f| f.data.len() as u64).sum();
    let mut listed = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT a.sha256, a.filename, a.content_type, a.size FROM attachments a
         JOIN messages m ON m.id = a.message_row
         WHERE m.ticket_id = ?1 AND m.kind = 'stakeholder' ORDER BY a.id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (sha, filename, content_type, size) = row?;
        let size = size.max(0) as u64;
        let path = desk.config.mail.data_dir.join("attachments").join(&sha);
        match std::fs::read(&path) {
            Ok(data) if total + size <= max => {
                total += size;
                files.push(FileAttachment {
                    filename,
                    content_type,
                    data,
                });
            }
            // Too large to forward, or missing from the store: name it, never fail the reply.
            _ => listed.push(format!(
                "{filename} ({:.1} MB, tersimpan di server loketd)",
                size as f64 / 1_048_576.0
            )),
        }
    }
    Ok((files, listed))
}

/// The Message-ID of the stakeholder's latest mail in the ticket.
fn last_stakeholder_message(conn: &Connection, ticket: i64) -> Result<Option<String>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT message_id FROM messages
             WHERE ticket_id = ?1 AND kind = 'stakeholder' AND message_id IS NOT NULL
             ORDER BY id DESC LIMIT 1",
            [ticket],
            |r| r.get(0),
        )
        .optional()?)
}

fn thread(conn: &Connection, ticket: i64) -> Result<Vec<ThreadEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT received_at, COALESCE(sender, ''), body FROM messages
         WHERE ticket_id = ?1 AND kind IN ('stakeholder', 'staff') ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        let body: String = r.get(2)?;
        Ok(ThreadEntry {
            at: r.get(0)?,
            sender: r.get(1)?,
            body: quote::strip_reply(&body),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
