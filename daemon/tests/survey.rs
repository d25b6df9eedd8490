//! The SKM survey of PermenPANRB 14/2017 on the workflow harness: the "Resolved" mail
//! asks the nine questions; the stakeholder answers by reply from any mail client, in
//! Indonesian or English, in the three written forms (or typed after each quoted
//! question); a partial answer gets one friendly reply saying what is missing, never
//! two; the quick single rating keeps working beside it; a CSO enters a paper form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use support::clients::{Author, Client, Lang, Placement, reply_as};
use support::desk::{Received, mail, reply, wita};
use support::harness::{Harness, OFFICE};

use loket_core::skm::{Sex, Unsur};
use loketd::rules::kinds::EventKind;
use loketd::rules::ticket::Status;
use loketd::store::skm::{self as answers, Source};
use loketd::workflow::survey::{PaperOutcome, enter_paper_form};

const NINE: [u8; 9] = [4, 4, 3, 4, 4, 4, 4, 3, 4];

fn t0() -> DateTime<Utc> {
    wita(12, 1, 10, 0)
}

/// A fresh office where the stakeholder asked and CSO1 resolved ticket #1; returns the
/// "Resolved" mail as the stakeholder reads it.
fn resolved() -> (Harness, Received) {
    let mut w = Harness::new();
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "[KONS] SP2D gaji November belum masuk rekening",
        "ask-1@satker.example.test",
        "Selamat pagi, SP2D gaji kami belum masuk ke rekening penerima.",
    );
    w.deliver(&raw, t0());
    let n = w.sent_to(&w.cso1().address).pop().unwrap().mail;
    w.deliver(
        &reply(
            &w.cso1(),
            &n,
            "res@cso.test",
            &[],
            "#selesai\nSP2D sudah terbit dan dana masuk hari ini.",
        ),
        wita(12, 1, 10, 5),
    );
    assert_eq!(w.status(1), Status::Resolved);
    let done = w.sent_to(&w.stakeholder().address).pop().unwrap();
    assert_eq!(done.kind, "resolved");
    (w, done.mail)
}

fn stakeholder_replies(
    w: &mut Harness,
    done: &Received,
    client: Client,
    lang: Lang,
    text: &str,
    id: &str,
) {
    let st = w.stakeholder();
    let raw = reply_as(
        client,
        lang,
        &Author {
            name: "Budi Santoso",
            address: &st.address,
        },
        done,
        id,
        text,
        Placement::Above,
    );
    w.deliver(&raw, wita(12, 1, 11, 0));
}

fn recorded(w: &Harness) -> Option<[u8; 9]> {
    answers::get(w.store.conn(), 1).unwrap().map(|r| r.scores.0)
}

#[test]
fn the_resolved_mail_asks_the_nine_questions_in_the_regulation_wording() {
    let (_, done) = resolved();
    for u in Unsur::ALL {
        assert!(
            done.text.contains(u.question_id()),
            "{} missing:\n{}",
            u.code(),
            done.text
        );
        for a in u.answers_id() {
            assert!(done.text.contains(a), "{a} missing");
        }
    }
    assert!(done.text.contains("4 4 3 4 4 4 4 3 4"), "{}", done.text);
    // The quick single rating is still offered.
    assert!(done.text.contains("4 = sangat baik"), "{}", done.text);
}

#[test]
fn survey_answers_from_every_client_in_every_written_form_are_recorded_and_do_not_reopen() {
    let forms = [
        "4 4 3 4 4 4 4 3 4\n\nTerima kasih atas bantuannya.",
        "443444434\n\nThank you for your help.",
        "Persyaratan: 4\nProsedur: 4\nWaktu: 3\nBiaya: 4\nProduk: 4\nKompetensi: 4\nPerilaku: 4\nPengaduan: 3\nSarana: 4",
        "1. 4\n2. 4\n3. 3\n4. 4\n5. 4\n6. 4\n7. 4\n8. 3\n9. 4",
        "Nilai: 4, 4, 3, 4, 4, 4, 4, 3, 4",
    ];
    // Every client in each of its languages, the forms taken in turn so that each form
    // meets many clients (the full product costs minutes and proves little more).
    let mut failures = Vec::new();
    let mut turn = 0;
    for client in Client::ALL {
        for &lang in client.languages() {
            turn += 1;
            let i = turn % forms.len();
            let text = forms[i];
            {
                let (mut w, done) = resolved();
                let before = w.sent_to(&w.stakeholder().address).len();
                stakeholder_replies(
                    &mut w,
                    &done,
                    client,
                    lang,
                    text,
                    &format!("skm{i}@satker.example.test"),
                );
                let got = recorded(&w);
                let label = format!("{} ({}) form {i}", client.name(), lang.code());
                if got != Some(NINE) {
                    failures.push(format!("{label}: recorded {got:?}"));
                }
                if w.status(1) != Status::Resolved {
                    failures.push(format!("{label}: reopened"));
                }
                let after = w.sent_to(&w.stakeholder().address).len();
                if after != before {
                    failures.push(format!("{label}: the stakeholder got mail"));
                }
                if w.count("SELECT COUNT(*) FROM ratings") != 0 {
                    failures.push(format!("{label}: also taken for a quick rating"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn answers_typed_after_each_quoted_question() {
    let (mut w, done) = resolved();
    // Gmail-style: the whole mail quoted with `> `, the answer under each question.
    let mut body = String::from("Sudah saya isi di bawah, terima kasih.\n\n");
    body.push_str(&format!(
        "On Tue, Dec 1, 2026 at 10:05 AM KPPN <{OFFICE}> wrote:\n"
    ));
    let mut answers = NINE.iter();
    for line in done.text.lines() {
        body.push_str(&format!("> {line}\n"));
        if Unsur::ALL.iter().any(|u| line.contains(u.question_id())) {
            body.push_str(&format!("{}\n", answers.next().unwrap()));
        }
    }
    w.deliver(
        &reply(
            &w.stakeholder(),
            &done,
            "inline@satker.example.test",
            &[],
            &body,
        ),
        wita(12, 1, 11, 0),
    );
    assert_eq!(recorded(&w), Some(NINE));
    let r = answers::get(w.store.conn(), 1).unwrap().unwrap();
    assert_eq!(r.comment, "Sudah saya isi di bawah, terima kasih.");
    assert_eq!(r.source, Source::Mail);
    // The comment reaches the staff on the ticket; the ticket stays resolved.
    assert_eq!(w.status(1), Status::Resolved);
    let n = w.sent_to(&w.cso1().address).pop().unwrap();
    assert!(
        n.mail.text.contains("Survei Kepuasan Masyarakat"),
        "{}",
        n.mail.text
    );
    assert!(
        n.mail.text.contains("Sudah saya isi di bawah"),
        "{}",
        n.mail.text
    );

    // Outlook-style: no quote marks, the digit typed at the end of each question line.
    let (mut w, done) = resolved();
    let mut body = String::from("Jawaban survei.\r\n\r\n________________________________\r\n");
    body.push_str(&format!(
        "From: KPPN <{OFFICE}>\r\nSent: Tuesday, December 1, 2026 10:05 AM\r\n\r\n"
    ));
    let mut answers = NINE.iter();
    for line in done.text.lines() {
        if Unsur::ALL.iter().any(|u| line.contains(u.question_id())) {
            body.push_str(&format!("{line} {}\r\n", answers.next().unwrap()));
        } else {
            body.push_str(&format!("{line}\r\n"));
        }
    }
    w.deliver(
        &reply(
            &w.stakeholder(),
            &done,
            "outlook@satker.example.test",
            &[],
            &body,
        ),
        wita(12, 1, 11, 0),
    );
    assert_eq!(recorded(&w), Some(NINE));
}

#[test]
fn a_partial_answer_gets_one_friendly_reply_and_never_a_second() {
    let (mut w, done) = resolved();
    let st = w.stakeholder();
    let before = w.sent_to(&st.address).len();
    w.deliver(
        &reply(
            &st,
            &done,
            "p1@satker.example.test",
            &[],
            "4 4 3 4 4 4 4\nTerima kasih",
        ),
        wita(12, 1, 11, 0),
    );
    let got = w.sent_to(&st.address);
    assert_eq!(got.len(), before + 1, "one friendly reply");
    let note = &got.last().unwrap();
    assert_eq!(note.kind, "survey_incomplete");
    assert!(note.mail.text.contains("7 angka"), "{}", note.mail.text);
    assert!(note.mail.text.contains("sembilan"), "{}", note.mail.text);
    assert_eq!(recorded(&w), None, "nothing half-recorded");
    assert_eq!(w.status(1), Status::Resolved);
    assert!(w.events(1).contains(&EventKind::SurveyIncomplete));

    // A second partial answer (or an auto-reply that quotes ours) is not answered again:
    // the staff hear of it instead.
    let cso_before = w.sent_to(&w.cso1().address).len();
    let again = reply(
        &st,
        &note.mail,
        "p2@satker.example.test",
        &[],
        "Persyaratan: 4\nProsedur: 3",
    );
    w.deliver(&again, wita(12, 1, 11, 30));
    assert_eq!(
        w.sent_to(&st.address).len(),
        before + 1,
        "never a second one"
    );
    let staff = w.sent_to(&w.cso1().address);
    assert_eq!(staff.len(), cso_before + 1);
    assert!(
        staff.last().unwrap().mail.text.contains("belum lengkap"),
        "{}",
        staff.last().unwrap().mail.text
    );

    // Then the complete answer, replying to the friendly note, is recorded.
    w.deliver(
        &reply(
            &st,
            &note.mail,
            "p3@satker.example.test",
            &[],
            "4 4 3 4 4 4 4 3 4",
        ),
        wita(12, 1, 12, 0),
    );
    assert_eq!(recorded(&w), Some(NINE));
}

/// Without its `Auto-Submitted` header the same mail gets the friendly reply (checked
/// once by hand): the header is what keeps it quiet.
#[test]
fn an_automatic_reply_that_looks_like_a_partial_answer_gets_nothing() {
    let (mut w, done) = resolved();
    let st = w.stakeholder();
    let before = w.sent_to(&st.address).len();
    w.deliver(
        &reply(
            &st,
            &done,
            "ooo@satker.example.test",
            &["Auto-Submitted: auto-replied"],
            "Saya sedang cuti sampai 4 4 3 4 4.\n4 4 3 4 4",
        ),
        wita(12, 1, 11, 0),
    );
    assert_eq!(
        w.sent_to(&st.address).len(),
        before,
        "never to automatic mail"
    );
    assert_eq!(recorded(&w), None);
    assert!(!w.events(1).contains(&EventKind::SurveyIncomplete));
}

#[test]
fn the_partial_reply_names_what_is_missing() {
    let (mut w, done) = resolved();
    let st = w.stakeholder();
    w.deliver(
        &reply(
            &st,
            &done,
            "named@satker.example.test",
            &[],
            "Persyaratan: 4\nProsedur: 4\nWaktu: 3\nBiaya: 5\nProduk: 4\nKompetensi: 4",
        ),
        wita(12, 1, 11, 0),
    );
    let note = w.sent_to(&st.address).pop().unwrap();
    assert_eq!(note.kind, "survey_incomplete");
    let text = note.mail.text.replace('\n', " ");
    for want in [
        "7. Perilaku Pelaksana",
        "8. Penanganan Pengaduan, Saran dan Masukan",
        "9. Sarana dan Prasarana",
        "4. Biaya/Tarif bernilai 5",
        "1. Persyaratan: 4",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
}

#[test]
fn a_new_question_holding_a_few_digits_reopens_and_is_not_taken_for_a_partial_answer() {
    let (mut w, done) = resolved();
    let st = w.stakeholder();
    let before = w.sent_to(&st.address).len();
    w.deliver(
        &reply(
            &st,
            &done,
            "q2@satker.example.test",
            &[],
            "Satu lagi: kapan jadwal rekonsiliasi? Kami bisa tanggal\n4, 5, 6",
        ),
        wita(12, 1, 11, 0),
    );
    assert_eq!(w.status(1), Status::InProgress, "a question reopens");
    assert_eq!(w.sent_to(&st.address).len(), before, "no survey note");
    assert!(!w.events(1).contains(&EventKind::SurveyIncomplete));
}

#[test]
fn the_quick_single_rating_keeps_working_beside_the_survey() {
    let (mut w, done) = resolved();
    w.deliver(
        &reply(
            &w.stakeholder(),
            &done,
            "r@satker.example.test",
            &[],
            "Terima kasih Bu\n4",
        ),
        wita(12, 1, 11, 0),
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM ratings WHERE score = 4"), 1);
    assert_eq!(recorded(&w), None);
    assert_eq!(w.status(1), Status::Resolved);
    // A new question after "Resolved" still reopens.
    w.deliver(
        &reply(
            &w.stakeholder(),
            &done,
            "q@satker.example.test",
            &[],
            "Satu lagi: apakah ADK perlu dikirim ulang?",
        ),
        wita(12, 1, 11, 30),
    );
    assert_eq!(w.status(1), Status::InProgress);
}

#[test]
fn a_late_survey_answer_to_a_closed_ticket_is_recorded_not_a_new_ticket() {
    let (mut w, done) = resolved();
    w.store
        .conn()
        .execute("UPDATE tickets SET status = 'closed'", [])
        .unwrap();
    w.deliver(
        &reply(
            &w.stakeholder(),
            &done,
            "late@satker.example.test",
            &[],
            "444344434\nUsia: 41\nJenis kelamin: P",
        ),
        wita(12, 20, 9, 0),
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM tickets"), 1);
    let r = answers::get(w.store.conn(), 1).unwrap().unwrap();
    assert_eq!(r.scores.0, [4, 4, 4, 3, 4, 4, 4, 3, 4]);
    assert_eq!(r.profile.sex, Some(Sex::P));
}

// ----- a paper questionnaire entered by a CSO -------------------------------------------

#[test]
fn a_paper_form_entered_by_a_cso_is_recorded_and_confirmed() {
    let (mut w, _) = resolved();
    let cso = w.cso1().address;
    let out = enter_paper_form(
        &mut w.store,
        &w.desk,
        &cso,
        "[SKM] #1",
        "4 4 3 4 4 4 4 3 4\nUsia: 52\nJenis kelamin: L\nPendidikan: S1\nPekerjaan: Swasta\nRuang tunggu nyaman.",
        wita(12, 2, 9, 0),
    )
    .unwrap();
    assert_eq!(
        out,
        PaperOutcome::Recorded {
            ticket: 1,
            replaced: false
        }
    );
    let r = answers::get(w.store.conn(), 1).unwrap().unwrap();
    assert_eq!(r.scores.0, NINE);
    assert_eq!(r.source, Source::Paper);
    assert_eq!(r.entered_by.as_deref(), Some(cso.as_str()));
    assert_eq!(r.comment, "Ruang tunggu nyaman.");
    let confirm = w.sent_to(&cso).pop().unwrap();
    assert_eq!(confirm.kind, "survey_entered");
    assert!(
        confirm
            .mail
            .text
            .contains("3. Waktu Penyelesaian: 3 (Cepat)"),
        "{}",
        confirm.mail.text
    );
    assert!(w.events(1).contains(&EventKind::Surveyed));
}

#[test]
fn a_bad_paper_form_is_answered_with_what_to_fix_and_nothing_recorded() {
    let (mut w, _) = resolved();
    let cso = w.cso1().address;
    for (subject, body, want) in [
        ("[SKM]", "4 4 3 4 4 4 4 3 4", "Nomor tiket tidak ditemukan"),
        ("[SKM] #99", "4 4 3 4 4 4 4 3 4", "Tiket #99 tidak ada"),
        ("[SKM] #1", "4 4 3 4 4", "5 angka"),
        (
            "[SKM] #1",
            "Ibu Siti mengisi kuesioner.",
            "Tidak ada jawaban survei",
        ),
    ] {
        let out = enter_paper_form(
            &mut w.store,
            &w.desk,
            &cso,
            subject,
            body,
            wita(12, 2, 9, 0),
        )
        .unwrap();
        let PaperOutcome::Refused { problems } = out else {
            panic!("{subject} {body}: recorded");
        };
        assert!(problems.join(" ").contains(want), "{want}: {problems:?}");
        let told = w.sent_to(&cso).pop().unwrap();
        assert_eq!(told.kind, "survey_refused");
        assert!(told.mail.text.contains(want), "{}", told.mail.text);
    }
    assert_eq!(recorded(&w), None);
}

#[test]
fn retention_removes_the_survey_comment_and_keeps_the_scores() {
    let (mut w, done) = resolved();
    w.deliver(
        &reply(
            &w.stakeholder(),
            &done,
            "c@satker.example.test",
            &[],
            "4 4 3 4 4 4 4 3 4\nJenis kelamin: P\nPetugas bernama Rina sangat membantu.",
        ),
        wita(12, 1, 11, 0),
    );
    w.store
        .conn()
        .execute(
            "UPDATE tickets SET status = 'closed', closed_at = '2026-12-02T00:00:00Z'",
            [],
        )
        .unwrap();
    let data_dir = w.desk.config.mail.data_dir.clone();
    loketd::store::prune::prune(
        &mut w.store,
        &data_dir,
        1,
        wita(12, 1, 0, 0) + chrono::Duration::days(62),
        false,
    )
    .unwrap();
    let r = answers::get(w.store.conn(), 1).unwrap().unwrap();
    assert_eq!(r.comment, "");
    assert_eq!(r.scores.0, NINE);
    assert_eq!(r.profile.sex, Some(Sex::P));
}
