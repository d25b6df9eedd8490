//! What `loketd status` reads: the daemon notes its last successful inbox pass and its
//! last error in the `kv` table; the outbox says the rest.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::Cached;
use super::StoreError;
use super::tickets::{kv_get, kv_set};

const LAST_PASS: &str = "health.last_pass_at";
const LAST_ERROR: &str = "health.last_error";
const LAST_ERROR_AT: &str = "health.last_error_at";

/// A pass of the inbox ended well.
pub(crate) fn record_pass(conn: &Connection, now: DateTime<Utc>) -> Result<(), StoreError> {
    kv_set(conn, LAST_PASS, &now.to_rfc3339())
}

/// Something went wrong that an admin may need to know (kept until the next error).
pub(crate) fn record_error(
    conn: &Connection,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    kv_set(conn, LAST_ERROR, error)?;
    kv_set(conn, LAST_ERROR_AT, &now.to_rfc3339())
}

/// The state `loketd status` reports.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub last_pass_at: Option<DateTime<Utc>>,
    pub last_error: Option<(DateTime<Utc>, String)>,
    pub queued: i64,
    pub failed: i64,
    /// When the longest-waiting pending mail was first due (its creation time).
    pub oldest_queued_at: Option<DateTime<Utc>>,
    /// Mail in the quarantine folder, in all and of the last 24 hours.
    pub quarantined: i64,
    pub quarantined_recently: i64,
}

pub fn read(conn: &Connection, now: DateTime<Utc>) -> Result<Health, StoreError> {
    let time = |key| -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(kv_get(conn, key)?
            .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
            .map(|d| d.with_timezone(&Utc)))
    };
    let count = |status: &str| -> Result<i64, StoreError> {
        Ok(conn.one(
            "SELECT COUNT(*) FROM outbox WHERE status = ?1",
            params![status],
            |r| r.get(0),
        )?)
    };
    let oldest_queued_at = conn
        .one(
            "SELECT MIN(created_at) FROM outbox WHERE status = 'pending'",
            [],
            |r| r.get::<_, Option<DateTime<Utc>>>(0),
        )
        .optional()?
        .flatten();
    let quarantined_since = |since: Option<DateTime<Utc>>| -> Result<i64, StoreError> {
        Ok(conn.one(
            "SELECT COUNT(*) FROM quarantine WHERE ?1 IS NULL OR at >= ?1",
            params![since],
            |r| r.get(0),
        )?)
    };
    Ok(Health {
        last_pass_at: time(LAST_PASS)?,
        last_error: time(LAST_ERROR_AT)?.zip(kv_get(conn, LAST_ERROR)?),
        queued: count("pending")?,
        failed: count("failed")?,
        oldest_queued_at,
        quarantined: quarantined_since(None)?,
        quarantined_recently: quarantined_since(Some(now - chrono::Duration::hours(24)))?,
    })
}
