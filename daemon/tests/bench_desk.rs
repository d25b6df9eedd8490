//! Desk command figures on a large office, run by `bench/desk.sh` (ignored in CI: these
//! print figures and assert only that the work was done, never how fast). The harness
//! store is filled with LOKET_BENCH_TICKETS (100,000) tickets of three stored mails
//! each, then `#antrean`, `#cari` (a word in many tickets, a number in one, a word in
//! none) and `#riwayat` are each ingested as a CSO's reply to the standing mail: the
//! whole mail, from parse to the answer in the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Instant;

use support::desk::{bare, mail_with, wita};
use support::harness::{Harness, OFFICE};

fn tickets() -> usize {
    std::env::var("LOKET_BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[test]
#[ignore = "a measurement, run by bench/desk.sh"]
fn desk_commands_on_a_large_office() {
    let mut w = Harness::with(|t| t.replace("standing_mail_days = 0", "standing_mail_days = 30"));
    let n = tickets();
    let cso = w.cso1().address;
    let started = Instant::now();
    {
        let c = w.store.conn();
        c.execute_batch("BEGIN").unwrap();
        let mut t = c
            .prepare(
                "INSERT INTO tickets (id, service, subject, requester, requester_name, status, assignee,
                                      created_at, due_at, channel)
                 VALUES (?1, 'KONS', ?2, ?3, ?4, ?5, ?6, ?7, ?7, 'email')",
            )
            .unwrap();
        let mut m = c
            .prepare(
                "INSERT INTO messages (dedup_key, raw_sha256, ticket_id, kind, sender, subject, body,
                                       size, received_at)
                 VALUES (?1, 'x', ?2, 'stakeholder', ?3, ?4, ?5, 1000, ?6)",
            )
            .unwrap();
        for i in 1..=n {
            let requester = format!("bendahara{}@satker{}.example.test", i % 5000, i % 700);
            let status = match i % 10 {
                0..=6 => "closed",
                7 => "resolved",
                8 => "in_progress",
                _ => "new",
            };
            let assignee = (i % 10 == 8).then(|| {
                if i % 20 == 8 {
                    cso.clone()
                } else {
                    "cso2@kppn-tanjungselor.example".into()
                }
            });
            let at = wita(1, 5, 9, 0) + chrono::Duration::minutes(i as i64);
            let subject = format!(
                "Pencairan SP2D satker {} tahap {}",
                100_000 + i % 700,
                i % 12
            );
            t.execute(rusqlite::params![
                i as i64,
                subject,
                requester,
                format!("Bendahara {i}"),
                status,
                assignee,
                at
            ])
            .unwrap();
            for k in 0..3 {
                let body = format!(
                    "Selamat pagi, mohon informasi SPM nomor {:05}/{k}/2026 untuk satker {} \
                     dengan SP2D {} yang belum masuk rekening penerima. Terlampir rekening koran \
                     dan surat permohonan. Terima kasih atas bantuannya. Salam, Bendahara {i}",
                    i,
                    100_000 + i % 700,
                    260_000_000_000_u64 + (i * 3 + k) as u64
                );
                m.execute(rusqlite::params![
                    format!("b:{i}:{k}"),
                    i as i64,
                    requester,
                    subject,
                    body,
                    at
                ])
                .unwrap();
            }
        }
        drop((t, m));
        c.execute_batch("COMMIT; ANALYZE").unwrap();
    }
    println!(
        "filled {n} tickets, {} mails: {:?}",
        3 * n,
        started.elapsed()
    );
    loketd::workflow::refresh_standing(&mut w.store, &w.desk, wita(3, 17, 8, 0)).unwrap();
    let standing = w.sent_to(&cso).pop().unwrap().mail;
    let parent = bare(&standing.message_id).to_string();
    let target = 260_000_000_000_u64 + (n as u64 / 2) * 3 + 1;
    for (i, line) in [
        "#antrean".to_string(),
        "#cari rekening".to_string(),
        format!("#cari {target}"),
        "#cari tidakadadimanapun".to_string(),
        "#riwayat bendahara7@satker7.example.test".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let raw = mail_with(
            &w.cso1(),
            OFFICE,
            "Re: x",
            &format!("bench{i}@cso.test"),
            &[&format!("In-Reply-To: <{parent}>")],
            line,
        );
        let before = w.kinds_to(&cso).len();
        let t = Instant::now();
        w.ingest(&raw, wita(3, 17, 10, 0));
        let took = t.elapsed();
        let answer = w.sent_to(&cso).pop().unwrap();
        assert_eq!(w.kinds_to(&cso).len(), before + 1);
        let listed = answer
            .mail
            .text
            .lines()
            .filter(|l| l.starts_with('#') && l.len() > 2 && l.as_bytes()[1].is_ascii_digit())
            .count();
        println!("{line:45} {took:>10.1?}  ({listed} tickets listed)");
    }
}
