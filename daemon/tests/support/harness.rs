//! The workflow without servers: raw mail bytes and a clock in; tickets, events and
//! outbox rows out. The shipped site in a temp folder, the real SQLite on disk, the
//! same people as the rig — no mocked store and no network, so a case costs
//! milliseconds.
//!
//! What a person "receives" here is an outbox row addressed to them (the mail the
//! daemon would hand to SMTP), parsed back as a mail client would read it. Cases that
//! need a server (IMAP state, IDLE, MOVE, SMTP, outages, crashes) use the rig instead.

use std::path::Path;

use chrono::{DateTime, Utc};
use loketd::desk::Desk;
use loketd::rules::kinds::EventKind;
use loketd::rules::ticket::Status;
use loketd::store::Store;
use loketd::store::tickets::{self, Ticket};
use loketd::workflow::ingest::{self, Outcome, Source};
use loketd::workflow::scheduler::{self, TickReport};

use super::desk::{Received, TestSite, read, shipped_site};
use super::rig::{Account, Accounts};

pub(crate) const OFFICE: &str = "layanan@kppn-tanjungselor.example";

/// One office on disk, driven mail by mail.
pub(crate) struct Harness {
    pub(crate) site: TestSite,
    pub(crate) desk: Desk,
    pub(crate) store: Store,
    people: Accounts,
    next_uid: u32,
}

/// A mail the daemon queued: its outbox kind and the mail as the recipient reads it.
pub(crate) struct Sent {
    pub(crate) kind: String,
    pub(crate) mail: Received,
}

impl Harness {
    /// The shipped site as it is.
    pub(crate) fn new() -> Harness {
        Harness::with(|t| t)
    }

    /// The shipped site with `edit` applied to its site.toml (e.g. a lower limit).
    pub(crate) fn with(edit: impl Fn(String) -> String) -> Harness {
        let site = shipped_site();
        let path = site.root().join("site.toml");
        let text = std::fs::read_to_string(&path).expect("shipped site.toml");
        std::fs::write(&path, edit(text)).expect("write site.toml");
        let desk = Desk::load(site.root()).unwrap_or_else(|e| panic!("test site: {e}"));
        let store = Store::open(&desk.config.mail.data_dir).expect("store");
        Harness {
            site,
            desk,
            store,
            people: Accounts::new(),
            next_uid: 1,
        }
    }

    pub(crate) fn stakeholder(&self) -> Account {
        self.people.stakeholder.clone()
    }
    pub(crate) fn stakeholder2(&self) -> Account {
        self.people.stakeholder2.clone()
    }
    pub(crate) fn cso1(&self) -> Account {
        self.people.cso1.clone()
    }
    pub(crate) fn cso2(&self) -> Account {
        self.people.cso2.clone()
    }
    pub(crate) fn kasi(&self) -> Account {
        self.people.kasi.clone()
    }
    pub(crate) fn kepala(&self) -> Account {
        self.people.kepala.clone()
    }

    /// One mail into the workflow, as an inbox pass at `now` stores it (the next UID
    /// of the inbox).
    pub(crate) fn ingest(&mut self, raw: &[u8], now: DateTime<Utc>) -> Outcome {
        let src = Source {
            folder: "INBOX".into(),
            uidvalidity: 1,
            uid: self.next_uid,
        };
        self.next_uid += 1;
        ingest::ingest(&mut self.store, &self.desk, &src, raw, now)
            .unwrap_or_else(|e| panic!("ingest failed: {e}"))
    }

    /// The scheduler's tick at `now`.
    pub(crate) fn tick(&mut self, now: DateTime<Utc>) -> TickReport {
        scheduler::tick(&mut self.store, &self.desk, now).expect("tick")
    }

    /// What `loketd once` does with one new mail at `now`: ingest it, then tick.
    pub(crate) fn deliver(&mut self, raw: &[u8], now: DateTime<Utc>) -> Outcome {
        let outcome = self.ingest(raw, now);
        self.tick(now);
        outcome
    }

    /// Drops the desk and the store and loads both again from disk, as a restart does.
    pub(crate) fn restart(&mut self) {
        self.desk = Desk::load(self.site.root()).unwrap_or_else(|e| panic!("test site: {e}"));
        self.store = Store::open(&self.desk.config.mail.data_dir).expect("store");
    }

    pub(crate) fn ticket(&self, id: i64) -> Ticket {
        tickets::get(self.store.conn(), id).expect("ticket exists")
    }

    /// What happened to ticket `id`, oldest first.
    pub(crate) fn events(&self, id: i64) -> Vec<EventKind> {
        tickets::events(self.store.conn(), id)
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    pub(crate) fn status(&self, id: i64) -> Status {
        self.ticket(id).status
    }

    /// Every mail queued to `who` (as addressee or copy), oldest first.
    pub(crate) fn sent_to(&self, who: &str) -> Vec<Sent> {
        let mut stmt = self
            .store
            .conn()
            .prepare(
                "SELECT kind, raw FROM outbox
                 WHERE instr(',' || recipients || ',', ',' || ?1 || ',') > 0 ORDER BY id",
            )
            .expect("query");
        stmt.query_map([who.to_lowercase()], |r| {
            Ok(Sent {
                kind: r.get(0)?,
                mail: read(&r.get::<_, Vec<u8>>(1)?),
            })
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
    }

    /// The outbox kinds of the mails queued to `who`, oldest first.
    pub(crate) fn kinds_to(&self, who: &str) -> Vec<String> {
        self.sent_to(who).into_iter().map(|s| s.kind).collect()
    }

    /// `who` has received exactly `n` mails; the newest.
    pub(crate) fn nth(&self, who: &Account, n: usize) -> Received {
        let mut all = self.sent_to(&who.address);
        assert_eq!(
            all.len(),
            n,
            "{} has {} mails, expected {n}: {:?}",
            who.address,
            all.len(),
            all.iter().map(|s| s.kind.as_str()).collect::<Vec<_>>()
        );
        all.pop().expect("at least one mail").mail
    }

    pub(crate) fn outbox_rows(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM outbox")
    }

    pub(crate) fn count(&self, sql: &str) -> i64 {
        self.store
            .conn()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub(crate) fn data_dir(&self) -> &Path {
        &self.desk.config.mail.data_dir
    }
}
