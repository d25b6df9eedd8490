//! Mail servers that go away: replies wait in the outbox and arrive once; the fetcher
//! reconnects with backoff; a wrong password or a refused connection is said clearly and
//! retried slowly, never in a busy loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use rusqlite::Connection;
use support::daemon::{Daemon, wait_until};
use support::desk::{self, Transport, mail, read};
use support::rig::Rig;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

fn count(site: &desk::TestSite, sql: &str) -> i64 {
    let path = site.data_dir().join("loketd.sqlite");
    if !path.exists() {
        return 0;
    }
    let c = Connection::open(path).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    // The daemon may not have created its tables yet.
    c.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

fn question(rig: &Rig, i: usize) -> Vec<u8> {
    let from = if i.is_multiple_of(2) {
        rig.stakeholder()
    } else {
        rig.stakeholder2()
    };
    mail(
        from,
        OFFICE,
        &format!("Pertanyaan {i}"),
        &format!("q{i}@satker.example.test"),
        &format!("Pertanyaan nomor Q{i}."),
    )
}

/// Message-IDs in the stakeholders' inboxes with how often each arrived.
fn acks(rig: &Rig) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for who in [rig.stakeholder(), rig.stakeholder2()] {
        for m in rig.messages(who, "INBOX") {
            *seen.entry(read(&m).message_id).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn smtp_outage_delays_replies_and_loses_none() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let mut d = Daemon::run(&site);
    rig.stop_postfix();
    for i in 0..4 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    // Ingestion goes on; the replies wait, and the sender has tried and failed.
    wait_until(
        Duration::from_secs(60),
        "4 tickets while SMTP is down",
        || count(&site, "SELECT COUNT(*) FROM tickets") == 4,
    );
    wait_until(Duration::from_secs(60), "a failed send attempt", || {
        count(
            &site,
            "SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND status = 'pending'",
        ) > 0
    });
    for i in 4..6 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    wait_until(
        Duration::from_secs(60),
        "6 tickets while SMTP is down",
        || count(&site, "SELECT COUNT(*) FROM tickets") == 6,
    );
    // The daemon moves a mail out of the inbox just after its commit.
    wait_until(Duration::from_secs(30), "the inbox emptied", || {
        rig.messages(rig.office(), "INBOX").is_empty()
    });
    assert_eq!(
        count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"),
        0
    );
    assert_eq!(
        count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        0
    );
    assert!(
        d.log_lines("SMTP server unreachable") >= 1,
        "{}",
        d.log_text()
    );

    rig.start_postfix();
    wait_until(Duration::from_secs(120), "every queued reply sent", || {
        count(&site, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == 0
    });
    let queued = count(&site, "SELECT COUNT(*) FROM outbox WHERE kind = 'ack'");
    assert_eq!(queued, 6);
    let mut seen = HashMap::new();
    wait_until(Duration::from_secs(60), "six acknowledgements", || {
        seen = acks(&rig);
        seen.len() == 6
    });
    d.stop();
    // Give Postfix a moment more: a duplicate would have arrived with the others.
    let seen = acks(&rig);
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(
        seen.values().all(|n| *n == 1),
        "a reply arrived twice: {seen:?}"
    );
}

#[test]
fn imap_outage_during_idle_reconnects_and_tickets_everything() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question(&rig, 0));
    wait_until(Duration::from_secs(60), "the first ticket", || {
        count(&site, "SELECT COUNT(*) FROM tickets") == 1
    });
    // The daemon is IDLE now; take Dovecot away under it.
    rig.stop_dovecot();
    wait_until(Duration::from_secs(60), "the daemon to notice", || {
        d.log_lines("IMAP session ended") >= 1
    });
    rig.start_dovecot();
    for i in 1..5 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    // The backoff is 1 s doubling to 300 s; Dovecot was away for seconds, so the
    // daemon is back long before the wait ends.
    wait_until(
        Duration::from_secs(90),
        "every mail ticketed after the outage",
        || count(&site, "SELECT COUNT(*) FROM tickets") == 5,
    );
    assert!(d.alive(), "loketd exited: {}", d.log_text());
    d.stop();
    let log = d.log_text();
    assert!(
        log.lines()
            .filter(|l| l.contains("connected to IMAP"))
            .count()
            >= 2,
        "no reconnect logged:\n{log}"
    );
    for line in log.lines().filter(|l| l.contains("IMAP session ended")) {
        assert!(line.contains("retry_in="), "{line}");
    }
    // The daemon moves a mail out of the inbox just after its commit.
    wait_until(Duration::from_secs(30), "the inbox emptied", || {
        rig.messages(rig.office(), "INBOX").is_empty()
    });
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 5);
}

/// Runs the daemon against a broken IMAP setting for a few seconds and returns its log.
fn broken_for_a_while(site: &desk::TestSite) -> String {
    let mut d = Daemon::run(site);
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        d.alive(),
        "a broken IMAP setting must not end the daemon: {}",
        d.log_text()
    );
    d.stop();
    d.log_text()
}

/// At most this many attempts fit in 5 s of a 1 s-doubling backoff (0, 1, 3 s, with
/// jitter), plus slack for the stop: dozens or thousands would be a busy loop.
const MAX_ATTEMPTS_IN_5S: usize = 5;

/// The "IMAP session ended" lines of a log: at least one, and few enough to show the
/// daemon backs off rather than looping.
fn session_ends(log: &str) -> Vec<&str> {
    let ended: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("IMAP session ended"))
        .collect();
    assert!(!ended.is_empty(), "{log}");
    assert!(
        ended.len() <= MAX_ATTEMPTS_IN_5S,
        "busy loop: {} attempts\n{log}",
        ended.len()
    );
    ended
}

#[test]
fn wrong_imap_password_is_logged_clearly_and_retried_slowly() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    std::fs::write(
        site.root().join("secrets/imap-password"),
        "not-the-password",
    )
    .unwrap();
    let log = broken_for_a_while(&site);
    let ended = session_ends(&log);
    assert!(
        ended[0].contains("refused login")
            && ended[0].contains("check the IMAP settings and password"),
        "{}",
        ended[0]
    );
}

#[test]
fn refused_imap_connection_is_logged_clearly_and_retried_slowly() {
    let rig = Rig::start();
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replacen(
            &format!("port = {}", rig.imap_port()),
            &format!("port = {port}"),
            1,
        )
    });
    let log = broken_for_a_while(&site);
    let ended = session_ends(&log);
    assert!(
        ended[0].contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{}",
        ended[0]
    );
}

#[test]
fn refused_smtp_connection_is_retried_slowly() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    rig.stop_postfix();
    rig.deliver(rig.office(), &question(&rig, 0));
    let mut d = Daemon::run(&site);
    wait_until(Duration::from_secs(60), "the first failed send", || {
        d.log_lines("SMTP server unreachable; replies stay queued") >= 1
    });
    std::thread::sleep(Duration::from_secs(5));
    d.stop();
    let n = d.log_lines("SMTP server unreachable; replies stay queued");
    // 1 s doubling: at most a handful in ~5 s.
    assert!(
        n <= MAX_ATTEMPTS_IN_5S + 1,
        "busy loop: {n} attempts\n{}",
        d.log_text()
    );
    assert_eq!(
        count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        0
    );
}
