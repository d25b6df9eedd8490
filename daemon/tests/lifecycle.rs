//! Starting and stopping: SIGTERM ends `loketd run` after the mail in flight (being
//! stored, or being sent), leaving the rest for the next start; a holiday file that has
//! run out is said at start, by `check-config`, by `report`, and refuses no mail.
//! SIGTERM arrives at an exact place through a crash point armed with `:term`
//! (`src/failpoint.rs`), so what "the mail in flight" is never depends on timing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use chrono::Datelike;
use rusqlite::Connection;
use support::daemon::{Daemon, wait_until};
use support::desk::{self, Transport, mail, read};
use support::rig::Rig;

use loketd::run::pass;
use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

fn question(rig: &Rig, i: usize) -> Vec<u8> {
    mail(
        rig.stakeholder(),
        OFFICE,
        &format!("Pertanyaan {i}"),
        &format!("q{i}@satker.example.test"),
        &format!("Pertanyaan nomor Q{i}."),
    )
}

fn db(site: &desk::TestSite) -> Connection {
    let c = Connection::open(site.data_dir().join("loketd.sqlite")).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    c
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// How often each outbox Message-ID arrived in each recipient's inbox.
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

/// Bounded, but generous: the point is where loketd stopped, not how fast.
const STOP_WITHIN: Duration = Duration::from_secs(30);

#[test]
fn sigterm_during_an_inbox_pass_stops_after_the_mail_in_flight() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    for i in 0..12 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    // SIGTERM arrives right after the third mail is stored, mid-batch (uncommitted).
    let mut d = Daemon::run_with(&site, &[("LOKETD_FAILPOINT", "stored-in-batch:3:term")]);
    let status = d
        .wait_exit(STOP_WITHIN)
        .unwrap_or_else(|| panic!("loketd still runs after SIGTERM:\n{}", d.log_text()));
    assert!(status.success(), "{status}: {}", d.log_text());
    let stopped = d
        .log_text()
        .lines()
        .filter(|l| l.split_whitespace().last() == Some("stopped"))
        .count();
    assert_eq!(stopped, 1, "{}", d.log_text());
    // The mail in flight was finished (stored and moved); the others wait in the inbox.
    let c = db(&site);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM messages"), 3);
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 3);
    assert_eq!(rig.messages(rig.office(), "INBOX").len(), 9);

    // The next start takes the rest, each once.
    d.start();
    wait_until(Duration::from_secs(60), "every question ticketed", || {
        count(&c, "SELECT COUNT(*) FROM tickets") == 12
            && rig.messages(rig.office(), "INBOX").is_empty()
    });
    d.stop();
    assert_eq!(count(&c, "SELECT COUNT(*) FROM messages"), 12);
    assert_eq!(
        count(&c, "SELECT COUNT(DISTINCT message_id) FROM messages"),
        12
    );
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 12);
}

#[test]
fn sigterm_while_sending_finishes_that_mail_and_leaves_the_rest_queued() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    // Four questions stored without sending: acknowledgements and notifications wait.
    for i in 0..4 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    let d = desk::desk(&site);
    {
        let mut store = Store::open(&d.config.mail.data_dir).unwrap();
        let mut mb = loketd::run::open_mailbox(&d).unwrap();
        assert_eq!(
            pass::pass(&mut mb, &mut store, &d, chrono::Utc::now)
                .unwrap()
                .new_tickets,
            4
        );
        mb.logout();
    }
    let c = db(&site);
    let queued = count(&c, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'");
    assert!(queued >= 8, "{queued} queued");

    // SIGTERM arrives just after SMTP accepted the second mail.
    let mut daemon = Daemon::run_with(&site, &[("LOKETD_FAILPOINT", "sent-before-mark:2:term")]);
    let status = daemon
        .wait_exit(STOP_WITHIN)
        .unwrap_or_else(|| panic!("loketd still runs after SIGTERM:\n{}", daemon.log_text()));
    assert!(status.success(), "{status}: {}", daemon.log_text());
    // That mail was marked sent; nothing after it was tried.
    assert_eq!(
        count(&c, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"),
        2
    );
    assert_eq!(
        count(
            &c,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 0"
        ),
        queued - 2
    );

    // The next start sends the rest; every mail arrives exactly once.
    daemon.start();
    wait_until(Duration::from_secs(60), "every mail sent", || {
        count(&c, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == 0
    });
    daemon.stop();
    rig.wait_for_postfix_queue_empty();
    let seen = deliveries(&rig);
    let mut stmt = c
        .prepare("SELECT message_id, recipients FROM outbox")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len() as i64, queued);
    for (id, to) in rows {
        for to in to.split(',') {
            assert_eq!(
                seen.get(&(to.to_string(), id.clone())),
                Some(&1),
                "{id} to {to}: {seen:?}"
            );
        }
    }
}

#[test]
fn a_holiday_file_that_has_run_out_is_said_everywhere_and_refuses_no_mail() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let last = chrono::Utc::now().year() - 1;
    std::fs::write(
        site.root().join("data/hari-libur.toml"),
        format!("[[libur]]\ntahun = {last}\nnasional = [\"{last}-01-01\"]\n"),
    )
    .unwrap();
    let expect = format!("the holiday file ends with {last}");
    let loketd = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_loketd"))
            .arg("--root")
            .arg(site.root())
            .args(args)
            .output()
            .unwrap()
    };

    let check = loketd(&["check-config"]);
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("WARN") && l.contains(&expect) && l.contains("hari-libur.toml")),
        "{out}"
    );

    rig.deliver(rig.office(), &question(&rig, 0));
    let mut d = Daemon::run(&site);
    wait_until(Duration::from_secs(30), "the database", || {
        site.data_dir().join("loketd.sqlite").exists()
    });
    let c = db(&site);
    wait_until(Duration::from_secs(60), "the question ticketed", || {
        rig.messages(rig.office(), "INBOX").is_empty()
            && c.query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get::<_, i64>(0))
                .unwrap_or(0)
                == 1
    });
    // Its deadline is still computed (weekends only past the file's end).
    assert_eq!(
        count(&c, "SELECT COUNT(*) FROM tickets WHERE due_at IS NOT NULL"),
        1,
        "{}",
        d.log_text()
    );
    d.stop();
    assert_eq!(count(&c, "SELECT COUNT(*) FROM quarantine"), 0);
    let warned: Vec<String> = d
        .log_text()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains(&expect))
        .map(str::to_string)
        .collect();
    assert_eq!(warned.len(), 1, "{}", d.log_text());

    let report = loketd(&["report"]);
    assert!(report.status.success());
    let err = String::from_utf8_lossy(&report.stderr);
    assert!(err.contains(&expect), "{err}");
}
