//! The staff side of the published consultation procedure and the ingest rules, on the
//! workflow harness: raw mail and a moved clock in, tickets and outbox rows out, no
//! server. (`procedure.rs` runs the whole procedure end to end on the real rig.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use support::desk::{Received, mail, mail_with, reply, wita};
use support::harness::{Harness, OFFICE};
use support::rig::Account;

use loketd::rules::kinds::EventKind;
use loketd::rules::ticket::Status;
use loketd::workflow::ingest::Outcome;

const DEADLINE_TEXT: &str = "Jumat, 27 Maret 2026 pukul 16.00 WITA";

// ----- helpers -------------------------------------------------------------------------

/// The stakeholder asks a question at `now`; returns the acknowledgement and CSO1's
/// notification.
fn ask(w: &mut Harness, now: DateTime<Utc>, body: &str) -> (Received, Received) {
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "[KONS] Pencairan SP2D belum masuk rekening",
        &format!("ask{}@satker.example.test", now.timestamp()),
        body,
    );
    let outcome = w.deliver(&raw, now);
    assert!(matches!(outcome, Outcome::New { .. }), "{outcome:?}");
    let ack = w.sent_to(&w.stakeholder().address).pop().expect("ack").mail;
    let notification = w
        .sent_to(&w.cso1().address)
        .pop()
        .expect("notification")
        .mail;
    (ack, notification)
}

// ----- 1. each command on its own ----------------------------------------------------

#[test]
fn plain_reply_is_relayed_and_meets_the_clock() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Bagaimana cara revisi DIPA?");
    assert_eq!(w.ticket(1).due_at, Some(wita(3, 17, 10, 20)));
    let r = reply(
        &w.cso1(),
        &n1,
        "a@cso.test",
        &[],
        "Revisi DIPA diajukan melalui aplikasi SAKTI.",
    );
    w.deliver(&r, wita(3, 17, 10, 12));
    let a = w.nth(&w.stakeholder(), 2);
    assert!(
        a.text
            .contains("Revisi DIPA diajukan melalui aplikasi SAKTI."),
        "{}",
        a.text
    );
    assert!(a.text.contains("Petugas CSO 1"), "{}", a.text);
    assert!(a.subject.starts_with("[KPPN-TSL #1]"), "{}", a.subject);
    let t = w.ticket(1);
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.first_response_at, Some(wita(3, 17, 10, 12)));
    assert_eq!(t.assignee.as_deref(), Some(w.cso1().address.as_str()));
    // A second answer does not move the first-response time.
    let r = reply(
        &w.cso1(),
        &n1,
        "b@cso.test",
        &[],
        "Tambahan: lampirkan ADK revisi.",
    );
    w.deliver(&r, wita(3, 17, 10, 40));
    w.nth(&w.stakeholder(), 3);
    assert_eq!(w.ticket(1).first_response_at, Some(wita(3, 17, 10, 12)));
}

#[test]
fn progres_goes_to_the_stakeholder() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        &w.cso1(),
        &n1,
        "p@cso.test",
        &[],
        "#progres\nSPM Anda sedang diverifikasi.",
    );
    w.deliver(&r, wita(3, 17, 10, 10));
    let p = w.nth(&w.stakeholder(), 2);
    assert!(p.text.contains("Kabar perkembangan tiket #1"), "{}", p.text);
    assert!(
        p.text.contains("SPM Anda sedang diverifikasi."),
        "{}",
        p.text
    );
    assert_eq!(w.ticket(1).status, Status::InProgress);
}

#[test]
fn catatan_reaches_other_staff_never_the_stakeholder() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        &w.cso1(),
        &n1,
        "n@cso.test",
        &[],
        "#catatan\nPemohon ini sudah bertanya lewat telepon kemarin.",
    );
    w.deliver(&r, wita(3, 17, 10, 10));
    let note = w.nth(&w.cso2(), 2);
    assert!(note.text.contains("Catatan internal dari"), "{}", note.text);
    assert!(
        note.text.contains("sudah bertanya lewat telepon"),
        "{}",
        note.text
    );
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    assert_eq!(
        w.kinds_to(&w.cso1().address),
        vec!["notify"],
        "the author is not sent its own note"
    );
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(
        w.ticket(1).first_response_at,
        None,
        "a note does not answer the stakeholder"
    );
}

#[test]
fn ambil_and_alihkan_change_the_owner_only() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let n2 = w.nth(&w.cso2(), 1);
    let r = reply(&w.cso2(), &n2, "t@cso.test", &[], "#ambil");
    w.deliver(&r, wita(3, 17, 10, 5));
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(w.cso2().address.as_str())
    );

    let r = reply(
        &w.cso1(),
        &n1,
        "as@cso.test",
        &[],
        "#alihkan cso1@kppn-tanjungselor.example\nSaya yang pegang, saya kenal satkernya.",
    );
    w.deliver(&r, wita(3, 17, 10, 6));
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(w.cso1().address.as_str())
    );

    let r = reply(
        &w.cso1(),
        &n1,
        "as2@cso.test",
        &[],
        "#alihkan cso2@kppn-tanjungselor.example\nMohon dibantu, saya cuti besok.",
    );
    w.deliver(&r, wita(3, 17, 10, 7));
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(w.cso2().address.as_str())
    );
    let handed = w.nth(&w.cso2(), 2);
    assert!(
        handed.text.contains("dialihkan kepada Anda"),
        "{}",
        handed.text
    );
    assert!(handed.text.contains("saya cuti besok"), "{}", handed.text);
    assert!(
        handed.text.contains("Kapan SP2D terbit?"),
        "the new owner sees the question:\n{}",
        handed.text
    );
    // Ownership changes say nothing to the stakeholder, and answer nothing.
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.ticket(1).first_response_at, None);
    // The new owner can act from the hand-over mail.
    let r = reply(
        &w.cso2(),
        &handed,
        "ans@cso.test",
        &[],
        "SP2D terbit besok pagi.",
    );
    w.deliver(&r, wita(3, 17, 10, 9));
    let a = w.nth(&w.stakeholder(), 2);
    assert!(a.text.contains("SP2D terbit besok pagi."), "{}", a.text);
}

#[test]
fn tutup_closes_without_a_word_to_the_stakeholder() {
    let mut w = Harness::new();
    let (_, n1) = ask(
        &mut w,
        wita(3, 17, 10, 0),
        "Promo pinjaman online bunga rendah!!!",
    );
    let r = reply(&w.cso1(), &n1, "x@cso.test", &[], "#tutup\nspam");
    w.deliver(&r, wita(3, 17, 10, 3));
    let t = w.ticket(1);
    assert_eq!(t.status, Status::Closed);
    assert_eq!(t.closed_at, Some(wita(3, 17, 10, 3)));
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    // The completion clock of a closed ticket raises no alert.
    w.tick(wita(3, 17, 15, 0));
    assert_eq!(w.kinds_to(&w.cso1().address), vec!["notify"]);
}

#[test]
fn english_aliases_work() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        &w.cso1(),
        &n1,
        "e1@cso.test",
        &[],
        "#take\n#documents\nPlease send: SPM copy",
    );
    w.deliver(&r, wita(3, 17, 10, 2));
    assert_eq!(w.ticket(1).status, Status::AwaitingDocuments);
    w.nth(&w.stakeholder(), 2);
    let r = reply(
        &w.cso1(),
        &n1,
        "e2@cso.test",
        &[],
        "#Escalate PD\nNeeds the section head.",
    );
    w.deliver(&r, wita(3, 17, 10, 3));
    assert_eq!(w.ticket(1).status, Status::Escalated);
    let head = w.nth(&w.kasi(), 1);
    let r = reply(
        &w.kasi(),
        &head,
        "e3@kasi.test",
        &[],
        "#note\nI will call the satker.",
    );
    w.deliver(&r, wita(3, 17, 10, 4));
    assert!(w.nth(&w.cso1(), 2).text.contains("I will call the satker."));
    let r = reply(
        &w.kasi(),
        &head,
        "e4@kasi.test",
        &[],
        "#progress\nStill checking with the bank.",
    );
    w.deliver(&r, wita(3, 17, 10, 5));
    assert!(
        w.nth(&w.stakeholder(), 4)
            .text
            .contains("Still checking with the bank.")
    );
    let r = reply(
        &w.kasi(),
        &head,
        "e5@kasi.test",
        &[],
        "#resolve\nFunds arrived.",
    );
    w.deliver(&r, wita(3, 17, 10, 6));
    assert_eq!(w.ticket(1).status, Status::Resolved);
    assert!(w.nth(&w.stakeholder(), 5).text.contains("Funds arrived."));
    let r = reply(&w.kasi(), &head, "e6@kasi.test", &[], "#close");
    w.deliver(&r, wita(3, 17, 10, 7));
    assert_eq!(w.ticket(1).status, Status::Closed);
}

// ----- 3. trust ------------------------------------------------------------------------

#[test]
fn replies_without_the_capability_are_never_executed() {
    let mut w = Harness::new();
    let (ack, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let st = &w.stakeholder().address;

    // A fresh mail from cso1's address with the tag in the subject.
    let forged = mail(
        &w.cso1(),
        OFFICE,
        &format!("Re: {}", ack.subject),
        "f1@evil.test",
        "#selesai\nSudah selesai, tidak perlu ditanya lagi.",
    );
    w.deliver(&forged, wita(3, 17, 10, 1));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.kinds_to(st), vec!["ack"]);
    let warn = w.nth(&w.cso1(), 2);
    assert!(
        warn.text.contains("diverifikasi dan tidak dijalankan"),
        "{}",
        warn.text
    );
    let kind: String = w
        .store
        .conn()
        .query_row(
            "SELECT kind FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "unverified");

    // A non-staff address answering a notification.
    let stray = reply(
        &w.stakeholder2(),
        &n1,
        "s2@cv-maju.example.test",
        &[],
        "#selesai\nSaya tutup saja.",
    );
    w.deliver(&stray, wita(3, 17, 10, 2));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.kinds_to(st), vec!["ack"]);
    // The stray sender hears how to answer properly, with nothing of the ticket; the
    // CSO hears that an answer waits.
    assert_eq!(w.kinds_to(&w.stakeholder2().address), vec!["stray"]);
    let told = w.nth(&w.stakeholder2(), 1);
    assert!(!told.text.contains("Kapan SP2D terbit"), "{}", told.text);
    assert!(told.text.contains("tidak diteruskan"), "{}", told.text);
    let waiting = w.sent_to(&w.cso1().address).pop().unwrap();
    assert_eq!(waiting.kind, "answer_waiting");
    assert!(
        waiting.mail.text.contains("Saya tutup saja."),
        "{}",
        waiting.mail.text
    );
    let kind: String = w
        .store
        .conn()
        .query_row(
            "SELECT kind FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "stray");

    // CSO2 answering CSO1's notification: the capability is per staff member.
    let cross = reply(&w.cso2(), &n1, "c2@cso.test", &[], "#tutup");
    w.deliver(&cross, wita(3, 17, 10, 3));
    assert_eq!(w.ticket(1).status, Status::New);
    let kinds = w.kinds_to(&w.cso2().address);
    assert_eq!(
        kinds,
        vec!["notify", "answer_waiting", "answer_waiting", "unverified"],
        "cso2 hears of the two answers waiting, then is told its own was not run"
    );

    // A vacation auto-reply from cso1 to its notification.
    let before = w.kinds_to(&w.cso1().address);
    assert_eq!(
        before,
        vec!["notify", "unverified", "answer_waiting", "answer_waiting"]
    );
    let vacation = reply(
        &w.cso1(),
        &n1,
        "v@cso.test",
        &["Auto-Submitted: auto-replied"],
        "#tutup\nSaya sedang cuti sampai 30 Maret.",
    );
    w.deliver(&vacation, wita(3, 17, 10, 4));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.kinds_to(st), vec!["ack"]);
    assert_eq!(
        w.kinds_to(&w.cso1().address),
        before,
        "an auto-reply gets no answer"
    );
    let kind: String = w
        .store
        .conn()
        .query_row(
            "SELECT kind FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "automatic");
}

// ----- 4. mistakes -----------------------------------------------------------------------

#[test]
fn unknown_command_or_section_answers_the_staff_member_only() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        &w.cso1(),
        &n1,
        "h@cso.test",
        &[],
        "#hapus\nTiket ini dobel.",
    );
    w.deliver(&r, wita(3, 17, 10, 1));
    let err = w.nth(&w.cso1(), 2);
    assert!(err.text.contains("`#hapus`"), "{}", err.text);
    assert!(err.text.contains("tidak ada yang dikirim"), "{}", err.text);
    assert!(
        err.text.contains("#eskalasi <kode seksi>"),
        "cheat sheet:\n{}",
        err.text
    );
    assert_eq!(w.ticket(1).status, Status::New);

    let r = reply(
        &w.cso1(),
        &n1,
        "x@cso.test",
        &[],
        "#eskalasi xyz\nMohon bantuan.",
    );
    w.deliver(&r, wita(3, 17, 10, 2));
    let err = w.nth(&w.cso1(), 3);
    assert!(err.text.contains("`xyz`"), "{}", err.text);
    assert!(err.text.contains("pd, mska, vera"), "{}", err.text);
    assert!(err.text.contains("#selesai"), "cheat sheet:\n{}", err.text);
    // The error mail is itself a capability: replying to it with a fix works.
    let r = reply(
        &w.cso1(),
        &err,
        "x2@cso.test",
        &[],
        "#eskalasi pd\nMohon bantuan.",
    );
    w.deliver(&r, wita(3, 17, 10, 3));
    assert_eq!(w.ticket(1).status, Status::Escalated);

    assert_eq!(
        w.kinds_to(&w.stakeholder().address),
        vec!["ack", "escalated"]
    );
}

// ----- 5. quote stripping on real client shapes --------------------------------------

#[test]
fn stakeholder_gets_only_the_new_text_of_a_staff_reply() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let quoted: String = n1.text.lines().map(|l| format!("> {l}\n")).collect();
    let gmail = format!(
        "Jawaban Gmail: SP2D terbit hari ini.\n\nOn Tue, Mar 17, 2026 at 10:01 AM Layanan KPPN <{OFFICE}>\nwrote:\n\n{quoted}"
    );
    let outlook = format!(
        "Jawaban Outlook: dana masuk besok.\n\nSalam,\nCSO 1\n\n________________________________\nDari: Layanan KPPN <{OFFICE}>\nDikirim: Selasa, 17 Maret 2026 10.01\nKepada: cso1@kppn-tanjungselor.example\nSubjek: {}\n\n{}",
        n1.subject, n1.text
    );
    let thunderbird = format!(
        "Jawaban Thunderbird: silakan cek rekening.\n\n-- \nPetugas CSO 1\nKPPN Tanjung Selor\n\nPada 17/03/2026 10.01, Layanan KPPN menulis:\n{quoted}"
    );
    let apple = format!(
        "Jawaban iPhone: sudah kami teruskan.\n\nDikirim dari iPhone saya\n\n> Pada 17 Mar 2026, pukul 10.01, Layanan KPPN <{OFFICE}> menulis:\n>\n{quoted}"
    );
    for (i, body) in [gmail, outlook, thunderbird, apple].iter().enumerate() {
        let r = reply(&w.cso1(), &n1, &format!("q{i}@cso.test"), &[], body);
        w.deliver(&r, wita(3, 17, 10, 5 + i as u32));
        let got = w.nth(&w.stakeholder(), 2 + i);
        let first = body.lines().next().unwrap();
        assert!(got.text.contains(first), "{}", got.text);
        for leak in [
            "Tiket baru #1",
            "Perintah (tulis",
            "mailto:",
            "Kapan SP2D terbit?",
            "Dikirim dari",
            "Dari:",
            "-- ",
        ] {
            assert!(
                !got.text.contains(leak),
                "client {i}: `{leak}` leaked:\n{}",
                got.text
            );
        }
    }
}

// ----- 6. clocks -------------------------------------------------------------------------

#[test]
fn friday_night_mail_is_due_monday_0820_and_cso_alert_goes_once() {
    let mut w = Harness::new();
    let (ack, _) = ask(&mut w, wita(3, 6, 22, 0), "Pertanyaan Jumat malam.");
    assert_eq!(w.ticket(1).due_at, Some(wita(3, 9, 8, 20)));
    assert!(
        ack.text.contains("Senin, 9 Maret 2026 pukul 08.20 WITA"),
        "{}",
        ack.text
    );

    w.tick(wita(3, 9, 8, 19));
    assert_eq!(w.kinds_to(&w.cso1().address), vec!["notify"]);
    w.tick(wita(3, 9, 8, 20));
    w.tick(wita(3, 9, 9, 0));
    w.tick(wita(3, 10, 9, 0));
    for cso in [w.cso1(), w.cso2()] {
        assert_eq!(
            w.kinds_to(&cso.address),
            vec!["notify", "reminder"],
            "{}",
            cso.address
        );
        let alert = w.nth(&cso, 2);
        assert!(alert.text.contains("belum dijawab"), "{}", alert.text);
    }
}

#[test]
fn escalation_reminders_and_breach_alert_go_once_each() {
    let mut w = Harness::new();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(&w.cso1(), &n1, "esc@cso.test", &[], "#eskalasi pd");
    w.deliver(&r, wita(3, 17, 10, 10));
    assert_eq!(w.ticket(1).escalation_due_at, Some(wita(3, 27, 16, 0)));

    let reminders = |w: &Harness, who: &Account| -> Vec<String> {
        w.sent_to(&who.address)
            .into_iter()
            .filter(|s| s.kind == "reminder")
            .map(|s| s.mail.text)
            .collect()
    };
    for day in 17..=31 {
        for (h, m) in [(8, 0), (9, 0), (12, 0), (16, 0), (16, 1)] {
            w.tick(wita(3, day, h, m));
        }
        let kasi = reminders(&w, &w.kasi());
        match day {
            17..=25 => assert!(kasi.is_empty(), "day {day}: {kasi:?}"),
            26 => assert_eq!(kasi.len(), 1, "half-way on Thursday 26th"),
            27 => assert_eq!(kasi.len(), 3, "day {day}: half-way, due day, missed"),
            _ => assert_eq!(kasi.len(), 3, "day {day}: the miss is reported once"),
        }
        let kepala = reminders(&w, &w.kepala());
        assert_eq!(
            kepala.len(),
            usize::from(day >= 27),
            "day {day}: breach alert"
        );
    }
    let kasi = reminders(&w, &w.kasi());
    assert!(kasi[0].contains("separuh waktu"), "{}", kasi[0]);
    assert!(kasi[1].contains("hari ini batas waktu"), "{}", kasi[1]);
    assert!(kasi[2].contains("BATAS WAKTU TERLEWATI"), "{}", kasi[2]);
    assert_eq!(
        reminders(&w, &w.cso1()).len(),
        3,
        "the assignee is reminded too"
    );
    let breach = &reminders(&w, &w.kepala())[0];
    assert!(breach.contains("melewati batas waktu"), "{breach}");
    assert!(breach.contains(DEADLINE_TEXT), "{breach}");
    assert_eq!(w.sent_to(&w.kepala().address).len(), 1);
}

#[test]
fn resolved_ticket_reopens_then_auto_closes_and_a_late_reply_opens_a_new_one() {
    let mut w = Harness::new();
    let st = w.stakeholder();
    let (_, n1) = ask(&mut w, wita(3, 2, 10, 0), "Bagaimana cara revisi DIPA?");
    let r = reply(
        &w.cso1(),
        &n1,
        "r1@cso.test",
        &[],
        "#selesai\nMelalui SAKTI.",
    );
    w.deliver(&r, wita(3, 2, 10, 5));
    let answer = w.nth(&st, 2);

    // Within the reopen period: back to in_progress, the assignee is told.
    let again = reply(
        &st,
        &answer,
        "again@satker.example.test",
        &[],
        "Menu SAKTI yang mana ya?",
    );
    w.deliver(&again, wita(3, 3, 9, 0));
    assert_eq!(w.ticket(1).status, Status::InProgress);
    let told = w.nth(&w.cso1(), 2);
    assert!(told.text.contains("dibuka kembali"), "{}", told.text);
    assert!(told.text.contains("Menu SAKTI yang mana"), "{}", told.text);

    let r = reply(
        &w.cso1(),
        &told,
        "r2@cso.test",
        &[],
        "#selesai\nMenu Revisi Anggaran.",
    );
    w.deliver(&r, wita(3, 3, 9, 30));
    let answer2 = w.nth(&st, 3);
    assert_eq!(w.ticket(1).status, Status::Resolved);

    // Quiet period (5 days) then closed, with nothing sent.
    let before = w.outbox_rows();
    w.tick(wita(3, 8, 9, 29));
    assert_eq!(w.ticket(1).status, Status::Resolved);
    w.tick(wita(3, 8, 9, 30));
    assert_eq!(w.ticket(1).status, Status::Closed);
    assert_eq!(w.outbox_rows(), before);

    // A reply after closing opens a new ticket that refers to the old one.
    let late = reply(
        &st,
        &answer2,
        "late@satker.example.test",
        &[],
        "Pertanyaan lain: SPM gaji susulan?",
    );
    w.deliver(&late, wita(3, 10, 9, 0));
    assert_eq!(w.ticket(1).status, Status::Closed);
    let t2 = w.ticket(2);
    assert_eq!(t2.previous_ticket, Some(1));
    assert_eq!(t2.status, Status::New);
    let ack2 = w.nth(&st, 4);
    assert!(
        ack2.subject.starts_with("[KPPN-TSL #2]"),
        "{}",
        ack2.subject
    );
    assert!(
        ack2.text.contains("Lanjutan dari tiket #1"),
        "{}",
        ack2.text
    );
}

// ----- 7. restart --------------------------------------------------------------------------

#[test]
fn no_scheduled_mail_is_sent_twice_across_a_restart() {
    let mut w = Harness::new();
    // Ticket 1: escalated (progress, reminders, breach). Ticket 2: unanswered (CSO alert).
    // Ticket 3: awaiting documents (document reminder).
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Pertanyaan satu.");
    let r = reply(&w.cso1(), &n1, "r1@cso.test", &[], "#eskalasi pd");
    w.deliver(&r, wita(3, 17, 10, 1));
    ask(&mut w, wita(3, 17, 10, 2), "Pertanyaan dua.");
    let (_, n3) = ask(&mut w, wita(3, 17, 10, 3), "Pertanyaan tiga.");
    let r = reply(&w.cso1(), &n3, "r3@cso.test", &[], "#dokumen\nSalinan SPM");
    w.deliver(&r, wita(3, 17, 10, 4));

    let at = wita(3, 27, 16, 30);
    w.tick(at);
    let rows = w.outbox_rows();
    let kinds: Vec<String> = {
        let mut stmt = w
            .store
            .conn()
            .prepare("SELECT kind FROM outbox ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for kind in ["progress", "reminder", "documents_reminder"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} was scheduled: {kinds:?}"
        );
    }

    // Drop everything, load again from disk, tick at the same moment (twice).
    w.restart();
    w.tick(at);
    w.tick(at);
    assert_eq!(w.outbox_rows(), rows, "a restart sends nothing twice");
}

#[test]
fn staff_progress_replaces_that_days_scheduled_progress() {
    let mut w = Harness::new();
    let st = w.stakeholder().address.clone();
    let (_, n1) = ask(&mut w, wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(&w.cso1(), &n1, "esc@cso.test", &[], "#eskalasi pd");
    w.deliver(&r, wita(3, 17, 10, 10));
    let head = w.nth(&w.kasi(), 1);
    let r = reply(
        &w.kasi(),
        &head,
        "kp@kasi.test",
        &[],
        "#progres\nKami sedang menghubungi bank.",
    );
    w.deliver(&r, wita(3, 25, 8, 30));
    w.tick(wita(3, 25, 9, 0));
    w.tick(wita(3, 25, 15, 0));
    let progress = |w: &Harness| {
        w.sent_to(&st)
            .into_iter()
            .filter(|s| s.kind == "progress")
            .map(|s| s.mail.text)
            .collect::<Vec<_>>()
    };
    let p = progress(&w);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("menghubungi bank"), "{}", p[0]);
    w.tick(wita(3, 26, 9, 0));
    assert_eq!(progress(&w).len(), 2);
}

// ----- 2. mail in: threading, automatic mail, duplicates, encodings, limits -----------

#[test]
fn a_subject_tag_alone_joins_the_ticket() {
    let mut w = Harness::new();
    let st = w.stakeholder();
    let at = wita(3, 17, 10, 0);
    let first = mail(
        &st,
        OFFICE,
        "Jadwal SP2D",
        "t1@satker.example.test",
        "Kapan SP2D terbit?",
    );
    assert_eq!(w.deliver(&first, at), Outcome::New { ticket: 1 });
    // A new mail (no In-Reply-To, no References) that only carries the tag.
    let again = mail(
        &st,
        OFFICE,
        "Pertanyaan lanjutan [KPPN-TSL #1]",
        "t2@satker.example.test",
        "Satu lagi: SP2D gaji?",
    );
    assert_eq!(w.deliver(&again, at), Outcome::Reply { ticket: 1 });
    assert_eq!(w.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE ticket_id = 1"),
        2
    );
    // A tag naming a ticket that does not exist opens a new one.
    let bogus = mail(
        &st,
        OFFICE,
        "Re: [KPPN-TSL #999] Lama",
        "t3@satker.example.test",
        "Halo",
    );
    assert_eq!(w.deliver(&bogus, at), Outcome::New { ticket: 2 });
}

#[test]
fn automatic_mail_is_stored_and_never_answered() {
    let mut w = Harness::new();
    let s = w.stakeholder();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "auto-submitted",
            mail_with(&s, OFFICE, "Out of office", "a1@satker.example.test", &["Auto-Submitted: auto-replied"], "Saya sedang cuti."),
        ),
        (
            "list",
            mail_with(&s, OFFICE, "Buletin", "a2@satker.example.test", &["List-Id: <buletin.satker.example.test>"], "Edisi Maret"),
        ),
        (
            "spam",
            mail_with(&s, OFFICE, "Hadiah", "a3@satker.example.test", &["X-Spam-Flag: YES"], "Anda menang"),
        ),
        (
            "own message-id",
            mail(&s, OFFICE, "Gema", "loket.1.deadbeef@kppn-tanjungselor.example", "our own mail came back"),
        ),
        (
            "mailer-daemon",
            format!(
                "From: MAILER-DAEMON@satker.example.test\r\nTo: {OFFICE}\r\nSubject: Undelivered Mail\r\n\
                 Message-ID: <a5@satker.example.test>\r\nDate: Tue, 17 Mar 2026 10:00:00 +0800\r\n\r\nbounce\r\n"
            )
            .into_bytes(),
        ),
        (
            // A bounce: the delivering server writes the empty envelope sender.
            "bounce",
            mail_with(&s, OFFICE, "Delivery Status Notification", "a6@satker.example.test", &["Return-Path: <>"], "could not deliver"),
        ),
    ];
    for (what, raw) in &cases {
        let outcome = w.deliver(raw, wita(3, 17, 10, 0));
        assert!(
            matches!(outcome, Outcome::StoredOnly { ticket: None, .. }),
            "{what}: {outcome:?}"
        );
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE kind = 'automatic'"),
        6
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE reason IS NULL OR reason = ''"),
        0
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM tickets"), 0);
    assert_eq!(w.outbox_rows(), 0);
}

#[test]
fn the_same_mail_delivered_twice_is_one_message() {
    let mut w = Harness::new();
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "Saldo pagu",
        "dup@satker.example.test",
        "Berapa sisa pagu?",
    );
    // Each delivery adds its own trace headers; the mail is the same.
    let trace = |n: u8| {
        let mut m = format!(
            "Received: from mx{n}.satker.example.test by mx.kppn-tanjungselor.example; Tue, 17 Mar 2026 10:0{n}:00 +0800\r\nDelivered-To: {OFFICE}\r\n"
        )
        .into_bytes();
        m.extend_from_slice(&raw);
        m
    };
    let at = wita(3, 17, 10, 0);
    assert_eq!(w.deliver(&trace(1), at), Outcome::New { ticket: 1 });
    assert_eq!(w.deliver(&trace(2), at), Outcome::Duplicate);
    assert_eq!(w.count("SELECT COUNT(*) FROM messages"), 1);
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
}

#[test]
fn different_mails_sharing_a_message_id_are_both_kept() {
    let mut w = Harness::new();
    let a = mail(
        &w.stakeholder(),
        OFFICE,
        "Pertanyaan A",
        "same@satker.example.test",
        "Isi A",
    );
    let b = mail(
        &w.stakeholder2(),
        OFFICE,
        "Pertanyaan B",
        "same@satker.example.test",
        "Isi B",
    );
    let at = wita(3, 17, 10, 0);
    assert_eq!(w.deliver(&a, at), Outcome::New { ticket: 1 });
    assert_eq!(w.deliver(&b, at), Outcome::New { ticket: 2 });
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE message_id = 'same@satker.example.test'"),
        2
    );
    let bodies: Vec<String> = w
        .store
        .conn()
        .prepare("SELECT body FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        bodies[0].contains("Isi A") && bodies[1].contains("Isi B"),
        "{bodies:?}"
    );
}

#[test]
fn charsets_transfer_encodings_and_encoded_subjects_decode() {
    let mut w = Harness::new();
    let to = format!("To: {OFFICE}");
    let date = "Date: Tue, 17 Mar 2026 10:00:00 +0800";
    // ISO-8859-1, quoted-printable, Q-encoded subject.
    let latin = raw_mail(
        &[
            &format!("From: {}", w.stakeholder().address),
            &to,
            "Subject: =?ISO-8859-1?Q?Rekonsiliasi_M=FCller_=26_Co?=",
            "Message-ID: <latin@satker.example.test>",
            date,
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=ISO-8859-1",
            "Content-Transfer-Encoding: quoted-printable",
        ],
        b"Gr=FC=DFe dari Pak M=FCller, saldo =A3 5.000 =3D selesai.\r\n",
    );
    // UTF-8 in base64, B-encoded subject.
    let text = "Mohon bantuan — revisi DIPA ✓ (Rp 1.000.000)\n";
    let subject = "Revisi DIPA — mohon bantuan";
    let utf8 = raw_mail(
        &[
            &format!("From: {}", w.stakeholder2().address),
            &to,
            &format!(
                "Subject: =?UTF-8?B?{}?=",
                base64_lines(subject.as_bytes()).trim_end()
            ),
            "Message-ID: <utf8@cv-maju.example.test>",
            date,
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
        ],
        base64_lines(text.as_bytes()).as_bytes(),
    );
    let at = wita(3, 17, 10, 0);
    assert_eq!(w.deliver(&latin, at), Outcome::New { ticket: 1 });
    assert_eq!(w.deliver(&utf8, at), Outcome::New { ticket: 2 });
    let (subj, body) = stored(&w, "latin@satker.example.test");
    assert_eq!(subj, "Rekonsiliasi Müller & Co");
    assert!(
        body.contains("Grüße dari Pak Müller, saldo £ 5.000 = selesai."),
        "{body}"
    );
    let (subj, body) = stored(&w, "utf8@cv-maju.example.test");
    assert_eq!(subj, subject);
    assert!(
        body.contains("Mohon bantuan — revisi DIPA ✓ (Rp 1.000.000)"),
        "{body}"
    );
    let ack = w.nth(&w.stakeholder(), 1);
    assert!(
        ack.subject.ends_with("] Rekonsiliasi Müller & Co"),
        "{}",
        ack.subject
    );
    let ack = w.nth(&w.stakeholder2(), 1);
    assert!(
        ack.subject.ends_with(&format!("] {subject}")),
        "{}",
        ack.subject
    );
}

#[test]
fn html_only_mail_is_stored_as_text_and_answered() {
    let mut w = Harness::new();
    let html = raw_mail(
        &[
            &format!("From: {}", w.stakeholder().address),
            &format!("To: {OFFICE}"),
            "Subject: Jadwal layanan",
            "Message-ID: <html@satker.example.test>",
            "Date: Tue, 17 Mar 2026 10:00:00 +0800",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=utf-8",
        ],
        b"<html><head><style>p{color:red}</style></head><body><p>Mohon info <b>jadwal</b> layanan SP2D.</p>\
          <script>alert(1)</script><p>Terima&nbsp;kasih</p></body></html>\r\n",
    );
    assert_eq!(
        w.deliver(&html, wita(3, 17, 10, 0)),
        Outcome::New { ticket: 1 }
    );
    let (_, body) = stored(&w, "html@satker.example.test");
    assert!(body.contains("Mohon info jadwal layanan SP2D."), "{body}");
    assert!(body.contains("Terima") && body.contains("kasih"), "{body}");
    for junk in ["<b>", "<p>", "alert(1)", "color:red"] {
        assert!(!body.contains(junk), "{junk} in {body}");
    }
    let cso = w.nth(&w.cso1(), 1);
    assert!(
        cso.text.contains("Mohon info jadwal layanan SP2D."),
        "{}",
        cso.text
    );
    w.nth(&w.stakeholder(), 1);
}

#[test]
fn a_15_mb_attachment_is_stored_once_by_hash() {
    let mut w = Harness::new();
    // Deterministic bytes that do not compress away to nothing.
    let mut data = Vec::with_capacity(15 << 20);
    let mut x: u32 = 0x1234_5678;
    while data.len() < 15 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let encoded = base64_lines(&data);
    for n in 1..=2 {
        let mut body = format!(
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTerlampir laporan ke-{n}.\r\n\
             --b\r\nContent-Type: application/pdf; name=\"laporan.pdf\"\r\n\
             Content-Disposition: attachment; filename=\"../../laporan.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(encoded.as_bytes());
        body.extend_from_slice(b"--b--\r\n");
        let raw = raw_mail(
            &[
                &format!("From: {}", w.stakeholder().address),
                &format!("To: {OFFICE}"),
                &format!("Subject: Laporan {n}"),
                &format!("Message-ID: <big{n}@satker.example.test>"),
                "Date: Tue, 17 Mar 2026 10:00:00 +0800",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"b\"",
            ],
            &body,
        );
        assert_eq!(
            w.deliver(&raw, wita(3, 17, 10, 0)),
            Outcome::New { ticket: n }
        );
    }
    let hashes: Vec<(String, String, i64)> = w
        .store
        .conn()
        .prepare("SELECT sha256, filename, size FROM attachments ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 2, "{hashes:?}");
    assert_eq!(hashes[0].0, hashes[1].0);
    assert_eq!(hashes[0].2, data.len() as i64);
    assert!(
        !hashes[0].1.contains('/') && hashes[0].1.ends_with("laporan.pdf"),
        "{}",
        hashes[0].1
    );
    let dir = w.data_dir().join("attachments");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec![hashes[0].0.clone()]);
    assert_eq!(std::fs::read(dir.join(&files[0])).unwrap(), data);
}

/// Outlook's "Forward as Attachment" (Thunderbird's "Forward As > Attachment"): the
/// earlier mail whole, its 2 MB PDF inside, as a `message/rfc822` part. The CSOs get it;
/// the data folder keeps it once (the .eml file), not once more in the raw mail.
#[test]
fn a_mail_forwarded_as_an_attachment_is_kept_once_and_reaches_the_csos() {
    let mut w = Harness::new();
    let data: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut earlier = b"From: Bendahara <bendahara@satker.example.test>\r\n\
        To: kppn@example.test\r\nSubject: SPM gaji Maret\r\n\
        Message-ID: <spm-maret@satker.example.test>\r\nDate: Mon, 16 Mar 2026 09:00:00 +0800\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"in\"\r\n\r\n\
        --in\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTerlampir SPM.\r\n--in\r\n\
        Content-Type: application/pdf; name=\"spm.pdf\"\r\n\
        Content-Disposition: attachment; filename=\"spm.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    earlier.extend_from_slice(base64_lines(&data).as_bytes());
    earlier.extend_from_slice(b"--in--\r\n");
    let mut body = b"--out\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Mohon dicek SPM terlampir, belum ada SP2D.\r\n--out\r\n\
        Content-Type: message/rfc822\r\n\
        Content-Disposition: attachment; filename=\"SPM gaji Maret.eml\"\r\n\r\n"
        .to_vec();
    body.extend_from_slice(&earlier);
    body.extend_from_slice(b"\r\n--out--\r\n");
    let raw = raw_mail(
        &[
            &format!("From: {}", w.stakeholder().address),
            &format!("To: {OFFICE}"),
            "Subject: Fw: SPM gaji Maret",
            "Message-ID: <fwd-att@satker.example.test>",
            "Date: Tue, 17 Mar 2026 10:00:00 +0800",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"out\"",
        ],
        &body,
    );
    assert_eq!(
        w.deliver(&raw, wita(3, 17, 10, 0)),
        Outcome::New { ticket: 1 }
    );
    let n = w.sent_to(&w.cso1().address).pop().expect("notified").mail;
    let names: Vec<String> = n.attachments().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["SPM gaji Maret.eml"]);
    // The queued notifications name the stored file instead of carrying a copy each.
    let queued = w.count("SELECT COALESCE(SUM(LENGTH(raw)), 0) FROM outbox");
    assert!(queued < 64_000, "the outbox holds {queued} bytes");
    // Kept: the .eml once; the raw mail holds the rest, a few hundred bytes.
    let sha: String = w
        .store
        .conn()
        .query_row("SELECT raw_sha256 FROM messages", [], |r| r.get(0))
        .unwrap();
    let dir = w.data_dir().to_path_buf();
    let kept = std::fs::metadata(dir.join("raw").join(format!("{sha}.eml")))
        .unwrap()
        .len();
    assert!(kept < 2_000, "the raw file keeps {kept} bytes");
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join("attachments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::read(&files[0]).unwrap(), earlier);
    // And the mail as received comes back from what is kept, byte for byte.
    assert!(loketd::store::raw::read(&dir, &sha).unwrap() == raw);
}

#[test]
fn automatic_replies_to_one_sender_are_capped_per_hour() {
    let mut w = Harness::new();
    let limit = w.desk.config.helpdesk.auto_replies_per_hour as usize;
    let n = limit + 2;
    for i in 0..n {
        let raw = mail(
            &w.stakeholder(),
            OFFICE,
            &format!("Soal nomor {i}"),
            &format!("rl{i}@satker.example.test"),
            "Halo",
        );
        let outcome = w.ingest(&raw, wita(3, 17, 10, 0));
        assert!(matches!(outcome, Outcome::New { .. }), "{outcome:?}");
    }
    assert_eq!(w.sent_to(&w.stakeholder().address).len(), limit);
    for t in 1..=n as i64 {
        let suppressed = w.events(t).contains(&EventKind::ReplySuppressed);
        assert_eq!(
            suppressed,
            t as usize > limit,
            "ticket {t}: {:?}",
            w.events(t)
        );
    }
    // An hour later the address gets acknowledgements again.
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "Soal berikutnya",
        "rl-next@satker.example.test",
        "Halo",
    );
    w.ingest(&raw, wita(3, 17, 11, 1));
    assert_eq!(w.sent_to(&w.stakeholder().address).len(), limit + 1);
}

// ----- helpers of this file --------------------------------------------------------

/// Standard base64 with 76-character lines (MIME).
fn base64_lines(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 38 + 4);
    for (i, c) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out.push_str("\r\n");
    out
}

/// A mail with a fully given header block (CRLF lines) and raw body bytes.
fn raw_mail(headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut m = headers.join("\r\n").into_bytes();
    m.extend_from_slice(b"\r\n\r\n");
    m.extend_from_slice(body);
    m
}

/// Subject and body of the stored mail with `message_id`.
fn stored(w: &Harness, message_id: &str) -> (String, String) {
    w.store
        .conn()
        .query_row(
            "SELECT subject, body FROM messages WHERE message_id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("message {message_id} not stored: {e}"))
}
