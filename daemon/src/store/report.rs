//! `loketd report`: how the office kept its promises over a period — tickets by status
//! and service, share answered within the completion time, escalations resolved by
//! their deadline, median times, per staff member what they answered — and the
//! satisfaction survey (SKM) of PermenPANRB 14/2017: NRR per element, NRR tertimbang,
//! IKM and mutu, respondents and their profile, per service and channel. The quick
//! single rating (one digit) is reported apart from the SKM.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use loket_core::skm::{ProfileValue, Tally, Unsur};

use super::skm::{self as answers, Source};
use super::{StoreError, stored};
use crate::rules::ikm::{self, Ikm};
use crate::rules::kinds::EventKind;
use crate::rules::ticket::Status;

#[derive(Debug, Serialize)]
pub struct Report {
    /// The period's label when it was named (`--period 2026-S2`: "Semester II 2026").
    pub period: Option<String>,
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
    /// The quick single ratings (one digit 1–4) and their IKM; not the SKM.
    pub ratings: usize,
    pub ikm: Option<IkmView>,
    /// The SKM answers given in the period (by when they were given).
    pub skm: SkmSection,
    /// Per staff member, the tickets of the period they answered first.
    pub staff: Vec<StaffRow>,
}

/// The SKM of the answers given in a period.
#[derive(Debug, Serialize)]
pub struct SkmSection {
    pub respondents: u32,
    /// From the stakeholder's reply, and from paper forms entered by a CSO.
    pub by_mail: u32,
    pub by_paper: u32,
    /// `None` without respondents.
    pub result: Option<SkmView>,
    /// Per service code and per channel.
    pub by_service: BTreeMap<String, SkmView>,
    pub by_channel: BTreeMap<String, SkmView>,
    /// field (`age`, `sex`, `education`, `occupation`) → value code → respondents;
    /// `-` counts those who left the field empty.
    pub profile: BTreeMap<&'static str, BTreeMap<String, u32>>,
}

/// The regulation's figures for a group of respondents.
#[derive(Debug, Serialize)]
pub struct SkmView {
    pub respondents: u32,
    /// Per element, U1 first.
    pub elements: Vec<ElementView>,
    /// Σ NRR × 1/9, unrounded.
    pub nrr_weighted: f64,
    /// NRR tertimbang × 25, two decimals.
    pub ikm: f64,
    pub mutu: &'static str,
    pub mutu_label: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ElementView {
    pub unsur: &'static str,
    pub name: &'static str,
    /// Σ scores.
    pub sum: u32,
    /// sum / respondents, unrounded.
    pub nrr: f64,
}

impl SkmView {
    fn of(tally: &Tally) -> Option<SkmView> {
        let r = tally.result()?;
        Some(SkmView {
            respondents: r.respondents,
            elements: Unsur::ALL
                .iter()
                .map(|u| ElementView {
                    unsur: u.code(),
                    name: u.name_id(),
                    sum: tally.sums[u.index()],
                    nrr: r.nrr[u.index()],
                })
                .collect(),
            nrr_weighted: r.nrr_weighted,
            ikm: r.ikm,
            mutu: r.mutu.letter(),
            mutu_label: r.mutu.label_id(),
        })
    }
}

/// Who gave a ticket's first answer, its creation, first answer and deadline.
type FirstAnswer = (
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// What one staff member answered: the tickets created in the period whose first
/// answer (an answer, a request for documents, news, an escalation or "Resolved") was
/// theirs.
#[derive(Debug, Serialize)]
pub struct StaffRow {
    pub staff: String,
    pub answered: usize,
    /// Of those, by the completion deadline.
    pub in_time: usize,
    pub median_minutes: Option<f64>,
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
        period: None,
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
        skm: skm(conn, from, to)?,
        staff: staff(conn, from, to)?,
    })
}

/// The SKM of the answers given in `[from, to)`.
pub fn skm(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<SkmSection, StoreError> {
    let rows = answers::answered_between(conn, from, to)?;
    let mut all = Tally::default();
    let mut services: BTreeMap<String, Tally> = BTreeMap::new();
    let mut channels: BTreeMap<String, Tally> = BTreeMap::new();
    let mut profile: BTreeMap<&'static str, BTreeMap<String, u32>> = BTreeMap::new();
    let (mut by_mail, mut by_paper) = (0, 0);
    fn count<T: ProfileValue>(
        profile: &mut BTreeMap<&'static str, BTreeMap<String, u32>>,
        field: &'static str,
        v: Option<T>,
    ) {
        let key = v.map_or("-", ProfileValue::code).to_string();
        *profile.entry(field).or_default().entry(key).or_default() += 1;
    }
    for a in &rows {
        let s = &a.response.scores;
        all.add(s);
        services.entry(a.service.clone()).or_default().add(s);
        channels.entry(a.channel.clone()).or_default().add(s);
        match a.response.source {
            Source::Mail => by_mail += 1,
            Source::Paper => by_paper += 1,
        }
        let p = &a.response.profile;
        count(&mut profile, "age", p.age);
        count(&mut profile, "sex", p.sex);
        count(&mut profile, "education", p.education);
        count(&mut profile, "occupation", p.occupation);
    }
    let views = |m: BTreeMap<String, Tally>| -> BTreeMap<String, SkmView> {
        m.into_iter()
            .filter_map(|(k, t)| SkmView::of(&t).map(|v| (k, v)))
            .collect()
    };
    Ok(SkmSection {
        respondents: all.respondents,
        by_mail,
        by_paper,
        result: SkmView::of(&all),
        by_service: views(services),
        by_channel: views(channels),
        profile,
    })
}

/// Per staff member: the tickets created in `[from, to)` whose first answer was theirs.
pub fn staff(
    conn: &Connection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<StaffRow>, StoreError> {
    let kinds: Vec<&'static str> = [
        EventKind::Answered,
        EventKind::DocumentsRequested,
        EventKind::ProgressSent,
        EventKind::Escalated,
        EventKind::Resolved,
    ]
    .into_iter()
    .map(<&'static str>::from)
    .collect();
    let mut stmt = conn.prepare(
        "SELECT (SELECT e.actor FROM events e
                  WHERE e.ticket_id = t.id AND e.kind IN (?3, ?4, ?5, ?6, ?7)
                  ORDER BY e.at, e.id LIMIT 1),
                t.created_at, t.first_response_at, t.due_at
         FROM tickets t
         WHERE t.first_response_at IS NOT NULL
           AND (?1 IS NULL OR t.created_at >= ?1) AND (?2 IS NULL OR t.created_at < ?2)",
    )?;
    let rows: Vec<FirstAnswer> = stmt
        .query_map(
            params![from, to, kinds[0], kinds[1], kinds[2], kinds[3], kinds[4]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut by: BTreeMap<String, (usize, usize, Vec<f64>)> = BTreeMap::new();
    for (actor, created, first, due) in rows {
        // A first answer with no staff event (a record older than the events) is counted
        // under "-", never dropped.
        let e = by.entry(actor.unwrap_or_else(|| "-".into())).or_default();
        e.0 += 1;
        if due.is_none_or(|d| first <= d) {
            e.1 += 1;
        }
        e.2.push((first - created).num_seconds() as f64 / 60.0);
    }
    Ok(by
        .into_iter()
        .map(|(staff, (answered, in_time, mut minutes))| StaffRow {
            staff,
            answered,
            in_time,
            median_minutes: median(&mut minutes),
        })
        .collect())
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

/// A number with a decimal comma, as the office writes it: `87,50`.
fn decimal(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
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
        if let Some(p) = &self.period {
            out.push_str(&format!("Periode: {p}\n"));
        }
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
                "Penilaian cepat (satu angka): IKM {:.2} ({}, {}) dari {} penilaian\n",
                i.value, i.grade, i.label, self.ratings
            )),
            None => out.push_str("Penilaian cepat (satu angka): - (belum ada penilaian)\n"),
        }
        out.push_str(&self.skm_table());
        out.push_str(&self.staff_table());
        out
    }

    fn skm_table(&self) -> String {
        let s = &self.skm;
        let mut out = String::from("\nSurvei Kepuasan Masyarakat (PermenPANRB 14/2017)\n");
        let Some(r) = &s.result else {
            out.push_str("  belum ada responden\n");
            return out;
        };
        out.push_str(&format!(
            "Responden: {} (balasan surel {}, kuesioner kertas {})\n",
            s.respondents, s.by_mail, s.by_paper
        ));
        out.push_str("  Unsur                                            Jumlah    NRR\n");
        for (i, e) in r.elements.iter().enumerate() {
            out.push_str(&format!(
                "  {:<48} {:>6} {:>6}\n",
                format!("U{} {}", i + 1, e.name),
                e.sum,
                decimal(e.nrr, 2)
            ));
        }
        out.push_str(&format!(
            "NRR tertimbang (Σ NRR × 1/9): {}\n",
            decimal(r.nrr_weighted, 4)
        ));
        out.push_str(&format!(
            "IKM (NRR tertimbang × 25):    {}\nMutu pelayanan:               {} ({})\n",
            decimal(r.ikm, 2),
            r.mutu,
            r.mutu_label
        ));
        let group = |title: &str, m: &BTreeMap<String, SkmView>, out: &mut String| {
            out.push_str(&format!("{title}\n"));
            for (k, v) in m {
                out.push_str(&format!(
                    "  {:<14} responden {:>4}  IKM {:>6}  {} ({})\n",
                    k,
                    v.respondents,
                    decimal(v.ikm, 2),
                    v.mutu,
                    v.mutu_label
                ));
            }
        };
        group("Per layanan:", &s.by_service, &mut out);
        group("Per kanal:", &s.by_channel, &mut out);
        out.push_str("Profil responden (- = tidak diisi):\n");
        for (field, values) in &s.profile {
            let label = match *field {
                "age" => "Usia",
                "sex" => "Jenis kelamin",
                "education" => "Pendidikan",
                _ => "Pekerjaan",
            };
            let list: Vec<String> = values.iter().map(|(v, n)| format!("{v} {n}")).collect();
            out.push_str(&format!("  {label:<14} {}\n", list.join(", ")));
        }
        out
    }

    fn staff_table(&self) -> String {
        let mut out = String::from(
            "\nPer petugas (tiket periode ini yang jawaban pertamanya dari petugas itu)\n",
        );
        if self.staff.is_empty() {
            out.push_str("  belum ada jawaban\n");
            return out;
        }
        out.push_str(&format!(
            "  {:<36} {:>7} {:>13} {:>14}\n",
            "Petugas", "Dijawab", "Tepat waktu", "Median (menit)"
        ));
        for r in &self.staff {
            out.push_str(&format!(
                "  {:<36} {:>7} {:>13} {:>14}\n",
                r.staff,
                r.answered,
                r.in_time,
                r.median_minutes
                    .map_or_else(|| "-".to_string(), |m| decimal(m, 1))
            ));
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
        // The SKM: `skm_*` rows, the service column holding the group (a service code,
        // `kanal:<channel>`, or empty for all respondents).
        let s = &self.skm;
        out.push_str(&format!("skm_respondents,,{}\n", s.respondents));
        out.push_str(&format!("skm_by_mail,,{}\n", s.by_mail));
        out.push_str(&format!("skm_by_paper,,{}\n", s.by_paper));
        let mut groups: Vec<(String, &SkmView)> = Vec::new();
        if let Some(r) = &s.result {
            groups.push((String::new(), r));
        }
        groups.extend(s.by_service.iter().map(|(k, v)| (k.clone(), v)));
        groups.extend(s.by_channel.iter().map(|(k, v)| (format!("kanal:{k}"), v)));
        for (g, v) in groups {
            if !g.is_empty() {
                out.push_str(&format!("skm_respondents,{g},{}\n", v.respondents));
            }
            for e in &v.elements {
                out.push_str(&format!("skm_nrr_{},{g},{:.4}\n", e.unsur, e.nrr));
            }
            out.push_str(&format!("skm_nrr_weighted,{g},{:.4}\n", v.nrr_weighted));
            out.push_str(&format!("skm_ikm,{g},{:.2}\n", v.ikm));
            out.push_str(&format!("skm_mutu,{g},{}\n", v.mutu));
        }
        for (field, values) in &s.profile {
            for (v, n) in values {
                out.push_str(&format!("skm_profile_{field},{v},{n}\n"));
            }
        }
        for r in &self.staff {
            out.push_str(&format!("staff_answered,{},{}\n", r.staff, r.answered));
            out.push_str(&format!("staff_in_time,{},{}\n", r.staff, r.in_time));
            out.push_str(&format!(
                "staff_median_minutes,{},{}\n",
                r.staff,
                opt(r.median_minutes)
            ));
        }
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
