//! Mail to the office becomes tickets and acknowledgements: real Dovecot and Postfix.

mod support;

use support::desk::{self, Transport, count, inbox, mail, mail_with, office_has, once};
use support::rig::Rig;

use loketd::store::Store;

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

#[test]
fn new_mail_is_ticketed_acknowledged_and_a_reply_joins_it() {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, |t| t);
    let d = desk::desk(&site);
    let raw = mail(
        rig.stakeholder(),
        OFFICE,
        "[KONS] Revisi DIPA dan SPM gaji",
        "q1@satker.example.test",
        "Selamat pagi, bagaimana cara revisi DIPA?\n\nBendahara Satker",
    );
    rig.send(rig.stakeholder(), &raw);
    office_has(&rig, 1);
    let r = once(&d);
    assert_eq!(r.new_tickets, 1, "{r:?}");

    let acks = inbox(&rig, rig.stakeholder(), 1);
    let ack = &acks[0];
    assert!(ack.subject.starts_with("[KPPN-TSL #1] "), "{}", ack.subject);
    assert!(
        ack.subject.contains("Revisi DIPA dan SPM gaji"),
        "{}",
        ack.subject
    );
    assert!(!ack.subject.contains("[KONS]"), "{}", ack.subject);
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(
        ack.header("X-Auto-Response-Suppress").as_deref(),
        Some("All")
    );
    assert_eq!(ack.in_reply_to.as_deref(), Some("q1@satker.example.test"));
    assert!(
        ack.message_id.ends_with("@kppn-tanjungselor.example"),
        "{}",
        ack.message_id
    );
    assert!(ack.text.contains("Nomor tiket : #1"), "{}", ack.text);
    assert!(
        ack.text.contains("20 menit"),
        "completion time from the standard:\n{}",
        ack.text
    );
    assert!(
        ack.text.contains("3 hari kerja"),
        "escalation from the standard:\n{}",
        ack.text
    );
    assert!(
        ack.text.contains("SP4N-LAPOR"),
        "complaint channels:\n{}",
        ack.text
    );
    assert!(ack.text.contains("Yth. Bapak/Ibu"), "{}", ack.text);

    // Both CSOs are told, with a capability Message-ID.
    for cso in [rig.cso1(), rig.cso2()] {
        let n = inbox(&rig, cso, 1);
        assert!(
            n[0].message_id.starts_with("loket.1."),
            "{}",
            n[0].message_id
        );
        assert!(
            n[0].text.contains("bagaimana cara revisi DIPA"),
            "{}",
            n[0].text
        );
        assert!(
            n[0].text.contains("#selesai"),
            "cheat sheet:\n{}",
            n[0].text
        );
    }

    // The stakeholder answers the acknowledgement: same ticket.
    let reply = mail_with(
        rig.stakeholder(),
        OFFICE,
        &format!("Re: {}", ack.subject),
        "q2@satker.example.test",
        &[&format!("In-Reply-To: <{}>", ack.message_id)],
        "Tambahan: DIPA nomor 123.\n\nPada tanggal Sel, 17 Mar 2026 pukul 10.00 KPPN menulis:\n> Terima kasih",
    );
    rig.send(rig.stakeholder(), &reply);
    office_has(&rig, 1);
    let r = once(&d);
    assert_eq!((r.new_tickets, r.replies), (0, 1), "{r:?}");
    let store = Store::open(&d.config.mail.data_dir).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM messages WHERE ticket_id = 1"),
        2
    );
    // The inbox is empty: everything moved to the processed folder.
    assert!(rig.messages(rig.office(), "INBOX").is_empty());
    assert_eq!(rig.messages(rig.office(), "Diproses").len(), 2);
}
