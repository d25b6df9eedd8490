//! Free pages: `content/_index.md` (home) and `content/<slug>.md` (e.g. tentang).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::front_matter::{DateValue, Read, read};
use crate::diagnostics::Diagnostic;

/// A page that is not a service standard.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// Empty for the home page.
    pub slug: String,
    pub path: PathBuf,
    pub title: String,
    pub description: Option<String>,
    pub updated: Option<NaiveDate>,
    pub draft: bool,
    pub weight: i64,
    pub body: String,
    pub body_line: usize,
}

#[derive(Deserialize)]
struct Front {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    updated: Option<DateValue>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    weight: i64,
}

impl Page {
    /// Site path: "" for home, `<slug>/` otherwise.
    pub fn url_path(&self) -> String {
        if self.slug.is_empty() {
            String::new()
        } else {
            format!("{}/", self.slug)
        }
    }
}

/// Reads one page; `slug` is empty for the home page.
pub fn parse_page(
    path: &Path,
    slug: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Page> {
    let Read {
        parts,
        front,
        ok,
        keys,
    } = read::<Front>(path, text, diags)?;
    let front = front?;
    if front.title.is_none() && !keys.contains("title") {
        diags.push(Diagnostic::error(
            path,
            (parts.front_line, 1),
            "`title` is missing in front matter",
            "add title = \"…\", the page's heading",
        ));
        return None;
    }
    if !ok {
        return None;
    }
    let updated = match &front.updated {
        None => None,
        Some(v) => {
            if let Some(d) = v.to_date() {
                Some(d)
            } else {
                diags.push(Diagnostic::error(
                    path,
                    keys.pos_or("updated", (parts.front_line, 1)),
                    "`updated` is not a date",
                    "write it as YYYY-MM-DD, e.g. updated = 2026-11-29",
                ));
                return None;
            }
        }
    };
    if !slug.is_empty() && slug::slugify(slug) != slug {
        diags.push(Diagnostic::error(
            path,
            (1, 1),
            format!("file name {slug:?} is not a valid slug"),
            format!("rename the file to {}.md", slug::slugify(slug)),
        ));
        return None;
    }
    Some(Page {
        slug: slug.to_string(),
        path: path.to_path_buf(),
        title: front.title.unwrap_or_default(),
        description: front.description,
        updated,
        draft: front.draft,
        weight: front.weight,
        body: parts.body.to_string(),
        body_line: parts.body_line,
    })
}
