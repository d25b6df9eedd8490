//! On the real rig: an office whose people also open the official mailbox in their own
//! mail program (`processed = "keep"`, `sent_folder = "Sent"`), and the daily digest
//! arriving in a CSO's real inbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::desk::{self, DIGEST_OFF, DIGEST_ON, db_count, mail_with, once_at, wita};
use support::world::{OFFICE, World, nth, world_with};

use loketd::rules::ticket::Status;

const QUESTION: &str = "Selamat pagi, SP2D gaji kami belum masuk ke rekening penerima.";

fn shared() -> World {
    let w = world_with(|t| {
        t.replacen(
            "[mail.imap]\n",
            "[mail.imap]\nprocessed = \"keep\"\nsent_folder = \"Sent\"\n",
            1,
        )
    });
    // The folder a mail program keeps sent mail in.
    let mut s = w.rig.imap_session(w.rig.office());
    s.create("Sent").unwrap();
    let _ = s.logout();
    w
}

/// The flags of every mail in the office INBOX, in order.
fn inbox_flags(w: &World) -> Vec<Vec<String>> {
    let mut s = w.rig.imap_session(w.rig.office());
    s.select("INBOX").unwrap();
    let fetches = s.fetch("1:*", "FLAGS").unwrap();
    let out = fetches
        .iter()
        .map(|f| f.flags().iter().map(|fl| format!("{fl:?}")).collect())
        .collect();
    let _ = s.logout();
    out
}

fn is_marked(flags: &[String]) -> bool {
    flags.iter().any(|f| f.contains("$Loket"))
}

#[test]
fn kept_mail_stays_in_the_inbox_marked_and_is_processed_once_across_restarts() {
    let w = shared();
    let (ack, _) = w.ask(wita(3, 17, 10, 0), QUESTION);
    assert!(ack.subject.starts_with("[KPPN-TSL #1]"), "{}", ack.subject);
    // Still in the inbox, unread for the people who open it, marked as stored.
    assert_eq!(w.rig.messages(w.rig.office(), "INBOX").len(), 1);
    assert!(w.rig.messages(w.rig.office(), "Diproses").is_empty());
    let flags = inbox_flags(&w);
    assert!(is_marked(&flags[0]), "{flags:?}");
    assert!(!flags[0].iter().any(|f| f.contains("Seen")), "{flags:?}");

    // A restart and more passes: nothing is processed again.
    let again = desk::desk(&w.site);
    for minute in [1, 2] {
        let r = once_at(&again, wita(3, 17, 10, minute));
        assert_eq!(r.fetched, 0, "{r:?}");
    }
    // A person's mail program dropped the keyword (or the daemon stopped between the
    // commit and marking it): the UID state knows the mail, which is only marked again.
    let mut s = w.rig.imap_session(w.rig.office());
    s.select("INBOX").unwrap();
    s.store("1", "-FLAGS ($Loket)").unwrap();
    let _ = s.logout();
    assert!(!is_marked(&inbox_flags(&w)[0]));
    let r = once_at(&again, wita(3, 17, 10, 5));
    assert_eq!((r.fetched, r.recovered), (0, 1), "{r:?}");
    assert!(is_marked(&inbox_flags(&w)[0]));
    assert_eq!(db_count(&w.site, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(db_count(&w.site, "SELECT COUNT(*) FROM messages"), 1);
    // The stakeholder got one acknowledgement, CSO 1 one notification.
    nth(&w.rig, w.rig.stakeholder(), 1);
    nth(&w.rig, w.rig.cso1(), 1);
}

#[test]
fn an_answer_put_in_sent_by_a_person_is_recorded_and_its_selesai_applied() {
    let w = shared();
    let (ack, _) = w.ask(wita(3, 17, 10, 0), QUESTION);
    let question_id = "ask".to_string() + &wita(3, 17, 10, 0).timestamp().to_string();
    // Sent mail that is not an answer: the daemon's own acknowledgement (a server that
    // files submitted mail in Sent) and a mail outside every ticket.
    w.rig.append(w.rig.office(), "Sent", ack.raw.as_bytes());
    let other = mail_with(
        w.rig.office(),
        "rekan@kppn-lain.example.test",
        "Undangan rapat koordinasi",
        "rapat.1@kppn-tanjungselor.example",
        &[],
        "Dengan hormat, kami mengundang Bapak/Ibu.",
    );
    w.rig.append(w.rig.office(), "Sent", &other);
    // A person answers from the shared mailbox in Thunderbird (its Message-ID on the
    // office's domain, as Thunderbird makes it): sent to the stakeholder, filed in Sent.
    // With the transfer receipt attached (Thunderbird's 72-character base64 lines).
    let receipt = "Bukti transfer SP2D 260317. ".repeat(40);
    let lines = desk::base64_lines(receipt.as_bytes(), 72);
    let answer = format!(
        "From: {OFFICE}\r\nTo: {}\r\nSubject: Re: [KONS] Pencairan SP2D belum masuk rekening\r\n\
         Message-ID: <4f1c2a9e-77b1-4c2e-9d0a-3e5f6a7b8c9d@kppn-tanjungselor.example>\r\n\
         In-Reply-To: <{question_id}@satker.example.test>\r\nReferences: <{question_id}@satker.example.test>\r\n\
         User-Agent: Mozilla Thunderbird\r\nDate: Tue, 17 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"------------tb1\"\r\n\r\n\
         --------------tb1\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n\
         Selamat siang, dana sudah masuk ke rekening penerima hari ini.\r\n#selesai\r\n\r\n\
         Pada 17/03/2026 10.00, Bendahara menulis:\r\n> {QUESTION}\r\n> #dokumen\r\n\r\n\
         --------------tb1\r\nContent-Type: application/pdf; name=\"bukti-transfer.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"bukti-transfer.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\r\n--------------tb1--\r\n",
        w.rig.stakeholder().address,
        lines
    )
    .into_bytes();
    w.rig.append(w.rig.office(), "Sent", &answer);
    let r = once_at(&w.desk, wita(3, 17, 10, 12));
    assert_eq!(r.fetched, 0);
    let t = w.ticket(1);
    assert_eq!(t.status, Status::Resolved);
    assert!(t.first_response_at.is_some());
    assert!(t.resolved_at.is_some());
    // On record as the mailbox's answer, once; the Sent folder is only read.
    assert_eq!(
        db_count(
            &w.site,
            &format!(
                "SELECT COUNT(*) FROM events WHERE ticket_id = 1 AND kind = 'resolved' AND actor = '{OFFICE}'"
            )
        ),
        1
    );
    assert_eq!(
        db_count(
            &w.site,
            "SELECT COUNT(*) FROM messages WHERE kind = 'staff'"
        ),
        1
    );
    // The stakeholder gets the status and the satisfaction question, not the text again.
    assert_eq!(
        w.kinds_to(&w.rig.stakeholder().address),
        vec!["ack", "resolved"]
    );
    let resolved = nth(&w.rig, w.rig.stakeholder(), 2);
    assert!(
        resolved
            .text
            .contains("Status penyelesaian layanan: Resolved"),
        "{}",
        resolved.text
    );
    assert!(
        !resolved.text.contains("dana sudah masuk"),
        "{}",
        resolved.text
    );
    assert_eq!(w.rig.messages(w.rig.office(), "Sent").len(), 3);
    // The receipt is on the ticket as the office's file, once.
    assert_eq!(
        db_count(
            &w.site,
            "SELECT COUNT(*) FROM attachments a JOIN messages m ON a.message_row = m.id
             WHERE m.ticket_id = 1 AND m.kind = 'staff' AND a.filename = 'bukti-transfer.pdf'"
        ),
        1
    );
    // Again, after a restart: nothing read twice.
    let events = "SELECT COUNT(*) FROM events WHERE ticket_id = 1";
    let before = db_count(&w.site, events);
    let again = desk::desk(&w.site);
    once_at(&again, wita(3, 17, 10, 20));
    assert_eq!(db_count(&w.site, events), before);
    assert_eq!(
        db_count(
            &w.site,
            "SELECT COUNT(*) FROM messages WHERE kind = 'staff'"
        ),
        1
    );
    assert_eq!(w.ticket(1).status, Status::Resolved);
}

#[test]
fn the_daily_digest_reaches_a_csos_real_inbox() {
    let w = world_with(|t| t.replace(DIGEST_OFF, DIGEST_ON));
    // A question before opening time: the day's digest is not due yet.
    let (_, notification) = w.ask(wita(3, 17, 7, 0), QUESTION);
    once_at(&w.desk, wita(3, 17, 7, 30));
    let digest = nth(&w.rig, w.rig.cso1(), 2);
    assert_eq!(
        digest.subject,
        "Ringkasan harian Selasa, 17 Maret 2026: 1 tiket"
    );
    assert!(
        digest
            .text
            .contains("[KPPN-TSL #1] Pencairan SP2D belum masuk rekening"),
        "{}",
        digest.text
    );
    assert!(
        digest
            .text
            .contains("batas penyelesaian: Selasa, 17 Maret 2026 pukul 08.20 WITA"),
        "{}",
        digest.text
    );
    // The desk capability: ticket number 0, unlike the ticket's notification.
    assert!(
        digest.message_id.starts_with("loket.0."),
        "{}",
        digest.message_id
    );
    assert!(notification.message_id.starts_with("loket.1."));
    eprintln!(
        "--- the digest as CSO 1 receives it ---\nSubject: {}\n\n{}",
        digest.subject, digest.text
    );
    // Once a day: a later pass that day sends none (the unanswered alert comes).
    once_at(&w.desk, wita(3, 17, 9, 0));
    let subjects: Vec<String> = desk::inbox(&w.rig, w.rig.cso1(), 3)
        .iter()
        .map(|m| m.subject.clone())
        .collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.starts_with("Ringkasan harian"))
            .count(),
        1,
        "{subjects:?}"
    );
}

#[test]
fn a_sent_folder_the_server_does_not_have_is_named_at_connect() {
    let w = world_with(|t| {
        t.replacen(
            "[mail.imap]\n",
            "[mail.imap]\nsent_folder = \"Terkirim\"\n",
            1,
        )
    });
    let err = loketd::run::open_mailbox(&w.desk)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("mail.imap.sent_folder = \"Terkirim\": the server has no such folder"),
        "{err}"
    );
    assert!(err.contains("Sent Items"), "{err}");
}
