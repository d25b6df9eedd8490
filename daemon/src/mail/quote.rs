//! The new text of a reply: quoted text, attribution lines, signatures and mobile
//! footers removed.
//!
//! Two kinds of quoting exist in the wild, so two rules:
//! - **Cuts**: after an Outlook separator (`-----Original Message-----`,
//!   `-----Pesan Asli-----`, a line of underscores), an Outlook header block
//!   (`From:/Sent:/To:/Subject:`, `Dari:/Dikirim:/Kepada:/Subjek:`), a signature
//!   delimiter (`-- `) or an attribution line *not* followed by `>` lines, everything
//!   below is old text (those clients quote without markers).
//! - **Marked quotes**: `>` lines and the attribution line above them
//!   (`On … wrote:`, `Pada … menulis:`, also wrapped over two or three lines) are
//!   dropped, but unmarked lines between them are kept: an interleaved reply keeps
//!   every answer its author wrote between the quotes.
//!
//! Trailing "Sent from my iPhone" / "Dikirim dari iPhone saya" style footers are
//! dropped. The result may be empty only when the author wrote nothing new.

/// The author's new text in `text`, trimmed, with runs of blank lines collapsed.
pub fn strip_reply(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_cut(&lines, i) {
            break;
        }
        if let Some(len) = attribution_len(&lines, i) {
            let next = next_non_blank(&lines, i + len);
            if next.is_some_and(|n| is_quoted(lines[n])) {
                i += len;
                continue;
            }
            // An attribution without `>` lines below quotes the old mail unmarked.
            break;
        }
        if !is_quoted(line) {
            kept.push(line);
        }
        i += 1;
    }
    while let Some(last) = kept.last() {
        if last.trim().is_empty() || is_footer(last) {
            kept.pop();
        } else {
            break;
        }
    }
    collapse_blank_runs(&kept)
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn next_non_blank(lines: &[&str], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&j| !lines[j].trim().is_empty())
}

/// Lines that start old text quoted without markers.
fn is_cut(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if line == "-- " || line.trim() == "--" {
        return true;
    }
    let t = line.trim();
    let lower = t.to_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed.starts_with("---")
        && ["originalmessage", "pesanasli", "pesanaslinya"]
            .iter()
            .any(|w| squeezed.trim_matches('-') == *w)
    {
        return true;
    }
    if t.len() >= 10 && t.chars().all(|c| c == '_') {
        return true;
    }
    is_header_block(lines, i)
}

/// `From:`/`Dari:` followed closely by at least two other mail header fields.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    const FROM: [&str; 2] = ["from", "dari"];
    const OTHERS: [&str; 13] = [
        "sent", "date", "to", "cc", "subject", "dikirim", "terkirim", "tanggal", "kepada",
        "subjek", "perihal", "tembusan", "kirim",
    ];
    if !header_key(lines[i]).is_some_and(|k| FROM.contains(&k.as_str())) {
        return false;
    }
    let following = lines[i + 1..]
        .iter()
        .take(5)
        .filter_map(|l| header_key(l))
        .filter(|k| OTHERS.contains(&k.as_str()))
        .count();
    following >= 2
}

/// The lowercased field name of a `Name: value` line (tolerating `*Name:*` bold).
fn header_key(line: &str) -> Option<String> {
    let t = line.trim().trim_start_matches(['*', ' ']);
    let (key, _) = t.split_once(':')?;
    let key = key.trim_end_matches('*').trim();
    if key.is_empty() || key.len() > 12 || !key.chars().all(char::is_alphabetic) {
        return None;
    }
    Some(key.to_lowercase())
}

/// Number of lines (1–3) of an attribution line starting at `i`, if there is one:
/// starts with "On"/"Pada", ends with "wrote:"/"menulis:", contains a digit (the date).
fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let first = lines[i].trim().to_lowercase();
    if !(first.starts_with("on ") || first.starts_with("pada ")) {
        return None;
    }
    let mut joined = String::new();
    for (n, line) in lines[i..].iter().take(3).enumerate() {
        let t = line.trim();
        if t.is_empty() || (n > 0 && is_quoted(t)) {
            return None;
        }
        joined.push_str(&t.to_lowercase());
        joined.push(' ');
        let end = joined.trim_end();
        if (end.ends_with("wrote:") || end.ends_with("menulis:"))
            && joined.chars().any(|c| c.is_ascii_digit())
        {
            return Some(n + 1);
        }
    }
    None
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            (
                $name,
                include_str!(concat!("../../tests/fixtures/quotes/", $name, ".txt")),
                include_str!(concat!(
                    "../../tests/fixtures/quotes/",
                    $name,
                    ".expected.txt"
                )),
            )
        };
    }

    #[test]
    fn real_client_samples() {
        let samples = [
            fixture!("gmail_en"),
            fixture!("gmail_id_wrapped"),
            fixture!("outlook_en"),
            fixture!("outlook_en_original_message"),
            fixture!("outlook_id"),
            fixture!("outlook_id_header_only"),
            fixture!("thunderbird_en"),
            fixture!("thunderbird_id"),
            fixture!("apple_en"),
            fixture!("apple_id"),
            fixture!("interleaved_id"),
            fixture!("command_with_quote"),
        ];
        for (name, input, expected) in samples {
            assert_eq!(strip_reply(input), expected.trim_end(), "fixture {name}");
        }
    }

    #[test]
    fn crlf_and_plain_text_pass_through() {
        assert_eq!(
            strip_reply("Baik, terima kasih.\r\n\r\n\r\nSalam\r\n"),
            "Baik, terima kasih.\n\nSalam"
        );
    }

    #[test]
    fn outlook_bold_headers_from_html_cut() {
        let text = "Sudah kami proses.\n\n*From:* Budi <budi@satker.example>\n*Sent:* Monday, March 2, 2026 10:00\n*To:* CSO\n*Subject:* SPM\n\nPertanyaan lama";
        assert_eq!(strip_reply(text), "Sudah kami proses.");
    }

    #[test]
    fn gmail_english_wrapped_attribution() {
        let text = "Noted.\n\nOn Mon, 2 Mar 2026 at 10:00, Budi Santoso <budi.santoso@satker.example>\nwrote:\n\n> old\n";
        assert_eq!(strip_reply(text), "Noted.");
    }

    #[test]
    fn a_from_line_in_prose_is_kept() {
        let text = "From: the satker's letter we learn the SPM is late.\nPlease resend.";
        assert_eq!(strip_reply(text), text);
    }

    #[test]
    fn nothing_new_is_empty() {
        assert_eq!(strip_reply("> only quoted\n> text\n"), "");
        assert_eq!(strip_reply(""), "");
    }

    #[test]
    fn words_like_on_or_pada_in_prose_are_not_attributions() {
        let text = "Pada prinsipnya kami menulis:\nSPM sudah benar.";
        assert_eq!(strip_reply(text), text);
        let text = "On behalf of the satker, we wrote:\nthe letter.";
        assert_eq!(strip_reply(text), text);
    }

    #[test]
    fn dikirim_dari_inside_text_is_kept() {
        let text = "Dikirim dari kantor kami tanggal 2 Maret.\nMohon dicek.";
        assert_eq!(strip_reply(text), text);
    }

    #[test]
    fn attribution_without_markers_cuts() {
        let text = "Jawaban saya.\n\nOn 2 Mar 2026, at 10:00, Budi wrote:\n\nPertanyaan lama tanpa tanda kutip.";
        assert_eq!(strip_reply(text), "Jawaban saya.");
    }
}
