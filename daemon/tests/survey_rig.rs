//! The SKM survey end to end on the rig: the "Resolved" mail arrives in the
//! stakeholder's real inbox with the nine questions; their replies in three written
//! forms, sent over SMTP and fetched over IMAP, are recorded; a partial one gets the
//! one friendly reply in their inbox; `loketd report` counts what was recorded. The
//! client formats and edge cases are covered on the harness (`survey.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Duration;
use support::desk::{reply, wita};
use support::world::{OFFICE, nth, world};

use loket_core::skm::Unsur;
use loketd::rules::ticket::Status;
use loketd::store::skm as answers;

const QUESTION: &str = "Selamat pagi, mohon informasi jadwal rekonsiliasi bulan ini.";

#[test]
fn survey_replies_over_real_mail_are_recorded_and_a_partial_one_is_answered_once() {
    let w = world();
    let (st, cso) = (w.rig.stakeholder(), w.rig.cso1());
    let forms = [
        "4 4 3 4 4 4 4 3 4\n\nTerima kasih.",
        "443444434",
        "Persyaratan: 4\nProsedur: 4\nWaktu: 3\nBiaya: 4\nProduk: 4\nKompetensi: 4\nPerilaku: 4\nPengaduan: 3\nSarana: 4",
        "4 4 3 4 4",
    ];
    let mut in_inbox = 0;
    for (i, form) in forms.iter().enumerate() {
        let id = i as i64 + 1;
        // An hour apart: the partial answer's note is not held by the hourly limit.
        let t0 = wita(12, 1, 8 + i as u32, 0);
        let (_, n) = w.ask(t0, QUESTION);
        in_inbox += 1;
        let r = reply(
            cso,
            &n,
            &format!("res{id}@kppn-tanjungselor.example"),
            &[],
            "#selesai\nJadwal rekonsiliasi tanggal 8.",
        );
        w.deliver_and_run(cso, &r, t0 + Duration::minutes(5));
        in_inbox += 1;
        let resolved = nth(&w.rig, st, in_inbox);
        for u in Unsur::ALL {
            assert!(resolved.text.contains(u.question_id()), "{}", resolved.text);
        }
        // Gmail-style: the answer on top, the whole mail quoted below.
        let quoted: String = resolved.text.lines().map(|l| format!("> {l}\n")).collect();
        let body = format!(
            "{form}\n\nOn Tue, Dec 1, 2026 at 9:05 AM KPPN Tanjung Selor <{OFFICE}> wrote:\n{quoted}"
        );
        let r = reply(
            st,
            &resolved,
            &format!("skm{id}@satker.example.test"),
            &[],
            &body,
        );
        w.deliver_and_run(st, &r, t0 + Duration::minutes(10));
        assert_eq!(w.ticket(id).status, Status::Resolved, "ticket {id}");
        let got = answers::get(w.store().conn(), id)
            .unwrap()
            .map(|a| a.scores.0);
        if i < 3 {
            assert_eq!(got, Some([4, 4, 3, 4, 4, 4, 4, 3, 4]), "form {i}: {form}");
        } else {
            assert_eq!(got, None, "a partial answer is not recorded");
            in_inbox += 1;
            let note = nth(&w.rig, st, in_inbox);
            assert!(note.text.contains("5 angka"), "{}", note.text);
            assert!(
                note.subject.contains(&format!("#{id}]")),
                "{}",
                note.subject
            );
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(w.site.root())
        .args(["report", "--period", "2026-S2", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["skm"]["respondents"], 3);
    // 3 × (4 4 3 4 4 4 4 3 4): Σ NRR 34 → 34 / 9 × 25 = 94,44, A.
    assert_eq!(json["skm"]["result"]["ikm"], 94.44);
    assert_eq!(json["skm"]["result"]["mutu"], "A");
}
