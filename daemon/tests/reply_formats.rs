//! Replies as people write them, on the workflow harness: for every mail client format
//! (support/clients.rs) in English and Indonesian, a staff member answers the
//! notification the daemon sent, and a stakeholder writes back to the acknowledgement.
//!
//! The guarantees under test (issue 9, items 1 and 3):
//! - a top-posted staff answer reaches the stakeholder with exactly the new text, and
//!   nothing of the internal notification: none of its lines, no capability id, no
//!   `mailto:` link, no command cheat sheet;
//! - a command on the first line still works (`#dokumen` asks for documents);
//! - an answer written below or inside the quote is held: nothing goes to the
//!   stakeholder and its author is told (a `held` mail);
//! - whatever a stakeholder writes (an inline forward, a letter header block, a
//!   signature with a phone number) reaches the staff; only the quoted acknowledgement
//!   is cut.
//!
//! Each guarantee runs over the whole client table and reports every failing client at
//! once, with a summary table (client → clean/held) on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use support::clients::{Author, Client, Lang, Placement, reply_as};
use support::desk::{Received, mail, wita};
use support::harness::{Harness, OFFICE};

use loketd::rules::ticket::Status;

// ----- the table -------------------------------------------------------------------------

const BOTH: &[Lang] = &[Lang::En, Lang::Id];
const EN: &[Lang] = &[Lang::En];

/// Every client format and the languages it writes attributions in. Adding a client is
/// one line here (and its shape in support/clients.rs).
const CLIENTS: &[(Client, &[Lang])] = &[
    (Client::GmailWeb, BOTH),
    (Client::GmailAndroid, BOTH),
    (Client::OutlookDesktop, BOTH),
    (Client::OutlookOriginalMessage, BOTH),
    (Client::OutlookWeb, BOTH),
    (Client::OutlookMobile, BOTH),
    (Client::Thunderbird, BOTH),
    (Client::AppleMail, BOTH),
    (Client::Ios, BOTH),
    (Client::Yahoo, BOTH),
    (Client::Roundcube, BOTH),
    (Client::Zimbra, BOTH),
    (Client::K9, BOTH),
    (Client::Mutt, EN),
    (Client::SNail, EN),
    (Client::GmailHtml, BOTH),
    (Client::OutlookWebHtml, BOTH),
];

#[test]
fn the_table_covers_every_client_format() {
    for c in Client::ALL {
        let row = CLIENTS.iter().find(|(k, _)| *k == c);
        assert!(row.is_some(), "{} is not in the table", c.name());
        assert_eq!(row.unwrap().1, c.languages(), "{}", c.name());
    }
}

fn cases() -> impl Iterator<Item = (Client, Lang)> {
    CLIENTS
        .iter()
        .flat_map(|(c, langs)| langs.iter().map(move |l| (*c, *l)))
}

fn label(c: Client, l: Lang) -> String {
    format!("{} ({})", c.name(), l.code())
}

// ----- the people and their words --------------------------------------------------------

const QUESTION: &str = "Selamat pagi,\n\nMohon informasi, SP2D gaji bulan November untuk satker kami \
belum masuk ke rekening penerima. Nomor SPM 00123/2026.\n\nSalam,\nBudi Santoso\n\
Bendahara Pengeluaran Satker Contoh\nHP 0812-3456-7890";

fn answer(l: Lang) -> &'static str {
    match l {
        Lang::Id => {
            "SP2D nomor 261234567890 sudah terbit tanggal 30 November 2026.\n\
             Dana masuk ke rekening penerima paling lambat besok siang."
        }
        Lang::En => {
            "Your SP2D 261234567890 was issued on 30 November 2026.\n\
             The funds reach the payees' accounts by tomorrow noon."
        }
    }
}

fn documents_request(l: Lang) -> &'static str {
    match l {
        Lang::Id => {
            "#dokumen\nMohon kirimkan pindaian SPM 00123/2026 yang sudah ditandatangani\n\
             dan surat keterangan rekening dari bank."
        }
        Lang::En => {
            "#documents\nMohon kirimkan pindaian SPM 00123/2026 yang sudah ditandatangani\n\
             dan surat keterangan rekening dari bank."
        }
    }
}

fn cso1_author(w: &Harness) -> (String, String) {
    ("Rina Wulandari".to_string(), w.cso1().address)
}

fn t0() -> DateTime<Utc> {
    wita(12, 1, 10, 0)
}

/// A fresh office where the stakeholder has asked; returns the acknowledgement and
/// CSO1's notification.
fn asked() -> (Harness, Received, Received) {
    let mut w = Harness::new();
    let raw = mail(
        &w.stakeholder(),
        OFFICE,
        "[KONS] SP2D gaji November belum masuk rekening",
        "ask-1@satker.example.test",
        QUESTION,
    );
    w.deliver(&raw, t0());
    let ack = w.nth(&w.stakeholder(), 1);
    let notification = w
        .sent_to(&w.cso1().address)
        .pop()
        .expect("CSO1 is notified")
        .mail;
    (w, ack, notification)
}

/// CSO1 answers `n` from `client` with `text` placed at `placement`.
fn cso1_replies(
    w: &mut Harness,
    n: &Received,
    client: Client,
    lang: Lang,
    text: &str,
    placement: Placement,
) {
    let (name, address) = cso1_author(w);
    let raw = reply_as(
        client,
        lang,
        &Author {
            name: &name,
            address: &address,
        },
        n,
        "reply-1@mail.kppn-tanjungselor.example",
        text,
        placement,
    );
    w.deliver(&raw, wita(12, 1, 10, 5));
}

/// What the stakeholder receives when CSO1 sends `text` with no quote at all, kind and
/// lines: a reply from any client must produce exactly this.
fn unquoted_outcome(text: &str) -> Vec<(String, Vec<String>)> {
    let (mut w, _, n) = asked();
    let raw = support::desk::reply(
        &w.cso1(),
        &n,
        "control@mail.kppn-tanjungselor.example",
        &[],
        text,
    );
    w.deliver(&raw, wita(12, 1, 10, 5));
    to_stakeholder_after_ack(&w)
}

fn to_stakeholder_after_ack(w: &Harness) -> Vec<(String, Vec<String>)> {
    w.sent_to(&w.stakeholder().address)
        .into_iter()
        .skip(1)
        .map(|s| (s.kind, all_lines(&s.mail.text)))
        .collect()
}

/// Differences between what the stakeholder got and what a reply without a quote gives.
fn differs_from(w: &Harness, want: &[(String, Vec<String>)]) -> Vec<String> {
    let got = to_stakeholder_after_ack(w);
    let mut out = Vec::new();
    let kinds = |v: &[(String, Vec<String>)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    if kinds(&got) != kinds(want) {
        out.push(format!(
            "mails {:?}, without a quote {:?}",
            kinds(&got),
            kinds(want)
        ));
        return out;
    }
    for ((kind, g), (_, w)) in got.iter().zip(want) {
        let extra: Vec<&String> = g.iter().filter(|l| !w.contains(l)).collect();
        let missing: Vec<&String> = w.iter().filter(|l| !g.contains(l)).collect();
        if !extra.is_empty() || !missing.is_empty() {
            out.push(format!(
                "[{kind}] not the text a reply without a quote gives: extra {extra:?}, missing {missing:?}"
            ));
        }
    }
    out
}

// ----- what counts as a leak ---------------------------------------------------------------

/// A line without its quote prefixes (`>`, `> >`, TAB, spaces) and with its whitespace
/// runs collapsed.
fn norm(line: &str) -> String {
    let t = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A whole text, quote prefixes removed from each line, whitespace (line breaks too)
/// collapsed: a line wrapped by a client is still found.
fn flat(text: &str) -> String {
    text.lines()
        .map(norm)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines of `text` long enough to identify it (≥ 15 non-space characters).
fn telling_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(norm)
        .filter(|l| l.chars().filter(|c| !c.is_whitespace()).count() >= 15)
        .collect()
}

/// What of the notification `n` is in the mails the stakeholder received; empty when
/// nothing leaked. Lines the acknowledgement itself carries (the subject line) are not
/// the notification's to leak.
fn leaks_to_stakeholder(w: &Harness, n: &Received, ack: &Received) -> Vec<String> {
    let ack_flat = flat(&ack.text);
    let capability = support::desk::bare(&n.message_id).to_string();
    let mut found = Vec::new();
    for sent in w.sent_to(&w.stakeholder().address) {
        let text = flat(&sent.mail.text);
        for line in telling_lines(&n.text) {
            if !ack_flat.contains(&line) && text.contains(&line) {
                found.push(format!("[{}] notification line: {line}", sent.kind));
            }
        }
        if sent.mail.raw.contains(&capability) {
            found.push(format!("[{}] the capability Message-ID", sent.kind));
        }
        for word in [
            "loket.",
            "mailto:",
            "#selesai",
            "#catatan",
            "#tutup",
            "#eskalasi",
            "#ambil",
            "#alihkan",
            "#progres",
            "#dokumen",
            "#documents",
        ] {
            if sent.mail.text.contains(word) {
                found.push(format!("[{}] `{word}`", sent.kind));
            }
        }
    }
    found
}

/// Every non-empty line of `text`, normalised.
fn all_lines(text: &str) -> Vec<String> {
    text.lines().map(norm).filter(|l| !l.is_empty()).collect()
}

/// A line of the attribution or header block a client writes above the office's mail.
fn is_quote_head(line: &str) -> bool {
    let lower = line.to_lowercase();
    line.contains(OFFICE)
        || line.contains("Kantor Pelayanan Perbendaharaan Negara")
        || lower.ends_with("wrote:")
        || lower.ends_with("menulis:")
        || lower.starts_with("subject: [kppn-tsl")
        || lower.starts_with("subjek: [kppn-tsl")
}

fn contains_text(haystack: &str, needle: &str) -> bool {
    flat(haystack).contains(&flat(needle))
}

// ----- the outcome of one staff reply ------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// The stakeholder received the new text and the author was not told of a hold.
    Relayed,
    /// Nothing went to the stakeholder and the author received a `held` mail.
    Held,
    /// Anything else (both, neither, or something else went out).
    Other,
}

impl Seen {
    fn word(self) -> &'static str {
        match self {
            Seen::Relayed => "clean",
            Seen::Held => "held",
            Seen::Other => "OTHER",
        }
    }
}

fn seen(w: &Harness, new_text_line: &str) -> Seen {
    let to_stakeholder = w.sent_to(&w.stakeholder().address);
    let relayed = to_stakeholder
        .iter()
        .skip(1)
        .any(|s| contains_text(&s.mail.text, new_text_line));
    let held = w.kinds_to(&w.cso1().address).iter().any(|k| k == "held");
    match (relayed, held, to_stakeholder.len()) {
        (true, false, _) => Seen::Relayed,
        (false, true, 1) => Seen::Held,
        _ => Seen::Other,
    }
}

/// Runs `case` for every client and language, collecting every failure, then prints
/// the summary table and fails with all of them.
fn over_the_table(title: &str, case: impl Fn(Client, Lang) -> (Seen, Vec<String>)) {
    let mut failures = Vec::new();
    let mut table = format!("\n{title}\n");
    for (c, l) in cases() {
        let (outcome, problems) = case(c, l);
        table.push_str(&format!(
            "  {:<34} {}{}\n",
            label(c, l),
            outcome.word(),
            if problems.is_empty() { "" } else { "  FAIL" }
        ));
        for p in problems {
            failures.push(format!("{}: {p}", label(c, l)));
        }
    }
    eprintln!("{table}");
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ----- 1. staff replies --------------------------------------------------------------------

#[test]
fn a_top_posted_answer_reaches_the_stakeholder_without_the_notification() {
    let want = |l: Lang| unquoted_outcome(answer(l));
    let (want_en, want_id) = (want(Lang::En), want(Lang::Id));
    over_the_table("top-posted answer → stakeholder", |c, l| {
        let (mut w, ack, n) = asked();
        cso1_replies(&mut w, &n, c, l, answer(l), Placement::Above);
        let mut problems = leaks_to_stakeholder(&w, &n, &ack);
        let outcome = seen(&w, answer(l));
        if outcome != Seen::Relayed {
            problems.push(format!(
                "the answer was not relayed ({}); stakeholder got {:?}, CSO1 got {:?}",
                outcome.word(),
                w.kinds_to(&w.stakeholder().address),
                w.kinds_to(&w.cso1().address)
            ));
        } else {
            let relayed = w.sent_to(&w.stakeholder().address);
            if !relayed
                .iter()
                .any(|s| contains_text(&s.mail.text, answer(l)))
            {
                problems.push("the answer text did not arrive whole".into());
            }
            let want = if l == Lang::En { &want_en } else { &want_id };
            problems.extend(differs_from(&w, want));
        }
        (outcome, problems)
    });
}

#[test]
fn a_command_first_line_works_from_every_client() {
    let want = |l: Lang| unquoted_outcome(documents_request(l));
    let (want_en, want_id) = (want(Lang::En), want(Lang::Id));
    over_the_table("#dokumen + text → documents requested", |c, l| {
        let (mut w, ack, n) = asked();
        let text = documents_request(l);
        cso1_replies(&mut w, &n, c, l, text, Placement::Above);
        let mut problems = leaks_to_stakeholder(&w, &n, &ack);
        let list: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
        let outcome = seen(&w, &list);
        if w.status(1) != Status::AwaitingDocuments {
            problems.push(format!(
                "status is {:?}, not awaiting documents",
                w.status(1)
            ));
        }
        if !w
            .kinds_to(&w.stakeholder().address)
            .contains(&"documents".to_string())
        {
            problems.push(format!(
                "no documents request went out: {:?}",
                w.kinds_to(&w.stakeholder().address)
            ));
        }
        if outcome != Seen::Relayed {
            problems.push(format!(
                "the request text was not relayed ({})",
                outcome.word()
            ));
        } else {
            let want = if l == Lang::En { &want_en } else { &want_id };
            problems.extend(differs_from(&w, want));
        }
        (outcome, problems)
    });
}

/// An answer below or inside the quote cannot be told apart from the notification
/// with confidence: nothing reaches the stakeholder, and the author is told, with what
/// they wrote (`shown`, a line of it).
fn held_case(
    c: Client,
    l: Lang,
    text: &str,
    placement: Placement,
    shown: &str,
) -> (Seen, Vec<String>) {
    let (mut w, ack, n) = asked();
    cso1_replies(&mut w, &n, c, l, text, placement);
    let mut problems = leaks_to_stakeholder(&w, &n, &ack);
    let outcome = seen(&w, text.lines().last().unwrap());
    if outcome != Seen::Held {
        let to_cso: Vec<String> = w
            .sent_to(&w.cso1().address)
            .into_iter()
            .skip(1)
            .map(|s| {
                format!(
                    "{}: {}",
                    s.kind,
                    flat(&s.mail.text).chars().take(160).collect::<String>()
                )
            })
            .collect();
        problems.push(format!(
            "not held ({}): stakeholder got {:?}, CSO1 got {to_cso:?}",
            outcome.word(),
            w.kinds_to(&w.stakeholder().address),
        ));
    } else {
        let held = w
            .sent_to(&w.cso1().address)
            .into_iter()
            .find(|s| s.kind == "held")
            .expect("held mail");
        if !contains_text(&held.mail.text, shown) {
            problems.push(format!(
                "the held mail does not show what was written ({shown}):\n{}",
                held.mail.text
            ));
        }
    }
    if w.ticket(1).first_response_at.is_some() {
        problems.push("a held reply counted as the first response".into());
    }
    (outcome, problems)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap()
}

#[test]
fn an_answer_below_the_quote_is_held_and_its_author_told() {
    over_the_table("answer below the quote → held", |c, l| {
        held_case(c, l, answer(l), Placement::Below, first_line(answer(l)))
    });
}

#[test]
fn an_answer_inside_the_quote_is_held_and_its_author_told() {
    over_the_table("answer inside the quote → held", |c, l| {
        held_case(c, l, answer(l), Placement::Inline, first_line(answer(l)))
    });
}

/// A line on top and the answer itself next to the question inside the quote.
fn point_by_point(l: Lang) -> String {
    let top = match l {
        Lang::Id => "Jawaban kami tulis di bawah, di sela pertanyaan Bapak.",
        Lang::En => "Please find my answers below, next to your question.",
    };
    format!("{top}\n\n{}", answer(l))
}

#[test]
fn an_answer_on_top_and_inside_the_quote_is_held_and_its_author_told() {
    over_the_table(
        "a line on top, the answer inside the quote → held",
        |c, l| {
            let text = point_by_point(l);
            held_case(c, l, &text, Placement::AboveAndInline, first_line(&text))
        },
    );
}

// ----- 3. stakeholder replies ----------------------------------------------------------------

/// What stakeholders write above the quoted acknowledgement. Some of it looks like
/// quoting (a forward, a letter's header block, a signature) but is theirs.
const PLAIN_THANKS: &str = "Baik, terima kasih. Kami tunggu kabar selanjutnya dari KPPN.";

const OUTLOOK_FORWARD: &str = "Berikut kami teruskan surel dari bank tentang rekening pengganti.\n\
     \n\
     ________________________________\n\
     From: Bank Contoh Cabang Tanjung Selor <cs@bank-contoh.example>\n\
     Sent: Monday, November 30, 2026 3:12 PM\n\
     To: Bendahara Satker Contoh <bendahara@satker.example.test>\n\
     Subject: Perubahan nomor rekening\n\
     \n\
     Nomor rekening pengganti 1490012345678 a.n. RPL 123 Satker Contoh.\n\
     Rekening lama 1490098765432 ditutup per 1 Desember 2026.";

const LETTER_BLOCK: &str = "Dengan hormat,\n\
     \n\
     Bersama ini kami sampaikan surat permohonan revisi DIPA.\n\
     \n\
     Dari      : Kuasa Pengguna Anggaran Satker Contoh\n\
     Tanggal   : 1 Desember 2026\n\
     Nomor     : S-123/SATKER/2026\n\
     Perihal   : Permohonan revisi DIPA\n\
     \n\
     Mohon revisi pagu akun 521211 sebesar Rp15.000.000 ke akun 524111.";

const SIGNATURE_WITH_PHONE: &str = "Baik, rekening pengganti sudah kami daftarkan di aplikasi SAKTI.\n\
     \n\
     -- \n\
     Budi Santoso\n\
     Bendahara Pengeluaran Satker Contoh\n\
     Telp. (0552) 21234 / HP 0812-3456-7890";

/// The stakeholder repeats a sentence of their first mail (which the daemon echoed to
/// the staff, never to them) and adds to it.
const REPEATS_OWN_QUESTION: &str = "Kami ulangi pertanyaan kami kemarin:\n\
     Mohon informasi, SP2D gaji bulan November untuk satker kami belum masuk ke rekening penerima. Nomor SPM 00123/2026.\n\
     Sampai hari ini dana belum masuk.";

const GMAIL_FORWARD: &str = "Mohon dibantu, ini pemberitahuan yang kami terima dari bank.\n\
     \n\
     ---------- Forwarded message ---------\n\
     From: Seksi Pencairan Dana <pd@bank-contoh.example>\n\
     Date: Mon, Nov 30, 2026 at 9:00 AM\n\
     Subject: SP2D tertunda\n\
     To: <bendahara@satker.example.test>\n\
     \n\
     \n\
     SP2D nomor 261234567890 tertunda karena rekening penerima tidak aktif.";

/// The clients stakeholders write from in these cases.
const STAKEHOLDER_CLIENTS: &[Client] = &[
    Client::GmailWeb,
    Client::GmailAndroid,
    Client::OutlookDesktop,
    Client::Thunderbird,
    Client::Ios,
    Client::Yahoo,
    Client::SNail,
    Client::GmailHtml,
    Client::OutlookWebHtml,
];

/// A fresh office where the stakeholder has asked and then answers the
/// acknowledgement with `raw_of`; returns the text CSO1 is told, and the ack.
fn stakeholder_writes(raw_of: impl Fn(&Harness, &Received) -> Vec<u8>) -> (String, Received) {
    let (mut w, ack, _) = asked();
    let before = w.sent_to(&w.cso1().address).len();
    let raw = raw_of(&w, &ack);
    w.deliver(&raw, wita(12, 1, 10, 3));
    let after = w.sent_to(&w.cso1().address);
    assert_eq!(
        after.len(),
        before + 1,
        "CSO1 is told of the reply once: {:?}",
        w.kinds_to(&w.cso1().address)
    );
    (after.last().unwrap().mail.text.clone(), ack)
}

/// The stakeholder writes `material` above the quoted acknowledgement from every
/// stakeholder client in both languages: every line of it reaches CSO1, and no line of
/// the acknowledgement does.
fn stakeholder_material_reaches_the_staff(what: &str, material: &str) {
    // What CSO1 sees when the same material comes without any quote: lines of the
    // acknowledgement the notification template carries anyway are no leak.
    let (control, _) = stakeholder_writes(|w, ack| {
        support::desk::reply(
            &w.stakeholder(),
            ack,
            "control@satker.example.test",
            &[],
            material,
        )
    });
    let control_lines = all_lines(&control);
    let material_lines = all_lines(material);
    let mut failures = Vec::new();
    let mut table = format!("\nstakeholder writes {what} → CSO1\n");
    for &c in STAKEHOLDER_CLIENTS {
        for &l in c.languages() {
            let (seen_by_cso, ack) = stakeholder_writes(|w, ack| {
                let st = w.stakeholder();
                reply_as(
                    c,
                    l,
                    &Author {
                        name: "Budi Santoso",
                        address: &st.address,
                    },
                    ack,
                    "st-reply@satker.example.test",
                    material,
                    Placement::Above,
                )
            });
            let got = flat(&seen_by_cso);
            let mut problems = Vec::new();
            for line in material.lines().map(norm).filter(|l| !l.is_empty()) {
                if !got.contains(&line) {
                    problems.push(format!("lost: {line}"));
                }
            }
            // Lines CSO1 sees that neither the template nor the stakeholder wrote: what
            // is left of the quoted acknowledgement and the attribution or header block
            // the client put above it.
            let ack_lines = all_lines(&ack.text);
            for line in all_lines(&seen_by_cso) {
                if control_lines.contains(&line) || material_lines.contains(&line) {
                    continue;
                }
                if ack_lines.contains(&line) {
                    problems.push(format!("quoted acknowledgement line relayed: {line}"));
                } else if is_quote_head(&line) {
                    problems.push(format!("attribution/header of the quote relayed: {line}"));
                }
            }
            let lost = problems.iter().any(|p| p.starts_with("lost"));
            let residue =
                problems.len() > problems.iter().filter(|p| p.starts_with("lost")).count();
            let verdict = match (lost, residue) {
                (false, false) => "kept",
                (true, false) => "FAIL: lost lines",
                (false, true) => "FAIL: quote residue",
                (true, true) => "FAIL: lost lines, quote residue",
            };
            table.push_str(&format!("  {:<34} {verdict}\n", label(c, l)));
            for p in problems {
                failures.push(format!("{}: {p}", label(c, l)));
            }
        }
    }
    eprintln!("{table}");
    assert!(
        failures.is_empty(),
        "{what}: {} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_stakeholder_reply_reaches_the_staff_without_the_quoted_acknowledgement() {
    stakeholder_material_reaches_the_staff("a plain reply", PLAIN_THANKS);
}

#[test]
fn an_inline_outlook_forward_from_a_stakeholder_reaches_the_staff() {
    stakeholder_material_reaches_the_staff("an Outlook inline forward", OUTLOOK_FORWARD);
}

#[test]
fn a_letter_header_block_from_a_stakeholder_reaches_the_staff() {
    stakeholder_material_reaches_the_staff("a letter header block", LETTER_BLOCK);
}

#[test]
fn a_stakeholder_signature_with_a_phone_number_reaches_the_staff() {
    stakeholder_material_reaches_the_staff("a signature with a phone number", SIGNATURE_WITH_PHONE);
}

#[test]
fn a_gmail_forwarded_message_from_a_stakeholder_reaches_the_staff() {
    stakeholder_material_reaches_the_staff("a Gmail forwarded message", GMAIL_FORWARD);
}

#[test]
fn a_stakeholder_repeating_their_own_question_reaches_the_staff() {
    stakeholder_material_reaches_the_staff("a repeat of their own question", REPEATS_OWN_QUESTION);
}
