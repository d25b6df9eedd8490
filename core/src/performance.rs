//! The help desk's performance export: what `loketd export` writes and the site publishes
//! on its "Kinerja Layanan" page. One versioned JSON file, counts and averages only.
//!
//! No personal data: the type has no field for a name, an address, a subject or a
//! ticket, and an export with any field it does not know is refused (not published).
//!
//! The Survei Kepuasan Masyarakat follows PermenPANRB 14/2017: nine elements (unsur)
//! scored 1–4 by each respondent; the NRR of an element is the average of its scores;
//! the IKM is the average of the nine NRR (each weighted 1/9) converted to 25–100 by
//! ×25, and its mutu is A (88.31–100, Sangat Baik), B (76.61–88.30, Baik), C
//! (65.00–76.60, Kurang Baik) or D (25.00–64.99, Tidak Baik).

use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::content::Service;
use crate::diagnostics::{Diagnostic, read_text};
pub use crate::skm::{Mutu, Unsur};

/// The format version this crate writes. Version 2 added the survey's `by_service`,
/// `by_channel` and `profile`; a version 1 export (without them) still reads.
pub const EXPORT_VERSION: u32 = 2;

/// The versions this crate reads.
pub const READS_VERSIONS: [u32; 2] = [1, 2];

/// The whole export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerformanceExport {
    /// [`EXPORT_VERSION`]; a reader refuses another.
    pub version: u32,
    /// When the export was made.
    pub generated_at: DateTime<Utc>,
    /// Reporting periods, oldest first (a semester, a quarter …).
    pub periods: Vec<Period>,
}

/// One reporting period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// As published: "Semester II 2026".
    pub label: String,
    /// First and last day, inclusive.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The satisfaction survey (SKM) of the period, if one was held.
    #[serde(default)]
    pub survey: Option<Survey>,
    /// Per service standard (by its code), what the help desk did in the period.
    #[serde(default)]
    pub services: Vec<ServiceStats>,
    /// Requests received, by month and channel.
    #[serde(default)]
    pub volumes: Vec<Volume>,
}

/// The SKM result of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Number of respondents.
    pub respondents: u32,
    /// The NRR (1.00–4.00) of each of the nine elements, U1 to U9 once each.
    pub nrr: Vec<ElementScore>,
    /// (version 2) The same per service standard (`key`: its code).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_service: Vec<SurveyPart>,
    /// (version 2) The same per channel (`key`: a channel id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_channel: Vec<SurveyPart>,
    /// (version 2) How many respondents gave each profile value; those who left a field
    /// empty are not counted in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<ProfileCount>,
}

/// The SKM of part of the respondents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyPart {
    pub key: String,
    pub respondents: u32,
    /// U1 to U9 once each.
    pub nrr: Vec<ElementScore>,
}

impl SurveyPart {
    /// The IKM of the part, as [`Survey::ikm`].
    pub fn ikm(&self) -> f64 {
        self.nrr.iter().map(|e| e.nrr).sum::<f64>() / 9.0 * 25.0
    }
}

/// A group of fewer respondents than this is not published on its own: its scores would
/// be few people's answers, maybe one person's, on a public page.
pub const MIN_PUBLISHED_GROUP: u32 = 5;

/// The parts of a survey split by what may be published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The parts a page may show, in their order.
    pub shown: Vec<SurveyPart>,
    /// The parts left out (still counted in the whole), to be told to whoever
    /// publishes: a suppression is never silent.
    pub withheld: Vec<SurveyPart>,
}

/// The parts that may be published. Those under [`MIN_PUBLISHED_GROUP`] are left out,
/// and while the left-out ones together are fewer than that, the smallest of the rest
/// too: what is left out can be worked out from the whole and the parts shown, so it
/// must itself be a group that large (or nothing).
pub fn published(parts: Vec<SurveyPart>) -> Published {
    let (mut withheld, mut shown): (Vec<_>, Vec<_>) = parts
        .into_iter()
        .partition(|p| p.respondents < MIN_PUBLISHED_GROUP);
    let count = |w: &[SurveyPart]| w.iter().map(|p| p.respondents).sum::<u32>();
    while count(&withheld) > 0 && count(&withheld) < MIN_PUBLISHED_GROUP && !shown.is_empty() {
        let smallest = shown
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| p.respondents)
            .map_or(0, |(i, _)| i);
        withheld.push(shown.remove(smallest));
    }
    Published { shown, withheld }
}

/// One line for whoever publishes, naming a group [`published`] left out.
pub fn withheld_line(period: &str, kind: &str, name: &str, respondents: u32) -> String {
    format!(
        "{period}: the survey of {kind} {name:?} ({respondents} respondent(s)) is left off the public page: \
         groups under {MIN_PUBLISHED_GROUP}, and those the rest would give away, are not shown; \
         they still count in the period's IKM"
    )
}

/// Respondents with one value of one profile field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileCount {
    /// `age`, `sex`, `education` or `occupation`.
    pub field: String,
    /// The value's code (`25-34`, `P`, `S1`, `PNS`, see `loket_core::skm`).
    pub value: String,
    pub count: u32,
}

/// The average score of one element.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementScore {
    pub unsur: Unsur,
    pub nrr: f64,
}

/// What the help desk did for one service in a period. Counts of requests, never the
/// requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceStats {
    /// The standard's `code` ("KONS").
    pub code: String,
    /// Requests received.
    pub requests: u32,
    /// Requests answered (a first complete answer or "Resolved").
    pub answered: u32,
    /// Of those, answered within the standard's completion time.
    pub answered_in_time: u32,
    /// Requests escalated to a section.
    pub escalated: u32,
    /// Of those, resolved within the standard's escalation term (3 working days).
    pub escalations_in_time: u32,
}

impl ServiceStats {
    /// Share of answers within the standard's time, 0–1; `None` when nothing was answered.
    pub fn in_time_share(&self) -> Option<f64> {
        share(self.answered_in_time, self.answered)
    }

    /// Share of escalations resolved in their term, 0–1; `None` when none was escalated.
    pub fn escalation_share(&self) -> Option<f64> {
        share(self.escalations_in_time, self.escalated)
    }
}

fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// Requests of one month through one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// "2026-07".
    pub month: String,
    /// A service channel id (`email`, `tatap-muka`, `hai-cso` …).
    pub channel: String,
    pub count: u32,
}

impl Survey {
    /// The NRR of an element.
    pub fn nrr(&self, unsur: Unsur) -> Option<f64> {
        self.nrr.iter().find(|e| e.unsur == unsur).map(|e| e.nrr)
    }

    /// The IKM converted to 25–100: the sum of the nine NRR weighted 1/9, ×25.
    pub fn ikm(&self) -> f64 {
        let sum: f64 = self.nrr.iter().map(|e| e.nrr).sum();
        sum / 9.0 * 25.0
    }

    pub fn mutu(&self) -> Mutu {
        Mutu::of(self.ikm())
    }
}

impl PerformanceExport {
    /// Reads and checks an export. Every problem is an error naming the file and, for a
    /// syntax or type error, its line; a value that reads but is wrong names its place
    /// in the data (`periods[0].survey.nrr[3]`).
    pub fn load(path: &Path) -> Result<PerformanceExport, Vec<Diagnostic>> {
        let text = read_text(path).map_err(|d| vec![d])?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<PerformanceExport, Vec<Diagnostic>> {
        // The version first, so that a newer format is refused by its version and not by
        // whichever field changed.
        #[derive(Deserialize)]
        struct Versioned {
            version: Option<serde_json::Value>,
        }
        let error = |pos: (usize, usize), message: String, hint: &str| {
            Diagnostic::error(path, pos, message, hint)
        };
        match serde_json::from_str::<Versioned>(text) {
            Ok(Versioned {
                version: Some(v), ..
            }) if !READS_VERSIONS
                .iter()
                .any(|r| v.as_u64() == Some(u64::from(*r))) =>
            {
                return Err(vec![error(
                    (1, 1),
                    format!(
                        "this performance export is version {v}; this loket reads versions 1 and {EXPORT_VERSION}"
                    ),
                    "export it again with the loketd of the same release, or update loket",
                )]);
            }
            Ok(Versioned { version: None }) => {
                return Err(vec![error(
                    (1, 1),
                    "the performance export has no `version`".into(),
                    "it is not an export of `loketd export`; export it again",
                )]);
            }
            _ => {}
        }
        let export: PerformanceExport = serde_json::from_str(text).map_err(|e| {
            vec![error(
                (e.line().max(1), e.column().max(1)),
                format!("the performance export does not read: {e}"),
                "export it again with `loketd export`; the file must not be edited by hand",
            )]
        })?;
        let problems = export.problems();
        if problems.is_empty() {
            Ok(export)
        } else {
            Err(problems
                .into_iter()
                .map(|(at, what)| {
                    error(
                        (1, 1),
                        format!("{at}: {what}"),
                        "export it again with `loketd export`",
                    )
                })
                .collect())
        }
    }

    /// Values that read but cannot be true: (place, what is wrong).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, p) in self.periods.iter().enumerate() {
            let at = format!("periods[{i}]");
            if p.label.trim().is_empty() {
                out.push((format!("{at}.label"), "is empty".into()));
            }
            if p.end < p.start {
                out.push((
                    at.clone(),
                    format!("ends ({}) before it starts ({})", p.end, p.start),
                ));
            }
            if let Some(s) = &p.survey {
                if s.respondents == 0 {
                    out.push((
                        format!("{at}.survey.respondents"),
                        "is 0: a survey without respondents has no result".into(),
                    ));
                }
                for u in Unsur::ALL {
                    let n = s.nrr.iter().filter(|e| e.unsur == u).count();
                    if n != 1 {
                        out.push((
                            format!("{at}.survey.nrr"),
                            format!("has {} {} (each of U1–U9 once)", n, u.code()),
                        ));
                    }
                }
                for (k, part) in s.by_service.iter().chain(&s.by_channel).enumerate() {
                    if part.respondents > s.respondents {
                        out.push((
                            format!("{at}.survey ({})", part.key),
                            format!("part {k} has more respondents than the survey"),
                        ));
                    }
                    if part.nrr.len() != 9 || part.nrr.iter().any(|e| !(1.0..=4.0).contains(&e.nrr))
                    {
                        out.push((
                            format!("{at}.survey ({})", part.key),
                            "needs the NRR (1–4) of U1–U9".into(),
                        ));
                    }
                }
                for (j, p) in s.profile.iter().enumerate() {
                    if !["age", "sex", "education", "occupation"].contains(&p.field.as_str()) {
                        out.push((
                            format!("{at}.survey.profile[{j}]"),
                            format!("unknown field {:?}", p.field),
                        ));
                    }
                    if p.count > s.respondents {
                        out.push((
                            format!("{at}.survey.profile[{j}]"),
                            "counts more than the respondents".into(),
                        ));
                    }
                }
                for (j, e) in s.nrr.iter().enumerate() {
                    if !(1.0..=4.0).contains(&e.nrr) {
                        out.push((
                            format!("{at}.survey.nrr[{j}]"),
                            format!("NRR {} of {} is outside 1–4", e.nrr, e.unsur.code()),
                        ));
                    }
                }
            }
            for (j, s) in p.services.iter().enumerate() {
                let at = format!("{at}.services[{j}] ({})", s.code);
                if s.answered > s.requests {
                    out.push((at.clone(), "more answered than received".into()));
                }
                if s.answered_in_time > s.answered {
                    out.push((at.clone(), "more answered in time than answered".into()));
                }
                if s.escalated > s.requests {
                    out.push((at.clone(), "more escalated than received".into()));
                }
                if s.escalations_in_time > s.escalated {
                    out.push((at, "more escalations in time than escalations".into()));
                }
            }
            for (j, v) in p.volumes.iter().enumerate() {
                let month = NaiveDate::parse_from_str(&format!("{}-01", v.month), "%Y-%m-%d");
                let inside =
                    month.is_ok_and(|m| m >= p.start.with_day0(0).unwrap_or(p.start) && m <= p.end);
                if !inside {
                    out.push((
                        format!("{at}.volumes[{j}].month"),
                        format!(
                            "{:?} is not a month (YYYY-MM) of the period {} – {}",
                            v.month, p.start, p.end
                        ),
                    ));
                }
            }
        }
        out
    }
}

/// Warnings about an export that reads but does not fit the site: a service code no
/// standard has, a channel the site does not know.
pub fn lint(export: &PerformanceExport, path: &Path, services: &[Service]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in &export.periods {
        // An export loketd made has none: it leaves these out itself and says so.
        if let Some(survey) = &p.survey {
            for (kind, parts) in [
                ("service", &survey.by_service),
                ("channel", &survey.by_channel),
            ] {
                for w in published(parts.clone()).withheld {
                    out.push(Diagnostic::warning(
                        path,
                        (1, 1),
                        withheld_line(&p.label, kind, &w.key, w.respondents),
                        "nothing to do: this keeps few respondents' answers private",
                    ));
                }
            }
        }
        for s in &p.services {
            if !services.iter().any(|x| x.code == s.code) {
                out.push(Diagnostic::warning(
                    path,
                    (1, 1),
                    format!("{}: the service code {:?} has no published standard; it is shown as written", p.label, s.code),
                    "check the standards' `code`, or export again",
                ));
            }
        }
        for v in &p.volumes {
            if !crate::content::CHANNELS
                .iter()
                .any(|(k, _)| *k == v.channel)
            {
                out.push(Diagnostic::warning(
                    path,
                    (1, 1),
                    format!(
                        "{}: unknown channel {:?}; it is shown as written",
                        p.label, v.channel
                    ),
                    "the site knows the channels of the standards' `channels`",
                ));
            }
        }
    }
    out
}

/// A reporting period as `loketd report --period` and `loketd export --period` name it:
/// `2026-S2` (a semester), `2026-Q4` (a quarter) or `2026-12` (a month). Returns the
/// label as published ("Semester II 2026", "Triwulan IV 2026", "Desember 2026") and the
/// first and last day; an error names the accepted forms.
pub fn period_of(spec: &str) -> Result<(String, NaiveDate, NaiveDate), String> {
    let bad = || {
        format!(
            "{spec:?} is not a period: write a semester (2026-S1, 2026-S2), a quarter (2026-Q1 … 2026-Q4) or a month (2026-01 … 2026-12)"
        )
    };
    let (year, part) = spec.trim().split_once('-').ok_or_else(bad)?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(bad)?;
    let part = part.to_ascii_uppercase();
    let roman = ["I", "II", "III", "IV"];
    let (label, first_month, months) = if let Some(n) = part.strip_prefix('S') {
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=2).contains(n))
            .ok_or_else(bad)?;
        (
            format!("Semester {} {year}", roman[n as usize - 1]),
            (n - 1) * 6 + 1,
            6,
        )
    } else if let Some(n) = part.strip_prefix('Q') {
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=4).contains(n))
            .ok_or_else(bad)?;
        (
            format!("Triwulan {} {year}", roman[n as usize - 1]),
            (n - 1) * 3 + 1,
            3,
        )
    } else {
        let m: u32 = part
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m) && part.len() == 2)
            .ok_or_else(bad)?;
        let first = NaiveDate::from_ymd_opt(year, m, 1).ok_or_else(bad)?;
        let date = crate::text::date_id(first);
        let label = date
            .split_once(' ')
            .map_or(date.clone(), |(_, r)| r.to_string());
        (label, m, 1)
    };
    let start = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(bad)?;
    let next = if first_month + months > 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, first_month + months, 1)
    }
    .ok_or_else(bad)?;
    let end = next.pred_opt().ok_or_else(bad)?;
    Ok((label, start, end))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn survey(nrr: [f64; 9]) -> Survey {
        Survey {
            respondents: 10,
            nrr: Unsur::ALL
                .iter()
                .zip(nrr)
                .map(|(u, n)| ElementScore { unsur: *u, nrr: n })
                .collect(),
            by_service: Vec::new(),
            by_channel: Vec::new(),
            profile: Vec::new(),
        }
    }

    #[test]
    fn periods_by_name() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            period_of("2026-S2").unwrap(),
            ("Semester II 2026".into(), d(2026, 7, 1), d(2026, 12, 31))
        );
        assert_eq!(
            period_of("2026-q4").unwrap(),
            ("Triwulan IV 2026".into(), d(2026, 10, 1), d(2026, 12, 31))
        );
        assert_eq!(
            period_of("2026-02").unwrap(),
            ("Februari 2026".into(), d(2026, 2, 1), d(2026, 2, 28))
        );
        for bad in [
            "2026", "2026-S3", "2026-Q5", "2026-13", "2026-2", "S2-2026", "26-S2",
        ] {
            let e = period_of(bad).unwrap_err();
            assert!(
                e.contains("2026-S1") && e.contains("2026-Q1") && e.contains("2026-01"),
                "{e}"
            );
        }
    }

    #[test]
    fn ikm_and_mutu_follow_the_regulation() {
        // All 3.5: IKM 87.5, B. All 4: 100, A.
        assert!((survey([3.5; 9]).ikm() - 87.5).abs() < 1e-9);
        assert_eq!(survey([3.5; 9]).mutu(), Mutu::B);
        assert_eq!(survey([4.0; 9]).mutu(), Mutu::A);
        // The boundaries of PermenPANRB 14/2017's conversion table.
        for (ikm, mutu) in [
            (88.31, Mutu::A),
            (88.30, Mutu::B),
            (76.61, Mutu::B),
            (76.60, Mutu::C),
            (65.00, Mutu::C),
            (64.99, Mutu::D),
        ] {
            assert_eq!(Mutu::of(ikm), mutu, "{ikm}");
        }
    }

    #[test]
    fn a_newer_version_unknown_fields_and_impossible_values_are_refused() {
        let p = Path::new("kinerja.json");
        let v3 = r#"{"version": 3, "generated_at": "2026-12-01T00:00:00Z", "periods": []}"#;
        let e = PerformanceExport::parse(p, v3).unwrap_err();
        assert!(
            e[0].message
                .contains("version 3; this loket reads versions 1 and 2"),
            "{e:?}"
        );
        let v1 = r#"{"version": 1, "generated_at": "2026-12-01T00:00:00Z", "periods": []}"#;
        assert!(PerformanceExport::parse(p, v1).is_ok());
        let personal = r#"{"version": 1, "generated_at": "2026-12-01T00:00:00Z", "periods": [
  {"label": "S2", "start": "2026-07-01", "end": "2026-12-31", "emails": ["a@b.c"]}]}"#;
        let e = PerformanceExport::parse(p, personal).unwrap_err();
        assert!(e[0].message.contains("unknown field `emails`"), "{e:?}");
        assert_eq!(e[0].line, 2, "{e:?}");
        let wrong = r#"{"version": 1, "generated_at": "2026-12-01T00:00:00Z", "periods": [
  {"label": "S2", "start": "2026-07-01", "end": "2026-12-31",
   "survey": {"respondents": 3, "nrr": [{"unsur": "U1", "nrr": 4.5}]},
   "services": [{"code": "KONS", "requests": 1, "answered": 2, "answered_in_time": 0, "escalated": 0, "escalations_in_time": 0}],
   "volumes": [{"month": "2026-01", "channel": "email", "count": 1}]}]}"#;
        let e = PerformanceExport::parse(p, wrong).unwrap_err();
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        for needle in [
            "periods[0].survey.nrr: has 0 U2",
            "periods[0].survey.nrr[0]: NRR 4.5 of U1 is outside 1–4",
            "periods[0].services[0] (KONS): more answered than received",
            "periods[0].volumes[0].month: \"2026-01\" is not a month",
        ] {
            assert!(
                msgs.iter().any(|m| m.contains(needle)),
                "{needle} in {msgs:#?}"
            );
        }
    }
}

#[cfg(test)]
mod published_tests {
    use super::*;

    fn part(key: &str, respondents: u32) -> SurveyPart {
        SurveyPart {
            key: key.to_string(),
            respondents,
            nrr: Vec::new(),
        }
    }

    fn keys(parts: Vec<SurveyPart>) -> Vec<String> {
        published(parts).shown.into_iter().map(|p| p.key).collect()
    }

    /// No group of fewer than five is shown, nor one that the whole and the groups
    /// shown would give away.
    #[test]
    fn small_groups_are_not_published_nor_worked_out_from_the_rest() {
        // All large enough: all shown, in their order.
        assert_eq!(keys(vec![part("a", 5), part("b", 40)]), ["a", "b"]);
        // Two small ones that make five together: only they are left out.
        assert_eq!(keys(vec![part("a", 2), part("b", 40), part("c", 3)]), ["b"]);
        // One of four: the smallest other group goes too (else 4 = whole − shown).
        assert_eq!(keys(vec![part("a", 4), part("b", 30), part("c", 9)]), ["b"]);
        // Four and six, as the channels of ten respondents: neither is shown.
        assert!(keys(vec![part("email", 6), part("tatap-muka", 4)]).is_empty());
        // Nothing small: nothing taken away.
        assert!(keys(Vec::new()).is_empty());
    }

    /// What is left out is said, each group once, so that it can be told.
    #[test]
    fn what_is_left_out_is_returned_beside_what_is_shown() {
        let p = published(vec![part("a", 4), part("b", 30), part("c", 9)]);
        let withheld: Vec<_> = p.withheld.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(withheld, ["a", "c"]);
        assert_eq!(p.shown.len() + p.withheld.len(), 3);
        assert!(published(vec![part("a", 5)]).withheld.is_empty());
    }
}
