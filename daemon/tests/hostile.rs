//! Hostile and broken mail: no panic, every mail ticketed or quarantined with a reason,
//! and the mail after it is still processed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::daemon::Daemon;
use support::desk::{self, Transport, count, inbox, mail, once, read};
use support::rig::Rig;

use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Appends `mails` to the office INBOX in one IMAP session.
fn append_all(rig: &Rig, mails: &[Vec<u8>]) {
    let mut s = rig.imap_session(rig.office());
    for m in mails {
        s.append("INBOX", m).finish().unwrap();
    }
    let _ = s.logout();
}

/// Every mail is either a stored message or a quarantine row with a reason, and the
/// inbox is empty afterwards.
fn assert_all_accounted(rig: &Rig, store: &Store, n: usize) {
    let stored = count(store, "SELECT COUNT(*) FROM messages");
    let quarantined = count(store, "SELECT COUNT(*) FROM quarantine");
    assert_eq!(
        (stored + quarantined) as usize,
        n,
        "stored {stored} + quarantined {quarantined}"
    );
    assert_eq!(
        count(store, "SELECT COUNT(*) FROM quarantine WHERE reason = ''"),
        0
    );
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
}

fn last_question(rig: &Rig) -> Vec<u8> {
    mail(
        rig.stakeholder(),
        OFFICE,
        "Sesudah yang rusak",
        "after@satker.example.test",
        "Masih diproses?",
    )
}

fn assert_last_question_ticketed(store: &Store) {
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM messages WHERE message_id = 'after@satker.example.test' AND ticket_id IS NOT NULL"
        ),
        1,
        "the mail after the hostile ones was not ticketed"
    );
}

#[test]
fn corpora_of_broken_mail_are_ticketed_or_quarantined() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let corpus = |dir: &str, keep: &dyn Fn(&Path) -> bool| -> Vec<Vec<u8>> {
        let files: Vec<Vec<u8>> = files_under(&fixtures.join(dir))
            .into_iter()
            .filter(|p| keep(p))
            .map(|p| fs::read(p).unwrap())
            // IMAP cannot hold an empty message.
            .filter(|m| !m.is_empty())
            .collect();
        assert!(
            !files.is_empty(),
            "{dir}: no mail found; the corpus is vendored in the repository"
        );
        files
    };
    let mut mails = corpus("mail-parser-corpus", &|p| {
        p.extension().is_some_and(|e| e == "eml")
    });
    let from_mail_parser = mails.len();
    mails.extend(corpus("python-email", &|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("msg_"))
    }));
    println!(
        "hostile corpus: {from_mail_parser} from mail-parser, {} from Python, {} in all",
        mails.len() - from_mail_parser,
        mails.len()
    );
    assert!(from_mail_parser >= 90 && mails.len() - from_mail_parser >= 40);
    mails.push(last_question(&rig));
    append_all(&rig, &mails);
    once(&d);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, mails.len());
    assert_last_question_ticketed(&store);
    // Broken is not hopeless: almost all of these are real mails a person could have
    // sent, and are stored (ticketed or kept as automatic mail), not quarantined. A
    // daemon that quarantined everything would fail here.
    let stored = count(&store, "SELECT COUNT(*) FROM messages") as usize;
    let quarantined = count(&store, "SELECT COUNT(*) FROM quarantine") as usize;
    println!("hostile corpus: {stored} stored, {quarantined} quarantined");
    assert!(
        stored * 10 >= mails.len() * 9,
        "only {stored} of {} stored",
        mails.len()
    );
    assert!(count(&store, "SELECT COUNT(*) FROM tickets") >= 50);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM quarantine WHERE reason LIKE 'internal error%'"
        ),
        0,
        "a mail crashed the workflow"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn hostile_attachment_names_stay_inside_the_data_folder() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let long = "x".repeat(300);
    let names = [
        "filename=\"../../../../tmp/loket-escape.pdf\"".to_string(),
        "filename=\"/tmp/loket-absolute.pdf\"".to_string(),
        "filename=\"..\\\\..\\\\win.pdf\"".to_string(),
        "filename*=UTF-8''nul%00byte%0D%0A.pdf".to_string(),
        format!("filename=\"{long}.pdf\""),
        "filename=\"CON\"".to_string(),
        "filename=\"nul.txt\"".to_string(),
        "filename=\"LPT1.pdf\"".to_string(),
        "filename=\"..\"".to_string(),
    ];
    let mut raw = String::from(
        "From: Stakeholder <bendahara@satker.example.test>\r\nTo: layanan@kppn-tanjungselor.example\r\n\
         Subject: Lampiran berbahaya\r\nMessage-ID: <att@satker.example.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nLihat lampiran.\r\n",
    );
    for (i, n) in names.iter().enumerate() {
        raw.push_str(&format!(
            "--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; {n}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(format!("%PDF-1.4 lampiran {i}").as_bytes())
        ));
    }
    raw.push_str("--B--\r\n");
    let _ = fs::remove_file("/tmp/loket-escape.pdf");
    let _ = fs::remove_file("/tmp/loket-absolute.pdf");
    append_all(&rig, &[raw.into_bytes(), last_question(&rig)]);
    once(&d);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, 2);
    assert_last_question_ticketed(&store);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM attachments"),
        names.len() as i64
    );
    // On disk: only the database, raw/<hash>.eml and attachments/<hash>.
    let data = site.data_dir();
    for f in files_under(&data) {
        let rel = f
            .strip_prefix(&data)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let ok = rel.starts_with("loketd.sqlite")
            || rel == "capability.key"
            || (rel.starts_with("raw/") && rel.ends_with(".eml") && rel.len() == 4 + 64 + 4)
            || (rel.starts_with("attachments/") && rel.len() == 12 + 64);
        assert!(ok, "unexpected file in the data folder: {rel}");
    }
    assert!(!Path::new("/tmp/loket-escape.pdf").exists());
    assert!(!Path::new("/tmp/loket-absolute.pdf").exists());
    // Stored names are safe to offer for download on any system.
    let mut stmt = store
        .conn()
        .prepare("SELECT filename FROM attachments")
        .unwrap();
    let stored: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for n in &stored {
        assert!(!n.contains(['/', '\\', '\0', '\r', '\n']), "{n:?}");
        assert!(!n.starts_with('.'), "{n:?}");
        assert!(n.len() <= 255, "{} bytes: {n}", n.len());
        let stem = n.split('.').next().unwrap_or_default().to_ascii_uppercase();
        assert!(
            !["CON", "NUL", "LPT1", "PRN", "AUX"].contains(&stem.as_str()),
            "{n:?}"
        );
    }
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn crlf_in_a_relayed_subject_injects_no_header() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    // The injected Bcc names a real account of the rig: had the header got through,
    // Postfix would have a recipient to deliver it to.
    let evil = &rig.kepala().address;
    let raw = format!(
        "From: {}\r\nTo: layanan@kppn-tanjungselor.example\r\n\
         Subject: =?utf-8?Q?Halo=0D=0ABcc:_{evil}=0D=0A=0D=0Abody?=\r\n\
         Message-ID: <inject@satker.example.test>\r\nContent-Type: text/plain\r\n\r\nIsi.\r\n",
        rig.stakeholder().address
    );
    append_all(&rig, &[raw.into_bytes()]);
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");
    // What loketd hands to SMTP: Postfix drops a Bcc header on its own, so the
    // delivered copy alone could not show an injection.
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let mut stmt = store.conn().prepare("SELECT raw FROM outbox").unwrap();
    let queued: Vec<Vec<u8>> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(queued.len() >= 2, "an acknowledgement and a notification");
    for raw in &queued {
        let raw = String::from_utf8_lossy(raw);
        let head = raw.split("\r\n\r\n").next().unwrap();
        for line in head.lines() {
            let l = line.to_ascii_lowercase();
            assert!(
                !l.starts_with("bcc:") && !l.starts_with("body"),
                "injected header: {line}\n{head}"
            );
        }
    }
    let ack = &inbox(&rig, rig.stakeholder(), 1)[0];
    let head = ack.raw.split("\r\n\r\n").next().unwrap();
    for line in head.lines() {
        assert!(
            !line.to_ascii_lowercase().starts_with("bcc:"),
            "injected header: {line}"
        );
    }
    assert!(ack.header("Bcc").is_none());
    assert!(ack.subject.contains("Halo"), "{}", ack.subject);
    assert!(!ack.subject.contains(['\r', '\n']), "{:?}", ack.subject);
    // The notification to the CSO carries the subject too.
    let note = &inbox(&rig, rig.cso1(), 1)[0];
    let head = note.raw.split("\r\n\r\n").next().unwrap();
    assert!(
        head.lines()
            .all(|l| !l.to_ascii_lowercase().starts_with("bcc:")),
        "{head}"
    );
    // Nobody else got a copy through the injected header, once Postfix has delivered
    // everything it accepted.
    rig.wait_for_postfix_queue_empty();
    assert!(rig.messages(rig.kepala(), "INBOX").is_empty());
}

#[test]
fn html_with_script_is_stored_and_relayed_as_text() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let raw = "From: bendahara@satker.example.test\r\nTo: layanan@kppn-tanjungselor.example\r\n\
               Subject: HTML\r\nMessage-ID: <html@satker.example.test>\r\nMIME-Version: 1.0\r\n\
               Content-Type: text/html; charset=utf-8\r\n\r\n\
               <html><body><script>alert('curi-cookie')</script><p onclick=\"x()\">Mohon <b>bantuan</b> SPM.</p>\
               <img src=\"http://evil.example/t.png\"></body></html>\r\n";
    append_all(&rig, &[raw.as_bytes().to_vec()]);
    assert_eq!(once(&d).new_tickets, 1);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let body: String = store
        .conn()
        .query_row("SELECT body FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(body.contains("bantuan"), "{body}");
    for bad in ["<script", "alert(", "onclick", "<p", "evil.example"] {
        assert!(!body.contains(bad), "{bad} kept in {body:?}");
    }
    // The CSO notification carries the text, as plain text.
    let n = &inbox(&rig, rig.cso1(), 1)[0];
    assert!(n.text.contains("bantuan"), "{}", n.text);
    assert!(
        !n.raw.contains("<script") && !n.raw.contains("text/html"),
        "{}",
        n.raw
    );
}

#[test]
fn ten_thousand_recipients_and_mime_nested_a_thousand_deep() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let to: Vec<String> = (0..10_000)
        .map(|i| format!("r{i}@many.example.test"))
        .collect();
    let many = format!(
        "From: bendahara@satker.example.test\r\nTo: {}\r\nCc: layanan@kppn-tanjungselor.example\r\n\
         Subject: Banyak penerima\r\nMessage-ID: <many@satker.example.test>\r\nContent-Type: text/plain\r\n\r\nHalo.\r\n",
        to.join(",\r\n ")
    );
    let mut deep = String::from(
        "From: vendor@cv-maju.example.test\r\nTo: layanan@kppn-tanjungselor.example\r\n\
         Subject: Dalam\r\nMessage-ID: <deep@cv-maju.example.test>\r\nMIME-Version: 1.0\r\n",
    );
    for i in 0..1000 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\r\n\r\nPaling dalam.\r\n");
    for i in (0..1000).rev() {
        deep.push_str(&format!("--b{i}--\r\n"));
    }
    append_all(
        &rig,
        &[many.into_bytes(), deep.into_bytes(), last_question(&rig)],
    );
    once(&d);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, 3);
    assert_last_question_ticketed(&store);
    // Both are mails a person could send: ticketed, not set aside.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM quarantine"), 0);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM messages WHERE ticket_id IS NOT NULL AND message_id IN ('many@satker.example.test', 'deep@cv-maju.example.test')"
        ),
        2
    );
    let deep: String = store
        .conn()
        .query_row(
            "SELECT body FROM messages WHERE message_id = 'deep@cv-maju.example.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(deep.trim(), "Paling dalam.");
    // The acknowledgement of the 10,000-recipient mail goes to its sender only.
    let recipients: Vec<String> = {
        let mut s = store
            .conn()
            .prepare("SELECT recipients FROM outbox WHERE kind = 'ack'")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(
        recipients.iter().all(|r| !r.contains("many.example.test")),
        "{recipients:?}"
    );
}

/// A mail of 100,001 bytes (the test sites' limit is 100,000).
fn oversized() -> Vec<u8> {
    let head = "From: bendahara@satker.example.test\r\nTo: layanan@kppn-tanjungselor.example\r\n\
                Subject: Besar\r\nMessage-ID: <big@satker.example.test>\r\nContent-Type: text/plain\r\n\r\n";
    let mut big = head.as_bytes().to_vec();
    while big.len() < 100_001 {
        big.extend_from_slice(
            b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
        );
    }
    big.truncate(100_001 - 2);
    big.extend_from_slice(b"\r\n");
    assert_eq!(big.len(), 100_001);
    big
}

#[test]
fn a_mail_just_over_the_size_limit_is_quarantined_with_a_note() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace("max_message_bytes = 26214400", "max_message_bytes = 100000")
    });
    let d = desk::desk(&site);
    let big = oversized();
    append_all(&rig, &[big, last_question(&rig)]);
    let r = once(&d);
    assert_eq!((r.quarantined, r.new_tickets), (1, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, 2);
    assert_eq!(rig.messages(rig.office(), "Karantina").len(), 1);
    // The mail became a ticket of its own, with what its header tells.
    let (reason, sender, size): (String, String, i64) = store
        .conn()
        .query_row("SELECT reason, sender, size FROM quarantine", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert!(
        reason.starts_with("too large: 100001 bytes, limit 100000; ticket #"),
        "{reason}"
    );
    assert_eq!(
        (sender.as_str(), size),
        ("bendahara@satker.example.test", 100_001)
    );
    let ticket: i64 = reason.rsplit('#').next().unwrap().parse().unwrap();
    let (subject, requester, root): (String, String, String) = store
        .conn()
        .query_row(
            "SELECT subject, requester, root_message_id FROM tickets WHERE id = ?1",
            [ticket],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (subject.as_str(), requester.as_str(), root.as_str()),
        (
            "Besar",
            "bendahara@satker.example.test",
            "big@satker.example.test"
        )
    );
    // The sender is told, in the ticket's thread, how to send it smaller.
    let notes = inbox(&rig, rig.stakeholder(), 2);
    let note = notes
        .iter()
        .find(|n| n.in_reply_to.as_deref() == Some("big@satker.example.test"))
        .expect("a note answering the large mail");
    assert!(
        note.subject.contains(&format!("#{ticket}")),
        "{}",
        note.subject
    );
    for says in [
        "melebihi batas",
        "dipecah",
        "tautan",
        &format!("tiket #{ticket}"),
    ] {
        assert!(
            note.text.contains(says),
            "{says:?} missing in:\n{}",
            note.text
        );
    }
    // The CSOs on duty hear of it.
    for cso in [rig.cso1(), rig.cso2()] {
        let told = inbox(&rig, cso, 2);
        assert!(
            told.iter()
                .any(|n| n.subject.contains(&format!("#{ticket}"))
                    && n.text.contains("folder karantina")),
            "{} was not told of ticket #{ticket}",
            cso.address
        );
    }
}

#[test]
fn a_crash_right_after_an_oversized_mail_is_recorded_loses_neither_ticket_nor_note() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace("max_message_bytes = 26214400", "max_message_bytes = 100000")
    });
    append_all(&rig, &[oversized(), last_question(&rig)]);
    // loketd dies (abort, as SIGKILL) right after the first commit: the oversized mail's.
    let mut d = Daemon::run_with(&site, &[("LOKETD_FAILPOINT", "commit-before-move:1")]);
    let status = d
        .wait_exit(Duration::from_secs(30))
        .expect("loketd hit its crash point");
    assert!(!status.success(), "{}", d.log_text());
    {
        let d = desk::desk(&site);
        let store = Store::open(&d.config.mail.data_dir).unwrap();
        // Whatever of it is committed is all of it: record, ticket and note together.
        assert_eq!(count(&store, "SELECT COUNT(*) FROM quarantine"), 1);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'too_large'"
            ),
            1
        );
    }
    assert_eq!(rig.messages(rig.office(), "INBOX").len(), 2);
    // The next start moves it without a second ticket, and sends the note once.
    d.start();
    let notes = inbox(&rig, rig.stakeholder(), 2);
    d.stop();
    let d = desk::desk(&site);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 2);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'too_large'"
        ),
        1
    );
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.in_reply_to.as_deref() == Some("big@satker.example.test"))
            .count(),
        1
    );
    assert_eq!(rig.messages(rig.office(), "Karantina").len(), 1);
}

#[test]
fn a_staff_reply_for_a_ticket_not_in_the_database_is_quarantined_and_the_inbox_goes_on() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let first = mail(
        rig.stakeholder(),
        OFFICE,
        "Pertanyaan lama",
        "old@satker.example.test",
        "Mohon info.",
    );
    append_all(&rig, &[first]);
    assert_eq!(once(&d).new_tickets, 1);
    let notification = inbox(&rig, rig.cso1(), 1).remove(0);
    // The database is reset (or restored from a backup older than the ticket) while
    // the capability key is kept: the staff reply below names a ticket it lacks.
    for f in ["loketd.sqlite", "loketd.sqlite-wal", "loketd.sqlite-shm"] {
        let _ = fs::remove_file(site.data_dir().join(f));
    }
    let answer = support::desk::reply(
        rig.cso1(),
        &notification,
        "answer@kppn-tanjungselor.example",
        &[],
        "#selesai\n\nSudah kami proses, JAWABAN-LAMA.",
    );
    append_all(&rig, &[answer, last_question(&rig)]);
    let r = once(&d);
    assert_eq!((r.quarantined, r.new_tickets), (1, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, 2);
    assert_last_question_ticketed(&store);
    let (reason, sender): (String, String) = store
        .conn()
        .query_row("SELECT reason, sender FROM quarantine", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(
        reason.contains("ticket #1 that this database did not send"),
        "{reason}"
    );
    assert_eq!(sender, rig.cso1().address);
    assert_eq!(rig.messages(rig.office(), "Karantina").len(), 1);
    // The staff member is told; the stakeholder hears nothing of the old answer.
    let told = inbox(&rig, rig.cso1(), 3);
    assert!(
        told.iter()
            .any(|n| n.subject.contains("tidak dapat diproses")
                && n.text.contains("tidak ada di basis data")),
        "{:?}",
        told.iter().map(|n| &n.subject).collect::<Vec<_>>()
    );
    rig.wait_for_postfix_queue_empty();
    for m in rig.messages(rig.stakeholder(), "INBOX") {
        assert!(!read(&m).text.contains("JAWABAN-LAMA"));
    }
}
