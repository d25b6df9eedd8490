//! Open data: each standard as JSON at `/layanan/<slug>/index.json`, the list of them at
//! `/layanan/index.json`, and the JSON Schemas both follow, published under `/schema/`.
//! Every file names its schema (`$schema`), its format `version` and its licence; every
//! link in it is absolute.

use serde::Serialize;

use loket_core::config::Config;
use loket_core::content::Service;

use crate::i18n::Lang;
use crate::schema::{SCHEMA_LIST, SCHEMA_STANDARD};

/// The format version of the open data; a change that breaks readers gets a new number
/// and new schema files.
pub const VERSION: u32 = 1;
/// Open government data, reusable with attribution.
pub const LICENSE: &str = "https://creativecommons.org/licenses/by/4.0/";

/// Who publishes the data.
#[derive(Debug, Serialize)]
pub struct Publisher<'a> {
    pub name: &'a str,
    pub url: &'a str,
}

impl<'a> Publisher<'a> {
    pub fn of(config: &'a Config) -> Self {
        Publisher {
            name: &config.office.name,
            url: &config.base_url,
        }
    }
}

/// `/layanan/index.json`: every standard with its page and its data.
#[derive(Debug, Serialize)]
pub struct ServiceList<'a> {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub version: u32,
    pub license: &'static str,
    pub publisher: Publisher<'a>,
    pub services: Vec<ListItem<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ListItem<'a> {
    pub slug: &'a str,
    pub code: &'a str,
    pub title: &'a str,
    pub url: String,
    pub data: String,
}

impl<'a> ServiceList<'a> {
    pub fn new(config: &'a Config, services: &'a [Service], lang: Lang) -> Self {
        ServiceList {
            schema: config.absolute_url(SCHEMA_LIST),
            version: VERSION,
            license: LICENSE,
            publisher: Publisher::of(config),
            services: services
                .iter()
                .map(|s| ListItem {
                    slug: &s.slug,
                    code: &s.code,
                    title: &s.title,
                    url: config.absolute_url(&lang.service_path(s)),
                    data: config.absolute_url(&format!("{}index.json", lang.service_path(s))),
                })
                .collect(),
        }
    }
}

/// The machine-readable form of a standard: front matter plus its sections' Markdown.
#[derive(Debug, Serialize)]
pub struct ServiceData<'a> {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub version: u32,
    pub license: &'static str,
    pub publisher: Publisher<'a>,
    pub slug: &'a str,
    pub url: String,
    pub title: &'a str,
    pub code: &'a str,
    pub sk: &'a str,
    pub completion: String,
    pub completion_label: String,
    pub completion_iso8601: String,
    pub escalation: Option<String>,
    pub escalation_label: Option<String>,
    pub fee: u64,
    pub fee_label: String,
    pub channels: &'a [String],
    pub channel_labels: Vec<&'a str>,
    pub summary: Option<&'a str>,
    pub updated: Option<String>,
    pub language: &'a str,
    pub mail_subject_prefix: String,
    pub components: Vec<ComponentData<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ComponentData<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub heading: &'a str,
    pub public: bool,
    /// The section's Markdown with site links made absolute.
    pub markdown: String,
}

impl<'a> ServiceData<'a> {
    pub fn new(config: &'a Config, s: &'a Service, url: String, lang: Lang) -> Self {
        ServiceData {
            schema: config.absolute_url(SCHEMA_STANDARD),
            version: VERSION,
            license: LICENSE,
            publisher: Publisher::of(config),
            slug: &s.slug,
            url,
            title: &s.title,
            code: &s.code,
            sk: &s.sk,
            completion: s.completion.to_string(),
            completion_label: lang.term(s.completion),
            completion_iso8601: s.completion.iso8601(),
            escalation: s.escalation.map(|t| t.to_string()),
            escalation_label: s.escalation.map(|t| lang.term(t)),
            fee: s.fee,
            fee_label: lang.fee(s.fee),
            channels: &s.channels,
            channel_labels: s.channels.iter().map(|c| lang.channel(c)).collect(),
            summary: s.summary.as_deref(),
            updated: s.updated.map(|d| d.format("%Y-%m-%d").to_string()),
            language: &s.lang,
            mail_subject_prefix: s.mail_subject_prefix(),
            components: s
                .components
                .iter()
                .map(|c| ComponentData {
                    id: c.kind.anchor(),
                    name: c.kind.name_id(),
                    heading: &c.heading,
                    public: c.kind.is_public(),
                    markdown: crate::urls::absolutise(&c.markdown, &config.base_url),
                })
                .collect(),
        }
    }
}
