//! `tickets`, `show`, `outbox`, `quarantine`, `attachment`, `mail`: what the store
//! holds, in office-local time.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use loketd::rules::kinds::OutboxStatus;
use loketd::rules::ticket::Status;
use loketd::store::{messages, outbox, tickets};

use super::{Office, say, size};

pub(crate) fn list_tickets(root: &Path, status: Option<Status>) -> Result<()> {
    let o = Office::open(root)?;
    for t in tickets::list(o.store.conn(), status)? {
        say!(
            "#{:<5} {:<18} {:<5} {:<32} {}",
            t.id,
            t.status.as_str(),
            t.service,
            t.requester,
            t.subject
        );
    }
    Ok(())
}

pub(crate) fn show(root: &Path, id: i64) -> Result<()> {
    let o = Office::open(root)?;
    let conn = o.store.conn();
    let Some(t) = tickets::find(conn, id)? else {
        bail!("there is no ticket #{id} (`loketd tickets` lists them)");
    };
    say!("Ticket #{} [{}] {}", t.id, t.status.as_str(), t.subject);
    say!(
        "  service {} · requester {} · assignee {}",
        t.service,
        t.requester,
        t.assignee.as_deref().unwrap_or("-")
    );
    say!("  created    {}", o.time(t.created_at));
    say!("  due        {}", o.opt_time(t.due_at));
    say!("  escalation {}", o.opt_time(t.escalation_due_at));
    say!("Messages (loketd mail N --output PATH writes one as received):");
    for m in messages::of_ticket(conn, id)? {
        say!(
            "  [{}] {} {} {}",
            m.id,
            o.time(m.received_at),
            m.kind,
            m.sender
        );
        if m.body.is_empty() {
            say!("      (no text kept)");
        }
        for line in m.body.lines().take(20) {
            say!("      {line}");
        }
    }
    let attachments = messages::attachments_of_ticket(conn, id)?;
    if !attachments.is_empty() {
        say!("Attachments (loketd attachment {id} NAME --output PATH):");
    }
    for a in attachments {
        let kept = loketd::store::attachment_file(o.data_dir(), &a.sha256).is_file();
        say!(
            "  {} ({}, {}) with message [{}]{}",
            a.filename,
            a.content_type,
            size(a.size),
            a.message,
            if kept { "" } else { " — file removed" }
        );
    }
    say!("Mails sent:");
    for r in outbox::of_ticket(conn, id)? {
        let state = match r.status {
            OutboxStatus::Sent => format!("sent {}", o.opt_time(r.sent_at)),
            OutboxStatus::Pending if r.attempts == 0 => "queued".to_string(),
            OutboxStatus::Pending => format!(
                "queued, {} attempt(s), next {}",
                r.attempts,
                o.time(r.next_attempt_at)
            ),
            OutboxStatus::Failed => format!("FAILED after {} attempt(s)", r.attempts),
        };
        let error = r
            .last_error
            .filter(|_| r.status != OutboxStatus::Sent)
            .map(|e| format!(" — {e}"))
            .unwrap_or_default();
        say!(
            "  [{}] {} to {} · {state}{error}",
            r.id,
            r.kind,
            r.recipients
        );
    }
    say!("Events:");
    for e in tickets::events(conn, id)? {
        let change = match (&e.from_status, &e.to_status) {
            (Some(f), Some(t)) => format!(" {f} → {t}"),
            _ => String::new(),
        };
        say!(
            "  {} {} {}{} {}",
            o.time(e.at),
            e.actor,
            e.kind,
            change,
            e.detail
        );
    }
    Ok(())
}

pub(crate) fn list_outbox(root: &Path, status: Option<OutboxStatus>) -> Result<()> {
    let o = Office::open(root)?;
    for r in outbox::list(o.store.conn(), status)? {
        say!(
            "{:<5} #{:<5} {:<18} {:<8} {:<3} {:<36} {} {}",
            r.id,
            r.ticket_id.map_or("-".into(), |t| t.to_string()),
            r.kind.to_string(),
            r.status.to_string(),
            r.attempts,
            r.recipients,
            o.time(r.sent_at.unwrap_or(r.created_at)),
            r.last_error.unwrap_or_default()
        );
    }
    Ok(())
}

pub(crate) fn list_quarantine(root: &Path) -> Result<()> {
    let o = Office::open(root)?;
    for q in messages::quarantined(o.store.conn())? {
        say!(
            "{} {} uid {} from {} ({}): {} {}",
            o.time(q.at),
            q.folder,
            q.uid,
            q.sender.as_deref().unwrap_or("-"),
            size(q.size),
            q.reason,
            q.raw_sha256.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}

/// Writes attachment `name` of ticket `id` to `output` (`-`: stdout). `name` is the
/// file name `show` lists, or `#N` for the N-th attachment when names repeat.
pub(crate) fn attachment(root: &Path, id: i64, name: &str, output: &Path) -> Result<()> {
    let o = Office::open(root)?;
    let all = messages::attachments_of_ticket(o.store.conn(), id)?;
    let listed = || {
        all.iter()
            .enumerate()
            .map(|(i, a)| format!("#{} {}", i + 1, a.filename))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by_number = name
        .strip_prefix('#')
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| all.get(i));
    let named: Vec<_> = all.iter().filter(|a| a.filename == name).collect();
    let a = match (by_number, named.as_slice()) {
        (Some(a), _) => a,
        (None, [a]) => *a,
        (None, []) if all.is_empty() => bail!("ticket #{id} has no attachments"),
        (None, []) => bail!(
            "ticket #{id} has no attachment {name:?}; it has: {}",
            listed()
        ),
        (None, _) => bail!(
            "ticket #{id} has {} attachments named {name:?}; give its number instead: {}",
            named.len(),
            listed()
        ),
    };
    let file = loketd::store::attachment_file(o.data_dir(), &a.sha256);
    if !file.is_file() {
        bail!(
            "the file of {} was removed (by [retention], or it is missing from {})",
            a.filename,
            o.data_dir().display()
        );
    }
    let data = std::fs::read(&file)?;
    if write_out(&data, output)? {
        eprintln!(
            "wrote {} ({}, {}) to {}",
            a.filename,
            a.content_type,
            super::size(a.size),
            output.display()
        );
    }
    Ok(())
}

/// Writes mail `which` (a message number as `show` lists it, or the sha256 of a mail as
/// received) to `output` (`-`: stdout), as it was received: its raw file with the
/// attachment bodies the store keeps as files put back, checked against its hash.
pub(crate) fn mail(root: &Path, which: &str, output: &Path) -> Result<()> {
    let o = Office::open(root)?;
    let sha = match which.parse::<i64>() {
        Ok(id) => match messages::raw_sha256(o.store.conn(), id)? {
            Some(sha) => sha,
            None => bail!("there is no mail [{id}] (`loketd show N` lists a ticket's mails)"),
        },
        Err(_) => which.to_string(),
    };
    let data = loketd::store::raw::read(o.data_dir(), &sha)?;
    if write_out(&data, output)? {
        eprintln!(
            "wrote mail {sha} as received ({}) to {}",
            super::size(data.len() as u64),
            output.display()
        );
    }
    Ok(())
}

/// Writes `data` to `output`, a new file (never overwritten), or stdout for `-`; true
/// when it went to a file.
fn write_out(data: &[u8], output: &Path) -> Result<bool> {
    if output == Path::new("-") {
        std::io::stdout().lock().write_all(data)?;
        return Ok(false);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .map_err(|e| anyhow::anyhow!("{}: {e} (it is never overwritten)", output.display()))?;
    f.write_all(data)?;
    Ok(true)
}
