//! The SKM of PermenPANRB 14/2017 on the site: the printable questionnaire (`/skm/`,
//! `/en/skm/`) in the regulation's wording, and the performance export written by the
//! daemon's code from a real database, read by `loket build --kinerja`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use chrono::{TimeZone, Utc};
use common::{loket, site_copy, stderr};
use loket_core::skm::{Education, Occupation, ProfileValue, Unsur};
use scraper::{Html, Selector};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn build(site: &Path, extra: &[&str]) -> std::path::PathBuf {
    let out = site.join("public");
    let mut args = vec!["build", "--output", out.to_str().unwrap()];
    args.extend(extra);
    let o = loket(&args, site);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn the_questionnaire_has_the_nine_questions_and_their_four_answers() {
    let site = site_copy();
    let out = build(site.path(), &[]);
    for (page, english) in [("skm/index.html", false), ("en/skm/index.html", true)] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        let doc = Html::parse_document(&html);
        assert!(doc.errors.is_empty(), "{page}: {:?}", doc.errors);
        let items: Vec<_> = doc.select(&sel("ol.pertanyaan > li")).collect();
        assert_eq!(items.len(), 9, "{page}");
        for (u, li) in Unsur::ALL.iter().zip(items) {
            let text: String = li.text().collect();
            let (q, answers) = if english {
                (u.question_en(), u.answers_en())
            } else {
                (u.question_id(), u.answers_id())
            };
            assert!(text.contains(q), "{page} {}: {text}", u.code());
            let got: Vec<String> = li
                .select(&sel(".jawaban li"))
                .map(|a| a.text().collect::<String>())
                .collect();
            let want: Vec<String> = answers
                .iter()
                .enumerate()
                .map(|(i, a)| format!("☐ {}. {a}", i + 1))
                .collect();
            assert_eq!(got, want, "{page} {}", u.code());
        }
        // The optional profile, and how a CSO enters the form.
        let profile: String = doc.select(&sel(".isian")).flat_map(|e| e.text()).collect();
        for e in Education::ALL {
            let label = if english { e.label_en() } else { e.label_id() };
            assert!(profile.contains(label), "{page}: {label}");
        }
        for o in Occupation::ALL {
            let label = if english { o.label_en() } else { o.label_id() };
            assert!(profile.contains(label), "{page}: {label}");
        }
        assert!(html.contains("[SKM] #"), "{page}");
        // One A4 page when printed (the browser test measures it).
        assert!(html.contains("class=\"kuesioner\""), "{page}");
    }
    let css = std::fs::read_to_string(out.join("style.css")).unwrap();
    assert!(css.contains("@page kuesioner{size:A4"), "print CSS");
}

/// A database filled through the daemon's own workflow: five questions by mail, five
/// paper questionnaires entered by a CSO.
fn database(site: &Path) {
    let desk = loketd::desk::Desk::load(site).unwrap();
    let mut store = loketd::store::Store::open(&desk.config.mail.data_dir).unwrap();
    let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
    for i in 1..=5u32 {
        let raw = format!(
            "From: Budi <budi@satker.example.test>\r\nTo: layanan@kppn-tanjungselor.example\r\n\
             Subject: [KONS] Pertanyaan {i}\r\nMessage-ID: <q{i}@satker.example.test>\r\n\
             Date: Tue, 1 Dec 2026 09:00:00 +0800\r\n\r\nMohon informasi nomor {i}.\r\n"
        );
        let src = loketd::workflow::ingest::Source {
            folder: "INBOX".into(),
            uidvalidity: 1,
            uid: i,
        };
        loketd::workflow::ingest::ingest(&mut store, &desk, &src, raw.as_bytes(), at(1)).unwrap();
        let out = loketd::workflow::survey::enter_paper_form(
            &mut store,
            &desk,
            "cso1@kppn-tanjungselor.example",
            &format!("[SKM] #{i}"),
            "4 4 3 4 4 4 4 3 4\nJenis kelamin: P\nSaran dari Budi: antrean dipercepat.",
            at(3),
        )
        .unwrap();
        assert!(
            matches!(out, loketd::workflow::survey::PaperOutcome::Recorded { .. }),
            "{out:?}"
        );
    }
}

#[test]
fn what_the_daemon_exports_the_site_builds() {
    let site = site_copy();
    database(site.path());
    let desk = loketd::desk::Desk::load(site.path()).unwrap();
    let store = loketd::store::Store::open(&desk.config.mail.data_dir).unwrap();
    let (label, start, end) = loket_core::performance::period_of("2026-S2").unwrap();
    let from = desk.calendar.at_local(start, chrono::NaiveTime::MIN);
    let to = desk
        .calendar
        .at_local(end.succ_opt().unwrap(), chrono::NaiveTime::MIN);
    let export = loketd::store::kinerja::export(
        store.conn(),
        &[loketd::store::kinerja::PeriodSpan {
            label,
            start,
            end,
            from,
            to,
        }],
        desk.calendar.utc_offset(),
        Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap(),
    )
    .unwrap()
    .export;
    let path = site.path().join("var/kinerja.json");
    std::fs::write(&path, serde_json::to_string_pretty(&export).unwrap()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for personal in ["@", "Budi", "Pertanyaan", "antrean"] {
        assert!(
            !text.contains(personal),
            "{personal} in the export:\n{text}"
        );
    }
    let out = build(site.path(), &["--kinerja", path.to_str().unwrap()]);
    let html = std::fs::read_to_string(out.join("kinerja/index.html")).unwrap();
    // 4 4 3 4 4 4 4 3 4 by all five: Σ NRR 34 → 34 / 9 × 25 = 94,44 (A).
    assert!(html.contains("Semester II 2026"), "{html}");
    assert!(html.contains("94,44"), "{html}");
    assert!(html.contains("Sangat Baik"), "{html}");
    // The v2 parts: per service and channel, and the profile counts.
    let doc = Html::parse_document(&html);
    let rows: Vec<String> = doc
        .select(&sel("table tr"))
        .map(|r| {
            r.text()
                .flat_map(str::split_whitespace)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    for want in [
        "Konsultasi Stakeholder (KONS) 5 94,44 A",
        "Kanal: Email 5 94,44 A",
        "Jenis kelamin Perempuan 5",
    ] {
        assert!(rows.iter().any(|r| r.contains(want)), "{want} in {rows:#?}");
    }
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("kinerja/index.json")).unwrap())
            .unwrap();
    assert_eq!(data["periods"][0]["survey"]["respondents"], 5);
    assert_eq!(data["periods"][0]["survey"]["mutu"], "A");
    // Open data v2: the same groups as the page, and the profile counts; valid against
    // the schema the file names.
    let survey = &data["periods"][0]["survey"];
    assert_eq!(
        survey["by_service"],
        serde_json::json!([{ "key": "KONS", "name": "Layanan Konsultasi Stakeholder", "respondents": 5, "ikm": 94.4444, "mutu": "A" }])
    );
    assert_eq!(survey["by_channel"][0]["key"], "email");
    assert_eq!(survey["by_channel"][0]["name"], "Email");
    assert!(
        survey["profile"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({ "field": "sex", "value": "P", "count": 5 })),
        "{survey}"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("schema/kinerja-v2.json")).unwrap())
            .unwrap();
    let errors: Vec<String> = jsonschema::validator_for(&schema)
        .unwrap()
        .iter_errors(&data)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema itself refuses a group under five.
    let mut small_group = data.clone();
    small_group["periods"][0]["survey"]["by_service"][0]["respondents"] = serde_json::json!(2);
    assert!(
        !jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&small_group)
    );
    // A profile value the export carries is a count, never a person.
    let profile = &export.periods[0].survey.as_ref().unwrap().profile;
    assert!(
        profile
            .iter()
            .any(|p| p.field == "sex" && p.value == loket_core::skm::Sex::P.code() && p.count == 5),
        "{profile:?}"
    );
    // An export with a group of two (made by hand, or by an older loketd): the site
    // shows neither it nor the group that would give it away, and says why.
    let mut small = export.clone();
    let survey = small.periods[0].survey.as_mut().unwrap();
    let mut phone = survey.by_channel[0].clone();
    phone.key = "telepon".to_string();
    phone.respondents = 2;
    survey.by_channel.push(phone);
    std::fs::write(&path, serde_json::to_string_pretty(&small).unwrap()).unwrap();
    let out = site.path().join("public");
    let o = loket(
        &[
            "build",
            "--output",
            out.to_str().unwrap(),
            "--kinerja",
            path.to_str().unwrap(),
        ],
        site.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The one who builds is told what the page leaves out, each group once.
    let err = stderr(&o);
    for (channel, n) in [("telepon", 2), ("email", 5)] {
        let want = format!(
            "var/kinerja.json:1:1: Semester II 2026: the survey of channel \"{channel}\" ({n} respondent(s)) is left off the public page"
        );
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("warning: ") && l.contains(&want))
                .count(),
            1,
            "{want:?} in\n{err}"
        );
    }
    let html = std::fs::read_to_string(out.join("kinerja/index.html")).unwrap();
    assert!(!html.contains("Kanal:"), "{html}");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("kinerja/index.json")).unwrap())
            .unwrap();
    assert_eq!(
        data["periods"][0]["survey"]["by_channel"],
        serde_json::json!([]),
        "the open data hides them too"
    );
    assert!(html.contains("Konsultasi Stakeholder (KONS)"), "{html}");
    assert!(
        html.contains("Kelompok dengan kurang dari 5 responden tidak dirinci"),
        "{html}"
    );
}
