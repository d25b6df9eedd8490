//! `loket new`: a new standard with its front matter and the six public sections.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use loket_core::content::{
    ComponentKind, PLACEHOLDER_SECTIONS, PLACEHOLDER_SK, PLACEHOLDER_SUMMARY, SERVICES_DIR,
    load_content, read_in_turn,
};

/// Why a standard could not be scaffolded.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0:?} is not a valid slug; use lower-case letters, digits and hyphens, e.g. {1:?}")]
    BadSlug(String, String),
    #[error("{0} already exists; choose another slug or edit that file")]
    Exists(PathBuf),
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
}

/// Writes `content/layanan/<slug>.md` under `root` as a draft and returns its path.
pub fn new_service(root: &Path, slug: &str, title: Option<&str>) -> Result<PathBuf, ScaffoldError> {
    let clean = slug::slugify(slug);
    if clean != slug || slug.is_empty() {
        return Err(ScaffoldError::BadSlug(slug.to_string(), clean));
    }
    let dir = root.join(SERVICES_DIR);
    let path = dir.join(format!("{slug}.md"));
    if path.exists() {
        return Err(ScaffoldError::Exists(path));
    }
    // Codes must be unique; broken files elsewhere must not stop scaffolding.
    let mut ignored = Vec::new();
    let taken: BTreeSet<String> = load_content(root, &mut ignored, read_in_turn)
        .services
        .into_iter()
        .map(|s| s.code)
        .collect();
    let title = title.map_or_else(|| default_title(slug), str::to_string);
    let text = template(
        &title,
        &unique_code(slug, &taken),
        chrono::Local::now().date_naive(),
    );
    std::fs::create_dir_all(&dir).map_err(|e| ScaffoldError::Io(dir.clone(), e))?;
    std::fs::write(&path, text).map_err(|e| ScaffoldError::Io(path.clone(), e))?;
    Ok(path)
}

fn default_title(slug: &str) -> String {
    let words: Vec<String> = slug
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
        .collect();
    format!("Layanan {}", words.join(" "))
}

/// Initials of the slug's words ("pencairan-dana" → "PD"), or its first letters.
fn unique_code(slug: &str, taken: &BTreeSet<String>) -> String {
    let words: Vec<&str> = slug.split('-').filter(|w| !w.is_empty()).collect();
    let initials: String = words.iter().filter_map(|w| w.chars().next()).collect();
    let mut base = if initials.len() >= 2 {
        initials
    } else {
        slug.replace('-', "")
    };
    base = base
        .to_ascii_uppercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    if base.len() < 2 {
        base = "LAYANAN".to_string();
    }
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or(base)
}

fn template(title: &str, code: &str, today: chrono::NaiveDate) -> String {
    // What `check` recognises as not yet written (it blocks publishing) comes from core;
    // the fee and complaint sections get sound defaults.
    let defaults = [
        "Tidak dipungut biaya.",
        "Pengaduan, saran dan masukan atas layanan disampaikan melalui kanal pengaduan yang tercantum di bawah halaman ini.",
    ];
    let mut defaults = defaults.iter();
    let mut out = format!(
        "+++\ntitle = {title:?}\ncode = {code:?}\nsk = {PLACEHOLDER_SK:?}\n\
         completion = \"20m\"\nfee = 0\nchannels = [\"tatap-muka\", \"email\"]\n\
         summary = {PLACEHOLDER_SUMMARY:?}\nupdated = {today}\ndraft = true\n+++\n"
    );
    for (kind, placeholder) in ComponentKind::PUBLIC.iter().zip(PLACEHOLDER_SECTIONS) {
        let text = placeholder
            .or_else(|| defaults.next().copied())
            .unwrap_or("");
        out.push_str(&format!("\n## {}\n\n{text}\n", kind.name_id()));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn codes_are_unique() {
        let taken: BTreeSet<String> = ["PD".to_string()].into();
        assert_eq!(unique_code("pencairan-dana", &taken), "PD2");
        assert_eq!(unique_code("konsultasi", &taken), "KONSULTA");
        assert_eq!(unique_code("a", &taken), "LAYANAN");
    }

    #[test]
    fn bad_slug_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            new_service(dir.path(), "Bad Slug", None),
            Err(ScaffoldError::BadSlug(..))
        ));
    }
}
