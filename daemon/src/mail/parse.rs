//! Raw mail bytes → [`ParsedMail`]: the fields the daemon needs, decoded and cleaned,
//! with no I/O. Built on mail-parser; this layer adds the guarantees the ingest loop
//! relies on: it never panics (a panic inside mail-parser becomes
//! [`ParseError::Panicked`]), headers are unfolded and free of control characters, the
//! body is readable text, and attachment names are safe.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use mail_parser::{Addr, MessageParser, MessagePart, MimeHeaders, PartType};
use thiserror::Error;

use super::attachment::{Attachment, extension_for, sanitize_filename};
use super::autodetect::{self, AutoReason, is_own_message_id, raw_headers};
use super::html_to_text;

/// A mailbox address from a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Display name, decoded and single-line; `None` when absent or blank.
    pub name: Option<String>,
    /// `local@domain`, trimmed, domain lowercased (the local part is case-sensitive in
    /// principle, so it is kept).
    pub email: String,
}

/// The parts of a mail the daemon works with.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// Without `<>`, trimmed; `None` when absent or empty.
    pub message_id: Option<String>,
    /// Without `<>`.
    pub in_reply_to: Vec<String>,
    /// Without `<>`, in header order.
    pub references: Vec<String>,
    /// The first From address.
    pub from: Option<Address>,
    pub reply_to: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// RFC 2047 decoded, single line: control characters and whitespace runs become one
    /// space. `""` when there is none.
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// The readable body with `\n` line ends: the text/plain part(s), else the HTML
    /// part(s) converted to text. `""` when there is none.
    pub text: String,
    /// True when `text` came from HTML only.
    pub html: bool,
    pub attachments: Vec<Attachment>,
    /// Why this mail must never be answered automatically; `None` for ordinary mail.
    pub automatic: Option<AutoReason>,
    /// `Authentication-Results` values, unfolded, topmost (newest) first.
    pub auth_results: Vec<String>,
    /// Raw length in bytes.
    pub size: usize,
}

impl ParsedMail {
    /// Whether the mail carries one of our own Message-IDs (see
    /// [`autodetect::is_own_message_id`]).
    pub fn is_own(&self, own_domain: &str) -> bool {
        self.message_id
            .as_deref()
            .is_some_and(|id| is_own_message_id(id, own_domain))
    }

    /// Marks the mail [`AutoReason::OwnMessage`] when it carries our own Message-ID: the
    /// most specific reason, so it replaces any other.
    pub fn flag_own(&mut self, own_domain: &str) {
        if self.is_own(own_domain) {
            self.automatic = Some(AutoReason::OwnMessage);
        }
    }

    /// The address to answer: Reply-To when given, else From.
    pub fn reply_address(&self) -> Option<&Address> {
        self.reply_to.as_ref().or(self.from.as_ref())
    }
}

/// Why a mail could not be parsed. The text is stored with the quarantined mail.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty: the mail has no bytes")]
    Empty,
    #[error("not a mail: no header section")]
    NoHeaders,
    #[error("mail parser panicked: {0}")]
    Panicked(String),
}

/// Parses one raw mail. Never panics; pathological input (deep MIME nesting, thousands
/// of recipients, broken encodings) parses to a best effort or returns an error.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    guarded(|| parse_inner(raw))
}

/// Runs `f`, turning a panic into [`ParseError::Panicked`]. The whole conversion runs
/// inside, not just mail-parser: our reading of its result must not take the ingest
/// loop down either. Nothing escapes the closure but owned data, so unwind safety
/// holds.
fn guarded<T>(f: impl FnOnce() -> Result<T, ParseError>) -> Result<T, ParseError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(std::string::ToString::to_string)
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(ParseError::Panicked(what))
    })
}

fn parse_inner(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    let mut msg = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NoHeaders)?;
    let mut result = convert(&msg, raw);
    if let Ok(mail) = &mut result {
        // The decoded files move out of the tree instead of being copied: a 9 MB PDF
        // is in memory once, not twice.
        for (a, id) in mail.attachments.iter_mut().zip(msg.attachments.clone()) {
            if let Some(part) = msg.parts.get_mut(id as usize) {
                a.data = take_contents(part);
            }
        }
    }
    drop_iteratively(msg);
    result
}

/// What [`MessagePart::contents`] gives, taken out of the part (no copy when the part
/// was decoded).
fn take_contents(part: &mut MessagePart<'_>) -> Vec<u8> {
    match std::mem::take(&mut part.body) {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.into_owned(),
        PartType::Text(t) | PartType::Html(t) => t.into_owned().into_bytes(),
        other => {
            part.body = other;
            part.contents().to_vec()
        }
    }
}

/// A parsed message tree that drops without recursion (see [`drop_iteratively`]), for
/// code that reads mail-parser's tree itself; a mail-parser panic is caught.
pub(crate) struct Tree<'a>(Option<mail_parser::Message<'a>>);

impl<'a> Tree<'a> {
    /// `Ok(None)` when mail-parser finds no message; `Err` when it panicked.
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Option<Tree<'a>>, String> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            mail_parser::MessageParser::default().parse(raw)
        }))
        .map(|m| m.map(|m| Tree(Some(m))))
        .map_err(|_| "mail-parser cannot read the mail (it panicked)".to_string())
    }
}

impl<'a> std::ops::Deref for Tree<'a> {
    type Target = mail_parser::Message<'a>;

    fn deref(&self) -> &Self::Target {
        // Only `drop` takes the message out.
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("a tree holds its message until dropped"))
    }
}

impl Drop for Tree<'_> {
    fn drop(&mut self) {
        if let Some(msg) = self.0.take() {
            drop_iteratively(msg);
        }
    }
}

/// Drops a message tree without recursion. mail-parser builds nested
/// `message/rfc822` parts iteratively and without a depth limit, but the derived drop
/// recurses once per level: a mail of 10,000 nested messages (a few hundred kB) would
/// overflow the stack, which no `catch_unwind` can catch.
fn drop_iteratively(msg: mail_parser::Message<'_>) {
    let mut pending = vec![msg];
    while let Some(mut msg) = pending.pop() {
        for part in &mut msg.parts {
            if matches!(part.body, PartType::Message(_))
                && let PartType::Message(inner) = std::mem::take(&mut part.body)
            {
                pending.push(inner);
            }
        }
        // `msg` now holds no nested message and drops shallowly here.
    }
}

fn convert(msg: &mail_parser::Message<'_>, raw: &[u8]) -> Result<ParsedMail, ParseError> {
    if msg.parts.first().is_none_or(|root| root.headers.is_empty()) {
        return Err(ParseError::NoHeaders);
    }
    let headers = raw_headers(msg);
    let values = |name: &'static str| header_values(&headers, name);

    let message_id = values("Message-ID")
        .next()
        .and_then(|v| msg_ids(v).into_iter().next());
    let in_reply_to = values("In-Reply-To").flat_map(msg_ids).collect();
    let references = values("References").flat_map(msg_ids).collect();
    let auth_results = values("Authentication-Results")
        .map(single_line)
        .filter(|v| !v.is_empty())
        .collect();

    let (text, html) = body_text(msg);
    let automatic = autodetect::detect(msg);

    Ok(ParsedMail {
        message_id,
        in_reply_to,
        references,
        from: msg.from().and_then(|a| a.iter().find_map(address)),
        reply_to: msg.reply_to().and_then(|a| a.iter().find_map(address)),
        to: msg
            .all_to()
            .flat_map(|a| a.iter())
            .filter_map(address)
            .collect(),
        cc: msg
            .all_cc()
            .flat_map(|a| a.iter())
            .filter_map(address)
            .collect(),
        subject: msg.subject().map(single_line).unwrap_or_default(),
        date: msg
            .date()
            .filter(|d| d.is_valid())
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        text,
        html,
        attachments: msg.attachments().map(attachment).collect(),
        automatic,
        auth_results,
        size: raw.len(),
    })
}

fn header_values<'a>(
    headers: &'a [(&'a str, Cow<'a, str>)],
    name: &'static str,
) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// Message identifiers from a Message-ID, In-Reply-To or References value: the
/// contents of each `<...>` with whitespace (folding) removed; when there are no angle
/// brackets, the whitespace/comma separated words that look like ids (contain `@`), or
/// the whole trimmed value for Message-ID-style single tokens.
pub fn msg_ids(value: &str) -> Vec<String> {
    let value = strip_comments(value);
    let mut ids = Vec::new();
    let mut rest = value.as_str();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let id: String = after[..close]
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        if !id.is_empty() && id.len() <= MAX_ID_BYTES {
            ids.push(id);
        }
        rest = &after[close + 1..];
    }
    if ids.is_empty() {
        let words: Vec<&str> = value
            .split(|c: char| {
                c.is_whitespace() || c == ',' || c.is_control() || c == '<' || c == '>'
            })
            .filter(|w| !w.is_empty())
            .collect();
        let with_at: Vec<String> = words
            .iter()
            .filter(|w| w.contains('@'))
            .map(std::string::ToString::to_string)
            .collect();
        if !with_at.is_empty() {
            ids = with_at;
        } else if words.len() == 1 {
            ids.push(words[0].to_string());
        }
    }
    ids.retain(|id| id.len() <= MAX_ID_BYTES);
    ids
}

/// An id longer than a header line may be (RFC 5322 §2.1.1) cannot be echoed in our
/// `In-Reply-To`/`References`, so it is not an id we can thread on.
const MAX_ID_BYTES: usize = 998;

/// Removes RFC 5322 comments `( ... )`, nesting allowed, outside angle brackets.
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut in_angle = false;
    for c in value.chars() {
        match c {
            '<' if depth == 0 => {
                in_angle = true;
                out.push(c);
            }
            '>' if depth == 0 => {
                in_angle = false;
                out.push(c);
            }
            '(' if !in_angle => depth += 1,
            ')' if !in_angle && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// One line of text: control characters (CR, LF, tab, NUL, …) and Unicode line
/// separators become spaces, runs of whitespace one space, trimmed. Subjects and names
/// end up in outgoing headers, so no line break may survive.
pub(crate) fn single_line(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn address(addr: &Addr<'_>) -> Option<Address> {
    let raw = addr.address.as_deref()?;
    let email: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let email = email.trim_matches(['<', '>']);
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let name = addr
        .name
        .as_deref()
        .map(single_line)
        .filter(|n| !n.is_empty());
    Some(Address {
        name,
        email: format!("{local}@{}", domain.to_lowercase()),
    })
}

/// The readable body and whether it came from HTML only. Uses mail-parser's choice of
/// body parts (text/plain preferred in multipart/alternative; HTML stands in when there
/// is no text), converting HTML with our own converter.
fn body_text(msg: &mail_parser::Message<'_>) -> (String, bool) {
    let mut pieces: Vec<Cow<'_, str>> = Vec::new();
    let mut any_plain = false;
    for id in &msg.text_body {
        match msg.parts.get(*id as usize).map(|p| &p.body) {
            Some(PartType::Text(text)) => {
                any_plain = true;
                pieces.push(Cow::Borrowed(text.as_ref()));
            }
            Some(PartType::Html(html)) => pieces.push(Cow::Owned(html_to_text(html))),
            _ => {}
        }
    }
    if pieces.is_empty() {
        // No text body chosen (e.g. only an HTML body in a related part).
        if let Some(PartType::Html(html)) = msg
            .html_body
            .first()
            .and_then(|id| msg.parts.get(*id as usize))
            .map(|p| &p.body)
        {
            pieces.push(Cow::Owned(html_to_text(html)));
        }
    }
    let html_only = !pieces.is_empty() && !any_plain;
    let joined = pieces
        .iter()
        .map(|p| normalize_newlines(p))
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (joined, html_only)
}

/// CRLF and lone CR become LF; NUL is dropped (SQLite text and terminals choke on it).
fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\0' => {}
            c => out.push(c),
        }
    }
    out
}

fn attachment(part: &MessagePart<'_>) -> Attachment {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .map(|ct| single_line(&ct).to_ascii_lowercase())
        .filter(|ct| ct.contains('/'))
        .unwrap_or_else(|| match part.body {
            PartType::Text(_) => "text/plain".to_string(),
            PartType::Html(_) => "text/html".to_string(),
            PartType::Message(_) => "message/rfc822".to_string(),
            _ => "application/octet-stream".to_string(),
        });
    let original_name = part
        .attachment_name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let filename = match &original_name {
        Some(name) => sanitize_filename(name),
        None => sanitize_filename(&format!("lampiran{}", extension_for(&content_type))),
    };
    let inline = matches!(part.body, PartType::InlineBinary(_))
        || part
            .content_disposition()
            .is_some_and(mail_parser::ContentType::is_inline);
    Attachment {
        filename,
        original_name,
        content_type,
        inline,
        // Moved in by `parse_inner` once the rest is read.
        data: Vec::new(),
        stored: None,
        body: Some(part.offset_body as usize..part.offset_end as usize),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn msg_ids_with_and_without_brackets() {
        assert_eq!(msg_ids(" <a@b.example>\r\n"), vec!["a@b.example"]);
        assert_eq!(msg_ids("a@b.example"), vec!["a@b.example"]);
        assert_eq!(
            msg_ids("<a@b>\r\n <c@d> (comment <x@y>)"),
            vec!["a@b", "c@d"]
        );
        assert_eq!(msg_ids("a@b c@d"), vec!["a@b", "c@d"]);
        assert_eq!(msg_ids("<a\r\n @b>"), vec!["a@b"]);
        assert_eq!(msg_ids("<>"), Vec::<String>::new());
        assert_eq!(msg_ids("   "), Vec::<String>::new());
        assert_eq!(msg_ids("token-without-at"), vec!["token-without-at"]);
        let huge = format!("<{}@x>", "a".repeat(2000));
        assert_eq!(msg_ids(&format!("{huge} <ok@x>")), vec!["ok@x"]);
    }

    #[test]
    fn single_line_removes_every_break() {
        assert_eq!(single_line(" a\r\n\tb\u{2028}c\0d  "), "a b c d");
        assert_eq!(single_line("\r\n"), "");
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let result: Result<(), ParseError> = guarded(|| panic!("boom {}", 1));
        assert_eq!(result, Err(ParseError::Panicked("boom 1".into())));
        let result: Result<(), ParseError> = guarded(|| std::panic::panic_any(7u8));
        assert_eq!(result, Err(ParseError::Panicked("unknown panic".into())));
        assert_eq!(guarded(|| Ok(3)), Ok(3));
    }

    #[test]
    fn newline_normalization() {
        assert_eq!(normalize_newlines("a\r\nb\rc\nd\0"), "a\nb\nc\nd");
    }
}
