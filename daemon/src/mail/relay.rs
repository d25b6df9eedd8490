//! The new text of a staff reply, separated by what the daemon itself sent.
//!
//! Clients quote in many ways (`>`, TAB, spaces, none; attributions in any wording and
//! language; HTML turned into text), and a guess that misses one relays the whole
//! internal notification to a stakeholder. The daemon knows the notification it sent,
//! so it looks for *that*: the reply is cut at the marker line the notification opens
//! with, or at the first run of lines that reproduce the notification, and the
//! attribution or header block just above is dropped with it.
//!
//! Then it checks its own work and holds rather than guess: text below or inside the
//! quote (bottom-posting, inline answers) or notification lines left above the cut
//! mean the new text cannot be told apart with confidence, and nothing is relayed.

use strum::{Display, IntoStaticStr};

/// The line every notification to staff opens with: a reply is cut where it appears.
pub const MARKER: &str = "##- Tulis balasan di atas baris ini / Reply above this line -##";

/// The part of [`MARKER`] that identifies it, however a client rewrites the hashes.
const MARKER_CORE: &str = "tulis balasan di atas baris ini";

/// Lines shorter than this (letters and digits) are too common to count as reproduced.
const DISTINCTIVE: usize = 15;

/// Lines above the cut that may belong to an attribution or a header block.
const ATTRIBUTION_LINES: usize = 8;

/// The result of separating a staff reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Separation {
    /// The author's new text, which reproduces nothing of the notification.
    Clean(String),
    /// The new text could not be separated with confidence: relay nothing. `text` is
    /// what would have gone out; `below`, what the author wrote below or inside the
    /// quote (not sent).
    Held {
        reason: HoldReason,
        text: String,
        below: String,
    },
}

/// Why a staff reply was not relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, IntoStaticStr, serde::Serialize)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum HoldReason {
    /// The author wrote below or between the quoted lines of the notification.
    TextBelowQuote,
    /// Lines of the notification (or a capability) remain in the new text.
    ReproducesNotification,
}

/// Separates the new text of `reply` (the staff reply as text, HTML already turned
/// into text) from the notification `sent` it answers.
pub fn separate(reply: &str, sent: &str) -> Separation {
    separate_excluding(reply, sent, "")
}

/// [`separate`], where `their_words` is what people wrote on the ticket (the
/// stakeholder's mails, the author's own held text): the notification repeats those,
/// and a line of them at the top of a reply is the author citing, not a leak. Only
/// the daemon's own wording then counts as evidence of quoting.
pub fn separate_excluding(reply: &str, sent: &str, their_words: &str) -> Separation {
    let sent = SentText::new(sent, their_words);
    let lines: Vec<&str> = reply.lines().map(|l| l.trim_end_matches('\r')).collect();
    let cut = find_cut(&lines, &sent);
    let (above, below) = match cut {
        Some(i) => (
            &lines[..drop_attribution(&lines, i, Strictness::Loose)],
            &lines[i..],
        ),
        None => (&lines[..], &lines[lines.len()..]),
    };
    let text = tidy(above);
    let foreign: Vec<&str> = below
        .iter()
        .copied()
        .filter(|l| is_foreign_text(l, &sent))
        .collect();
    if !foreign.is_empty() {
        return Separation::Held {
            reason: HoldReason::TextBelowQuote,
            text,
            below: foreign.join("\n"),
        };
    }
    if above
        .iter()
        .any(|l| sent.reproduces(l) || grants_something(l))
    {
        return Separation::Held {
            reason: HoldReason::ReproducesNotification,
            text,
            below: String::new(),
        };
    }
    Separation::Clean(text)
}

/// A stakeholder's mail without the daemon's own mails they quote (`sent`: what the
/// daemon sent them). Nothing else is cut: forwarded blocks, letter headers, answers
/// written between quoted lines and signatures all reach staff.
pub fn strip_own(reply: &str, sent: &str) -> String {
    let sent = SentText::new(sent, "");
    let lines: Vec<&str> = reply.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !starts_own_quote(&lines, i, &sent) {
            kept.push(lines[i]);
            i += 1;
            continue;
        }
        // The quote may open with short lines of ours ("> Yth. Bapak/Ibu,") that alone
        // prove nothing: they go with it, then the attribution or header block above.
        let mut start = kept.len();
        while start > 0 && opens_own_quote(kept[start - 1], &sent) {
            start -= 1;
        }
        let start = drop_attribution(&kept, start, Strictness::Sure);
        kept.truncate(start);
        while i < lines.len() && is_ours(lines[i], &sent) {
            i += 1;
        }
    }
    tidy(&kept)
}

/// Where a stakeholder's mail starts quoting the daemon: a quoted line reproducing it,
/// or an unquoted one (Outlook quotes without marks) followed directly by another. A
/// single line that happens to match — their own name, which the daemon's greeting
/// repeated — is their text.
fn starts_own_quote(lines: &[&str], i: usize, sent: &SentText) -> bool {
    if !sent.reproduces(lines[i]) {
        return false;
    }
    if is_quoted(lines[i]) || normalise(lines[i]).contains(MARKER_CORE) {
        return true;
    }
    next_non_blank(lines, i + 1).is_some_and(|n| {
        let t = strip_quote_prefix(lines[n]).trim();
        !is_separator(t) && !is_header_field(t) && sent.contains(lines[n])
    })
}

fn next_non_blank(lines: &[&str], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&j| !lines[j].trim().is_empty())
}

/// A blank line or a short line of ours just above a recognised quote (not the header
/// block or separator that introduces it: `drop_attribution` decides on those).
fn opens_own_quote(line: &str, sent: &SentText) -> bool {
    let t = strip_quote_prefix(line).trim();
    t.is_empty() || (!is_separator(t) && !is_header_field(t) && sent.contains(line))
}

/// Whether the line is (part of) what was sent, or the blank and separator lines that
/// come with a quote.
fn is_ours(line: &str, sent: &SentText) -> bool {
    let t = strip_quote_prefix(line).trim();
    t.is_empty() || is_separator(t) || is_header_field(t) || sent.contains(line)
}

/// What the daemon sent, normalised for comparison.
struct SentText {
    /// Every normalised line joined by spaces: a re-wrapped line is a substring.
    joined: String,
    /// The same, without the lines that repeat people's words: the daemon's own.
    own_joined: String,
    /// Normalised lines of its own long enough to be evidence of quoting.
    distinctive: Vec<String>,
}

impl SentText {
    fn new(sent: &str, their_words: &str) -> Self {
        let theirs = normalised_lines(their_words).join(" ");
        let lines = normalised_lines(&format!("{sent}\n{MARKER}"));
        let own: Vec<String> = lines
            .iter()
            .filter(|l| theirs.is_empty() || !theirs.contains(l.as_str()))
            .cloned()
            .collect();
        let distinctive = own.iter().filter(|l| is_distinctive(l)).cloned().collect();
        SentText {
            joined: lines.join(" "),
            own_joined: own.join(" "),
            distinctive,
        }
    }

    /// Whether `line` reproduces a distinctive piece of what was sent.
    fn reproduces(&self, line: &str) -> bool {
        let n = normalise(line);
        if n.contains(MARKER_CORE) {
            return true;
        }
        if !is_distinctive(&n) {
            return false;
        }
        self.own_joined.contains(&n) || self.distinctive.iter().any(|d| n.contains(d.as_str()))
    }

    /// Whether `line` is, as far as can be told, part of what was sent (short lines
    /// included).
    fn contains(&self, line: &str) -> bool {
        let n = normalise(line);
        n.is_empty() || self.joined.contains(&n) || self.reproduces(line)
    }
}

/// Where the reply starts reproducing the notification: its marker, or else two
/// reproduced lines close together (one alone may be the author citing a sentence).
fn find_cut(lines: &[&str], sent: &SentText) -> Option<usize> {
    (0..lines.len())
        .find(|&i| normalise(lines[i]).contains(MARKER_CORE))
        .or_else(|| (0..lines.len()).find(|&i| is_quote_start(lines, i, sent)))
}

fn normalised_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(normalise)
        .filter(|l| !l.is_empty())
        .collect()
}

fn is_quote_start(lines: &[&str], i: usize, sent: &SentText) -> bool {
    normalise(lines[i]).contains(MARKER_CORE)
        || (sent.reproduces(lines[i]) && lines[i + 1..].iter().take(6).any(|l| sent.reproduces(l)))
}

/// The end of the kept text: the cut, moved up over the attribution line or header
/// block (and separators and blank lines) that introduce the quote.
fn drop_attribution(lines: &[&str], cut: usize, how: Strictness) -> usize {
    let mut end = cut;
    let mut dropped = 0;
    // The line above an attribution's `…wrote:` tail may hold its start (a wrapped
    // "On <date>, <name> <address>").
    let mut after_tail = false;
    while end > 0 && dropped < ATTRIBUTION_LINES {
        let t = strip_quote_prefix(lines[end - 1]).trim();
        if t.is_empty() || is_separator(t) {
            end -= 1;
            continue;
        }
        let wrapped_start = after_tail && (t.contains('@') || t.contains('<') || has_date(t));
        after_tail = !is_header_field(t)
            && t.ends_with(':')
            && (how == Strictness::Loose || t.contains('@') || has_date(t) || says_wrote(t));
        if !(is_header_field(t) || after_tail || wrapped_start) {
            break;
        }
        end -= 1;
        dropped += 1;
    }
    end
}

/// How sure a line ending in `:` above a quote must look before it is taken for an
/// attribution: any such line in a staff reply (a lost line costs less than a leak);
/// only one with an address, a date or "wrote" in a stakeholder's mail (their text is
/// never cut on a guess).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    Loose,
    Sure,
}

fn says_wrote(t: &str) -> bool {
    let l = t.to_lowercase();
    ["wrote", "menulis", "tulis", "schrieb", "écrit", "escribió"]
        .iter()
        .any(|w| l.contains(w))
}

/// Unquoted text below the cut that is not part of what was sent: the author wrote
/// below or inside the quote.
fn is_foreign_text(line: &str, sent: &SentText) -> bool {
    let t = line.trim();
    if t.is_empty() || is_quoted(line) || is_separator(t) || is_header_field(t) {
        return false;
    }
    if t.ends_with(':') || is_footer(t) || sent.contains(line) {
        return false;
    }
    // A word or two ("Ok", "Terima kasih") is not worth a hold; a sentence is.
    t.split_whitespace().count() >= 3
}

/// A notification's capability or command links in visible text.
fn grants_something(line: &str) -> bool {
    let l = line.to_lowercase();
    l.contains("mailto:") || l.contains("<loket.") || l.contains("in-reply-to=")
}

fn is_quoted(line: &str) -> bool {
    line.starts_with('\t') || line.trim_start().starts_with(['>', '|'])
}

/// `line` without quote prefixes (`>`, `|`, indentation), however deeply nested.
fn strip_quote_prefix(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c == '|' || c.is_whitespace())
}

/// Lower case, quote prefixes and emphasis removed, whitespace collapsed.
fn normalise(line: &str) -> String {
    let t = strip_quote_prefix(line);
    let mut out = String::with_capacity(t.len());
    for word in t.split_whitespace() {
        let word = word.trim_matches(|c| c == '*' || c == '_');
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

fn is_distinctive(normalised: &str) -> bool {
    normalised.chars().filter(|c| c.is_alphanumeric()).count() >= DISTINCTIVE
}

/// `-----Original Message-----`, `________`, `---------- Forwarded message ---------`.
fn is_separator(t: &str) -> bool {
    let letters: String = t
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    let marks = t.chars().filter(|c| matches!(c, '-' | '_' | '=')).count();
    (letters.is_empty() && marks >= 3)
        || (marks >= 6
            && ["originalmessage", "pesanasli", "pesanaslinya"].contains(&letters.as_str()))
}

/// `From: …`, `Dari : …`, `*Sent:* …`: a mail header quoted by a client.
fn is_header_field(t: &str) -> bool {
    const FIELDS: [&str; 17] = [
        "from", "sent", "date", "to", "cc", "subject", "dari", "dikirim", "terkirim", "tanggal",
        "kepada", "subjek", "perihal", "tembusan", "kirim", "pengirim", "reply-to",
    ];
    let t = t.trim_start_matches('*');
    let Some((key, _)) = t.split_once(':') else {
        return false;
    };
    let key = key.trim().trim_end_matches('*').trim().to_lowercase();
    FIELDS.contains(&key.as_str())
}

fn has_date(t: &str) -> bool {
    t.chars().filter(char::is_ascii_digit).count() >= 4
}

/// "Sent from my iPhone" and its kin in Indonesian: a client's footer, not text.
fn is_footer(line: &str) -> bool {
    const FOOTERS: [&str; 9] = [
        "sent from my ",
        "sent from outlook",
        "sent from mail for windows",
        "sent from yahoo mail",
        "get outlook for ",
        "dikirim dari ",
        "dapatkan outlook untuk ",
        "kirim dari ",
        "sent via ",
    ];
    let t = line.trim().to_lowercase();
    t.chars().count() <= 80 && FOOTERS.iter().any(|f| t.starts_with(f))
}

fn collapse_blank_runs(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank_run = false;
    for line in lines {
        if line.trim().is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if blank_run {
            out.push('\n');
            blank_run = false;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

/// The kept lines as text: trailing blank lines and mobile footers dropped, runs of
/// blank lines collapsed.
fn tidy(lines: &[&str]) -> String {
    let mut kept: Vec<&str> = lines.to_vec();
    while let Some(last) = kept.last() {
        // A signature delimiter with nothing under it (K-9 puts one above its quote).
        if last.trim().is_empty() || last.trim() == "--" || is_footer(last) {
            kept.pop();
        } else {
            break;
        }
    }
    collapse_blank_runs(&kept)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const SENT: &str = "##- Tulis balasan di atas baris ini / Reply above this line -##

Tiket baru #17 dari budi@satker.example (Budi).

Layanan : Konsultasi
Perihal : Pencairan SP2D belum masuk rekening
Status  : Baru
Batas waktu penyelesaian (20 menit): Selasa, 1 Desember 2026 pukul 10.20 WITA
---------------------------------------------------------------------------
Mohon informasi, SP2D kami belum masuk ke rekening penerima sejak kemarin.
---------------------------------------------------------------------------
Perintah (tulis di baris pertama balasan):
#dokumen (#documents) - minta dokumen pendukung; tulis daftar dokumennya di bawahnya
#selesai (#resolve) - kirim jawaban akhir dengan status \"Resolved\"
";

    fn quoted(prefix: &str) -> String {
        SENT.lines().map(|l| format!("{prefix}{l}\n")).collect()
    }

    fn clean(reply: &str) -> String {
        match separate(reply, SENT) {
            Separation::Clean(t) => t,
            held @ Separation::Held { .. } => panic!("held: {held:?}\n{reply}"),
        }
    }

    #[test]
    fn s_nail_tab_quote_is_cut() {
        let reply = format!(
            "Sudah kami cek, SP2D terbit hari ini.\n\n\"loketd\" <layanan@kppn.example> wrote:\n\n{}",
            quoted("\t")
        );
        assert_eq!(clean(&reply), "Sudah kami cek, SP2D terbit hari ini.");
    }

    #[test]
    fn unknown_attribution_wording_is_cut() {
        let reply = format!(
            "#dokumen\nMohon kirim SPM.\n\nLe mar. 1 déc. 2026, loketd a écrit :\n{}",
            quoted("> ")
        );
        assert_eq!(clean(&reply), "#dokumen\nMohon kirim SPM.");
    }

    #[test]
    fn outlook_header_block_without_prefix_is_cut() {
        let reply = format!(
            "Jawaban kami.\n\nSalam,\nAni\n\n________________________________\nFrom: loketd <layanan@kppn.example>\nSent: Tuesday, December 1, 2026 10:00 AM\nTo: Ani <ani@kppn.example>\nSubject: [KPPN-TSL #17] Pencairan\n\n{SENT}"
        );
        assert_eq!(clean(&reply), "Jawaban kami.\n\nSalam,\nAni");
    }

    #[test]
    fn marker_removed_but_lines_reproduced_still_cut() {
        let body: String = SENT.lines().skip(2).map(|l| format!("> {l}\n")).collect();
        let reply = format!(
            "Jawaban.\n\nPada Sel, 1 Des 2026 pukul 10.00 loketd\n<layanan@kppn.example> menulis:\n{body}"
        );
        assert_eq!(clean(&reply), "Jawaban.");
    }

    #[test]
    fn bottom_posting_is_held() {
        let reply = format!(
            "{}\nSudah kami proses, silakan dicek kembali.\n",
            quoted("> ")
        );
        assert!(matches!(
            separate(&reply, SENT),
            Separation::Held {
                reason: HoldReason::TextBelowQuote,
                ..
            }
        ));
    }

    #[test]
    fn inline_answer_inside_the_quote_is_held() {
        let mut reply = String::from("Lihat di bawah.\n\n");
        for (i, l) in SENT.lines().enumerate() {
            reply.push_str(&format!("> {l}\n"));
            if i == 9 {
                reply.push_str("SP2D sudah terbit pagi ini, mohon ditunggu.\n");
            }
        }
        assert!(matches!(
            separate(&reply, SENT),
            Separation::Held {
                reason: HoldReason::TextBelowQuote,
                ..
            }
        ));
    }

    #[test]
    fn a_leftover_notification_line_is_held() {
        // One line of the notification survives above the cut (the second is far away).
        let reply = "Jawaban kami.\nBatas waktu penyelesaian (20 menit): Selasa, 1 Desember 2026 pukul 10.20 WITA\n";
        assert!(matches!(
            separate(reply, SENT),
            Separation::Held {
                reason: HoldReason::ReproducesNotification,
                ..
            }
        ));
    }

    #[test]
    fn a_capability_link_is_held() {
        let reply = "Jawaban.\nmailto:layanan@kppn.example?in-reply-to=%3Cloket.17.ab.cd%40x%3E\n";
        assert!(matches!(separate(reply, SENT), Separation::Held { .. }));
    }

    #[test]
    fn a_reply_without_quote_is_all_new() {
        assert_eq!(
            clean("Baik, kami proses.\n\n-- \nAni\nCSO KPPN\n"),
            "Baik, kami proses.\n\n--\nAni\nCSO KPPN"
        );
    }

    #[test]
    fn a_short_word_below_the_quote_is_not_worth_a_hold() {
        let reply = format!("Jawaban.\n\n{}\nOk\n", quoted("> "));
        assert_eq!(clean(&reply), "Jawaban.");
    }

    const ACK: &str = "Yth. Bapak/Ibu Sari,

Pertanyaan Anda telah kami terima dengan nomor tiket #17 dan sedang kami tangani.
Sesuai standar pelayanan, jawaban kami sampaikan paling lambat 20 menit kerja.

Salam,
KPPN Tanjung Selor
";

    #[test]
    fn stakeholder_keeps_forward_and_letter_blocks_but_not_our_ack() {
        let reply = format!(
            "Berikut surat kami dan rekening pengganti.

Dari : Bendahara Satker 123456
Tanggal : 1 Desember 2026
Perihal : Perubahan rekening

Nomor rekening baru 1234-5678-90 (BRI).

---------- Forwarded message ---------
From: PPK <ppk@satker.example>
Date: Mon, 30 Nov 2026
Subject: Revisi DIPA
To: Bendahara

Mohon revisi DIPA diajukan minggu ini.

Salam,
Sari
HP 0812-3456-7890

On Tue, 1 Dec 2026 at 10:00, KPPN Tanjung Selor <layanan@kppn.example> wrote:
{}",
            ACK.lines().map(|l| format!("> {l}\n")).collect::<String>()
        );
        let kept = strip_own(&reply, ACK);
        for line in [
            "Dari : Bendahara",
            "1234-5678-90",
            "Forwarded message",
            "From: PPK",
            "Mohon revisi DIPA",
            "HP 0812-3456-7890",
        ] {
            assert!(kept.contains(line), "{line} missing from:\n{kept}");
        }
        assert!(!kept.contains("sedang kami tangani"), "{kept}");
        assert!(!kept.contains("wrote:"), "{kept}");
    }

    #[test]
    fn stakeholder_answers_between_our_lines_are_kept() {
        let reply = "Pada Sel, 1 Des 2026 pukul 10.00 KPPN <layanan@kppn.example> menulis:
> Yth. Bapak/Ibu Sari,
>
> Pertanyaan Anda telah kami terima dengan nomor tiket #17 dan sedang kami tangani.

Baik, kami tunggu. Satu lagi: apakah ADK perlu dikirim ulang?

> Sesuai standar pelayanan, jawaban kami sampaikan paling lambat 20 menit kerja.
";
        assert_eq!(
            strip_own(reply, ACK),
            "Baik, kami tunggu. Satu lagi: apakah ADK perlu dikirim ulang?"
        );
    }

    #[test]
    fn stakeholder_quote_of_something_else_is_kept() {
        let reply = "Ini pertanyaan saya kemarin:\n> Apakah SPM gaji bisa diajukan tanggal 25?\nMohon jawabannya.";
        assert_eq!(strip_own(reply, ACK), reply);
    }
}
