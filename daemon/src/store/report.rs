//! `loketd report`: how the office kept its promises over a period — tickets by status
//! and service, share answered within the completion time, escalations resolved by
//! their deadline, median times, and the satisfaction index (IKM) as PermenPANRB
//! 14/2017 computes it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{StoreError, stored};
use crate::rules::ikm::{self, Ikm};
use crate::rules::ticket::Status;

#[derive(Debug, Serialize)]
pub struct Report {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub tickets: usize,
    /// status → service → count
    pub by_status: BTreeMap<String, BTreeMap<String, usize>>,
    /// Tickets whose completion clock has run out or that were answered.
    pub completion_measured: usize,
    pub answered_in_time: usize,
    pub escalations_measured: usize,
    pub escalations_in_time: usize,
    pub median_first_response_minutes: Option<f64>,
    pub median_resolution_hours: Option<f64>,
    pub ratings: usize,
    pub ikm: Option<IkmView>,
}

#[derive(Debug, Serialize)]
pub struct IkmView {
    pub value: f64,
    pub grade: char,
    pub label: &'static str,
}

impl From<Ikm> for IkmView {
    fn from(i: Ikm) -> Self {
        IkmView {
            value: i.value,
            grade: i.grade,
            label: i.label,
        }
    }
}

struct Row {
    status: Status,
    service: String,
    created: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    escalation_due: Option<DateTime<Utc>>,
    first_response: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    score: Option<u8>,
}

pub fn build(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT t.status, t.service, t.created_at, t.due_at, t.escalation_due_at,
                t.first_response_at, t.resolved_at, r.score, t.id
         FROM tickets t LEFT JOIN ratings r ON r.ticket_id = t.id
         WHERE (?1 IS NULL OR t.created_at >= ?1) AND (?2 IS NULL OR t.created_at < ?2)
         ORDER BY t.id",
    )?;
    let rows: Vec<Row> = stmt
        .query_map(params![from, to], |r| {
            Ok(Row {
                status: stored(r, 0, "tickets", "status", r.get(8)?)?,
                service: r.get(1)?,
                created: r.get(2)?,
                due: r.get(3)?,
                escalation_due: r.get(4)?,
                first_response: r.get(5)?,
                resolved: r.get(6)?,
                score: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;

    let mut by_status: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let (mut measured, mut in_time, mut esc_measured, mut esc_in_time) = (0, 0, 0, 0);
    let mut first: Vec<f64> = Vec::new();
    let mut resolution: Vec<f64> = Vec::new();
    let mut scores: Vec<u8> = Vec::new();
    for r in &rows {
        *by_status
            .entry(r.status.as_str().to_string())
            .or_default()
            .entry(r.service.clone())
            .or_default() += 1;
        if let Some(due) = r.due {
            match r.first_response {
                Some(f) => {
                    measured += 1;
                    if f <= due {
                        in_time += 1;
                    }
                    first.push((f - r.created).num_seconds() as f64 / 60.0);
                }
                None if now > due => measured += 1,
                None => {}
            }
        }
        if let Some(due) = r.escalation_due {
            match r.resolved {
                Some(res) => {
                    esc_measured += 1;
                    if res <= due {
                        esc_in_time += 1;
                    }
                }
                None if now > due => esc_measured += 1,
                None => {}
            }
        }
        if let Some(res) = r.resolved {
            resolution.push((res - r.created).num_seconds() as f64 / 3600.0);
        }
        scores.extend(r.score);
    }
    Ok(Report {
        from,
        to,
        tickets: rows.len(),
        by_status,
        completion_measured: measured,
        answered_in_time: in_time,
        escalations_measured: esc_measured,
        escalations_in_time: esc_in_time,
        median_first_response_minutes: median(&mut first),
        median_resolution_hours: median(&mut resolution),
        ratings: scores.len(),
        ikm: ikm::ikm(&scores).map(IkmView::from),
    })
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!(
            "{:.1}% ({part}/{whole})",
            part as f64 * 100.0 / whole as f64
        )
    }
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("Tiket: {}\n", self.tickets));
        for (status, services) in &self.by_status {
            for (service, n) in services {
                out.push_str(&format!("  {status:<20} {service:<8} {n}\n"));
            }
        }
        out.push_str(&format!(
            "Dijawab dalam waktu penyelesaian: {}\n",
            share(self.answered_in_time, self.completion_measured)
        ));
        out.push_str(&format!(
            "Eskalasi selesai tepat waktu:     {}\n",
            share(self.escalations_in_time, self.escalations_measured)
        ));
        let fmt = |v: Option<f64>, unit: &str| v.map_or("-".into(), |v| format!("{v:.1} {unit}"));
        out.push_str(&format!(
            "Median jawaban pertama:           {}\n",
            fmt(self.median_first_response_minutes, "menit")
        ));
        out.push_str(&format!(
            "Median penyelesaian:              {}\n",
            fmt(self.median_resolution_hours, "jam")
        ));
        match &self.ikm {
            Some(i) => out.push_str(&format!(
                "IKM: {:.2} ({}, {}) dari {} penilaian\n",
                i.value, i.grade, i.label, self.ratings
            )),
            None => out.push_str("IKM: - (belum ada penilaian)\n"),
        }
        out
    }

    pub fn csv(&self) -> String {
        let mut out = String::from("metric,service,value\n");
        for (status, services) in &self.by_status {
            for (service, n) in services {
                out.push_str(&format!("tickets_{status},{service},{n}\n"));
            }
        }
        out.push_str(&format!("answered_in_time,,{}\n", self.answered_in_time));
        out.push_str(&format!(
            "completion_measured,,{}\n",
            self.completion_measured
        ));
        out.push_str(&format!(
            "escalations_in_time,,{}\n",
            self.escalations_in_time
        ));
        out.push_str(&format!(
            "escalations_measured,,{}\n",
            self.escalations_measured
        ));
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
        out.push_str(&format!(
            "median_first_response_minutes,,{}\n",
            opt(self.median_first_response_minutes)
        ));
        out.push_str(&format!(
            "median_resolution_hours,,{}\n",
            opt(self.median_resolution_hours)
        ));
        out.push_str(&format!("ratings,,{}\n", self.ratings));
        out.push_str(&format!(
            "ikm,,{}\n",
            opt(self.ikm.as_ref().map(|i| i.value))
        ));
        out.push_str(&format!(
            "ikm_grade,,{}\n",
            self.ikm
                .as_ref()
                .map_or(String::new(), |i| i.grade.to_string())
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::median;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
