//! The loaded site: `site.toml` and the content (read and checked by `loket_core`, the
//! standards in parallel), the theme, and the values every page sees.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use loket_core::config::{ComplaintChannel, Config, Office};
use loket_core::content::{Content, Faq, Service, load_content, read_service};
use loket_core::diagnostics::{Diagnostic, Diagnostics};
use loket_core::performance::PerformanceExport;
use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::texts::{Dropped, Stamp};
use crate::theme::Theme;

/// Site path of the questions and answers.
pub const FAQ_PATH: &str = "tanya-jawab/";

/// A loaded site, ready to render.
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    /// The content, the standards without their text (see [`crate::texts`]).
    pub content: Content,
    pub(crate) theme: Theme,
    /// Whether rendering records element ids for the link check.
    pub(crate) collect_ids: bool,
    /// The help desk's performance export, when the site publishes one.
    pub performance: Option<PerformanceExport>,
    /// The standards' text, dropped after checking and read again per page.
    pub(crate) dropped: Dropped,
    /// Index in `content.english.services` of each translated standard, by slug.
    translated: HashMap<String, usize>,
    /// Indexes in `content.faqs` of each standard's questions, by code, in order.
    faqs_by_code: HashMap<String, Vec<usize>>,
    /// What every page of the Indonesian and of the English edition shows alike.
    pub(crate) lang_values: [OnceLock<LangValues>; 2],
    /// The office as schema.org JSON-LD, the provider on every standard's page.
    pub(crate) office_jsonld: OnceLock<serde_json::Value>,
}

impl Site {
    /// Reads config, content and theme, reporting problems of all three at once.
    /// Drafts are dropped unless `drafts` is set (they are still validated).
    pub fn load(
        root: &Path,
        base_url: Option<&str>,
        drafts: bool,
        kinerja: Option<&Path>,
    ) -> Result<(Site, Vec<Diagnostic>), Diagnostics> {
        let mut diags = Vec::new();
        let config = match Config::load(root) {
            Ok(mut c) => {
                if let Some(url) = base_url {
                    if loket_core::config::is_http_url(url) {
                        c.set_base_url(url);
                    } else {
                        diags.push(Diagnostic::error(
                            "--base-url",
                            (1, 1),
                            format!("{url:?} is not an absolute http(s) address"),
                            "write the address the site is published at, e.g. https://layanan.kppn.go.id/",
                        ));
                    }
                }
                diags.extend(c.lint());
                Some(c)
            }
            Err(e) => {
                diags.extend(e);
                None
            }
        };
        // Standards are read in parallel: a site may have thousands. Each one's text is
        // dropped once it is checked, and read again when its pages render.
        let stamps = Mutex::new(Vec::new());
        let mut content = load_content(root, &mut diags, |files| {
            files
                .par_iter()
                .map(|p| {
                    let (mut service, d) = read_service(p);
                    if let Some(s) = &mut service {
                        let stamp = Stamp::drop_text(s);
                        stamps
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push((s.path.clone(), stamp));
                    }
                    (service, d)
                })
                .collect()
        });
        let mut dropped = Dropped::default();
        for (path, stamp) in stamps.into_inner().unwrap_or_else(PoisonError::into_inner) {
            dropped.insert(path, stamp);
        }
        let theme = Theme::load(root).map_err(|e| diags.extend(e)).ok();
        // `--kinerja` wins over `kinerja` in site.toml; a file named but missing or
        // unreadable is an error, never a page that silently says "no data".
        let kinerja = kinerja
            .map(Path::to_path_buf)
            .or_else(|| config.as_ref().and_then(|c| c.kinerja.clone()));
        let performance = kinerja.and_then(|path| match PerformanceExport::load(&path) {
            Ok(export) => Some((export, path)),
            Err(e) => {
                diags.extend(e);
                None
            }
        });
        let mut all = Diagnostics(diags);
        all.sort();
        let (Some(config), Some(mut theme)) = (config, theme) else {
            return Err(all);
        };
        if all.has_errors() {
            return Err(all);
        }
        if !drafts {
            content.services.retain(|s| !s.draft);
            content.pages.retain(|p| !p.draft);
            content.faqs.retain(|f| !f.draft);
        }
        // A translation of a standard or page that is not published is not published.
        let english = &mut content.english;
        let slugs: HashSet<&str> = content.services.iter().map(|s| s.slug.as_str()).collect();
        english
            .services
            .retain(|t| (drafts || !t.draft) && slugs.contains(t.slug.as_str()));
        let slugs: HashSet<&str> = content.pages.iter().map(|p| p.slug.as_str()).collect();
        english
            .pages
            .retain(|t| (drafts || !t.draft) && slugs.contains(t.slug.as_str()));
        if english.home.as_ref().is_some_and(|h| h.draft && !drafts) {
            english.home = None;
        }
        // A question about a standard that is not published is not published either,
        // and the web admin hears of it.
        let codes: HashSet<String> = content.services.iter().map(|s| s.code.clone()).collect();
        for f in content.faqs.iter().filter(|f| !codes.contains(&f.service)) {
            all.push(Diagnostic::warning(
                &f.path,
                (1, 1),
                format!("not published: its standard {} is a draft", f.service),
                "publish the standard (remove `draft`), or build with --drafts to preview",
            ));
        }
        content.faqs.retain(|f| codes.contains(&f.service));
        // Checked against the standards that are published: a draft's code is unknown
        // on the page.
        if let Some((export, path)) = &performance {
            all.extend(loket_core::performance::lint(
                export,
                path,
                &content.services,
            ));
        }
        let performance = performance.map(|(export, _)| export);
        all.sort();
        theme.set_globals(globals(&config));
        // Looked up once per standard: never by scanning all of them.
        let translated = (content.english.services.iter().enumerate())
            .map(|(i, t)| (t.slug.clone(), i))
            .collect();
        let mut faqs_by_code: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in content.faqs.iter().enumerate() {
            faqs_by_code.entry(f.service.clone()).or_default().push(i);
        }
        // Translations are read one after another, after the originals.
        for s in &mut content.english.services {
            let stamp = Stamp::drop_text(s);
            dropped.insert(s.path.clone(), stamp);
        }
        Ok((
            Site {
                root: root.to_path_buf(),
                config,
                content,
                theme,
                collect_ids: false,
                performance,
                dropped,
                translated,
                faqs_by_code,
                lang_values: Default::default(),
                office_jsonld: OnceLock::new(),
            },
            all.0,
        ))
    }
}

impl Site {
    /// The English translation of the standard `slug`, if it has one.
    pub(crate) fn translation(&self, slug: &str) -> Option<&Service> {
        let i = *self.translated.get(slug)?;
        self.content.english.services.get(i)
    }

    /// The questions about the standard `code`, in order.
    pub(crate) fn faqs_of(&self, code: &str) -> impl Iterator<Item = &Faq> {
        let indexes = self.faqs_by_code.get(code).map_or(&[][..], Vec::as_slice);
        indexes.iter().filter_map(|i| self.content.faqs.get(*i))
    }
}

/// What templates see of `site.toml` (`site.*`): the public facts, never the staff list.
#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    language: &'a str,
    office: &'a Office,
    complaints: &'a [ComplaintChannel],
}

/// Values shared by every page of both languages: site, office, contact. The menu, the
/// strings and the language are per page (see `Site::page_context`).
fn globals(config: &Config) -> Context {
    let mut g = Context::new();
    g.insert(
        "site",
        &SiteView {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            language: &config.language,
            office: &config.office,
            complaints: &config.complaints,
        },
    );
    g.insert("base_path", config.base_path());
    g.insert("css_url", &config.link("style.css"));
    g.insert("tel_uri", &config.office.tel_uri());
    g.insert("contact_email", config.contact_email());
    g
}

/// What every page of one language shows alike: the interface strings (`t`), the
/// office hours and the menu. Made once per language by the renderer, on first use.
pub(crate) struct LangValues {
    pub(crate) strings: tera::Value,
    pub(crate) hours_label: tera::Value,
    pub(crate) nav: tera::Value,
}
