//! `sitemap.xml` and `robots.txt`.

use chrono::NaiveDate;

use loket_core::config::Config;

/// Every page under the base URL, in path order; `lastmod` where a page has `updated`.
pub fn sitemap(config: &Config, entries: &[(String, Option<NaiveDate>)]) -> String {
    let mut sorted: Vec<&(String, Option<NaiveDate>)> = entries.iter().collect();
    sorted.sort();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, updated) in sorted {
        out.push_str("  <url>\n    <loc>");
        out.push_str(&xml_escape(&config.absolute_url(path)));
        out.push_str("</loc>\n");
        if let Some(d) = updated {
            out.push_str(&format!(
                "    <lastmod>{}</lastmod>\n",
                d.format("%Y-%m-%d")
            ));
        }
        out.push_str("  </url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

pub fn robots(config: &Config) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        config.absolute_url("sitemap.xml")
    )
}

/// Escapes text for XML content and attribute values.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
