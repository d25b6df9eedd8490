//! Markdown to HTML with heading ids, a table of contents and the links it contains.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Parser, Tag, TagEnd, html};
use serde::Serialize;

use loket_core::content::markdown_options;
use loket_core::diagnostics::line_col;

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
}

/// Renders `body`. `h2_ids` gives the ids of the `##` headings in order (a standard's
/// component anchors); other headings get slugs of their text. Links that start with
/// `/` are site-root links and get `base_path` in front, so a site can live in a folder.
pub fn render(body: &str, h2_ids: Option<&[&str]>, base_path: &str) -> Rendered {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut links = Vec::new();
    let mut has_raw_html = false;
    let mut heading_starts: Vec<usize> = Vec::new();
    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (line, col) = line_col(body, range.start);
                links.push(Link {
                    href: dest_url.to_string(),
                    line,
                    col,
                });
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: site_link(dest_url, base_path),
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: site_link(dest_url, base_path),
                title,
                id,
            }),
            Event::Html(_) | Event::InlineHtml(_) => {
                has_raw_html = true;
                event
            }
            Event::Start(Tag::Heading { .. }) => {
                heading_starts.push(events.len());
                event
            }
            other => other,
        };
        events.push(event);
    }

    let mut used: HashSet<String> = HashSet::new();
    let mut toc: Vec<TocEntry> = Vec::new();
    let mut h2_index = 0;
    for start in heading_starts {
        let Event::Start(Tag::Heading { level, .. }) = &events[start] else {
            continue;
        };
        let level = *level;
        let title = heading_text(&events[start + 1..]);
        let wanted = match (level, h2_ids) {
            (HeadingLevel::H2, Some(ids)) => {
                let id = ids.get(h2_index).map(std::string::ToString::to_string);
                h2_index += 1;
                id.unwrap_or_else(|| slug::slugify(&title))
            }
            _ => slug::slugify(&title),
        };
        let id = unique_id(
            if wanted.is_empty() { "bagian" } else { &wanted },
            &mut used,
        );
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

    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    if has_raw_html {
        // Content is trusted but edited by many hands: raw HTML is cleaned, not trusted.
        out = ammonia::clean(&out);
    }
    Rendered {
        html: out,
        toc,
        links,
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
    fn duplicate_headings_get_distinct_ids() {
        let r = render("## A\n\n## A\n", None, "/");
        assert!(r.html.contains(r#"id="a""#) && r.html.contains(r#"id="a-2""#));
    }
}
