//! Internal link and `#anchor` checking over rendered pages (`loket check`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use loket_core::diagnostics::Diagnostic;

use crate::markdown::Link;

/// A page as rendered, for link checking.
pub(crate) struct RenderedPage {
    pub url_path: String,
    pub source: Option<PathBuf>,
    pub body_line: usize,
    pub links: Vec<Link>,
    pub images: Vec<Link>,
    pub ids: Vec<String>,
}

/// Values of every `id="…"` attribute in an HTML document.
pub(crate) fn ids_in(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(" id=\"") {
        rest = &rest[i + 5..];
        if let Some(end) = rest.find('"') {
            ids.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    ids
}

/// Links and images the Markdown renderer left out of the pages because they would run
/// code or embed data (`javascript:`, `data:` …): errors at their line, for `build`
/// and `check` alike.
pub(crate) fn left_out(pages: &[RenderedPage]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for page in pages {
        let Some(source) = &page.source else { continue };
        for image in page
            .images
            .iter()
            .filter(|i| !crate::markdown::is_safe_url(&i.href))
        {
            diags.push(Diagnostic::error(
                source,
                (page.body_line + image.line - 1, image.col),
                format!(
                    "image {:?} would embed data or code in the page; it was left out",
                    image.href
                ),
                "put the image in static/ and link it by its site path, e.g. /img/denah.png",
            ));
        }
        for link in page
            .links
            .iter()
            .filter(|l| !crate::markdown::is_safe_url(&l.href))
        {
            diags.push(Diagnostic::error(
                source,
                (page.body_line + link.line - 1, link.col),
                format!("link {:?} would run code or embed data in the page; it was left out", link.href),
                format!(
                    "link to an address starting with {}, or to a site path such as /layanan/<slug>/",
                    crate::markdown::SAFE_SCHEMES.join(":, ") + ":"
                ),
            ));
        }
    }
    diags
}

/// Links and images left out of the pages, as `build` and `serve` say them: warnings
/// (the pages are published without them; `check` calls them errors).
pub(crate) fn left_out_warnings(pages: &[RenderedPage]) -> Vec<Diagnostic> {
    left_out(pages)
        .into_iter()
        .map(|mut d| {
            d.severity = loket_core::diagnostics::Severity::Warning;
            d
        })
        .collect()
}

/// Checks every link written in content against the pages and `files` the site writes
/// ([`crate::site::Site::output_paths`]); unsafe ones are [`left_out`]'s.
pub(crate) fn check(pages: &[RenderedPage], files: &BTreeSet<String>) -> Vec<Diagnostic> {
    let by_path: BTreeMap<&str, BTreeSet<&str>> = pages
        .iter()
        .map(|p| {
            (
                p.url_path.as_str(),
                p.ids.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut diags = Vec::new();
    for page in pages {
        let Some(source) = &page.source else { continue };
        for image in &page.images {
            let pos = (page.body_line + image.line - 1, image.col);
            if !crate::markdown::is_safe_url(&image.href) {
                continue; // reported by `left_out`
            }
            if let Some((target, _)) = resolve(&page.url_path, &image.href)
                && !files.contains(&target)
            {
                diags.push(Diagnostic::error(
                    source,
                    pos,
                    format!("image {:?} not found: /{target} is not a file of the site", image.href),
                    "put the image in static/ (static/img/denah.png is published as /img/denah.png) or fix the path",
                ));
            }
        }
        for link in &page.links {
            let pos = (page.body_line + link.line - 1, link.col);
            if !crate::markdown::is_safe_url(&link.href) {
                continue; // reported by `left_out`
            }
            let Some((target, fragment)) = resolve(&page.url_path, &link.href) else {
                continue;
            };
            let page_key = if by_path.contains_key(target.as_str()) {
                Some(target.clone())
            } else if by_path.contains_key(format!("{target}/").as_str()) {
                Some(format!("{target}/"))
            } else {
                None
            };
            match page_key {
                Some(key) => {
                    if let Some(frag) = fragment
                        && !frag.is_empty()
                        && !by_path.get(key.as_str()).is_some_and(|ids| ids.contains(frag.as_str()))
                    {
                        diags.push(Diagnostic::error(
                            source,
                            pos,
                            format!("broken anchor in link {:?}: no #{frag} on /{key}", link.href),
                            "link to a heading that exists (ids are shown in the page's table of contents)",
                        ));
                    }
                }
                None if files.contains(&target) => {}
                None => diags.push(Diagnostic::error(
                    source,
                    pos,
                    format!("broken internal link {:?}: /{target} does not exist", link.href),
                    "fix the path (site links start with /, e.g. /layanan/<slug>/) or remove the link",
                )),
            }
        }
    }
    diags
}

/// Site path and fragment of an internal link; `None` for external links.
fn resolve(page: &str, href: &str) -> Option<(String, Option<String>)> {
    let scheme_end = href.find(':');
    let first_sep = href.find(['/', '?', '#']);
    if href.starts_with("//")
        || matches!((scheme_end, first_sep), (Some(c), Some(s)) if c < s)
        || (scheme_end.is_some() && first_sep.is_none())
    {
        return None;
    }
    let (before_frag, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (href, None),
    };
    let path = before_frag.split('?').next().unwrap_or("");
    let joined = if path.is_empty() {
        page.to_string()
    } else if let Some(abs) = path.strip_prefix('/') {
        abs.to_string()
    } else {
        format!("{page}{path}")
    };
    // Normalise `.` and `..` segments, keeping a trailing slash.
    let trailing = joined.ends_with('/') || joined.is_empty();
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut target = parts.join("/");
    if target.ends_with("index.html") {
        target.truncate(target.len() - "index.html".len());
    } else if trailing && !target.is_empty() {
        target.push('/');
    }
    Some((target, fragment))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn resolves_internal_links() {
        assert_eq!(
            resolve("tentang/", "/layanan/a/#x"),
            Some(("layanan/a/".into(), Some("x".into())))
        );
        assert_eq!(
            resolve("tentang/", "#kontak"),
            Some(("tentang/".into(), Some("kontak".into())))
        );
        assert_eq!(
            resolve("layanan/a/", "../b/"),
            Some(("layanan/b/".into(), None))
        );
        assert_eq!(resolve("x/", "/"), Some((String::new(), None)));
        assert_eq!(resolve("x/", "https://a.b/"), None);
        assert_eq!(resolve("x/", "mailto:a@b"), None);
    }

    #[test]
    fn finds_ids() {
        assert_eq!(ids_in(r#"<h2 id="a">x</h2><p id="b-c">"#), vec!["a", "b-c"]);
    }
}
