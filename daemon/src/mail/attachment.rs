//! Attachments taken out of a mail, with names that are safe to put on disk or in a
//! `Content-Disposition` header.
//!
//! The sender chooses the file name, so it is hostile input: it may try to climb out of
//! the data folder (`../../etc/passwd`), name a device on Windows (`CON.txt`), hide an
//! extension behind a bidi override, or be long enough to break a file system.

/// One attachment of a parsed mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Safe name (see [`sanitize_filename`]); never empty.
    pub filename: String,
    /// The name as the sender gave it (RFC 2047/2231 decoded), if any.
    pub original_name: Option<String>,
    /// `type/subtype`, lowercased; `application/octet-stream` when the part has none.
    pub content_type: String,
    /// Shown inside the body (e.g. a logo in an HTML signature) rather than attached.
    pub inline: bool,
    /// Decoded content. Text parts are UTF-8 after charset conversion.
    pub data: Vec<u8>,
    /// The SHA-256 under which the store keeps `data` (`attachments/<sha256>`), once
    /// it is saved there: mail composed with it then names the file instead of
    /// carrying a copy (see `compose::FileContent`).
    pub stored: Option<String>,
    /// Where the part's encoded body lies in the raw mail (a part of the mail itself,
    /// not of a mail forwarded inside it): the store cuts a base64 body it keeps as a
    /// file out of the raw mail it keeps (see `store::raw`).
    pub body: Option<std::ops::Range<usize>>,
}

/// Longest file name we produce, in bytes (many file systems allow 255; leave room for
/// prefixes the store may add).
const MAX_NAME_BYTES: usize = 100;
/// An extension longer than this is not treated as one when truncating.
const MAX_EXT_BYTES: usize = 16;
/// Name used when nothing usable is left.
const FALLBACK: &str = "lampiran";

/// Turns a sender-chosen file name into a safe, single path component.
///
/// Only the last path component is kept (`/`, `\` and `:` separate components on some
/// system); control and invisible formatting characters (NUL, bidi overrides) are
/// dropped; characters Windows refuses (`<>:"|?*`) become `_`; leading dots, trailing
/// dots and spaces are removed and runs of dots become one, so neither `..` nor a hidden
/// file can result; Windows device names (`CON`, `NUL`, `COM1`, `LPT1`, …, with or
/// without extension) get a `_` prefix; the result is at most 100 bytes, cut on a char
/// boundary and keeping the extension. An empty result becomes `"lampiran"`.
pub(crate) fn sanitize_filename(name: &str) -> String {
    // Drop characters that are invisible or dangerous anywhere, before splitting, so a
    // NUL or a bidi override cannot hide a separator or an extension.
    let visible: String = name.chars().filter(|&c| !is_invisible(c)).collect();
    let last = visible
        .rsplit(['/', '\\'])
        .map(str::trim)
        .find(|part| !part.is_empty())
        .unwrap_or("");

    let mut out = String::with_capacity(last.len());
    let mut prev = '\0';
    for c in last.chars() {
        let c = match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        // Collapse runs of dots (no "..") and of spaces.
        if (c == '.' || c == ' ') && prev == c {
            continue;
        }
        out.push(c);
        prev = c;
    }
    let trimmed = trim_name(&out);
    if trimmed.is_empty() {
        return FALLBACK.to_string();
    }
    let mut name = truncate_keeping_extension(trimmed, MAX_NAME_BYTES);
    if is_windows_reserved(&name) {
        name.insert(0, '_');
        name = truncate_keeping_extension(&name, MAX_NAME_BYTES);
    }
    if name.is_empty() {
        FALLBACK.to_string()
    } else {
        name
    }
}

/// Leading dots/spaces (hidden files, `..`) and trailing dots/spaces (Windows strips
/// them, so `a.pdf.` would become `a.pdf` behind our back).
fn trim_name(s: &str) -> &str {
    s.trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM/RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{2028}' | '\u{2029}')
}

/// Windows treats these as devices whatever follows the first dot (`CON.tar.gz`), and
/// ignores trailing spaces before the dot.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end();
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let rest = upper
                .strip_prefix("COM")
                .or_else(|| upper.strip_prefix("LPT"));
            rest.is_some_and(|digit| {
                matches!(
                    digit,
                    "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
                )
            })
        }
    }
}

/// Cuts `name` to at most `max` bytes on a char boundary, keeping a short extension.
fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXT_BYTES => name.split_at(dot),
        _ => (name, ""),
    };
    let stem = trim_name(cut(stem, max - ext.len()));
    if stem.is_empty() {
        // Only an extension would be left; keep the start of the whole name instead.
        return trim_name(cut(name, max)).to_string();
    }
    format!("{stem}{ext}")
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A file extension for a content type we commonly see, used when the sender gave the
/// part no name.
pub(crate) fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => ".jpg",
        "image/png" => ".png",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/csv" => ".csv",
        "message/rfc822" | "message/global" => ".eml",
        "application/zip" | "application/x-zip-compressed" => ".zip",
        "application/msword" => ".doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => ".docx",
        "application/vnd.ms-excel" => ".xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => ".xlsx",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn assert_safe(out: &str) {
        assert!(!out.is_empty());
        assert!(out.len() <= MAX_NAME_BYTES, "{out:?} too long");
        assert!(!out.contains(['/', '\\', '\0', ':']), "{out:?}");
        assert!(!out.chars().any(char::is_control), "{out:?}");
        assert!(!out.starts_with('.'), "{out:?}");
        assert!(!out.contains(".."), "{out:?}");
        assert!(!is_windows_reserved(out), "{out:?}");
    }

    #[test]
    fn path_components_are_dropped() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("/abs/x.pdf"), "x.pdf");
        assert_eq!(sanitize_filename("C:\\x\\y.pdf"), "y.pdf");
        assert_eq!(sanitize_filename("C:y.pdf"), "C_y.pdf");
        assert_eq!(sanitize_filename("dir/"), "dir");
        assert_eq!(sanitize_filename(".."), "lampiran");
        assert_eq!(sanitize_filename("../.."), "lampiran");
    }

    #[test]
    fn hidden_and_dotted_names() {
        assert_eq!(sanitize_filename(".htaccess"), "htaccess");
        assert_eq!(sanitize_filename("a..b...pdf"), "a.b.pdf");
        assert_eq!(sanitize_filename("laporan.pdf. . "), "laporan.pdf");
    }

    #[test]
    fn control_and_invisible_characters_are_removed() {
        assert_eq!(sanitize_filename("a\0b.pdf"), "ab.pdf");
        assert_eq!(sanitize_filename("x\r\ny.pdf"), "xy.pdf");
        // "invoice\u{202E}fdp.exe" displays as "invoiceexe.pdf".
        assert_eq!(
            sanitize_filename("invoice\u{202E}fdp.exe"),
            "invoicefdp.exe"
        );
        assert_eq!(sanitize_filename("a<b>c|d?.pdf"), "a_b_c_d_.pdf");
    }

    #[test]
    fn windows_device_names_are_prefixed() {
        assert_eq!(sanitize_filename("CON.txt"), "_CON.txt");
        assert_eq!(sanitize_filename("con"), "_con");
        assert_eq!(sanitize_filename("NUL"), "_NUL");
        assert_eq!(sanitize_filename("com1.tar.gz"), "_com1.tar.gz");
        assert_eq!(sanitize_filename("LPT9.pdf"), "_LPT9.pdf");
        assert_eq!(sanitize_filename("COM10.pdf"), "COM10.pdf");
        assert_eq!(sanitize_filename("console.txt"), "console.txt");
    }

    #[test]
    fn long_names_keep_extension_on_char_boundary() {
        let long = format!("{}.pdf", "a".repeat(300));
        let out = sanitize_filename(&long);
        assert_eq!(out.len(), MAX_NAME_BYTES);
        assert!(out.ends_with(".pdf"));

        let wide = format!("{}.docx", "é".repeat(200));
        let out = sanitize_filename(&wide);
        assert!(out.len() <= MAX_NAME_BYTES);
        assert!(out.ends_with(".docx"));
        assert!(out.starts_with('é'));

        let no_ext = "ü".repeat(300);
        assert!(sanitize_filename(&no_ext).len() <= MAX_NAME_BYTES);
    }

    #[test]
    fn unicode_letters_are_kept_and_empty_becomes_fallback() {
        assert_eq!(
            sanitize_filename("Surat Permohonan – 2024.pdf"),
            "Surat Permohonan – 2024.pdf"
        );
        assert_eq!(sanitize_filename("文件.pdf"), "文件.pdf");
        assert_eq!(sanitize_filename(""), "lampiran");
        assert_eq!(sanitize_filename("   "), "lampiran");
        assert_eq!(sanitize_filename("\0\0"), "lampiran");
    }

    #[test]
    fn hostile_names_are_always_safe() {
        let hostile = [
            "../../etc/passwd",
            "/abs/x.pdf",
            "C:\\x\\y.pdf",
            "a\0.pdf",
            &"x".repeat(300),
            "CON.txt",
            ".htaccess",
            "..\\..\\windows\\system32\\cmd.exe",
            "....//....//x",
            " . ",
            "aux . txt",
            "\u{202E}.",
            &format!("{}.{}", "b".repeat(50), "c".repeat(200)),
        ];
        for name in hostile {
            assert_safe(&sanitize_filename(name));
        }
    }
}
