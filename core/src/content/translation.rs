//! The English edition: `content/layanan/<slug>.en.md` beside a standard, and
//! `content/<slug>.en.md` / `content/_index.en.md` beside a page (Zola's convention).
//!
//! A translation says the same things as its original. Its front matter repeats the
//! facts that machines read (code, decree, terms, fee, channels) so that the English
//! page stands on its own; each one must equal the original's, or `check` reports it at
//! the translation's line.

use std::path::Path;

use super::service::Service;

/// The language of the translations, and the suffix of their file stems (`x.en.md`).
pub const ENGLISH: &str = "en";

/// The original's file stem of a translation's file (`konsultasi.en.md` → `konsultasi`),
/// or `None` for a file that is not a translation.
pub fn original_stem(path: &Path) -> Option<&str> {
    let stem = path.file_stem()?.to_str()?;
    stem.strip_suffix(".en").filter(|s| !s.is_empty())
}

/// The English edition: translations of the standards and pages, in the originals' order.
#[derive(Debug, Clone, Default)]
pub struct Translations {
    pub home: Option<super::Page>,
    pub pages: Vec<super::Page>,
    pub services: Vec<Service>,
}

impl Translations {
    pub fn is_empty(&self) -> bool {
        self.home.is_none() && self.pages.is_empty() && self.services.is_empty()
    }

    /// The English translation of the standard `slug`, if there is one.
    pub fn service(&self, slug: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.slug == slug)
    }

    /// The English translation of the page `slug` ("" for home), if there is one.
    pub fn page(&self, slug: &str) -> Option<&super::Page> {
        if slug.is_empty() {
            self.home.as_ref()
        } else {
            self.pages.iter().find(|p| p.slug == slug)
        }
    }
}
