//! "Kinerja Layanan", `/kinerja/`: the help desk's performance export published per
//! period — the SKM's IKM and mutu with the NRR of each element, the share answered within
//! the standard's time, escalations resolved in their term, and the requests by month and
//! channel — as charts drawn at build time, each with its table; and as open data,
//! `/kinerja/index.json`. Without an export the page says that nothing is published yet.

use serde::Serialize;

use loket_core::content::Service;
use loket_core::diagnostics::Diagnostic;
use loket_core::performance::{
    PerformanceExport, Period, ProfileCount, Survey, SurveyPart, Unsur, published,
};

use crate::chart::{self, Bar};
use crate::i18n::Lang;
use crate::links::RenderedPage;
use crate::opendata::{LICENSE, Publisher};
use crate::schema::SCHEMA_KINERJA;
use crate::site::Site;

/// The version of `/kinerja/index.json` (its schema: [`SCHEMA_KINERJA`]). Version 2
/// added the survey per service and channel and the profile counts.
const KINERJA_VERSION: u32 = 2;

/// Site path of the page.
pub const KINERJA_PATH: &str = "kinerja/";

/// A number with a decimal comma: `3,52`.
fn decimal(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(
        || "–".to_string(),
        |s| format!("{} %", decimal(s * 100.0, 1)),
    )
}

/// "Juli 2026" of "2026-07".
fn month_label(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_or_else(
        |_| month.to_string(),
        |d| {
            let full = loket_core::text::date_id(d);
            full.split_once(' ')
                .map_or(full.clone(), |(_, rest)| rest.to_string())
        },
    )
}

#[derive(Serialize)]
struct PeriodView {
    id: String,
    label: String,
    start: String,
    end: String,
    survey: Option<SurveyView>,
    services: Vec<ServiceRow>,
    services_chart: Option<String>,
    volumes: Option<VolumeView>,
}

#[derive(Serialize)]
struct SurveyView {
    respondents: u32,
    ikm: String,
    mutu: &'static str,
    mutu_label: &'static str,
    elements: Vec<ElementRow>,
    chart: String,
    /// (export v2) The IKM per service and per channel.
    parts: Vec<PartRow>,
    /// (export v2) Respondents per profile value, one row per field.
    profile: Vec<ProfileRow>,
}

#[derive(Serialize)]
struct PartRow {
    group: String,
    respondents: u32,
    ikm: String,
    mutu: &'static str,
}

#[derive(Serialize)]
struct ProfileRow {
    field: &'static str,
    counts: String,
}

/// "Laki-laki 4, Perempuan 1" of one profile field.
fn profile_rows(s: &loket_core::performance::Survey) -> Vec<ProfileRow> {
    use loket_core::skm::{AgeGroup, Education, Occupation, ProfileValue, Sex};
    fn label<T: ProfileValue>(code: &str) -> String {
        T::from_code(code).map_or_else(|| code.to_string(), |v| v.label_id().to_string())
    }
    [
        ("age", "Usia"),
        ("sex", "Jenis kelamin"),
        ("education", "Pendidikan"),
        ("occupation", "Pekerjaan"),
    ]
    .iter()
    .filter_map(|(field, name)| {
        let counts: Vec<String> = s
            .profile
            .iter()
            .filter(|p| p.field == *field)
            .map(|p| {
                let l = match *field {
                    "age" => label::<AgeGroup>(&p.value),
                    "sex" => label::<Sex>(&p.value),
                    "education" => label::<Education>(&p.value),
                    _ => label::<Occupation>(&p.value),
                };
                format!("{l} {}", p.count)
            })
            .collect();
        (!counts.is_empty()).then(|| ProfileRow {
            field: name,
            counts: counts.join(", "),
        })
    })
    .collect()
}

#[derive(Serialize)]
struct ElementRow {
    code: &'static str,
    name: &'static str,
    nrr: String,
    weighted: String,
}

#[derive(Serialize)]
struct ServiceRow {
    code: String,
    title: String,
    requests: u32,
    answered: u32,
    answered_in_time: u32,
    in_time: String,
    escalated: u32,
    escalations_in_time: u32,
    escalation_in_time: String,
}

#[derive(Serialize)]
struct VolumeView {
    channels: Vec<String>,
    rows: Vec<VolumeRow>,
    totals: Vec<u32>,
    total: u32,
    chart: String,
}

#[derive(Serialize)]
struct VolumeRow {
    month: String,
    counts: Vec<u32>,
    total: u32,
}

fn title_of<'a>(services: &'a [Service], code: &'a str) -> &'a str {
    services
        .iter()
        .find(|s| s.code == code)
        .map_or(code, |s| s.title.as_str())
}

/// The groups of a survey the page and its open data show, as [`published`] lets them
/// through (again here, for an export not made by `loketd export`): each service's
/// title and each channel's label with its part, services first.
struct Groups {
    services: Vec<(String, SurveyPart)>,
    channels: Vec<(String, SurveyPart)>,
}

impl Groups {
    fn of(s: &Survey, services: &[Service]) -> Groups {
        let named = |parts: &[SurveyPart], name: &dyn Fn(&str) -> String| {
            published(parts.to_vec())
                .shown
                .into_iter()
                .map(|x| (name(&x.key), x))
                .collect()
        };
        Groups {
            services: named(&s.by_service, &|k| title_of(services, k).to_string()),
            channels: named(&s.by_channel, &|k| {
                loket_core::content::channel_label(k).to_string()
            }),
        }
    }
}

fn period_view(i: usize, p: &Period, services: &[Service]) -> PeriodView {
    let id = format!("periode-{}", i + 1);
    let survey = p.survey.as_ref().map(|s| {
        let elements: Vec<ElementRow> = Unsur::ALL
            .iter()
            .map(|u| {
                let nrr = s.nrr(*u).unwrap_or(0.0);
                ElementRow {
                    code: u.code(),
                    name: u.name_id(),
                    nrr: decimal(nrr, 2),
                    weighted: decimal(nrr / 9.0, 3),
                }
            })
            .collect();
        let bars: Vec<Bar> = Unsur::ALL
            .iter()
            .map(|u| {
                let nrr = s.nrr(*u).unwrap_or(0.0);
                Bar {
                    label: format!("{} {}", u.code(), u.name_id()),
                    value: nrr,
                    shown: decimal(nrr, 2),
                }
            })
            .collect();
        let ticks: Vec<(f64, String)> = (0..=4).map(|t| (f64::from(t), t.to_string())).collect();
        SurveyView {
            respondents: s.respondents,
            ikm: decimal(s.ikm(), 2),
            mutu: s.mutu().letter(),
            mutu_label: s.mutu().label_id(),
            chart: chart::bars(
                &format!("{id}-nrr"),
                &format!("NRR per unsur pelayanan, {}", p.label),
                &format!(
                    "Batang mendatar, skala 0 sampai 4, untuk sembilan unsur; IKM {} (mutu {}). Angka yang sama ada pada tabel di bawahnya.",
                    decimal(s.ikm(), 2),
                    s.mutu().letter()
                ),
                &bars,
                4.0,
                &ticks,
            ),
            elements,
            parts: {
                let g = Groups::of(s, services);
                g.services
                    .into_iter()
                    .map(|(title, x)| (format!("{title} ({})", x.key), x))
                    .chain(
                        g.channels
                            .into_iter()
                            .map(|(name, x)| (format!("Kanal: {name}"), x)),
                    )
                    .map(|(group, x)| PartRow {
                    group,
                        respondents: x.respondents,
                        ikm: decimal(x.ikm(), 2),
                        mutu: loket_core::skm::Mutu::of(x.ikm()).letter(),
                    })
                    .collect()
            },
            profile: profile_rows(s),
        }
    });
    let rows: Vec<ServiceRow> = p
        .services
        .iter()
        .map(|s| ServiceRow {
            code: s.code.clone(),
            title: title_of(services, &s.code).to_string(),
            requests: s.requests,
            answered: s.answered,
            answered_in_time: s.answered_in_time,
            in_time: percent(s.in_time_share()),
            escalated: s.escalated,
            escalations_in_time: s.escalations_in_time,
            escalation_in_time: percent(s.escalation_share()),
        })
        .collect();
    let services_chart = (!p.services.is_empty()).then(|| {
        let mut bars = Vec::new();
        for s in &p.services {
            if let Some(v) = s.in_time_share() {
                bars.push(Bar {
                    label: format!("{}: dijawab tepat waktu", s.code),
                    value: v * 100.0,
                    shown: percent(Some(v)),
                });
            }
            if let Some(v) = s.escalation_share() {
                bars.push(Bar {
                    label: format!("{}: eskalasi tepat waktu", s.code),
                    value: v * 100.0,
                    shown: percent(Some(v)),
                });
            }
        }
        let ticks: Vec<(f64, String)> = (0..=4)
            .map(|t| (f64::from(t * 25), format!("{} %", t * 25)))
            .collect();
        chart::bars(
            &format!("{id}-tepat"),
            &format!("Persentase penyelesaian tepat waktu, {}", p.label),
            "Batang mendatar, 0 sampai 100 persen: permintaan yang dijawab dalam waktu penyelesaian standar, dan eskalasi yang selesai dalam jangka waktunya, per layanan. Angka yang sama ada pada tabel di bawahnya.",
            &bars,
            100.0,
            &ticks,
        )
    });
    let volumes = (!p.volumes.is_empty()).then(|| {
        let mut months: Vec<&str> = p.volumes.iter().map(|v| v.month.as_str()).collect();
        months.sort_unstable();
        months.dedup();
        let mut channels: Vec<&str> = p.volumes.iter().map(|v| v.channel.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        let count = |m: &str, c: &str| -> u32 {
            p.volumes
                .iter()
                .filter(|v| v.month == m && v.channel == c)
                .map(|v| v.count)
                .sum()
        };
        let labels: Vec<String> = channels
            .iter()
            .map(|c| Lang::Id.channel(c).to_string())
            .collect();
        let rows: Vec<VolumeRow> = months
            .iter()
            .map(|m| {
                let counts: Vec<u32> = channels.iter().map(|c| count(m, c)).collect();
                VolumeRow {
                    month: month_label(m),
                    total: counts.iter().sum(),
                    counts,
                }
            })
            .collect();
        let totals: Vec<u32> = channels
            .iter()
            .map(|c| months.iter().map(|m| count(m, c)).sum())
            .collect();
        let series: Vec<(String, Vec<u32>)> = channels
            .iter()
            .zip(&labels)
            .map(|(c, l)| (l.clone(), months.iter().map(|m| count(m, c)).collect()))
            .collect();
        let month_names: Vec<String> = rows.iter().map(|r| r.month.clone()).collect();
        VolumeView {
            chart: chart::stacked(
                &format!("{id}-volume"),
                &format!("Jumlah permintaan layanan per bulan dan kanal, {}", p.label),
                "Kolom bertumpuk per bulan; setiap warna satu kanal, jumlah seluruh kanal di atas kolom. Angka yang sama ada pada tabel di bawahnya.",
                &month_names,
                &series,
            ),
            total: totals.iter().sum(),
            channels: labels,
            rows,
            totals,
        }
    });
    PeriodView {
        id,
        label: p.label.clone(),
        start: Lang::Id.date(p.start),
        end: Lang::Id.date(p.end),
        survey,
        services: rows,
        services_chart,
        volumes,
    }
}

/// `/kinerja/index.json`: the export as published, with the figures the page shows.
#[derive(Serialize)]
struct KinerjaData<'a> {
    #[serde(rename = "$schema")]
    schema: String,
    version: u32,
    license: &'static str,
    publisher: Publisher<'a>,
    url: String,
    /// When the help desk made the export; `null` when none is published.
    generated_at: Option<String>,
    periods: Vec<PeriodData<'a>>,
}

#[derive(Serialize)]
struct PeriodData<'a> {
    label: &'a str,
    start: String,
    end: String,
    survey: Option<SurveyData>,
    services: Vec<ServiceData<'a>>,
    volumes: &'a [loket_core::performance::Volume],
}

#[derive(Serialize)]
struct SurveyData {
    respondents: u32,
    ikm: f64,
    mutu: &'static str,
    mutu_label: &'static str,
    nrr: Vec<ElementData>,
    /// (v2) Per service and per channel, the groups [`published`] lets through.
    by_service: Vec<PartData>,
    by_channel: Vec<PartData>,
    /// (v2) Respondents per profile value.
    profile: Vec<ProfileCount>,
}

impl SurveyData {
    fn of(s: &Survey, services: &[Service]) -> SurveyData {
        let groups = Groups::of(s, services);
        SurveyData {
            respondents: s.respondents,
            ikm: round(s.ikm()),
            mutu: s.mutu().letter(),
            mutu_label: s.mutu().label_id(),
            nrr: Unsur::ALL
                .iter()
                .map(|u| ElementData {
                    unsur: u.code(),
                    name: u.name_id(),
                    nrr: s.nrr(*u).unwrap_or(0.0),
                })
                .collect(),
            by_service: PartData::all(groups.services),
            by_channel: PartData::all(groups.channels),
            profile: s.profile.iter().filter(|p| p.count > 0).cloned().collect(),
        }
    }
}

/// The survey of one group of respondents.
#[derive(Serialize)]
struct PartData {
    key: String,
    name: String,
    respondents: u32,
    ikm: f64,
    mutu: &'static str,
}

impl PartData {
    fn all(groups: Vec<(String, SurveyPart)>) -> Vec<PartData> {
        groups
            .into_iter()
            .map(|(name, part)| PartData {
                ikm: round(part.ikm()),
                mutu: loket_core::skm::Mutu::of(part.ikm()).letter(),
                key: part.key,
                name,
                respondents: part.respondents,
            })
            .collect()
    }
}

#[derive(Serialize)]
struct ElementData {
    unsur: &'static str,
    name: &'static str,
    nrr: f64,
}

#[derive(Serialize)]
struct ServiceData<'a> {
    code: &'a str,
    title: &'a str,
    requests: u32,
    answered: u32,
    answered_in_time: u32,
    in_time_share: Option<f64>,
    escalated: u32,
    escalations_in_time: u32,
    escalation_in_time_share: Option<f64>,
}

/// Rounded for publication: the shares and the IKM to four decimals.
fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

impl Site {
    /// Renders `/kinerja/` and returns it with its open data.
    pub(crate) fn render_kinerja<F>(&self, sink: &F) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let services = &self.content.services;
        let export = self.performance.as_ref();
        let periods: Vec<PeriodView> = export
            .map(|e| {
                e.periods
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, p)| period_view(i, p, services))
                    .collect()
            })
            .unwrap_or_default();
        let strings = &self.theme.strings;
        let mut ctx = self.page_context(
            Lang::Id,
            KINERJA_PATH,
            &strings.get(Lang::Id, "kinerja_title"),
            Some(&strings.get(Lang::Id, "kinerja_description")),
            None,
        );
        ctx.insert("periods", &periods);
        ctx.insert(
            "generated",
            &export.map(|e| Lang::Id.date(e.generated_at.date_naive())),
        );
        ctx.insert(
            "json_url",
            &self.config.link(&format!("{KINERJA_PATH}index.json")),
        );
        let html = self.theme.render("kinerja.html", &ctx, KINERJA_PATH)?;
        sink(&format!("{KINERJA_PATH}index.html"), html.as_bytes())?;
        let json = serde_json::to_string_pretty(&self.kinerja_data()).map_err(|e| {
            Diagnostic::error(
                KINERJA_PATH,
                (1, 1),
                format!("cannot encode open data: {e}"),
                "",
            )
        })?;
        sink(&format!("{KINERJA_PATH}index.json"), json.as_bytes())?;
        Ok(RenderedPage {
            ids: self.ids_of(&html),
            url_path: KINERJA_PATH.into(),
            source: None,
            body_line: 1,
            links: Vec::new(),
            images: Vec::new(),
        })
    }

    fn kinerja_data(&self) -> KinerjaData<'_> {
        let services = &self.content.services;
        let export: Option<&PerformanceExport> = self.performance.as_ref();
        KinerjaData {
            schema: self.config.absolute_url(SCHEMA_KINERJA),
            version: KINERJA_VERSION,
            license: LICENSE,
            publisher: Publisher::of(&self.config),
            url: self.config.absolute_url(KINERJA_PATH),
            generated_at: export.map(|e| e.generated_at.to_rfc3339()),
            periods: export
                .map(|e| {
                    e.periods
                        .iter()
                        .map(|p| PeriodData {
                            label: &p.label,
                            start: p.start.to_string(),
                            end: p.end.to_string(),
                            survey: p.survey.as_ref().map(|s| SurveyData::of(s, services)),
                            services: p
                                .services
                                .iter()
                                .map(|s| ServiceData {
                                    code: &s.code,
                                    title: title_of(services, &s.code),
                                    requests: s.requests,
                                    answered: s.answered,
                                    answered_in_time: s.answered_in_time,
                                    in_time_share: s.in_time_share().map(round),
                                    escalated: s.escalated,
                                    escalations_in_time: s.escalations_in_time,
                                    escalation_in_time_share: s.escalation_share().map(round),
                                })
                                .collect(),
                            volumes: &p.volumes,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}
