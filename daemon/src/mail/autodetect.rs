//! Recognising mail that must never be answered automatically (RFC 3834 and common
//! practice), so the daemon cannot start a mail loop with an auto-responder, a mailing
//! list or a bounce.

use std::borrow::Cow;
use std::fmt;

use mail_parser::{Message, MimeHeaders};

/// Why a mail must not get an automatic reply. The mail is still stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoReason {
    /// `Auto-Submitted` other than `no` (the lowercased keyword), or an `X-Autoreply` /
    /// `X-Autorespond` header (then the header name, lowercased).
    AutoSubmitted(String),
    /// `Precedence: bulk | junk | list` (lowercased).
    Precedence(String),
    /// `List-Id` or `List-Unsubscribe` present.
    MailingList,
    /// Empty return path (`Return-Path: <>`) or From `MAILER-DAEMON` / `postmaster`.
    Bounce,
    /// `Content-Type: multipart/report` (delivery or read reports).
    MultipartReport,
    /// `X-Spam-Flag: YES`.
    SpamFlag,
    /// The mail carries one of our own Message-IDs (set by the caller, who knows the
    /// domain; see [`is_own_message_id`] and `ParsedMail::flag_own`).
    OwnMessage,
    /// No usable From address: there is nobody to answer.
    NoSender,
}

impl AutoReason {
    /// Short stable code, for storing in the database and for logs.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            AutoReason::AutoSubmitted(_) => "auto-submitted",
            AutoReason::Precedence(_) => "precedence",
            AutoReason::MailingList => "mailing-list",
            AutoReason::Bounce => "bounce",
            AutoReason::MultipartReport => "multipart-report",
            AutoReason::SpamFlag => "spam-flag",
            AutoReason::OwnMessage => "own-message",
            AutoReason::NoSender => "no-sender",
        }
    }
}

impl fmt::Display for AutoReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutoReason::AutoSubmitted(v) => write!(f, "auto-submitted ({v})"),
            AutoReason::Precedence(v) => write!(f, "precedence {v}"),
            other => f.write_str(other.code()),
        }
    }
}

/// Decides from the top-level headers whether `msg` is automatic mail. The first
/// matching rule wins, most specific first. `X-Auto-Response-Suppress` alone is not a
/// reason: Outlook sets it on ordinary mail.
pub(crate) fn detect(msg: &Message<'_>) -> Option<AutoReason> {
    let headers = raw_headers(msg);
    let first = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let present = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));

    if let Some(value) = first("Auto-Submitted") {
        let keyword = keyword(value);
        if keyword != "no" {
            return Some(AutoReason::AutoSubmitted(keyword));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond"] {
        if present(name) {
            return Some(AutoReason::AutoSubmitted(name.to_ascii_lowercase()));
        }
    }
    if msg.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) {
        return Some(AutoReason::MultipartReport);
    }
    if let Some(value) = first("Return-Path")
        && is_null_path(value)
    {
        return Some(AutoReason::Bounce);
    }
    if from_is_bounce_account(msg) {
        return Some(AutoReason::Bounce);
    }
    if let Some(value) = first("Precedence") {
        let keyword = keyword(value);
        if matches!(keyword.as_str(), "bulk" | "junk" | "list") {
            return Some(AutoReason::Precedence(keyword));
        }
    }
    if present("List-Id") || present("List-Unsubscribe") {
        return Some(AutoReason::MailingList);
    }
    if first("X-Spam-Flag").is_some_and(|v| keyword(v) == "yes") {
        return Some(AutoReason::SpamFlag);
    }
    let has_sender = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address.as_deref())
        .is_some_and(|a| a.contains('@') && !a.trim().is_empty());
    if !has_sender {
        return Some(AutoReason::NoSender);
    }
    None
}

/// Whether `id` (with or without angle brackets) is a Message-ID the daemon generated:
/// ours start with `loket.` and end with `@<own_domain>` (domain compared
/// case-insensitively).
pub(crate) fn is_own_message_id(id: &str, own_domain: &str) -> bool {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    let own_domain = own_domain.trim();
    if own_domain.is_empty() || !id.starts_with("loket.") {
        return false;
    }
    match id.rsplit_once('@') {
        Some((_, domain)) => domain.eq_ignore_ascii_case(own_domain),
        None => false,
    }
}

/// The top-level header fields as (name, raw value), unfolded, lossily decoded so that
/// a header with stray 8-bit bytes still counts.
pub(crate) fn raw_headers<'a>(msg: &'a Message<'_>) -> Vec<(&'a str, Cow<'a, str>)> {
    let raw = msg.raw_message.as_ref();
    let Some(root) = msg.parts.first() else {
        return Vec::new();
    };
    root.headers
        .iter()
        .map(|h| {
            let bytes = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            (h.name.as_str(), unfold(String::from_utf8_lossy(bytes)))
        })
        .collect()
}

/// Joins folded header lines: CR/LF (and the whitespace after them) become one space.
fn unfold(value: Cow<'_, str>) -> Cow<'_, str> {
    if !value.contains(['\r', '\n']) {
        return value;
    }
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.chars() {
        if c == '\r' || c == '\n' {
            pending_space = true;
        } else if pending_space && (c == ' ' || c == '\t') {
            // swallow folding whitespace
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    Cow::Owned(out.trim().to_string())
}

/// The first token of a header value, lowercased, without comments or parameters:
/// `Auto-Replied (vacation)` → `auto-replied`.
fn keyword(value: &str) -> String {
    value
        .split(|c: char| c == ';' || c == '(' || c.is_whitespace())
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `<>` possibly with spaces or comments inside, or an empty value.
fn is_null_path(value: &str) -> bool {
    let value = strip_comments(value);
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    compact.is_empty() || compact == "<>"
}

fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn from_is_bounce_account(msg: &Message<'_>) -> bool {
    msg.from()
        .and_then(|a| a.first())
        .and_then(|a| a.address.as_deref())
        .and_then(|a| {
            a.trim()
                .rsplit_once('@')
                .map(|(local, _)| local.to_string())
        })
        .is_some_and(|local| {
            local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use mail_parser::MessageParser;

    fn detect_raw(headers: &str) -> Option<AutoReason> {
        let raw = format!("{headers}\r\n\r\nbody\r\n");
        let msg = MessageParser::default()
            .parse(raw.as_bytes())
            .expect("parses");
        detect(&msg)
    }

    const BASE: &str = "From: Budi <budi@example.id>\r\nTo: layanan@kppn.example\r\nSubject: Tanya";

    #[test]
    fn ordinary_mail_is_not_automatic() {
        assert_eq!(detect_raw(BASE), None);
        assert_eq!(detect_raw(&format!("{BASE}\r\nAuto-Submitted: no")), None);
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nAuto-Submitted: No (manual)")),
            None
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nX-Auto-Response-Suppress: All")),
            None
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nPrecedence: first-class")),
            None
        );
        assert_eq!(detect_raw(&format!("{BASE}\r\nX-Spam-Flag: NO")), None);
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nReturn-Path: <budi@example.id>")),
            None
        );
    }

    #[test]
    fn auto_submitted_values() {
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nAuto-Submitted: auto-replied")),
            Some(AutoReason::AutoSubmitted("auto-replied".into()))
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nAuto-Submitted: Auto-Generated (cron)")),
            Some(AutoReason::AutoSubmitted("auto-generated".into()))
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nX-Autoreply: yes")),
            Some(AutoReason::AutoSubmitted("x-autoreply".into()))
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nX-Autorespond: 1")),
            Some(AutoReason::AutoSubmitted("x-autorespond".into()))
        );
    }

    #[test]
    fn precedence_list_spam_bounce_report() {
        for v in ["bulk", "JUNK", " list"] {
            assert_eq!(
                detect_raw(&format!("{BASE}\r\nPrecedence:{v}")),
                Some(AutoReason::Precedence(v.trim().to_ascii_lowercase()))
            );
        }
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nList-Id: <info.example.id>")),
            Some(AutoReason::MailingList)
        );
        assert_eq!(
            detect_raw(&format!(
                "{BASE}\r\nList-Unsubscribe: <mailto:u@example.id>"
            )),
            Some(AutoReason::MailingList)
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nX-Spam-Flag: YES")),
            Some(AutoReason::SpamFlag)
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nReturn-Path: <>")),
            Some(AutoReason::Bounce)
        );
        assert_eq!(
            detect_raw(&format!("{BASE}\r\nReturn-Path: < >")),
            Some(AutoReason::Bounce)
        );
        assert_eq!(
            detect_raw("From: MAILER-DAEMON@mx.example.id\r\nSubject: Undelivered"),
            Some(AutoReason::Bounce)
        );
        assert_eq!(
            detect_raw("From: Mail System <Postmaster@mx.example.id>\r\nSubject: x"),
            Some(AutoReason::Bounce)
        );
        assert_eq!(
            detect_raw(&format!(
                "{BASE}\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b"
            )),
            Some(AutoReason::MultipartReport)
        );
    }

    #[test]
    fn missing_sender() {
        assert_eq!(
            detect_raw("To: a@b.example\r\nSubject: x"),
            Some(AutoReason::NoSender)
        );
        assert_eq!(
            detect_raw("From: Budi\r\nSubject: x"),
            Some(AutoReason::NoSender)
        );
    }

    #[test]
    fn own_message_ids() {
        assert!(is_own_message_id(
            "loket.1.abc@kppn.example",
            "kppn.example"
        ));
        assert!(is_own_message_id(
            "<loket.1.abc@KPPN.example>",
            "kppn.example"
        ));
        assert!(!is_own_message_id(
            "loket.1.abc@kppn.example.evil",
            "kppn.example"
        ));
        assert!(!is_own_message_id("other.1@kppn.example", "kppn.example"));
        assert!(!is_own_message_id("loket.1@evil.example", "kppn.example"));
        assert!(!is_own_message_id("loket.1@kppn.example", ""));
    }

    #[test]
    fn folded_header_values_are_unfolded() {
        assert_eq!(unfold(" a\r\n\tb\r\n  c".into()), "a b c");
    }
}
