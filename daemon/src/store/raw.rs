//! The raw mail as received, with each attachment once. `raw/<sha256>.eml` is named by
//! the hash of the mail as received; its content is that mail with every base64 body
//! whose decoded file the store keeps for the same mail (`attachments/<sha256>`) cut
//! out and replaced by one line naming the file and how it was laid out:
//!
//! `[loketd-stored-base64 sha256=<hex> size=<bytes> line=<chars> eol=crlf|lf ends=<n>]`
//!
//! (`line`: characters a line, the last line may be shorter; `eol`: the line ending;
//! `ends`: line endings after the last line, inside the body). A body that is its file
//! as it is, unencoded (a mail forwarded as an attachment, `message/rfc822`, whose
//! own attachments would otherwise be kept twice), is cut the same way:
//!
//! `[loketd-stored-bytes sha256=<hex> size=<bytes>]`
//!
//! As Dovecot's `mail_attachment_dir` does, a body is cut only when encoding the file
//! again that way gives back its bytes exactly, compared byte for byte when the mail is
//! saved; any other body (odd line lengths, whitespace, padding left out,
//! quoted-printable) stays in the file. A mail whose bytes hold the placeholders'
//! common opening words anywhere is kept whole, so every placeholder in a cut file is
//! one loketd wrote. A file whose content has the hash it is named by is a mail kept
//! whole.
//!
//! [`read`] rebuilds the mail as received and checks its hash; [`needs`] lists the
//! attachment files a raw file needs (backup copies them, retention keeps them).

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::{attachment_path, sha256_hex};
use crate::mail::attachment::Attachment;

/// How every placeholder begins; a mail holding these bytes is never cut.
const MARK: &[u8] = b"[loketd-stored-";
/// The two kinds of placeholder, after [`MARK`].
const BASE64: &[u8] = b"base64 ";
const BYTES: &[u8] = b"bytes ";
/// A placeholder is shorter than this.
const MAX_PLACEHOLDER: usize = 200;

/// An attachment body of a mail, with the file the store keeps of it.
pub(crate) struct Body<'a> {
    /// Its encoded bytes in the raw mail.
    pub range: Range<usize>,
    /// Its decoded content, kept as `attachments/<sha256>`.
    pub data: &'a [u8],
    pub sha256: &'a str,
}

/// The bodies of a parsed mail's attachments saved as files.
pub(crate) fn bodies(attachments: &[Attachment]) -> Vec<Body<'_>> {
    attachments
        .iter()
        .filter_map(|a| {
            Some(Body {
                range: a.body.clone()?,
                data: &a.data,
                sha256: a.stored.as_deref()?,
            })
        })
        .collect()
}

/// How a base64 body is laid out in lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Characters a line; the last may have fewer.
    line: usize,
    crlf: bool,
    /// Line endings after the last line.
    ends: usize,
}

impl Layout {
    /// As MIME writers lay it out (RFC 2045): lines of 76 characters, each ended by CRLF.
    pub(super) const MIME: Layout = Layout {
        line: 76,
        crlf: true,
        ends: 1,
    };

    fn eol(self) -> &'static [u8] {
        if self.crlf { b"\r\n" } else { b"\n" }
    }

    /// The layout `body` would have, if it is base64 laid out in lines at all.
    fn of(body: &[u8]) -> Option<Layout> {
        let (line, crlf) = match body.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && body[i - 1] == b'\r' => (i - 1, true),
            Some(i) => (i, false),
            None => (body.len(), true),
        };
        if line == 0 {
            return None;
        }
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut rest = body;
        let mut ends = 0;
        while let Some(r) = rest.strip_suffix(eol) {
            rest = r;
            ends += 1;
        }
        Some(Layout { line, crlf, ends })
    }
}

/// Hands the base64 of everything `from` reads, laid out as `layout` says, to `emit`
/// piece by piece (a few kB at a time: a 9 MB file is never encoded whole in memory);
/// stops as soon as `emit` returns false. Returns whether it got to the end.
pub(super) fn encode(
    mut from: impl Read,
    layout: Layout,
    emit: &mut dyn FnMut(&[u8]) -> bool,
) -> std::io::Result<bool> {
    const CHUNK: usize = 3 * 16 * 1024;
    let mut buf = vec![0u8; CHUNK];
    let mut chars = vec![0u8; CHUNK / 3 * 4];
    let mut col = 0;
    loop {
        // Whole chunks until the end: padding only comes last.
        let mut filled = 0;
        while filled < buf.len() {
            match from.read(&mut buf[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(&buf[..filled], &mut chars)
            .map_err(std::io::Error::other)?;
        let mut rest = &chars[..n];
        while !rest.is_empty() {
            if col == layout.line {
                if !emit(layout.eol()) {
                    return Ok(false);
                }
                col = 0;
            }
            let take = (layout.line - col).min(rest.len());
            if !emit(&rest[..take]) {
                return Ok(false);
            }
            col += take;
            rest = &rest[take..];
        }
        if filled < buf.len() {
            break;
        }
    }
    for _ in 0..layout.ends {
        if !emit(layout.eol()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `data`, encoded as `layout` says, is `body` byte for byte.
fn encodes_to(data: &[u8], layout: Layout, body: &[u8]) -> bool {
    let mut at = 0;
    let mut same = |piece: &[u8]| {
        let end = at + piece.len();
        let ok = body.get(at..end) == Some(piece);
        at = end;
        ok
    };
    matches!(encode(data, layout, &mut same), Ok(true)) && at == body.len()
}

/// How a cut body was written in the mail: base64 in lines, or the file's own bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Base64(Layout),
    Bytes,
}

fn placeholder(sha256: &str, size: usize, e: Encoding) -> String {
    let mark = String::from_utf8_lossy(MARK);
    match e {
        Encoding::Base64(l) => format!(
            "{mark}base64 sha256={sha256} size={size} line={} eol={} ends={}]",
            l.line,
            if l.crlf { "crlf" } else { "lf" },
            l.ends
        ),
        Encoding::Bytes => format!("{mark}bytes sha256={sha256} size={size}]"),
    }
}

/// How `body` can be rebuilt from `data` byte for byte, if it can.
fn encoding_of(data: &[u8], body: &[u8]) -> Option<Encoding> {
    if body == data {
        return Some(Encoding::Bytes);
    }
    let layout = Layout::of(body)?;
    encodes_to(data, layout, body).then_some(Encoding::Base64(layout))
}

/// `raw` with each body in `bodies` that can be rebuilt exactly from its file replaced
/// by its placeholder; `None` when none can (the mail is kept whole).
pub(crate) fn cut(raw: &[u8], bodies: &[Body<'_>]) -> Option<Vec<u8>> {
    if bodies.is_empty() || find(raw, 0).is_some() {
        return None;
    }
    let mut cuts: Vec<(Range<usize>, String)> = Vec::new();
    for b in bodies {
        let Some(body) = raw.get(b.range.clone()) else {
            continue;
        };
        // The hash is the one the file was just saved under; it becomes a path when read.
        let plain_hex = b.sha256.len() == 64 && b.sha256.bytes().all(|c| c.is_ascii_hexdigit());
        if b.data.is_empty() || !plain_hex {
            continue;
        }
        if let Some(e) = encoding_of(b.data, body) {
            let line = placeholder(b.sha256, b.data.len(), e);
            if body.len() > line.len() {
                cuts.push((b.range.clone(), line));
            }
        }
    }
    if cuts.is_empty() {
        return None;
    }
    cuts.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(raw.len().min(64 * 1024));
    let mut at = 0;
    for (range, line) in cuts {
        if range.start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..range.start]);
        out.extend_from_slice(line.as_bytes());
        at = range.end;
    }
    out.extend_from_slice(&raw[at..]);
    Some(out)
}

/// Where the next placeholder from `from` on begins.
fn find(file: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = file.get(at..)?.iter().position(|&b| b == MARK[0]) {
        let start = at + i;
        if file[start..].starts_with(MARK) {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// A placeholder read back.
#[derive(Debug, PartialEq, Eq)]
struct Stored {
    sha256: String,
    size: u64,
    encoding: Encoding,
    /// Its bytes in the file.
    range: Range<usize>,
}

/// The placeholder at `start`; `None` when it does not read.
fn placeholder_at(file: &[u8], start: usize) -> Option<Stored> {
    let kind_at = start + MARK.len();
    let rest = file.get(kind_at..)?;
    let (base64, fields_at) = if rest.starts_with(BASE64) {
        (true, kind_at + BASE64.len())
    } else if rest.starts_with(BYTES) {
        (false, kind_at + BYTES.len())
    } else {
        return None;
    };
    let window = file.get(fields_at..(start + MAX_PLACEHOLDER).min(file.len()))?;
    let len = window.iter().position(|&b| b == b']')?;
    let fields = std::str::from_utf8(&window[..len]).ok()?;
    let (mut sha256, mut size, mut line, mut crlf, mut ends) = (None, None, None, None, None);
    for field in fields.split(' ') {
        match field.split_once('=')? {
            ("sha256", v) if v.len() == 64 && v.bytes().all(|c| c.is_ascii_hexdigit()) => {
                sha256 = Some(v.to_string());
            }
            ("size", v) => size = v.parse().ok(),
            ("line", v) => line = v.parse().ok().filter(|&l| l > 0),
            ("eol", "crlf") => crlf = Some(true),
            ("eol", "lf") => crlf = Some(false),
            ("ends", v) => ends = v.parse().ok(),
            _ => return None,
        }
    }
    let encoding = if base64 {
        Encoding::Base64(Layout {
            line: line?,
            crlf: crlf?,
            ends: ends?,
        })
    } else if (line, crlf, ends) == (None, None, None) {
        Encoding::Bytes
    } else {
        return None;
    };
    Some(Stored {
        sha256: sha256?,
        size: size?,
        encoding,
        range: start..fields_at + len + 1,
    })
}

/// Why a stored mail cannot be given back as received.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: the attachment file {attachment} it needs is missing ({source}); the mail cannot be rebuilt as received: restore that file from a backup"
    )]
    Missing {
        path: PathBuf,
        attachment: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: the attachment file {attachment} has {found} bytes where the mail held {size}; the mail cannot be rebuilt as received: restore that file from a backup"
    )]
    Size {
        path: PathBuf,
        attachment: PathBuf,
        found: u64,
        size: u64,
    },
    #[error("{path}: byte {at}: a placeholder for a stored attachment that does not read")]
    Placeholder { path: PathBuf, at: usize },
    #[error(
        "{path} does not rebuild to the mail it is named by (its sha256 is {found}): the file or an attachment it needs was changed; restore them from a backup"
    )]
    Mismatch { path: PathBuf, found: String },
    #[error("{0:?} is not a mail's sha256 (64 hex digits)")]
    NotAHash(String),
}

/// Where the mail with hash `sha256` is kept under `data_dir`.
pub(crate) fn raw_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("raw").join(format!("{sha256}.eml"))
}

/// The mail with hash `sha256` as received: its raw file with every attachment body put
/// back, checked against the hash.
pub fn read(data_dir: &Path, sha256: &str) -> Result<Vec<u8>, RawError> {
    if sha256.len() != 64 || !sha256.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(RawError::NotAHash(sha256.to_string()));
    }
    let sha256 = sha256.to_ascii_lowercase();
    let path = raw_path(data_dir, &sha256);
    let file = std::fs::read(&path).map_err(|source| RawError::Io {
        path: path.clone(),
        source,
    })?;
    rebuilt(&file, &path, data_dir, &sha256)
}

/// `file` (the content of `path`) as the mail it stands for, checked against `sha256`.
pub(crate) fn rebuilt(
    file: &[u8],
    path: &Path,
    data_dir: &Path,
    sha256: &str,
) -> Result<Vec<u8>, RawError> {
    if sha256_hex(file) == sha256 {
        return Ok(file.to_vec());
    }
    let mail = rebuild(file, path, data_dir)?;
    let found = sha256_hex(&mail);
    if found != sha256 {
        return Err(RawError::Mismatch {
            path: path.to_path_buf(),
            found,
        });
    }
    Ok(mail)
}

/// `file` with each placeholder replaced by its body, encoded from its file as it is
/// read.
fn rebuild(file: &[u8], path: &Path, data_dir: &Path) -> Result<Vec<u8>, RawError> {
    let mut parts = Vec::new();
    let mut size = file.len() as u64;
    let mut at = 0;
    while let Some(start) = find(file, at) {
        let stored = placeholder_at(file, start).ok_or_else(|| RawError::Placeholder {
            path: path.to_path_buf(),
            at: start,
        })?;
        let attachment = attachment_path(data_dir, &stored.sha256);
        let (found, f) = std::fs::File::open(&attachment)
            .and_then(|f| Ok((f.metadata()?.len(), f)))
            .map_err(|source| RawError::Missing {
                path: path.to_path_buf(),
                attachment: attachment.clone(),
                source,
            })?;
        if found != stored.size {
            return Err(RawError::Size {
                path: path.to_path_buf(),
                attachment,
                found,
                size: stored.size,
            });
        }
        size += match stored.encoding {
            Encoding::Base64(_) => stored.size / 3 * 4 + stored.size / 48 * 2 + 8,
            Encoding::Bytes => stored.size,
        };
        at = stored.range.end;
        parts.push((stored, f, attachment));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut at = 0;
    for (stored, f, attachment) in parts {
        out.extend_from_slice(&file[at..stored.range.start]);
        let written = match stored.encoding {
            Encoding::Base64(layout) => {
                let mut emit = |piece: &[u8]| {
                    out.extend_from_slice(piece);
                    true
                };
                encode(f, layout, &mut emit).map(|_| ())
            }
            Encoding::Bytes => std::io::copy(&mut { f }, &mut out).map(|_| ()),
        };
        written.map_err(|source| RawError::Io {
            path: attachment,
            source,
        })?;
        at = stored.range.end;
    }
    out.extend_from_slice(&file[at..]);
    Ok(out)
}

/// The attachment files (their sha256) the raw file `file`, named `sha256`, needs to be
/// rebuilt: none for a mail kept whole.
pub(crate) fn needs(file: &[u8], sha256: &str) -> Vec<String> {
    if sha256_hex(file) == sha256 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find(file, at) {
        match placeholder_at(file, start) {
            Some(s) => {
                at = s.range.end;
                out.push(s.sha256);
            }
            None => at = start + 1,
        }
    }
    out
}

/// Whether the raw file content `file` stands for the mail with hash `sha256`: kept
/// whole, or cut and rebuilt from the files under `data_dir`.
pub(crate) fn stands_for(file: &[u8], data_dir: &Path, sha256: &str) -> bool {
    sha256_hex(file) == sha256
        || rebuild(file, &raw_path(data_dir, sha256), data_dir)
            .is_ok_and(|mail| sha256_hex(&mail) == sha256)
}

/// Attachments for the store's tests.
#[cfg(test)]
pub(crate) mod sample {
    use base64::Engine;

    /// Deterministic bytes that do not compress into a pattern (a stand-in for a PDF).
    pub(crate) fn file(len: usize) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// `data` in base64, in lines of `line` characters joined by `eol`.
    pub(crate) fn wrapped(data: &[u8], line: usize, eol: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        b64.as_bytes()
            .chunks(line)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(eol)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::mail::parse;

    use super::sample::{file, wrapped};

    /// A mail with one attachment whose encoded body is `body`, laid out by `tail`
    /// (what follows the body up to the closing boundary).
    fn mail(body: &str, tail: &str) -> Vec<u8> {
        format!(
            "From: a@satker.example\r\nTo: loket@kppn.example\r\nSubject: SPM\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTerlampir.\r\n--b\r\n\
             Content-Type: application/pdf; name=\"spm.pdf\"\r\n\
             Content-Disposition: attachment; filename=\"spm.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{body}{tail}--b--\r\n"
        )
        .into_bytes()
    }

    /// Stores `raw` as ingest does (its attachments, then the raw file, cut where it
    /// can be) in `dir`; returns its hash and the raw file's content.
    fn store(dir: &Path, raw: &[u8]) -> (String, Vec<u8>) {
        std::fs::create_dir_all(dir.join("raw")).unwrap();
        std::fs::create_dir_all(dir.join("attachments")).unwrap();
        let mut m = parse::parse(raw).unwrap();
        for a in &mut m.attachments {
            let sha = sha256_hex(&a.data);
            std::fs::write(attachment_path(dir, &sha), &a.data).unwrap();
            a.stored = Some(sha);
        }
        let content = cut(raw, &bodies(&m.attachments)).unwrap_or_else(|| raw.to_vec());
        let sha = sha256_hex(raw);
        std::fs::write(raw_path(dir, &sha), &content).unwrap();
        (sha, content)
    }

    /// Stored cut, and read back byte for byte.
    fn round_trip(raw: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let (sha, kept) = store(dir.path(), raw);
        assert!(kept.len() < raw.len(), "nothing was cut");
        assert!(kept.windows(MARK.len()).any(|w| w == MARK));
        assert_eq!(read(dir.path(), &sha).unwrap(), raw);
        assert_eq!(needs(&kept, &sha).len(), 1);
        kept
    }

    /// Outlook's and Thunderbird's "forward as attachment": the whole earlier mail, its
    /// PDF inside, as a `message/rfc822` part (7bit, so the part's body is the file).
    #[test]
    fn a_mail_forwarded_as_an_attachment_is_kept_once_and_rebuilt() {
        let data = file(150_000);
        let inner = mail(&wrapped(&data, 76, "\r\n"), "\r\n");
        let raw = [
            &b"From: b@satker.example\r\nTo: loket@kppn.example\r\nSubject: Fw: SPM\r\n\
               MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
               --o\r\nContent-Type: text/plain\r\n\r\nMohon dicek.\r\n--o\r\n\
               Content-Type: message/rfc822\r\n\
               Content-Disposition: attachment; filename=\"SPM.eml\"\r\n\r\n"[..],
            &inner,
            b"\r\n--o--\r\n",
        ]
        .concat();
        let kept = round_trip(&raw);
        assert!(kept.len() < 1_000, "{} bytes kept", kept.len());
        let text = String::from_utf8_lossy(&kept);
        assert!(
            text.contains(&format!(
                "[loketd-stored-bytes sha256={} size={}]",
                sha256_hex(&inner),
                inner.len()
            )),
            "{text}"
        );
        // A bytes placeholder with a base64 field does not read: it is not one loketd
        // wrote, and the mail is not rebuilt from it.
        let dir = tempfile::tempdir().unwrap();
        let (sha, kept) = store(dir.path(), &raw);
        let odd = String::from_utf8_lossy(&kept).replace("]\r\n--o--", " line=76]\r\n--o--");
        std::fs::write(raw_path(dir.path(), &sha), odd).unwrap();
        assert!(matches!(
            read(dir.path(), &sha),
            Err(RawError::Placeholder { .. })
        ));
    }

    #[test]
    fn a_lettre_made_mail_is_cut_and_rebuilt_byte_for_byte() {
        use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
        let data = file(200_000);
        let raw = lettre::Message::builder()
            .from("a@satker.example".parse().unwrap())
            .to("loket@kppn.example".parse().unwrap())
            .subject("SPM")
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain("Terlampir.".to_string()))
                    .singlepart(
                        Attachment::new("spm.pdf".into())
                            .body(data.clone(), ContentType::parse("application/pdf").unwrap()),
                    ),
            )
            .unwrap()
            .formatted();
        let kept = round_trip(&raw);
        assert!(kept.len() < 2_000, "{} bytes kept", kept.len());
    }

    #[test]
    fn client_layouts_are_cut_and_rebuilt_byte_for_byte() {
        let data = file(100_001);
        // Gmail: 76 characters, CRLF, the boundary right after the last line.
        round_trip(&mail(&wrapped(&data, 76, "\r\n"), "\r\n"));
        // Outlook: 76 characters, CRLF, an empty line before the boundary.
        round_trip(&mail(&wrapped(&data, 76, "\r\n"), "\r\n\r\n"));
        // Apple Mail: 76 characters, CRLF, the last line ending a line of its own
        // before an empty one.
        round_trip(&mail(&wrapped(&data[..99_999], 76, "\r\n"), "\r\n\r\n"));
        // Thunderbird: 72 characters.
        round_trip(&mail(&wrapped(&data, 72, "\r\n"), "\r\n"));
        // Saved with LF line ends (a file on disk, a server that strips CR).
        let lf = String::from_utf8(mail(&wrapped(&data, 76, "\n"), "\n"))
            .unwrap()
            .replace("\r\n", "\n");
        round_trip(lf.as_bytes());
        // One unwrapped line.
        round_trip(&mail(&wrapped(&data, usize::MAX, "\r\n"), "\r\n"));
    }

    #[test]
    fn a_body_its_file_does_not_give_back_exactly_stays_whole() {
        // Not a multiple of 3: its base64 ends in padding.
        let data = file(30_001);
        let b64 = wrapped(&data, 76, "\r\n");
        let odd = [
            // A first line twice as long as the others.
            b64.replacen("\r\n", "", 1),
            // Trailing spaces.
            b64.replace("\r\n", " \r\n"),
            // Padding left out.
            b64.trim_end_matches('=').to_string(),
            // Mixed line ends.
            b64.replacen("\r\n", "\n", 3),
            // A space on a line of its own after the last line.
            format!("{b64}\r\n "),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (i, body) in odd.iter().enumerate() {
            let raw = mail(body, "\r\n");
            assert_eq!(parse::parse(&raw).unwrap().attachments.len(), 1, "{i}");
            let (sha, kept) = store(dir.path(), &raw);
            assert!(kept == raw, "{i}: kept whole");
            assert!(read(dir.path(), &sha).unwrap() == raw, "{i}");
            assert!(needs(&kept, &sha).is_empty());
        }
        // Quoted-printable: nothing to cut.
        let qp = String::from_utf8(mail("Terlampir =3D SPM.", "\r\n"))
            .unwrap()
            .replace("base64", "quoted-printable")
            .replace("application/pdf", "text/plain");
        let (_, kept) = store(dir.path(), qp.as_bytes());
        assert_eq!(kept, qp.as_bytes());
    }

    #[test]
    fn a_mail_holding_the_placeholder_words_is_kept_whole() {
        let data = file(30_000);
        let raw = String::from_utf8(mail(&wrapped(&data, 76, "\r\n"), "\r\n"))
            .unwrap()
            .replace(
                "Terlampir.",
                "[loketd-stored-base64 sha256=00 size=1 line=76 eol=crlf ends=0]",
            );
        let dir = tempfile::tempdir().unwrap();
        let (sha, kept) = store(dir.path(), raw.as_bytes());
        assert_eq!(kept, raw.as_bytes());
        assert_eq!(read(dir.path(), &sha).unwrap(), raw.as_bytes());
        assert!(needs(&kept, &sha).is_empty());
    }

    #[test]
    fn a_missing_or_changed_attachment_file_is_a_clear_error() {
        let data = file(30_000);
        let raw = mail(&wrapped(&data, 76, "\r\n"), "\r\n");
        let dir = tempfile::tempdir().unwrap();
        let (sha, _) = store(dir.path(), &raw);
        let file_sha = sha256_hex(&data);
        let attachment = attachment_path(dir.path(), &file_sha);
        // Cut short.
        std::fs::write(&attachment, &data[..100]).unwrap();
        let e = read(dir.path(), &sha).unwrap_err().to_string();
        assert!(
            e.contains(&format!("{sha}.eml")) && e.contains(&file_sha),
            "{e}"
        );
        assert!(e.contains("100 bytes where the mail held 30000"), "{e}");
        // Same size, other bytes: the hash check catches it.
        let mut changed = data.clone();
        changed[5] ^= 1;
        std::fs::write(&attachment, &changed).unwrap();
        let e = read(dir.path(), &sha).unwrap_err().to_string();
        assert!(
            e.contains("does not rebuild to the mail it is named by"),
            "{e}"
        );
        // Gone.
        std::fs::remove_file(&attachment).unwrap();
        let e = read(dir.path(), &sha).unwrap_err().to_string();
        assert!(
            e.contains(&format!("{sha}.eml"))
                && e.contains(&format!("attachments/{file_sha}"))
                && e.contains("missing")
                && e.contains("restore that file from a backup"),
            "{e}"
        );
        assert!(matches!(
            read(dir.path(), "../x").unwrap_err(),
            RawError::NotAHash(_)
        ));
    }

    #[test]
    fn a_quarantined_cut_mail_keeps_its_attachment_through_retention_and_backup() {
        // A staff reply quarantined after it was parsed (its ticket is not in this
        // database): its raw file is cut, and no attachment row names its file. The
        // same file came with a mail whose retention has passed.
        let dir = tempfile::tempdir().unwrap();
        let mut s = super::super::Store::open(dir.path()).unwrap();
        let data = file(30_000);
        let raw = mail(&wrapped(&data, 76, "\r\n"), "\r\n");
        let (sha, kept) = store(dir.path(), &raw);
        assert!(kept.len() < 1_000);
        let file_sha = sha256_hex(&data);
        s.conn()
            .execute_batch(&format!(
                "INSERT INTO quarantine (folder, uidvalidity, uid, raw_sha256, size, reason, at)
                 VALUES ('INBOX', 1, 1, '{sha}', 1, 'unknown ticket', '2026-01-01T00:00:00Z');
                 INSERT INTO messages (id, dedup_key, raw_sha256, kind, size, received_at)
                 VALUES (1, 'k', '{}', 'automatic', 1, '2020-01-01T00:00:00Z');
                 INSERT INTO attachments (message_row, sha256, filename, content_type, size)
                 VALUES (1, '{file_sha}', 'spm.pdf', 'application/pdf', 30000);",
                "0".repeat(64)
            ))
            .unwrap();
        let now = chrono::Utc::now();
        let pruned = super::super::prune::prune(&mut s, dir.path(), 12, now, false).unwrap();
        assert_eq!(pruned.attachment_files, 0, "{pruned:?}");
        assert_eq!(read(dir.path(), &sha).unwrap(), raw, "after retention");
        // A backup holds the file the quarantined mail needs, though no row names it.
        s.conn()
            .execute_batch("DELETE FROM attachments; DELETE FROM messages;")
            .unwrap();
        let target = dir.path().join("backup");
        let copied = super::super::backup::backup(dir.path(), &target).unwrap();
        assert_eq!((copied.raw, copied.attachments), (1, 1), "{copied:?}");
        assert_eq!(read(&target, &sha).unwrap(), raw, "from the backup");
    }

    #[test]
    fn every_corpus_mail_reads_back_as_received() {
        // Real mail from many clients (Outlook Express, Eudora, Mutt, ...): whatever is
        // cut, the mail reads back byte for byte.
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut mails = Vec::new();
        let mut folders = vec![corpus];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    folders.push(p);
                } else if p.extension().is_some_and(|e| e == "eml") {
                    mails.push(p);
                }
            }
        }
        assert!(mails.len() > 20, "{} mails", mails.len());
        let mut cut_some = 0;
        for p in mails {
            let raw = std::fs::read(&p).unwrap();
            if parse::parse(&raw).is_err() {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            let (sha, kept) = store(dir.path(), &raw);
            cut_some += usize::from(kept != raw);
            assert_eq!(read(dir.path(), &sha).unwrap(), raw, "{}", p.display());
        }
        assert!(cut_some >= 5, "only {cut_some} corpus mails cut");
    }
}
