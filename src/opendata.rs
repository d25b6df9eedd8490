//! Open data: each standard as JSON at `/layanan/<slug>/index.json`.

use serde::Serialize;

use loket_core::content::{Service, channel_label};

/// The machine-readable form of a standard: front matter plus its sections' Markdown.
#[derive(Debug, Serialize)]
pub struct ServiceData<'a> {
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
    pub markdown: &'a str,
}

impl<'a> ServiceData<'a> {
    pub fn new(s: &'a Service, url: String) -> Self {
        ServiceData {
            slug: &s.slug,
            url,
            title: &s.title,
            code: &s.code,
            sk: &s.sk,
            completion: s.completion.to_string(),
            completion_label: s.completion.label_id(),
            completion_iso8601: s.completion.iso8601(),
            escalation: s.escalation.map(|t| t.to_string()),
            escalation_label: s.escalation.map(|t| t.label_id()),
            fee: s.fee,
            fee_label: s.fee_label_id(),
            channels: &s.channels,
            channel_labels: s.channels.iter().map(|c| channel_label(c)).collect(),
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
                    markdown: &c.markdown,
                })
                .collect(),
        }
    }
}
