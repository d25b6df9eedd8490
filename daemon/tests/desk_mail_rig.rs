//! Consultations recorded by a CSO, end to end on the real rig (issue 11 §1): the
//! standing "catat konsultasi" mail arrives in the CSO's real inbox, the CSO answers it
//! over SMTP with the form, and what the visitor, the CSO, the section head and the
//! head of office receive is read from their inboxes. The many forms, clients and
//! trust cases are on the harness (`desk_mail.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::desk::{self, Received, bare, inbox, mail_with, once_at, wita};
use support::world::{OFFICE, World, last, nth, world_with};

use chrono::NaiveDate;
use loketd::rules::kinds::Channel;
use loketd::rules::ticket::Status;

/// The CSO answers `to` (a mail in their inbox) with `subject` and `body`.
fn cso_answers(w: &World, to: &Received, id: &str, subject: &str, body: &str) {
    let parent = bare(&to.message_id).to_string();
    let raw = mail_with(
        w.rig.cso1(),
        OFFICE,
        subject,
        id,
        &[
            &format!("In-Reply-To: <{parent}>"),
            &format!("References: <{parent}>"),
        ],
        body,
    );
    w.deliver_and_run(w.rig.cso1(), &raw, wita(3, 17, 10, 5));
}

fn form(kontak: &str, jawaban: &str) -> String {
    format!(
        "Nama: Siti Aminah\nInstansi: Satker 123456 Dinas PUPR Kab. Bulungan\nKontak: {kontak}\n\
         Layanan: KONS\nPertanyaan: Bagaimana cara revisi DIPA untuk belanja modal?\n\
         Jawaban: {jawaban}\n\n-- \nPetugas CSO 1\n"
    )
}

#[test]
fn consultations_recorded_by_mail_reach_the_visitor_the_cso_and_the_clocks() {
    let w = world_with(|t| t.replace("standing_mail_days = 0", "standing_mail_days = 30"));
    let rig = &w.rig;
    // The first pass in office hours sends each CSO the standing mail.
    once_at(&w.desk, wita(3, 17, 8, 0));
    let standing = nth(rig, rig.cso1(), 1);
    assert!(
        standing.subject.contains("[TATAP MUKA]"),
        "{}",
        standing.subject
    );
    nth(rig, rig.cso2(), 1);
    assert!(rig.messages(rig.kasi(), "INBOX").is_empty());

    // 1. Answered at the desk: resolved at once, the visitor mailed the answer.
    let visitor = rig.stakeholder();
    cso_answers(
        &w,
        &standing,
        "v1@kppn-tanjungselor.example",
        &format!("Re: {}", standing.subject),
        &form(&visitor.address, "Revisi diajukan melalui aplikasi SAKTI."),
    );
    let t = w.ticket(1);
    assert_eq!(
        (t.channel, t.status),
        (Channel::TatapMuka, Status::Resolved)
    );
    assert_eq!(t.resolved_at, Some(wita(3, 17, 10, 0)));
    let got = nth(rig, visitor, 1);
    assert!(
        got.text.contains("Revisi diajukan melalui aplikasi SAKTI."),
        "{}",
        got.text
    );
    assert!(got.text.contains("Resolved"), "{}", got.text);
    assert!(got.subject.contains("#1"), "{}", got.subject);

    // 2. Not answered, the visitor gave an email: acknowledged with the 3-working-day
    // date, and the CSO escalates it by replying to the record.
    let second = rig.stakeholder2();
    cso_answers(
        &w,
        &standing,
        "v2@kppn-tanjungselor.example",
        &format!("Re: {}", standing.subject),
        &form(&second.address, ""),
    );
    let t = w.ticket(2);
    assert_eq!(t.status, Status::New);
    assert_eq!(t.expected_on, NaiveDate::from_ymd_opt(2026, 3, 27));
    let ack = nth(rig, second, 1);
    assert!(ack.text.contains("Jumat, 27 Maret 2026"), "{}", ack.text);
    let records = inbox(rig, rig.cso1(), 3);
    let record2 = last(&records);
    assert!(record2.subject.contains("#2"), "{}", record2.subject);
    cso_answers(
        &w,
        &record2,
        "v2e@kppn-tanjungselor.example",
        &format!("Re: {}", record2.subject),
        "#eskalasi pd\nMohon konfirmasi Kasi PD atas revisi belanja modal.",
    );
    assert_eq!(w.ticket(2).status, Status::Escalated);
    let kasi = nth(rig, rig.kasi(), 1);
    assert!(kasi.subject.contains("#2"), "{}", kasi.subject);

    // 3. Not answered, a phone number only: the CSO gets the printable receipt.
    cso_answers(
        &w,
        &standing,
        "v3@kppn-tanjungselor.example",
        "Re: Catat konsultasi [TELEPON]",
        &form("0812 3456 7890", ""),
    );
    let t = w.ticket(3);
    assert_eq!(
        (t.channel, t.requester.as_str()),
        (Channel::Telepon, "tel:081234567890")
    );
    let record3 = nth(rig, rig.cso1(), 4);
    let files = record3.attachments();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].0, "tanda-terima-tiket-3.html");
    assert!(
        files[0].1.contains("Jumat, 27 Maret 2026"),
        "{}",
        files[0].1
    );

    // 4. A bad form: the CSO hears what to fix; nothing is created.
    cso_answers(
        &w,
        &standing,
        "v4@kppn-tanjungselor.example",
        &format!("Re: {}", standing.subject),
        "Nama: Budi\nInstansi: Satker 999999\nKontak: budi@example.test\nLayanan: ABC\nPertanyaan: x\n",
    );
    let fix = nth(rig, rig.cso1(), 5);
    assert!(fix.text.contains("Layanan: kode `ABC`"), "{}", fix.text);
    assert_eq!(
        w.store()
            .conn()
            .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        3
    );

    // 5. Three working days after the visit (Idulfitri in between), the unanswered
    // phone consultation is told to its CSO and the head of office; the escalated one
    // runs on the escalation clocks instead.
    once_at(&w.desk, wita(3, 27, 16, 10));
    let reminder = |m: &Received| m.text.contains("BATAS 3 HARI KERJA");
    let kepala = desk::inbox_with(rig, rig.kepala(), "the visit reminder", reminder);
    let visit: Vec<&Received> = kepala.iter().filter(|m| reminder(m)).collect();
    assert_eq!(
        visit.len(),
        1,
        "{:?}",
        kepala.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(visit[0].subject.contains("#3"), "{}", visit[0].subject);
    desk::inbox_with(rig, rig.cso1(), "the CSO's visit reminder", |m| {
        m.subject.contains("#3") && reminder(m)
    });
}
