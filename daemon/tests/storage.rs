//! Storage faults: a database locked by another process, a data folder that cannot be
//! written, and a database from the previous schema version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::time::Duration;

use rusqlite::Connection;
use support::desk::{self, Transport, count, mail, once};
use support::rig::Rig;

use loketd::run::pass::{self, PassError};
use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

fn question(rig: &Rig, i: usize) -> Vec<u8> {
    mail(
        rig.stakeholder(),
        OFFICE,
        &format!("Pertanyaan {i}"),
        &format!("q{i}@satker.example.test"),
        "Mohon penjelasan.",
    )
}

/// Milliseconds since the epoch: a clock two processes share.
fn wall_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Not a test on its own: the other process of the test below, which starts this test
/// binary again to run only this. It takes the write lock on `LOKET_HOLD_DB`, says so in
/// `<db>.locked`, holds it for 3 s, writes the time it lets go to `<db>.released`, and
/// commits.
#[test]
#[ignore = "the lock-holding process of a_database_locked_by_another_process_is_waited_for"]
fn lock_holder_process() {
    let db = std::path::PathBuf::from(std::env::var_os("LOKET_HOLD_DB").expect("LOKET_HOLD_DB"));
    let c = Connection::open(&db).unwrap();
    c.execute_batch("BEGIN EXCLUSIVE").unwrap();
    fs::write(db.with_extension("locked"), b"").unwrap();
    std::thread::sleep(Duration::from_secs(3));
    fs::write(db.with_extension("released"), wall_ms().to_string()).unwrap();
    c.execute_batch("COMMIT").unwrap();
}

#[test]
fn a_database_locked_by_another_process_is_waited_for() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    drop(Store::open(&d.config.mail.data_dir).unwrap());
    for i in 0..3 {
        rig.deliver(rig.office(), &question(&rig, i));
    }
    // Another process (a backup, a CLI call) holds the write lock for 3 s.
    let db = site.data_dir().join("loketd.sqlite");
    let mut holder = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["lock_holder_process", "--exact", "--ignored", "--nocapture"])
        .env("LOKET_HOLD_DB", &db)
        .spawn()
        .unwrap();
    let locked = db.with_extension("locked");
    let waiting = std::time::Instant::now();
    while !locked.exists() {
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "the lock holder never locked"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = wall_ms();
    let r = once(&d);
    let finished = wall_ms();
    assert!(holder.wait().unwrap().success());
    let released: u128 = fs::read_to_string(db.with_extension("released"))
        .unwrap()
        .parse()
        .unwrap();
    // The pass began while the lock was held and could only end after it was let go:
    // it waited instead of failing or skipping.
    assert!(
        started < released && released <= finished,
        "pass {started}..{finished}, lock released at {released}"
    );
    assert_eq!(r.new_tickets, 3, "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 3);
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
}

#[test]
fn an_unwritable_data_folder_keeps_mail_in_the_inbox_and_says_why() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let raw_dir = site.data_dir().join("raw");
    rig.deliver(rig.office(), &question(&rig, 0));

    // The store is open when the folder breaks (root ignores permissions, so `raw/`
    // becomes a file: no mail file can be written under it).
    let mut store = Store::open(&d.config.mail.data_dir).unwrap();
    fs::remove_dir_all(&raw_dir).unwrap();
    fs::write(&raw_dir, b"not a folder").unwrap();
    let mut mb = loketd::run::open_mailbox(&d).unwrap();
    let err = pass::pass(&mut mb, &mut store, &d, chrono::Utc::now).unwrap_err();
    mb.logout();
    assert!(matches!(err, PassError::Store(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("mail left in the inbox"), "{msg}");
    assert!(
        msg.contains(&raw_dir.display().to_string()),
        "names the path: {msg}"
    );
    assert_eq!(rig.messages(rig.office(), "INBOX").len(), 1);
    assert!(rig.messages(rig.office(), "Diproses").is_empty());
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 0);
    drop(store);

    // A fresh start on the broken folder refuses to run and names it.
    let err = loketd::run::once(&d).unwrap_err().to_string();
    assert!(err.contains(&raw_dir.display().to_string()), "{err}");
    assert_eq!(rig.messages(rig.office(), "INBOX").len(), 1);

    // Repaired: the mail is ticketed once.
    fs::remove_file(&raw_dir).unwrap();
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
}

/// The schema as names: tables with their columns, and indexes with their table.
fn shape(store: &Store) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT m.type || ' ' || m.name || ' ' || coalesce(p.name, m.tbl_name)
             FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) p ON m.type = 'table'
             WHERE m.name NOT LIKE 'sqlite_%' ORDER BY 1",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_version_1_database_is_migrated_on_start() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    rig.deliver(rig.office(), &question(&rig, 0));
    assert_eq!(once(&d).new_tickets, 1);
    // Turn the database back into what loketd 0.1 (schema 1) left.
    let db = site.data_dir().join("loketd.sqlite");
    {
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "DROP INDEX tickets_created; DROP TABLE copied;
             ALTER TABLE tickets DROP COLUMN expected_on;
             DROP INDEX outbox_ticket; DROP INDEX messages_raw; DROP INDEX attachments_sha256;
             DROP INDEX tickets_channel; ALTER TABLE tickets DROP COLUMN channel;
             DROP INDEX tickets_assignee; DROP INDEX tickets_section;
             DROP INDEX tickets_requester;
             DROP TABLE skm_responses;
             DROP INDEX messages_sender_body; ALTER TABLE messages DROP COLUMN body_sha256;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, loketd::store::SCHEMA_VERSION);
    // Every table, column and index a new database has, and nothing else.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(fresh_dir.path()).unwrap();
    assert_eq!(shape(&store), shape(&fresh));
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'tickets_created'"
        ),
        1
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM tickets WHERE expected_on IS NULL"
        ),
        1
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM copied"), 0);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);
    // And it keeps working.
    rig.deliver(rig.office(), &question(&rig, 1));
    assert_eq!(once(&d).new_tickets, 1);
}
