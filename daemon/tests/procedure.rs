//! The published consultation procedure end to end, by mail, on a real Dovecot +
//! Postfix rig with a clock the test moves: each step sent as a person sends it and
//! read from the recipient's real inbox. Each command and rule on its own is tested on
//! the workflow harness (`workflow.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::desk::{self, bare, once_at, reply, wita};
use support::rig::Account;
use support::world::{OFFICE, World, nth, world};

use loketd::rules::ticket::Status;
const DEADLINE_TEXT: &str = "Jumat, 27 Maret 2026 pukul 16.00 WITA";

// ----- helpers -------------------------------------------------------------------------

/// A reply with one PDF attachment.
fn reply_with_attachment(
    from: &Account,
    to: &desk::Received,
    id: &str,
    body: &str,
    file: &str,
) -> Vec<u8> {
    let parent = bare(&to.message_id);
    let s = format!(
        "From: {from}\r\nTo: {OFFICE}\r\nSubject: Re: {subject}\r\nMessage-ID: <{id}>\r\n\
         In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n\
         Date: Tue, 17 Mar 2026 10:30:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"{file}\"\r\n\
         Content-Disposition: attachment; filename=\"{file}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n\
         --b1--\r\n",
        from = from.address,
        subject = to.subject,
    );
    s.into_bytes()
}

// ----- 1. the published online procedure, end to end ---------------------------------

#[test]
fn online_procedure_end_to_end() {
    let w = world();
    let (rig, st) = (&w.rig, w.rig.stakeholder());

    // Step 1: the stakeholder asks; acknowledgement; both CSOs notified.
    let (ack, n1) = w.ask(
        wita(3, 17, 10, 0),
        "Selamat pagi, SP2D kami belum masuk rekening.",
    );
    assert!(ack.text.contains("Nomor tiket : #1"), "{}", ack.text);
    let n2 = nth(rig, rig.cso2(), 1);
    assert!(n1.text.contains("SP2D kami belum masuk"), "{}", n1.text);
    assert!(n2.text.contains("SP2D kami belum masuk"), "{}", n2.text);
    for n in [&n1, &n2] {
        assert!(
            n.raw.contains("\r\nMessage-ID: <loket.1."),
            "one pair of brackets:\n{}",
            n.raw
        );
        // The capability lives in the header only: nothing quoted from the body
        // grants anything.
        assert!(
            !n.text.contains("loket.1.") && !n.text.contains("mailto:"),
            "no capability in the visible text:\n{}",
            n.text
        );
        assert!(
            n.text.starts_with("##- Tulis balasan di atas baris ini"),
            "{}",
            n.text
        );
    }

    // Step 4: CSO1 asks for documents by replying to its notification.
    let r = reply(
        rig.cso1(),
        &n1,
        "c1@cso.test",
        &[],
        "#dokumen\nMohon kirimkan:\n1. Salinan SPM\n2. Salinan SP2D",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 5));
    let request = nth(rig, st, 2);
    assert!(request.text.contains("1. Salinan SPM"), "{}", request.text);
    assert!(!request.text.contains("#dokumen"), "{}", request.text);
    assert_eq!(
        request.in_reply_to.as_deref(),
        Some(bare(&format!(
            "ask{}@satker.example.test",
            wita(3, 17, 10, 0).timestamp()
        )))
    );
    assert_eq!(w.ticket(1).status, Status::AwaitingDocuments);
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(rig.cso1().address.as_str())
    );
    assert_eq!(w.ticket(1).first_response_at, Some(wita(3, 17, 10, 5)));

    // The stakeholder sends the documents; CSO1 gets them forwarded.
    let docs = reply_with_attachment(
        st,
        &request,
        "d1@satker.example.test",
        "Terlampir dokumennya.",
        "SPM-0042.pdf",
    );
    w.deliver_and_run(st, &docs, wita(3, 17, 10, 30));
    assert_eq!(w.ticket(1).status, Status::InProgress);
    let fwd = nth(rig, rig.cso1(), 2);
    assert!(fwd.text.contains("Dokumen pendukung"), "{}", fwd.text);
    assert!(fwd.raw.contains("SPM-0042.pdf"), "attachment forwarded");
    assert!(fwd.text.contains("Terlampir dokumennya."), "{}", fwd.text);

    // Step 6a: CSO1 escalates to the section head, replying to the forwarded mail.
    let r = reply(
        rig.cso1(),
        &fwd,
        "c2@cso.test",
        &[],
        "#eskalasi pd\nMohon konfirmasi status SP2D ini.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 11, 0));
    let t = w.ticket(1);
    assert_eq!(t.status, Status::Escalated);
    assert_eq!(t.escalation_due_at, Some(wita(3, 27, 16, 0)));
    let told = nth(rig, st, 3);
    assert!(told.text.contains("Seksi Pencairan Dana"), "{}", told.text);
    assert!(told.text.contains(DEADLINE_TEXT), "{}", told.text);
    let head = nth(rig, rig.kasi(), 1);
    assert!(
        head.text.contains("SP2D kami belum masuk"),
        "thread:\n{}",
        head.text
    );
    assert!(
        head.text.contains("Terlampir dokumennya."),
        "thread:\n{}",
        head.text
    );
    assert!(
        head.raw.contains("SPM-0042.pdf"),
        "the section head gets the stakeholder's documents"
    );
    assert!(
        head.text.contains("Mohon konfirmasi status SP2D"),
        "{}",
        head.text
    );

    // Progress: one per working day at/after 09:00, none on days off, none twice.
    let progress = |w: &World| {
        w.kinds_to(&st.address)
            .iter()
            .filter(|k| *k == "progress")
            .count()
    };
    let ticks = [
        (wita(3, 17, 15, 0), 0), // escalation day: the escalation mail was today's news
        (wita(3, 18, 10, 0), 0), // cuti bersama
        (wita(3, 19, 10, 0), 0), // Idulfitri
        (wita(3, 20, 10, 0), 0), // cuti bersama
        (wita(3, 21, 10, 0), 0), // Saturday, Idulfitri
        (wita(3, 22, 10, 0), 0), // Sunday
        (wita(3, 23, 10, 0), 0), // cuti bersama
        (wita(3, 24, 10, 0), 0), // cuti bersama
        (wita(3, 25, 8, 59), 0), // before the progress time
        (wita(3, 25, 9, 0), 1),
        (wita(3, 25, 14, 0), 1), // same day again
        (wita(3, 26, 9, 30), 2),
        (wita(3, 26, 9, 31), 2),
        (wita(3, 27, 9, 0), 3),
    ];
    for (at, expected) in ticks {
        once_at(&w.desk, at);
        assert_eq!(
            progress(&w),
            expected,
            "progress replies after the tick at {at}"
        );
    }
    let p = nth(rig, st, 6);
    assert!(p.text.contains("Kabar perkembangan tiket #1"), "{}", p.text);
    assert!(p.text.contains(DEADLINE_TEXT), "{}", p.text);

    // The section head resolves from the escalation notification.
    let r = reply(
        rig.kasi(),
        &head,
        "k1@kasi.test",
        &[],
        "#selesai\nSP2D telah terbit tanggal 27 Maret dan dana masuk hari ini.",
    );
    w.deliver_and_run(rig.kasi(), &r, wita(3, 27, 10, 0));
    let answer = nth(rig, st, 7);
    assert!(answer.text.contains("SP2D telah terbit"), "{}", answer.text);
    assert!(
        answer
            .text
            .contains("Status penyelesaian layanan: Resolved"),
        "{}",
        answer.text
    );
    assert!(answer.text.contains("4 = sangat baik"), "{}", answer.text);
    assert_eq!(w.ticket(1).status, Status::Resolved);

    // The stakeholder rates it 4.
    let r = reply(
        st,
        &answer,
        "rate@satker.example.test",
        &[],
        "4 terima kasih",
    );
    w.deliver_and_run(st, &r, wita(3, 27, 11, 0));
    assert_eq!(
        w.ticket(1).status,
        Status::Resolved,
        "a rating does not reopen"
    );
    let (score, comment): (i64, String) = w
        .store()
        .conn()
        .query_row(
            "SELECT score, comment FROM ratings WHERE ticket_id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((score, comment.as_str()), (4, "terima kasih"));

    // The report, through the library and through the CLI.
    let report =
        loketd::store::report::build(w.store().conn(), None, None, wita(3, 27, 12, 0)).unwrap();
    assert_eq!(report.tickets, 1);
    assert_eq!(
        report.by_status.get("resolved").and_then(|s| s.get("KONS")),
        Some(&1)
    );
    let ikm = report.ikm.as_ref().expect("IKM with one rating");
    assert_eq!((ikm.value, ikm.grade), (100.0, 'A'));
    assert_eq!(
        (report.answered_in_time, report.completion_measured),
        (1, 1)
    );
    assert_eq!(
        (report.escalations_in_time, report.escalations_measured),
        (1, 1)
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(w.site.root())
        .args(["report", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tickets"], 1);
    assert_eq!(json["by_status"]["resolved"]["KONS"], 1);
    assert_eq!(json["ikm"]["value"], 100.0);
    assert_eq!(json["ikm"]["grade"], "A");
}
