//! Ingest measurements on the real rig, run by `bench/ingest.sh` (ignored in CI: these
//! print figures and assert only that the work was done, never how fast).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::desk::{self, Transport, mail};
use support::rig::Rig;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

fn backlog() -> usize {
    std::env::var("LOKET_BENCH_MAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn loketd(root: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loketd"));
    c.arg("--root").arg(root).args(args).env("RUST_LOG", "warn");
    c
}

/// Appends `n` distinct small mails to the office INBOX in one IMAP session, from the
/// rig's two stakeholders in turn (the site's reply limit is lifted for the bench, so
/// every mail gets its acknowledgement and both CSO notifications, all delivered).
fn fill_inbox(rig: &Rig, n: usize) {
    let mut s = rig.imap_session(rig.office());
    for i in 0..n {
        let from = if i % 2 == 0 {
            rig.stakeholder()
        } else {
            rig.stakeholder2()
        };
        let raw = format!(
            "From: Satker {i} <{}>\r\nTo: {OFFICE}\r\n\
             Subject: Pertanyaan nomor {i} tentang revisi DIPA\r\n\
             Message-ID: <bench{i}@satker.example.test>\r\nDate: Tue, 17 Mar 2026 10:00:00 +0800\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Selamat pagi,\r\n\r\nBagaimana cara mengajukan revisi DIPA nomor {i}? Terima kasih.\r\n\r\n\
             Bendahara Satker {i}\r\n",
            from.address
        );
        s.append("INBOX", raw.as_bytes()).finish().unwrap();
    }
    let _ = s.logout();
}

fn no_reply_limit(t: &str) -> String {
    t.replace(
        "auto_replies_per_hour = 3",
        "auto_replies_per_hour = 1000000",
    )
}

#[test]
#[ignore = "benchmark: run bench/ingest.sh"]
fn bench_backlog_throughput() {
    let n = backlog();
    let rig = Rig::start();
    fill_inbox(&rig, n);

    // A plain fetch of the same mail: one UID FETCH BODY.PEEK[] of everything.
    let mut s = rig.imap_session(rig.office());
    let started = Instant::now();
    s.select("INBOX").unwrap();
    let fetched = s.uid_fetch("1:*", "BODY.PEEK[]").unwrap();
    let bytes: usize = fetched
        .iter()
        .map(|f| f.body().map_or(0, <[u8]>::len))
        .sum();
    let plain = started.elapsed();
    assert_eq!(fetched.len(), n);
    drop(fetched);
    let _ = s.logout();

    // `loketd once` as a subprocess: the whole pass (fetch, store, ticket, acks and
    // CSO notifications queued, MOVE) plus the outbox flush over SMTP.
    let site = desk::site(&rig, Transport::Plain, |t| no_reply_limit(&t));
    let started = Instant::now();
    let out = loketd(site.root(), &["once"]).output().unwrap();
    let once = started.elapsed();
    let summary = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{summary}");
    assert!(summary.contains(&format!("new tickets {n}")), "{summary}");
    assert!(summary.contains(&format!("sent {}", 3 * n)), "{summary}");

    // The fetch pass alone (no SMTP), in-process, on the same mail moved back.
    let mut s = rig.imap_session(rig.office());
    s.select("Diproses").unwrap();
    s.uid_mv("1:*", "INBOX").unwrap();
    let _ = s.logout();
    let site2 = desk::site(&rig, Transport::Plain, |t| no_reply_limit(&t));
    let d = desk::desk(&site2);
    let mut store = loketd::store::Store::open(&d.config.mail.data_dir).unwrap();
    let started = Instant::now();
    let mut mb = loketd::run::open_mailbox(&d).unwrap();
    let report = loketd::run::pass::pass(&mut mb, &mut store, &d, chrono::Utc::now).unwrap();
    let pass = started.elapsed();
    assert_eq!(report.new_tickets, n, "{report:?}");

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "backlog: {n} mails, {:.1} KiB in all",
        bytes as f64 / 1024.0
    );
    println!(
        "plain UID FETCH BODY.PEEK[] of all: {plain:.2?} = {:.0} mails/s",
        rate(plain)
    );
    println!(
        "fetch pass only (library, no SMTP): {pass:.2?} = {:.0} mails/s",
        rate(pass)
    );
    println!(
        "loketd once (pass + flush of {} queued mails): {once:.2?} = {:.0} mails/s",
        3 * n,
        rate(once)
    );
    println!("loketd once said: {}", summary.trim());
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        // SIGTERM: the daemon's clean shutdown; then reap it.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "benchmark: run bench/ingest.sh"]
fn bench_send_to_ack_latency_with_idle() {
    let rounds: usize = std::env::var("LOKET_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| no_reply_limit(&t));
    let daemon = Daemon(
        loketd(site.root(), &["run"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(site.root().join("run.log")).unwrap(),
            ))
            .spawn()
            .unwrap(),
    );
    // Let the daemon connect and enter IDLE: the first mail is a warm-up, not counted.
    let who = rig.stakeholder();
    let mut times = Vec::new();
    for i in 0..=rounds {
        let raw = mail(
            who,
            OFFICE,
            &format!("Latensi {i}"),
            &format!("lat{i}@satker.example.test"),
            "Halo",
        );
        let started = Instant::now();
        rig.send_smtp(&who.address, &[OFFICE], &raw);
        rig.wait_for_messages(who, "INBOX", i + 1, Duration::from_secs(60));
        if i > 0 {
            times.push(started.elapsed());
        }
    }
    drop(daemon);
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "SMTP send → acknowledgement in the stakeholder's INBOX, loketd run with IDLE, {} mails: median {median:.0?}, min {:.0?}, max {:.0?}",
        times.len(),
        times[0],
        times[times.len() - 1]
    );
}
