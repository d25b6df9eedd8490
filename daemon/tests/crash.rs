//! `loketd run` killed again and again while a few hundred mails arrive and staff
//! answer: at each crash window on purpose (a crash point, `src/failpoint.rs`, aborts
//! the process there, as SIGKILL would) and at random moments (SIGKILL). Afterwards
//! the accounting is exact: every mail stored once by its Message-ID, one ticket per
//! thread, every reply in its thread, every outbox row delivered once to each
//! recipient, the raw files and the processed folder equal to the stored set. A mail is
//! delivered twice only when a kill fell between SMTP's acceptance and the outbox row's
//! mark, once per such kill, as counted from the crash-point log.
//!
//! The seed changes every run and is printed; `LOKETD_CRASH_SEED=<seed>` replays the
//! kill schedule and the feeding pace (the daemon's own timing still varies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use sha2::{Digest, Sha256};
use support::daemon::{Daemon, Seeded, wait_until};
use support::desk::{self, Transport, mail, mail_with, read};
use support::rig::Rig;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";
const THREADS: usize = 100;
const REPLIES: usize = 70;
const ANSWERS: usize = 60;
/// Crash-point kills wanted at each window (migration aside: it runs at first start).
const PER_WINDOW: usize = 3;
/// Random SIGKILLs wanted.
const RANDOM: usize = 8;

/// The windows killed on purpose, in the order the killer takes them.
const WINDOWS: [&str; 5] = [
    "files-written",
    "stored-in-batch",
    "commit-before-move",
    "batch-before-move",
    "sent-before-mark",
];

fn seed() -> u64 {
    std::env::var("LOKETD_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
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

fn column<T: rusqlite::types::FromSql>(c: &Connection, sql: &str) -> Vec<T> {
    let mut stmt = c.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// How one loketd process ended.
enum Kill {
    /// It aborted at this crash point.
    At(&'static str),
    /// SIGKILL at a random moment.
    Random,
}

/// The crash-point log, per process: what it noted, in order.
fn failpoint_log(path: &Path) -> HashMap<u32, Vec<(String, String)>> {
    let mut by_pid: HashMap<u32, Vec<(String, String)>> = HashMap::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(pid), Some(what)) = (parts.next(), parts.next()) else {
            continue;
        };
        let detail = parts.next().unwrap_or_default().trim().to_string();
        by_pid
            .entry(pid.parse().unwrap())
            .or_default()
            .push((what.to_string(), detail));
    }
    by_pid
}

/// The outbox row a process was sending when it died: its last `send` not followed
/// by `marked`.
fn in_flight(notes: &[(String, String)]) -> Option<i64> {
    let last = notes
        .iter()
        .rev()
        .find(|(what, _)| what == "send" || what == "marked")?;
    (last.0 == "send").then(|| last.1.parse().unwrap())
}

/// Which window each killed process died in, by the log it left.
fn crash_point(notes: &[(String, String)]) -> Option<&str> {
    notes
        .iter()
        .find(|(what, _)| what == "crash")
        .map(|(_, at)| at.as_str())
}

#[test]
fn killed_at_every_crash_window_and_at_random_loses_and_duplicates_nothing() {
    let started = Instant::now();
    let rig = Rig::start();
    // Each stakeholder opens dozens of threads: lift the per-sender loop guard.
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace(
            "auto_replies_per_hour = 3",
            "auto_replies_per_hour = 100000",
        )
        .replace("poll_seconds = 5", "poll_seconds = 1")
    });
    let seed = seed();
    println!("crash test seed {seed} (LOKETD_CRASH_SEED={seed} replays it)");
    let fp_log = site.root().join("failpoints.log");
    let fp_log_env = fp_log.to_str().unwrap().to_string();
    let feeding = AtomicBool::new(true);
    let stakeholders = [rig.stakeholder(), rig.stakeholder2()];

    let (mut daemon, kills) = std::thread::scope(|s| {
        let killer = s.spawn(|| {
            let mut rng = Seeded::new(seed);
            let log = [("LOKETD_FAILPOINT_LOG", fp_log_env.as_str())];
            let mut kills: Vec<(u32, Kill)> = Vec::new();
            // First start: killed inside the first migration, then inside the second
            // (the first one committed).
            let mut d: Option<Daemon> = None;
            for nth in ["migration:1", "migration:2"] {
                let env = [log[0], ("LOKETD_FAILPOINT", nth)];
                let mut dd = match d.take() {
                    Some(mut dd) => {
                        dd.start_with(&env);
                        dd
                    }
                    None => Daemon::run_with(&site, &env),
                };
                let pid = dd.pid().unwrap();
                assert!(
                    dd.wait_exit(Duration::from_secs(30)).is_some(),
                    "loketd did not die in its migration: {}",
                    dd.log_text()
                );
                kills.push((pid, Kill::At("migration")));
                d = Some(dd);
            }
            let mut d = d.unwrap();
            let mut at_window = [0usize; WINDOWS.len()];
            let mut random = 0;
            let mut round = 0usize;
            let mut after_feeding = 0;
            loop {
                let done = at_window.iter().all(|n| *n >= PER_WINDOW) && random >= RANDOM;
                if !feeding.load(Ordering::SeqCst) {
                    if done || after_feeding >= 8 {
                        break;
                    }
                    after_feeding += 1;
                }
                round += 1;
                if round.is_multiple_of(2) {
                    // A crash point, the least-hit window first.
                    let w = (0..WINDOWS.len()).min_by_key(|w| at_window[*w]).unwrap();
                    let arm = format!("{}:{}", WINDOWS[w], rng.range(1, 4));
                    d.start_with(&[log[0], ("LOKETD_FAILPOINT", arm.as_str())]);
                    let pid = d.pid().unwrap();
                    if d.wait_exit(Duration::from_secs(4)).is_some() {
                        kills.push((pid, Kill::At(WINDOWS[w])));
                        at_window[w] += 1;
                        continue;
                    }
                    // Nothing passed that point in time: end it as a random kill.
                    d.kill();
                    kills.push((pid, Kill::Random));
                    random += 1;
                } else {
                    // SIGKILL at a random moment once it is up (not during start-up).
                    let before = d.log_lines("connected to IMAP");
                    d.start_with(&log);
                    let pid = d.pid().unwrap();
                    let up = Instant::now();
                    while d.log_lines("connected to IMAP") == before
                        && up.elapsed() < Duration::from_secs(10)
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    std::thread::sleep(Duration::from_millis(rng.range(50, 900)));
                    d.kill();
                    kills.push((pid, Kill::Random));
                    random += 1;
                }
            }
            d.start_with(&log);
            (d, kills)
        });

        // The feeder: questions, stakeholders writing again, and the CSO answering
        // each question from its notification as soon as it arrives, all while the
        // killer is at work.
        let mut rng = Seeded::new(seed ^ 0xFEED);
        let mut answered: HashSet<usize> = HashSet::new();
        let answer_new = |answered: &mut HashSet<usize>| {
            for m in rig.messages(rig.cso1(), "INBOX") {
                let n = read(&m);
                let Some(i) = n
                    .in_reply_to
                    .as_deref()
                    .and_then(|id| id.strip_prefix('t'))
                    .and_then(|id| id.strip_suffix("@satker.example.test"))
                    .and_then(|i| i.parse::<usize>().ok())
                else {
                    continue;
                };
                if i >= ANSWERS || !answered.insert(i) {
                    continue;
                }
                let raw = mail_with(
                    rig.cso1(),
                    OFFICE,
                    &format!("Re: {}", n.subject),
                    &format!("s{i}@kppn-tanjungselor.example"),
                    &[
                        &format!("In-Reply-To: <{}>", n.message_id),
                        &format!("References: <t{i}@satker.example.test> <{}>", n.message_id),
                    ],
                    &format!("Jawaban petugas JAWABAN-{i:03}-END.\n\n> {}", n.subject),
                );
                rig.deliver(rig.office(), &raw);
            }
        };
        const LAG: usize = 20;
        for step in 0..THREADS + LAG {
            if step < THREADS {
                let raw = mail(
                    stakeholders[step % 2],
                    OFFICE,
                    &format!("Pertanyaan {step}"),
                    &format!("t{step}@satker.example.test"),
                    &format!("Mohon penjelasan, kode KODE-Q{step:03}-END.\n\nSalam"),
                );
                rig.deliver(rig.office(), &raw);
            }
            if let Some(i) = step.checked_sub(LAG).filter(|i| *i < REPLIES) {
                let raw = mail_with(
                    stakeholders[i % 2],
                    OFFICE,
                    &format!("Re: Pertanyaan {i}"),
                    &format!("r{i}@satker.example.test"),
                    &[&format!("In-Reply-To: <t{i}@satker.example.test>")],
                    &format!("Tambahan untuk KODE-R{i:03}-END."),
                );
                rig.deliver(rig.office(), &raw);
            }
            if step % 10 == 9 {
                answer_new(&mut answered);
            }
            // Paced so that mail still arrives while the killer works through the
            // five mail-path windows (a fast pass otherwise empties the inbox before
            // each has been hit twice).
            std::thread::sleep(Duration::from_millis(rng.range(100, 300)));
        }
        wait_until(
            Duration::from_secs(120),
            "a notification for every thread to be answered",
            || {
                answer_new(&mut answered);
                answered.len() == ANSWERS
            },
        );
        feeding.store(false, Ordering::SeqCst);
        killer.join().unwrap()
    });
    let total = (THREADS + REPLIES + ANSWERS) as i64;

    // The last loketd finishes: inbox empty, every mail stored, the outbox drained.
    let c = db(&site);
    wait_until(
        Duration::from_secs(120),
        "the daemon to process and send everything",
        || {
            rig.messages(rig.office(), "INBOX").is_empty()
                && count(&c, "SELECT COUNT(*) FROM messages") == total
                && count(&c, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == 0
        },
    );
    daemon.stop();
    rig.wait_for_postfix_queue_empty();

    // Stored once each, by Message-ID; one ticket per thread; replies and staff
    // answers in their thread.
    let mut expected: HashSet<String> = HashSet::new();
    for i in 0..THREADS {
        expected.insert(format!("t{i}@satker.example.test"));
    }
    for i in 0..REPLIES {
        expected.insert(format!("r{i}@satker.example.test"));
    }
    for i in 0..ANSWERS {
        expected.insert(format!("s{i}@kppn-tanjungselor.example"));
    }
    let stored: Vec<String> = column(&c, "SELECT message_id FROM messages");
    assert_eq!(
        stored.len() as i64,
        total,
        "a mail was stored twice or lost"
    );
    assert_eq!(stored.iter().cloned().collect::<HashSet<_>>(), expected);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM quarantine"), 0);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM tickets"), THREADS as i64);
    let ticket_of = |id: &str| -> i64 {
        c.query_row(
            "SELECT ticket_id FROM messages WHERE message_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{id} not stored: {e}"))
    };
    let mut tickets = HashSet::new();
    for i in 0..THREADS {
        let t = ticket_of(&format!("t{i}@satker.example.test"));
        assert!(tickets.insert(t), "two threads share ticket {t}");
        if i < REPLIES {
            assert_eq!(
                ticket_of(&format!("r{i}@satker.example.test")),
                t,
                "reply {i}"
            );
        }
        if i < ANSWERS {
            let id = format!("s{i}@kppn-tanjungselor.example");
            assert_eq!(ticket_of(&id), t, "answer {i}");
            let kind: String = c
                .query_row(
                    "SELECT kind FROM messages WHERE message_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(kind, "staff", "answer {i} was not run as staff work");
        }
    }

    // The outbox: one acknowledgement per ticket, one relayed answer per staff answer
    // (carrying its text, to its thread's stakeholder), nothing pending or failed.
    assert_eq!(
        count(
            &c,
            "SELECT COUNT(*) FROM (SELECT ticket_id FROM outbox WHERE kind = 'ack' GROUP BY ticket_id HAVING COUNT(*) = 1)"
        ),
        THREADS as i64
    );
    assert_eq!(
        count(&c, "SELECT COUNT(*) FROM outbox WHERE kind = 'ack'"),
        THREADS as i64
    );
    let answers: Vec<(Vec<u8>, String)> = {
        let mut stmt = c
            .prepare("SELECT raw, recipients FROM outbox WHERE kind = 'answer'")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(answers.len(), ANSWERS, "relayed answers");
    for i in 0..ANSWERS {
        let code = format!("JAWABAN-{i:03}-END");
        let to: Vec<&String> = answers
            .iter()
            .filter(|(raw, _)| read(raw).text.contains(&code))
            .map(|(_, to)| to)
            .collect();
        assert_eq!(to, [&stakeholders[i % 2].address], "answer {i}");
    }

    // Raw files: exactly the stored set, each with the content its name says.
    let raw_dir = site.data_dir().join("raw");
    let on_disk: HashSet<String> = std::fs::read_dir(&raw_dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let data = std::fs::read(&p).unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            assert_eq!(hex::encode(Sha256::digest(&data)), name, "{}", p.display());
            name
        })
        .collect();
    let referenced: HashSet<String> = column::<String>(&c, "SELECT raw_sha256 FROM messages")
        .into_iter()
        .collect();
    assert_eq!(
        on_disk, referenced,
        "raw files differ from the stored mails"
    );

    // The processed folder holds exactly the stored mails, once each.
    let mut processed: HashMap<String, usize> = HashMap::new();
    for m in rig.messages(rig.office(), "Diproses") {
        *processed.entry(read(&m).message_id).or_insert(0) += 1;
    }
    assert!(
        processed.values().all(|n| *n == 1),
        "moved twice: {processed:?}"
    );
    assert_eq!(processed.keys().cloned().collect::<HashSet<_>>(), expected);
    assert!(rig.messages(rig.office(), "Karantina").is_empty());

    // Deliveries: every outbox row once to each recipient, plus one more copy only for
    // a kill that fell between SMTP's acceptance and the row's mark.
    let notes = failpoint_log(&fp_log);
    let id_of: HashMap<i64, String> = {
        let mut stmt = c.prepare("SELECT id, message_id FROM outbox").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut hits: BTreeMap<&str, usize> = BTreeMap::new();
    let mut certain: HashMap<String, usize> = HashMap::new();
    let mut possible: HashMap<String, usize> = HashMap::new();
    let mut random = 0;
    for (pid, how) in &kills {
        let mine = notes.get(pid).map(Vec::as_slice).unwrap_or_default();
        match how {
            Kill::At(window) => {
                assert_eq!(
                    crash_point(mine),
                    Some(*window),
                    "process {pid} did not die where it was armed"
                );
                *hits.entry(window).or_default() += 1;
                if *window == "sent-before-mark" {
                    let row = in_flight(mine).expect("a mail in flight at sent-before-mark");
                    *certain.entry(id_of[&row].clone()).or_default() += 1;
                } else if let Some(row) = in_flight(mine) {
                    // The fetcher died at its crash point while the sender, in its
                    // own thread, had a mail in flight.
                    *possible.entry(id_of[&row].clone()).or_default() += 1;
                }
            }
            Kill::Random => {
                random += 1;
                assert_eq!(crash_point(mine), None);
                if let Some(row) = in_flight(mine) {
                    *possible.entry(id_of[&row].clone()).or_default() += 1;
                }
            }
        }
    }
    let rows: Vec<(String, String)> = {
        let mut stmt = c
            .prepare("SELECT message_id, recipients FROM outbox")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut delivered: HashMap<(String, String), usize> = HashMap::new();
    for who in rig.accounts().into_iter().filter(|a| a.address != OFFICE) {
        for m in rig.messages(who, "INBOX") {
            *delivered
                .entry((who.address.clone(), read(&m).message_id))
                .or_insert(0) += 1;
        }
    }
    let mut expected_deliveries = 0;
    let mut duplicates = 0;
    for (id, to) in &rows {
        for to in to.split(',') {
            expected_deliveries += 1;
            let n = delivered.remove(&(to.to_string(), id.clone())).unwrap_or(0);
            let sure = certain.get(id).copied().unwrap_or(0);
            let maybe = possible.get(id).copied().unwrap_or(0);
            assert!(
                (1 + sure..=1 + sure + maybe).contains(&n),
                "{id} to {to}: delivered {n} times; kills in its send window: {sure} at sent-before-mark, {maybe} elsewhere while it was in flight"
            );
            duplicates += n - 1;
        }
    }
    assert!(
        delivered.is_empty(),
        "mail delivered that the outbox does not hold: {delivered:?}"
    );
    let integrity: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");

    let windows: Vec<String> = hits.iter().map(|(w, n)| format!("{w} {n}")).collect();
    println!(
        "crash test: seed {seed}; {} kills: {}, random {random}; {} starts; {total} mails in; {} outbox rows; {expected_deliveries} deliveries expected, {duplicates} duplicate(s) ({} certain from sent-before-mark, {} possible from kills while the sender had a mail in flight); {:.0?}",
        kills.len(),
        windows.join(", "),
        daemon.starts,
        rows.len(),
        certain.values().sum::<usize>(),
        possible.values().sum::<usize>(),
        started.elapsed()
    );
    // Every window was hit on purpose, more than once.
    assert_eq!(hits.get("migration"), Some(&2));
    for w in WINDOWS {
        assert!(
            hits.get(w).copied().unwrap_or(0) >= 2,
            "window {w} hit {} time(s): {windows:?}",
            hits.get(w).copied().unwrap_or(0)
        );
    }
    assert!(random >= RANDOM / 2, "{random} random kills");
}
