//! Subject lines: the ticket tag `[KPPN-TSL #123]`, the service code `[KONS]`, and the
//! clean subject we repeat in replies.
//!
//! Mail clients mangle subjects (reply prefixes in many languages, changed case, lost
//! spaces), so matching is tolerant; what we write is always the canonical form.

/// Reply/forward prefixes of common clients: English, Indonesian (Bls, Balas), French
/// (Tr), German (AW, WG). Compared case-insensitively.
const PREFIXES: &[&str] = &["re", "fwd", "fw", "bls", "balas", "tr", "aw", "wg"];

/// Subject used when the sender gave none.
pub(crate) const NO_SUBJECT: &str = "(tanpa subjek)";

/// The ticket number from a `[TAG #123]` group anywhere in `subject`. Tolerates case and
/// spaces: `[kppn-tsl #123]`, `[KPPN-TSL#123]`, `[ KPPN-TSL # 123 ]`. Returns the first
/// such group with a positive number that fits `i64`.
pub fn ticket_tag(subject: &str, tag: &str) -> Option<i64> {
    let tag = tag.trim();
    if tag.is_empty() {
        return None;
    }
    subject
        .match_indices('[')
        .find_map(|(i, _)| tag_group_at(&subject[i..], Some(tag)).map(|(n, _)| n))
}

/// The service code from a `[KONS]` group: 2–10 ASCII letters/digits with at least one
/// letter, returned uppercase. The first such group wins; ticket tags never match (they
/// contain `#`). See [`service_codes`] when the caller can check codes against a list.
pub fn service_code(subject: &str) -> Option<String> {
    service_codes(subject).into_iter().next()
}

/// Every service-code-like group in `subject`, in order. Mail gateways add groups such
/// as `[EXTERNAL]`, so a caller that knows the valid codes should take the first known.
pub fn service_codes(subject: &str) -> Vec<String> {
    subject
        .match_indices('[')
        .filter_map(|(i, _)| code_group_at(&subject[i..]).map(|(code, _)| code))
        .collect()
}

/// The subject without reply/forward prefixes (repeated, e.g. `Re: Fwd: AW:`), ticket
/// tags and the leading service code, with whitespace collapsed. Empty becomes
/// `"(tanpa subjek)"`.
pub fn clean(subject: &str) -> String {
    let mut rest = subject.trim();
    // Strip leading prefixes and groups until nothing changes.
    loop {
        let before = rest.len();
        if let Some(after) = strip_reply_prefix(rest) {
            rest = after;
        }
        if let Some((_, len)) = tag_group_at(rest, None) {
            rest = &rest[len..];
        }
        if let Some((_, len)) = code_group_at(rest) {
            rest = &rest[len..];
        }
        rest = rest.trim_start();
        if rest.len() == before {
            break;
        }
    }
    // Ticket tags anywhere else (some clients move them to the end).
    let mut out = String::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() {
        let tail = &rest[i..];
        if tail.starts_with('[')
            && let Some((_, len)) = tag_group_at(tail, None)
        {
            i += len;
            continue;
        }
        let Some(c) = tail.chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        NO_SUBJECT.to_string()
    } else {
        collapsed
    }
}

/// The subject of our replies: `[TAG #n] <clean(original)>`.
pub fn reply_subject(tag: &str, ticket: i64, original: &str) -> String {
    format!("[{tag} #{ticket}] {}", clean(original))
}

/// If `s` starts with a reply prefix (`Re:`, `RE :`, `Re[2]:`, `Fwd：`), the text after
/// its colon.
fn strip_reply_prefix(s: &str) -> Option<&str> {
    let word_len = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    let word = &s[..word_len];
    if !PREFIXES.iter().any(|p| word.eq_ignore_ascii_case(p)) {
        return None;
    }
    let mut rest = s[word_len..].trim_start();
    // Counters some clients add: "Re[2]:", "Re(2):".
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = rest.strip_prefix(open)
            && let Some(end) = inner.find(close)
            && end > 0
            && inner[..end].chars().all(|c| c.is_ascii_digit())
        {
            rest = inner[end + close.len_utf8()..].trim_start();
        }
    }
    rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))
}

/// Parses a `[TAG #123]` group at the start of `s`. With `tag` the name must match
/// case-insensitively; without, any name of visible characters (no brackets or `#`) is
/// accepted. Returns the number and the group's byte length.
fn tag_group_at(s: &str, tag: Option<&str>) -> Option<(i64, usize)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let body = &inner[..close];
    let (name, number) = body.rsplit_once('#')?;
    let name = name.trim();
    match tag {
        Some(tag) if !name.eq_ignore_ascii_case(tag) => return None,
        None if name.is_empty() || name.contains(['[', '#']) => return None,
        _ => {}
    }
    let number = number.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    (n > 0).then_some((n, close + 2))
}

/// Parses a `[CODE]` group at the start of `s`; returns the uppercased code and the
/// group's byte length.
fn code_group_at(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let code = inner[..close].trim();
    let valid = (2..=10).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric())
        && code.bytes().any(|b| b.is_ascii_alphabetic());
    valid.then(|| (code.to_ascii_uppercase(), close + 2))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const TAG: &str = "KPPN-TSL";

    #[test]
    fn ticket_tag_is_found_tolerantly() {
        assert_eq!(ticket_tag("[KPPN-TSL #123] Tanya", TAG), Some(123));
        assert_eq!(ticket_tag("Re: [kppn-tsl #123] Tanya", TAG), Some(123));
        assert_eq!(ticket_tag("RE: Tanya [KPPN-TSL#7]", TAG), Some(7));
        assert_eq!(ticket_tag("[ KPPN-TSL # 42 ]", TAG), Some(42));
        assert_eq!(ticket_tag("[x] [KPPN-TSL #9]", TAG), Some(9));
    }

    #[test]
    fn ticket_tag_rejects_near_misses() {
        assert_eq!(ticket_tag("Tanya #123", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSLX #123]", TAG), None);
        assert_eq!(ticket_tag("[OTHER #123]", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #]", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #12a]", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #0]", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #-5]", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #99999999999999999999999]", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #12", TAG), None);
        assert_eq!(ticket_tag("[KPPN-TSL #12]", ""), None);
    }

    #[test]
    fn ticket_tag_handles_unicode_around_it() {
        assert_eq!(ticket_tag("Pertanyaan — ✓ [KPPN-TSL #5] é", TAG), Some(5));
        assert_eq!(ticket_tag("[é #5]", TAG), None);
    }

    #[test]
    fn service_code_extraction() {
        assert_eq!(service_code("[KONS] Konsultasi SP2D"), Some("KONS".into()));
        assert_eq!(
            service_code("Re: [KPPN-TSL #3] [KONS] x"),
            Some("KONS".into())
        );
        assert_eq!(service_code("[kons] x"), Some("KONS".into()));
        assert_eq!(service_code("[ SPM2 ] x"), Some("SPM2".into()));
        assert_eq!(service_code("[KPPN-TSL #3] x"), None);
        assert_eq!(service_code("[A] x"), None);
        assert_eq!(service_code("[ABCDEFGHIJK] x"), None);
        assert_eq!(service_code("[2024] x"), None);
        assert_eq!(service_code("no code"), None);
        assert_eq!(
            service_codes("[EXTERNAL] Re: [KONS] x"),
            vec!["EXTERNAL".to_string(), "KONS".to_string()]
        );
    }

    #[test]
    fn clean_strips_prefixes_tags_and_codes() {
        assert_eq!(
            clean("Re: [KPPN-TSL #12] [KONS] Pertanyaan SP2D"),
            "Pertanyaan SP2D"
        );
        assert_eq!(clean("RE: Fwd: FW: Bls: Balas: TR: AW: WG: Hal"), "Hal");
        assert_eq!(clean("Re[2]: re : Hal"), "Hal");
        assert_eq!(clean("[KONS] Re: Hal   penting"), "Hal penting");
        assert_eq!(clean("Hal [KPPN-TSL #12]"), "Hal");
        assert_eq!(clean("Reaksi: rapat"), "Reaksi: rapat");
        assert_eq!(clean("Rekonsiliasi"), "Rekonsiliasi");
        assert_eq!(clean(""), NO_SUBJECT);
        assert_eq!(clean("Re: "), NO_SUBJECT);
        assert_eq!(clean("[KPPN-TSL #1]"), NO_SUBJECT);
        assert_eq!(clean("Re: Ü [x]"), "Ü [x]");
    }

    #[test]
    fn reply_subject_is_canonical() {
        assert_eq!(
            reply_subject(TAG, 12, "Re: [kppn-tsl #12] [KONS] Pertanyaan"),
            "[KPPN-TSL #12] Pertanyaan"
        );
        assert_eq!(reply_subject(TAG, 1, ""), "[KPPN-TSL #1] (tanpa subjek)");
    }
}
