//! HTML body → readable plain text, for mail that has no text/plain part.
//!
//! Not a full HTML parser: it keeps the text a reader would see, turns block elements
//! into line breaks, decodes character references, and drops everything a reader would
//! not see — markup, comments, and the content of `script`, `style`, `title`,
//! `template` and Outlook's `xml` islands. mail-parser's own converter is not used
//! because it lets script content through when the tag has attributes
//! (`<script type="text/javascript">`).

/// Elements whose content is never shown; skipped up to their end tag (or to the end of
/// the document when unclosed, so nothing of them can leak).
const HIDDEN: &[&str] = &["script", "style", "title", "template", "xml"];

/// Elements that start or end a line.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "hr",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
    "dl",
    "address",
    "center",
    "form",
    "fieldset",
    "nav",
    "main",
    "aside",
    "figure",
    "caption",
];

/// Converts an HTML document or fragment to plain text with `\n` line breaks.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'<' => i = markup(html, i, &mut out),
            b'&' => i = entity(html, i, &mut out),
            _ => {
                // Copy text up to the next '<' or '&' (both ASCII, so char boundaries).
                let end = html[i..].find(['<', '&']).map_or(html.len(), |n| i + n);
                push_text(&mut out, &html[i..end]);
                i = end;
            }
        }
    }
    tidy(&out)
}

/// Handles markup starting at `html[start] == '<'`; returns where text resumes.
fn markup(html: &str, start: usize, out: &mut String) -> usize {
    let rest = &html[start..];
    if let Some(comment) = rest.strip_prefix("<!--") {
        return comment
            .find("-->")
            .map_or(html.len(), |n| start + 4 + n + 3);
    }
    let after = &rest[1..];
    let (closing, name_start) = match after.strip_prefix('/') {
        Some(a) => (true, a),
        None => (false, after),
    };
    let is_tag = name_start.starts_with(|c: char| c.is_ascii_alphabetic());
    let is_decl = !closing && after.starts_with(['!', '?']);
    if !is_tag && !is_decl {
        out.push('<');
        return start + 1;
    }
    let name_len = name_start
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-'))
        .unwrap_or(name_start.len());
    let name = name_start[..name_len].to_ascii_lowercase();
    let name = name.rsplit(':').next().unwrap_or("").to_string(); // o:p, v:shape
    let end = tag_end(html, start + 1);

    if is_decl {
        return end;
    }
    if BLOCK.contains(&name.as_str()) {
        out.push('\n');
    } else if matches!(name.as_str(), "td" | "th") {
        out.push(' ');
    }
    if !closing && HIDDEN.contains(&name.as_str()) && !html[start..end].ends_with("/>") {
        return skip_hidden(html, end, &name);
    }
    end
}

/// The index just after the `>` closing the tag that starts before `from`, honouring
/// quoted attribute values; the end of the input when unclosed.
fn tag_end(html: &str, from: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (offset, &b) in html.as_bytes()[from..].iter().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return from + offset + 1,
            _ => {}
        }
    }
    html.len()
}

/// Skips the content of a hidden element up to and including `</name ...>`. Linear:
/// a document with many such elements must not take quadratic time.
fn skip_hidden(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut search = from;
    while let Some(pos) = html[search..].find("</") {
        let at = search + pos;
        let name_at = at + 2;
        let same_name = bytes
            .get(name_at..name_at + name.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()));
        // "</scriptx" is not the end tag.
        let next = bytes.get(name_at + name.len()).copied();
        if same_name && next.is_none_or(|b| b == b'>' || b == b'/' || b.is_ascii_whitespace()) {
            return tag_end(html, at + 1);
        }
        search = name_at;
    }
    html.len()
}

/// Decodes the character reference at `html[start] == '&'`; returns where text resumes.
fn entity(html: &str, start: usize, out: &mut String) -> usize {
    let rest = &html[start + 1..];
    let limit = rest.len().min(32);
    // Search bytes: the limit may fall inside a multi-byte char; ';' is ASCII.
    let Some(semi) = rest.as_bytes()[..limit].iter().position(|&b| b == b';') else {
        out.push('&');
        return start + 1;
    };
    let body = &rest[..semi];
    let decoded = if let Some(num) = body.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        value.map(|v| match char::from_u32(v) {
            Some('\0') | None => char::REPLACEMENT_CHARACTER,
            Some(c) if c.is_control() && !matches!(c, '\n' | '\t') => ' ',
            Some(c) => c,
        })
    } else {
        named(body)
    };
    if let Some(c) = decoded {
        if c.is_whitespace() {
            push_text(out, " ");
        } else {
            out.push(c);
        }
        start + 1 + semi + 1
    } else {
        out.push('&');
        start + 1
    }
}

fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "euro" => '€',
        "times" => '×',
        "deg" => '°',
        "shy" => '\u{ad}',
        _ => return None,
    })
}

/// Appends source text with HTML whitespace rules: any run of whitespace is one space.
fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Trims every line and keeps at most one empty line between paragraphs.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split('\n') {
        let line = line.trim_matches(|c: char| c == ' ' || c == '\t');
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 1 { "\n\n" } else { "\n" });
        }
        out.push_str(line);
        blank_run = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn markup_is_removed_and_blocks_break_lines() {
        let html = "<html><body><p>Yth. Bapak/Ibu,</p><div>Saya ingin <b>bertanya</b>.</div>\
                    Terima kasih<br>Budi</body></html>";
        assert_eq!(
            html_to_text(html),
            "Yth. Bapak/Ibu,\nSaya ingin bertanya.\nTerima kasih\nBudi"
        );
    }

    #[test]
    fn hidden_content_never_leaks() {
        let html = "<html><head><title>T</title><style>p{color:red}</style>\
            <script type=\"text/javascript\">alert('x')</script></head><body>\
            <SCRIPT language='js'>var a = \"</p>\";</SCRIPT >Halo<script>evil()</script\n>\
            <!-- <p>komentar</p> --><xml><o:Pixels>96</o:Pixels></xml>!\
            <template><p>t</p></template></body></html>";
        let text = html_to_text(html);
        assert_eq!(text, "Halo!");
    }

    #[test]
    fn unclosed_script_hides_the_rest() {
        assert_eq!(html_to_text("a<script>b c d"), "a");
        assert_eq!(html_to_text("a<!-- b"), "a");
        assert_eq!(html_to_text("a<p class=\"x>y"), "a");
    }

    #[test]
    fn attributes_with_angle_brackets_stay_markup() {
        assert_eq!(
            html_to_text("<a title=\"1 > 0\" href='x'>tautan</a>"),
            "tautan"
        );
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            html_to_text("a &amp; b &lt;c&gt; &#65;&#x42; &nbsp;x &bogus; &"),
            "a & b <c> AB x &bogus; &"
        );
        assert_eq!(html_to_text("&#0;&#xD800;"), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn stray_less_than_is_text() {
        assert_eq!(html_to_text("1 < 2 and 3 <4"), "1 < 2 and 3 <4");
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(html_to_text("  a \n\n  b\t c  "), "a b c");
        assert_eq!(html_to_text("<p>a</p>\n\n<p></p><p>b</p>"), "a\n\nb");
    }

    #[test]
    fn unicode_text_survives() {
        assert_eq!(html_to_text("<p>Ümlaut – 文字 ✓</p>"), "Ümlaut – 文字 ✓");
    }
}
