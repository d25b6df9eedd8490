//! URLs as people see them: shown text that wraps at separators, and site links made
//! absolute for open data.

use pulldown_cmark::{Event, Parser, Tag};

use loket_core::content::markdown_options;

pub use loket_core::text::escape_html as escape;
use loket_core::text::push_escaped_html as push_escaped;

/// A URL or address as HTML text that a narrow screen wraps at its separators, never in
/// the middle of a word: `<wbr>` after `//`, `&` and `=`, before `/`, `.`, `?`, `#`, `-`,
/// `_`, `~` and `@` (the Chicago Manual's rule).
pub fn breakable(url: &str) -> String {
    let mut out = String::with_capacity(url.len() * 2);
    let mut prev = '\0';
    let mut chars = url.chars().peekable();
    while let Some(c) = chars.next() {
        let before = matches!(c, '.' | '?' | '#' | '-' | '_' | '~' | '@')
            || (c == '/' && prev != '/' && chars.peek() != Some(&'/'));
        if before && !out.is_empty() {
            out.push_str("<wbr>");
        }
        push_escaped(&mut out, c);
        let after = matches!(c, '&' | '=') || (c == '/' && prev == '/');
        if after && chars.peek().is_some() {
            out.push_str("<wbr>");
        }
        prev = c;
    }
    out
}

/// The Markdown with every site link (`/tentang/#kontak`) and image made absolute under
/// `base_url`, so that open data read elsewhere still points at the site.
pub fn absolutise(markdown: &str, base_url: &str) -> String {
    // Every link or image it edits is written `](…`: without one there is nothing to
    // parse for.
    if !markdown.contains("](") {
        return markdown.to_string();
    }
    let mut edits: Vec<(usize, usize)> = Vec::new();
    for (event, range) in Parser::new_ext(markdown, markdown_options()).into_offset_iter() {
        let Event::Start(Tag::Link { dest_url: dest, .. } | Tag::Image { dest_url: dest, .. }) =
            &event
        else {
            continue;
        };
        if !dest.starts_with('/') || dest.starts_with("//") {
            continue;
        }
        // The destination as written, after the link text: `](/dest`.
        let written = &markdown[range.clone()];
        if let Some(i) = written
            .rfind(&format!("]({dest}"))
            .map(|i| i + 2)
            .or_else(|| written.rfind(&format!("](<{dest}")).map(|i| i + 3))
        {
            let start = range.start + i;
            edits.push((start, start + 1));
        }
    }
    let mut out = markdown.to_string();
    for (start, end) in edits.into_iter().rev() {
        out.replace_range(start..end, base_url);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_break_at_separators_only() {
        assert_eq!(
            breakable("https://djpb.kemenkeu.go.id/kppn/tanjungselor/id/"),
            "https://<wbr>djpb<wbr>.kemenkeu<wbr>.go<wbr>.id<wbr>/kppn<wbr>/tanjungselor<wbr>/id<wbr>/"
        );
        assert_eq!(
            breakable("layanan@kppn.example"),
            "layanan<wbr>@kppn<wbr>.example"
        );
        assert_eq!(breakable("a?b=<c>&d"), "a<wbr>?b=<wbr>&lt;c&gt;&amp;<wbr>d");
    }

    #[test]
    fn site_links_become_absolute() {
        let md = "Lihat [kontak](/tentang/#kontak), [luar](https://a.b/), ![denah](/img/d.png) dan [lagi](/tentang/#kontak).";
        assert_eq!(
            absolutise(md, "https://x.go.id/kppn/"),
            "Lihat [kontak](https://x.go.id/kppn/tentang/#kontak), [luar](https://a.b/), ![denah](https://x.go.id/kppn/img/d.png) dan [lagi](https://x.go.id/kppn/tentang/#kontak)."
        );
    }
}
