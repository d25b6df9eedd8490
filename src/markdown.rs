//! Markdown to HTML with heading ids, a table of contents and the links it contains.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Parser, Tag, TagEnd, html};
use serde::Serialize;

use loket_core::content::markdown_options;
use loket_core::diagnostics::LineIndex;

/// One entry of a table of contents; `children` are the `###` under a `##`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TocEntry {
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link written in the content, with its body line (1-based, relative to the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub line: usize,
    pub col: usize,
}

/// Rendered Markdown.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub links: Vec<Link>,
    /// Images, with their body positions: `loket check` makes sure each exists.
    pub images: Vec<Link>,
}

/// URL schemes a link or image in content may use; anything else (`javascript:`,
/// `data:`, `vbscript:` …) is dropped from the page and reported by `loket check`.
pub const SAFE_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// The scheme of a URL (`javascript` of `JavaScript:alert(1)`), lower-cased, when it has
/// one; relative and site links have none.
pub fn scheme(href: &str) -> Option<String> {
    // Browsers ignore tabs, newlines and leading control/space characters in a scheme.
    let cleaned: String = href
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(40)
        .collect();
    let colon = cleaned.find(':')?;
    let name = &cleaned[..colon];
    let is_scheme = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| name.to_ascii_lowercase())
}

/// Whether a link target may appear in a page.
pub fn is_safe_url(href: &str) -> bool {
    scheme(href).is_none_or(|s| SAFE_SCHEMES.contains(&s.as_str()))
}

/// Marks the ids loket writes on headings while a page with raw HTML is sanitised: the
/// sanitiser keeps an id only when it carries the mark (and removes it), so headings keep
/// their anchors and ids written in raw HTML, which could collide with them, are dropped.
/// A noncharacter: removed from raw HTML first, so content can never carry it.
const OWN_ID: char = '\u{FDD0}';

/// The sanitiser for pages with raw HTML: ammonia's defaults (no script, style, event
/// attributes, unsafe URLs or comments) plus the ids loket gives headings.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, &["id"]);
    }
    b.url_schemes(SAFE_SCHEMES.iter().copied().collect());
    b.add_allowed_classes("a", &["url"]);
    b.attribute_filter(|_, attribute, value| {
        if attribute == "id" {
            value
                .strip_prefix(OWN_ID)
                .map(|v| std::borrow::Cow::Owned(v.to_string()))
        } else {
            Some(std::borrow::Cow::Borrowed(value))
        }
    });
    b
});

/// Renders `body`. `h2_ids` gives the ids of the `##` headings in order (a standard's
/// component anchors); other headings get slugs of their text. Links that start with
/// `/` are site-root links and get `base_path` in front, so a site can live in a folder.
pub fn render(body: &str, h2_ids: Option<&[&str]>, base_path: &str) -> Rendered {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut links = Vec::new();
    let mut images = Vec::new();
    let mut has_raw_html = false;
    let mut heading_starts: Vec<usize> = Vec::new();
    let lines = LineIndex::new(body);
    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (line, col) = lines.pos(range.start);
                links.push(Link {
                    href: dest_url.to_string(),
                    line,
                    col,
                });
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: site_link(safe(dest_url), base_path),
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (line, col) = lines.pos(range.start);
                images.push(Link {
                    href: dest_url.to_string(),
                    line,
                    col,
                });
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: site_link(safe(dest_url), base_path),
                    title,
                    id,
                })
            }
            Event::Html(html) => {
                has_raw_html = true;
                Event::Html(without_mark(html))
            }
            Event::InlineHtml(html) => {
                has_raw_html = true;
                Event::InlineHtml(without_mark(html))
            }
            Event::Start(Tag::Heading { .. }) => {
                heading_starts.push(events.len());
                event
            }
            other => other,
        };
        events.push(event);
    }

    // Component anchors are reserved first: a `### Biaya` early on the page must not
    // take `biaya` from the component that links everywhere point to.
    let mut used: HashSet<String> = HashSet::new();
    let mut h2_index = 0;
    let mut planned: Vec<(usize, HeadingLevel, String, String)> = Vec::new();
    for start in heading_starts {
        let Event::Start(Tag::Heading { level, .. }) = &events[start] else {
            continue;
        };
        let level = *level;
        let title = heading_text(&events[start + 1..]);
        let fixed = match (level, h2_ids) {
            (HeadingLevel::H2, Some(ids)) => {
                h2_index += 1;
                ids.get(h2_index - 1)
                    .filter(|id| used.insert((**id).to_string()))
                    .map(|id| (*id).to_string())
            }
            _ => None,
        };
        planned.push((start, level, title, fixed.unwrap_or_default()));
    }
    let mut toc: Vec<TocEntry> = Vec::new();
    for (start, level, title, fixed) in planned {
        let id = if fixed.is_empty() {
            let wanted = slug::slugify(&title);
            unique_id(
                if wanted.is_empty() { "bagian" } else { &wanted },
                &mut used,
            )
        } else {
            fixed
        };
        if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start] {
            *slot = Some(CowStr::from(id.clone()));
        }
        let entry = TocEntry {
            id,
            title,
            children: Vec::new(),
        };
        match level {
            HeadingLevel::H2 => toc.push(entry),
            HeadingLevel::H3 => match toc.last_mut() {
                Some(parent) => parent.children.push(entry),
                None => toc.push(entry),
            },
            _ => {}
        }
    }

    let events = autolinks(events);
    let mut out = String::with_capacity(body.len() * 3 / 2);
    if has_raw_html {
        push_sanitised(&mut out, events);
    } else {
        html::push_html(&mut out, events.into_iter().map(own_html));
    }
    Rendered {
        html: out,
        toc,
        links,
        images,
    }
}

/// Writes the page block by block; a top-level block (paragraph, list, table, heading,
/// HTML block) that holds raw HTML is sanitised on its own. Content is trusted but edited
/// by many hands: raw HTML is cleaned, and whatever it leaves open (`<title>`,
/// `<textarea>`, a comment) ends with its block instead of swallowing the rest of the page.
fn push_sanitised(out: &mut String, events: Vec<Event<'_>>) {
    let mut block: Vec<Event<'_>> = Vec::new();
    let mut depth = 0usize;
    let mut raw = false;
    for event in events {
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Html(h) | Event::InlineHtml(h) if !h.starts_with(OWN_ID) => raw = true,
            _ => {}
        }
        block.push(own_html(event));
        if depth > 0 {
            continue;
        }
        if raw {
            for e in &mut block {
                if let Event::Start(Tag::Heading { id: Some(id), .. }) = e {
                    *id = CowStr::from(format!("{OWN_ID}{id}"));
                }
            }
            let mut html = String::new();
            html::push_html(&mut html, block.drain(..));
            out.push_str(&SANITISER.clean(&html).to_string());
            out.push('\n');
        } else {
            html::push_html(out, block.drain(..));
        }
        raw = false;
    }
}

fn heading_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for e in events {
        match e {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            _ => {}
        }
    }
    text.trim().to_string()
}

fn unique_id(wanted: &str, used: &mut HashSet<String>) -> String {
    let mut id = wanted.to_string();
    let mut n = 1;
    while used.contains(&id) {
        n += 1;
        id = format!("{wanted}-{n}");
    }
    used.insert(id.clone());
    id
}

/// An autolink (`<https://…>`, `<nama@kppn.go.id>`) shows its address: it becomes a link
/// of class `url` (print styles do not repeat its address) whose text wraps at the
/// address's separators. Written as loket's own HTML, marked so it is not taken for raw.
fn autolinks(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter().peekable();
    while let Some(event) = iter.next() {
        let Event::Start(Tag::Link {
            link_type: link_type @ (LinkType::Autolink | LinkType::Email),
            dest_url,
            ..
        }) = &event
        else {
            out.push(event);
            continue;
        };
        let mailto = if *link_type == LinkType::Email && !dest_url.is_empty() {
            "mailto:"
        } else {
            ""
        };
        let Some(Event::Text(t)) = iter.peek() else {
            out.push(event);
            continue;
        };
        let text = t.to_string();
        let href = format!("{mailto}{dest_url}");
        iter.next();
        if !matches!(iter.peek(), Some(Event::End(TagEnd::Link))) {
            out.push(event);
            out.push(Event::Text(text.into()));
            continue;
        }
        iter.next();
        out.push(Event::InlineHtml(CowStr::from(format!(
            "{OWN_ID}<a class=\"url\" href=\"{}\">{}</a>",
            crate::urls::escape(&href),
            crate::urls::breakable(&text)
        ))));
    }
    out
}

/// loket's own HTML events, with their mark removed.
fn own_html(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(h) if h.starts_with(OWN_ID) => {
            Event::Html(CowStr::from(h.trim_start_matches(OWN_ID).to_string()))
        }
        Event::InlineHtml(h) if h.starts_with(OWN_ID) => {
            Event::InlineHtml(CowStr::from(h.trim_start_matches(OWN_ID).to_string()))
        }
        other => other,
    }
}

fn without_mark(html: CowStr<'_>) -> CowStr<'_> {
    if html.contains(OWN_ID) {
        CowStr::from(html.replace(OWN_ID, ""))
    } else {
        html
    }
}

/// An unsafe target becomes an empty one (the link check reports the original).
fn safe(dest: CowStr<'_>) -> CowStr<'_> {
    if is_safe_url(&dest) {
        dest
    } else {
        CowStr::from("")
    }
}

fn site_link<'a>(dest: CowStr<'a>, base_path: &str) -> CowStr<'a> {
    if dest.starts_with('/') && !dest.starts_with("//") && base_path != "/" {
        CowStr::from(format!("{}{}", base_path, &dest[1..]))
    } else {
        dest
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn component_ids_toc_and_links() {
        let md = "Intro [a](/tentang/#kontak).\n\n## Persyaratan\n\nx\n\n### Sub bagian\n\n## Prosedur\n\n[b](#persyaratan)\n";
        let r = render(md, Some(&["persyaratan", "prosedur"]), "/kppn/");
        assert!(
            r.html.contains(r#"<h2 id="persyaratan">Persyaratan</h2>"#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h3 id="sub-bagian">"#));
        assert!(r.html.contains(r#"href="/kppn/tentang/#kontak""#));
        assert_eq!(r.toc.len(), 2);
        assert_eq!(r.toc[0].children[0].id, "sub-bagian");
        assert_eq!(r.links[0].href, "/tentang/#kontak");
        assert_eq!(r.links[1].line, 11);
    }

    #[test]
    fn raw_html_is_sanitised() {
        let r = render("<script>alert(1)</script>\n\nok <b>bold</b>\n", None, "/");
        assert!(!r.html.contains("<script"));
        assert!(r.html.contains("<b>bold</b>"));
    }

    #[test]
    fn raw_html_keeps_heading_ids() {
        let md = "## Persyaratan\n\nSatu<br>dua\n\n## Biaya\n\n<div onclick=\"x()\">Gratis</div>\n";
        let r = render(md, Some(&["persyaratan", "biaya"]), "/");
        assert!(r.html.contains(r#"<h2 id="persyaratan">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="biaya">"#), "{}", r.html);
        assert!(
            r.html.contains("<br>") && !r.html.contains("onclick"),
            "{}",
            r.html
        );
    }

    #[test]
    fn ids_in_raw_html_are_dropped_and_component_anchors_come_first() {
        let md = "## Persyaratan\n\n### Biaya\n\n<h3 id=\"biaya\">x</h3> <span id=\"\u{FDD0}persyaratan\">y</span>\n\n## Biaya\n\nz\n";
        let r = render(md, Some(&["persyaratan", "biaya"]), "/");
        assert_eq!(r.html.matches(r#"id="biaya""#).count(), 1, "{}", r.html);
        assert_eq!(
            r.html.matches(r#"id="persyaratan""#).count(),
            1,
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h2 id="biaya">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h3 id="biaya-2">"#), "{}", r.html);
        assert!(!r.html.contains('\u{FDD0}'), "{}", r.html);
        assert_eq!(r.toc[1].id, "biaya");
    }

    #[test]
    fn raw_html_left_open_ends_with_its_block() {
        for open in [
            "<title>",
            "<textarea>",
            "<plaintext>",
            "<xmp>",
            "<style>",
            "<iframe>",
            "<noscript>",
            "<!-- x",
            "<a href=\"/x\">",
        ] {
            let md = format!("## Persyaratan\n\nTeks {open} lagi\n\n## Biaya\n\nGratis\n");
            let r = render(&md, Some(&["persyaratan", "biaya"]), "/");
            assert!(
                r.html.contains(r#"<h2 id="biaya">Biaya</h2>"#),
                "{open}: {}",
                r.html
            );
            assert!(r.html.contains("<p>Gratis</p>"), "{open}: {}", r.html);
        }
        let r = render("Rumus x<sup>2</sup> dan H<sub>2</sub>O\n", None, "/");
        assert!(
            r.html.contains("x<sup>2</sup> dan H<sub>2</sub>O"),
            "{}",
            r.html
        );
    }

    #[test]
    fn autolinks_wrap_at_separators_and_are_marked_as_addresses() {
        let r = render(
            "Lapor: <https://www.lapor.go.id/>, <a@b.id> <br>\n\n<https://x.id/a>\n",
            None,
            "/",
        );
        assert!(
            r.html.contains(r#"<a class="url" href="https://www.lapor.go.id/" rel="noopener noreferrer">https://<wbr>www<wbr>.lapor<wbr>.go<wbr>.id<wbr>/</a>"#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"<a class="url" href="mailto:a@b.id""#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(
                r#"<p><a class="url" href="https://x.id/a">https://<wbr>x<wbr>.id<wbr>/a</a></p>"#
            ),
            "{}",
            r.html
        );
        let r = render("<javascript:alert(1)>\n", None, "/");
        assert!(!r.html.contains("javascript:alert(1)\""), "{}", r.html);
    }

    #[test]
    fn unsafe_link_schemes_are_dropped() {
        for href in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " java\tscript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
        ] {
            assert!(!is_safe_url(href), "{href:?}");
        }
        for href in [
            "https://a.b/",
            "mailto:a@b.c",
            "/x/#y",
            "#y",
            "../a",
            "a:b/c",
        ] {
            assert_eq!(is_safe_url(href), href != "a:b/c", "{href:?}");
        }
        let r = render(
            "[x](javascript:alert(1)) ![i](data:image/png,x)\n",
            None,
            "/",
        );
        assert!(
            !r.html.contains("javascript") && !r.html.contains("data:"),
            "{}",
            r.html
        );
        assert_eq!(r.links[0].href, "javascript:alert(1)");
    }

    #[test]
    fn duplicate_headings_get_distinct_ids() {
        let r = render("## A\n\n## A\n", None, "/");
        assert!(r.html.contains(r#"id="a""#) && r.html.contains(r#"id="a-2""#));
    }
}
