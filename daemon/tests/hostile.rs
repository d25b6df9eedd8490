//! Hostile and broken mail: no panic, every mail ticketed or quarantined with a reason,
//! and the mail after it is still processed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::desk::{self, Transport, count, inbox, mail, once};
use support::rig::Rig;

use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";
const PYTHON_EMAIL_DATA: &str = "/usr/lib/python3.11/test/test_email/data";

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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail-parser-corpus");
    let mut mails: Vec<Vec<u8>> = files_under(&root)
        .into_iter()
        .filter(|p| !p.extension().is_some_and(|e| e == "txt" || e == "md"))
        .map(|p| fs::read(p).unwrap())
        .collect();
    let from_corpus = mails.len();
    let python = Path::new(PYTHON_EMAIL_DATA);
    if python.is_dir() {
        mails.extend(
            files_under(python)
                .into_iter()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("msg_"))
                })
                .map(|p| fs::read(p).unwrap()),
        );
    } else {
        println!(
            "SKIPPED Python's email test messages: {PYTHON_EMAIL_DATA} is missing \
             (Debian package libpython3.11-testsuite; scripts/install-test-deps.sh installs it)"
        );
    }
    // IMAP cannot hold an empty message.
    mails.retain(|m| !m.is_empty());
    println!(
        "hostile corpus: {from_corpus} from mail-parser, {} in all",
        mails.len()
    );
    assert!(mails.len() > 50);
    mails.push(last_question(&rig));
    append_all(&rig, &mails);
    once(&d);
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, mails.len());
    assert_last_question_ticketed(&store);
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
    let raw = "From: bendahara@satker.example.test\r\nTo: layanan@kppn-tanjungselor.example\r\n\
               Subject: =?utf-8?Q?Halo=0D=0ABcc:_evil@kppn-tanjungselor.example=0D=0A=0D=0Abody?=\r\n\
               Message-ID: <inject@satker.example.test>\r\nContent-Type: text/plain\r\n\r\nIsi.\r\n";
    append_all(&rig, &[raw.as_bytes().to_vec()]);
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");
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
    // Nobody else got a copy through the injected header (kepala is in the rig).
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

#[test]
fn a_mail_just_over_the_size_limit_is_quarantined_with_a_note() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace("max_message_bytes = 26214400", "max_message_bytes = 100000")
    });
    let d = desk::desk(&site);
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
    append_all(&rig, &[big, last_question(&rig)]);
    let r = once(&d);
    assert_eq!((r.quarantined, r.new_tickets), (1, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_all_accounted(&rig, &store, 2);
    let reason: String = store
        .conn()
        .query_row("SELECT reason FROM quarantine", [], |r| r.get(0))
        .unwrap();
    assert!(reason.contains("too large: 100001 bytes"), "{reason}");
    assert_eq!(rig.messages(rig.office(), "Karantina").len(), 1);
    let notes = inbox(&rig, rig.stakeholder(), 2);
    assert!(
        notes
            .iter()
            .any(|n| n.subject.starts_with("Surat Anda terlalu besar"))
    );
}
