//! SKM answers (PermenPANRB 14/2017): one respondent's nine scores per ticket, with the
//! optional profile in groups. The quick single rating stays in `ratings`.

use chrono::{DateTime, Utc};
use loket_core::skm::{AgeGroup, Education, Occupation, Profile, ProfileValue, Scores, Sex};
use rusqlite::{Connection, OptionalExtension, params};
use strum::{Display, EnumString, IntoStaticStr};

use super::Cached;
use super::{StoreError, stored};

/// Where an answer came from (`skm_responses.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Source {
    /// The stakeholder's reply to the "Resolved" mail.
    Mail,
    /// A paper questionnaire a CSO entered (`[SKM]`).
    Paper,
}

/// One answer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub scores: Scores,
    pub comment: String,
    pub profile: Profile,
    pub source: Source,
    pub at: DateTime<Utc>,
    /// The staff member who entered a paper form.
    pub entered_by: Option<String>,
    pub message_row: Option<i64>,
}

/// Records the answer of ticket `ticket`, replacing an earlier one; true when it did.
pub(crate) fn record(conn: &Connection, ticket: i64, r: &Response) -> Result<bool, StoreError> {
    let replaced = get(conn, ticket)?.is_some();
    let s = r.scores.0;
    let code = |v: Option<&'static str>| v.map(str::to_string);
    conn.exec(
        "INSERT INTO skm_responses (ticket_id, source, u1, u2, u3, u4, u5, u6, u7, u8, u9,
             comment, age_group, sex, education, occupation, at, entered_by, message_row)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(ticket_id) DO UPDATE SET source = ?2, u1 = ?3, u2 = ?4, u3 = ?5, u4 = ?6,
             u5 = ?7, u6 = ?8, u7 = ?9, u8 = ?10, u9 = ?11, comment = ?12, age_group = ?13,
             sex = ?14, education = ?15, occupation = ?16, at = ?17, entered_by = ?18,
             message_row = ?19",
        params![
            ticket,
            <&str>::from(r.source),
            s[0],
            s[1],
            s[2],
            s[3],
            s[4],
            s[5],
            s[6],
            s[7],
            s[8],
            r.comment,
            code(r.profile.age.map(ProfileValue::code)),
            code(r.profile.sex.map(ProfileValue::code)),
            code(r.profile.education.map(ProfileValue::code)),
            code(r.profile.occupation.map(ProfileValue::code)),
            r.at,
            r.entered_by,
            r.message_row,
        ],
    )?;
    Ok(replaced)
}

const COLUMNS: &str = "s.source, s.u1, s.u2, s.u3, s.u4, s.u5, s.u6, s.u7, s.u8, s.u9, s.comment,
     s.age_group, s.sex, s.education, s.occupation, s.at, s.entered_by, s.message_row, s.ticket_id";

fn response(r: &rusqlite::Row<'_>, base: usize) -> rusqlite::Result<Response> {
    let ticket: i64 = r.get(base + 18)?;
    let mut scores = [0u8; 9];
    for (i, s) in scores.iter_mut().enumerate() {
        *s = r.get(base + 1 + i)?;
    }
    let scores = Scores::new(scores).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            base + 1,
            rusqlite::types::Type::Integer,
            format!("skm_responses of ticket #{ticket}: a score outside 1-4").into(),
        )
    })?;
    // A profile code this loketd does not know reads as not given: the field is optional
    // and the scores are what counts.
    fn value<T: ProfileValue>(code: &Option<String>) -> Option<T> {
        code.as_deref().and_then(T::from_code)
    }
    Ok(Response {
        source: stored(r, base, "skm_responses", "source", ticket)?,
        scores,
        comment: r.get(base + 10)?,
        profile: Profile {
            age: value::<AgeGroup>(&r.get(base + 11)?),
            sex: value::<Sex>(&r.get(base + 12)?),
            education: value::<Education>(&r.get(base + 13)?),
            occupation: value::<Occupation>(&r.get(base + 14)?),
        },
        at: r.get(base + 15)?,
        entered_by: r.get(base + 16)?,
        message_row: r.get(base + 17)?,
    })
}

/// The answer of ticket `ticket`, if any.
pub fn get(conn: &Connection, ticket: i64) -> Result<Option<Response>, StoreError> {
    Ok(conn
        .one(
            &format!("SELECT {COLUMNS} FROM skm_responses s WHERE s.ticket_id = ?1"),
            [ticket],
            |r| response(r, 0),
        )
        .optional()?)
}

/// An answer with what the report groups it by.
#[derive(Debug, Clone)]
pub struct Answered {
    pub ticket: i64,
    pub service: String,
    pub channel: String,
    pub response: Response,
}

/// The answers given in `[from, to)` (by when they were given), oldest first.
pub fn answered_between(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<Answered>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.service, t.channel, {COLUMNS}
         FROM skm_responses s JOIN tickets t ON t.id = s.ticket_id
         WHERE (?1 IS NULL OR s.at >= ?1) AND (?2 IS NULL OR s.at < ?2)
         ORDER BY s.at, s.ticket_id"
    ))?;
    let rows = stmt
        .query_map(params![from, to], |r| {
            let response = response(r, 2)?;
            Ok(Answered {
                ticket: r.get(20)?,
                service: r.get(0)?,
                channel: r.get(1)?,
                response,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
