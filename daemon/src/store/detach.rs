//! A forwarded attachment is stored once: a queued mail keeps, in place of each base64
//! attachment body the store already holds under `attachments/<sha256>`, one line
//! `loketd-attachment:<sha256>`; the body is put back when the mail is sent. A 9 MB
//! PDF forwarded to two CSOs no longer puts two more copies of it into the database.
//! Mail composed by loketd names its stored files that way from the start
//! (`compose::FileContent::Stored`); [`detach`] catches any other copy of a stored file.

use std::path::Path;

use mail_parser::MimeHeaders;
use rusqlite::{Connection, OptionalExtension};

use super::raw::{self, Layout};
use super::{StoreError, attachment_path, sha256_hex};
use crate::mail::compose::STORED_FILE as PLACEHOLDER;
use crate::mail::parse::Tree;

/// `raw` with the body of each base64 attachment the store holds replaced by its
/// placeholder line.
pub(crate) fn detach(conn: &Connection, raw: &[u8]) -> Result<Vec<u8>, StoreError> {
    // Most mails (acknowledgements, notes) carry no file: no need to parse them.
    if !raw
        .windows(11)
        .any(|w| w.eq_ignore_ascii_case(b"attachment;"))
    {
        return Ok(raw.to_vec());
    }
    // Kept whole when it cannot be read.
    let Some(msg) = parse(raw).ok().flatten() else {
        return Ok(raw.to_vec());
    };
    let mut cuts: Vec<(usize, usize, String)> = Vec::new();
    for part in msg.attachments() {
        let base64 = part
            .content_transfer_encoding()
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        if !base64 || start >= end || end > raw.len() {
            continue;
        }
        let sha = sha256_hex(part.contents());
        let stored = conn
            .query_row(
                "SELECT 1 FROM attachments WHERE sha256 = ?1 LIMIT 1",
                [&sha],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if stored {
            cuts.push((start, end, sha));
        }
    }
    if cuts.is_empty() {
        return Ok(raw.to_vec());
    }
    cuts.sort_by_key(|c| c.0);
    let mut out = Vec::with_capacity(raw.len() / 4);
    let mut at = 0;
    for (start, end, sha) in cuts {
        if start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..start]);
        out.extend_from_slice(format!("{PLACEHOLDER}{sha}\r\n").as_bytes());
        at = end;
    }
    out.extend_from_slice(&raw[at..]);
    Ok(out)
}

/// mail-parser panics on some mail, loketd's own composed mail among it (found by the
/// fuzzer: `fuzz/regressions/mail-parser-panic-on-a-composed-notification-caught`): the
/// panic is caught here, never taken down the ingest or the sender with it.
/// The queued mail's tree: a mail-parser panic is caught, and a deeply nested forwarded
/// message drops without overflowing the stack.
fn parse(raw: &[u8]) -> Result<Option<Tree<'_>>, String> {
    Tree::parse(raw)
}

/// `raw` with each placeholder replaced by the attachment's base64 body (76 characters
/// a line), encoded as the file is read: the mail to send is the one copy in memory.
/// Fails when a file is missing from `data_dir`.
///
/// A placeholder counts only as the whole body of a base64 part, found by parsing the
/// mail's real structure: the same words written in a text part (a stakeholder's mail
/// quoted to staff, however it imitates MIME) stay words.
pub(crate) fn attach(raw: &[u8], data_dir: &Path) -> Result<Vec<u8>, String> {
    let needle = PLACEHOLDER.as_bytes();
    if !raw.windows(needle.len()).any(|w| w == needle) {
        return Ok(raw.to_vec());
    }
    let Some(msg) = parse(raw)? else {
        return Ok(raw.to_vec());
    };
    let mut cuts: Vec<(usize, usize, String)> = Vec::new();
    for part in &msg.parts {
        let base64 = part
            .content_transfer_encoding()
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        if !base64 || start >= end || end > raw.len() {
            continue;
        }
        let body = String::from_utf8_lossy(&raw[start..end]);
        let sha = body
            .trim()
            .strip_prefix(PLACEHOLDER)
            .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()));
        if let Some(sha) = sha {
            cuts.push((start, end, sha.to_string()));
        }
    }
    cuts.sort_by_key(|c| c.0);
    let mut files = Vec::with_capacity(cuts.len());
    let mut size = raw.len() as u64;
    for (_, _, sha) in &cuts {
        let path = attachment_path(data_dir, sha);
        let cannot =
            |e: std::io::Error| format!("attachment {} for this mail: {e}", path.display());
        let file = std::fs::File::open(&path).map_err(cannot)?;
        let len = file.metadata().map_err(cannot)?.len();
        size += len / 57 * 78 + 80;
        files.push((file, path, len));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut at = 0;
    for ((start, end, _), (file, path, len)) in cuts.into_iter().zip(files) {
        if start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..start]);
        let mut append = |piece: &[u8]| {
            out.extend_from_slice(piece);
            true
        };
        // An empty file is an empty body (no line, so no line ending).
        if len > 0 {
            raw::encode(file, Layout::MIME, &mut append)
                .map_err(|e| format!("attachment {} for this mail: {e}", path.display()))?;
        }
        at = end;
    }
    out.extend_from_slice(&raw[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::Store;
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};

    fn mail_with(data: &[u8]) -> Vec<u8> {
        lettre::Message::builder()
            .from("a@kppn.example".parse().unwrap())
            .to("b@kppn.example".parse().unwrap())
            .subject("x")
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain("teks".to_string()))
                    .singlepart(Attachment::new("spm.pdf".into()).body(
                        data.to_vec(),
                        ContentType::parse("application/pdf").unwrap(),
                    )),
            )
            .unwrap()
            .formatted()
    }

    #[test]
    fn a_stored_attachment_leaves_the_queued_mail_and_comes_back_when_sent() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let data: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let raw = mail_with(&data);
        // Not stored yet: nothing changes.
        assert_eq!(detach(store.conn(), &raw).unwrap(), raw);
        let sha = store.save_attachment(&data).unwrap();
        store
            .conn()
            .execute_batch(&format!(
                "INSERT INTO messages (id, dedup_key, raw_sha256, kind, size, received_at)
                 VALUES (1, 'k', 'r', 'stakeholder', 1, '2026-01-01');
                 INSERT INTO attachments (message_row, sha256, filename, content_type, size)
                 VALUES (1, '{sha}', 'spm.pdf', 'application/pdf', {});",
                data.len()
            ))
            .unwrap();
        let queued = detach(store.conn(), &raw).unwrap();
        assert!(queued.len() < 2_000, "{} bytes queued", queued.len());
        let sent = attach(&queued, dir.path()).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&sent).unwrap();
        let a = parsed.attachments().next().unwrap();
        assert_eq!(a.attachment_name(), Some("spm.pdf"));
        assert_eq!(a.contents(), &data[..]);
        assert_eq!(parsed.body_text(0).unwrap().trim(), "teks");
        // The same words in a text part, even imitating a base64 part, are words.
        let forged = format!(
            "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             --b\r\nContent-Transfer-Encoding: base64\r\n\r\n{PLACEHOLDER}{sha}\r\n"
        );
        assert_eq!(
            attach(forged.as_bytes(), dir.path()).unwrap(),
            forged.as_bytes()
        );
        // The file gone (pruned): the mail cannot be sent and says why.
        std::fs::remove_file(attachment_path(dir.path(), &sha)).unwrap();
        assert!(attach(&queued, dir.path()).unwrap_err().contains(&sha));
    }

    #[test]
    fn a_forwarded_message_nested_ten_thousand_deep_does_not_overflow_the_stack() {
        // A stakeholder attached a mail that nests 10,000 messages: a notification
        // forwards it as message/rfc822, and reading the queued mail builds that tree.
        let mut nested = String::from("Subject: innermost\r\n\r\nx\r\n");
        for _ in 0..10_000 {
            nested = format!("Content-Type: message/rfc822\r\n\r\n{nested}");
        }
        let raw = format!(
            "From: a@kppn.example\r\nTo: b@kppn.example\r\nSubject: x\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nteks\r\n\
             --b\r\nContent-Type: message/rfc822\r\n\
             Content-Disposition: attachment; filename=\"lama.eml\"\r\n\r\n{nested}\r\n--b--\r\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Run where a recursive drop would overflow: a thread with a small stack.
        let conn_path = dir.path().to_path_buf();
        drop(store);
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let store = Store::open(&conn_path).unwrap();
                assert_eq!(
                    detach(store.conn(), raw.as_bytes()).unwrap(),
                    raw.as_bytes()
                );
                assert_eq!(attach(raw.as_bytes(), &conn_path).unwrap(), raw.as_bytes());
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
