//! The front-desk poster of a standard, `/layanan/<slug>/poster/`: one A4 page with the
//! six components in short, the email and complaint channels, and two QR codes (the
//! standard's page and the pre-filled email), drawn as inline SVG at build time.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use qrcode::types::QrError;

use loket_core::content::markdown_options;

use crate::qr;
use crate::urls::escape;

/// Modules of light margin around a code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// A QR code of `data` as an inline SVG image named `label`: one `M{x} {y}h{n}v1h-{n}z`
/// rectangle per run of dark modules in a row, in a viewBox that includes the quiet
/// zone. Runs rather than single modules: about half the path, to build and to send.
pub fn qr_svg(data: &str, label: &str) -> Result<String, QrError> {
    let (width, dark) = qr::modules(data.as_bytes())?;
    let size = width + 2 * QUIET_ZONE;
    // Bytes, ASCII only: pushing to a String costs a UTF-8 check per push.
    let mut path = Vec::with_capacity(dark.len() * 6);
    for (y, row) in dark.chunks_exact(width).enumerate() {
        let mut x = 0;
        while x < width {
            if !row[x] {
                x += 1;
                continue;
            }
            let run = row[x..].iter().take_while(|d| **d).count();
            // Without the formatting machinery (hundreds per code).
            path.push(b'M');
            push_coordinate(&mut path, x + QUIET_ZONE);
            path.push(b' ');
            push_coordinate(&mut path, y + QUIET_ZONE);
            path.push(b'h');
            push_coordinate(&mut path, run);
            path.extend_from_slice(b"v1h-");
            push_coordinate(&mut path, run);
            path.push(b'z');
            x += run;
        }
    }
    let path = String::from_utf8(path).map_err(|_| QrError::InvalidCharacter)?;
    Ok(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>",
        label = escape(label)
    ))
}

/// Appends `n` in decimal.
fn push_number(out: &mut Vec<u8>, n: usize) {
    if n >= 10 {
        push_number(out, n / 10);
    }
    out.push(b'0' + (n % 10) as u8);
}

/// [`push_number`] for the coordinates of a code (below 1,000: codes are at most 185
/// modules wide with their quiet zone), without the calls.
fn push_coordinate(out: &mut Vec<u8>, n: usize) {
    match n {
        0..10 => out.push(b'0' + n as u8),
        10..100 => out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]),
        _ => push_number(out, n),
    }
}

/// A component's text in short, for the poster: the `###` headings of its parts with
/// their number of steps (`steps` is the word, "langkah"), or else its top-level list
/// items, or else its first paragraph; each cut to its first sentence and to `max_chars`.
/// At most `max_items`; a last line says how many more there are (`more` is the word).
pub fn outline(
    markdown: &str,
    steps: &str,
    more: &str,
    max_items: usize,
    max_chars: usize,
) -> Vec<String> {
    let mut headings: Vec<(String, usize)> = Vec::new();
    let mut items: Vec<String> = Vec::new();
    let mut paragraphs: Vec<String> = Vec::new();
    let mut list_depth = 0usize;
    let mut item_depth = 0usize;
    let mut text = String::new();
    let mut in_heading = false;
    let mut in_paragraph = false;
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H3,
                ..
            }) => {
                in_heading = true;
                text.clear();
            }
            Event::End(TagEnd::Heading(HeadingLevel::H3)) => {
                in_heading = false;
                headings.push((text.trim().to_string(), 0));
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => list_depth -= 1,
            Event::Start(Tag::Item) => {
                item_depth = list_depth;
                if list_depth == 1 {
                    text.clear();
                    if let Some(h) = headings.last_mut() {
                        h.1 += 1;
                    }
                }
            }
            Event::End(TagEnd::Item) if list_depth == 1 => {
                items.push(text.trim().to_string());
            }
            Event::Start(Tag::Paragraph) if list_depth == 0 => {
                in_paragraph = true;
                text.clear();
            }
            Event::End(TagEnd::Paragraph) if list_depth == 0 => {
                in_paragraph = false;
                paragraphs.push(text.trim().to_string());
            }
            Event::Text(t) | Event::Code(t)
                if in_heading || in_paragraph || (list_depth == 1 && item_depth == 1) =>
            {
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    let lines: Vec<String> = if !headings.is_empty() {
        headings
            .into_iter()
            .map(|(h, n)| {
                if n > 0 {
                    format!("{h} ({n} {steps})")
                } else {
                    h
                }
            })
            .collect()
    } else if !items.is_empty() {
        items
    } else {
        paragraphs.into_iter().take(1).collect()
    };
    let total = lines.len();
    let mut out: Vec<String> = lines
        .into_iter()
        .take(max_items)
        .map(|l| shorten(&l, max_chars))
        .collect();
    if total > max_items {
        out.push(format!("… {} {more}", total - max_items));
    }
    out
}

/// The first sentence of `s`, cut at a word to at most `max` characters (with "…").
fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = s.trim_end_matches([';', ',', ':']);
    let sentence = s
        .char_indices()
        .find(|&(i, c)| (c == '.' || c == ';') && s[i + 1..].starts_with(' '))
        .map_or(s, |(i, c)| &s[..i + c.len_utf8()]);
    let sentence = sentence.trim_end_matches(';');
    if sentence.chars().count() <= max {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '/']))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn outline_prefers_parts_then_items_then_the_first_paragraph() {
        let parts = "### Tatap muka\n\nIntro.\n\n1. a\n2. b\n   1. nested\n\n### Online\n\n1. c\n";
        assert_eq!(
            outline(parts, "langkah", "lainnya", 6, 80),
            ["Tatap muka (2 langkah)", "Online (1 langkah)"]
        );
        let items = "1. Pertama; lalu\n2. Kedua. Lagi.\n3. Ketiga\n";
        assert_eq!(
            outline(items, "langkah", "lainnya", 2, 80),
            ["Pertama", "Kedua.", "… 1 lainnya"]
        );
        assert_eq!(
            outline("Tidak dipungut biaya.\n\nLain.", "", "", 6, 80),
            ["Tidak dipungut biaya."]
        );
        assert_eq!(shorten("satu dua tiga empat", 12), "satu dua…");
    }

    #[test]
    fn qr_is_an_accessible_svg_with_a_quiet_zone() {
        let svg = qr_svg("https://x.go.id/", "QR <a>").unwrap();
        assert!(svg.starts_with("<svg class=\"qr\""), "{svg}");
        assert!(svg.contains("role=\"img\" aria-label=\"QR &lt;a&gt;\""));
        // Version 2 (25 modules) plus 4 on each side.
        assert!(svg.contains("viewBox=\"0 0 33 33\""), "{svg}");
        // The finders' top rows: runs of seven.
        assert!(svg.contains("M4 4h7v1h-7z"), "the top left finder");
        assert!(svg.contains("M22 4h7v1h-7z"), "the top right finder");
        let mut numbers = Vec::new();
        for n in [0, 7, 10, 99, 123, 4096] {
            push_number(&mut numbers, n);
            numbers.push(b' ');
            push_coordinate(&mut numbers, n);
            numbers.push(b' ');
        }
        assert_eq!(numbers, b"0 0 7 7 10 10 99 99 123 123 4096 4096 ");
    }
}
