//! loketd as an office server, against the real rig: one instance per data folder,
//! configuration failures that hold the queue and heal after SIGHUP, TLS mistakes in
//! plain words, `status`, backup and restore, file modes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::daemon::{Daemon, loketd, wait_until};
use support::desk::{self, Transport, mail, read};
use support::rig::Rig;

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

/// Subjects of the mails in the stakeholder's inbox.
fn stakeholder_subjects(rig: &Rig) -> Vec<String> {
    rig.messages(rig.stakeholder(), "INBOX")
        .iter()
        .map(|m| read(m).subject)
        .collect()
}

/// Starts `loketd run` with its stderr in `log`.
fn spawn_run(root: &Path, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(root)
        .arg("run")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn lock_holder(site: &desk::TestSite) -> Option<u32> {
    fs::read_to_string(site.data_dir().join("loketd.lock"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

#[test]
fn two_runs_at_once_one_exits_naming_the_other_and_each_mail_gets_one_ack() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let logs = [site.root().join("a.log"), site.root().join("b.log")];
    let mut runs = [
        spawn_run(site.root(), &logs[0]),
        spawn_run(site.root(), &logs[1]),
    ];
    // Exactly one of them gives up, on its own and soon.
    let mut exited = None;
    wait_until(Duration::from_secs(20), "one of two runs to exit", || {
        for (i, r) in runs.iter_mut().enumerate() {
            if let Ok(Some(status)) = r.try_wait() {
                exited = Some((i, status));
            }
        }
        exited.is_some()
    });
    let (loser, status) = exited.unwrap();
    let winner = 1 - loser;
    assert!(!status.success(), "the second run exits with an error");
    let said = fs::read_to_string(&logs[loser]).unwrap();
    assert!(
        said.contains(&format!("PID {}", runs[winner].id())),
        "the second run names the first: {said}"
    );
    assert!(
        matches!(runs[winner].try_wait(), Ok(None)),
        "the first runs on"
    );

    for i in 0..3 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    rig.wait_for_messages(rig.stakeholder(), "INBOX", 3, desk::WAIT);
    // Read-only commands work beside the running daemon.
    let (code, out, err) = loketd(site.root(), &["tickets"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    // Give a stray second sender time to show itself, then count.
    std::thread::sleep(Duration::from_secs(2));
    let mut subjects = stakeholder_subjects(&rig);
    subjects.sort();
    let before = subjects.len();
    subjects.dedup();
    assert_eq!(before, 3, "one acknowledgement per mail: {subjects:?}");
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    let _ = runs[winner].kill();
    let _ = runs[winner].wait();
}

#[test]
fn once_while_run_holds_the_lock_exits_naming_it_and_works_after() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let mut d = Daemon::run(&site);
    let pid = d.pid().unwrap();
    wait_until(Duration::from_secs(20), "run to take the lock", || {
        lock_holder(&site) == Some(pid)
    });
    rig.deliver(rig.office(), &question(&rig, 1));
    let (code, _, err) = loketd(site.root(), &["once"]);
    assert_ne!(code, 0, "once must not run beside run");
    assert!(err.contains(&format!("PID {pid}")), "{err}");
    let (code, _, err) = loketd(site.root(), &["outbox", "--retry"]);
    assert_ne!(code, 0, "outbox --retry writes: {err}");
    d.stop();
    let (code, _, err) = loketd(site.root(), &["once"]);
    assert_eq!(code, 0, "{err}");
}

fn db_count(site: &desk::TestSite, sql: &str) -> i64 {
    let path = site.data_dir().join("loketd.sqlite");
    let Ok(c) = rusqlite::Connection::open(path) else {
        return 0;
    };
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

/// The TLS test site with SMTP logging in from `secrets/smtp-password` (`password`).
fn site_with_smtp_password(rig: &Rig, password: &str) -> desk::TestSite {
    let site = desk::site(rig, Transport::Tls, |t| {
        let at = t.rfind("secrets/imap-password").unwrap();
        format!("{}secrets/smtp-password{}", &t[..at], &t[at + 21..])
    });
    write_secret(&site, "smtp-password", password);
    site
}

fn write_secret(site: &desk::TestSite, name: &str, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = site.root().join("secrets").join(name);
    fs::write(&p, text).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn a_wrong_smtp_password_holds_the_queue_and_sighup_after_the_fix_sends_it() {
    let rig = Rig::start();
    let site = site_with_smtp_password(&rig, "not-the-password");
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question(&rig, 1));
    wait_until(
        Duration::from_secs(30),
        "the refused login recorded",
        || {
            db_count(
                &site,
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND last_error LIKE '%535%'",
            ) > 0
        },
    );
    wait_until(Duration::from_secs(10), "the ERROR line", || {
        d.log_lines("SMTP refused our login or TLS, not the mail") > 0
    });
    let line = d
        .log_text()
        .lines()
        .find(|l| l.contains("SMTP refused our login"))
        .unwrap()
        .to_string();
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("password"), "says what to check: {line}");
    assert_eq!(
        db_count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        0,
        "no mail is failed for our login"
    );
    assert_eq!(
        db_count(&site, "SELECT COALESCE(MAX(attempts), 0) FROM outbox"),
        0,
        "a refused login is no attempt at the mail"
    );

    // A broken site.toml on reload: the daemon keeps running on the old one and says so.
    let toml = site.root().join("site.toml");
    let good = fs::read_to_string(&toml).unwrap();
    fs::write(&toml, format!("{good}\n[mail\n")).unwrap();
    d.signal("HUP");
    wait_until(Duration::from_secs(10), "the refused reload", || {
        d.log_lines("reload refused") > 0
    });
    assert!(d.alive(), "SIGHUP must not end loketd");

    // The fix: SMTP logs in with the right password file; SIGHUP; the ack goes out with
    // no manual retry (the old configuration alone would keep failing).
    fs::write(
        &toml,
        good.replace("secrets/smtp-password", "secrets/imap-password"),
    )
    .unwrap();
    d.signal("HUP");
    let acks = rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);
    assert_eq!(acks.len(), 1);
    assert!(
        read(&acks[0]).subject.contains("#1]"),
        "{}",
        read(&acks[0]).subject
    );
    wait_until(Duration::from_secs(10), "the row marked sent", || {
        db_count(&site, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == 0
    });
    assert!(d.log_lines("configuration reloaded") >= 1);
    d.stop();
}
