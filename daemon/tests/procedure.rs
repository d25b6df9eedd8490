//! Issue 4: the staff side of the published consultation procedure, carried out by mail
//! on a real Dovecot + Postfix rig with a clock the test moves.

mod support;

use chrono::{DateTime, Utc};
use support::desk::{
    self, TestSite, Transport, count, inbox, mail, mail_with, office_has, once_at, read, wita,
};
use support::rig::{Account, Rig};

use loketd::desk::Desk;
use loketd::rules::ticket::Status;
use loketd::store::Store;
use loketd::store::tickets::{self, Ticket};

const OFFICE: &str = "layanan@kppn-tanjungselor.example";
const DEADLINE_TEXT: &str = "Jumat, 27 Maret 2026 pukul 16.00 WITA";

// ----- helpers -------------------------------------------------------------------------

struct World {
    rig: Rig,
    site: TestSite,
    desk: Desk,
}

fn world() -> World {
    world_with(|t| t)
}

fn world_with(edit: impl Fn(String) -> String) -> World {
    let rig = Rig::start();
    let site = desk::site(&rig, Transport::Plain, edit);
    let desk = desk::desk(&site);
    World { rig, site, desk }
}

impl World {
    fn store(&self) -> Store {
        Store::open(&self.desk.config.mail.data_dir).unwrap()
    }

    fn ticket(&self, id: i64) -> Ticket {
        tickets::get(self.store().conn(), id).unwrap()
    }

    /// Sends `raw` as `from`, waits for it in the office INBOX, runs one pass at `now`.
    fn deliver_and_run(&self, from: &Account, raw: &[u8], now: DateTime<Utc>) {
        self.rig.send(from, raw);
        office_has(&self.rig, 1);
        let r = once_at(&self.desk, now);
        assert_eq!(r.fetched, 1, "one mail per step: {r:?}");
    }

    /// Outbox rows addressed to `who`, oldest first: (kind, raw).
    fn outbox_to(&self, who: &str) -> Vec<(String, String)> {
        let store = self.store();
        let mut stmt = store
            .conn()
            .prepare("SELECT kind, raw FROM outbox WHERE recipients = ?1 ORDER BY id")
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

    fn kinds_to(&self, who: &str) -> Vec<String> {
        self.outbox_to(who).into_iter().map(|(k, _)| k).collect()
    }

    fn outbox_rows(&self) -> i64 {
        count(&self.store(), "SELECT COUNT(*) FROM outbox")
    }

    /// The stakeholder asks a question at `now`; returns the acknowledgement and CSO1's
    /// notification.
    fn ask(&self, now: DateTime<Utc>, body: &str) -> (desk::Received, desk::Received) {
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

fn last(v: &[desk::Received]) -> desk::Received {
    let m = v.last().expect("at least one mail");
    read(m.raw.as_bytes())
}

fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// A reply to `to` (a mail the daemon sent), with In-Reply-To/References pointing at it,
/// written as a mail client writes it.
fn reply(from: &Account, to: &desk::Received, id: &str, extra: &[&str], body: &str) -> Vec<u8> {
    let parent = bare(&to.message_id);
    let mut headers = vec![
        format!("In-Reply-To: <{parent}>"),
        format!("References: <{parent}>"),
    ];
    headers.extend(extra.iter().map(|s| s.to_string()));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    mail_with(
        from,
        OFFICE,
        &format!("Re: {}", to.subject),
        id,
        &headers,
        body,
    )
}

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

/// Waits until `who` has `n` mails and returns the newest.
fn nth(rig: &Rig, who: &Account, n: usize) -> desk::Received {
    let all = inbox(rig, who, n);
    assert_eq!(all.len(), n, "{} has more mail than expected", who.address);
    last(&all)
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
        assert!(
            n.text.contains("in-reply-to=%3Cloket.1."),
            "mailto links carry the capability:\n{}",
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

// ----- 2. each command on its own ----------------------------------------------------

#[test]
fn plain_reply_is_relayed_and_meets_the_clock() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Bagaimana cara revisi DIPA?");
    assert_eq!(w.ticket(1).due_at, Some(wita(3, 17, 10, 20)));
    let r = reply(
        rig.cso1(),
        &n1,
        "a@cso.test",
        &[],
        "Revisi DIPA diajukan melalui aplikasi SAKTI.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 12));
    let a = nth(rig, rig.stakeholder(), 2);
    assert!(
        a.text
            .contains("Revisi DIPA diajukan melalui aplikasi SAKTI."),
        "{}",
        a.text
    );
    assert!(a.text.contains("Petugas CSO 1"), "{}", a.text);
    assert!(a.subject.starts_with("[KPPN-TSL #1]"), "{}", a.subject);
    let t = w.ticket(1);
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.first_response_at, Some(wita(3, 17, 10, 12)));
    assert_eq!(t.assignee.as_deref(), Some(rig.cso1().address.as_str()));
    // A second answer does not move the first-response time.
    let r = reply(
        rig.cso1(),
        &n1,
        "b@cso.test",
        &[],
        "Tambahan: lampirkan ADK revisi.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 40));
    nth(rig, rig.stakeholder(), 3);
    assert_eq!(w.ticket(1).first_response_at, Some(wita(3, 17, 10, 12)));
}

#[test]
fn progres_goes_to_the_stakeholder() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        rig.cso1(),
        &n1,
        "p@cso.test",
        &[],
        "#progres\nSPM Anda sedang diverifikasi.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 10));
    let p = nth(rig, rig.stakeholder(), 2);
    assert!(p.text.contains("Kabar perkembangan tiket #1"), "{}", p.text);
    assert!(
        p.text.contains("SPM Anda sedang diverifikasi."),
        "{}",
        p.text
    );
    assert_eq!(w.ticket(1).status, Status::InProgress);
}

#[test]
fn catatan_reaches_other_staff_never_the_stakeholder() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        rig.cso1(),
        &n1,
        "n@cso.test",
        &[],
        "#catatan\nPemohon ini sudah bertanya lewat telepon kemarin.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 10));
    let note = nth(rig, rig.cso2(), 2);
    assert!(note.text.contains("Catatan internal dari"), "{}", note.text);
    assert!(
        note.text.contains("sudah bertanya lewat telepon"),
        "{}",
        note.text
    );
    assert_eq!(w.kinds_to(&rig.stakeholder().address), vec!["ack"]);
    assert_eq!(
        w.kinds_to(&rig.cso1().address),
        vec!["notify"],
        "the author is not sent its own note"
    );
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(
        w.ticket(1).first_response_at,
        None,
        "a note does not answer the stakeholder"
    );
}

#[test]
fn ambil_and_alihkan_change_the_owner_only() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let n2 = nth(rig, rig.cso2(), 1);
    let r = reply(rig.cso2(), &n2, "t@cso.test", &[], "#ambil");
    w.deliver_and_run(rig.cso2(), &r, wita(3, 17, 10, 5));
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(rig.cso2().address.as_str())
    );

    let r = reply(
        rig.cso1(),
        &n1,
        "as@cso.test",
        &[],
        "#alihkan cso1@kppn-tanjungselor.example\nSaya yang pegang, saya kenal satkernya.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 6));
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(rig.cso1().address.as_str())
    );

    let r = reply(
        rig.cso1(),
        &n1,
        "as2@cso.test",
        &[],
        "#alihkan cso2@kppn-tanjungselor.example\nMohon dibantu, saya cuti besok.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 7));
    assert_eq!(
        w.ticket(1).assignee.as_deref(),
        Some(rig.cso2().address.as_str())
    );
    let handed = nth(rig, rig.cso2(), 2);
    assert!(
        handed.text.contains("dialihkan kepada Anda"),
        "{}",
        handed.text
    );
    assert!(handed.text.contains("saya cuti besok"), "{}", handed.text);
    assert!(
        handed.text.contains("Kapan SP2D terbit?"),
        "the new owner sees the question:\n{}",
        handed.text
    );
    // Ownership changes say nothing to the stakeholder, and answer nothing.
    assert_eq!(w.kinds_to(&rig.stakeholder().address), vec!["ack"]);
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.ticket(1).first_response_at, None);
    // The new owner can act from the hand-over mail.
    let r = reply(
        rig.cso2(),
        &handed,
        "ans@cso.test",
        &[],
        "SP2D terbit besok pagi.",
    );
    w.deliver_and_run(rig.cso2(), &r, wita(3, 17, 10, 9));
    let a = nth(rig, rig.stakeholder(), 2);
    assert!(a.text.contains("SP2D terbit besok pagi."), "{}", a.text);
}

#[test]
fn tutup_closes_without_a_word_to_the_stakeholder() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Promo pinjaman online bunga rendah!!!");
    let r = reply(rig.cso1(), &n1, "x@cso.test", &[], "#tutup\nspam");
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 3));
    let t = w.ticket(1);
    assert_eq!(t.status, Status::Closed);
    assert_eq!(t.closed_at, Some(wita(3, 17, 10, 3)));
    assert_eq!(w.kinds_to(&rig.stakeholder().address), vec!["ack"]);
    // The completion clock of a closed ticket raises no alert.
    once_at(&w.desk, wita(3, 17, 15, 0));
    assert_eq!(w.kinds_to(&rig.cso1().address), vec!["notify"]);
}

#[test]
fn english_aliases_work() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        rig.cso1(),
        &n1,
        "e1@cso.test",
        &[],
        "#take\n#documents\nPlease send: SPM copy",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 2));
    assert_eq!(w.ticket(1).status, Status::AwaitingDocuments);
    nth(rig, rig.stakeholder(), 2);
    let r = reply(
        rig.cso1(),
        &n1,
        "e2@cso.test",
        &[],
        "#Escalate PD\nNeeds the section head.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 3));
    assert_eq!(w.ticket(1).status, Status::Escalated);
    let head = nth(rig, rig.kasi(), 1);
    let r = reply(
        rig.kasi(),
        &head,
        "e3@kasi.test",
        &[],
        "#note\nI will call the satker.",
    );
    w.deliver_and_run(rig.kasi(), &r, wita(3, 17, 10, 4));
    assert!(
        nth(rig, rig.cso1(), 2)
            .text
            .contains("I will call the satker.")
    );
    let r = reply(
        rig.kasi(),
        &head,
        "e4@kasi.test",
        &[],
        "#progress\nStill checking with the bank.",
    );
    w.deliver_and_run(rig.kasi(), &r, wita(3, 17, 10, 5));
    assert!(
        nth(rig, rig.stakeholder(), 4)
            .text
            .contains("Still checking with the bank.")
    );
    let r = reply(
        rig.kasi(),
        &head,
        "e5@kasi.test",
        &[],
        "#resolve\nFunds arrived.",
    );
    w.deliver_and_run(rig.kasi(), &r, wita(3, 17, 10, 6));
    assert_eq!(w.ticket(1).status, Status::Resolved);
    assert!(
        nth(rig, rig.stakeholder(), 5)
            .text
            .contains("Funds arrived.")
    );
    let r = reply(rig.kasi(), &head, "e6@kasi.test", &[], "#close");
    w.deliver_and_run(rig.kasi(), &r, wita(3, 17, 10, 7));
    assert_eq!(w.ticket(1).status, Status::Closed);
}

// ----- 3. trust ------------------------------------------------------------------------

#[test]
fn replies_without_the_capability_are_never_executed() {
    let w = world();
    let rig = &w.rig;
    let (ack, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let st = &rig.stakeholder().address;

    // A fresh mail from cso1's address with the tag in the subject.
    let forged = mail(
        rig.cso1(),
        OFFICE,
        &format!("Re: {}", ack.subject),
        "f1@evil.test",
        "#selesai\nSudah selesai, tidak perlu ditanya lagi.",
    );
    w.deliver_and_run(rig.cso1(), &forged, wita(3, 17, 10, 1));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.kinds_to(st), vec!["ack"]);
    let warn = nth(rig, rig.cso1(), 2);
    assert!(
        warn.text.contains("diverifikasi dan tidak dijalankan"),
        "{}",
        warn.text
    );
    let kind: String = w
        .store()
        .conn()
        .query_row(
            "SELECT kind FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "unverified");

    // A non-staff address answering a notification.
    let stray = reply(
        rig.stakeholder2(),
        &n1,
        "s2@cv-maju.example.test",
        &[],
        "#selesai\nSaya tutup saja.",
    );
    w.deliver_and_run(rig.stakeholder2(), &stray, wita(3, 17, 10, 2));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.kinds_to(st), vec!["ack"]);
    assert!(
        w.kinds_to(&rig.stakeholder2().address).is_empty(),
        "no answer to a stray mail"
    );
    let kind: String = w
        .store()
        .conn()
        .query_row(
            "SELECT kind FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "stray");

    // CSO2 answering CSO1's notification: the capability is per staff member.
    let cross = reply(rig.cso2(), &n1, "c2@cso.test", &[], "#tutup");
    w.deliver_and_run(rig.cso2(), &cross, wita(3, 17, 10, 3));
    assert_eq!(w.ticket(1).status, Status::New);
    let kinds = w.kinds_to(&rig.cso2().address);
    assert_eq!(
        kinds,
        vec!["notify", "unverified"],
        "cso2 is told, nothing executed"
    );

    // A vacation auto-reply from cso1 to its notification.
    let vacation = reply(
        rig.cso1(),
        &n1,
        "v@cso.test",
        &["Auto-Submitted: auto-replied"],
        "#tutup\nSaya sedang cuti sampai 30 Maret.",
    );
    w.deliver_and_run(rig.cso1(), &vacation, wita(3, 17, 10, 4));
    assert_eq!(w.ticket(1).status, Status::New);
    assert_eq!(w.kinds_to(st), vec!["ack"]);
    assert_eq!(
        w.kinds_to(&rig.cso1().address),
        vec!["notify", "unverified"],
        "an auto-reply gets no answer"
    );
    let kind: String = w
        .store()
        .conn()
        .query_row(
            "SELECT kind FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "automatic");
}

// ----- 4. mistakes -----------------------------------------------------------------------

#[test]
fn unknown_command_or_section_answers_the_staff_member_only() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(
        rig.cso1(),
        &n1,
        "h@cso.test",
        &[],
        "#hapus\nTiket ini dobel.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 1));
    let err = nth(rig, rig.cso1(), 2);
    assert!(err.text.contains("`#hapus`"), "{}", err.text);
    assert!(err.text.contains("tidak ada yang dikirim"), "{}", err.text);
    assert!(
        err.text.contains("#eskalasi <kode seksi>"),
        "cheat sheet:\n{}",
        err.text
    );
    assert_eq!(w.ticket(1).status, Status::New);

    let r = reply(
        rig.cso1(),
        &n1,
        "x@cso.test",
        &[],
        "#eskalasi xyz\nMohon bantuan.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 2));
    let err = nth(rig, rig.cso1(), 3);
    assert!(err.text.contains("`xyz`"), "{}", err.text);
    assert!(err.text.contains("pd, mska, vera"), "{}", err.text);
    assert!(err.text.contains("#selesai"), "cheat sheet:\n{}", err.text);
    // The error mail is itself a capability: replying to it with a fix works.
    let r = reply(
        rig.cso1(),
        &err,
        "x2@cso.test",
        &[],
        "#eskalasi pd\nMohon bantuan.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 3));
    assert_eq!(w.ticket(1).status, Status::Escalated);

    assert_eq!(
        w.kinds_to(&rig.stakeholder().address),
        vec!["ack", "escalated"]
    );
}

// ----- 5. quote stripping on real client shapes --------------------------------------

#[test]
fn stakeholder_gets_only_the_new_text_of_a_staff_reply() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let quoted: String = n1.text.lines().map(|l| format!("> {l}\n")).collect();
    let gmail = format!(
        "Jawaban Gmail: SP2D terbit hari ini.\n\nOn Tue, Mar 17, 2026 at 10:01 AM Layanan KPPN <{OFFICE}>\nwrote:\n\n{quoted}"
    );
    let outlook = format!(
        "Jawaban Outlook: dana masuk besok.\n\nSalam,\nCSO 1\n\n________________________________\nDari: Layanan KPPN <{OFFICE}>\nDikirim: Selasa, 17 Maret 2026 10.01\nKepada: cso1@kppn-tanjungselor.example\nSubjek: {}\n\n{}",
        n1.subject, n1.text
    );
    let thunderbird = format!(
        "Jawaban Thunderbird: silakan cek rekening.\n\n-- \nPetugas CSO 1\nKPPN Tanjung Selor\n\nPada 17/03/2026 10.01, Layanan KPPN menulis:\n{quoted}"
    );
    let apple = format!(
        "Jawaban iPhone: sudah kami teruskan.\n\nDikirim dari iPhone saya\n\n> Pada 17 Mar 2026, pukul 10.01, Layanan KPPN <{OFFICE}> menulis:\n>\n{quoted}"
    );
    for (i, body) in [gmail, outlook, thunderbird, apple].iter().enumerate() {
        let r = reply(rig.cso1(), &n1, &format!("q{i}@cso.test"), &[], body);
        w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 5 + i as u32));
        let got = nth(rig, rig.stakeholder(), 2 + i);
        let first = body.lines().next().unwrap();
        assert!(got.text.contains(first), "{}", got.text);
        for leak in [
            "Tiket baru #1",
            "Perintah (tulis",
            "mailto:",
            "Kapan SP2D terbit?",
            "Dikirim dari",
            "Dari:",
            "-- ",
        ] {
            assert!(
                !got.text.contains(leak),
                "client {i}: `{leak}` leaked:\n{}",
                got.text
            );
        }
    }
}

// ----- 6. clocks -------------------------------------------------------------------------

#[test]
fn friday_night_mail_is_due_monday_0820_and_cso_alert_goes_once() {
    let w = world();
    let rig = &w.rig;
    let (ack, _) = w.ask(wita(3, 6, 22, 0), "Pertanyaan Jumat malam.");
    assert_eq!(w.ticket(1).due_at, Some(wita(3, 9, 8, 20)));
    assert!(
        ack.text.contains("Senin, 9 Maret 2026 pukul 08.20 WITA"),
        "{}",
        ack.text
    );

    once_at(&w.desk, wita(3, 9, 8, 19));
    assert_eq!(w.kinds_to(&rig.cso1().address), vec!["notify"]);
    once_at(&w.desk, wita(3, 9, 8, 20));
    once_at(&w.desk, wita(3, 9, 9, 0));
    once_at(&w.desk, wita(3, 10, 9, 0));
    for cso in [rig.cso1(), rig.cso2()] {
        assert_eq!(
            w.kinds_to(&cso.address),
            vec!["notify", "reminder"],
            "{}",
            cso.address
        );
        let alert = nth(rig, cso, 2);
        assert!(alert.text.contains("belum dijawab"), "{}", alert.text);
    }
}

#[test]
fn escalation_reminders_and_breach_alert_go_once_each() {
    let w = world();
    let rig = &w.rig;
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(rig.cso1(), &n1, "esc@cso.test", &[], "#eskalasi pd");
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 10));
    assert_eq!(w.ticket(1).escalation_due_at, Some(wita(3, 27, 16, 0)));

    let reminders = |w: &World, who: &Account| -> Vec<String> {
        w.outbox_to(&who.address)
            .into_iter()
            .filter(|(k, _)| k == "reminder")
            .map(|(_, raw)| read(raw.as_bytes()).text)
            .collect()
    };
    for day in 17..=31 {
        for (h, m) in [(8, 0), (9, 0), (12, 0), (16, 0), (16, 1)] {
            once_at(&w.desk, wita(3, day, h, m));
        }
        let kasi = reminders(&w, rig.kasi());
        match day {
            17..=25 => assert!(kasi.is_empty(), "day {day}: {kasi:?}"),
            26 => assert_eq!(kasi.len(), 1, "half-way on Thursday 26th"),
            _ => assert_eq!(kasi.len(), 2, "day {day}: half-way and due day"),
        }
        let kepala = reminders(&w, rig.kepala());
        assert_eq!(
            kepala.len(),
            usize::from(day >= 27),
            "day {day}: breach alert"
        );
    }
    let kasi = reminders(&w, rig.kasi());
    assert!(kasi[0].contains("separuh waktu"), "{}", kasi[0]);
    assert!(kasi[1].contains("hari ini batas waktu"), "{}", kasi[1]);
    assert_eq!(
        reminders(&w, rig.cso1()).len(),
        2,
        "the assignee is reminded too"
    );
    let breach = &reminders(&w, rig.kepala())[0];
    assert!(breach.contains("melewati batas waktu"), "{breach}");
    assert!(breach.contains(DEADLINE_TEXT), "{breach}");
    assert!(
        rig.wait_for_messages(rig.kepala(), "INBOX", 1, desk::WAIT)
            .len()
            == 1
    );
}

#[test]
fn resolved_ticket_reopens_then_auto_closes_and_a_late_reply_opens_a_new_one() {
    let w = world();
    let rig = &w.rig;
    let st = rig.stakeholder();
    let (_, n1) = w.ask(wita(3, 2, 10, 0), "Bagaimana cara revisi DIPA?");
    let r = reply(
        rig.cso1(),
        &n1,
        "r1@cso.test",
        &[],
        "#selesai\nMelalui SAKTI.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 2, 10, 5));
    let answer = nth(rig, st, 2);

    // Within the reopen period: back to in_progress, the assignee is told.
    let again = reply(
        st,
        &answer,
        "again@satker.example.test",
        &[],
        "Menu SAKTI yang mana ya?",
    );
    w.deliver_and_run(st, &again, wita(3, 3, 9, 0));
    assert_eq!(w.ticket(1).status, Status::InProgress);
    let told = nth(rig, rig.cso1(), 2);
    assert!(told.text.contains("dibuka kembali"), "{}", told.text);
    assert!(told.text.contains("Menu SAKTI yang mana"), "{}", told.text);

    let r = reply(
        rig.cso1(),
        &told,
        "r2@cso.test",
        &[],
        "#selesai\nMenu Revisi Anggaran.",
    );
    w.deliver_and_run(rig.cso1(), &r, wita(3, 3, 9, 30));
    let answer2 = nth(rig, st, 3);
    assert_eq!(w.ticket(1).status, Status::Resolved);

    // Quiet period (5 days) then closed, with nothing sent.
    let before = w.outbox_rows();
    once_at(&w.desk, wita(3, 8, 9, 29));
    assert_eq!(w.ticket(1).status, Status::Resolved);
    once_at(&w.desk, wita(3, 8, 9, 30));
    assert_eq!(w.ticket(1).status, Status::Closed);
    assert_eq!(w.outbox_rows(), before);

    // A reply after closing opens a new ticket that refers to the old one.
    let late = reply(
        st,
        &answer2,
        "late@satker.example.test",
        &[],
        "Pertanyaan lain: SPM gaji susulan?",
    );
    w.deliver_and_run(st, &late, wita(3, 10, 9, 0));
    assert_eq!(w.ticket(1).status, Status::Closed);
    let t2 = w.ticket(2);
    assert_eq!(t2.previous_ticket, Some(1));
    assert_eq!(t2.status, Status::New);
    let ack2 = nth(rig, st, 4);
    assert!(
        ack2.subject.starts_with("[KPPN-TSL #2]"),
        "{}",
        ack2.subject
    );
    assert!(
        ack2.text.contains("Lanjutan dari tiket #1"),
        "{}",
        ack2.text
    );
}

// ----- 7. restart --------------------------------------------------------------------------

#[test]
fn no_scheduled_mail_is_sent_twice_across_a_restart() {
    let w = world();
    let rig = &w.rig;
    // Ticket 1: escalated (progress, reminders, breach). Ticket 2: unanswered (CSO alert).
    // Ticket 3: awaiting documents (document reminder).
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Pertanyaan satu.");
    let r = reply(rig.cso1(), &n1, "r1@cso.test", &[], "#eskalasi pd");
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 1));
    w.ask(wita(3, 17, 10, 2), "Pertanyaan dua.");
    let (_, n3) = w.ask(wita(3, 17, 10, 3), "Pertanyaan tiga.");
    let r = reply(rig.cso1(), &n3, "r3@cso.test", &[], "#dokumen\nSalinan SPM");
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 4));

    let at = wita(3, 27, 16, 30);
    once_at(&w.desk, at);
    let rows = w.outbox_rows();
    let kinds: Vec<String> = {
        let store = w.store();
        let mut stmt = store
            .conn()
            .prepare("SELECT kind FROM outbox ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for kind in ["progress", "reminder", "documents_reminder"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} was scheduled: {kinds:?}"
        );
    }

    // Drop everything, load again from disk, tick at the same moment.
    let World { rig, site, desk } = w;
    drop(desk);
    let desk = desk::desk(&site);
    let mut store = Store::open(&desk.config.mail.data_dir).unwrap();
    loketd::workflow::scheduler::tick(&mut store, &desk, at).unwrap();
    drop(store);
    once_at(&desk, at);
    let w = World { rig, site, desk };
    assert_eq!(w.outbox_rows(), rows, "a restart sends nothing twice");
}

#[test]
fn staff_progress_replaces_that_days_scheduled_progress() {
    let w = world();
    let rig = &w.rig;
    let st = rig.stakeholder().address.clone();
    let (_, n1) = w.ask(wita(3, 17, 10, 0), "Kapan SP2D terbit?");
    let r = reply(rig.cso1(), &n1, "esc@cso.test", &[], "#eskalasi pd");
    w.deliver_and_run(rig.cso1(), &r, wita(3, 17, 10, 10));
    let head = nth(rig, rig.kasi(), 1);
    let r = reply(
        rig.kasi(),
        &head,
        "kp@kasi.test",
        &[],
        "#progres\nKami sedang menghubungi bank.",
    );
    w.deliver_and_run(rig.kasi(), &r, wita(3, 25, 8, 30));
    once_at(&w.desk, wita(3, 25, 9, 0));
    once_at(&w.desk, wita(3, 25, 15, 0));
    let progress = |w: &World| {
        w.outbox_to(&st)
            .into_iter()
            .filter(|(k, _)| k == "progress")
            .map(|(_, raw)| read(raw.as_bytes()).text)
            .collect::<Vec<_>>()
    };
    let p = progress(&w);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("menghubungi bank"), "{}", p[0]);
    once_at(&w.desk, wita(3, 26, 9, 0));
    assert_eq!(progress(&w).len(), 2);
}
