//! `loketd export`: the performance export the site publishes on `/kinerja/`
//! ([`PerformanceExport`], defined in `loket-core` so the site reads exactly what is
//! written here). Counts and averages only: no name, address, subject, comment or
//! ticket number leaves the database through it.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use loket_core::performance::{
    EXPORT_VERSION, ElementScore, PerformanceExport, Period, ProfileCount, ServiceStats, Survey,
    SurveyPart, Volume, published, withheld_line,
};
use loket_core::skm::Unsur;
use rusqlite::{Connection, params};

use super::StoreError;
use super::report::{self, SkmView};

/// One period to export: its label and days, and the instants that bound it
/// (`[from, to)`, the office's midnights).
pub struct PeriodSpan {
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// What `loketd export` writes, and what it left out and must say.
pub struct Exported {
    pub export: PerformanceExport,
    /// One line per survey group left off the public page ([`published`]).
    pub withheld: Vec<String>,
}

/// The export of `periods` (oldest first). `offset`: the office's time zone, for the
/// month a request falls in.
pub fn export(
    conn: &Connection,
    periods: &[PeriodSpan],
    offset: FixedOffset,
    now: DateTime<Utc>,
) -> Result<Exported, StoreError> {
    let mut out = Vec::new();
    let mut withheld = Vec::new();
    for p in periods {
        let skm = report::skm(conn, Some(p.from), Some(p.to))?;
        let mut shown = |kind: &str, all: Vec<SurveyPart>| {
            let split = published(all);
            withheld.extend(
                split
                    .withheld
                    .iter()
                    .map(|w| withheld_line(&p.label, kind, &w.key, w.respondents)),
            );
            split.shown
        };
        let by_service = shown("service", parts(&skm.by_service, ToString::to_string));
        let by_channel = shown("channel", parts(&skm.by_channel, ToString::to_string));
        let survey = skm.result.as_ref().map(|all| Survey {
            respondents: all.respondents,
            nrr: scores(all),
            by_service,
            by_channel,
            profile: skm
                .profile
                .iter()
                .flat_map(|(field, values)| {
                    values
                        .iter()
                        .filter(|(v, _)| v.as_str() != "-")
                        .map(|(v, n)| ProfileCount {
                            field: (*field).to_string(),
                            value: v.clone(),
                            count: *n,
                        })
                })
                .collect(),
        });
        out.push(Period {
            label: p.label.clone(),
            start: p.start,
            end: p.end,
            survey,
            services: services(conn, p)?,
            volumes: volumes(conn, p, offset)?,
        });
    }
    Ok(Exported {
        export: PerformanceExport {
            version: EXPORT_VERSION,
            generated_at: now,
            periods: out,
        },
        withheld,
    })
}

fn scores(v: &SkmView) -> Vec<ElementScore> {
    Unsur::ALL
        .iter()
        .zip(&v.elements)
        .map(|(u, e)| ElementScore {
            unsur: *u,
            nrr: e.nrr,
        })
        .collect()
}

fn parts(m: &BTreeMap<String, SkmView>, key: impl Fn(&str) -> String) -> Vec<SurveyPart> {
    m.iter()
        .map(|(k, v)| SurveyPart {
            key: key(k),
            respondents: v.respondents,
            nrr: scores(v),
        })
        .collect()
}

/// Per service, the requests created in the period and how they were kept.
fn services(conn: &Connection, p: &PeriodSpan) -> Result<Vec<ServiceStats>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT service,
                COUNT(*),
                SUM(first_response_at IS NOT NULL),
                SUM(first_response_at IS NOT NULL AND (due_at IS NULL OR first_response_at <= due_at)),
                SUM(escalation_due_at IS NOT NULL),
                SUM(escalation_due_at IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at <= escalation_due_at)
         FROM tickets WHERE created_at >= ?1 AND created_at < ?2
         GROUP BY service ORDER BY service",
    )?;
    let rows = stmt
        .query_map(params![p.from, p.to], |r| {
            Ok(ServiceStats {
                code: r.get(0)?,
                requests: r.get(1)?,
                answered: r.get(2)?,
                answered_in_time: r.get(3)?,
                escalated: r.get(4)?,
                escalations_in_time: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Requests per month (office time) and channel.
fn volumes(
    conn: &Connection,
    p: &PeriodSpan,
    offset: FixedOffset,
) -> Result<Vec<Volume>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT created_at, channel FROM tickets WHERE created_at >= ?1 AND created_at < ?2",
    )?;
    let rows: Vec<(DateTime<Utc>, String)> = stmt
        .query_map(params![p.from, p.to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (at, channel) in rows {
        let month = at.with_timezone(&offset).format("%Y-%m").to_string();
        *counts.entry((month, channel.clone())).or_default() += 1;
    }
    Ok(counts
        .into_iter()
        .map(|((month, channel), count)| Volume {
            month,
            channel,
            count,
        })
        .collect())
}
