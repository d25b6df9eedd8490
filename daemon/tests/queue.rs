//! The staff's view of their work by mail, on the workflow harness: the daily digest
//! per role on a moved clock (none on a holiday, a weekend or an empty day, once a day
//! across restarts), the requester's earlier tickets in a new ticket's notification,
//! canned answers (`#templat`), and answers read from a shared mailbox's sent folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, TimeZone, Utc};
use support::desk::{DIGEST_OFF, DIGEST_ON, Received, mail, reply, wita};
use support::harness::{Harness, OFFICE};
use support::rig::Account;

use loketd::rules::ticket::Status;
use loketd::workflow::ingest::Outcome;
use loketd::workflow::mailbox_answer::{self, SentOutcome};

const KASI: &str = "kasi.pd@kppn-tanjungselor.example";

fn with_digest() -> Harness {
    Harness::with(|t| t.replace(DIGEST_OFF, DIGEST_ON))
}

/// `who` asks `subject` at `now` (no tick); returns CSO1's notification.
fn ask(w: &mut Harness, who: &Account, subject: &str, now: DateTime<Utc>) -> Received {
    let raw = mail(
        who,
        OFFICE,
        subject,
        &format!("q{}.{}@satker.example.test", now.timestamp(), subject.len()),
        "Mohon penjelasan.",
    );
    assert!(matches!(w.ingest(&raw, now), Outcome::New { .. }));
    w.sent_to(&w.cso1().address)
        .pop()
        .expect("notification")
        .mail
}

/// The digests queued so far to `who`.
fn digests(w: &Harness, who: &str) -> Vec<Received> {
    w.sent_to(who)
        .into_iter()
        .filter(|s| s.kind == "digest")
        .map(|s| s.mail)
        .collect()
}

/// Four tickets on Monday 16 March 2026, seen by Tuesday's 07:30 digest: #1 unanswered
/// and late, #2 due at 08:10, #3 escalated to PD by CSO 1, #4 awaiting documents (CSO 1).
fn monday(w: &mut Harness) {
    let s1 = w.stakeholder();
    let s2 = w.stakeholder2();
    ask(
        w,
        &s1,
        "[KONS] SP2D belum masuk rekening",
        wita(3, 16, 10, 0),
    );
    ask(w, &s2, "[KONS] Revisi DIPA", wita(3, 16, 15, 50));
    let n3 = ask(w, &s1, "[KONS] Retur SP2D", wita(3, 16, 10, 30));
    let r = reply(
        &w.cso1(),
        &n3,
        "e3@cso.test",
        &[],
        "#eskalasi pd\nMohon dicek.",
    );
    w.ingest(&r, wita(3, 16, 10, 40));
    let n4 = ask(w, &s2, "[KONS] Pagu minus", wita(3, 16, 11, 0));
    let r = reply(
        &w.cso1(),
        &n4,
        "d4@cso.test",
        &[],
        "#dokumen\nMohon kirim SPM.",
    );
    w.ingest(&r, wita(3, 16, 11, 5));
    assert_eq!(w.status(3), Status::Escalated);
    assert_eq!(w.status(4), Status::AwaitingDocuments);
}

/// The lines of `text` from the one starting with `title` to the next blank line.
fn section(text: &str, title: &str) -> String {
    let start = text
        .find(title)
        .unwrap_or_else(|| panic!("no {title:?} in:\n{text}"));
    text[start..].split("\n\n").next().unwrap().to_string()
}

#[test]
fn each_role_gets_its_own_digest_at_the_configured_time() {
    let mut w = with_digest();
    monday(&mut w);
    // Not before 07:30.
    assert_eq!(w.tick(wita(3, 17, 7, 29)).digests, 0);
    let report = w.tick(wita(3, 17, 7, 30));
    // CSO 1, CSO 2, the head of PD and the head of office; the other heads have nothing.
    assert_eq!(report.digests, 4);
    assert!(digests(&w, "kasi.mska@kppn-tanjungselor.example").is_empty());

    let cso1 = &digests(&w, &w.cso1().address)[0];
    assert_eq!(
        cso1.subject,
        "Ringkasan harian Selasa, 17 Maret 2026: 4 tiket"
    );
    let t = &cso1.text;
    assert!(t.contains("Yth. Petugas CSO 1,"), "{t}");
    let late = section(t, "TERLAMBAT (1)");
    assert!(
        late.contains("[KPPN-TSL #1] SP2D belum masuk rekening"),
        "{late}"
    );
    assert!(late.contains(&w.stakeholder().address), "{late}");
    assert!(
        late.contains("batas penyelesaian: Senin, 16 Maret 2026 pukul 10.20 WITA"),
        "{late}"
    );
    let today = section(t, "JATUH TEMPO HARI INI (1)");
    assert!(today.contains("[KPPN-TSL #2] Revisi DIPA"), "{today}");
    assert!(today.contains("pukul 08.10 WITA"), "{today}");
    let esc = section(t, "DIESKALASI (menunggu Kepala Seksi) (1)");
    assert!(esc.contains("[KPPN-TSL #3] Retur SP2D"), "{esc}");
    assert!(
        esc.contains("batas eskalasi: Kamis, 26 Maret 2026"),
        "{esc}"
    );
    let docs = section(t, "MENUNGGU DOKUMEN DARI STAKEHOLDER (1)");
    assert!(docs.contains("[KPPN-TSL #4] Pagu minus"), "{docs}");
    assert!(t.contains("tulis #tiket <nomor> di baris pertama"), "{t}");
    assert!(
        docs.contains("tindak lanjut: balas dengan #tiket 4"),
        "{docs}"
    );
    assert!(t.contains("\"[KPPN-TSL #nomor]\""), "{t}");
    assert!(t.contains("balas surel ini"), "{t}");

    // CSO 2 got #1 and #2 (sent to every CSO, nobody holds them), not CSO 1's tickets.
    let cso2 = &digests(&w, &w.cso2().address)[0];
    assert!(cso2.text.contains("[KPPN-TSL #1]") && cso2.text.contains("[KPPN-TSL #2]"));
    assert!(!cso2.text.contains("[KPPN-TSL #3]") && !cso2.text.contains("[KPPN-TSL #4]"));

    // The head of PD: the escalation and its deadline; nothing else.
    let kasi = &digests(&w, KASI)[0];
    let esc = section(&kasi.text, "ESKALASI LAINNYA (1)");
    assert!(esc.contains("[KPPN-TSL #3] Retur SP2D"), "{esc}");
    assert!(esc.contains("pemegang: Petugas CSO 1"), "{esc}");
    for n in [1, 2, 4] {
        assert!(!kasi.text.contains(&format!("#{n}]")), "{}", kasi.text);
    }

    // The head of office: the figures since Monday, the late ticket listed.
    let kepala = &digests(&w, &w.kepala().address)[0];
    let k = &kepala.text;
    assert!(k.contains("KANTOR SEJAK SENIN, 16 MARET 2026"), "{k}");
    assert!(k.contains("Tiket baru         : 4"), "{k}");
    assert!(k.contains("Tiket diselesaikan : 0"), "{k}");
    assert!(
        k.contains("Belum selesai kini : 4, di antaranya terlambat 1"),
        "{k}"
    );
    assert!(
        k.contains("IKM sejauh ini     : belum ada responden"),
        "{k}"
    );
    assert!(
        k.contains("(SKM PermenPANRB 14/2017, Semester I 2026)"),
        "{k}"
    );
    assert!(!k.contains("Penilaian cepat"), "{k}");
    let late = section(k, "TIKET TERLAMBAT DI KANTOR (1)");
    assert!(late.contains("[KPPN-TSL #1]"), "{late}");

    // Each is its own desk capability: ticket number 0, a fresh nonce per mail, queued
    // without a ticket.
    for d in [cso1, cso2, kasi, kepala] {
        assert!(d.message_id.contains("loket.0."), "{}", d.message_id);
    }
    assert_ne!(cso1.message_id, cso2.message_id);
    // What a reply to it can do, and it does: `#antrean` answered from the desk.
    assert!(t.contains("#antrean (#queue)"), "{t}");
    let r = reply(&w.cso1(), cso1, "queue@cso.test", &[], "#antrean");
    w.ingest(&r, wita(3, 17, 7, 45));
    let answer = w.sent_to(&w.cso1().address).pop().unwrap();
    assert_eq!(answer.kind, "desk_answer", "{}", answer.mail.text);
    assert!(answer.mail.text.contains("#1"), "{}", answer.mail.text);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM outbox WHERE kind = 'digest' AND ticket_id IS NULL"),
        4
    );
}

#[test]
fn a_section_head_holding_an_escalation_sees_it_with_the_sections_once() {
    let mut w = with_digest();
    monday(&mut w);
    // The head of PD takes #3 (escalated to PD) with `#ambil`.
    let escalation = w.nth(&w.kasi(), 1);
    let r = reply(&w.kasi(), &escalation, "take3@kasi.test", &[], "#ambil");
    w.ingest(&r, wita(3, 16, 14, 0));
    assert_eq!(w.ticket(3).assignee.as_deref(), Some(KASI));
    w.tick(wita(3, 17, 7, 30));
    let d = &digests(&w, KASI)[0];
    assert_eq!(d.text.matches("[KPPN-TSL #3]").count(), 1, "{}", d.text);
    assert!(
        section(&d.text, "ESKALASI LAINNYA (1)").contains("[KPPN-TSL #3]"),
        "{}",
        d.text
    );
    assert!(!d.text.contains("menunggu Kepala Seksi"), "{}", d.text);
}

#[test]
fn no_digest_on_a_holiday_a_weekend_or_a_day_with_nothing_to_report() {
    let mut w = with_digest();
    // An empty office on a working day: nobody gets an empty digest.
    assert_eq!(w.tick(wita(3, 16, 7, 45)).digests, 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM outbox"), 0);
    monday(&mut w);
    // Questions that come after the day's (empty) digests were made bring none that day.
    assert_eq!(w.tick(wita(3, 16, 16, 0)).digests, 0);
    // Wednesday 18 March 2026 is cuti bersama, Thursday Nyepi, Saturday and Sunday the
    // weekend: nothing, at any hour.
    for (day, hour) in [(18, 7), (18, 12), (19, 9), (21, 8), (22, 10)] {
        assert_eq!(w.tick(wita(3, day, hour, 30)).digests, 0, "March {day}");
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM outbox WHERE kind = 'digest'"),
        0
    );
    // The first working day after them (Wednesday 25 March; 23 and 24 are cuti
    // bersama) has its digest.
    assert_eq!(w.tick(wita(3, 23, 8, 0)).digests, 0);
    assert_eq!(w.tick(wita(3, 25, 7, 30)).digests, 4);
}

#[test]
fn one_digest_per_person_and_day_across_restarts_and_a_late_start() {
    let mut w = with_digest();
    monday(&mut w);
    let cso1 = w.cso1().address;
    // The daemon was down at 07:30 on Tuesday: the digest goes out when it comes up.
    assert_eq!(w.tick(wita(3, 17, 9, 45)).digests, 4);
    w.restart();
    for (h, m) in [(9, 46), (12, 0), (15, 59)] {
        assert_eq!(w.tick(wita(3, 17, h, m)).digests, 0);
    }
    assert_eq!(digests(&w, &cso1).len(), 1);
    // A question after the digest does not bring a second digest that day, even to a
    // CSO whose first digest was empty... (CSO 2 has #1 and #2; the head of MSKKI had
    // nothing): the day's digests are made once.
    let s = w.stakeholder();
    ask(&mut w, &s, "[KONS] Pertanyaan siang", wita(3, 17, 13, 0));
    w.restart();
    assert_eq!(w.tick(wita(3, 17, 13, 1)).digests, 0);
    // Down from Tuesday evening until Thursday 26 March 14:00: only Thursday's digest,
    // none for the days missed.
    assert_eq!(w.tick(wita(3, 26, 14, 0)).digests, 4);
    let all = digests(&w, &cso1);
    assert_eq!(all.len(), 2);
    assert!(
        all[1]
            .subject
            .starts_with("Ringkasan harian Kamis, 26 Maret 2026")
    );
    assert!(
        all[1].text.contains("[KPPN-TSL #5] Pertanyaan siang"),
        "{}",
        all[1].text
    );
}

// ----- earlier tickets ----------------------------------------------------------------

#[test]
fn a_new_ticket_notification_shows_the_requesters_earlier_tickets() {
    let mut w = Harness::new();
    let s = w.stakeholder();
    let first = ask(&mut w, &s, "[KONS] Pertama", wita(3, 16, 9, 0));
    assert!(!first.text.contains("Tiket sebelumnya"), "{}", first.text);
    ask(&mut w, &s, "[KONS] Kedua", wita(3, 16, 9, 10));
    let n3 = ask(&mut w, &s, "[KONS] Ketiga", wita(3, 16, 9, 20));
    let r = reply(&w.cso1(), &n3, "s3@cso.test", &[], "#selesai\nSudah.");
    w.ingest(&r, wita(3, 16, 9, 30));
    // Another requester's tickets are not theirs.
    let s2 = w.stakeholder2();
    ask(&mut w, &s2, "[KONS] Orang lain", wita(3, 16, 9, 35));
    let n = ask(&mut w, &s, "[KONS] Keempat", wita(3, 16, 9, 40));
    let t = &n.text;
    assert!(t.contains("Tiket sebelumnya dari pengirim ini: 3:"), "{t}");
    let at = t.find("#3 Ketiga").expect(t);
    assert!(
        t[at..].starts_with("#3 Ketiga [Resolved, 16 Maret 2026]"),
        "{t}"
    );
    assert!(t.contains("#2 Kedua [Baru, 16 Maret 2026]"), "{t}");
    assert!(t.contains("#1 Pertama [Baru"), "{t}");
    assert!(!t.contains("Orang lain"), "{t}");
    // Newest first.
    assert!(t.find("#3 Ketiga").unwrap() < t.find("#1 Pertama").unwrap());
    // Four and more: the count and the last three.
    let n = ask(&mut w, &s, "[KONS] Kelima", wita(3, 16, 9, 50));
    assert!(
        n.text
            .contains("Tiket sebelumnya dari pengirim ini: 4 (3 terakhir):"),
        "{}",
        n.text
    );
    assert!(!n.text.contains("#1 Pertama"), "{}", n.text);
}

#[test]
fn a_sender_of_more_than_a_hundred_earlier_tickets_is_told_as_100_plus() {
    let mut w = Harness::new();
    let s = w.stakeholder();
    let start = wita(3, 16, 8, 0);
    let ask_n = |w: &mut Harness, i: i64| {
        let now = start + chrono::Duration::minutes(i);
        let raw = mail(
            &s,
            OFFICE,
            &format!("[KONS] Pertanyaan {i}"),
            &format!("many{i}@satker.example.test"),
            "Mohon penjelasan.",
        );
        assert!(matches!(w.ingest(&raw, now), Outcome::New { .. }));
    };
    for i in 0..100 {
        ask_n(&mut w, i);
    }
    // Exactly one hundred before it: counted.
    let n = ask(
        &mut w,
        &s,
        "[KONS] Ke-101",
        start + chrono::Duration::minutes(100),
    );
    assert!(
        n.text
            .contains("Tiket sebelumnya dari pengirim ini: 100 (3 terakhir):"),
        "{}",
        n.text
    );
    // More than that: not counted to the end.
    let n = ask(
        &mut w,
        &s,
        "[KONS] Ke-102",
        start + chrono::Duration::minutes(101),
    );
    assert!(
        n.text
            .contains("Tiket sebelumnya dari pengirim ini: 100+ (3 terakhir):"),
        "{}",
        n.text
    );
    assert!(n.text.contains("#101 Ke-101"), "{}", n.text);
}

// ----- canned answers -----------------------------------------------------------------

#[test]
fn templat_inserts_the_faq_answer_as_plain_text() {
    let mut w = Harness::new();
    let s = w.stakeholder();
    let n = ask(&mut w, &s, "[KONS] Apakah berbayar?", wita(3, 16, 9, 0));
    // The cheat sheet lists the service's entries.
    assert!(
        n.text
            .contains("biaya-konsultasi: Apakah layanan konsultasi dipungut biaya?"),
        "{}",
        n.text
    );
    let r = reply(
        &w.cso1(),
        &n,
        "t1@cso.test",
        &[],
        "#selesai\nYth. Bapak/Ibu,\n\n#templat biaya-konsultasi\n\nSalam,\nCSO 1",
    );
    w.ingest(&r, wita(3, 16, 9, 10));
    assert_eq!(w.status(1), Status::Resolved);
    let a = w.nth(&w.stakeholder(), 2);
    let t = a.text.replace("\r\n", "\n");
    assert!(!t.contains("#templat"), "{t}");
    assert!(
        t.contains(
            "Tidak. Layanan Konsultasi Stakeholder tidak dipungut biaya, baik secara tatap muka"
        ),
        "{t}"
    );
    // The link, made absolute on the site; no Markdown left.
    assert!(
        t.contains("Biaya/Tarif (https://")
            && t.contains("/layanan/konsultasi-stakeholder/#biaya)"),
        "{t}"
    );
    assert!(!t.contains("**") && !t.contains("]("), "{t}");
    // In place: after the greeting, before the sign-off.
    let (g, f, c) = (
        t.find("Yth. Bapak/Ibu").unwrap(),
        t.find("Tidak. Layanan").unwrap(),
        t.find("CSO 1").unwrap(),
    );
    assert!(g < f && f < c, "{t}");
}

#[test]
fn an_unknown_templat_sends_nothing_and_tells_the_cso_the_close_matches() {
    let mut w = Harness::new();
    let s = w.stakeholder();
    let n = ask(&mut w, &s, "[KONS] Apakah berbayar?", wita(3, 16, 9, 0));
    let r = reply(
        &w.cso1(),
        &n,
        "t2@cso.test",
        &[],
        "#selesai\nYth. Bapak/Ibu,\n#templat biaya-konsultsi\nSalam",
    );
    w.ingest(&r, wita(3, 16, 9, 10));
    // Nothing reached the stakeholder (the acknowledgement only); nothing changed.
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    assert_eq!(w.status(1), Status::New);
    assert_eq!(w.ticket(1).first_response_at, None);
    let told = w.nth(&w.cso1(), 2);
    assert!(
        told.text.contains("`biaya-konsultsi` tidak ada"),
        "{}",
        told.text
    );
    assert!(told.text.contains("TIDAK dikirim"), "{}", told.text);
    assert!(
        told.text
            .contains("  biaya-konsultasi (Apakah layanan konsultasi dipungut biaya?)"),
        "{}",
        told.text
    );
    // Its reply with the right name goes out.
    let r = reply(
        &w.cso1(),
        &told,
        "t3@cso.test",
        &[],
        "#selesai\n#templat biaya-konsultasi",
    );
    w.ingest(&r, wita(3, 16, 9, 15));
    let last = w.sent_to(&w.cso1().address).pop().unwrap();
    assert_eq!(
        w.status(1),
        Status::Resolved,
        "{}: {}",
        last.kind,
        last.mail.text
    );
    let a = w.nth(&w.stakeholder(), 2);
    assert!(a.text.contains("tidak dipungut biaya"), "{}", a.text);
}

#[test]
fn a_broken_canned_answer_stops_the_start_naming_its_file_and_line() {
    let site = support::desk::shipped_site();
    let path = site.root().join("content/tanya-jawab/rusak.md");
    std::fs::write(
        &path,
        "+++\nservice = \"KONS\"\n+++\n\nJawaban tanpa judul.\n",
    )
    .unwrap();
    let err = loketd::desk::Desk::load(site.root())
        .err()
        .expect("a broken entry is refused")
        .to_string();
    assert!(err.contains("rusak.md:2"), "{err}");
    assert!(err.contains("`title` is missing"), "{err}");
    // An entry about a standard that does not exist, too.
    std::fs::write(
        &path,
        "+++\ntitle = \"Apa?\"\nservice = \"XYZ\"\n+++\n\nJawaban.\n",
    )
    .unwrap();
    let err = loketd::desk::Desk::load(site.root())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("rusak.md:3"), "{err}");
    assert!(
        err.contains("no standard has the code or slug \"XYZ\""),
        "{err}"
    );
}

#[test]
fn the_head_of_office_hears_when_the_holiday_data_runs_out() {
    let mut w = with_digest();
    let at = |y, mo, d, h, mi| {
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    // The shipped file ends with 2027: before November nothing (an empty office).
    assert_eq!(w.tick(at(2027, 10, 29, 7, 30)).digests, 0);
    // From 1 November, the head of office's digest says so, even with no ticket.
    assert_eq!(w.tick(at(2027, 11, 1, 7, 30)).digests, 1);
    let d = &digests(&w, &w.kepala().address)[0];
    assert!(d.text.contains("PERHATIAN: data hari libur"), "{}", d.text);
    assert!(
        d.text
            .contains("hari-libur.toml: the holiday file ends with 2027"),
        "{}",
        d.text
    );
    assert!(digests(&w, &w.cso1().address).is_empty());
}

// ----- answers from a shared mailbox's sent folder (the rig test covers IMAP) -------------

/// A mail in the office's sent folder, as Thunderbird files it: from the office, in
/// reply to the stakeholder's question `ask.1@satker.example.test`.
fn in_sent(w: &mut Harness, uid: u32, body: &str, now: DateTime<Utc>) -> SentOutcome {
    let office = Account {
        address: OFFICE.into(),
        ..w.cso1()
    };
    let raw = support::desk::mail_with(
        &office,
        &w.stakeholder().address,
        "Re: [KONS] SP2D belum masuk rekening",
        &format!("tb{uid}@kppn-tanjungselor.example"),
        &[
            "In-Reply-To: <ask.1@satker.example.test>",
            "References: <ask.1@satker.example.test>",
        ],
        body,
    );
    sent_raw(w, uid, &raw, now)
}

fn sent_raw(w: &mut Harness, uid: u32, raw: &[u8], now: DateTime<Utc>) -> SentOutcome {
    let src = loketd::workflow::ingest::Source {
        folder: "Sent".into(),
        uidvalidity: 1,
        uid,
    };
    mailbox_answer::ingest_sent(&mut w.store, &w.desk, &src, raw, now).unwrap()
}

#[test]
fn an_answer_from_the_sent_folder_keeps_its_attachment_on_the_ticket() {
    let mut w = Harness::new();
    question(&mut w);
    // A letter sent from the shared mailbox with a PDF, as Thunderbird writes it.
    let pdf: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let lines = support::desk::base64_lines(&pdf, 72);
    let raw = format!(
        "From: {OFFICE}\r\nTo: {}\r\nSubject: Re: [KONS] SP2D belum masuk rekening\r\n\
         Message-ID: <tbpdf@kppn-tanjungselor.example>\r\nIn-Reply-To: <ask.1@satker.example.test>\r\n\
         Date: Tue, 17 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\r\nTerlampir surat penjelasan.\r\n--b\r\n\
         Content-Type: application/pdf; name=\"surat.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"surat.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        w.stakeholder().address,
        lines
    );
    let o = sent_raw(&mut w, 7, raw.as_bytes(), wita(3, 17, 10, 30));
    assert_eq!(o, SentOutcome::Answer { ticket: 1 });
    // Listed on the ticket as the office's (not the stakeholder's) file, stored once.
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM attachments a JOIN messages m ON a.message_row = m.id
             WHERE m.ticket_id = 1 AND m.kind = 'staff' AND a.filename = 'surat.pdf' AND a.size = 20000"
        ),
        1
    );
    let files = loketd::store::messages::attachments_of_ticket(w.store.conn(), 1).unwrap();
    let file = files
        .iter()
        .find(|f| f.filename == "surat.pdf")
        .expect("listed");
    let kept = loketd::store::attachment_file(&w.desk.config.mail.data_dir, &file.sha256);
    assert_eq!(std::fs::read(kept).unwrap(), pdf);
    // The mail as sent comes back byte for byte from what is kept.
    let sha: String = w
        .store
        .conn()
        .query_row(
            "SELECT raw_sha256 FROM messages WHERE kind = 'staff' AND ticket_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let back = loketd::store::raw::read(&w.desk.config.mail.data_dir, &sha).unwrap();
    assert_eq!(back, raw.as_bytes());
}

#[test]
fn commands_the_sent_folder_does_not_run_are_told_to_the_csos() {
    let mut w = Harness::new();
    question(&mut w);
    let before = w.sent_to(&w.cso1().address).len();
    let o = in_sent(
        &mut w,
        3,
        "Sudah kami proses.\n#selesai\n#dokumen\n#catatan untuk tim",
        wita(3, 17, 10, 30),
    );
    assert_eq!(o, SentOutcome::Answer { ticket: 1 });
    // The first of the three runs.
    assert_eq!(w.ticket(1).status, Status::Resolved);
    // The rest is said, in the ticket's thread, to each CSO (never to the mailbox).
    for cso in [w.cso1(), w.cso2()] {
        let sent = w.sent_to(&cso.address);
        let note = sent.last().expect("a note");
        let text = note.mail.text.replace("\r\n", "\n");
        assert!(
            text.contains("TIDAK dijalankan: `#dokumen`, `#catatan`"),
            "{text}"
        );
        assert!(text.contains("Yang dijalankan: `#selesai`"), "{text}");
        assert!(note.mail.subject.contains("#1"), "{}", note.mail.subject);
    }
    assert_eq!(w.sent_to(&w.cso1().address).len(), before + 1);
    assert!(w.sent_to(OFFICE).is_empty());
}

#[test]
fn a_sent_folder_command_the_status_refuses_is_told_to_the_csos() {
    let mut w = Harness::new();
    question(&mut w);
    in_sent(&mut w, 1, "Sudah selesai.\n#selesai", wita(3, 17, 10, 30));
    assert_eq!(w.ticket(1).status, Status::Resolved);
    let before = w.sent_to(&w.cso1().address).len();
    // Documents asked for after "Resolved": not allowed, so not run; the CSOs hear why.
    let o = in_sent(&mut w, 2, "Mohon kirim SPM.\n#dokumen", wita(3, 17, 11, 0));
    assert_eq!(o, SentOutcome::Answer { ticket: 1 });
    assert_eq!(w.ticket(1).status, Status::Resolved);
    let sent = w.sent_to(&w.cso1().address);
    assert_eq!(sent.len(), before + 1);
    let text = sent.last().unwrap().mail.text.replace("\r\n", "\n");
    assert!(
        text.contains("memuat `#dokumen`") && text.contains("TIDAK dijalankan"),
        "{text}"
    );
    // An answer without a command to a resolved ticket is only recorded: nothing to say.
    in_sent(&mut w, 3, "Terima kasih kembali.", wita(3, 17, 11, 30));
    assert_eq!(w.sent_to(&w.cso1().address).len(), before + 1);
}

/// The stakeholder's question at 09:50 (its Message-ID `ask.1@…`); CSO 1's notification.
fn question(w: &mut Harness) -> Received {
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "[KONS] SP2D belum masuk rekening",
        "ask.1@satker.example.test",
        "Mohon penjelasan.",
    );
    assert!(matches!(
        w.ingest(&raw, wita(3, 17, 9, 50)),
        Outcome::New { .. }
    ));
    w.sent_to(&w.cso1().address).pop().unwrap().mail
}

#[test]
fn an_answer_from_the_sent_folder_meets_the_clock_at_its_date_and_is_not_relayed() {
    let mut w = Harness::new();
    let n = question(&mut w);
    // Sent at 10:00 (its Date), read at 10:30.
    let o = in_sent(
        &mut w,
        1,
        "Dana sudah kami cek, mohon ditunggu.",
        wita(3, 17, 10, 30),
    );
    assert_eq!(o, SentOutcome::Answer { ticket: 1 });
    let t = w.ticket(1);
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.first_response_at, Some(wita(3, 17, 10, 0)));
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
    // Read again (a restart before the UID state moved on): nothing twice.
    assert_eq!(
        in_sent(
            &mut w,
            1,
            "Dana sudah kami cek, mohon ditunggu.",
            wita(3, 17, 10, 31)
        ),
        SentOutcome::Duplicate
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE kind = 'staff'"),
        1
    );
    // A CSO answering afterwards is told someone already did (held, not relayed).
    let r = reply(&w.cso1(), &n, "late@cso.test", &[], "Jawaban kedua.");
    w.ingest(&r, wita(3, 17, 10, 40));
    assert_eq!(w.kinds_to(&w.cso1().address).last().unwrap(), "held");
    assert_eq!(w.kinds_to(&w.stakeholder().address), vec!["ack"]);
}

#[test]
fn eskalasi_and_dokumen_from_the_sent_folder_take_effect() {
    let mut w = Harness::new();
    question(&mut w);
    let o = in_sent(
        &mut w,
        1,
        "Pertanyaan Bapak kami teruskan.\n#eskalasi pd\n\nPada Selasa, Bendahara menulis:\n> Mohon penjelasan.",
        wita(3, 17, 10, 30),
    );
    assert_eq!(o, SentOutcome::Answer { ticket: 1 });
    let t = w.ticket(1);
    assert_eq!(t.status, Status::Escalated);
    assert_eq!(t.section.as_deref(), Some("pd"));
    assert!(t.escalation_due_at.is_some());
    // The stakeholder gets the standard's notice with the deadline; the section head
    // the thread with the person's words.
    assert_eq!(
        w.kinds_to(&w.stakeholder().address),
        vec!["ack", "escalated"]
    );
    let head = w.nth(&w.kasi(), 1);
    assert!(
        head.text.contains("Pertanyaan Bapak kami teruskan."),
        "{}",
        head.text
    );

    // An unknown section: an answer on record, and the CSOs are told (nothing silent).
    let mut w = Harness::new();
    question(&mut w);
    in_sent(
        &mut w,
        1,
        "Kami teruskan.\n#eskalasi xyz",
        wita(3, 17, 10, 30),
    );
    assert_eq!(w.status(1), Status::InProgress);
    for cso in [w.cso1(), w.cso2()] {
        let told = w.nth(&cso, 2);
        assert!(
            told.text.contains("seksi `xyz` tidak dikenal"),
            "{}",
            told.text
        );
        assert!(told.text.contains("pd, mska, vera"), "{}", told.text);
        // The answer did reach the stakeholder: the note must not say otherwise.
        assert!(
            !told.text.contains("tidak ada yang dikirim kepada"),
            "{}",
            told.text
        );
    }
    assert_eq!(w.sent_to(&w.cso1().address).len(), 2);

    let mut w = Harness::new();
    question(&mut w);
    in_sent(&mut w, 1, "#dokumen\nMohon kirim SPM.", wita(3, 17, 10, 30));
    let t = w.ticket(1);
    assert_eq!(t.status, Status::AwaitingDocuments);
    assert_eq!(t.paused_at, Some(wita(3, 17, 10, 0)));
}

#[test]
fn a_command_only_in_the_quote_or_the_daemons_own_mail_in_sent_does_nothing() {
    let mut w = Harness::new();
    let n = question(&mut w);
    // `#selesai` in the quote of an earlier mail is not the person's command: Outlook
    // quotes without `>` under a header block.
    in_sent(
        &mut w,
        1,
        "Baik, kami proses.\n\nFrom: Bendahara <bendahara@satker.example.test>\n\
         Sent: Tuesday, March 17, 2026 9:50 AM\nSubject: SP2D\n\n#selesai\nMohon penjelasan.",
        wita(3, 17, 10, 30),
    );
    assert_eq!(w.status(1), Status::InProgress);
    // The daemon's own mails found in Sent (a server that files submitted mail there):
    // the acknowledgement and the capability-carrying notification.
    let ack = w.sent_to(&w.stakeholder().address).remove(0).mail;
    assert_eq!(
        sent_raw(&mut w, 2, ack.raw.as_bytes(), wita(3, 17, 10, 31)),
        SentOutcome::Own
    );
    assert_eq!(
        sent_raw(&mut w, 3, n.raw.as_bytes(), wita(3, 17, 10, 32)),
        SentOutcome::Own
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM messages WHERE kind = 'staff'"),
        1
    );
    // Mail outside every ticket's thread.
    let other = mail(
        &w.cso1(),
        "rekan@kppn-lain.example.test",
        "Undangan rapat",
        "rapat@kppn-tanjungselor.example",
        "#selesai",
    );
    assert_eq!(
        sent_raw(&mut w, 4, &other, wita(3, 17, 10, 33)),
        SentOutcome::NotInThread
    );
    assert_eq!(w.status(1), Status::InProgress);
}

#[test]
fn the_head_of_office_sees_resolved_tickets_and_the_ikm_so_far() {
    let mut w = with_digest();
    // One stakeholder answers the survey (nine digits), another gives the quick rating.
    for (who, id, answer) in [
        (w.stakeholder(), "skm", "4 4 3 4 4 4 4 3 4"),
        (w.stakeholder2(), "quick", "4"),
    ] {
        let n = ask(
            &mut w,
            &who,
            &format!("[KONS] Revisi DIPA {id}"),
            wita(3, 16, 9, 0),
        );
        let r = reply(
            &w.cso1(),
            &n,
            &format!("{id}@cso.test"),
            &[],
            "#selesai\nSudah kami proses.",
        );
        w.ingest(&r, wita(3, 16, 9, 10));
        let resolved = w.sent_to(&who.address).pop().unwrap().mail;
        let rating = reply(
            &who,
            &resolved,
            &format!("{id}@satker.example.test"),
            &[],
            answer,
        );
        w.ingest(&rating, wita(3, 16, 9, 30));
    }
    assert_eq!(w.tick(wita(3, 17, 7, 30)).digests, 1);
    let k = &digests(&w, &w.kepala().address)[0].text;
    assert!(k.contains("Tiket baru         : 2"), "{k}");
    assert!(k.contains("Tiket diselesaikan : 2"), "{k}");
    assert!(
        k.contains("Belum selesai kini : 0, di antaranya terlambat 0"),
        "{k}"
    );
    // By hand: NRR tertimbang = (4+4+3+4+4+4+4+3+4) / 9 = 3,7778; IKM = × 25 = 94,44.
    assert!(
        k.contains("IKM sejauh ini     : 94,44 (mutu A, Sangat Baik) dari 1 responden"),
        "{k}"
    );
    assert!(
        k.contains("Penilaian cepat    : 100,00 (A, Sangat Baik) dari 1 penilaian"),
        "{k}"
    );
    // Nothing is open: no late list, and the CSOs get no digest.
    assert!(!k.contains("TIKET TERLAMBAT"), "{k}");
    assert!(digests(&w, &w.cso1().address).is_empty());
}

#[test]
fn a_digest_that_cannot_be_written_does_not_stop_the_clocks() {
    let mut w = with_digest();
    let template = w.site.root().join("themes/default/email/digest.txt");
    std::fs::write(&template, "{{ no_such_value.field }}\n").unwrap();
    w.restart();
    monday(&mut w);
    // The tick goes on: no digest, and #1's unanswered alert still goes to the CSOs.
    let r = w.tick(wita(3, 17, 7, 30));
    assert_eq!(r.digests, 0);
    assert!(r.alerts > 0, "{r:?}");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM outbox WHERE kind = 'digest'"),
        0
    );
    // The operator sees why in `loketd status` (its last error).
    let h = loketd::store::health::read(w.store.conn(), wita(3, 17, 7, 31)).unwrap();
    let (_, error) = h.last_error.expect("the failure is kept for loketd status");
    assert!(error.starts_with("daily digest to "), "{error}");
}

// ----- acting on a ticket from the digest ----------------------------------------------

/// Tuesday's digest to CSO 1 (after `monday`).
fn cso1_digest(w: &mut Harness) -> Received {
    monday(w);
    w.tick(wita(3, 17, 7, 30));
    digests(w, &w.cso1().address).remove(0)
}

#[test]
fn a_ticket_is_answered_and_resolved_from_the_digest_in_every_client() {
    use support::clients::{Author, Client, Placement, reply_as};
    for client in Client::ALL {
        for lang in client.languages() {
            let case = format!("{} {}", client.name(), lang.code());
            let mut w = with_digest();
            let d = cso1_digest(&mut w);
            assert!(d.text.contains("balas dengan #tiket 2"), "{}", d.text);
            let author = Author {
                name: "Petugas CSO 1",
                address: &w.cso1().address,
            };
            let raw = reply_as(
                client,
                *lang,
                &author,
                &d,
                "t2@cso.test",
                "#tiket 2\n#selesai\nRevisi DIPA diajukan lewat aplikasi SAKTI.",
                Placement::Above,
            );
            assert_eq!(
                w.ingest(&raw, wita(3, 17, 8, 0)),
                Outcome::Staff { ticket: 2 },
                "{case}"
            );
            assert_eq!(w.status(2), Status::Resolved, "{case}");
            let to = w.stakeholder2().address;
            let answer = w.sent_to(&to).pop().unwrap();
            assert_eq!(answer.kind, "resolved", "{case}");
            let a = &answer.mail.text;
            assert!(
                a.contains("Revisi DIPA diajukan lewat aplikasi SAKTI."),
                "{case}: {a}"
            );
            // Nothing of the digest, the command line or other tickets reaches them.
            for leak in [
                "#tiket",
                "Ringkasan harian",
                "SP2D belum masuk",
                "Pagu minus",
            ] {
                assert!(!a.contains(leak), "{case}: {leak:?} in {a}");
            }
        }
    }
}

#[test]
fn the_digest_acts_only_on_a_ticket_its_reader_may_act_on() {
    let mut w = with_digest();
    let d = cso1_digest(&mut w);
    // #3 is escalated to the head of PD; the head of MSKA is not on it. Their desk mail:
    // the confirmation request their unproven `#antrean` gets.
    let mska = Account {
        address: "kasi.mska@kppn-tanjungselor.example".into(),
        password: String::new(),
    };
    let fresh = mail(&mska, OFFICE, "antrean", "a@mska.test", "#antrean");
    w.ingest(&fresh, wita(3, 17, 7, 50));
    let confirm = w.sent_to(&mska.address).pop().unwrap();
    assert_eq!(confirm.kind, "confirm");
    let r = reply(
        &mska,
        &confirm.mail,
        "t3@mska.test",
        &[],
        "#tiket 3\n#selesai\nSudah.",
    );
    w.ingest(&r, wita(3, 17, 8, 0));
    assert_eq!(w.status(3), Status::Escalated);
    let told = w.sent_to(&mska.address).pop().unwrap();
    assert_eq!(told.kind, "desk_answer");
    assert!(
        told.mail.text.contains("bukan petugas pada tiket #3"),
        "{}",
        told.mail.text
    );
    // A ticket that does not exist.
    let r = reply(&w.cso1(), &d, "t9@cso.test", &[], "#tiket 99\nJawaban.");
    w.ingest(&r, wita(3, 17, 8, 5));
    let told = w.sent_to(&w.cso1().address).pop().unwrap();
    assert!(
        told.mail.text.contains("Tiket #99 tidak ada."),
        "{}",
        told.mail.text
    );
    // The head of the section may act on its escalation.
    let kasi = digests(&w, KASI).remove(0);
    let head = Account {
        address: KASI.into(),
        password: String::new(),
    };
    let r = reply(
        &head,
        &kasi,
        "t3@kasi.test",
        &[],
        "#tiket 3\n#selesai\nSudah kami proses.",
    );
    assert_eq!(
        w.ingest(&r, wita(3, 17, 8, 10)),
        Outcome::Staff { ticket: 3 }
    );
    assert_eq!(w.status(3), Status::Resolved);
}
