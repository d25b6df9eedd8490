//! Real mail practice on the workflow harness: replies quoted the way clients quote,
//! commands in the wrong place, colleagues in Cc, ratings in thank-you mails, missed
//! deadlines, repeated mail. Each case says what the person on the other end gets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use support::desk::{Received, bare, mail, mail_with, reply, wita};
use support::harness::{Harness, OFFICE};
use support::rig::Account;

use loketd::rules::kinds::EventKind;
use loketd::rules::ticket::Status;
use loketd::workflow::ingest::Outcome;

const QUESTION: &str =
    "Selamat pagi, SP2D gaji kami belum masuk ke rekening penerima sejak kemarin.";

/// The stakeholder asks; returns CSO1's notification.
fn ask(w: &mut Harness, now: DateTime<Utc>) -> Received {
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "[KONS] Pencairan SP2D belum masuk rekening",
        &format!("q{}@satker.example.test", now.timestamp()),
        QUESTION,
    );
    assert!(matches!(w.deliver(&raw, now), Outcome::New { .. }));
    w.sent_to(&w.cso1().address)
        .pop()
        .expect("notification")
        .mail
}

/// `body` quoted as s-nail/mailx quote: an attribution with the address, then TABs.
fn snail_quote(n: &Received) -> String {
    let quoted: String = n.text.lines().map(|l| format!("\t{l}\n")).collect();
    format!("\"KPPN Tanjung Selor\" <{OFFICE}> wrote:\n\n{quoted}")
}

/// Every line of the notification long enough to be recognised: none may reach the
/// stakeholder.
fn assert_no_leak(w: &Harness, notification: &Received) {
    for sent in w.sent_to(&w.stakeholder().address) {
        let text = &sent.mail.text;
        for line in notification.text.lines().map(str::trim) {
            if line.chars().filter(|c| c.is_alphanumeric()).count() >= 15
                && !QUESTION.contains(line)
            {
                assert!(
                    !text.contains(line),
                    "{} leaked {line:?}:\n{text}",
                    sent.kind
                );
            }
        }
        assert!(!text.contains(bare(&notification.message_id)), "{text}");
        assert!(!text.contains("#selesai"), "{text}");
    }
}

fn last_to(w: &Harness, who: &Account) -> (String, String) {
    let s = w.sent_to(&who.address).pop().expect("a mail");
    (s.kind, s.mail.text)
}

// ----- 1. the relay --------------------------------------------------------------------

#[test]
fn s_nail_reply_with_documents_request_leaks_nothing() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    let body = format!(
        "#dokumen\nMohon kirim salinan SPM dan rekening koran.\n\n{}",
        snail_quote(&n1)
    );
    w.deliver(
        &reply(&w.cso1(), &n1, "sn@cso.test", &[], &body),
        wita(3, 17, 10, 5),
    );
    assert_eq!(w.status(1), Status::AwaitingDocuments);
    let (kind, text) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "documents");
    assert!(
        text.contains("Mohon kirim salinan SPM dan rekening koran."),
        "{text}"
    );
    assert!(!text.contains("wrote:"), "{text}");
    assert_no_leak(&w, &n1);
}

#[test]
fn an_answer_below_the_quote_is_held_and_its_author_told() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    let quoted: String = n1.text.lines().map(|l| format!("> {l}\n")).collect();
    let body =
        format!("Lihat di bawah.\n\n{quoted}\nSP2D sudah terbit pagi ini, silakan cek rekening.\n");
    w.deliver(
        &reply(&w.cso1(), &n1, "bp@cso.test", &[], &body),
        wita(3, 17, 10, 5),
    );
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    assert_eq!(w.status(1), Status::New);
    let (kind, held) = last_to(&w, &w.cso1());
    assert_eq!(kind, "held");
    assert!(held.contains("DITAHAN"), "{held}");
    assert!(
        held.contains("Lihat di bawah."),
        "the text that would have gone out:\n{held}"
    );
    assert!(held.contains("#kirim"), "{held}");
    assert!(w.events(1).contains(&EventKind::Held));

    // The author answers properly, above the quote of the held mail.
    let held_mail = w.sent_to(&w.cso1().address).pop().unwrap().mail;
    let quoted: String = held_mail.text.lines().map(|l| format!("> {l}\n")).collect();
    let body = format!("SP2D sudah terbit pagi ini, silakan cek rekening.\n\n{quoted}");
    w.deliver(
        &reply(&w.cso1(), &held_mail, "bp2@cso.test", &[], &body),
        wita(3, 17, 10, 8),
    );
    let (kind, text) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "answer");
    assert!(text.contains("SP2D sudah terbit pagi ini"), "{text}");
    assert!(!text.contains("DITAHAN"), "{text}");
    assert_no_leak(&w, &n1);
}

#[test]
fn kirim_sends_the_held_text_as_it_is() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    // A notification line copied into the answer: held.
    let line = n1
        .text
        .lines()
        .find(|l| l.starts_with("Batas waktu penyelesaian"))
        .unwrap()
        .to_string();
    let body = format!("Jawaban kami: SP2D terbit hari ini.\n{line}\n");
    w.deliver(
        &reply(&w.cso1(), &n1, "k1@cso.test", &[], &body),
        wita(3, 17, 10, 5),
    );
    assert_eq!(last_to(&w, &w.cso1()).0, "held");
    let held = w.sent_to(&w.cso1().address).pop().unwrap().mail;
    w.deliver(
        &reply(&w.cso1(), &held, "k2@cso.test", &[], "#kirim"),
        wita(3, 17, 10, 6),
    );
    let (kind, text) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "answer");
    assert!(
        text.contains("Jawaban kami: SP2D terbit hari ini."),
        "{text}"
    );
    assert!(w.events(1).contains(&EventKind::SentAnyway));
    // A second `#kirim` has nothing held to send: refused, not sent twice.
    w.deliver(
        &reply(&w.cso1(), &held, "k3@cso.test", &[], "#kirim"),
        wita(3, 17, 10, 7),
    );
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack", "answer"]);
    assert_eq!(last_to(&w, &w.cso1()).0, "command_error");
}

// ----- 2. nothing silently ignored -----------------------------------------------------

#[test]
fn a_command_in_the_wrong_place_is_refused_and_explained() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    let r = reply(
        &w.cso1(),
        &n1,
        "wp@cso.test",
        &[],
        "Baik Bapak,\n#dokumen\nMohon kirim SPM.",
    );
    w.deliver(&r, wita(3, 17, 10, 5));
    assert_eq!(w.status(1), Status::New);
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    let (kind, text) = last_to(&w, &w.cso1());
    assert_eq!(kind, "command_error");
    assert!(text.contains("`#dokumen` ada di baris 2"), "{text}");
}

#[test]
fn escalation_note_goes_to_the_section_head_only() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    let note = "Pak Kasi, mohon dicek di SPAN, kemungkinan rekening diblokir bank.";
    let r = reply(
        &w.cso1(),
        &n1,
        "es@cso.test",
        &[],
        &format!("#eskalasi pd\n{note}"),
    );
    w.deliver(&r, wita(3, 17, 10, 5));
    assert_eq!(w.status(1), Status::Escalated);
    let (kind, told) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "escalated");
    assert!(!told.contains("SPAN"), "{told}");
    assert!(told.contains("paling lambat"), "{told}");
    let (kind, head) = last_to(&w, &w.kasi());
    assert_eq!(kind, "escalation");
    assert!(head.contains(note), "{head}");
}

#[test]
fn a_second_answer_is_held_with_who_answered() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    let n2 = w.sent_to(&w.cso2().address).pop().unwrap().mail;
    w.deliver(
        &reply(
            &w.cso1(),
            &n1,
            "a1@cso.test",
            &[],
            "SP2D terbit pukul 09.00.",
        ),
        wita(3, 17, 10, 5),
    );
    w.deliver(
        &reply(
            &w.cso2(),
            &n2,
            "a2@cso.test",
            &[],
            "SP2D masih diproses bank.",
        ),
        wita(3, 17, 10, 6),
    );
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack", "answer"]);
    let (kind, held) = last_to(&w, &w.cso2());
    assert_eq!(kind, "held");
    assert!(held.contains("sudah dijawab oleh"), "{held}");
    assert!(held.contains("17 Maret 2026 pukul 10.05"), "{held}");
    // `#kirim` sends it anyway.
    let h = w.sent_to(&w.cso2().address).pop().unwrap().mail;
    w.deliver(
        &reply(&w.cso2(), &h, "a3@cso.test", &[], "#kirim"),
        wita(3, 17, 10, 7),
    );
    let (kind, text) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "answer");
    assert!(text.contains("SP2D masih diproses bank."), "{text}");
}

#[test]
fn handover_passes_the_stakeholders_documents_on() {
    let mut w = Harness::new();
    let raw = format!(
        "From: {}\r\nTo: {OFFICE}\r\nSubject: Retur SP2D\r\nMessage-ID: <doc1@satker.example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nTerlampir surat retur.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"retur.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"retur.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n",
        w.stakeholder().address
    );
    w.deliver(raw.as_bytes(), wita(3, 17, 10, 0));
    let n1 = w.sent_to(&w.cso1().address).pop().unwrap().mail;
    let to = w.cso2().address;
    let r = reply(
        &w.cso1(),
        &n1,
        "ho@cso.test",
        &[],
        &format!("#alihkan {to}\nMohon dibantu."),
    );
    w.deliver(&r, wita(3, 17, 10, 5));
    let last = w.sent_to(&to).pop().unwrap();
    assert_eq!(last.kind, "notify");
    assert!(
        last.mail.text.contains("dialihkan kepada Anda"),
        "{}",
        last.mail.text
    );
    assert!(
        last.mail.raw.contains("filename=\"retur.pdf\""),
        "the document is attached"
    );
}

// ----- 4. participants -----------------------------------------------------------------

#[test]
fn a_colleague_in_cc_gets_the_answer_and_may_reply() {
    let mut w = Harness::new();
    let ppk = w.stakeholder2();
    let raw = mail_with(
        &w.stakeholder(),
        OFFICE,
        "Revisi DIPA",
        "cc1@satker.example.test",
        &[&format!("Cc: PPK Satker <{}>", ppk.address)],
        "Mohon informasi prosedur revisi DIPA.",
    );
    w.deliver(&raw, wita(3, 17, 10, 0));
    let ack = w.sent_to(&ppk.address).pop().unwrap();
    assert_eq!(
        ack.kind, "ack",
        "the colleague gets the acknowledgement copy"
    );
    let n1 = w.sent_to(&w.cso1().address).pop().unwrap().mail;
    w.deliver(
        &reply(
            &w.cso1(),
            &n1,
            "cc2@cso.test",
            &[],
            "Revisi diajukan melalui SAKTI.",
        ),
        wita(3, 17, 10, 5),
    );
    let answer = w.sent_to(&ppk.address).pop().unwrap();
    assert_eq!(answer.kind, "answer");
    assert!(answer.mail.header("Cc").unwrap().contains(&ppk.address));

    // The colleague's reply is accepted and shown with its sender.
    let r = reply(
        &ppk,
        &answer.mail,
        "cc3@cv-maju.example.test",
        &[],
        "Apakah perlu surat pengantar?",
    );
    assert_eq!(
        w.deliver(&r, wita(3, 17, 10, 9)),
        Outcome::Reply { ticket: 1 }
    );
    let (_, text) = last_to(&w, &w.cso1());
    assert!(
        text.contains(&format!("{} membalas tiket #1", ppk.address)),
        "{text}"
    );
    assert!(text.contains("Apakah perlu surat pengantar?"), "{text}");
}

#[test]
fn a_tagged_mail_from_a_stranger_opens_a_ticket_of_its_own() {
    let mut w = Harness::new();
    ask(&mut w, wita(3, 17, 10, 0));
    let stranger = w.stakeholder2();
    let raw = mail(
        &stranger,
        OFFICE,
        "Re: [KPPN-TSL #1] Pencairan SP2D belum masuk rekening",
        "x1@cv-maju.example.test",
        "Saya juga mengalami hal yang sama.",
    );
    assert_eq!(
        w.deliver(&raw, wita(3, 17, 10, 3)),
        Outcome::New { ticket: 2 }
    );
    assert_eq!(w.ticket(2).previous_ticket, Some(1));
    assert_eq!(w.ticket(1).status, Status::New, "ticket 1 untouched");
    let ack = w.sent_to(&stranger.address).pop().unwrap().mail;
    assert!(
        !ack.text.contains("belum masuk ke rekening penerima"),
        "{}",
        ack.text
    );
    let n = w.sent_to(&w.cso1().address).pop().unwrap().mail;
    assert!(n.text.contains("#gabung 1"), "{}", n.text);

    // Staff merge it: the stranger joins ticket 1 as a colleague.
    w.deliver(
        &reply(&w.cso1(), &n, "g@cso.test", &[], "#gabung 1"),
        wita(3, 17, 10, 5),
    );
    assert_eq!(w.status(2), Status::Closed);
    assert!(w.events(1).contains(&EventKind::Merged));
    let n1 = w
        .sent_to(&w.cso1().address)
        .into_iter()
        .next()
        .unwrap()
        .mail;
    w.deliver(
        &reply(&w.cso1(), &n1, "g2@cso.test", &[], "Sudah terbit."),
        wita(3, 17, 10, 6),
    );
    assert_eq!(last_to(&w, &stranger).0, "answer");
}

// ----- 5. ratings and thank-yous -------------------------------------------------------

fn resolved(w: &mut Harness) -> Received {
    let n1 = ask(w, wita(3, 17, 10, 0));
    w.deliver(
        &reply(
            &w.cso1(),
            &n1,
            "res@cso.test",
            &[],
            "#selesai\nSP2D sudah masuk.",
        ),
        wita(3, 17, 10, 5),
    );
    assert_eq!(w.status(1), Status::Resolved);
    w.sent_to(&w.stakeholder().address).pop().unwrap().mail
}

#[test]
fn ratings_where_people_put_them_count_and_do_not_reopen() {
    for (i, body) in [
        "Baik Pak, terima kasih atas bantuannya.\n\nNilai: 4",
        "4 = sangat baik",
        "4 (sangat baik)",
        "Terima kasih Bu\n4",
        "empat",
    ]
    .into_iter()
    .enumerate()
    {
        let mut w = Harness::new();
        let done = resolved(&mut w);
        let r = reply(
            &w.stakeholder(),
            &done,
            &format!("rt{i}@satker.example.test"),
            &[],
            body,
        );
        w.deliver(&r, wita(3, 17, 11, 0));
        assert_eq!(w.status(1), Status::Resolved, "{body:?}");
        assert_eq!(
            w.count("SELECT COUNT(*) FROM ratings WHERE score = 4"),
            1,
            "{body:?}"
        );
    }
}

#[test]
fn thanks_is_recorded_a_question_reopens_and_unclear_asks_staff() {
    let mut w = Harness::new();
    let done = resolved(&mut w);
    let st = w.stakeholder();
    w.deliver(
        &reply(
            &st,
            &done,
            "t1@satker.example.test",
            &[],
            "Baik, terima kasih Bu.",
        ),
        wita(3, 17, 11, 0),
    );
    assert_eq!(w.status(1), Status::Resolved);
    let before = w.kinds_to(&w.cso1().address).len();
    w.deliver(
        &reply(
            &st,
            &done,
            "t2@satker.example.test",
            &[],
            "Dokumen retur terlampir.",
        ),
        wita(3, 17, 11, 5),
    );
    assert_eq!(w.status(1), Status::Resolved, "unclear: not reopened");
    assert!(w.events(1).contains(&EventKind::Unclear));
    let (kind, text) = last_to(&w, &w.cso1());
    assert_eq!(
        (kind.as_str(), w.kinds_to(&w.cso1().address).len()),
        ("notify", before + 1)
    );
    assert!(text.contains("TIDAK dibuka kembali"), "{text}");
    w.deliver(
        &reply(
            &st,
            &done,
            "t3@satker.example.test",
            &[],
            "Satu lagi, apakah ADK perlu dikirim ulang?",
        ),
        wita(3, 17, 11, 10),
    );
    assert_eq!(w.status(1), Status::InProgress, "a new question reopens");
}

// ----- 6. truthful clocks --------------------------------------------------------------

#[test]
fn progress_after_a_missed_deadline_says_so_and_promises_only_what_staff_set() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    w.deliver(
        &reply(&w.cso1(), &n1, "d1@cso.test", &[], "#eskalasi pd"),
        wita(3, 17, 10, 5),
    );
    let due = "Jumat, 27 Maret 2026 pukul 16.00 WITA";
    for day in 18..=31 {
        for h in [9, 12, 17] {
            w.tick(wita(3, day, h, 0));
        }
    }
    let progress: Vec<String> = w
        .sent_to(&w.stakeholder().address)
        .into_iter()
        .filter(|s| s.kind == "progress")
        .map(|s| s.mail.text)
        .collect();
    let (before, after): (Vec<&String>, Vec<&String>) = progress
        .iter()
        .partition(|t| !t.contains("telah terlewati"));
    assert!(!before.is_empty() && !after.is_empty());
    for t in &before {
        assert!(t.contains(&format!("paling lambat {due}")), "{t}");
    }
    for t in &after {
        assert!(
            !t.contains("paling lambat"),
            "no promise after the miss:\n{t}"
        );
        assert!(t.contains("akan kami sampaikan segera"), "{t}");
    }
    // The miss is reported once to the head, the owner and the head of office.
    for who in [w.kasi(), w.kepala(), w.cso1()] {
        let breach: Vec<_> = w
            .sent_to(&who.address)
            .into_iter()
            .filter(|s| s.kind == "reminder" && s.mail.text.contains("TERLEWATI"))
            .collect();
        assert_eq!(breach.len(), 1, "{}", who.address);
    }

    // The section head sets a new date; later progress names it.
    let head = w
        .sent_to(&w.kasi().address)
        .into_iter()
        .next()
        .unwrap()
        .mail;
    w.deliver(
        &reply(
            &w.kasi(),
            &head,
            "d2@kasi.test",
            &[],
            "#progres 6-4-2026\nMenunggu konfirmasi bank.",
        ),
        wita(4, 1, 9, 0),
    );
    let (kind, text) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "progress");
    assert!(
        text.contains("Perkiraan penyelesaian yang baru: Senin, 6 April 2026"),
        "{text}"
    );
    assert!(text.contains("status: Dieskalasi"), "{text}");
    w.tick(wita(4, 2, 17, 0));
    let (_, text) = last_to(&w, &w.stakeholder());
    assert!(text.contains("Senin, 6 April 2026"), "{text}");
    assert!(text.contains("masih dalam penanganan"), "{text}");

    // After an answer, the daily mail no longer says the question is being handled.
    w.deliver(
        &reply(
            &w.kasi(),
            &head,
            "d3@kasi.test",
            &[],
            "Rekening sudah dibuka kembali oleh bank.",
        ),
        wita(4, 2, 10, 0),
    );
    w.tick(wita(4, 6, 17, 0)); // 3 April 2026 is Good Friday
    let (kind, text) = last_to(&w, &w.stakeholder());
    assert_eq!(kind, "progress");
    assert!(!text.contains("masih dalam penanganan"), "{text}");
    assert!(text.contains("telah kami sampaikan pada"), "{text}");
}

#[test]
fn footers_show_the_status_after_the_change() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    w.deliver(
        &reply(&w.cso1(), &n1, "f@cso.test", &[], "Sudah kami cek."),
        wita(3, 17, 10, 5),
    );
    let (_, text) = last_to(&w, &w.stakeholder());
    assert_eq!(w.status(1), Status::InProgress);
    assert!(text.contains("status: Diproses"), "{text}");
}

// ----- 7. limits -----------------------------------------------------------------------

#[test]
fn every_new_question_from_a_person_is_acknowledged_but_a_loop_is_not() {
    let mut w = Harness::new();
    let st = w.stakeholder();
    for i in 0..5 {
        let raw = mail(
            &st,
            OFFICE,
            &format!("Pertanyaan {i}"),
            &format!("n{i}@satker.example.test"),
            &format!("Pertanyaan nomor {i} tentang SPM."),
        );
        w.deliver(&raw, wita(3, 17, 10, i));
    }
    assert_eq!(
        w.kinds_to(&st.address),
        vec!["ack"; 5],
        "a person's questions"
    );

    // The same text again and again (a script or a loop): held after the limit, and
    // the CSO is told in the notification.
    let mut w = Harness::new();
    for i in 0..5 {
        let raw = mail(
            &st,
            OFFICE,
            "Tes",
            &format!("l{i}@satker.example.test"),
            "Tes kirim ulang.",
        );
        w.deliver(&raw, wita(3, 17, 10, i));
    }
    let acks = w.kinds_to(&st.address).len();
    assert_eq!(acks, 3, "the hourly limit of the shipped site");
    let (_, text) = last_to(&w, &w.cso1());
    assert!(text.contains("tanda terima TIDAK dikirim"), "{text}");
    assert!(w.events(5).contains(&EventKind::ReplySuppressed));
}

// ----- 8. one letter -------------------------------------------------------------------

#[test]
fn an_answer_with_its_own_greeting_and_sign_off_reads_as_one_letter() {
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    let body = "Yth. Bapak Budi,\n\nSP2D sudah terbit pagi ini.\n\nSalam,\nAni (CSO)";
    w.deliver(
        &reply(&w.cso1(), &n1, "g@cso.test", &[], body),
        wita(3, 17, 10, 5),
    );
    let (_, text) = last_to(&w, &w.stakeholder());
    assert_eq!(text.matches("Yth.").count(), 1, "{text}");
    assert_eq!(text.matches("Salam,").count(), 1, "{text}");
    // Without them, the daemon adds both.
    let mut w = Harness::new();
    let n1 = ask(&mut w, wita(3, 17, 10, 0));
    w.deliver(
        &reply(&w.cso1(), &n1, "g@cso.test", &[], "SP2D sudah terbit."),
        wita(3, 17, 10, 5),
    );
    let (_, text) = last_to(&w, &w.stakeholder());
    assert!(text.starts_with("Yth. Bapak/Ibu"), "{text}");
    assert!(text.contains("Salam,"), "{text}");
}

// ----- capabilities after a restore ----------------------------------------------------

#[test]
fn after_a_restore_an_old_notification_never_acts_on_the_new_ticket_with_its_number() {
    let mut w = Harness::new();
    let old = ask(&mut w, wita(3, 17, 10, 0));
    // The database is restored from a backup older than ticket 1 (the key is kept);
    // a new question then gets number 1 again.
    for f in ["loketd.sqlite", "loketd.sqlite-wal", "loketd.sqlite-shm"] {
        let _ = std::fs::remove_file(w.data_dir().join(f));
    }
    w.restart();
    let raw = mail(
        &w.stakeholder2(),
        OFFICE,
        "Pertanyaan baru",
        "new@cv-maju.example.test",
        "Pertanyaan vendor tentang kontrak.",
    );
    assert_eq!(
        w.deliver(&raw, wita(3, 18, 10, 0)),
        Outcome::New { ticket: 1 }
    );
    // CSO 1 answers the old notification: it must not reach the vendor or close #1.
    let r = reply(
        &w.cso1(),
        &old,
        "stale@cso.test",
        &[],
        "#selesai\nJAWABAN-LAMA untuk Budi.",
    );
    assert!(matches!(
        w.deliver(&r, wita(3, 18, 10, 5)),
        Outcome::Quarantined { .. }
    ));
    assert_eq!(w.status(1), Status::New);
    for sent in w.sent_to(&w.stakeholder2().address) {
        assert!(
            !sent.mail.text.contains("JAWABAN-LAMA"),
            "{}",
            sent.mail.text
        );
    }
    assert_eq!(last_to(&w, &w.cso1()).0, "unknown_ticket");
}

// ----- addresses the mail builder refuses ----------------------------------------------

#[test]
fn an_address_that_cannot_be_written_to_never_loses_the_question() {
    // A colleague in Cc whose address the parser takes but no mail can be sent to: the
    // ticket opens and is acknowledged, without that copy.
    let mut w = Harness::new();
    let raw = mail_with(
        &w.stakeholder(),
        OFFICE,
        "Revisi DIPA",
        "badcc@satker.example.test",
        &["Cc: Rekan <rekan..kerja@satker.example.test>"],
        "Mohon informasi revisi DIPA.",
    );
    assert_eq!(
        w.deliver(&raw, wita(3, 17, 10, 0)),
        Outcome::New { ticket: 1 }
    );
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    assert_eq!(w.count("SELECT COUNT(*) FROM copied"), 0);

    // A sender that cannot be written to: a ticket without acknowledgement, and the
    // CSOs are told to answer another way.
    let raw = format!(
        "From: Budi <budi..x@satker.example.test>\r\nTo: {OFFICE}\r\nSubject: SPM\r\n\
         Message-ID: <badfrom@satker.example.test>\r\nContent-Type: text/plain\r\n\r\nMohon info SPM.\r\n"
    );
    assert_eq!(
        w.deliver(raw.as_bytes(), wita(3, 17, 10, 5)),
        Outcome::New { ticket: 2 }
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM outbox WHERE kind = 'ack' AND ticket_id = 2"),
        0
    );
    let (_, text) = last_to(&w, &w.cso1());
    assert!(text.contains("tidak dapat dikirimi surel"), "{text}");
    assert!(text.contains("Mohon info SPM."), "{text}");
}

#[test]
fn without_a_cso_the_section_heads_hear_of_a_question_and_of_its_missed_clock() {
    // An office that lists no CSO: whoever stands in must get the question and, when
    // its 20 minutes pass unanswered, the alert (before, the alert went to nobody).
    let mut w = Harness::with(|t| t.replace("role = \"cso\"", "role = \"kasi\"\nsection = \"pd\""));
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "SPM",
        "nocso@satker.example.test",
        "Mohon info SPM.",
    );
    assert_eq!(
        w.deliver(&raw, wita(3, 17, 10, 0)),
        Outcome::New { ticket: 1 }
    );
    w.tick(wita(3, 17, 10, 30));
    let kinds = w.kinds_to(&w.kasi().address);
    assert_eq!(kinds, vec!["notify", "reminder"], "{kinds:?}");
}
