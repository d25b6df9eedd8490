//! Mail that staff start (issue 11 §1 and §3) on the workflow harness: consultations
//! recorded from a CSO's form, the desk commands `#antrean`, `#cari`, `#riwayat`, and
//! the trust they need (a desk capability, the Authentication-Results check, or a
//! confirmation by reply). The real rig runs the form paths end to end in
//! `desk_mail_rig.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, NaiveDate, Utc};
use support::desk::{Received, bare, mail, mail_with, wita};
use support::harness::{Harness, OFFICE};
use support::rig::Account;

use loketd::rules::kinds::{Channel, EventKind};
use loketd::rules::ticket::Status;
use loketd::workflow::ingest::Outcome;

/// The Date every test mail carries (support::desk::mail_with).
fn mail_date() -> DateTime<Utc> {
    wita(3, 17, 10, 0)
}

fn harness() -> Harness {
    Harness::with(|t| t.replace("standing_mail_days = 0", "standing_mail_days = 30"))
}

/// The standing "catat konsultasi" mail of `cso`, sent now.
fn standing(w: &mut Harness) -> Received {
    let cso = w.cso1();
    // Sent on the first tick in office hours (deliver ticks), or now.
    loketd::workflow::refresh_standing(&mut w.store, &w.desk, wita(3, 17, 8, 0)).expect("refresh");
    w.sent_to(&cso.address)
        .into_iter()
        .rev()
        .find(|s| s.kind == "standing")
        .expect("standing mail")
        .mail
}

/// `from` answers `to` with `subject` and `body` (a reply: In-Reply-To/References).
fn answer(from: &Account, to: &Received, id: &str, subject: &str, body: &str) -> Vec<u8> {
    let parent = bare(&to.message_id);
    mail_with(
        from,
        OFFICE,
        subject,
        id,
        &[
            &format!("In-Reply-To: <{parent}>"),
            &format!("References: <{parent}>"),
        ],
        body,
    )
}

const VISITOR: &str = "siti@pupr-bulungan.example.test";

fn form(kontak: &str, jawaban: &str) -> String {
    format!(
        "Nama: Siti Aminah\nInstansi: Satker 123456 Dinas PUPR Kab. Bulungan\nKontak: {kontak}\n\
         Layanan: KONS\nPertanyaan: Bagaimana cara revisi DIPA\nuntuk pagu belanja modal?\n\
         Jawaban: {jawaban}\n\n-- \nPetugas CSO 1\nKPPN Tanjung Selor\n"
    )
}

fn newest(w: &Harness, who: &str, kind: &str) -> Received {
    w.sent_to(who)
        .into_iter()
        .rev()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("{who} got no {kind} mail: {:?}", w.kinds_to(who)))
        .mail
}

fn tickets(w: &Harness) -> i64 {
    w.count("SELECT COUNT(*) FROM tickets")
}

/// On a fresh harness, CSO 1 records an unanswered call from Siti Aminah, who gave
/// only her phone number, at 10:05 on Tuesday 17 March (its subject as `subject`).
fn record_call(w: &mut Harness, subject: &str) -> Outcome {
    let s = standing(w);
    let form = answer(
        &w.cso1(),
        &s,
        "call@cso.test",
        subject,
        &form("0812 3456 7890", ""),
    );
    w.deliver(&form, wita(3, 17, 10, 5))
}

/// How many times `kind` is on ticket 1.
fn events_of(w: &Harness, kind: EventKind) -> usize {
    w.events(1).iter().filter(|e| **e == kind).count()
}

// ----- forms -----------------------------------------------------------------------

#[test]
fn standing_mail_goes_to_csos_only_and_stays_fresh() {
    let mut w = harness();
    let s = standing(&mut w);
    assert!(s.text.contains("[TATAP MUKA]"), "{}", s.text);
    assert!(
        s.text.contains("Nama:") && s.text.contains("Pertanyaan:"),
        "{}",
        s.text
    );
    assert_eq!(w.kinds_to(&w.cso2().address), ["standing"]);
    for not_cso in [w.kasi(), w.kepala()] {
        assert!(
            w.kinds_to(&not_cso.address).is_empty(),
            "{}",
            not_cso.address
        );
    }
    // Fresh for a month: no second one until then.
    let again =
        loketd::workflow::refresh_standing(&mut w.store, &w.desk, wita(4, 14, 9, 0)).unwrap();
    assert_eq!(again, 0);
    let later =
        loketd::workflow::refresh_standing(&mut w.store, &w.desk, wita(4, 20, 9, 0)).unwrap();
    assert_eq!(later, 2);
    // Outside office hours nothing is sent.
    let mut w = harness();
    let night =
        loketd::workflow::refresh_standing(&mut w.store, &w.desk, wita(3, 17, 22, 0)).unwrap();
    assert_eq!(night, 0);
}

#[test]
fn tatap_muka_answered_at_once_is_resolved_and_the_visitor_gets_the_answer() {
    let mut w = harness();
    let s = standing(&mut w);
    // Outlook style: the form above, then the quoted standing mail.
    let body = format!(
        "{}\n-----Original Message-----\nFrom: KPPN <{OFFICE}>\n{}",
        form(
            &format!("{VISITOR} / 0812-3456-7890"),
            "Revisi diajukan melalui aplikasi SAKTI,\nmodul Revisi Anggaran."
        ),
        s.text
    );
    let out = w.deliver(
        &answer(&w.cso1(), &s, "f1@cso.test", "RE: [TATAP MUKA]", &body),
        wita(3, 17, 10, 5),
    );
    assert_eq!(out, Outcome::New { ticket: 1 });
    let t = w.ticket(1);
    assert_eq!(t.channel, Channel::TatapMuka);
    assert_eq!(t.status, Status::Resolved);
    assert_eq!(t.requester, VISITOR);
    assert_eq!(t.requester_name.as_deref(), Some("Siti Aminah"));
    assert_eq!(t.assignee.as_deref(), Some(w.cso1().address.as_str()));
    assert_eq!(t.created_at, mail_date());
    assert_eq!(t.resolved_at, Some(mail_date()));
    assert_eq!(t.first_response_at, Some(mail_date()));
    assert!(
        t.subject
            .starts_with("Tatap muka: Bagaimana cara revisi DIPA"),
        "{}",
        t.subject
    );
    assert_eq!(w.events(1), [EventKind::Created, EventKind::Resolved]);
    // The visitor: the written answer with status Resolved, nothing of the signature.
    let a = w.nth(
        &Account {
            address: VISITOR.into(),
            password: String::new(),
        },
        1,
    );
    assert!(a.text.contains("modul Revisi Anggaran."), "{}", a.text);
    assert!(a.text.contains("Resolved"), "{}", a.text);
    assert!(
        !a.text.contains("KPPN Tanjung Selor\nPetugas"),
        "{}",
        a.text
    );
    assert!(!a.text.contains("Original Message"), "{}", a.text);
    // The CSO: the record, with the ticket's capability and no receipt.
    let r = newest(&w, &w.cso1().address, "recorded");
    assert!(r.subject.contains("#1"), "{}", r.subject);
    assert!(
        r.text.contains("Jawaban tertulis telah dikirim"),
        "{}",
        r.text
    );
    assert!(r.attachments().is_empty());
    // Nobody else hears of it.
    assert!(
        !w.kinds_to(&w.cso2().address)
            .contains(&"notify".to_string())
    );
}

#[test]
fn a_visit_without_email_gets_a_printable_receipt_and_the_three_working_day_clock() {
    let mut w = harness();
    let out = record_call(&mut w, "Re: Catat konsultasi [telepon]");
    assert_eq!(out, Outcome::New { ticket: 1 });
    let t = w.ticket(1);
    assert_eq!(t.channel, Channel::Telepon);
    assert_eq!(t.status, Status::New);
    assert_eq!(t.requester, "tel:081234567890");
    // 3 working days after Tuesday 17 March 2026, across Nyepi and Idulfitri
    // (18–24 March are holidays or cuti bersama): Friday 27 March.
    assert_eq!(t.expected_on, NaiveDate::from_ymd_opt(2026, 3, 27));
    // Nothing was mailed to a phone number.
    assert_eq!(
        w.count("SELECT COUNT(*) FROM outbox WHERE recipients LIKE '%tel:%'"),
        0
    );
    let r = newest(&w, &w.cso1().address, "recorded");
    let files = r.attachments();
    assert_eq!(files.len(), 1, "{files:?}");
    let (name, html) = &files[0];
    assert_eq!(name, "tanda-terima-tiket-1.html");
    assert!(html.contains("size: A4"), "{html}");
    assert!(html.contains("#1"), "{html}");
    assert!(html.contains("Bagaimana cara revisi DIPA"), "{html}");
    assert!(html.contains("Jumat, 27 Maret 2026"), "{html}");
    assert!(
        r.text.contains("tidak memberikan alamat surel"),
        "{}",
        r.text
    );
    // The standard's clocks: the unanswered alert once the completion time passed,
    // then the 3-working-day deadline, told once to the owner and the head of office.
    w.tick(wita(3, 26, 16, 0));
    assert!(
        !w.kinds_to(&w.kepala().address)
            .contains(&"reminder".to_string())
    );
    assert!(w.events(1).contains(&EventKind::ReminderUnanswered));
    assert!(!w.events(1).contains(&EventKind::ReminderVisit));
    // The deadline is the end of office hours on Friday.
    w.tick(wita(3, 27, 15, 50));
    assert!(!w.events(1).contains(&EventKind::ReminderVisit));
    w.tick(wita(3, 27, 16, 10));
    w.tick(wita(3, 30, 9, 0));
    assert_eq!(
        events_of(&w, EventKind::ReminderVisit),
        2,
        "{:?}",
        w.events(1)
    );
    let k = newest(&w, &w.kepala().address, "reminder");
    assert!(k.text.contains("BATAS 3 HARI KERJA"), "{}", k.text);
    // The CSO answers by replying to the record: kept on the ticket, not mailed.
    let reply = answer(
        &w.cso1(),
        &r,
        "f2a@cso.test",
        &format!("Re: {}", r.subject),
        "Sudah kami telepon, revisi lewat SAKTI.",
    );
    w.deliver(&reply, wita(3, 30, 9, 30));
    assert_eq!(w.status(1), Status::InProgress);
    assert!(w.events(1).contains(&EventKind::ReplySuppressed));
}

#[test]
fn an_unanswered_visit_with_email_is_acknowledged_with_its_deadline() {
    let mut w = harness();
    let s = standing(&mut w);
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "f3@cso.test",
            "[WA]",
            &form(VISITOR, "(kosong)"),
        ),
        wita(3, 17, 10, 5),
    );
    let t = w.ticket(1);
    assert_eq!((t.channel, t.status), (Channel::Wa, Status::New));
    let ack = newest(&w, VISITOR, "ack");
    assert!(ack.text.contains("#1"), "{}", ack.text);
    assert!(ack.text.contains("Jumat, 27 Maret 2026"), "{}", ack.text);
    let r = newest(&w, &w.cso1().address, "recorded");
    assert!(r.attachments().is_empty());
    // A reply to the record reaches the visitor like any answer.
    let reply = answer(
        &w.cso1(),
        &r,
        "f3a@cso.test",
        &format!("Re: {}", r.subject),
        "Revisi lewat SAKTI.",
    );
    w.deliver(&reply, wita(3, 17, 11, 0));
    assert!(
        newest(&w, VISITOR, "answer")
            .text
            .contains("Revisi lewat SAKTI.")
    );
}

/// The standard's step 6b: "Dalam waktu 3 hari tersebut, petugas layanan diwajibkan
/// untuk menyampaikan progres atas penyelesaian solusi secara berkala." A visitor with
/// an email hears of progress each working day after the visit, until answered.
#[test]
fn an_unanswered_visit_hears_of_progress_each_working_day_until_answered() {
    let mut w = harness();
    let s = standing(&mut w);
    w.deliver(
        &answer(&w.cso1(), &s, "p1@cso.test", "[WA]", &form(VISITOR, "")),
        wita(3, 17, 10, 5),
    );
    let progress = |w: &Harness| {
        w.kinds_to(VISITOR)
            .iter()
            .filter(|k| *k == "progress")
            .count()
    };
    // Not on the visit day (the acknowledgement said it all), not on the holidays
    // (18–24 March), not before 09:00.
    for at in [
        wita(3, 17, 15, 0),
        wita(3, 18, 9, 30),
        wita(3, 24, 9, 30),
        wita(3, 25, 8, 55),
    ] {
        w.tick(at);
    }
    assert_eq!(progress(&w), 0, "{:?}", w.kinds_to(VISITOR));
    // Wednesday 25 March, 09:00: the first; once that day however often the clock ticks.
    w.tick(wita(3, 25, 9, 1));
    w.tick(wita(3, 25, 14, 0));
    assert_eq!(progress(&w), 1);
    let p = newest(&w, VISITOR, "progress");
    assert!(p.text.contains("#1"), "{}", p.text);
    assert!(p.text.contains("Jumat, 27 Maret 2026"), "{}", p.text);
    w.tick(wita(3, 26, 9, 1));
    assert_eq!(progress(&w), 2);
    // The CSO answers by replying to the record: the daily progress stops.
    let r = newest(&w, &w.cso1().address, "recorded");
    let reply = answer(
        &w.cso1(),
        &r,
        "p1a@cso.test",
        &format!("Re: {}", r.subject),
        "Revisi lewat SAKTI, menu Revisi Anggaran.",
    );
    w.deliver(&reply, wita(3, 26, 10, 0));
    w.tick(wita(3, 27, 9, 1));
    w.tick(wita(3, 30, 9, 1));
    assert_eq!(progress(&w), 2, "{:?}", w.kinds_to(VISITOR));
    assert_eq!(events_of(&w, EventKind::ProgressSent), 2);
}

/// A visitor reachable by phone only: nothing is mailed to a number; the owner is
/// reminded each working day to call, unless they recorded today's call (`#progres`).
#[test]
fn a_visit_reachable_by_phone_only_reminds_its_owner_to_call_each_day() {
    let mut w = harness();
    record_call(&mut w, "Re: Catat konsultasi [telepon]");
    let reminders = |w: &Harness| events_of(w, EventKind::ReminderProgress);
    w.tick(wita(3, 25, 9, 1));
    w.tick(wita(3, 25, 11, 0));
    assert_eq!(reminders(&w), 1);
    let cso = w.cso1().address;
    let n = newest(&w, &cso, "reminder");
    assert!(n.text.contains("hubungi pemohon hari ini"), "{}", n.text);
    assert!(
        n.text.contains("Pemohon : tel:081234567890 (Siti Aminah)"),
        "{}",
        n.text
    );
    assert!(n.text.contains("#progres"), "{}", n.text);
    // Only the owner; the head of office hears only when the 3 days have passed.
    assert!(
        !w.kinds_to(&w.kepala().address)
            .contains(&"reminder".to_string())
    );
    // Thursday: the CSO calls first thing and records it; no reminder that day.
    let r = newest(&w, &cso, "recorded");
    let called = answer(
        &w.cso1(),
        &r,
        "p2a@cso.test",
        &format!("Re: {}", r.subject),
        "#progres\nSudah kami telepon: sedang dikonfirmasi ke Seksi PD.",
    );
    w.deliver(&called, wita(3, 26, 8, 30));
    w.tick(wita(3, 26, 9, 1));
    assert_eq!(reminders(&w), 1, "{:?}", w.events(1));
    // Friday, the last of the 3 days: reminded again; after it, the deadline alert only.
    w.tick(wita(3, 27, 9, 1));
    assert_eq!(reminders(&w), 2);
    w.tick(wita(3, 30, 9, 1));
    assert_eq!(reminders(&w), 2);
    assert!(w.events(1).contains(&EventKind::ReminderVisit));
    assert_eq!(
        w.count("SELECT COUNT(*) FROM outbox WHERE recipients LIKE '%tel:%'"),
        0
    );
}

#[test]
fn a_future_or_stale_date_is_not_the_visit_time() {
    let mut w = harness();
    let s = standing(&mut w);
    // The mail's Date (10:00) is after the clock (09:00): a wrong clock on the phone.
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "f4@cso.test",
            "[TATAP MUKA]",
            &form(VISITOR, "Sudah."),
        ),
        wita(3, 17, 9, 0),
    );
    assert_eq!(w.ticket(1).created_at, wita(3, 17, 9, 0));
    // Received a week later: the visit is taken as now.
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "f5@cso.test",
            "[TATAP MUKA]",
            &form(VISITOR, "Sudah."),
        ),
        wita(3, 25, 9, 0),
    );
    assert_eq!(w.ticket(2).created_at, wita(3, 25, 9, 0));
    assert!(
        newest(&w, &w.cso1().address, "recorded")
            .text
            .contains("tidak wajar")
    );
}

#[test]
fn bad_forms_are_answered_with_what_to_fix_and_create_nothing() {
    let mut w = harness();
    let s = standing(&mut w);
    let cases: [(&str, &str); 5] = [
        (
            "Instansi: X\nKontak: a@b.test\nLayanan: KONS\nPertanyaan: Q\n",
            "Nama: tidak ada",
        ),
        (
            "Nama: A\nInstansi: X\nKontak: a@b.test\nLayanan: XYZ\nPertanyaan: Q\n",
            "kode `XYZ`",
        ),
        (
            "Nama: A\nInstansi: X\nKontak: 0812…\nLayanan: KONS\nPertanyaan: Q\n",
            "Kontak: nomor telepon",
        ),
        (
            "Nama: A\nInstansi: X\nKontak: -\nLayanan: KONS\nPertanyaan: Q\n",
            "Kontak: wajib diisi",
        ),
        ("Halo, tolong dicatat ya.\n", "Pertanyaan: tidak ada"),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let out = w.deliver(
            &answer(
                &w.cso1(),
                &s,
                &format!("bad{i}@cso.test"),
                "[TATAP MUKA]",
                body,
            ),
            wita(3, 17, 10, 5),
        );
        assert!(
            matches!(out, Outcome::StoredOnly { ticket: None, .. }),
            "{out:?}"
        );
        let e = newest(&w, &w.cso1().address, "form_error");
        assert!(
            e.text.contains(want),
            "case {i}: want {want:?} in\n{}",
            e.text
        );
        assert!(
            e.text.contains("Nama: \n") || e.text.contains("Nama:"),
            "{}",
            e.text
        );
        assert_eq!(tickets(&w), 0, "case {i}");
    }
    assert_eq!(
        w.kinds_to(&w.cso1().address)
            .iter()
            .filter(|k| *k == "form_error")
            .count(),
        5
    );
}

#[test]
fn a_stakeholder_writing_a_form_subject_only_asks_a_question() {
    let mut w = harness();
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "[TELEPON]",
        "s1@satker.test",
        &form(VISITOR, "Dijawab."),
    );
    let out = w.deliver(&raw, wita(3, 17, 10, 5));
    assert_eq!(out, Outcome::New { ticket: 1 });
    let t = w.ticket(1);
    assert_eq!(t.channel, Channel::Email);
    assert_eq!(t.requester, w.stakeholder().address);
    assert_eq!(t.status, Status::New);
    assert!(w.sent_to(VISITOR).is_empty());
    assert_eq!(w.kinds_to(&w.stakeholder().address), ["ack"]);
}

// ----- trust -------------------------------------------------------------------------

#[test]
fn a_form_without_capability_is_held_until_confirmed_then_created_once() {
    let mut w = harness();
    // A fresh mail with a CSO's From and no capability: anyone can write that.
    let raw = mail(
        &w.cso1(),
        OFFICE,
        "[TATAP MUKA]",
        "forged@x.test",
        &form(VISITOR, "Jawaban palsu."),
    );
    let out = w.deliver(&raw, wita(3, 17, 10, 5));
    assert!(
        matches!(out, Outcome::StoredOnly { ticket: None, .. }),
        "{out:?}"
    );
    assert_eq!(tickets(&w), 0);
    assert!(w.sent_to(VISITOR).is_empty());
    assert!(
        w.kinds_to(&w.cso1().address)
            .contains(&"confirm".to_string())
    );
    let c = newest(&w, &w.cso1().address, "confirm");
    assert!(
        !c.text.contains("Siti") && !c.text.contains("Jawaban palsu"),
        "{}",
        c.text
    );
    // The real CSO confirms: created once, as the held mail said.
    let yes = answer(
        &w.cso1(),
        &c,
        "yes1@cso.test",
        &format!("Re: {}", c.subject),
        "ya",
    );
    let out = w.deliver(&yes, wita(3, 17, 10, 30));
    assert_eq!(
        out,
        Outcome::New { ticket: 1 },
        "{:?} {}",
        w.kinds_to(&w.cso1().address),
        newest(&w, &w.cso1().address, "desk_answer").text
    );
    assert_eq!(w.ticket(1).channel, Channel::TatapMuka);
    assert_eq!(w.ticket(1).status, Status::Resolved);
    assert!(
        newest(&w, VISITOR, "resolved")
            .text
            .contains("Jawaban palsu.")
    );
    // A second confirmation (or the same one delivered again) does nothing more.
    let again = answer(
        &w.cso1(),
        &c,
        "yes2@cso.test",
        &format!("Re: {}", c.subject),
        "ya",
    );
    w.deliver(&again, wita(3, 17, 10, 40));
    w.deliver(&yes, wita(3, 17, 10, 41));
    assert_eq!(tickets(&w), 1);
    assert_eq!(w.sent_to(VISITOR).len(), 1);
    assert!(
        newest(&w, &w.cso1().address, "desk_answer")
            .text
            .contains("sudah diproses")
    );
}

#[test]
fn forged_mail_cannot_flood_a_staff_inbox_with_confirmation_requests() {
    let mut w = harness();
    for i in 0..6 {
        let raw = mail(
            &w.cso1(),
            OFFICE,
            "[WA]",
            &format!("flood{i}@x.test"),
            "#antrean",
        );
        w.deliver(&raw, wita(3, 17, 10, 5));
    }
    let confirms = w
        .kinds_to(&w.cso1().address)
        .iter()
        .filter(|k| *k == "confirm")
        .count();
    assert_eq!(confirms, 3, "auto_replies_per_hour of the shipped site");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE kind = 'unverified'"),
        6
    );
    // The three held without a request are not held in silence: the sender hears of
    // it, once that day, with what to do instead.
    let held = |w: &Harness| {
        w.kinds_to(&w.cso1().address)
            .iter()
            .filter(|k| *k == "confirm_held")
            .count()
    };
    assert_eq!(held(&w), 1);
    let note = newest(&w, &w.cso1().address, "confirm_held");
    let text = note.text.replace("\r\n", "\n");
    // It names the held mail by its subject only, as the confirmation request does.
    assert!(text.contains("\n  [WA]\n"), "{text}");
    assert!(
        text.contains("sudah 3 permintaan konfirmasi")
            && text.contains("sebagai BALASAN atas surel dari\nloketd"),
        "{text}"
    );
    assert!(
        note.raw.contains("Auto-Submitted: auto-replied"),
        "an automatic mail"
    );
    let raw = mail(&w.cso1(), OFFICE, "[WA]", "flood7@x.test", "#antrean");
    w.deliver(&raw, wita(3, 17, 10, 20));
    assert_eq!(held(&w), 1, "at most one a day");
    // The next day, after the hour: a request again, then the note again once over.
    for i in 0..4 {
        let raw = mail(
            &w.cso1(),
            OFFICE,
            "[WA]",
            &format!("day2-{i}@x.test"),
            "#antrean",
        );
        w.deliver(&raw, wita(3, 18, 10, 5));
    }
    assert_eq!(held(&w), 2);
}

#[test]
fn a_confirmation_from_another_staff_member_is_not_one() {
    let mut w = harness();
    let raw = mail(&w.cso1(), OFFICE, "#antrean", "q@x.test", "");
    w.deliver(&raw, wita(3, 17, 10, 5));
    let c = newest(&w, &w.cso1().address, "confirm");
    // cso2 answers cso1's confirmation request (forwarded to them, say): the capability
    // is cso1's, so it proves nothing for cso2.
    let raw = answer(&w.cso2(), &c, "y@x.test", "Re: x", "ya");
    w.deliver(&raw, wita(3, 17, 10, 6));
    assert!(
        !w.kinds_to(&w.cso1().address)
            .contains(&"desk_answer".to_string())
    );
    assert!(
        !w.kinds_to(&w.cso2().address)
            .contains(&"desk_answer".to_string())
    );
}

#[test]
fn a_desk_capability_this_database_did_not_send_is_not_trusted() {
    let mut w = harness();
    let s = standing(&mut w);
    // As after restoring an older backup: the mail the capability came in is unknown.
    w.store
        .conn()
        .execute("DELETE FROM outbox WHERE kind = 'standing'", [])
        .unwrap();
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "r1@cso.test",
            "[TATAP MUKA]",
            &form(VISITOR, "x"),
        ),
        wita(3, 17, 10, 5),
    );
    assert_eq!(tickets(&w), 0);
    assert!(
        w.kinds_to(&w.cso1().address)
            .contains(&"confirm".to_string())
    );
}

#[test]
fn the_authentication_results_check_is_proof_where_configured_and_needed_everywhere() {
    let mut w = Harness::with(|t| {
        t.replace("standing_mail_days = 0", "standing_mail_days = 30")
            .replace(
                "# trusted_authserv_id = \"mx.kppn-tanjungselor.example\"",
                "trusted_authserv_id = \"mx.kppn-tanjungselor.example\"",
            )
    });
    let pass = "Authentication-Results: mx.kppn-tanjungselor.example; dkim=pass header.d=kppn-tanjungselor.example";
    let raw = mail_with(
        &w.cso1(),
        OFFICE,
        "[TATAP MUKA]",
        "a1@cso.test",
        &[pass],
        &form(VISITOR, "Sudah."),
    );
    assert_eq!(
        w.deliver(&raw, wita(3, 17, 10, 5)),
        Outcome::New { ticket: 1 }
    );
    // A desk capability without the pass is held.
    let s = standing(&mut w);
    let fail = "Authentication-Results: mx.kppn-tanjungselor.example; dkim=fail header.d=kppn-tanjungselor.example";
    let parent = bare(&s.message_id).to_string();
    let raw = mail_with(
        &w.cso1(),
        OFFICE,
        "[TATAP MUKA]",
        "a2@cso.test",
        &[fail, &format!("In-Reply-To: <{parent}>")],
        &form(VISITOR, "Sudah."),
    );
    w.deliver(&raw, wita(3, 17, 10, 10));
    assert_eq!(tickets(&w), 1);
    assert!(
        newest(&w, &w.cso1().address, "confirm")
            .text
            .contains("DKIM/SPF")
    );
}

// ----- commands ----------------------------------------------------------------------

/// Two questions from the stakeholder (one naming an SP2D number), one visit recorded
/// by CSO 1 and left open.
fn office_with_tickets(w: &mut Harness) -> Received {
    for (id, subject, body) in [
        (
            "q1@satker.test",
            "[KONS] Revisi DIPA",
            "Mohon info revisi DIPA.",
        ),
        (
            "q2@satker.test",
            "[KONS] Dana belum masuk",
            "SP2D nomor 260123456789 belum masuk rekening.",
        ),
    ] {
        let raw = mail(&w.stakeholder(), OFFICE, subject, id, body);
        w.deliver(&raw, wita(3, 17, 10, 1));
    }
    let s = standing(w);
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "v1@cso.test",
            "[TATAP MUKA]",
            &form(VISITOR, ""),
        ),
        wita(3, 17, 10, 5),
    );
    assert_eq!(tickets(w), 3);
    s
}

#[test]
fn antrean_lists_the_senders_open_tickets() {
    let mut w = harness();
    let s = office_with_tickets(&mut w);
    w.deliver(
        &answer(&w.cso1(), &s, "c1@cso.test", "Re: antrean", "#antrean"),
        wita(3, 17, 11, 0),
    );
    let a = newest(&w, &w.cso1().address, "desk_answer");
    assert!(a.subject.contains("Antrean Anda"), "{}", a.subject);
    // The visit is theirs; the unowned new questions wait on the CSOs; its 20 minutes
    // have passed.
    for want in ["#1 ", "#2 ", "#3 ", "TERLAMBAT", "Siti Aminah"] {
        assert!(a.text.contains(want), "{want} in\n{}", a.text);
    }
    assert!(!a.text.contains("belum masuk rekening."), "{}", a.text);
    // The answer carries the desk capability: replying to it is trusted again.
    w.deliver(
        &answer(&w.cso1(), &a, "c2@cso.test", "Re: x", "#queue"),
        wita(3, 17, 11, 1),
    );
    assert_eq!(
        w.kinds_to(&w.cso1().address)
            .iter()
            .filter(|k| *k == "desk_answer")
            .count(),
        2
    );
    // The section head has no open tickets.
    let raw = mail(&w.kasi(), OFFICE, "#antrean", "k@x.test", "");
    w.deliver(&raw, wita(3, 17, 11, 2));
    let c = newest(&w, &w.kasi().address, "confirm");
    w.deliver(
        &answer(&w.kasi(), &c, "k2@x.test", "Re: x", "ya"),
        wita(3, 17, 11, 3),
    );
    let k = newest(&w, &w.kasi().address, "desk_answer");
    assert!(k.text.contains("Tidak ada tiket terbuka"), "{}", k.text);
}

#[test]
fn cari_finds_by_subject_body_number_and_requester() {
    let mut w = harness();
    let s = office_with_tickets(&mut w);
    let ask = |w: &mut Harness, id: &str, line: &str| {
        w.deliver(
            &answer(&w.cso1(), &s, id, "Re: cari", line),
            wita(3, 17, 11, 0),
        );
        newest(w, &w.cso1().address, "desk_answer")
    };
    let a = ask(&mut w, "s1@cso.test", "#cari 260123456789");
    assert!(
        a.text.contains("#2 ") && !a.text.contains("#1 ") && !a.text.contains("#3 "),
        "{}",
        a.text
    );
    assert!(
        !a.text.contains("belum masuk rekening"),
        "the body is not revealed: {}",
        a.text
    );
    let a = ask(&mut w, "s2@cso.test", "#search revisi dipa");
    assert!(
        a.text.contains("#1 ") && a.text.contains("#3 "),
        "{}",
        a.text
    );
    let a = ask(&mut w, "s3@cso.test", "#cari Bulungan");
    assert!(a.text.contains("#3 "), "{}", a.text);
    let a = ask(&mut w, "s4@cso.test", "#cari 100%");
    assert!(a.text.contains("Tidak ada tiket yang cocok"), "{}", a.text);
    let a = ask(&mut w, "s5@cso.test", "#cari ab");
    assert!(a.text.contains("minimal 3 huruf"), "{}", a.text);
}

#[test]
fn riwayat_lists_a_requesters_tickets() {
    let mut w = harness();
    let s = office_with_tickets(&mut w);
    let line = format!("#riwayat {}", w.stakeholder().address.to_uppercase());
    w.deliver(
        &answer(&w.cso1(), &s, "h1@cso.test", "Re: x", &line),
        wita(3, 17, 11, 0),
    );
    let a = newest(&w, &w.cso1().address, "desk_answer");
    assert!(a.text.contains(": 2 tiket"), "{}", a.text);
    assert!(
        a.text.contains("#1 ") && a.text.contains("#2 ") && !a.text.contains("#3 "),
        "{}",
        a.text
    );
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "h2@cso.test",
            "Re: x",
            &format!("#history {VISITOR}"),
        ),
        wita(3, 17, 11, 1),
    );
    let a = newest(&w, &w.cso1().address, "desk_answer");
    assert!(
        a.text.contains(": 1 tiket") && a.text.contains("#3 "),
        "{}",
        a.text
    );
    // A caller without email, looked up by the number however it is written.
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "h3@cso.test",
            "[TELEPON]",
            &form("0812 3456 7890", ""),
        ),
        wita(3, 17, 11, 2),
    );
    w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "h4@cso.test",
            "Re: x",
            "#riwayat +62 812-3456-7890",
        ),
        wita(3, 17, 11, 3),
    );
    let a = newest(&w, &w.cso1().address, "desk_answer");
    assert!(
        a.text.contains(": 1 tiket") && a.text.contains("#4 "),
        "{}",
        a.text
    );
}

#[test]
fn a_forged_command_reveals_nothing_until_confirmed() {
    let mut w = harness();
    office_with_tickets(&mut w);
    let raw = mail(&w.cso1(), OFFICE, "cari", "x1@evil.test", "#cari revisi");
    w.deliver(&raw, wita(3, 17, 11, 0));
    let c = newest(&w, &w.cso1().address, "confirm");
    assert!(
        !c.text.contains("#1 ") && !c.text.contains("Revisi DIPA"),
        "{}",
        c.text
    );
    assert!(
        !w.kinds_to(&w.cso1().address)
            .contains(&"desk_answer".to_string())
    );
    w.deliver(
        &answer(&w.cso1(), &c, "x2@cso.test", "Re: x", "ya"),
        wita(3, 17, 11, 5),
    );
    assert!(
        newest(&w, &w.cso1().address, "desk_answer")
            .text
            .contains("#1 ")
    );
}

#[test]
fn a_reply_to_a_desk_mail_with_nothing_to_do_is_told_so() {
    let mut w = harness();
    let s = standing(&mut w);
    w.deliver(
        &answer(&w.cso1(), &s, "n1@cso.test", "Re: x", "Terima kasih."),
        wita(3, 17, 10, 5),
    );
    assert!(
        newest(&w, &w.cso1().address, "desk_answer")
            .text
            .contains("tidak menemukan formulir")
    );
    assert_eq!(tickets(&w), 0);
}

// ----- real clients ------------------------------------------------------------------

#[test]
fn a_form_answering_the_standing_mail_reads_the_same_from_every_client() {
    use support::clients::{Author, Client, Placement, reply_as};
    let text = "Nama: Siti Aminah\nInstansi: Satker 123456 Dinas PUPR Kab. Bulungan\n\
                Kontak: siti@pupr-bulungan.example.test / 0812 3456 7890\nLayanan: KONS\n\
                Pertanyaan: Bagaimana cara revisi DIPA\nuntuk pagu belanja modal?\n\
                Jawaban: Revisi diajukan lewat SAKTI.\n\nSalam,\nPetugas CSO 1";
    for client in Client::ALL {
        for lang in client.languages() {
            let mut w = harness();
            let s = standing(&mut w);
            let author = Author {
                name: "Petugas CSO 1",
                address: &w.cso1().address,
            };
            let raw = reply_as(
                client,
                *lang,
                &author,
                &s,
                "c@cso.test",
                text,
                Placement::Above,
            );
            let out = w.deliver(&raw, wita(3, 17, 10, 5));
            let case = format!("{} {}", client.name(), lang.code());
            assert_eq!(
                out,
                Outcome::New { ticket: 1 },
                "{case}: {:?}",
                w.kinds_to(&w.cso1().address)
            );
            let t = w.ticket(1);
            assert_eq!(t.channel, Channel::TatapMuka, "{case}");
            assert_eq!(t.requester, VISITOR, "{case}");
            assert_eq!(t.status, Status::Resolved, "{case}");
            let a = newest(&w, VISITOR, "resolved");
            assert!(
                a.text.contains("Revisi diajukan lewat SAKTI."),
                "{case}: {}",
                a.text
            );
            assert!(
                !a.text.contains("Petugas CSO 1\nKPPN"),
                "{case}: {}",
                a.text
            );
            // Nothing of the quoted standing mail reached the question.
            let r = newest(&w, &w.cso1().address, "recorded");
            assert!(
                !r.text.contains("Cara mencatat satu konsultasi"),
                "{case}: {}",
                r.text
            );
            assert!(
                r.text.contains("untuk pagu belanja modal?"),
                "{case}: {}",
                r.text
            );
        }
    }
}

#[test]
fn a_quote_without_any_attribution_is_cut_where_the_standing_mail_begins() {
    // Some phone clients append the mail answered after a blank line, unmarked: the
    // daemon knows what it sent and cuts there, or the quoted empty form would be read
    // as a second form.
    let mut w = harness();
    let s = standing(&mut w);
    let body = format!("{}\n\n{}", form(VISITOR, "Sudah dijawab."), s.text)
        .replace("-- \nPetugas CSO 1\nKPPN Tanjung Selor\n", "");
    let out = w.deliver(
        &answer(
            &w.cso1(),
            &s,
            "nq@cso.test",
            &format!("Re: {}", s.subject),
            &body,
        ),
        wita(3, 17, 10, 5),
    );
    assert_eq!(
        out,
        Outcome::New { ticket: 1 },
        "{:?}",
        w.kinds_to(&w.cso1().address)
    );
    assert_eq!(w.ticket(1).status, Status::Resolved);
}

#[test]
fn an_escalated_call_without_email_adds_no_event_per_tick() {
    let mut w = harness();
    record_call(&mut w, "[TELEPON]");
    let r = newest(&w, &w.cso1().address, "recorded");
    let esc = answer(
        &w.cso1(),
        &r,
        "e2@cso.test",
        &format!("Re: {}", r.subject),
        "#eskalasi pd\nMohon arahan.",
    );
    w.deliver(&esc, wita(3, 17, 10, 10));
    assert_eq!(w.status(1), Status::Escalated);
    let events = w.events(1).len();
    // The daily progress reply cannot be mailed to a phone number; ticks go on.
    for minute in 0..5 {
        w.tick(wita(3, 25, 9, minute));
    }
    assert_eq!(w.events(1).len(), events, "{:?}", w.events(1));
}

#[test]
fn each_channel_and_its_english_alias_names_the_tickets_channel() {
    let mut w = harness();
    let s = standing(&mut w);
    let cases = [
        ("Re: [TATAP MUKA] Catat konsultasi", Channel::TatapMuka),
        ("[walk-in]", Channel::TatapMuka),
        ("[Telepon] Pak Budi", Channel::Telepon),
        ("[PHONE]", Channel::Telepon),
        ("Fwd: [wa]", Channel::Wa),
        ("[WhatsApp]", Channel::Wa),
        ("[HAI CSO] tiket OM SPAN", Channel::HaiCso),
        ("[haicso]", Channel::HaiCso),
    ];
    for (i, (subject, channel)) in cases.iter().enumerate() {
        let out = w.deliver(
            &answer(
                &w.cso1(),
                &s,
                &format!("ch{i}@cso.test"),
                subject,
                &form(VISITOR, "Sudah."),
            ),
            wita(3, 17, 10, 5),
        );
        let id = i as i64 + 1;
        assert_eq!(out, Outcome::New { ticket: id }, "{subject}");
        assert_eq!(w.ticket(id).channel, *channel, "{subject}");
    }
}

#[test]
fn an_automatic_reply_to_the_standing_mail_does_nothing() {
    let mut w = harness();
    let s = standing(&mut w);
    let parent = bare(&s.message_id).to_string();
    let raw = mail_with(
        &w.cso1(),
        OFFICE,
        &format!("Automatic reply: {}", s.subject),
        "ooo@cso.test",
        &[
            "Auto-Submitted: auto-replied",
            &format!("In-Reply-To: <{parent}>"),
        ],
        &form(VISITOR, "Saya sedang cuti."),
    );
    let out = w.deliver(&raw, wita(3, 17, 10, 5));
    assert!(matches!(out, Outcome::StoredOnly { .. }), "{out:?}");
    assert_eq!(tickets(&w), 0);
    assert_eq!(w.kinds_to(&w.cso1().address), ["standing"]);
}

// ----- the paper SKM questionnaire ---------------------------------------------------

#[test]
fn a_paper_skm_form_answering_the_standing_mail_is_recorded_and_a_forged_one_is_not() {
    let mut w = harness();
    let s = standing(&mut w);
    // A consultation to rate: a visit answered at once.
    let visit = answer(
        &w.cso1(),
        &s,
        "f1@cso.test",
        "[TATAP MUKA]",
        &form(VISITOR, "Lewat SAKTI."),
    );
    assert_eq!(
        w.deliver(&visit, wita(3, 17, 10, 5)),
        Outcome::New { ticket: 1 }
    );
    let responses = |w: &Harness| w.count("SELECT COUNT(*) FROM skm_responses");
    // Forged: a CSO's From with no capability. Nothing recorded until confirmed.
    let forged = mail(
        &w.cso1(),
        OFFICE,
        "[SKM] #1",
        "skm-forged@x.test",
        "1 1 1 1 1 1 1 1 1\n",
    );
    w.deliver(&forged, wita(3, 17, 10, 10));
    assert_eq!(responses(&w), 0);
    assert!(
        w.kinds_to(&w.cso1().address)
            .contains(&"confirm".to_string())
    );
    // The CSO's own entry, replying to the standing mail with the subject changed.
    let paper = answer(
        &w.cso1(),
        &s,
        "skm1@cso.test",
        "[SKM] #1",
        "4 4 3 4 4 4 4 3 4\nKomentar: pelayanan cepat\n",
    );
    w.deliver(&paper, wita(3, 17, 11, 0));
    assert_eq!(responses(&w), 1);
    assert_eq!(
        w.count("SELECT u3 + u8 FROM skm_responses WHERE ticket_id = 1 AND source = 'paper'"),
        6
    );
    assert!(
        newest(&w, &w.cso1().address, "survey_entered")
            .subject
            .contains("SKM")
    );
    // A form without its ticket number is refused with what to fix.
    let unnamed = answer(
        &w.cso1(),
        &s,
        "skm2@cso.test",
        "[SKM]",
        "4 4 4 4 4 4 4 4 4\n",
    );
    w.deliver(&unnamed, wita(3, 17, 11, 5));
    assert_eq!(responses(&w), 1);
    assert!(
        newest(&w, &w.cso1().address, "survey_refused")
            .text
            .contains("Nomor tiket")
    );
}
