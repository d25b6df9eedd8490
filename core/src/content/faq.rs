//! Questions and answers ("Tanya Jawab"): `content/tanya-jawab/<slug>.md`, each a question
//! about one service. The site groups them per service; the daemon may offer them as
//! canned answers.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::front_matter::{Read, read};
use super::service::Service;
use crate::diagnostics::Diagnostic;

/// Folder of the questions, relative to the site root.
pub const FAQ_DIR: &str = "content/tanya-jawab";

/// One question and its answer.
#[derive(Debug, Clone)]
pub struct Faq {
    /// The file stem: the question's anchor on the page.
    pub slug: String,
    pub path: PathBuf,
    /// The question.
    pub title: String,
    /// The code of the service it is about (`KONS`), as resolved from front matter.
    pub service: String,
    pub tags: Vec<String>,
    pub draft: bool,
    pub weight: i64,
    /// The answer, Markdown, and the file line it starts on.
    pub body: String,
    pub body_line: usize,
    /// File line of the `service` key, for problems found against the standards.
    pub service_line: usize,
}

#[derive(Deserialize)]
struct Front {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    weight: i64,
}

impl Faq {
    /// The answer as plain text for a mail: paragraphs separated by a blank line, list
    /// items as `- ` or `1. `, headings and emphasis as their words, a link as
    /// `words (address)` with a site path made absolute by `absolute`.
    pub fn plain_text(&self, absolute: impl Fn(&str) -> String) -> String {
        plain_text(&self.body, absolute)
    }
}

/// Markdown to plain text; see [`Faq::plain_text`].
pub fn plain_text(markdown: &str, absolute: impl Fn(&str) -> String) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = String::new();
    // Item numbers of the open lists (`None` for bullets).
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let block_break = |out: &mut String| {
        let trimmed = out.trim_end_matches([' ', '\n']).len();
        out.truncate(trimmed);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
    };
    for event in Parser::new_ext(markdown, super::markdown_options()) {
        match event {
            Event::Start(
                Tag::Paragraph | Tag::Heading { .. } | Tag::BlockQuote(_) | Tag::CodeBlock(_),
            ) if !out.ends_with("- ") && !out.ends_with(". ") => block_break(&mut out),
            Event::Start(Tag::List(first)) => {
                if lists.is_empty() {
                    block_break(&mut out);
                }
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                let trimmed = out.trim_end_matches(' ').len();
                out.truncate(trimmed);
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&"   ".repeat(lists.len().saturating_sub(1)));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let url = if dest_url.starts_with('/') {
                    absolute(&dest_url)
                } else {
                    dest_url.to_string()
                };
                links.push(url);
            }
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop() {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Reads one question; problems go to `diags`.
pub fn parse_faq(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Faq> {
    let Read {
        parts,
        front,
        ok,
        keys,
    } = read::<Front>(path, text, diags)?;
    let front = front?;
    let mut fine = ok;
    for (key, value, hint) in [
        (
            "title",
            &front.title,
            "add title = \"…?\", the question as people ask it",
        ),
        (
            "service",
            &front.service,
            "add service = \"KONS\", the code (or slug) of the standard it is about",
        ),
    ] {
        let missing = value.as_deref().is_none_or(|v| v.trim().is_empty());
        if missing && !keys.contains(key) {
            fine = false;
            diags.push(Diagnostic::error(
                path,
                (parts.front_line, 1),
                format!("`{key}` is missing in front matter"),
                hint,
            ));
        } else if missing {
            fine = false;
            diags.push(Diagnostic::error(
                path,
                keys.pos_or(key, (parts.front_line, 1)),
                format!("`{key}` is empty"),
                hint,
            ));
        }
    }
    if parts.body.trim().is_empty() {
        fine = false;
        diags.push(Diagnostic::error(
            path,
            (parts.body_line, 1),
            "the answer is empty",
            "write the answer below the closing `+++` line",
        ));
    }
    let slug = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    if slug::slugify(&slug) != slug {
        fine = false;
        diags.push(Diagnostic::error(
            path,
            (1, 1),
            format!("file name {slug:?} is not a valid slug"),
            format!("rename the file to {}.md", slug::slugify(&slug)),
        ));
    }
    if !fine {
        return None;
    }
    Some(Faq {
        slug,
        path: path.to_path_buf(),
        title: front.title.unwrap_or_default(),
        service: front.service.unwrap_or_default().trim().to_string(),
        tags: front.tags,
        draft: front.draft,
        weight: front.weight,
        body: parts.body.to_string(),
        body_line: parts.body_line,
        service_line: keys.pos_or("service", (parts.front_line, 1)).0,
    })
}

/// Every question must name a standard of the site, by code or slug; the name becomes
/// the code. Questions about a standard that is not there are errors.
pub(crate) fn resolve_services(
    faqs: &mut Vec<Faq>,
    services: &[Service],
    diags: &mut Vec<Diagnostic>,
) {
    faqs.retain_mut(|f| {
        let found = services
            .iter()
            .find(|s| s.code == f.service || s.slug == f.service);
        if let Some(s) = found {
            f.service.clone_from(&s.code);
            return true;
        }
        let known: Vec<String> = services
            .iter()
            .map(|s| format!("{} ({})", s.code, s.slug))
            .collect();
        diags.push(Diagnostic::error(
            &f.path,
            (f.service_line, 1),
            format!("no standard has the code or slug {:?}", f.service),
            format!("name one of the site's standards: {}", known.join(", ")),
        ));
        false
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::plain_text;

    #[test]
    fn plain_text_keeps_paragraphs_lists_and_links() {
        let md = "Biaya **tidak** dipungut.\nLihat [standar](/layanan/kons/#biaya).\n\n## Syarat\n\n1. Surel dinas\n2. Nomor `SP2D`\n\n- satu\n- dua";
        let text = plain_text(md, |p| format!("https://x.go.id{p}"));
        assert_eq!(
            text,
            "Biaya tidak dipungut.\nLihat standar (https://x.go.id/layanan/kons/#biaya).\n\nSyarat\n\n1. Surel dinas\n2. Nomor SP2D\n\n- satu\n- dua"
        );
    }
}
