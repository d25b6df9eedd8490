//! Tests of the mail rig itself: real Dovecot and Postfix on loopback.

mod support;

use std::time::{Duration, Instant};
use support::rig::{Account, Rig};

const WAIT: Duration = Duration::from_secs(20);

fn mail(from: &Account, to: &Account, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {}\r\nTo: {}\r\nSubject: {subject}\r\nMessage-ID: <{}.{}@rig.test>\r\n\
         Date: Mon, 3 Mar 2025 09:00:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        from.address,
        to.address,
        subject.replace(' ', "-"),
        std::process::id(),
    )
    .into_bytes()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn submission_from_stakeholder_arrives_in_office_inbox() {
    let rig = Rig::start();
    let raw = mail(
        rig.stakeholder(),
        rig.office(),
        "Permohonan SPM",
        "Mohon info.",
    );
    let sent = Instant::now();
    rig.send(rig.stakeholder(), &raw);
    let inbox = rig.wait_for_messages(rig.office(), "INBOX", 1, WAIT);
    eprintln!("submission → visible in IMAP: {:?}", sent.elapsed());
    assert_eq!(inbox.len(), 1);
    assert!(contains(&inbox[0], "Subject: Permohonan SPM"));
    assert!(contains(&inbox[0], "Mohon info."));
    // Nobody else got it.
    assert!(rig.messages(rig.stakeholder2(), "INBOX").is_empty());
}
