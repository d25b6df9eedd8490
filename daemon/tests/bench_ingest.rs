//! Ingest measurements on the real rig, run by `bench/ingest.sh` (ignored in CI: these
//! print figures and assert only that the work was done, never how fast). `loketd` runs
//! as a child process so that its peak RSS is the kernel's (`wait4` rusage).
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

/// A finished `loketd` run: wall time, peak RSS, exit status, stderr.
struct Measured {
    time: Duration,
    /// User + system CPU seconds: what the run cost on a loaded machine.
    cpu: f64,
    peak_rss_kib: u64,
    ok: bool,
    stderr: String,
}

/// Runs `cmd` to the end under GNU time, whose `%M` is the peak RSS the kernel reports
/// for the child (`wait4` rusage); the workspace forbids the unsafe call here.
fn measured(cmd: &Command) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let (err_path, rss_path) = (dir.path().join("stderr"), dir.path().join("rss"));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(&rss_path)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let started = Instant::now();
    let status = timed
        .status()
        .expect("/usr/bin/time (GNU time: apt-get install time)");
    let time = started.elapsed();
    let rusage = std::fs::read_to_string(&rss_path).unwrap();
    // GNU time writes "Command exited with non-zero status N" first when it fails.
    let fields: Vec<&str> = rusage.lines().last().unwrap().split_whitespace().collect();
    let secs = |s: &str| s.parse::<f64>().unwrap();
    Measured {
        time,
        cpu: secs(fields[1]) + secs(fields[2]),
        peak_rss_kib: fields[0].parse().unwrap(),
        ok: status.success(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    }
}

/// Moves everything from `from` back to the office INBOX (to ingest the same mail again).
fn move_back(rig: &Rig, from: &str) {
    let mut s = rig.imap_session(rig.office());
    s.select(from).unwrap();
    s.uid_mv("1:*", "INBOX").unwrap();
    let _ = s.logout();
}

/// A port on loopback where nothing listens: SMTP "unreachable".
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn smtp_port_to(t: &str, rig: &Rig, port: u16) -> String {
    let from = format!("port = {}\ntls = \"none\"\n\n", rig.smtp_port());
    assert!(
        t.contains(&from),
        "the plain site names the rig's SMTP port"
    );
    t.replace(&from, &format!("port = {port}\ntls = \"none\"\n\n"))
}

fn bytes_under(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        total += if m.is_dir() {
            bytes_under(&e.path())
        } else {
            m.len()
        };
    }
    total
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
    // The same as a whole session, as a program that starts, fetches and stops does it:
    // connect, log in, SELECT, the FETCH, LOGOUT.
    let started = Instant::now();
    let mut s = rig.imap_session(rig.office());
    s.select("INBOX").unwrap();
    assert_eq!(s.uid_fetch("1:*", "BODY.PEEK[]").unwrap().len(), n);
    let _ = s.logout();
    let session = started.elapsed();

    let floor = floor_of_any_ingest(&rig, n);

    // `loketd once` with SMTP unreachable: the inbox pass (fetch, store, tickets,
    // acknowledgements and CSO notifications queued, MOVE); the flush finds no server.
    let port = closed_port();
    let site = desk::site(&rig, Transport::Plain, |t| {
        smtp_port_to(&no_reply_limit(&t), &rig, port)
    });
    let ingest = measured(&loketd(site.root(), &["once"]));
    assert!(
        ingest.stderr.contains(&format!("new tickets {n}")),
        "{}",
        ingest.stderr
    );

    // The same mail again, SMTP up: the pass plus the flush of every queued mail.
    move_back(&rig, "Diproses");
    let site = desk::site(&rig, Transport::Plain, |t| no_reply_limit(&t));
    let whole = measured(&loketd(site.root(), &["once"]));
    assert!(whole.ok, "{}", whole.stderr);
    assert!(
        whole.stderr.contains(&format!("new tickets {n}")),
        "{}",
        whole.stderr
    );
    assert!(
        whole.stderr.contains(&format!("sent {}", 3 * n)),
        "{}",
        whole.stderr
    );

    // What a run costs with nothing to fetch (start, config and templates, a new
    // database, IMAP login, folders, the commit): a fresh data folder, an empty inbox.
    let site = desk::site(&rig, Transport::Plain, |t| {
        smtp_port_to(&no_reply_limit(&t), &rig, port)
    });
    let empty = measured(&loketd(site.root(), &["once"]));
    assert!(
        empty.stderr.contains("fetched 0"),
        "the inbox is empty after the runs: {}",
        empty.stderr
    );

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let ratio = |d: Duration| d.as_secs_f64() / plain.as_secs_f64();
    println!(
        "backlog: {n} mails, {:.1} KiB in all",
        bytes as f64 / 1024.0
    );
    println!("| measure | time | mails/s | ÷ bare FETCH | loketd CPU (user+sys) | peak RSS |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| bare UID FETCH 1:* BODY.PEEK[] | {plain:.2?} | {:.0} | 1.0× | – | (in the bench) |",
        rate(plain)
    );
    println!(
        "| the same as a session: connect, login, SELECT, FETCH, LOGOUT | {session:.2?} | {:.0} | {:.1}× | – | (in the bench) |",
        rate(session),
        ratio(session)
    );
    println!(
        "| loketd once, empty inbox, new data folder (the fixed part) | {:.2?} | – | {:.1}× | {:.2} s | {:.1} MB |",
        empty.time,
        ratio(empty.time),
        empty.cpu,
        empty.peak_rss_kib as f64 / 1024.0
    );
    for (what, m) in [
        ("loketd once, SMTP unreachable (ingest)", &ingest),
        ("loketd once, SMTP up (3 mails sent per mail)", &whole),
    ] {
        println!(
            "| {what} | {:.2?} | {:.0} | {:.1}× | {:.2} s | {:.1} MB |",
            m.time,
            rate(m.time),
            ratio(m.time),
            m.cpu,
            m.peak_rss_kib as f64 / 1024.0
        );
    }
    // Per mail: the ingest run less its fixed part, beside the FETCH.
    let per_mail = ingest.time.saturating_sub(empty.time);
    println!(
        "| ingest less the fixed part (the per-mail work) | {per_mail:.2?} | {:.0} | {:.1}× | {:.2} s | – |",
        rate(per_mail),
        ratio(per_mail),
        ingest.cpu - empty.cpu
    );
    println!("loketd once said: {}", whole.stderr.trim());
    println!(
        "the floor: what the work the guarantee needs costs with these parts alone, cumulative, in this process:"
    );
    for (what, d) in floor {
        println!("|   {what} | {d:.2?} | {:.0} | {:.1}× |", rate(d), ratio(d));
    }
}

/// The least any ingest keeping the guarantee does, timed step by step with the
/// same parts loketd uses and nothing else: the session and FETCH, mail-parser over each
/// mail, one row per mail in a WAL database (synchronous FULL, one transaction), one file
/// per mail made durable by one `syncfs`, and one `UID MOVE` of the batch; then moved back.
fn floor_of_any_ingest(rig: &Rig, n: usize) -> Vec<(&'static str, Duration)> {
    let dir = tempfile::tempdir().unwrap();
    let mut steps = Vec::new();
    // What the rig wrote filling the inbox is flushed first, not charged to the syncfs.
    rustix::fs::sync();
    let started = Instant::now();
    let mut s = rig.imap_session(rig.office());
    s.select("INBOX").unwrap();
    let fetched = s.uid_fetch("1:*", "BODY.PEEK[]").unwrap();
    assert_eq!(fetched.len(), n);
    steps.push(("session + FETCH", started.elapsed()));
    let parser = mail_parser::MessageParser::default();
    let mut rows = Vec::with_capacity(n);
    for f in fetched.iter() {
        let raw = f.body().unwrap();
        let m = parser.parse(raw).unwrap();
        rows.push((
            m.message_id().unwrap_or_default().to_string(),
            m.from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string(),
            m.subject().unwrap_or_default().to_string(),
            m.body_text(0).unwrap_or_default().into_owned(),
        ));
    }
    steps.push(("+ mail-parser over each mail", started.elapsed()));
    let mut db = rusqlite::Connection::open(dir.path().join("floor.sqlite3")).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.pragma_update(None, "synchronous", "FULL").unwrap();
    db.execute_batch(
        "CREATE TABLE mail (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE, sender TEXT, subject TEXT, body TEXT)",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO mail (message_id, sender, subject, body) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        for r in &rows {
            insert
                .execute(rusqlite::params![r.0, r.1, r.2, r.3])
                .unwrap();
        }
    }
    steps.push(("+ one row each, not yet committed", started.elapsed()));
    for (i, f) in fetched.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.eml")), f.body().unwrap()).unwrap();
    }
    rustix::fs::syncfs(std::fs::File::open(dir.path()).unwrap()).unwrap();
    steps.push(("+ one file each, one syncfs", started.elapsed()));
    tx.commit().unwrap();
    steps.push(("+ the commit", started.elapsed()));
    let _ = s.create("Diproses"); // loketd makes it on its first run
    let moving = Instant::now();
    s.uid_mv("1:*", "Diproses").unwrap();
    let moved = moving.elapsed();
    steps.push(("+ one UID MOVE of the batch", started.elapsed()));
    let _ = s.logout();
    move_back(rig, "Diproses");
    steps.push(("(the UID MOVE alone)", moved));
    steps
}

#[test]
#[ignore = "benchmark: run bench/ingest.sh"]
fn bench_nine_megabyte_attachment_to_two_csos() {
    let rig = Rig::start();
    let data = desk::pdf_like(9_000_000);
    let wrapped = desk::base64_lines(&data, 76);
    let raw = format!(
        "From: {}\r\nTo: {OFFICE}\r\nSubject: Berkas SPM\r\nMessage-ID: <pdf@satker.example.test>\r\n\
         Date: Tue, 17 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nTerlampir SPM.\r\n--b\r\n\
         Content-Type: application/pdf; name=\"spm.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"spm.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        rig.stakeholder().address,
        wrapped
    );
    rig.append(rig.office(), "INBOX", raw.as_bytes());
    let site = desk::site(&rig, Transport::Plain, |t| t);
    std::fs::create_dir_all(site.data_dir()).unwrap();
    let before = bytes_under(&site.data_dir());
    let m = measured(&loketd(site.root(), &["once"]));
    assert!(m.ok, "{}", m.stderr);
    assert!(m.stderr.contains("sent 3"), "{}", m.stderr);
    let grew = bytes_under(&site.data_dir()) - before;
    let mb = |b: f64| b / 1_000_000.0;
    println!(
        "9 MB PDF ({:.1} MB mail) forwarded to two CSOs: loketd once {:.2?} ({:.2} s CPU), peak RSS {:.1} MB ({:.1}× the mail), data folder +{:.1} MB ({:.1}× the file)",
        mb(raw.len() as f64),
        m.time,
        m.cpu,
        m.peak_rss_kib as f64 / 1024.0,
        m.peak_rss_kib as f64 * 1024.0 / raw.len() as f64,
        mb(grew as f64),
        grew as f64 / data.len() as f64
    );
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
        .unwrap_or(50);
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
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "SMTP send → acknowledgement in the stakeholder's INBOX, loketd run with IDLE, {} mails: p50 {:.0?}, p99 {:.0?}, min {:.0?}, max {:.0?}",
        times.len(),
        at(0.5),
        at(0.99),
        times[0],
        times[times.len() - 1]
    );
}
