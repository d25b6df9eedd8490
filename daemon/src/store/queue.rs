//! What the desk commands look up: a staff member's open tickets (`#antrean`), tickets
//! matching a word (`#cari`), a requester's tickets (`#riwayat`), and what a held
//! staff-started mail waits for. Each is bounded: a list answered by mail is read on a
//! phone, and an office has 100k tickets after some years.
//!
//! Indexes (migration "desk"): `tickets(assignee, status)`, `tickets(section, status)`,
//! `tickets(requester, created_at)`. `#cari` matches the ticket row first (subject,
//! requester, name), then the newest stored mail text, newest first, and stops at the
//! limit: a word in many tickets returns quickly, a word in none reads every mail text
//! once (see bench/).

use rusqlite::{Connection, OptionalExtension, params};

use super::Cached;
use super::StoreError;
use super::tickets::{self, Ticket};
use crate::rules::ticket::Status;

/// At most this many tickets in one answer.
pub(crate) const MAX_LISTED: usize = 25;

/// The open tickets of `staff`: assigned to them, escalated to a section they head
/// (`sections`), and, for CSOs (`unowned`), new ones nobody has taken. The most urgent
/// [`MAX_LISTED`] (the deadline that matters first: the escalation's while escalated,
/// else completion), and how many there are in all.
pub(crate) fn open_for(
    conn: &Connection,
    staff: &str,
    sections: &[String],
    unowned: bool,
) -> Result<(Vec<Ticket>, usize), StoreError> {
    const WHERE: &str = "(assignee = ?1 AND status NOT IN (?2, ?3))
         OR (status = ?4 AND ?5 != '' AND instr(',' || ?5 || ',', ',' || section || ',') > 0)
         OR (?6 AND assignee IS NULL AND status = ?7)";
    let sections = sections.join(",");
    let staff = staff.to_lowercase();
    let limit = i64::try_from(MAX_LISTED).unwrap_or(i64::MAX);
    // ?1 to ?7 for both queries; ?8, the limit, for the list only.
    let args: [&dyn rusqlite::ToSql; 8] = [
        &staff,
        &Status::Resolved.as_str(),
        &Status::Closed.as_str(),
        &Status::Escalated.as_str(),
        &sections,
        &unowned,
        &Status::New.as_str(),
        &limit,
    ];
    let total: i64 = conn.one(
        &format!("SELECT COUNT(*) FROM tickets WHERE {WHERE}"),
        &args[..7],
        |r| r.get(0),
    )?;
    let ids: Vec<i64> = conn
        .prepare_cached(&format!(
            "SELECT id FROM tickets WHERE {WHERE}
             ORDER BY COALESCE(CASE WHEN status = ?4 THEN escalation_due_at END, due_at), id
             LIMIT ?8"
        ))?
        .query_map(&args[..], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let list = ids
        .into_iter()
        .map(|id| tickets::get(conn, id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((list, usize::try_from(total).unwrap_or(0)))
}

/// Tickets matching `word` in their subject, requester, requester's name or any stored
/// mail text (where satker codes and SPM/SP2D numbers are written), newest first; at
/// most [`MAX_LISTED`], and whether there were more.
pub(crate) fn search(conn: &Connection, word: &str) -> Result<(Vec<Ticket>, bool), StoreError> {
    let pattern = format!("%{}%", escape_like(word));
    let limit = i64::try_from(MAX_LISTED + 1).unwrap_or(i64::MAX);
    let mut ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM tickets WHERE subject LIKE ?1 ESCAPE '\\'
                OR requester LIKE ?1 ESCAPE '\\' OR requester_name LIKE ?1 ESCAPE '\\'
             ORDER BY id DESC LIMIT ?2",
        )?
        .query_map(params![pattern, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if ids.len() <= MAX_LISTED {
        let mut stmt = conn.prepare_cached(
            "SELECT ticket_id FROM messages WHERE ticket_id IS NOT NULL AND body LIKE ?1 ESCAPE '\\'
             ORDER BY id DESC",
        )?;
        let mut rows = stmt.query([&pattern])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if !ids.contains(&id) {
                ids.push(id);
                if ids.len() > MAX_LISTED {
                    break;
                }
            }
        }
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let more = ids.len() > MAX_LISTED;
    ids.truncate(MAX_LISTED);
    let list = ids
        .into_iter()
        .map(|id| tickets::get(conn, id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((list, more))
}

/// The tickets of `requester` (an address, or `tel:<digits>`), newest first; at most
/// [`MAX_LISTED`], and how many there are in all.
pub(crate) fn history(
    conn: &Connection,
    requester: &str,
) -> Result<(Vec<Ticket>, usize), StoreError> {
    let total: i64 = conn.one(
        "SELECT COUNT(*) FROM tickets WHERE requester = ?1",
        [requester],
        |r| r.get(0),
    )?;
    let limit = i64::try_from(MAX_LISTED).unwrap_or(i64::MAX);
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM tickets WHERE requester = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        )?
        .query_map(params![requester, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let list = ids
        .into_iter()
        .map(|id| tickets::get(conn, id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((list, usize::try_from(total).unwrap_or(0)))
}

/// The dedup key of the mail the daemon sent with `message_id`, when it holds one (a
/// confirmation request names the mail it holds there).
pub(crate) fn dedup_of(conn: &Connection, message_id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .one(
            "SELECT dedup FROM outbox WHERE message_id = ?1",
            [message_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Whether the outbox holds a mail with `message_id` sent to no ticket (a desk mail):
/// a desk capability this database did not send comes from another life of the data
/// folder.
pub(crate) fn desk_mail_sent(conn: &Connection, message_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .one(
            "SELECT 1 FROM outbox WHERE message_id = ?1 AND ticket_id IS NULL",
            [message_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A held staff-started mail: sender, subject, text, when it came, and whether it was
/// already carried out.
pub(crate) struct HeldMail {
    pub sender: String,
    pub subject: String,
    pub body: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub kind: String,
}

pub(crate) fn held_mail(conn: &Connection, row: i64) -> Result<Option<HeldMail>, StoreError> {
    Ok(conn
        .one(
            "SELECT COALESCE(sender, ''), subject, body, received_at, kind FROM messages WHERE id = ?1",
            [row],
            |r| {
                Ok(HeldMail {
                    sender: r.get(0)?,
                    subject: r.get(1)?,
                    body: r.get(2)?,
                    received_at: r.get(3)?,
                    kind: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Marks a held mail carried out (`kind`, `reason`, and the ticket it made, if any):
/// a second confirmation finds it done.
pub(crate) fn mark_held(
    conn: &Connection,
    row: i64,
    kind: &str,
    reason: &str,
    ticket: Option<i64>,
) -> Result<(), StoreError> {
    conn.exec(
        "UPDATE messages SET kind = ?2, reason = ?3, ticket_id = COALESCE(?4, ticket_id) WHERE id = ?1",
        params![row, kind, reason, ticket],
    )?;
    Ok(())
}

/// When the newest standing mail to `staff` (outbox dedup `standing:<staff>:…`) was
/// queued.
pub(crate) fn last_standing(
    conn: &Connection,
    staff: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let prefix = format!("standing:{}:", staff.to_lowercase());
    Ok(conn
        .one(
            "SELECT MAX(created_at) FROM outbox WHERE dedup >= ?1 AND dedup < ?1 || '~'",
            [prefix],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
