//! One office on a real rig with a clock the test moves: send as a person sends, run a
//! pass, read the replies from the recipients' real inboxes. Used by the end-to-end
//! tests (`procedure.rs`, `practice_rig.rs`).

use chrono::{DateTime, Utc};
use loketd::desk::Desk;
use loketd::store::Store;
use loketd::store::tickets::{self, Ticket};

use super::desk::{self, TestSite, Transport, inbox, mail, office_has, once_at, read};
use super::rig::{Account, Rig};

pub(crate) const OFFICE: &str = "layanan@kppn-tanjungselor.example";

pub(crate) struct World {
    pub(crate) rig: Rig,
    pub(crate) site: TestSite,
    pub(crate) desk: Desk,
}

pub(crate) fn world() -> World {
    world_with(|t| t)
}

pub(crate) fn world_with(edit: impl Fn(String) -> String) -> World {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, edit);
    let desk = desk::desk(&site);
    World { rig, site, desk }
}

impl World {
    pub(crate) fn store(&self) -> Store {
        Store::open(&self.desk.config.mail.data_dir).unwrap()
    }

    pub(crate) fn ticket(&self, id: i64) -> Ticket {
        tickets::get(self.store().conn(), id).unwrap()
    }

    /// Sends `raw` as `from`, waits for it in the office INBOX, runs one pass at `now`.
    pub(crate) fn deliver_and_run(&self, from: &Account, raw: &[u8], now: DateTime<Utc>) {
        self.rig.send(from, raw);
        office_has(&self.rig, 1);
        let r = once_at(&self.desk, now);
        assert_eq!(r.fetched, 1, "one mail per step: {r:?}");
    }

    /// Outbox rows addressed to `who`, oldest first: (kind, raw).
    pub(crate) fn outbox_to(&self, who: &str) -> Vec<(String, String)> {
        let store = self.store();
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT kind, raw FROM outbox
                 WHERE instr(',' || recipients || ',', ',' || ?1 || ',') > 0 ORDER BY id",
            )
            .unwrap();
        stmt.query_map([who], |r| {
            Ok((
                r.get::<_, String>(0)?,
                String::from_utf8_lossy(&r.get::<_, Vec<u8>>(1)?).into_owned(),
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    pub(crate) fn kinds_to(&self, who: &str) -> Vec<String> {
        self.outbox_to(who).into_iter().map(|(k, _)| k).collect()
    }

    /// The stakeholder asks a question at `now`; returns the acknowledgement and CSO1's
    /// notification.
    pub(crate) fn ask(&self, now: DateTime<Utc>, body: &str) -> (desk::Received, desk::Received) {
        let n_ack = self.rig.messages(self.rig.stakeholder(), "INBOX").len();
        let n_cso = self.rig.messages(self.rig.cso1(), "INBOX").len();
        let raw = mail(
            self.rig.stakeholder(),
            OFFICE,
            "[KONS] Pencairan SP2D belum masuk rekening",
            &format!("ask{}@satker.example.test", now.timestamp()),
            body,
        );
        self.deliver_and_run(self.rig.stakeholder(), &raw, now);
        let ack = last(&inbox(&self.rig, self.rig.stakeholder(), n_ack + 1));
        let notification = last(&inbox(&self.rig, self.rig.cso1(), n_cso + 1));
        (ack, notification)
    }
}

pub(crate) fn last(v: &[desk::Received]) -> desk::Received {
    let m = v.last().expect("at least one mail");
    read(m.raw.as_bytes())
}

/// Waits until `who` has `n` mails and returns the newest.
pub(crate) fn nth(rig: &Rig, who: &Account, n: usize) -> desk::Received {
    let all = inbox(rig, who, n);
    assert_eq!(all.len(), n, "{} has more mail than expected", who.address);
    last(&all)
}
