//! The site's two languages: Indonesian (the original, at the site root) and English (the
//! translations, under `/en/`). Interface strings come from one table per language,
//! `themes/default/i18n/<lang>.toml`; labels made from data (fees, terms, dates,
//! channels) come from here.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use loket_core::config::Config;
use loket_core::content::{Service, Term, channel_label, channel_label_en};
use loket_core::diagnostics::{Diagnostic, read_text};
use loket_core::text;

/// A language of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    /// BCP 47 code, for `lang` and `hreflang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// Where the language's pages live, relative to the site root: "" or "en/".
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::Id => "",
            Lang::En => "en/",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    pub fn fee(self, fee: u64) -> String {
        match self {
            Lang::Id => text::fee_label_id(fee),
            Lang::En => text::fee_label_en(fee),
        }
    }

    pub fn term(self, t: Term) -> String {
        match self {
            Lang::Id => t.label_id(),
            Lang::En => t.label_en(),
        }
    }

    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Id => text::date_id(d),
            Lang::En => text::date_en(d),
        }
    }

    pub fn channel(self, id: &str) -> &str {
        match self {
            Lang::Id => channel_label(id),
            Lang::En => channel_label_en(id),
        }
    }

    /// The office hours as the footer shows them.
    pub fn hours(self, config: &Config) -> Option<String> {
        config.office_hours.as_ref().map(|h| match self {
            Lang::Id => h.label_id(),
            Lang::En => h.label_en(),
        })
    }

    /// Site path of a standard's page in this language.
    pub fn service_path(self, s: &Service) -> String {
        format!("{}{}", self.prefix(), s.url_path())
    }
}

/// Folder of the string tables in a theme.
pub const I18N_DIR: &str = "i18n";

/// The interface strings: one table per language, with the same keys.
#[derive(Debug, Clone, Default)]
pub struct Strings(BTreeMap<Lang, BTreeMap<String, String>>);

/// The keys the renderer reads itself (templates read theirs as `t.key`, which Tera
/// checks): each must be in the tables, or a page would show the key's name.
pub const CODE_KEYS: [&str; 19] = [
    "escalation",
    "escalation_within",
    "faq_description",
    "faq_title",
    "home_title",
    "kinerja_description",
    "kinerja_title",
    "list_title",
    "nav_faq",
    "nav_home",
    "nav_kinerja",
    "nav_services",
    "not_found_title",
    "poster_more",
    "poster_qr_mail",
    "poster_qr_page",
    "poster_steps",
    "skm_description",
    "skm_title",
];

impl Strings {
    /// Reads `<theme>/i18n/id.toml` and `en.toml`. Each must be a flat table of strings,
    /// and each key of one must be in the other.
    pub fn load(theme_dir: &Path) -> Result<Strings, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut tables = BTreeMap::new();
        for lang in Lang::ALL {
            let path = theme_dir
                .join(I18N_DIR)
                .join(format!("{}.toml", lang.code()));
            let text = match read_text(&path) {
                Ok(t) => t,
                Err(e) => {
                    diags.push(e);
                    continue;
                }
            };
            match toml::from_str::<BTreeMap<String, String>>(&text) {
                Ok(t) => {
                    tables.insert(lang, (path, text, t));
                }
                Err(e) => {
                    let line = e
                        .span()
                        .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
                    diags.push(Diagnostic::error(
                        &path,
                        (line, 1),
                        format!("the interface strings do not read: {}", e.message()),
                        "write one `key = \"text\"` per line",
                    ));
                }
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        for lang in Lang::ALL {
            let other = lang.other();
            let (Some((path, _, table)), Some((other_path, other_text, other_table))) =
                (tables.get(&lang), tables.get(&other))
            else {
                continue;
            };
            for key in other_table.keys().filter(|k| !table.contains_key(*k)) {
                let line = other_text
                    .lines()
                    .position(|l| l.trim_start().starts_with(&format!("{key} ")))
                    .map_or(1, |i| i + 1);
                diags.push(Diagnostic::error(
                    path,
                    (1, 1),
                    format!(
                        "the interface string `{key}` is missing; {}:{line} has it",
                        other_path.display()
                    ),
                    format!("add `{key} = \"…\"` in {}", lang.code()),
                ));
            }
        }
        if let Some((path, _, table)) = tables.get(&Lang::Id) {
            for key in CODE_KEYS.iter().filter(|k| !table.contains_key(**k)) {
                diags.push(Diagnostic::error(
                    path,
                    (1, 1),
                    format!("the interface string `{key}` is missing; the pages need it"),
                    format!("add `{key} = \"…\"` in both id.toml and en.toml"),
                ));
            }
        }
        if diags.is_empty() {
            Ok(Strings(
                tables.into_iter().map(|(l, (_, _, t))| (l, t)).collect(),
            ))
        } else {
            Err(diags)
        }
    }

    /// The table of a language, for templates (`t.key`).
    pub fn table(&self, lang: Lang) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        self.0.get(&lang).unwrap_or(&EMPTY)
    }

    /// One string; the key itself when it is missing (never for [`CODE_KEYS`], which
    /// `load` requires).
    pub fn get(&self, lang: Lang, key: &str) -> String {
        self.table(lang)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }
}
