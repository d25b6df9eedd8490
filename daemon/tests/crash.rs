//! `loketd run` SIGKILLed at seeded random moments while a few hundred mails arrive:
//! nothing is lost, nothing is stored twice, and the only duplicates are mails the
//! sender had handed to SMTP when it was killed (at most one per kill).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use support::daemon::{Daemon, Seeded, wait_until};
use support::desk::{self, Transport, mail, mail_with, read};
use support::rig::Rig;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";
const THREADS: usize = 120;
const REPLIES: usize = 100;
const ANSWERS: usize = 80;
const KILLS: usize = 12;

fn seed() -> u64 {
    std::env::var("LOKETD_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026)
}

fn db(site: &desk::TestSite) -> Connection {
    let c = Connection::open(site.data_dir().join("loketd.sqlite")).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    c
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Message-IDs of a folder, with how often each occurs.
fn ids_in(rig: &Rig, who: &support::rig::Account, folder: &str) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in rig.messages(who, folder) {
        *seen.entry(read(&m).message_id).or_insert(0) += 1;
    }
    seen
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let rig = Rig::start();
    // Each stakeholder opens dozens of threads: lift the per-sender loop guard.
    let site = desk::site(&rig, Transport::Plain, |t| {
        t.replace(
            "auto_replies_per_hour = 3",
            "auto_replies_per_hour = 100000",
        )
        .replace("poll_seconds = 5", "poll_seconds = 1")
    });
    let daemon = Arc::new(Mutex::new(Daemon::run(&site)));
    let seed = seed();
    println!("crash test seed {seed} (set LOKETD_CRASH_SEED to replay)");
    let feeding = AtomicBool::new(true);
    let kills = AtomicUsize::new(0);
    let stakeholders = [rig.stakeholder(), rig.stakeholder2()];

    std::thread::scope(|s| {
        // The killer: SIGKILL after a random 0.2-1.2 s of life, restart at once, until the
        // feeding is done and it has killed at least KILLS times.
        s.spawn(|| {
            let mut rng = Seeded::new(seed);
            while feeding.load(Ordering::SeqCst) || kills.load(Ordering::SeqCst) < KILLS {
                std::thread::sleep(Duration::from_millis(rng.range(200, 1200)));
                let mut d = daemon.lock().unwrap();
                d.kill();
                kills.fetch_add(1, Ordering::SeqCst);
                d.start();
            }
        });

        let mut rng = Seeded::new(seed ^ 0xFEED);
        let mut pace = || std::thread::sleep(Duration::from_millis(rng.range(0, 40)));
        // New threads.
        for i in 0..THREADS {
            let from = stakeholders[i % 2];
            let raw = mail(
                from,
                OFFICE,
                &format!("Pertanyaan {i}"),
                &format!("t{i}@satker.example.test"),
                &format!("Mohon penjelasan, kode KODE-Q{i:03}-END.\n\nSalam"),
            );
            rig.deliver(rig.office(), &raw);
            pace();
        }
        // Stakeholders write again in their threads.
        for i in 0..REPLIES {
            let from = stakeholders[i % 2];
            let raw = mail_with(
                from,
                OFFICE,
                &format!("Re: Pertanyaan {i}"),
                &format!("r{i}@satker.example.test"),
                &[&format!("In-Reply-To: <t{i}@satker.example.test>")],
                &format!("Tambahan untuk KODE-R{i:03}-END."),
            );
            rig.deliver(rig.office(), &raw);
            pace();
        }
        // CSO 1 answers from the notifications it received.
        let mut notes: HashMap<usize, desk::Received> = HashMap::new();
        wait_until(
            Duration::from_secs(90),
            "CSO notifications of every answered thread",
            || {
                for m in rig.messages(rig.cso1(), "INBOX") {
                    let n = read(&m);
                    if let Some(i) = n
                        .text
                        .split("KODE-Q")
                        .nth(1)
                        .and_then(|t| t.split("-END").next())
                        .and_then(|t| t.parse::<usize>().ok())
                        && n.subject.contains(&format!("Pertanyaan {i}"))
                        && !n.subject.starts_with("Re:")
                    {
                        notes.entry(i).or_insert(n);
                    }
                }
                (0..ANSWERS).all(|i| notes.contains_key(&i))
            },
        );
        for i in 0..ANSWERS {
            let n = &notes[&i];
            let raw = mail_with(
                rig.cso1(),
                OFFICE,
                &format!("Re: {}", n.subject),
                &format!("s{i}@kppn-tanjungselor.example"),
                &[
                    &format!("In-Reply-To: <{}>", n.message_id),
                    &format!("References: <{}>", n.message_id),
                ],
                &format!("Jawaban petugas JAWABAN-{i:03}-END.\n\n> {}", n.subject),
            );
            rig.deliver(rig.office(), &raw);
            pace();
        }
        feeding.store(false, Ordering::SeqCst);
    });
    let kills = kills.load(Ordering::SeqCst);
    let total = (THREADS + REPLIES + ANSWERS) as i64;

    // Let the last daemon finish: inbox empty, every mail processed, outbox drained.
    let c = db(&site);
    wait_until(
        Duration::from_secs(90),
        "the daemon to process and send everything",
        || {
            rig.messages(rig.office(), "INBOX").is_empty()
                && count(&c, "SELECT COUNT(*) FROM messages") == total
                && count(&c, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == 0
        },
    );
    // Every sent mail reaches each recipient (delivery is asynchronous).
    let mut sent: Vec<(String, String)> = Vec::new();
    {
        let mut stmt = c
            .prepare("SELECT message_id, recipients FROM outbox")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap();
        for row in rows {
            let (id, to) = row.unwrap();
            for t in to.split(',') {
                sent.push((t.to_string(), id.clone()));
            }
        }
    }
    let accounts = rig.accounts();
    let mut inboxes: HashMap<String, HashMap<String, usize>> = HashMap::new();
    wait_until(
        Duration::from_secs(60),
        "every sent mail in its recipients' inboxes",
        || {
            inboxes = accounts
                .iter()
                .filter(|a| a.address != OFFICE)
                .map(|a| (a.address.clone(), ids_in(&rig, a, "INBOX")))
                .collect();
            sent.iter().all(|(to, id)| {
                inboxes
                    .get(to)
                    .is_none_or(|ids| ids.get(id.trim_matches(['<', '>'])).is_some())
            })
        },
    );
    daemon.lock().unwrap().stop();

    // Stored once each; one ticket per thread; replies and answers in their thread.
    assert_eq!(count(&c, "SELECT COUNT(*) FROM messages"), total);
    assert_eq!(
        count(&c, "SELECT COUNT(DISTINCT message_id) FROM messages"),
        total,
        "a mail was stored twice"
    );
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
            assert_eq!(
                ticket_of(&format!("s{i}@kppn-tanjungselor.example")),
                t,
                "answer {i}"
            );
            let kind: String = c
                .query_row(
                    "SELECT kind FROM messages WHERE message_id = ?1",
                    [format!("s{i}@kppn-tanjungselor.example")],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(kind, "staff", "answer {i} was executed as staff work");
        }
    }
    // Acknowledgements and relayed answers reached the stakeholders.
    let texts: Vec<String> = stakeholders
        .iter()
        .flat_map(|a| rig.messages(a, "INBOX"))
        .map(|m| read(&m).text)
        .collect();
    for i in 0..THREADS {
        assert!(
            texts
                .iter()
                .any(|t| t.contains(&format!("Pertanyaan {i}"))
                    || t.contains(&format!("#{}", i + 1))),
            "no acknowledgement for thread {i}"
        );
    }
    for i in 0..ANSWERS {
        assert!(
            texts
                .iter()
                .any(|t| t.contains(&format!("JAWABAN-{i:03}-END"))),
            "answer {i} was not relayed"
        );
    }

    // The processed folder holds exactly the stored mails.
    let processed = ids_in(&rig, rig.office(), "Diproses");
    assert_eq!(
        processed.values().sum::<usize>() as i64,
        total,
        "processed folder count"
    );
    let stored: HashSet<String> = {
        let mut stmt = c.prepare("SELECT message_id FROM messages").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(processed.keys().cloned().collect::<HashSet<_>>(), stored);
    assert!(rig.messages(rig.office(), "Karantina").is_empty());

    // Duplicates: the same Message-ID twice in one inbox. A kill between SMTP's final
    // answer and the outbox commit re-sends that one mail: at most one per kill.
    let duplicates: usize = inboxes
        .values()
        .flat_map(|ids| ids.values())
        .map(|n| n - 1)
        .sum();
    let delivered: usize = inboxes.values().flat_map(|ids| ids.values()).sum();
    println!(
        "crash test: {kills} kills, {} daemon starts, {total} mails in, {} outbox rows, {delivered} deliveries, {duplicates} duplicate(s)",
        daemon.lock().unwrap().starts,
        count(&c, "SELECT COUNT(*) FROM outbox")
    );
    assert!(kills >= KILLS);
    assert!(
        duplicates <= kills,
        "{duplicates} duplicates after {kills} kills: more than the documented window"
    );
    let integrity: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}
