//! Mail to the office becomes tickets and acknowledgements, on real Dovecot and
//! Postfix: what needs the servers (IMAP folders and UIDs, MOVE, TLS, SMTP, the CLI).
//! The rules for each kind of mail are tested on the workflow harness (`workflow.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::desk::{self, Transport, count, inbox, mail, mail_with, office_has, once};
use support::rig::Rig;

use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

#[test]
fn new_mail_is_ticketed_acknowledged_and_a_reply_joins_it() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let raw = mail(
        rig.stakeholder(),
        OFFICE,
        "[KONS] Revisi DIPA dan SPM gaji",
        "q1@satker.example.test",
        "Selamat pagi, bagaimana cara revisi DIPA?\n\nBendahara Satker",
    );
    rig.send(rig.stakeholder(), &raw);
    office_has(&rig, 1);
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");

    let acks = inbox(&rig, rig.stakeholder(), 1);
    let ack = &acks[0];
    assert!(ack.subject.starts_with("[KPPN-TSL #1] "), "{}", ack.subject);
    assert!(
        ack.subject.contains("Revisi DIPA dan SPM gaji"),
        "{}",
        ack.subject
    );
    assert!(!ack.subject.contains("[KONS]"), "{}", ack.subject);
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(
        ack.header("X-Auto-Response-Suppress").as_deref(),
        Some("All")
    );
    assert_eq!(ack.in_reply_to.as_deref(), Some("q1@satker.example.test"));
    assert!(
        ack.message_id.ends_with("@kppn-tanjungselor.example"),
        "{}",
        ack.message_id
    );
    assert!(ack.text.contains("Nomor tiket : #1"), "{}", ack.text);
    assert!(
        ack.text.contains("20 menit"),
        "completion time from the standard:\n{}",
        ack.text
    );
    assert!(
        ack.text.contains("3 hari kerja"),
        "escalation from the standard:\n{}",
        ack.text
    );
    assert!(
        ack.text.contains("SP4N-LAPOR"),
        "complaint channels:\n{}",
        ack.text
    );
    assert!(ack.text.contains("Yth. Bapak/Ibu"), "{}", ack.text);

    // Both CSOs are told, with a capability Message-ID.
    for cso in [rig.cso1(), rig.cso2()] {
        let n = inbox(&rig, cso, 1);
        assert!(
            n[0].message_id.starts_with("loket.1."),
            "{}",
            n[0].message_id
        );
        assert!(
            n[0].text.contains("bagaimana cara revisi DIPA"),
            "{}",
            n[0].text
        );
        assert!(
            n[0].text.contains("#selesai"),
            "cheat sheet:\n{}",
            n[0].text
        );
    }

    // The stakeholder answers the acknowledgement: same ticket.
    let reply = mail_with(
        rig.stakeholder(),
        OFFICE,
        &format!("Re: {}", ack.subject),
        "q2@satker.example.test",
        &[&format!("In-Reply-To: <{}>", ack.message_id)],
        "Tambahan: DIPA nomor 123.\n\nPada tanggal Sel, 17 Mar 2026 pukul 10.00 KPPN menulis:\n> Terima kasih",
    );
    rig.send(rig.stakeholder(), &reply);
    office_has(&rig, 1);
    let r = once(&d);
    assert_eq!((r.new_tickets, r.replies), (0, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM messages WHERE ticket_id = 1"),
        2
    );
    // The inbox is empty: everything moved to the processed folder.
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 2);
}

#[test]
fn mail_without_message_id_is_ticketed_once() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let raw = format!(
        "From: {}\r\nTo: {OFFICE}\r\nSubject: Tanpa Message-ID\r\nDate: Tue, 17 Mar 2026 10:00:00 +0800\r\n\r\nHalo\r\n",
        rig.stakeholder().address
    );
    rig.deliver(rig.office(), raw.as_bytes());
    // `loketd once` dies right after the mail's commit, before its MOVE: the mail is
    // stored and still in the inbox, so the next pass fetches it again.
    let crashed = std::process::Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(site.root())
        .arg("once")
        .env("LOKETD_FAILPOINT", "commit-before-move:1")
        .output()
        .unwrap();
    assert!(!crashed.status.success(), "the crash point was not hit");
    assert_eq!(rig.messages(rig.office(), "INBOX").len(), 1);
    {
        let store = Store::open(&d.config.mail.data_dir).unwrap();
        assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
    }
    let r = once(&d);
    assert_eq!((r.new_tickets, r.recovered, r.moved()), (0, 1, 1), "{r:?}");
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 1);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM messages WHERE message_id IS NULL AND dedup_key LIKE 'uid:%'"
        ),
        1
    );
    let acks = inbox(&rig, rig.stakeholder(), 1);
    assert!(
        acks[0]
            .subject
            .starts_with("[KPPN-TSL #1] Tanpa Message-ID"),
        "{}",
        acks[0].subject
    );
    assert!(acks[0].in_reply_to.is_none(), "{:?}", acks[0].in_reply_to);
}

#[test]
fn an_over_limit_mail_is_quarantined_unread_with_a_note() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace("max_message_bytes = 26214400", "max_message_bytes = 100000")
    });
    let d = desk::desk(&site);
    assert_eq!(d.config.mail.max_message_bytes, 100_000);
    let big = mail(
        rig.stakeholder(),
        OFFICE,
        "Berkas besar",
        "big@satker.example.test",
        &"Lampiran panjang sekali. ".repeat(8000),
    );
    rig.send_smtp(&rig.stakeholder().address, &[OFFICE], &big);
    office_has(&rig, 1);
    let r = once(&d);
    assert_eq!(
        (r.quarantined, r.fetched, r.new_tickets),
        (1, 0, 0),
        "{r:?}"
    );
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let (sender, reason): (String, String) = store
        .conn()
        .query_row("SELECT sender, reason FROM quarantine", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(sender, rig.stakeholder().address);
    assert!(reason.contains("too large"), "{reason}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 0);
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
    // In the quarantine folder, still unread.
    let mut session = rig.imap_session(rig.office());
    session.examine("Karantina").unwrap();
    let fetches = session.fetch("1:*", "FLAGS").unwrap();
    let flags: Vec<_> = fetches.iter().map(|f| f.flags().to_vec()).collect();
    assert_eq!(flags.len(), 1);
    assert!(
        !flags[0]
            .iter()
            .any(|f| matches!(f, imap::types::Flag::Seen)),
        "{flags:?}"
    );
    let _ = session.logout();
    // The mail is a ticket of its own; the note to the sender is in its thread.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
    let note = &inbox(&rig, rig.stakeholder(), 1)[0];
    assert!(
        note.subject.starts_with("[KPPN-TSL #1] Berkas besar"),
        "{}",
        note.subject
    );
    assert!(note.text.contains("melebihi batas"), "{}", note.text);
}

#[test]
fn the_malformed_corpus_ends_in_processed_or_quarantine() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail-parser-corpus/malformed");
    let mut session = rig.imap_session(rig.office());
    let mut appended = 0;
    let mut refused = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in &paths {
        let raw = std::fs::read(p).unwrap();
        match session.append("INBOX", &raw).finish() {
            Ok(_) => appended += 1,
            Err(e) => refused.push(format!("{}: {e}", p.display())),
        }
    }
    let _ = session.logout();
    assert!(
        appended >= 20,
        "only {appended} appended; refused: {refused:?}"
    );
    let r = once(&d);
    assert_eq!(r.moved(), appended, "{r:?}");
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
    let done = rig.messages(rig.office(), "Diproses").len()
        + rig.messages(rig.office(), "Karantina").len();
    assert_eq!(done, appended);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let rows = count(&store, "SELECT COUNT(*) FROM messages")
        + count(&store, "SELECT COUNT(*) FROM quarantine");
    assert_eq!(rows as usize, appended - r.duplicates);
    // A second pass finds nothing to do.
    assert_eq!(once(&d).moved(), 0);
}

#[test]
fn a_restart_resumes_from_the_stored_uid_without_reticketing() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    for n in 1..=2 {
        let raw = mail(
            rig.stakeholder(),
            OFFICE,
            &format!("Soal {n}"),
            &format!("r{n}@satker.example.test"),
            "Halo",
        );
        rig.deliver(rig.office(), &raw);
    }
    {
        // The first mail is stored, then the daemon dies before moving it.
        let d = desk::desk(&site);
        let mut store = Store::open(&d.config.mail.data_dir).unwrap();
        let mut mb = loketd::run::open_mailbox(&d).unwrap();
        let listed = mb.list().unwrap();
        assert_eq!(listed.len(), 2);
        let (uid, raw) = mb.fetch(&[listed[0].uid]).unwrap().remove(0);
        let src = loketd::workflow::ingest::Source {
            folder: "INBOX".into(),
            uidvalidity: mb.uidvalidity(),
            uid,
        };
        let o = loketd::workflow::ingest::ingest(&mut store, &d, &src, &raw, chrono::Utc::now())
            .unwrap();
        assert!(
            matches!(o, loketd::workflow::ingest::Outcome::New { ticket: 1 }),
            "{o:?}"
        );
        assert_eq!(
            store.folder_state("INBOX").unwrap(),
            Some((mb.uidvalidity(), uid))
        );
    }
    // Started again from disk.
    let d = desk::desk(&site);
    let r = once(&d);
    assert_eq!((r.recovered, r.new_tickets), (1, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 2);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM outbox WHERE kind = 'ack'"),
        2
    );
    let (_, last) = store.folder_state("INBOX").unwrap().unwrap();
    assert_eq!(last, 2);
    assert_eq!(settled_inbox(&rig, rig.stakeholder()).len(), 2);
}

#[test]
fn a_uidvalidity_change_does_not_reticket_stored_mail() {
    let rig = Rig::start();
    // Dovecot will not delete INBOX; a work folder shows the same thing.
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replacen("\n[mail.smtp]", "folder = \"Masuk\"\n\n[mail.smtp]", 1)
    });
    let d = desk::desk(&site);
    assert_eq!(d.config.mail.imap.folder, "Masuk");
    let a = mail(
        rig.stakeholder(),
        OFFICE,
        "Soal A",
        "uv-a@satker.example.test",
        "A",
    );
    rig.append(rig.office(), "Masuk", &a);
    assert_eq!(once(&d).new_tickets, 1);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let (old_validity, _) = store.folder_state("Masuk").unwrap().unwrap();
    // The folder is recreated (new UIDVALIDITY); the stored mail comes back with a new one.
    // Dovecot's UIDVALIDITY is a timestamp in seconds: make sure a new second began.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut session = rig.imap_session(rig.office());
    session.delete("Masuk").unwrap();
    session.create("Masuk").unwrap();
    let _ = session.logout();
    let b = mail(
        rig.stakeholder(),
        OFFICE,
        "Soal B",
        "uv-b@satker.example.test",
        "B",
    );
    rig.append(rig.office(), "Masuk", &a);
    rig.append(rig.office(), "Masuk", &b);
    let r = once(&d);
    assert_eq!((r.duplicates, r.new_tickets), (1, 1), "{r:?}");
    let (new_validity, last) = store.folder_state("Masuk").unwrap().unwrap();
    assert_ne!(new_validity, old_validity);
    assert_eq!(last, 2);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 2);
    assert_eq!(settled_inbox(&rig, rig.stakeholder()).len(), 2);
}

#[test]
fn imaps_and_smtp_starttls_work_with_the_rigs_ca() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Tls, |t| t);
    let d = desk::desk(&site);
    assert!(d.config.mail.imap.server.ca_file.is_some());
    let raw = mail(
        rig.stakeholder(),
        OFFICE,
        "Lewat TLS",
        "tls@satker.example.test",
        "Halo",
    );
    rig.send(rig.stakeholder(), &raw);
    office_has(&rig, 1);
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");
    let ack = &inbox(&rig, rig.stakeholder(), 1)[0];
    assert!(
        ack.subject.starts_with("[KPPN-TSL #1] Lewat TLS"),
        "{}",
        ack.subject
    );
    // Without the CA the same servers are refused.
    std::fs::write(site.root().join("secrets/ca.pem"), "").unwrap();
    let d = desk::desk(&site);
    assert!(loketd::run::open_mailbox(&d).is_err());
}

#[test]
fn with_smtp_down_the_ack_waits_in_the_outbox_and_goes_once() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    rig.stop_postfix();
    let raw = mail(
        rig.stakeholder(),
        OFFICE,
        "Saat SMTP mati",
        "down@satker.example.test",
        "Halo",
    );
    rig.deliver(rig.office(), &raw);
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let ack = |store: &Store| -> (String, i64) {
        store
            .conn()
            .query_row(
                "SELECT status, attempts FROM outbox WHERE kind = 'ack'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let (status, attempts) = ack(&store);
    assert_eq!(status, "pending");
    assert!(attempts > 0);
    rig.start_postfix();
    let sender = loketd::run::sender(&d).unwrap();
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let f = loketd::run::send::flush(&sender, store.conn(), later).unwrap();
    assert!(f.sent >= 1, "{f:?}");
    assert_eq!(ack(&store).0, "sent");
    // Another flush sends nothing again.
    let f = loketd::run::send::flush(&sender, store.conn(), later + chrono::Duration::hours(1))
        .unwrap();
    assert_eq!(f.sent, 0, "{f:?}");
    let got = settled_inbox(&rig, rig.stakeholder());
    assert_eq!(got.len(), 1);
    assert!(
        got[0].subject.starts_with("[KPPN-TSL #1] Saat SMTP mati"),
        "{}",
        got[0].subject
    );
}

#[test]
fn the_cli_checks_config_runs_once_and_shows_tickets() {
    use std::process::Command;
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let loketd = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_loketd"))
            .arg("--root")
            .arg(site.root())
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, out) = loketd(&["check-config"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("ok    IMAP") && out.contains("ok    SMTP"),
        "{out}"
    );

    let pw = site.root().join("secrets/imap-password");
    std::fs::write(&pw, "wrong").unwrap();
    let (ok, out) = loketd(&["check-config"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL  IMAP") && out.contains("refused login"),
        "{out}"
    );
    std::fs::write(&pw, &rig.office().password).unwrap();

    let raw = mail(
        rig.stakeholder(),
        OFFICE,
        "Lewat CLI",
        "cli@satker.example.test",
        "Bagaimana cara revisi DIPA?",
    );
    rig.send(rig.stakeholder(), &raw);
    office_has(&rig, 1);
    let (ok, out) = loketd(&["once"]);
    assert!(ok, "{out}");
    assert!(out.contains("new tickets 1"), "{out}");
    let (ok, out) = loketd(&["tickets"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("#1") && out.contains("Lewat CLI") && out.contains(&rig.stakeholder().address),
        "{out}"
    );
    let (ok, out) = loketd(&["show", "1"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Ticket #1")
            && out.contains("Bagaimana cara revisi DIPA?")
            && out.contains("created"),
        "{out}"
    );
    let (ok, out) = loketd(&["show", "7"]);
    assert!(!ok && out.contains("no ticket #7"), "{out}");
    inbox(&rig, rig.stakeholder(), 1);
}

#[test]
fn one_flush_sends_everything_due_beyond_one_batch_over_one_connection() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace("auto_replies_per_hour = 3", "auto_replies_per_hour = 1000")
    });
    let d = desk::desk(&site);
    // 70 tickets: 70 acknowledgements and 140 CSO notifications, more than one batch.
    let n = 70;
    for i in 0..n {
        let raw = mail(
            rig.stakeholder(),
            OFFICE,
            &format!("Soal {i}"),
            &format!("many{i}@satker.example.test"),
            "Halo",
        );
        rig.deliver(rig.office(), &raw);
    }
    let connects = || {
        std::fs::read_to_string(rig.postfix_log())
            .unwrap_or_default()
            .matches("]: connect from ")
            .count()
    };
    let before = connects();
    let r = once(&d);
    assert_eq!(r.new_tickets, n, "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox") as usize, 3 * n);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'") as usize,
        3 * n
    );
    inbox(&rig, rig.stakeholder(), n);
    // Over one kept connection (greeting and login once), not one per mail; a few
    // more lines may come from the rig's own deliveries still being logged.
    let opened = connects() - before;
    assert!(opened < 10, "{opened} SMTP connections for {} mails", 3 * n);
}

// ----- helpers of this file --------------------------------------------------------

/// Mails in `who`'s INBOX once a sentinel sent after them through the same Postfix has
/// arrived (the sentinel itself not counted): what the daemon sent has had its chance.
fn settled_inbox(rig: &Rig, who: &support::rig::Account) -> Vec<desk::Received> {
    let before = rig.messages(who, "INBOX").len();
    let sentinel = mail(
        rig.kepala(),
        &who.address,
        "sentinel",
        &format!("sentinel.{before}@kppn-tanjungselor.example"),
        "sentinel",
    );
    rig.send_smtp(&rig.kepala().address, &[&who.address], &sentinel);
    let mails: Vec<desk::Received> = loop {
        let all = rig.messages(who, "INBOX");
        let parsed: Vec<desk::Received> = all.iter().map(|m| desk::read(m)).collect();
        if parsed.iter().any(|m| m.subject == "sentinel") {
            break parsed;
        }
        rig.wait_for_messages(who, "INBOX", all.len() + 1, desk::WAIT);
    };
    mails
        .into_iter()
        .filter(|m| m.subject != "sentinel")
        .collect()
}

#[test]
fn a_mail_that_fails_after_its_rows_are_written_is_rolled_back_alone_and_its_batch_goes_on() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    // The staff notification about a stakeholder's reply cannot be rendered: such a
    // reply fails after its message row and the ticket's event are written.
    let notify = site.root().join("themes/default/email/notify.txt");
    let text = std::fs::read_to_string(&notify).unwrap();
    let broken = text.replace(
        r#"{% elif event == "stakeholder_reply" %}{{ by }} membalas"#,
        r#"{% elif event == "stakeholder_reply" %}{{ no_such.value }} membalas"#,
    );
    assert_ne!(broken, text, "notify.txt has the stakeholder_reply line");
    std::fs::write(&notify, broken).unwrap();
    let d = desk::desk(&site);
    let who = rig.stakeholder();
    rig.deliver(
        rig.office(),
        &mail(who, OFFICE, "Revisi DIPA", "q1@satker.example.test", "Halo"),
    );
    assert_eq!(once(&d).new_tickets, 1);
    // One batch: a reply to #1 between two new questions.
    rig.deliver(
        rig.office(),
        &mail(who, OFFICE, "Soal SPM", "q2@satker.example.test", "Halo"),
    );
    rig.deliver(
        rig.office(),
        &mail(
            who,
            OFFICE,
            "Re: [KPPN-TSL #1] Revisi DIPA",
            "r1@satker.example.test",
            "Terima kasih, ini tambahan datanya.",
        ),
    );
    rig.deliver(
        rig.office(),
        &mail(who, OFFICE, "Soal SP2D", "q3@satker.example.test", "Halo"),
    );
    let r = once(&d);
    assert_eq!(
        (r.new_tickets, r.replies, r.quarantined),
        (2, 0, 1),
        "{r:?}"
    );
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    // Nothing of the failed reply is kept but its quarantine record.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 3);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM messages WHERE message_id = 'r1@satker.example.test'"
        ),
        0
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM events WHERE kind = 'stakeholder_reply'"
        ),
        0
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM quarantine WHERE reason LIKE 'cannot answer:%'"
        ),
        1
    );
    assert_eq!(rig.messages(rig.office(), "Karantina").len(), 1);
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 3);
    // The CSOs on duty are told it waits there, with who wrote it and about what.
    let notices = |store: &Store| {
        count(
            store,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'quarantined' AND ticket_id IS NULL",
        )
    };
    assert_eq!(notices(&store), 2, "one to each CSO");
    let notice = desk::inbox_with(&rig, rig.cso1(), "the quarantine notice", |m| {
        m.subject.contains("karantina")
    });
    let notice = notice
        .iter()
        .find(|m| m.subject.contains("karantina"))
        .unwrap();
    assert!(
        notice.text.contains("Re: [KPPN-TSL #1] Revisi DIPA"),
        "{}",
        notice.text
    );
    assert!(notice.text.contains(&who.address), "{}", notice.text);
    assert!(
        notice.text.contains("folder \"Karantina\""),
        "{}",
        notice.text
    );
    drop(store);
    // A second one within the hour is counted, not told again.
    rig.deliver(
        rig.office(),
        &mail(
            who,
            OFFICE,
            "Re: [KPPN-TSL #1] Revisi DIPA",
            "r2@satker.example.test",
            "Dan satu lagi.",
        ),
    );
    let hour = || chrono::Utc::now().format("%Y-%m-%dT%H").to_string();
    let before = hour();
    assert_eq!(once(&d).quarantined, 1);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM quarantine"), 2);
    if hour() == before {
        assert_eq!(notices(&store), 2);
    }
}

#[test]
fn a_mail_that_panics_is_quarantined_told_and_the_pass_goes_on() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let who = rig.stakeholder();
    for i in 1..=3 {
        rig.deliver(
            rig.office(),
            &mail(
                who,
                OFFICE,
                &format!("Soal {i}"),
                &format!("p{i}@satker.example.test"),
                "Halo",
            ),
        );
    }
    // The second mail meets a bug (a panic while it is recorded).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(site.root())
        .arg("once")
        .env("LOKETD_FAILPOINT", "recording:2:panic")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("failpoint recording"),
        "the point was not hit: {stderr}"
    );
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 2);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM quarantine WHERE reason LIKE 'internal error while processing: failpoint recording%'"
        ),
        1
    );
    // Nothing of the panicking mail is kept but its quarantine record.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 2);
    assert_eq!(rig.messages(rig.office(), "Karantina").len(), 1);
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 2);
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
    let notice = desk::inbox_with(&rig, rig.cso1(), "the quarantine notice", |m| {
        m.subject.contains("karantina")
    });
    let notice = notice
        .iter()
        .find(|m| m.subject.contains("karantina"))
        .unwrap();
    assert!(notice.text.contains("Soal 2"), "{}", notice.text);
    assert!(notice.text.contains("internal error"), "{}", notice.text);
}

#[test]
fn a_reply_the_mail_server_refuses_for_good_is_told_to_the_staff_once() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    // A stakeholder whose address the server does not know (mistyped, left the office):
    // Postfix refuses it with 550 at RCPT.
    let gone = support::rig::Account {
        address: "tidakada@kppn-tanjungselor.example".into(),
        password: String::new(),
    };
    rig.deliver(
        rig.office(),
        &mail(
            &gone,
            OFFICE,
            "Soal SPM",
            "gone1@x.test",
            "Mohon penjelasan.",
        ),
    );
    assert_eq!(once(&d).new_tickets, 1);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'failed' AND kind = 'ack'"
        ),
        1,
        "the acknowledgement was refused for good"
    );
    drop(store);
    // The next tick tells the CSOs on duty, once, with the server's answer.
    once(&d);
    once(&d);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'undelivered'"
        ),
        2,
        "one to each CSO"
    );
    let told = desk::inbox_with(&rig, rig.cso1(), "the undelivered notice", |m| {
        m.subject.contains("tidak terkirim")
    });
    let told = told
        .iter()
        .find(|m| m.subject.contains("tidak terkirim"))
        .unwrap();
    assert!(told.subject.contains("#1"), "{}", told.subject);
    assert!(
        told.text.contains("tidakada@kppn-tanjungselor.example"),
        "{}",
        told.text
    );
    assert!(told.text.contains("550"), "{}", told.text);
}
