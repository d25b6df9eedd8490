//! "Kinerja Layanan": the performance page from a fixture export (charts drawn at build
//! time, each with its table and accessible name; open data valid against its schema) and
//! from none (the page says that nothing is published yet).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, loket, site_copy, stderr};
use scraper::{ElementRef, Html, Selector};

const BASE: &str = "https://standar.kppn-test.go.id/tanjungselor/";

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn build(site: &Path, extra: &[&str]) -> PathBuf {
    let out = site.join("public");
    let mut args = vec![
        "build",
        "--output",
        out.to_str().unwrap(),
        "--base-url",
        BASE,
    ];
    args.extend(extra);
    let o = loket(&args, site);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

/// The element's text nodes, each trimmed, joined by one space.
fn text(e: ElementRef<'_>) -> String {
    e.text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

fn validate(out: &Path) -> serde_json::Value {
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("kinerja/index.json")).unwrap())
            .unwrap();
    assert_eq!(data["$schema"], format!("{BASE}schema/kinerja-v2.json"));
    assert_eq!(data["version"], 2);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("schema/kinerja-v2.json")).unwrap())
            .unwrap();
    // Version 1's schema stays where readers of version 1 find it.
    let v1: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("schema/kinerja-v1.json")).unwrap())
            .unwrap();
    assert_eq!(v1["properties"]["version"]["const"], 1);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&data)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    data
}

#[test]
fn without_an_export_the_page_says_nothing_is_published_yet() {
    let site = site_copy();
    let out = build(site.path(), &[]);
    let html = std::fs::read_to_string(out.join("kinerja/index.html")).unwrap();
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert_eq!(
        doc.select(&sel("h1")).map(text).collect::<Vec<_>>(),
        ["Kinerja Layanan"]
    );
    assert!(
        html.contains("Belum ada data kinerja layanan yang dipublikasikan."),
        "{html}"
    );
    assert!(doc.select(&sel("svg, table")).next().is_none());
    let menu: Vec<String> = doc.select(&sel(".menu a")).map(text).collect();
    // Short in the menu, so that it stays two rows on a 360 px phone.
    assert!(menu.contains(&"Kinerja".to_string()), "{menu:?}");
    let data = validate(&out);
    assert_eq!(data["periods"], serde_json::json!([]));
    assert!(data["generated_at"].is_null());
}

#[test]
fn an_export_is_published_per_period_with_charts_tables_and_open_data() {
    let site = site_copy();
    let export = fixture("kinerja.json");
    let out = build(site.path(), &["--kinerja", export.to_str().unwrap()]);
    let html = std::fs::read_to_string(out.join("kinerja/index.html")).unwrap();
    assert!(!html.contains("<script"), "no JavaScript");
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);

    // Newest period first.
    let periods: Vec<ElementRef<'_>> = doc.select(&sel("section.periode")).collect();
    assert_eq!(periods.len(), 2);
    let s2 = periods[0];
    let h2 = text(s2.select(&sel("h2")).next().unwrap());
    assert!(
        h2.starts_with("Semester II 2026 (1 Juli 2026 – 31 Desember 2026)"),
        "{h2}"
    );
    // IKM = (3.52+3.48+3.61+3.95+3.40+3.55+3.70+3.38+3.30)/9 × 25 = 88.5833…: mutu A.
    let facts: Vec<String> = s2.select(&sel(".fakta div")).map(text).collect();
    assert_eq!(
        facts,
        [
            "IKM 88,58",
            "Mutu pelayanan A (Sangat Baik)",
            "Jumlah responden 127"
        ]
    );
    let s1_facts: Vec<String> = periods[1].select(&sel(".fakta div")).map(text).collect();
    assert_eq!(s1_facts[0], "IKM 85,17");
    assert_eq!(s1_facts[1], "Mutu pelayanan B (Baik)");

    // Every chart is a named image and is followed by a table with the same numbers.
    let charts: Vec<ElementRef<'_>> = s2.select(&sel("svg.grafik")).collect();
    assert_eq!(charts.len(), 3, "NRR, timeliness, volumes");
    for svg in &charts {
        assert_eq!(svg.value().attr("role"), Some("img"));
        let ids: Vec<&str> = svg
            .value()
            .attr("aria-labelledby")
            .unwrap()
            .split(' ')
            .collect();
        for id in ids {
            let named = svg.select(&sel(&format!("#{id}"))).next();
            assert!(
                named.is_some_and(|n| !text(n).is_empty()),
                "#{id} names the chart"
            );
        }
    }
    let tables: Vec<ElementRef<'_>> = s2.select(&sel("table")).collect();
    assert_eq!(tables.len(), 3);
    for t in &tables {
        assert!(
            t.select(&sel("caption")).next().is_some(),
            "a table with a caption"
        );
    }
    let nrr_rows: Vec<String> = tables[0].select(&sel("tbody tr")).map(text).collect();
    assert_eq!(nrr_rows.len(), 9);
    assert_eq!(nrr_rows[0], "U1 Persyaratan 3,52 0,391");
    assert_eq!(nrr_rows[8], "U9 Sarana dan Prasarana 3,30 0,367");
    // The NRR chart's bars are as long as the values: 3.95 of 4 on a 280-unit plot.
    let nrr_chart = charts[0].html();
    assert!(
        nrr_chart.contains(&format!("width=\"{:.1}\"", 280.0 * 3.95 / 4.0)),
        "{nrr_chart}"
    );
    let timeliness: Vec<String> = tables[1].select(&sel("tbody tr")).map(text).collect();
    assert_eq!(
        timeliness,
        ["Layanan Konsultasi Stakeholder (KONS) 505 500 475 95,0 % 28 26 92,9 %"]
    );
    let volume_head: Vec<String> = tables[2].select(&sel("thead th")).map(text).collect();
    assert_eq!(
        volume_head,
        [
            "Bulan",
            "Email",
            "HAI CSO (OM SPAN)",
            "Tatap muka di kantor",
            "Jumlah"
        ]
    );
    let volume_total = text(tables[2].select(&sel("tfoot tr")).next().unwrap());
    assert_eq!(volume_total, "Jumlah 186 112 137 435");
    let july = text(tables[2].select(&sel("tbody tr")).next().unwrap());
    assert_eq!(july, "Juli 2026 34 22 27 83");

    // Open data: the same figures, valid against the published schema.
    let data = validate(&out);
    let p = &data["periods"][1];
    assert_eq!(p["label"], "Semester II 2026");
    assert_eq!(p["survey"]["ikm"], 88.5833);
    assert_eq!(p["survey"]["mutu"], "A");
    assert_eq!(p["services"][0]["in_time_share"], 0.95);
    assert_eq!(p["services"][0]["title"], "Layanan Konsultasi Stakeholder");
    assert_eq!(data["generated_at"], "2026-12-01T02:00:00+00:00");
}

#[test]
fn the_export_named_in_site_toml_is_published_and_a_missing_or_newer_one_stops_the_build() {
    let site = site_copy();
    let root = site.path();
    std::fs::copy(fixture("kinerja.json"), root.join("data/kinerja.json")).unwrap();
    let toml = std::fs::read_to_string(root.join("site.toml")).unwrap();
    std::fs::write(
        root.join("site.toml"),
        toml.replacen(
            "language = \"id\"\n",
            "language = \"id\"\nkinerja = \"data/kinerja.json\"\n",
            1,
        ),
    )
    .unwrap();
    let out = build(root, &[]);
    let html = std::fs::read_to_string(out.join("kinerja/index.html")).unwrap();
    assert!(html.contains("Semester II 2026"));

    let newer = std::fs::read_to_string(root.join("data/kinerja.json"))
        .unwrap()
        .replacen("\"version\": 1", "\"version\": 3", 1);
    std::fs::write(root.join("data/kinerja.json"), newer).unwrap();
    let o = loket(&["build", "--output", "out2"], root);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("data/kinerja.json:1:1: this performance export is version 3; this loket reads versions 1 and 2"),
        "{}",
        stderr(&o)
    );

    std::fs::remove_file(root.join("data/kinerja.json")).unwrap();
    let o = loket(&["check"], root);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("data/kinerja.json"), "{}", stderr(&o));
}

#[test]
fn an_export_naming_a_draft_or_unknown_standard_or_channel_is_warned_at_its_file() {
    let site = site_copy();
    let root = site.path();
    // The shipped standard becomes a draft: its code is not on the published site.
    let std_path = root.join("content/layanan/konsultasi-stakeholder.md");
    let text = std::fs::read_to_string(&std_path).unwrap();
    std::fs::write(&std_path, text.replacen("+++\n", "+++\ndraft = true\n", 1)).unwrap();
    let export = std::fs::read_to_string(fixture("kinerja.json"))
        .unwrap()
        .replacen("\"channel\": \"email\"", "\"channel\": \"faks\"", 1);
    let path = root.join("data/kinerja.json");
    std::fs::write(&path, export).unwrap();
    let o = loket(&["check", "--kinerja", path.to_str().unwrap()], root);
    let err = stderr(&o);
    assert!(
        err.lines().any(|l| l.starts_with("warning: ")
            && l.contains("data/kinerja.json:1:1:")
            && l.contains("the service code \"KONS\" has no published standard")),
        "{err}"
    );
    assert!(err.contains("unknown channel \"faks\""), "{err}");
    // The standard's questions are not published either, and that is said too.
    assert!(
        err.contains("warning: content/tanya-jawab/")
            && err.contains("not published: its standard KONS is a draft"),
        "{err}"
    );
}
