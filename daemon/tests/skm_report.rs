//! `loketd report` and `loketd export` on the SKM of PermenPANRB 14/2017, against an
//! example computed by hand: ten respondents, six answering the "Resolved" mail by
//! reply and four on paper at the front desk (entered by a CSO), on tickets answered by
//! two CSOs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use support::desk::{mail, reply, wita};
use support::harness::{Harness, OFFICE};

use loket_core::performance::PerformanceExport;
use loketd::rules::ticket::Status;
use loketd::store::report;
use loketd::workflow::survey::{PaperOutcome, enter_paper_form};

/// The example. Rows: respondents R1–R10; columns: U1–U9.
///
/// ```text
///        U1 U2 U3 U4 U5 U6 U7 U8 U9 | Σ
/// R1      4  4  3  4  4  4  4  3  4 | 34   reply (email)
/// R2      3  3  3  4  3  3  4  3  3 | 29   reply
/// R3      4  4  4  4  4  4  4  4  4 | 36   reply
/// R4      3  3  2  4  3  3  3  3  3 | 27   reply
/// R5      4  3  3  4  4  4  4  3  3 | 32   reply
/// R6      2  3  2  4  3  3  3  2  3 | 25   reply
/// R7      4  4  3  4  4  4  4  4  4 | 35   paper (tatap muka)
/// R8      3  3  3  4  3  4  4  3  3 | 30   paper
/// R9      4  4  4  4  4  4  4  3  4 | 35   paper
/// R10     3  3  3  4  3  3  3  3  3 | 28   paper
/// Σ      34 34 30 40 35 36 37 31 34 | 311
/// NRR  3,40 3,40 3,00 4,00 3,50 3,60 3,70 3,10 3,40
/// ```
///
/// Σ NRR = 31,10; NRR tertimbang = 31,10 × 1/9 = 3,4556; IKM = 3,4556 × 25 = 86,39:
/// mutu B (Baik, 76,61–88,30). (With the rounded weight 0,111 some offices use, it
/// would be 86,30; loket weights exactly 1/9.)
/// By channel: email R1–R6, Σ 183 → 183 × 25 / 54 = 84,72 (B); tatap muka R7–R10,
/// Σ 128 → 128 × 25 / 36 = 88,89 (A).
const EXAMPLE: [[u8; 9]; 10] = [
    [4, 4, 3, 4, 4, 4, 4, 3, 4],
    [3, 3, 3, 4, 3, 3, 4, 3, 3],
    [4, 4, 4, 4, 4, 4, 4, 4, 4],
    [3, 3, 2, 4, 3, 3, 3, 3, 3],
    [4, 3, 3, 4, 4, 4, 4, 3, 3],
    [2, 3, 2, 4, 3, 3, 3, 2, 3],
    [4, 4, 3, 4, 4, 4, 4, 4, 4],
    [3, 3, 3, 4, 3, 4, 4, 3, 3],
    [4, 4, 4, 4, 4, 4, 4, 3, 4],
    [3, 3, 3, 4, 3, 3, 3, 3, 3],
];
const SUMS: [u32; 9] = [34, 34, 30, 40, 35, 36, 37, 31, 34];
const NRR: [f64; 9] = [3.4, 3.4, 3.0, 4.0, 3.5, 3.6, 3.7, 3.1, 3.4];

fn digits(s: &[u8; 9]) -> String {
    s.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")
}

/// Ten questions on Tuesday 1 December 2026, answered by CSO1 (1–6, after 10 minutes,
/// in time) and CSO2 (7–10, after 30 minutes, past the standard's 20), resolved, and
/// surveyed as in [`EXAMPLE`].
fn office() -> Harness {
    let mut w = Harness::new();
    let st = w.stakeholder();
    for i in 1..=10i64 {
        let asked = wita(12, 1, 8, 0) + Duration::minutes(i * 35);
        let raw = mail(
            &st,
            OFFICE,
            &format!("[KONS] Pertanyaan nomor {i}"),
            &format!("q{i}@satker.example.test"),
            &format!("Mohon informasi nomor {i} tentang pencairan dana."),
        );
        w.deliver(&raw, asked);
        let (cso, after) = if i <= 6 {
            (w.cso1(), 10)
        } else {
            (w.cso2(), 30)
        };
        let n = w
            .sent_to(&cso.address)
            .into_iter()
            .rfind(|s| s.mail.subject.contains(&format!("#{i}]")))
            .unwrap()
            .mail;
        w.deliver(
            &reply(
                &cso,
                &n,
                &format!("a{i}@cso.test"),
                &[],
                "#selesai\nSudah kami jawab.",
            ),
            asked + Duration::minutes(after),
        );
        assert_eq!(w.status(i), Status::Resolved, "ticket {i}");
    }
    // R1–R6 answer the "Resolved" mail, each in another written form.
    for i in 1..=6usize {
        let s = &EXAMPLE[i - 1];
        let text = match i {
            1 => format!("{}\nTerima kasih.", digits(s)),
            2 => s.iter().map(u8::to_string).collect::<String>(),
            3 => s
                .iter()
                .enumerate()
                .map(|(k, v)| format!("{}. {v}", k + 1))
                .collect::<Vec<_>>()
                .join("\n"),
            4 => format!(
                "Nilai: {}\nUsia: 30\nJenis kelamin: P",
                s.map(|v| v.to_string()).join(", ")
            ),
            _ => format!("{}\nPendidikan: S1\nPekerjaan: PNS", digits(s)),
        };
        let resolved = w
            .sent_to(&w.stakeholder().address)
            .into_iter()
            .rfind(|m| m.kind == "resolved" && m.mail.subject.contains(&format!("#{i}]")))
            .unwrap()
            .mail;
        w.deliver(
            &reply(
                &st,
                &resolved,
                &format!("skm{i}@satker.example.test"),
                &[],
                &text,
            ),
            wita(12, 2, 9, 0) + Duration::minutes(i as i64),
        );
    }
    // R7–R10 visited the front desk: their tickets are tatap muka, their forms paper.
    w.store
        .conn()
        .execute("UPDATE tickets SET channel = 'tatap-muka' WHERE id > 6", [])
        .unwrap();
    let cso2 = w.cso2().address;
    for i in 7..=10usize {
        let out = enter_paper_form(
            &mut w.store,
            &w.desk,
            &cso2,
            &format!("[SKM] #{i}"),
            &format!("{}\nUsia: 45\nJenis kelamin: L", digits(&EXAMPLE[i - 1])),
            wita(12, 2, 10, 0),
        )
        .unwrap();
        assert!(matches!(out, PaperOutcome::Recorded { .. }), "{out:?}");
    }
    w
}

fn now() -> DateTime<Utc> {
    wita(12, 3, 12, 0)
}

#[test]
fn the_report_computes_nrr_ikm_and_mutu_as_the_hand_computed_example() {
    let w = office();
    let r = report::build(w.store.conn(), None, None, now()).unwrap();
    let skm = &r.skm;
    assert_eq!((skm.respondents, skm.by_mail, skm.by_paper), (10, 6, 4));
    let all = skm.result.as_ref().unwrap();
    for (i, e) in all.elements.iter().enumerate() {
        assert_eq!(e.sum, SUMS[i], "U{} sum", i + 1);
        assert!((e.nrr - NRR[i]).abs() < 1e-9, "U{} NRR {}", i + 1, e.nrr);
    }
    assert!(
        (all.nrr_weighted - 31.1 / 9.0).abs() < 1e-9,
        "{}",
        all.nrr_weighted
    );
    assert_eq!(all.ikm, 86.39);
    assert_eq!((all.mutu, all.mutu_label), ("B", "Baik"));
    // Per channel and service.
    let email = &skm.by_channel["email"];
    assert_eq!((email.respondents, email.ikm, email.mutu), (6, 84.72, "B"));
    let desk = &skm.by_channel["tatap-muka"];
    assert_eq!((desk.respondents, desk.ikm, desk.mutu), (4, 88.89, "A"));
    assert_eq!(skm.by_service["KONS"].respondents, 10);
    // The profile: what was given, and how many left it empty.
    assert_eq!(skm.profile["sex"]["P"], 1);
    assert_eq!(skm.profile["sex"]["L"], 4);
    assert_eq!(skm.profile["sex"]["-"], 5);
    assert_eq!(skm.profile["age"]["25-34"], 1);
    assert_eq!(skm.profile["age"]["45-54"], 4);
    assert_eq!(skm.profile["education"]["S1"], 2);
    assert_eq!(skm.profile["occupation"]["PNS"], 2);
    // The quick single rating is apart: nobody gave one.
    assert_eq!(r.ratings, 0);
    // Per staff: CSO1 answered 1–6 after 10 minutes, CSO2 7–10 after 30, past the
    // standard's 20 minutes (office time).
    let staff: Vec<(&str, usize, usize, Option<f64>)> = r
        .staff
        .iter()
        .map(|s| (s.staff.as_str(), s.answered, s.in_time, s.median_minutes))
        .collect();
    assert_eq!(
        staff,
        [
            ("cso1@kppn-tanjungselor.example", 6, 6, Some(10.0)),
            ("cso2@kppn-tanjungselor.example", 4, 0, Some(30.0)),
        ]
    );
}

fn loketd(w: &Harness, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(w.site.root())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn report_by_period_in_three_formats_and_a_bad_period_named() {
    let w = office();
    let out = loketd(&w, &["report", "--period", "2026-S2", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["period"], "Semester II 2026");
    assert_eq!(json["skm"]["respondents"], 10);
    assert_eq!(json["skm"]["result"]["ikm"], 86.39);
    assert_eq!(json["skm"]["result"]["mutu"], "B");
    assert_eq!(json["skm"]["by_channel"]["tatap-muka"]["ikm"], 88.89);

    let out = loketd(&w, &["report", "--period", "2026-12", "--format", "table"]);
    let table = String::from_utf8_lossy(&out.stdout);
    // Shown with --no-capture, for the record.
    eprintln!("loketd report --period 2026-12 --format table\n{table}");
    for want in [
        "Periode: Desember 2026",
        "Responden: 10 (balasan surel 6, kuesioner kertas 4)",
        "U3 Waktu Penyelesaian",
        "NRR tertimbang (Σ NRR × 1/9): 3,4556",
        "IKM (NRR tertimbang × 25):    86,39",
        "Mutu pelayanan:               B (Baik)",
        "tatap-muka",
    ] {
        assert!(table.contains(want), "{want:?} in\n{table}");
    }
    let out = loketd(&w, &["report", "--period", "2026-Q4", "--format", "csv"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.contains("skm_ikm,,86.39\n"), "{csv}");
    assert!(csv.contains("skm_nrr_U3,,3.0000\n"), "{csv}");
    assert!(csv.contains("skm_ikm,kanal:email,84.72\n"), "{csv}");
    assert!(
        csv.contains("staff_answered,cso2@kppn-tanjungselor.example,4\n"),
        "{csv}"
    );

    // Another period holds none of it.
    let out = loketd(&w, &["report", "--period", "2026-Q3", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["skm"]["respondents"], 0);

    for bad in ["2026-S3", "2026", "Q4-2026", "2026-13"] {
        let out = loketd(&w, &["report", "--period", bad]);
        assert!(!out.status.success(), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        for form in ["2026-S1", "2026-Q1", "2026-01"] {
            assert!(err.contains(form), "{bad}: {err}");
        }
    }
}

#[test]
fn the_export_is_what_the_site_reads_and_holds_nothing_personal() {
    let w = office();
    let path = w.site.root().join("var").join("kinerja.json");
    let out = loketd(
        &w,
        &[
            "export",
            "--output",
            path.to_str().unwrap(),
            "--period",
            "2026-S2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The site's own reader.
    let export = PerformanceExport::load(&path).unwrap();
    let p = &export.periods[0];
    assert_eq!(p.label, "Semester II 2026");
    let s = p.survey.as_ref().unwrap();
    assert_eq!(s.respondents, 10);
    assert!((s.ikm() - 86.3889).abs() < 1e-3, "{}", s.ikm());
    assert_eq!(s.mutu().letter(), "B");
    // Per channel, 6 by mail and 4 at the desk: a group of four is not published, and
    // the other would give it away (10 − 6), so neither is; per service, KONS has all
    // ten. (`loketd report`, for staff, shows every group.)
    assert!(s.by_channel.is_empty(), "{:?}", s.by_channel);
    // Left out, and said so to whoever exported: each channel once, with its count.
    let said = String::from_utf8_lossy(&out.stdout);
    for (channel, n) in [("email", 6), ("tatap-muka", 4)] {
        let want = format!("channel \"{channel}\" ({n} respondent(s)) is left off the public page");
        assert_eq!(said.matches(&want).count(), 1, "{want:?} in\n{said}");
    }
    assert!(!said.contains("service \"KONS\""), "{said}");
    assert_eq!(s.by_service.len(), 1);
    assert_eq!(s.by_service[0].respondents, 10);
    assert_eq!(p.services[0].requests, 10);
    assert_eq!(p.services[0].answered, 10);
    assert_eq!(p.volumes.iter().map(|v| v.count).sum::<u32>(), 10);
    // Nothing that names a person or a ticket.
    let text = std::fs::read_to_string(&path).unwrap();
    eprintln!("loketd export --output var/kinerja.json --period 2026-S2\n{text}");
    for personal in [
        "@",
        "Terima kasih",
        "Pertanyaan nomor",
        "satker.example",
        "kppn-tanjungselor.example",
    ] {
        assert!(!text.contains(personal), "{personal} in\n{text}");
    }
    // Without --period: every semester since the first ticket (one here).
    let out = loketd(&w, &["export", "--output", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!PerformanceExport::load(&path).unwrap().periods.is_empty());
}
