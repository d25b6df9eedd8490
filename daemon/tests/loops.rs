//! Mail loops: a stakeholder mailbox that answers everything automatically, run against
//! the daemon for an hour and a half of moved clock (so an hourly limit is told apart
//! from a per-minute one), and staff vacation replies to a notification, with and
//! without `Auto-Submitted`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;

use chrono::Duration;
use support::desk::{self, Transport, count, inbox, mail, mail_with, once_at, read, wita};
use support::rig::Rig;

use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

#[test]
fn an_autoresponder_gets_at_most_the_hourly_limit_of_automatic_replies() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let limit = i64::from(d.config.helpdesk.auto_replies_per_hour);
    let who = rig.stakeholder();
    rig.deliver(
        rig.office(),
        &mail(
            who,
            OFFICE,
            "Pertanyaan SPM",
            "first@satker.example.test",
            "Mohon info.",
        ),
    );
    let start = wita(3, 17, 10, 0);
    let mut answered: HashSet<String> = HashSet::new();
    let mut n = 0;
    // 90 minutes of moved clock, one pass every 5 minutes. The responder answers every
    // mail it gets: a naive vacation reply (fresh thread, no Auto-Submitted), one that
    // threads on, and one polite one with Auto-Submitted.
    let mut acks_at: Vec<chrono::DateTime<chrono::Utc>> = Vec::new();
    for step in 0..18 {
        let now = start + Duration::minutes(5 * step);
        once_at(&d, now);
        let store = Store::open(&d.config.mail.data_dir).unwrap();
        let sent = count(
            &store,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE recipients = '{}' AND status = 'sent'",
                who.address
            ),
        ) as usize;
        for m in inbox(&rig, who, sent) {
            if !answered.insert(m.message_id.clone()) {
                continue;
            }
            acks_at.push(now);
            n += 1;
            let naive = mail(
                who,
                OFFICE,
                "Sedang cuti",
                &format!("vac{n}@satker.example.test"),
                "Saya sedang cuti sampai pekan depan.",
            );
            let threaded = mail_with(
                who,
                OFFICE,
                &format!("Re: {}", m.subject),
                &format!("vacr{n}@satker.example.test"),
                &[&format!("In-Reply-To: <{}>", m.message_id)],
                "Saya sedang cuti sampai pekan depan.",
            );
            let polite = mail_with(
                who,
                OFFICE,
                &format!("Otomatis: {}", m.subject),
                &format!("auto{n}@satker.example.test"),
                &[
                    "Auto-Submitted: auto-replied",
                    &format!("In-Reply-To: <{}>", m.message_id),
                ],
                "Saya sedang cuti.",
            );
            for raw in [naive, threaded, polite] {
                rig.deliver(rig.office(), &raw);
            }
        }
    }
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let automatic = count(
        &store,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE automatic = 1 AND recipients = '{}'",
            who.address
        ),
    );
    assert!(automatic >= 1, "the first question was acknowledged");
    // In every 60-minute window at most `limit` automatic replies; a per-minute limit
    // would have answered on each of the 18 passes.
    for (i, first) in acks_at.iter().enumerate() {
        let within = acks_at[i..]
            .iter()
            .filter(|t| **t < *first + Duration::minutes(60))
            .count();
        assert!(
            i64::try_from(within).unwrap() <= limit,
            "{within} automatic replies within an hour of {first}: {acks_at:?}"
        );
    }
    assert!(
        automatic <= 2 * limit,
        "{automatic} automatic replies in 90 minutes, limit {limit} an hour"
    );
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM events WHERE kind = 'reply_suppressed'"
        ) >= 1
    );
    // The loop is throttled to the limit per hour, not fed on every pass.
    assert!(
        i64::from(n) <= 2 * limit,
        "the responder was answered {n} times"
    );
    // Mail marked automatic was stored and never answered.
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM messages WHERE message_id LIKE 'auto%' AND kind = 'automatic'"
        ) >= 1
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM messages WHERE message_id LIKE 'auto%' AND kind != 'automatic'"
        ),
        0
    );
}

/// CSO 1's mailbox answers its notification while they are away, threaded on the
/// capability Message-ID; the body may even start with a command. Nothing may run and
/// nothing may reach the stakeholder; the mail is stored as automatic with `reason`.
fn vacation_reply_executes_nothing(
    subject_prefix: &str,
    headers: &[&str],
    body: &str,
    reason: &str,
) {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let start = wita(3, 17, 10, 0);
    rig.deliver(
        rig.office(),
        &mail(
            rig.stakeholder(),
            OFFICE,
            "Pertanyaan SPM",
            "q@satker.example.test",
            "Mohon info.",
        ),
    );
    once_at(&d, start);
    let note = &inbox(&rig, rig.cso1(), 1)[0];
    assert!(
        note.message_id.starts_with("loket.1."),
        "{}",
        note.message_id
    );
    let mut all = vec![
        format!("In-Reply-To: <{}>", note.message_id),
        format!("References: <{}>", note.message_id),
    ];
    all.extend(headers.iter().map(|h| (*h).to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let vacation = mail_with(
        rig.cso1(),
        OFFICE,
        &format!("{subject_prefix}{}", note.subject),
        "vacation@kppn-tanjungselor.example",
        &all,
        body,
    );
    rig.deliver(rig.office(), &vacation);
    let r = once_at(&d, start + Duration::seconds(30));
    assert_eq!((r.staff, r.stored_only), (0, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    let status: String = store
        .conn()
        .query_row("SELECT status FROM tickets WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "new", "the vacation reply changed the ticket");
    let (kind, stored_reason): (String, String) = store
        .conn()
        .query_row(
            "SELECT kind, reason FROM messages WHERE message_id = 'vacation@kppn-tanjungselor.example'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (kind.as_str(), stored_reason.as_str()),
        ("automatic", reason)
    );
    // Only the acknowledgement reached the stakeholder; nobody got mail about it.
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM outbox"),
        3,
        "ack + two CSO notifications only"
    );
    let got: Vec<String> = rig
        .messages(rig.stakeholder(), "INBOX")
        .iter()
        .map(|m| read(m).text)
        .collect();
    assert_eq!(got.len(), 1);
    assert!(!got[0].contains("cuti"));
}

#[test]
fn a_vacation_reply_to_a_staff_notification_executes_nothing() {
    vacation_reply_executes_nothing(
        "Otomatis: ",
        &["Auto-Submitted: auto-replied"],
        "#selesai\nSaya sedang cuti sampai tanggal 20.",
        "auto-submitted (auto-replied)",
    );
}

/// Old Exchange and many web hosts: no Auto-Submitted, only the subject says it. Its
/// text would otherwise be relayed to the stakeholder as CSO 1's answer.
#[test]
fn a_vacation_reply_without_auto_submitted_executes_nothing() {
    vacation_reply_executes_nothing(
        "Balasan Otomatis: ",
        &[],
        "Saya sedang cuti sampai tanggal 20. Untuk hal mendesak hubungi kantor.",
        "auto-reply-subject",
    );
}
