//! A standard's Markdown is needed only while its own pages render. [`Site::load`]
//! checks every standard, then keeps its facts and drops its text (a site of 10,000
//! standards held 57 MB of it, most of a build's peak memory); the standard's pages read
//! its file again. A file that changed since it was checked is an error, never a page
//! of unchecked text.
//!
//! [`Site::load`]: crate::site::Site::load

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;

use loket_core::content::Service;
use loket_core::diagnostics::{Diagnostic, read_text};

/// What was dropped of each standard, by its file: enough to find its text in the file
/// again and to tell that it is the text that was checked.
#[derive(Default)]
pub(crate) struct Dropped(HashMap<PathBuf, Stamp>);

pub(crate) struct Stamp {
    /// The body is the end of the file: its length in bytes, and its hash.
    body_len: usize,
    body_hash: u64,
    /// Each component's Markdown is `body[offset..offset + len]`.
    component_lens: Vec<usize>,
}

fn hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Stamp {
    /// Drops the body and the components' Markdown of `s`.
    pub(crate) fn drop_text(s: &mut Service) -> Stamp {
        let stamp = Stamp {
            body_len: s.body.len(),
            body_hash: hash(&s.body),
            component_lens: s.components.iter().map(|c| c.markdown.len()).collect(),
        };
        s.body = String::new();
        for c in &mut s.components {
            c.markdown = String::new();
        }
        stamp
    }
}

impl Dropped {
    pub(crate) fn insert(&mut self, path: PathBuf, stamp: Stamp) {
        self.0.insert(path, stamp);
    }

    /// `s` with its text, read again from its file (`s` itself when its text was kept).
    pub(crate) fn with_text<'a>(&self, s: &'a Service) -> Result<Cow<'a, Service>, Diagnostic> {
        let Some(stamp) = self.0.get(&s.path) else {
            return Ok(Cow::Borrowed(s));
        };
        let changed = || {
            Diagnostic::error(
                &s.path,
                (1, 1),
                "the file changed while the site was being built",
                "build again once the file is saved",
            )
        };
        let text = read_text(&s.path)?;
        let body = text
            .len()
            .checked_sub(stamp.body_len)
            .and_then(|start| text.get(start..))
            .filter(|body| hash(body) == stamp.body_hash)
            .ok_or_else(changed)?;
        let mut full = s.clone();
        for (c, len) in full.components.iter_mut().zip(&stamp.component_lens) {
            c.markdown = body
                .get(c.offset..c.offset + len)
                .ok_or_else(changed)?
                .to_string();
        }
        full.body = body.to_string();
        Ok(Cow::Owned(full))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use loket_core::content::read_service;

    const SHIPPED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/layanan/konsultasi-stakeholder.md"
    );

    /// A standard read again is the standard that was checked: the same body and the
    /// same Markdown in each component. A file saved in between is an error.
    #[test]
    fn the_text_read_again_is_the_text_checked_or_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("konsultasi-stakeholder.md");
        std::fs::copy(SHIPPED, &path).unwrap();
        let (original, diags) = read_service(&path);
        let original = original.unwrap_or_else(|| panic!("{diags:?}"));
        let mut lean = original.clone();
        let mut dropped = Dropped::default();
        dropped.insert(path.clone(), Stamp::drop_text(&mut lean));
        assert!(lean.body.is_empty() && lean.components.iter().all(|c| c.markdown.is_empty()));

        let full = dropped.with_text(&lean).unwrap();
        assert_eq!(full.body, original.body);
        assert_eq!(full.components.len(), 6);
        for (a, b) in full.components.iter().zip(&original.components) {
            assert_eq!(a.markdown, b.markdown, "{:?}", a.kind);
        }

        // One character changed, the length kept; then a line added.
        let text = std::fs::read_to_string(&path).unwrap();
        for edited in [
            text.replacen("Persyaratan", "Persyaratam", 1),
            format!("{text}\nTambahan.\n"),
        ] {
            assert_ne!(edited, text);
            std::fs::write(&path, &edited).unwrap();
            let err = dropped.with_text(&lean).unwrap_err();
            assert!(
                err.message
                    .contains("changed while the site was being built"),
                "{err}"
            );
        }
        std::fs::remove_file(&path).unwrap();
        assert!(dropped.with_text(&lean).is_err());
    }
}
