//! Mail servers that go away: replies wait in the outbox and arrive once; the fetcher
//! reconnects with backoff; a wrong password or a refused connection is said clearly and
//! retried slowly, never in a busy loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use rusqlite::Connection;
use support::daemon::{Daemon, wait_until};
use support::desk::{self, Transport, db_count, db_try_count, mail, read};
use support::rig::Rig;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

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
        || db_try_count(&site, "SELECT COUNT(*) FROM tickets") == Ok(4),
    );
    wait_until(Duration::from_secs(60), "a failed send attempt", || {
        db_try_count(
            &site,
            "SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND status = 'pending'",
        )
        .is_ok_and(|n| n > 0)
    });
    for i in 4..6 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    wait_until(
        Duration::from_secs(60),
        "6 tickets while SMTP is down",
        || db_try_count(&site, "SELECT COUNT(*) FROM tickets") == Ok(6),
    );
    // The daemon moves a mail out of the inbox just after its commit.
    wait_until(Duration::from_secs(30), "the inbox emptied", || {
        rig.messages(rig.office(), "INBOX").is_empty()
    });
    assert_eq!(
        db_count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"),
        0
    );
    assert_eq!(
        db_count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        0
    );
    assert!(
        d.log_lines("SMTP server unreachable") >= 1,
        "{}",
        d.log_text()
    );

    rig.start_postfix();
    wait_until(Duration::from_secs(120), "every queued reply sent", || {
        db_try_count(&site, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == Ok(0)
    });
    let queued = db_count(&site, "SELECT COUNT(*) FROM outbox WHERE kind = 'ack'");
    assert_eq!(queued, 6);
    d.stop();
    // Every mail Postfix accepted is delivered before anything is counted: a duplicate
    // cannot still be on its way.
    rig.wait_for_postfix_queue_empty();
    let seen = deliveries(&rig);
    let rows = outbox_rows(&site);
    assert!(
        rows.len() >= 12,
        "acknowledgements and notifications: {rows:?}"
    );
    for (id, to) in &rows {
        for to in to.split(',') {
            assert_eq!(
                seen.get(&(to.to_string(), id.clone())),
                Some(&1),
                "{id} to {to}: {seen:?}"
            );
        }
    }
    // Nothing arrived that the outbox does not hold.
    assert_eq!(
        seen.values().sum::<usize>(),
        rows.iter()
            .map(|(_, to)| to.split(',').count())
            .sum::<usize>()
    );
}

/// Every outbox row: Message-ID and recipients.
fn outbox_rows(site: &desk::TestSite) -> Vec<(String, String)> {
    let c = Connection::open(site.data_dir().join("loketd.sqlite")).unwrap();
    let mut stmt = c
        .prepare("SELECT message_id, recipients FROM outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// How often each Message-ID arrived in each account's inbox (the office's aside).
fn deliveries(rig: &Rig) -> HashMap<(String, String), usize> {
    let mut seen = HashMap::new();
    for who in rig.accounts().into_iter().filter(|a| a.address != OFFICE) {
        for m in rig.messages(who, "INBOX") {
            *seen
                .entry((who.address.clone(), read(&m).message_id))
                .or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn imap_outage_during_idle_reconnects_and_tickets_everything() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question(&rig, 0));
    wait_until(Duration::from_secs(60), "the first ticket", || {
        db_try_count(&site, "SELECT COUNT(*) FROM tickets") == Ok(1)
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
        || db_try_count(&site, "SELECT COUNT(*) FROM tickets") == Ok(5),
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

/// One failed attempt in the log: when it was logged and the delay it announced.
struct Attempt {
    at: chrono::DateTime<chrono::FixedOffset>,
    retry_in: Duration,
    line: String,
}

/// The log lines holding `needle`, with their time and `retry_in=` delay.
fn attempts(log: &str, needle: &str) -> Vec<Attempt> {
    log.lines()
        .filter(|l| l.contains(needle))
        .map(|l| {
            let at = l
                .split_whitespace()
                .next()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .unwrap_or_else(|| panic!("no timestamp: {l}"));
            let delay = l
                .split("retry_in=")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or_else(|| panic!("no retry_in: {l}"));
            let retry_in = if let Some(ms) = delay.strip_suffix("ms") {
                Duration::from_secs_f64(ms.parse::<f64>().unwrap() / 1000.0)
            } else if let Some(s) = delay.strip_suffix('s') {
                Duration::from_secs_f64(s.parse().unwrap())
            } else {
                panic!("retry_in not understood: {l}")
            };
            Attempt {
                at,
                retry_in,
                line: l.to_string(),
            }
        })
        .collect()
}

/// The daemon backs off as it says: each attempt comes no sooner than the delay the
/// one before announced, and the delays double (with up to a quarter of jitter) until
/// their cap. A daemon that retried at once, or at a fixed pace, fails here; the
/// server's own delays (Dovecot slows failed logins) cannot make it pass.
fn assert_backs_off(log: &str, needle: &str, at_least: usize) -> Vec<Attempt> {
    let a = attempts(log, needle);
    assert!(
        a.len() >= at_least,
        "{} attempts, expected {at_least}:\n{log}",
        a.len()
    );
    for w in a.windows(2) {
        let gap = (w[1].at - w[0].at).to_std().unwrap_or_default();
        assert!(
            gap >= w[0].retry_in,
            "retried after {gap:?}, announced {:?}:\n{}\n{}",
            w[0].retry_in,
            w[0].line,
            w[1].line
        );
        assert!(
            w[1].retry_in.as_secs_f64() >= w[0].retry_in.as_secs_f64() * 1.5,
            "the delay does not grow:\n{}\n{}",
            w[0].line,
            w[1].line
        );
    }
    a
}

/// Runs the daemon against a broken IMAP setting until it has failed `n` times, and
/// returns its log.
fn broken_until(site: &desk::TestSite, n: usize) -> String {
    let mut d = Daemon::run(site);
    wait_until(Duration::from_secs(60), "failed attempts", || {
        d.log_lines("IMAP session ended") >= n
    });
    assert!(
        d.alive(),
        "a broken IMAP setting must not end the daemon: {}",
        d.log_text()
    );
    d.stop();
    d.log_text()
}

/// Four attempts: three gaps of 1, 2 and 4 s (plus jitter).
const ATTEMPTS: usize = 4;

#[test]
fn wrong_imap_password_is_logged_clearly_and_retried_slowly() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    std::fs::write(
        site.root().join("secrets/imap-password"),
        "not-the-password",
    )
    .unwrap();
    let log = broken_until(&site, ATTEMPTS);
    let ended = assert_backs_off(&log, "IMAP session ended", ATTEMPTS);
    assert!(
        ended[0].line.contains("refused login")
            && ended[0]
                .line
                .contains("check the IMAP settings and password"),
        "{}",
        ended[0].line
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
    let log = broken_until(&site, ATTEMPTS);
    let ended = assert_backs_off(&log, "IMAP session ended", ATTEMPTS);
    assert!(
        ended[0]
            .line
            .contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{}",
        ended[0].line
    );
}

#[test]
fn refused_smtp_connection_is_retried_slowly() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    rig.stop_postfix();
    rig.deliver(rig.office(), &question(&rig, 0));
    let mut d = Daemon::run(&site);
    let needle = "SMTP server unreachable; replies stay queued";
    wait_until(Duration::from_secs(60), "failed sends", || {
        d.log_lines(needle) >= ATTEMPTS
    });
    d.stop();
    assert_backs_off(&d.log_text(), needle, ATTEMPTS);
    assert_eq!(
        db_count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        0
    );
}
