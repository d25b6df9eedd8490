//! `[retention]`: personal data is kept `mail_months` after a ticket closes, then its raw
//! mail, attachments, the text of its mails and the copies of mails sent are removed.
//! The ticket's facts stay for reports: status, service, times, events, ratings,
//! SKM scores and profile groups (not the SKM comment), addresses and subjects. A ticket pruned gets a `mail_removed` event; mail that
//! belongs to no ticket (automatic mail) goes `mail_months` after it arrived.
//! Quarantined mail is kept for a human. A file shared with mail still kept (the same
//! attachment sent again) stays, and so does an attachment file a kept raw mail needs
//! to be read back (`store::raw`: a mail quarantined after it was parsed may have its
//! attachment bodies cut out; a kept mail's own attachments are kept with it).
//!
//! The rows change first, in one transaction; the files go after. Deleting files is
//! idempotent (every run deletes what no kept row names), so a crash in between only
//! leaves files for the next run.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Months, Utc};
use rusqlite::params;

use super::tickets::{self, Event};
use super::{Store, StoreError, attachment_path, raw};
use crate::rules::kinds::EventKind;

/// What one prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub tickets: usize,
    pub texts: usize,
    pub raw_files: usize,
    pub attachment_files: usize,
}

/// SQL: message `m` is gone (its personal data may be removed). `?1` is the cutoff.
fn gone(m: &str) -> String {
    format!(
        "(({m}.ticket_id IS NOT NULL AND EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = {m}.ticket_id AND e.kind = 'mail_removed'))
          OR ({m}.ticket_id IS NULL AND {m}.received_at < ?1))"
    )
}

/// Applies the policy. With `dry_run` nothing changes: the counts say what would go.
pub fn prune(
    store: &mut Store,
    data_dir: &Path,
    months: u32,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Pruned, StoreError> {
    let cutoff = now
        .checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut done = Pruned::default();
    let detail = format!(
        "retention: raw mail, attachments and mail text removed {months} months after closing"
    );
    let tx = store.transaction()?;
    let due: Vec<i64> = {
        let mut stmt = tx.prepare(
            "SELECT id FROM tickets t WHERE closed_at IS NOT NULL AND closed_at < ?1
             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'mail_removed')",
        )?;
        let rows = stmt.query_map(params![cutoff], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for id in &due {
        done.texts += tx.execute(
            "UPDATE messages SET body = '' WHERE ticket_id = ?1 AND body != ''",
            [id],
        )?;
        tx.execute(
            "UPDATE outbox SET raw = X'' WHERE ticket_id = ?1 AND status = 'sent'",
            [id],
        )?;
        // The SKM answer's scores and profile groups stay for reports; its comment is
        // the respondent's own words.
        tx.execute(
            "UPDATE skm_responses SET comment = '' WHERE ticket_id = ?1",
            [id],
        )?;
        tickets::log(
            &tx,
            *id,
            &Event::new(EventKind::MailRemoved, "loketd", now).detail(&detail),
        )?;
        if !dry_run {
            tracing::info!(ticket = id, months, "personal data removed (retention)");
        }
    }
    done.tickets = due.len();
    done.texts += tx.execute(
        "UPDATE messages SET body = '' WHERE ticket_id IS NULL AND received_at < ?1 AND body != ''",
        params![cutoff],
    )?;
    // Files no kept row names.
    let raw: Vec<String> = hashes(
        &tx,
        &format!(
            "SELECT DISTINCT m.raw_sha256 FROM messages m WHERE {}
             AND NOT EXISTS (SELECT 1 FROM messages k WHERE k.raw_sha256 = m.raw_sha256 AND NOT {})
             AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.raw_sha256 = m.raw_sha256)",
            gone("m"),
            gone("k")
        ),
        cutoff,
    )?;
    let attachments: Vec<String> = hashes(
        &tx,
        &format!(
            "SELECT DISTINCT a.sha256 FROM attachments a JOIN messages m ON a.message_row = m.id WHERE {}
             AND NOT EXISTS (SELECT 1 FROM attachments a2 JOIN messages k ON a2.message_row = k.id
                             WHERE a2.sha256 = a.sha256 AND NOT {})",
            gone("m"),
            gone("k")
        ),
        cutoff,
    )?;
    let attachments = if attachments.is_empty() {
        attachments
    } else {
        let needed = needed_by_quarantine(&tx, data_dir)?;
        attachments
            .into_iter()
            .filter(|h| !needed.contains(h))
            .collect()
    };
    let raw: Vec<_> = raw
        .iter()
        .map(|h| data_dir.join("raw").join(format!("{h}.eml")))
        .collect();
    let attachments: Vec<_> = attachments
        .iter()
        .map(|h| attachment_path(data_dir, h))
        .collect();
    if dry_run {
        // The transaction is rolled back when dropped.
        drop(tx);
        done.raw_files = raw.iter().filter(|p| p.is_file()).count();
        done.attachment_files = attachments.iter().filter(|p| p.is_file()).count();
        return Ok(done);
    }
    tx.commit()?;
    for p in raw {
        if remove(&p)? {
            done.raw_files += 1;
        }
    }
    for p in attachments {
        if remove(&p)? {
            done.attachment_files += 1;
        }
    }
    Ok(done)
}

fn hashes(
    conn: &rusqlite::Connection,
    sql: &str,
    cutoff: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![cutoff], |r| r.get::<_, String>(0))?;
    let all: Vec<String> = rows.collect::<Result<_, _>>()?;
    // They become file names: plain hex only.
    Ok(all
        .into_iter()
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
        .collect())
}

/// The attachment files the raw mail of a quarantine row needs to be read back. The raw
/// mail of a message row needs only that message's own attachments.
fn needed_by_quarantine(
    conn: &rusqlite::Connection,
    data_dir: &Path,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT DISTINCT raw_sha256 FROM quarantine WHERE raw_sha256 IS NOT NULL")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut needed = std::collections::HashSet::new();
    for h in rows {
        let h = h?;
        if h.len() != 64 || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            continue;
        }
        let path = raw::raw_path(data_dir, &h);
        match fs::read(&path) {
            Ok(file) => needed.extend(raw::needs(&file, &h)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Io { path, source }),
        }
    }
    Ok(needed)
}

/// Removes a file; false when it was gone already.
fn remove(path: &Path) -> Result<bool, StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}
