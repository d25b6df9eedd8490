//! Real mail practice end to end on the rig: each mail sent over SMTP as a person's
//! client would write it, every reply read from the recipient's real inbox. The many
//! client formats and rules are covered on the harness (`practice.rs`,
//! `reply_formats.rs`); these prove the same over real servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::desk::{self, bare, mail_with, reply, wita};
use support::world::{OFFICE, nth, world};

use loketd::rules::ticket::Status;

const QUESTION: &str =
    "Selamat pagi, SP2D gaji kami belum masuk ke rekening penerima sejak kemarin.";

/// Lines of a mail the daemon sent that must never reach the stakeholder.
fn assert_nothing_internal(stakeholder_mail: &str, notification: &desk::Received) {
    for line in notification.text.lines().map(str::trim) {
        if line.chars().filter(|c| c.is_alphanumeric()).count() >= 15 && !QUESTION.contains(line) {
            assert!(
                !stakeholder_mail.contains(line),
                "leaked {line:?}:\n{stakeholder_mail}"
            );
        }
    }
    assert!(!stakeholder_mail.contains(bare(&notification.message_id)));
}

#[test]
fn s_nail_reply_with_documents_request_reaches_the_stakeholder_clean() {
    let w = world();
    let (_, n1) = w.ask(wita(3, 17, 10, 0), QUESTION);
    // s-nail/mailx: `"Name" <addr> wrote:` and TAB-indented lines.
    let quoted: String = n1.text.lines().map(|l| format!("\t{l}\n")).collect();
    let body = format!(
        "#dokumen\nMohon kirim salinan SPM dan rekening koran.\n\n\"KPPN Tanjung Selor\" <{OFFICE}> wrote:\n\n{quoted}"
    );
    let r = reply(
        w.rig.cso1(),
        &n1,
        "snail@kppn-tanjungselor.example",
        &[],
        &body,
    );
    w.deliver_and_run(w.rig.cso1(), &r, wita(3, 17, 10, 5));
    assert_eq!(w.ticket(1).status, Status::AwaitingDocuments);
    let got = nth(&w.rig, w.rig.stakeholder(), 2);
    assert!(
        got.text
            .contains("Mohon kirim salinan SPM dan rekening koran."),
        "{}",
        got.text
    );
    assert_nothing_internal(&got.text, &n1);
}

#[test]
fn a_colleague_in_cc_receives_the_answer_in_their_inbox() {
    let w = world();
    let (st, ppk) = (w.rig.stakeholder(), w.rig.stakeholder2());
    let raw = mail_with(
        st,
        OFFICE,
        "Revisi DIPA",
        "cc@satker.example.test",
        &[&format!("Cc: PPK <{}>", ppk.address)],
        "Mohon informasi prosedur revisi DIPA.",
    );
    w.deliver_and_run(st, &raw, wita(3, 17, 10, 0));
    let n1 = nth(&w.rig, w.rig.cso1(), 1);
    // The colleague has the stakeholder's own mail (they were in Cc) and the ack copy.
    let ack_copy = nth(&w.rig, ppk, 2);
    assert!(
        ack_copy.text.contains("Nomor tiket : #1"),
        "{}",
        ack_copy.text
    );
    let r = reply(
        w.rig.cso1(),
        &n1,
        "ans@kppn-tanjungselor.example",
        &[],
        "Revisi DIPA diajukan melalui aplikasi SAKTI.",
    );
    w.deliver_and_run(w.rig.cso1(), &r, wita(3, 17, 10, 5));
    for (who, n) in [(st, 2), (ppk, 3)] {
        let answer = nth(&w.rig, who, n);
        assert!(
            answer.text.contains("melalui aplikasi SAKTI"),
            "{}: {}",
            who.address,
            answer.text
        );
    }
}

#[test]
fn a_thank_you_with_the_rating_on_a_later_line_counts_and_does_not_reopen() {
    let w = world();
    let (_, n1) = w.ask(wita(3, 17, 10, 0), QUESTION);
    let r = reply(
        w.rig.cso1(),
        &n1,
        "res@kppn-tanjungselor.example",
        &[],
        "#selesai\nSP2D sudah masuk pagi ini.",
    );
    w.deliver_and_run(w.rig.cso1(), &r, wita(3, 17, 10, 5));
    let resolved = nth(&w.rig, w.rig.stakeholder(), 2);
    assert!(resolved.text.contains("Resolved"), "{}", resolved.text);
    let quoted: String = resolved.text.lines().map(|l| format!("> {l}\n")).collect();
    let body = format!(
        "Baik Pak, terima kasih atas bantuannya.\n\nNilai: 4\n\nPada Sel, 17 Mar 2026 pukul 10.05 KPPN Tanjung Selor <{OFFICE}> menulis:\n{quoted}"
    );
    let r = reply(
        w.rig.stakeholder(),
        &resolved,
        "thx@satker.example.test",
        &[],
        &body,
    );
    w.deliver_and_run(w.rig.stakeholder(), &r, wita(3, 17, 11, 0));
    assert_eq!(
        w.ticket(1).status,
        Status::Resolved,
        "a thank-you does not reopen"
    );
    let score: i64 = w
        .store()
        .conn()
        .query_row("SELECT score FROM ratings WHERE ticket_id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(score, 4);
}

#[test]
fn an_answer_from_a_private_address_is_held_and_both_people_are_told() {
    let w = world();
    let (_, n1) = w.ask(wita(3, 17, 10, 0), QUESTION);
    // CSO 1 forwarded the notification to their own (unlisted) mailbox and answers
    // from there.
    let private = w.rig.stakeholder2();
    let r = reply(
        private,
        &n1,
        "priv@cv-maju.example.test",
        &[],
        "SP2D sudah terbit, silakan cek rekening.",
    );
    w.deliver_and_run(private, &r, wita(3, 17, 10, 5));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(
        w.rig.messages(w.rig.stakeholder(), "INBOX").len(),
        1,
        "only the ack"
    );
    let told = nth(&w.rig, private, 1);
    assert!(told.text.contains("tidak diteruskan"), "{}", told.text);
    assert!(
        !told.text.contains("belum masuk ke rekening"),
        "nothing of the ticket:\n{}",
        told.text
    );
    let waiting = nth(&w.rig, w.rig.cso1(), 2);
    assert!(waiting.text.contains("MENUNGGU"), "{}", waiting.text);
    assert!(
        waiting
            .text
            .contains("SP2D sudah terbit, silakan cek rekening."),
        "{}",
        waiting.text
    );
}

#[test]
fn a_missed_escalation_deadline_gives_a_truthful_progress_mail_and_alerts_once() {
    let w = world();
    let (_, n1) = w.ask(wita(3, 17, 10, 0), QUESTION);
    let r = reply(
        w.rig.cso1(),
        &n1,
        "esc@kppn-tanjungselor.example",
        &[],
        "#eskalasi pd\nMohon dicek di SPAN.",
    );
    w.deliver_and_run(w.rig.cso1(), &r, wita(3, 17, 10, 5));
    // The deadline is Friday 27 March 16:00; passes on the Friday evening, and on the
    // Monday and Tuesday after at the progress hour.
    for now in [wita(3, 27, 16, 30), wita(3, 30, 9, 30), wita(3, 31, 9, 30)] {
        desk::once_at(&w.desk, now);
    }
    let st: Vec<desk::Received> = w
        .rig
        .messages(w.rig.stakeholder(), "INBOX")
        .iter()
        .map(|m| desk::read(m))
        .collect();
    let last = st.last().unwrap();
    assert!(last.text.contains("telah terlewati"), "{}", last.text);
    assert!(
        !last.text.contains("paling lambat"),
        "no promise after the miss:\n{}",
        last.text
    );
    for who in [w.rig.kasi(), w.rig.kepala()] {
        let alerts = w
            .rig
            .messages(who, "INBOX")
            .iter()
            .map(|m| desk::read(m))
            .filter(|m| m.text.contains("BATAS WAKTU TERLEWATI"))
            .count();
        assert_eq!(alerts, 1, "{}", who.address);
    }
}
