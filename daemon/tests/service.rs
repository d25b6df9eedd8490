//! loketd as an office server, against the real rig: one instance per data folder,
//! configuration failures that hold the queue and heal after SIGHUP, TLS mistakes in
//! plain words and pinned certificates, the log, `status`, backup and restore, file
//! modes and retention, attachments stored once, the command line, the systemd unit,
//! XOAUTH2. A few cases need no server and run on the harness instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::daemon::{Daemon, loketd, wait_until};
use support::desk::{self, Transport, db_count, db_try_count, mail, read};
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
    spawn(root, log, &["run"])
}

/// Starts `loketd ARGS…` with its stderr in `log`.
fn spawn(root: &Path, log: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(root)
        .args(args)
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
    rig.deliver(rig.office(), &question(&rig, 1));
    // From cron, `once` says so and exits non-zero, the mail kept.
    let (code, _, err) = loketd(site.root(), &["once"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("SMTP refused our login"), "{err}");
    assert!(err.contains("535"), "{err}");
    let mut d = Daemon::run(&site);
    wait_until(
        Duration::from_secs(30),
        "the refused login recorded",
        || {
            db_try_count(
                &site,
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND last_error LIKE '%535%'",
            )
            .is_ok_and(|n| n > 0)
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
    // Monitoring sees the broken file too.
    let (code, status, _) = loketd(site.root(), &["status"]);
    assert_eq!(code, 2, "{status}");
    assert!(status.contains("site.toml:"), "{status}");

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
        db_try_count(&site, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == Ok(0)
    });
    assert!(d.log_lines("configuration reloaded") >= 1);
    d.stop();
}

// ----- TLS -------------------------------------------------------------------------------

/// The test site with its [mail.imap] and [mail.smtp] tables replaced by `servers`.
fn site_with_servers(rig: &Rig, servers: &str) -> desk::TestSite {
    desk::site(rig, Transport::Plain, |t| {
        let start = t.find("[mail.imap]").unwrap();
        let end = t.find("[office_hours]").unwrap();
        format!("{}{servers}\n{}", &t[..start], &t[end..])
    })
}

fn imap_table(rig: &Rig, host: &str, port: u16, tls: &str, extra: &str) -> String {
    format!(
        "[mail.imap]\nhost = \"{host}\"\nport = {port}\ntls = \"{tls}\"\nuser = \"{}\"\n\
         password_file = \"secrets/imap-password\"\n{extra}\n",
        rig.office().address
    )
}

fn smtp_table(rig: &Rig, host: &str, port: u16, tls: &str, extra: &str) -> String {
    format!(
        "[mail.smtp]\nhost = \"{host}\"\nport = {port}\ntls = \"{tls}\"\nuser = \"{}\"\n\
         password_file = \"secrets/imap-password\"\n{extra}\n",
        rig.office().address
    )
}

/// `loketd check-config`: its output, and how long it took.
fn check_config(site: &desk::TestSite) -> (i32, String, Duration) {
    let started = std::time::Instant::now();
    let (code, out, err) = loketd(site.root(), &["check-config"]);
    (code, format!("{out}{err}"), started.elapsed())
}

/// The line of `check-config` output about `what` ("IMAP" or "SMTP").
fn line<'a>(out: &'a str, what: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(&format!(" {what} ")))
        .unwrap_or_else(|| panic!("no {what} line in:\n{out}"))
}

/// A certificate for `san` signed by the rig's CA, valid for `days` (0: expired a
/// second after it is made), served by `openssl s_server` with implicit TLS.
struct TlsServer {
    child: Child,
    port: u16,
}

impl TlsServer {
    fn start(rig: &Rig, dir: &Path, san: &str, days: u32) -> TlsServer {
        fs::create_dir_all(dir).unwrap();
        let f = |n: &str| dir.join(n).display().to_string();
        let ca = rig.ca_file().display().to_string();
        let ca_key = rig.ca_file().with_file_name("ca.key").display().to_string();
        fs::write(
            dir.join("ext.cnf"),
            format!("subjectAltName = {san}\nextendedKeyUsage = serverAuth\n"),
        )
        .unwrap();
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=test",
            "-keyout",
            &f("s.key"),
            "-out",
            &f("s.csr"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &f("s.csr"),
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-days",
            &days.to_string(),
            "-extfile",
            &f("ext.cnf"),
            "-out",
            &f("s.pem"),
        ]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", &f("s.pem"), "-key", &f("s.key")])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until(
            Duration::from_secs(10),
            "openssl s_server to listen",
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        );
        if days == 0 {
            // Valid for no time at all: expired from the next second on.
            std::thread::sleep(Duration::from_millis(1100));
        }
        TlsServer { child, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn each_tls_mistake_is_said_in_plain_words_within_seconds() {
    let rig = Rig::start();
    let ca = "ca_file = \"secrets/ca.pem\"";
    let tmp = tempfile::tempdir().unwrap();
    let wrong_name = TlsServer::start(&rig, &tmp.path().join("n"), "DNS:mail.other.example", 30);
    let expired = TlsServer::start(&rig, &tmp.path().join("e"), "DNS:localhost", 0);
    // (what is wrong, IMAP table, SMTP table, what each line must say)
    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "implicit TLS on a plain port",
            imap_table(&rig, "localhost", rig.imap_port(), "implicit", ca),
            smtp_table(&rig, "localhost", rig.submission_port(), "implicit", ca),
            "answers in plain text, not TLS",
        ),
        (
            "STARTTLS on an implicit-TLS port",
            imap_table(&rig, "localhost", rig.imaps_port(), "starttls", ca),
            smtp_table(&rig, "localhost", rig.smtps_port(), "starttls", ca),
            "expects TLS from the first byte",
        ),
        (
            "a certificate from an unknown issuer",
            imap_table(&rig, "localhost", rig.imaps_port(), "implicit", ""),
            smtp_table(&rig, "localhost", rig.submission_port(), "starttls", ""),
            "not signed by an authority this machine trusts",
        ),
        (
            "a certificate for another name",
            imap_table(&rig, "localhost", wrong_name.port, "implicit", ca),
            smtp_table(&rig, "localhost", wrong_name.port, "implicit", ca),
            "is not issued for the name \"localhost\"",
        ),
        (
            "an expired certificate",
            imap_table(&rig, "localhost", expired.port, "implicit", ca),
            smtp_table(&rig, "localhost", expired.port, "implicit", ca),
            "has expired",
        ),
    ];
    for (what, imap, smtp, says) in cases {
        let site = site_with_servers(&rig, &format!("{imap}{smtp}"));
        let (code, out, took) = check_config(&site);
        eprintln!("{what}: check-config took {took:?}");
        assert_ne!(code, 0, "{what}: {out}");
        for proto in ["IMAP", "SMTP"] {
            let l = line(&out, proto);
            assert!(l.starts_with("FAIL"), "{what}: {l}");
            assert!(l.contains(says), "{what}, {proto}: {l}");
        }
        if what.contains("unknown issuer") {
            assert!(
                line(&out, "IMAP").contains("tls_fingerprint = \"sha256:"),
                "{out}"
            );
            assert!(
                line(&out, "SMTP").contains("tls_fingerprint = \"sha256:"),
                "{out}"
            );
        }
        // Both lines before the 60 s a read timeout would take (4 s each at most; the
        // bound leaves room for a loaded CI machine: it catches a hang, not slowness).
        assert!(took < Duration::from_secs(30), "{what}: {took:?}");
    }
}

#[test]
fn a_self_signed_server_certificate_is_trusted_by_ca_file_or_by_fingerprint() {
    let rig = Rig::start();
    // The rig's servers get a self-signed certificate (CA:TRUE, as `openssl req -x509`
    // makes it by default: what webpki refuses as "CA used as end entity").
    let tls = rig.dir().join("tls");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        &tls.join("server.key").display().to_string(),
        "-out",
        &tls.join("server.pem").display().to_string(),
    ]);
    rig.stop_dovecot();
    rig.stop_postfix();
    rig.start_dovecot();
    rig.start_postfix();
    let servers = |extra: &str| {
        format!(
            "{}{}",
            imap_table(&rig, "localhost", rig.imaps_port(), "implicit", extra),
            smtp_table(&rig, "localhost", rig.submission_port(), "starttls", extra)
        )
    };
    // Not trusted: check-config says so and prints the certificate's fingerprint.
    let site = site_with_servers(&rig, &servers(""));
    let (code, out, _) = check_config(&site);
    assert_ne!(code, 0, "{out}");
    let printed = line(&out, "IMAP")
        .split("tls_fingerprint = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no fingerprint printed: {out}"))
        .to_string();
    assert!(line(&out, "SMTP").contains(&printed), "{out}");

    // Pinned by ca_file naming the server's own certificate.
    fs::copy(tls.join("server.pem"), site.root().join("secrets/self.pem")).unwrap();
    let by_file = site_with_servers(&rig, &servers("ca_file = \"secrets/self.pem\""));
    fs::copy(
        tls.join("server.pem"),
        by_file.root().join("secrets/self.pem"),
    )
    .unwrap();
    let (code, out, _) = check_config(&by_file);
    assert_eq!(code, 0, "ca_file naming the self-signed certificate: {out}");

    // Pinned by the fingerprint check-config printed.
    let by_pin = site_with_servers(&rig, &servers(&format!("tls_fingerprint = \"{printed}\"")));
    let (code, out, _) = check_config(&by_pin);
    assert_eq!(code, 0, "tls_fingerprint: {out}");
    // And the mail goes the whole way through the pinned servers.
    rig.deliver(rig.office(), &question(&rig, 1));
    let (code, _, err) = loketd(by_pin.root(), &["once"]);
    assert_eq!(code, 0, "{err}");
    rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);

    // Another fingerprint is refused.
    let other = format!("sha256:{}", "0".repeat(64));
    let wrong = site_with_servers(&rig, &servers(&format!("tls_fingerprint = \"{other}\"")));
    let (code, out, _) = check_config(&wrong);
    assert_ne!(code, 0, "a wrong fingerprint must not pass: {out}");
}

// ----- logs ------------------------------------------------------------------------------

#[test]
fn the_log_starts_with_one_settings_line_and_has_no_debug_structs_text_or_json() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Tls, |t| t);
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question(&rig, 1));
    rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);
    wait_until(Duration::from_secs(10), "the pass line", || {
        d.log_lines("inbox pass") > 0
    });
    d.stop();
    let log = d.log_text();
    let started: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("loketd started"))
        .collect();
    assert_eq!(started.len(), 1, "{log}");
    for field in [
        "version=",
        "root=",
        "mailbox=layanan@kppn-tanjungselor.example",
        "imap=localhost:",
        "imap_tls=implicit+ca_file",
        "imap_auth=layanan@kppn-tanjungselor.example password_file",
        "folders=INBOX -> Diproses | Karantina",
        "smtp_tls=starttls+ca_file",
    ] {
        assert!(started[0].contains(field), "no {field} in {}", started[0]);
    }
    // key=value fields only: no `Name { field: … }` of Rust's Debug.
    for l in log.lines() {
        let debug = l
            .split_whitespace()
            .zip(l.split_whitespace().skip(1))
            .any(|(a, b)| b == "{" && a.chars().next().is_some_and(char::is_uppercase));
        assert!(!debug, "a Debug struct in the log: {l}");
    }
    assert!(log.contains("new ticket ticket=1"), "{log}");
    assert!(log.contains("inbox pass fetched=1 new_tickets=1"), "{log}");

    // The same as JSON: every line one object, the start-up fields at the top level.
    let json_log = site.root().join("json.log");
    let mut run = spawn(site.root(), &json_log, &["--log-format", "json", "run"]);
    wait_until(Duration::from_secs(20), "the JSON start-up line", || {
        fs::read_to_string(&json_log).is_ok_and(|t| t.contains("connected to IMAP"))
    });
    let _ = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status();
    let _ = run.wait();
    let text = fs::read_to_string(&json_log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let start = lines
        .iter()
        .find(|v| v["message"] == "loketd started")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(start["mailbox"], "layanan@kppn-tanjungselor.example");
    assert_eq!(start["level"], "INFO");
    assert!(start["pid"].is_u64(), "{start}");
}

// ----- status ----------------------------------------------------------------------------

#[test]
fn status_exit_codes_healthy_backed_up_and_broken() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    // Never run: nothing has passed the inbox yet.
    let (code, out, _) = loketd(site.root(), &["status"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("LOKETD CRITICAL - no inbox pass yet"),
        "{out}"
    );

    // Healthy: the daemon runs and answers.
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question(&rig, 1));
    rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);
    wait_until(Duration::from_secs(10), "the outbox drained", || {
        db_try_count(
            &site,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
        ) == Ok(0)
    });
    let (code, out, _) = loketd(site.root(), &["status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("LOKETD OK - all well |"), "{out}");
    assert!(out.contains("WITA ("), "office-local times: {out}");
    assert!(out.contains("inbox=0 queued=0 failed=0"), "{out}");
    assert!(out.contains("quarantined=0"), "{out}");

    // Mail quarantined in the last day waits for a person: a warning until it is a day
    // old, and counted for as long as the record stays.
    let db = rusqlite::Connection::open(site.data_dir().join("loketd.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    let record = |hours_ago: i64| {
        let at = chrono::Utc::now() - chrono::Duration::hours(hours_ago);
        db.execute(
            "INSERT INTO quarantine (folder, uidvalidity, uid, size, reason, at)
             VALUES ('INBOX', 1, ?1, 10, 'cannot parse', ?2)",
            rusqlite::params![1000 + hours_ago, at],
        )
        .unwrap();
    };
    record(30);
    let (code, out, _) = loketd(site.root(), &["status"]);
    assert_eq!(
        code, 0,
        "a day-old quarantine is counted, not warned of: {out}"
    );
    assert!(out.contains("quarantined=1"), "{out}");
    record(1);
    let (code, out, _) = loketd(site.root(), &["status"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("LOKETD WARNING - 1 mail(s) quarantined in the last 24 h"),
        "{out}"
    );
    assert!(out.contains("quarantined=2"), "{out}");
    db.execute("DELETE FROM quarantine", []).unwrap();
    drop(db);

    // Backed up: SMTP is away, replies wait longer than the warning threshold.
    rig.stop_postfix();
    rig.deliver(rig.office(), &question(&rig, 2));
    wait_until(Duration::from_secs(30), "replies queued", || {
        db_try_count(
            &site,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
        )
        .is_ok_and(|n| n > 0)
    });
    std::thread::sleep(Duration::from_secs(2));
    let (code, out, _) = loketd(site.root(), &["status", "--warn-seconds", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("LOKETD WARNING - "), "{out}");
    assert!(out.contains("queued, the oldest for"), "{out}");
    assert!(
        out.contains("SMTP server unreachable"),
        "the last error: {out}"
    );
    d.stop();
    rig.start_postfix();

    // Broken: the IMAP password is wrong (the inbox cannot be read).
    fs::write(
        site.root().join("secrets/imap-password"),
        "not-the-password",
    )
    .unwrap();
    let (code, out, _) = loketd(site.root(), &["status"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("LOKETD CRITICAL - "), "{out}");
    assert!(out.contains("IMAP"), "{out}");
}

// ----- backup ----------------------------------------------------------------------------

/// A question with a small PDF-ish attachment.
fn question_with_attachment(rig: &Rig, i: usize) -> Vec<u8> {
    attached(
        &rig.stakeholder().address,
        i,
        "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoK",
    )
}

/// A question from `from` with an attachment whose content is `base64`.
fn attached(from: &str, i: usize, base64: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {OFFICE}\r\nSubject: Berkas {i}\r\nMessage-ID: <a{i}@satker.example.test>\r\n\
         Date: Tue, 17 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nTerlampir berkas {i}.\r\n--b\r\n\
         Content-Type: application/pdf; name=\"spm-{i}.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"spm-{i}.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{base64}\r\n--b--\r\n"
    )
    .into_bytes()
}

#[test]
fn a_backup_taken_while_running_restores_into_a_new_folder_with_every_ticket() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let mut d = Daemon::run(&site);
    for i in 0..4 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    rig.deliver(rig.office(), &question_with_attachment(&rig, 4));
    wait_until(Duration::from_secs(30), "5 tickets", || {
        db_try_count(&site, "SELECT COUNT(*) FROM tickets") == Ok(5)
    });
    let target = site.root().join("backup-1");
    // Mail keeps arriving while the backup runs.
    let (code, out, err) = std::thread::scope(|s| {
        s.spawn(|| {
            for i in 10..20 {
                rig.deliver(rig.office(), &question(&rig, i));
            }
        });
        loketd(site.root(), &["backup", &target.display().to_string()])
    });
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("integrity_check ok"), "{out}");
    wait_until(Duration::from_secs(30), "15 tickets", || {
        db_try_count(&site, "SELECT COUNT(*) FROM tickets") == Ok(15)
    });
    d.stop();

    // Restore as docs/daemon.md says: the backup's files into an empty data folder.
    let restored = desk::site(&rig, Transport::Plain, |t| t);
    let data = restored.data_dir();
    fs::create_dir_all(&data).unwrap();
    let cp = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", target.display()))
        .arg(&data)
        .status()
        .unwrap();
    assert!(cp.success());
    let db = rusqlite::Connection::open(data.join("loketd.sqlite")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let backed_up: i64 = db
        .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
        .unwrap();
    assert!((5..=15).contains(&backed_up), "{backed_up} tickets");
    // Every ticket is there as it was, and every file a row names.
    let original = rusqlite::Connection::open(site.data_dir().join("loketd.sqlite")).unwrap();
    let mut stmt = db.prepare("SELECT id, subject FROM tickets").unwrap();
    let rows: Vec<(i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, subject) in &rows {
        let was: String = original
            .query_row("SELECT subject FROM tickets WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(&was, subject);
    }
    let mut stmt = db.prepare("SELECT raw_sha256 FROM messages").unwrap();
    for h in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let h = h.unwrap();
        assert!(
            data.join("raw").join(format!("{h}.eml")).is_file(),
            "raw {h}"
        );
    }
    let mut stmt = db.prepare("SELECT sha256 FROM attachments").unwrap();
    let atts: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!atts.is_empty(), "the attachment is in the backup");
    for h in atts {
        assert!(
            data.join("attachments").join(&h).is_file(),
            "attachment {h}"
        );
    }
    assert!(data.join("capability.key").is_file());
    // loketd reads the restored folder.
    let (code, out, err) = loketd(restored.root(), &["tickets"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count() as i64, backed_up, "{out}");
    let (code, out, err) = loketd(restored.root(), &["show", "5"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Berkas 4"), "{out}");
}

// ----- personal data -----------------------------------------------------------------------

/// Every path under `dir` whose mode is not 0700 (folders) or 0600 (files).
fn open_modes(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != want {
            out.push(format!("{} {mode:o}", p.display()));
        }
        if meta.is_dir() {
            stack.extend(fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    out
}

#[test]
fn the_data_folder_is_private_after_start_and_stays_so() {
    use std::os::unix::fs::PermissionsExt;
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    // As an older loketd (or a careless copy) left it: readable by everyone.
    let data = site.data_dir();
    fs::create_dir_all(data.join("raw")).unwrap();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(data.join("raw"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(data.join("raw/old.eml"), "From: x\r\n\r\nold\r\n").unwrap();
    fs::set_permissions(data.join("raw/old.eml"), fs::Permissions::from_mode(0o644)).unwrap();
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question_with_attachment(&rig, 1));
    rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);
    wait_until(Duration::from_secs(10), "the attachment stored", || {
        fs::read_dir(data.join("attachments")).is_ok_and(|mut d| d.next().is_some())
    });
    let open = open_modes(&data);
    assert!(open.is_empty(), "not private: {open:?}");
    assert!(
        d.log_lines("made it private") == 1,
        "the start says it closed the folder: {}",
        d.log_text()
    );
    d.stop();
}

#[test]
fn prune_removes_only_what_the_retention_policy_says() {
    use chrono::{Duration as Days, Utc};
    use loketd::rules::kinds::EventKind;
    use support::harness::Harness;
    let mut w = Harness::with(|t| format!("{t}\n[retention]\nmail_months = 12\n"));
    let now = Utc::now();
    let then = now - Days::days(420);
    let from = w.stakeholder().address;
    let shared = "JVBERi0xLjQKc2hhcmVkIGJ5IHR3byB0aWNrZXRzCg==";
    w.deliver(&attached(&from, 1, shared), then); // #1: closed 13 months ago
    w.deliver(&question_from(&from, 2), then); // #2: closed 2 months ago
    w.deliver(&attached(&from, 3, shared), now); // #3: open, same attachment as #1
    w.deliver(&attached(&from, 4, "JVBERi0xLjQKb25seSBmb3VyCg=="), then); // #4: closed long ago
    let close = |w: &Harness, id: i64, at: chrono::DateTime<Utc>| {
        w.store
            .conn()
            .execute(
                "UPDATE tickets SET status = 'closed', closed_at = ?2 WHERE id = ?1",
                rusqlite::params![id, at],
            )
            .unwrap();
    };
    close(&w, 1, now - Days::days(400));
    close(&w, 2, now - Days::days(60));
    close(&w, 4, now - Days::days(400));
    let raw_of = |w: &Harness, id: i64| -> Vec<String> {
        let mut stmt = w
            .store
            .conn()
            .prepare("SELECT raw_sha256 FROM messages WHERE ticket_id = ?1")
            .unwrap();
        stmt.query_map([id], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let attachment_of = |w: &Harness, id: i64| -> String {
        w.store
            .conn()
            .query_row(
                "SELECT a.sha256 FROM attachments a JOIN messages m ON a.message_row = m.id WHERE m.ticket_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let raw_file = |w: &Harness, h: &str| w.data_dir().join("raw").join(format!("{h}.eml"));
    let att_file = |w: &Harness, h: &str| w.data_dir().join("attachments").join(h);
    let (raw1, raw2, raw3, raw4) = (raw_of(&w, 1), raw_of(&w, 2), raw_of(&w, 3), raw_of(&w, 4));
    let (shared_h, four_h) = (attachment_of(&w, 1), attachment_of(&w, 4));
    assert_eq!(shared_h, attachment_of(&w, 3), "one file for both");
    let body = |w: &Harness, id: i64| {
        w.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE ticket_id = {id} AND body != ''"
        ))
    };

    // A dry run counts and changes nothing.
    let (desk, store) = (&w.desk, &mut w.store);
    let dry = loketd::run::prune(store, desk, true).unwrap();
    assert_eq!((dry.tickets, dry.attachment_files), (2, 1), "{dry:?}");
    assert!(raw_file(&w, &raw1[0]).exists() && body(&w, 1) > 0);
    assert!(!w.events(1).contains(&EventKind::MailRemoved));

    let (desk, store) = (&w.desk, &mut w.store);
    let p = loketd::run::prune(store, desk, false).unwrap();
    assert_eq!(p, dry, "the dry run said what happens");
    assert_eq!(p.tickets, 2, "{p:?}");
    assert_eq!(p.attachment_files, 1, "only #4's own attachment: {p:?}");
    // #1 and #4: their mail is gone, their facts stay.
    for (id, raw) in [(1, &raw1), (4, &raw4)] {
        assert_eq!(body(&w, id), 0, "#{id} text");
        for h in raw {
            assert!(!raw_file(&w, h).exists(), "#{id} raw mail");
        }
        assert!(w.events(id).contains(&EventKind::MailRemoved), "#{id}");
        assert_eq!(w.ticket(id).status.as_str(), "closed");
    }
    assert!(!att_file(&w, &four_h).exists(), "#4's attachment");
    // The attachment #3 (open) shares stays; #2 (closed 2 months ago) and #3 keep all.
    assert!(
        att_file(&w, &shared_h).exists(),
        "shared with an open ticket"
    );
    for (id, raw) in [(2, &raw2), (3, &raw3)] {
        assert!(body(&w, id) > 0, "#{id} text kept");
        for h in raw {
            assert!(raw_file(&w, h).exists(), "#{id} raw mail kept");
        }
        assert!(!w.events(id).contains(&EventKind::MailRemoved));
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM tickets"),
        4,
        "ticket facts are kept"
    );
    assert_eq!(w.ticket(1).subject, "Berkas 1");
    // A second run has nothing left to do.
    let (desk, store) = (&w.desk, &mut w.store);
    assert_eq!(
        loketd::run::prune(store, desk, false).unwrap(),
        Default::default()
    );
    // A backup after pruning still works: the removed files are counted, not fatal.
    let target = tempfile::tempdir().unwrap();
    let copy = loketd::store::backup::backup(w.data_dir(), &target.path().join("b")).unwrap();
    assert_eq!(copy.tickets, 4);
    assert_eq!(copy.missing, raw1.len() + raw4.len() + 1, "{copy:?}");
}

fn question_from(from: &str, i: usize) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {OFFICE}\r\nSubject: Pertanyaan {i}\r\nMessage-ID: <p{i}@satker.example.test>\r\n\
         Date: Tue, 17 Mar 2026 10:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPertanyaan {i}.\r\n"
    )
    .into_bytes()
}

// ----- the command line ----------------------------------------------------------------------

#[test]
fn show_lists_attachments_and_mails_in_office_time_and_attachment_saves_one() {
    use support::harness::Harness;
    let mut w = Harness::new();
    let from = w.stakeholder().address;
    w.deliver(
        &attached(&from, 1, "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoK"),
        chrono::Utc::now(),
    );
    let root = w.site.root().to_path_buf();
    let (code, out, err) = loketd(&root, &["show", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" WITA"), "office-local times: {out}");
    assert!(!out.contains("UTC"), "{out}");
    assert!(out.contains("spm-1.pdf (application/pdf, 27 B)"), "{out}");
    assert!(out.contains(&format!("ack to {from} · queued")), "{out}");
    assert!(
        out.contains("notify to cso1@kppn-tanjungselor.example"),
        "{out}"
    );

    let saved = root.join("saved.pdf");
    let path = saved.display().to_string();
    let (code, _, err) = loketd(&root, &["attachment", "1", "spm-1.pdf", "--output", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(fs::read(&saved).unwrap().starts_with(b"%PDF-1.4"));
    let (code, _, err) = loketd(&root, &["attachment", "1", "spm-1.pdf", "--output", &path]);
    assert_eq!(code, 1, "an existing file is never overwritten: {err}");
    let (code, _, err) = loketd(&root, &["attachment", "1", "lain.pdf", "-o", "x"]);
    assert_eq!(code, 1);
    assert!(err.contains("it has: #1 spm-1.pdf"), "{err}");
}

#[test]
fn mail_writes_a_stored_mail_as_received_and_names_a_missing_attachment_file() {
    use sha2::Digest;
    use support::harness::Harness;
    let mut w = Harness::new();
    let from = w.stakeholder().address;
    let data: Vec<u8> = (0..40_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let lines = desk::base64_lines(&data, 76);
    let raw = attached(&from, 1, &lines);
    w.deliver(&raw, chrono::Utc::now());
    let sha = hex::encode(sha2::Sha256::digest(&raw));
    // On disk the mail keeps the file's base64 only once: in attachments/.
    let kept = fs::read(w.data_dir().join("raw").join(format!("{sha}.eml"))).unwrap();
    assert!(kept.len() < 2_000, "raw file of {} bytes", kept.len());
    let root = w.site.root().to_path_buf();
    let (code, out, err) = loketd(&root, &["show", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("loketd mail N --output PATH"), "{out}");
    let saved = root.join("mail-1.eml");
    let path = saved.display().to_string();
    let (code, _, err) = loketd(&root, &["mail", "1", "--output", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(fs::read(&saved).unwrap() == raw, "mail 1 as received");
    let (code, out, err) = loketd(&root, &["mail", &sha, "-o", "-"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.as_bytes() == raw, "by its sha256, to stdout");
    let (code, _, err) = loketd(&root, &["mail", "1", "--output", &path]);
    assert_eq!(code, 1, "an existing file is never overwritten: {err}");
    let (code, _, err) = loketd(&root, &["mail", "7", "-o", "-"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no mail [7]"), "{err}");
    // The attachment file lost: the mail cannot be given back, and the error says
    // which file and what to do.
    let file = hex::encode(sha2::Sha256::digest(&data));
    fs::remove_file(w.data_dir().join("attachments").join(&file)).unwrap();
    let (code, out, err) = loketd(&root, &["mail", "1", "-o", "-"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains(&format!("raw/{sha}.eml"))
            && err.contains(&format!("attachments/{file}"))
            && err.contains("restore that file from a backup"),
        "{err}"
    );
}

/// An office upgrading from a loketd that kept raw mail whole: `loketd compact` cuts
/// those files once (dry run first), and every mail still reads back as received.
#[test]
fn compact_cuts_raw_mail_an_older_loketd_kept_whole() {
    use sha2::Digest;
    use support::harness::Harness;
    let mut w = Harness::new();
    let from = w.stakeholder().address;
    let data = desk::pdf_like(300_000);
    let lines = desk::base64_lines(&data, 76);
    let raw = attached(&from, 1, &lines);
    w.deliver(&raw, chrono::Utc::now());
    w.deliver(&question_from(&from, 2), chrono::Utc::now());
    // As the older loketd left it: the mail whole beside its attachment file.
    let sha = hex::encode(sha2::Sha256::digest(&raw));
    let path = w.data_dir().join("raw").join(format!("{sha}.eml"));
    fs::write(&path, &raw).unwrap();
    let root = w.site.root().to_path_buf();
    let (code, out, err) = loketd(&root, &["compact", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("would cut 1 raw mail file(s): 0.4 MB -> 0.0 MB; 0 already cut, 1 left whole"),
        "{out}"
    );
    assert!(fs::read(&path).unwrap() == raw, "a dry run writes nothing");
    let (code, out, err) = loketd(&root, &["compact"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("cut 1 raw mail file(s)"), "{out}");
    assert!(fs::metadata(&path).unwrap().len() < 2_000);
    let (code, out, err) = loketd(&root, &["mail", "1", "-o", "-"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.as_bytes() == raw, "mail 1 as received");
    let (_, out, _) = loketd(&root, &["compact"]);
    assert!(
        out.contains("cut 0 raw mail file(s)") && out.contains("1 already cut"),
        "{out}"
    );
}

#[test]
fn invalid_values_exit_2_and_a_closed_pipe_ends_quietly() {
    use support::harness::Harness;
    let mut w = Harness::new();
    let from = w.stakeholder().address;
    for i in 0..50 {
        w.deliver(&question_from(&from, i), chrono::Utc::now());
    }
    let root = w.site.root().to_path_buf();
    for args in [
        &["tickets", "--status", "bogus"][..],
        &["outbox", "--status", "lost"],
        &["report", "--from", "2026-13-40"],
        &["report", "--format", "xml"],
        &["show", "satu"],
        &["status", "--warn-seconds", "-1"],
    ] {
        let (code, out, err) = loketd(&root, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("error"), "{args:?}: {err}");
    }
    // `loketd show 1 | head -1` and `loketd tickets | head -1`: the reader goes away.
    for cmd in [&["tickets"][..], &["show", "1"], &["outbox"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loketd"))
            .arg("--root")
            .arg(&root)
            .args(cmd)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{cmd:?}: {:?} {err}", out.status);
        assert!(err.is_empty(), "{cmd:?} says nothing: {err}");
    }
}

// ----- the Debian service ----------------------------------------------------------------------

fn unit_file() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/debian/loketd.service");
    fs::read_to_string(path).unwrap()
}

#[test]
fn the_service_unit_runs_as_its_own_user_hardened_and_restarts_on_failure() {
    let unit = unit_file();
    let set: Vec<&str> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .collect();
    for want in [
        "User=loketd",
        "StateDirectory=loketd",
        "StateDirectoryMode=0700",
        "UMask=0077",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "ExecStart=/usr/bin/loketd --root /etc/loket run",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "WantedBy=multi-user.target",
    ] {
        assert!(set.contains(&want), "the unit lacks {want}");
    }
}

#[test]
fn systemd_analyze_verifies_the_service_unit() {
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed: the unit was NOT verified");
        return;
    };
    assert!(out.status.success());
    // The unit names the installed binary; verify checks that it exists, so point it at
    // the one just built.
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("loketd.service");
    fs::write(
        &unit,
        unit_file().replace("/usr/bin/loketd", env!("CARGO_BIN_EXE_loketd")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    assert!(
        said.trim().is_empty(),
        "systemd-analyze verify warns: {said}"
    );
    eprintln!("systemd-analyze verify: the unit is valid");
}

// ----- XOAUTH2 ------------------------------------------------------------------------------

/// A token-introspection endpoint (RFC 7662) on loopback, as an identity provider runs
/// one: Dovecot POSTs `token=…`; `good` is active for `username`, anything else is not.
/// Returns its port and the number of questions it answered.
fn introspection(
    good: &'static str,
    username: String,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body);
            let token = body
                .split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .unwrap_or_default();
            counter.fetch_add(1, Ordering::SeqCst);
            let json = if token == good {
                format!("{{\"active\":true,\"username\":\"{username}\"}}")
            } else {
                "{\"active\":false}".to_string()
            };
            let _ = std::io::Write::write_all(
                &mut stream,
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                    json.len()
                )
                .as_bytes(),
            );
        }
    });
    (port, asked)
}

#[test]
fn xoauth2_logs_in_to_imap_and_smtp_with_the_token_command() {
    use std::sync::atomic::Ordering;
    let office = support::rig::Accounts::new().office.address;
    let (port, asked) = introspection("ya29.fresh-token", office.clone());
    let rig = Rig::start_with_oauth2(&format!("http://127.0.0.1:{port}/introspect"));
    let oauth =
        "auth = \"xoauth2\"\ntoken_command = \"cat secrets/token\"\nca_file = \"secrets/ca.pem\"\n";
    let servers = format!(
        "[mail.imap]\nhost = \"localhost\"\nport = {}\ntls = \"implicit\"\nuser = \"{office}\"\n{oauth}\n\
         [mail.smtp]\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nuser = \"{office}\"\n{oauth}\n",
        rig.imaps_port(),
        rig.submission_port()
    );
    let site = site_with_servers(&rig, &servers);
    write_secret(&site, "token", "ya29.fresh-token\n");
    let (code, out, _) = check_config(&site);
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, "IMAP").starts_with("ok"), "{out}");
    assert!(line(&out, "SMTP").starts_with("ok"), "{out}");
    assert!(
        asked.load(Ordering::SeqCst) >= 2,
        "both logins asked the endpoint"
    );

    // The whole way: a question in over IMAP, the acknowledgement out over SMTP.
    rig.deliver(rig.office(), &question(&rig, 1));
    let (code, _, err) = loketd(site.root(), &["once"]);
    assert_eq!(code, 0, "{err}");
    let acks = rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);
    assert!(read(&acks[0]).subject.contains("#1]"));

    // An expired token: both logins are refused, and said so.
    write_secret(&site, "token", "ya29.expired");
    let (code, out, _) = check_config(&site);
    assert_ne!(code, 0, "{out}");
    assert!(line(&out, "IMAP").contains("refused login"), "{out}");
    assert!(
        line(&out, "SMTP").contains("refused the access token"),
        "{out}"
    );
}

#[test]
fn a_forwarded_attachment_is_stored_once_and_arrives_whole() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    // A 9 MB PDF (12.3 MB as mail), under the 10 MB forwarding limit.
    let data = desk::pdf_like(9_000_000);
    let wrapped = desk::base64_lines(&data, 76);
    let raw = attached(&rig.stakeholder().address, 1, &wrapped);
    let mut d = Daemon::run(&site);
    rig.append(rig.office(), "INBOX", &raw);
    // Both CSOs get the notification with the file, byte for byte.
    for cso in [rig.cso1(), rig.cso2()] {
        let got = rig.wait_for_messages(cso, "INBOX", 1, desk::WAIT);
        let msg = mail_parser::MessageParser::default()
            .parse(&got[0])
            .unwrap();
        let a = msg.attachments().next().expect("the file is forwarded");
        assert_eq!(a.contents(), &data[..], "{}", cso.address);
    }
    d.stop();
    // On disk: the file once. The raw mail keeps the rest of the mail, its base64 cut
    // out; the queued copies name the file.
    let queued = db_count(&site, "SELECT COALESCE(SUM(LENGTH(raw)), 0) FROM outbox");
    assert!(queued < 64_000, "the outbox holds {queued} bytes");
    let files = fs::read_dir(site.data_dir().join("attachments"))
        .unwrap()
        .count();
    assert_eq!(files, 1);
    // The whole data folder (database, WAL, raw mail, files): about one copy of the
    // file in all, where a raw mail kept whole would add the mail (1.4 copies) and
    // each queued notification carrying its own copy two more.
    let stored = folder_bytes(&site.data_dir());
    let copies = stored as f64 / data.len() as f64;
    assert!(
        (0.95..1.25).contains(&copies),
        "the data folder holds {stored} bytes: {copies:.2} copies of the file"
    );
    // And the mail as received comes back from it, byte for byte.
    let db = rusqlite::Connection::open(site.data_dir().join("loketd.sqlite")).unwrap();
    let sha: String = db
        .query_row("SELECT raw_sha256 FROM messages", [], |r| r.get(0))
        .unwrap();
    let back = loketd::store::raw::read(&site.data_dir(), &sha).unwrap();
    assert!(
        back == raw,
        "the mail rebuilt differs from the mail appended"
    );
}

fn folder_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                folder_bytes(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

#[test]
fn a_wrong_imap_password_fixed_and_sighup_tickets_the_waiting_mail_at_once() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    write_secret(&site, "imap-password", "not-the-password");
    let mut d = Daemon::run(&site);
    rig.deliver(rig.office(), &question(&rig, 1));
    wait_until(Duration::from_secs(20), "the refused login said", || {
        d.log_lines("check the IMAP settings and password") > 0
    });
    let line = d
        .log_text()
        .lines()
        .find(|l| l.contains("check the IMAP settings and password"))
        .unwrap()
        .to_string();
    assert!(line.contains("ERROR") && line.contains("SIGHUP"), "{line}");
    // Fixed in site.toml (a new password file), and told: only the reloaded
    // configuration can log in, and it does so now, not at the end of the backoff.
    write_secret(&site, "imap-new", &rig.office().password);
    let toml = site.root().join("site.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        text.replacen("secrets/imap-password", "secrets/imap-new", 1),
    )
    .unwrap();
    d.signal("HUP");
    rig.wait_for_messages(rig.stakeholder(), "INBOX", 1, desk::WAIT);
    assert!(d.alive());
    d.stop();
}

/// The rig's Postfix told that the office address belongs to another login (as
/// Microsoft 365 answers a mailbox without "send as" rights); `at_mail_from` moves the
/// refusal from RCPT TO (Postfix's default) to MAIL FROM.
fn refuse_office_sender(rig: &Rig, at_mail_from: bool) {
    let main_cf = rig.dir().join("postfix/main.cf");
    let mut cf = fs::read_to_string(&main_cf).unwrap();
    cf.push_str(&format!(
        "smtpd_sender_login_maps = inline:{{{}={}}}\nsmtpd_sender_restrictions = reject_sender_login_mismatch\n",
        rig.office().address,
        rig.cso1().address
    ));
    if at_mail_from {
        cf.push_str("smtpd_delay_reject = no\n");
        // Without delayed rejects the client check would run before AUTH: drop it.
        let master_cf = rig.dir().join("postfix/master.cf");
        let master = fs::read_to_string(&master_cf).unwrap();
        fs::write(
            &master_cf,
            master.replace(
                "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n",
                "",
            ),
        )
        .unwrap();
    }
    fs::write(&main_cf, cf).unwrap();
    rig.stop_postfix();
    rig.start_postfix();
}

#[test]
fn a_sender_address_refused_for_the_login_holds_the_queue_and_fails_no_mail() {
    for at_mail_from in [true, false] {
        let rig = Rig::start();
        refuse_office_sender(&rig, at_mail_from);
        let site = desk::site(&rig, Transport::Tls, |t| t);
        rig.deliver(rig.office(), &question(&rig, 1));
        let (code, _, err) = loketd(site.root(), &["once"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("refuses layanan@kppn-tanjungselor.example as the sender"),
            "at MAIL FROM: {at_mail_from}: {err}"
        );
        assert_eq!(
            db_count(&site, "SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
            0,
            "a refused sender is no mail's fault"
        );
        assert!(
            db_count(
                &site,
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
            ) >= 1
        );
    }
}
