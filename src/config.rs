//! `site.toml`: the office's identity, contact points and complaint channels.
//!
//! The same file carries the daemon's tables (`[mail]`, `[office_hours]`, `[[sections]]`,
//! `[[staff]]`, `[helpdesk]`); they are accepted here without inspection, except the two
//! values the site shows: the official mail address and the office hours.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Diagnostics, io_error};
use crate::toml_source::{KeyPositions, Shape, TomlText, position_of};

/// File name of the site configuration, relative to the site root.
pub const CONFIG_FILE: &str = "site.toml";

const OFFICE_KEYS: &[(&str, Shape)] = &[
    ("name", Shape::Value),
    ("short_name", Shape::Value),
    ("type", Shape::Value),
    ("address", Shape::Value),
    ("locality", Shape::Value),
    ("region", Shape::Value),
    ("postal_code", Shape::Value),
    ("phone", Shape::Value),
    ("website", Shape::Value),
    ("email", Shape::Value),
    ("hierarchy", Shape::Value),
];

const COMPLAINT_KEYS: &[(&str, Shape)] = &[
    ("name", Shape::Value),
    ("description", Shape::Value),
    ("url", Shape::Value),
];

const TOP_KEYS: &[(&str, Shape)] = &[
    ("title", Shape::Value),
    ("description", Shape::Value),
    ("base_url", Shape::Value),
    ("language", Shape::Value),
    ("office", Shape::Table(OFFICE_KEYS)),
    ("complaints", Shape::Tables(COMPLAINT_KEYS)),
    // The daemon's tables: parsed and validated by loketd.
    ("mail", Shape::Any),
    ("office_hours", Shape::Any),
    ("sections", Shape::Any),
    ("staff", Shape::Any),
    ("helpdesk", Shape::Any),
];

/// The whole site configuration as the site builder uses it.
#[derive(Debug, Clone, Serialize)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    /// Absolute URL of the site root, always ending in `/`.
    pub base_url: String,
    pub language: String,
    pub office: Office,
    pub complaints: Vec<ComplaintChannel>,
    /// Service hours, read from the daemon's `[office_hours]` table.
    pub hours: Option<OfficeHours>,
    /// `[mail].address`: the official helpdesk mailbox the daemon reads.
    pub mail_address: Option<String>,
    /// Path of the file this was read from.
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    positions: KeyPositions,
}

/// The office's identity, as printed in every page header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Office {
    pub name: String,
    pub short_name: String,
    /// Office class, e.g. "A1".
    #[serde(rename = "type", default)]
    pub kind: String,
    pub address: String,
    #[serde(default)]
    pub locality: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    pub phone: String,
    pub website: String,
    pub email: String,
    /// Organisational path from the ministry down to this office.
    #[serde(default)]
    pub hierarchy: Vec<String>,
}

/// One way to file a complaint, suggestion or feedback.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ComplaintChannel {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// Opening hours on working days.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfficeHours {
    /// Three-letter English day names (`mon` … `sun`).
    pub days: Vec<String>,
    /// `HH:MM`, local time.
    pub open: String,
    pub close: String,
    /// `+08:00` and the like.
    #[serde(default)]
    pub utc_offset: String,
}

#[derive(Deserialize)]
struct RawConfig {
    title: String,
    #[serde(default)]
    description: String,
    base_url: String,
    #[serde(default = "default_language")]
    language: String,
    office: Office,
    #[serde(default)]
    complaints: Vec<ComplaintChannel>,
    #[serde(default)]
    office_hours: Option<OfficeHours>,
    #[serde(default)]
    mail: Option<RawMail>,
}

#[derive(Deserialize)]
struct RawMail {
    #[serde(default)]
    address: Option<String>,
}

fn default_language() -> String {
    "id".to_string()
}

const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("mon", "Senin", "Monday"),
    ("tue", "Selasa", "Tuesday"),
    ("wed", "Rabu", "Wednesday"),
    ("thu", "Kamis", "Thursday"),
    ("fri", "Jumat", "Friday"),
    ("sat", "Sabtu", "Saturday"),
    ("sun", "Minggu", "Sunday"),
];

impl SiteConfig {
    /// Reads and validates `<root>/site.toml`, reporting every problem at once.
    pub fn load(root: &Path) -> Result<SiteConfig, Diagnostics> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
        Self::parse(&path, &text)
    }

    /// Parses configuration text; `path` is used only in diagnostics.
    pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, Diagnostics> {
        let mut diags = Vec::new();
        let doc = TomlText {
            path,
            text,
            first_line: 1,
        };
        let Some((raw, positions)) = doc.read::<RawConfig>(TOP_KEYS, CONFIG_FILE, &mut diags)
        else {
            return Err(Diagnostics(diags));
        };
        let config = SiteConfig {
            title: raw.title,
            description: raw.description,
            base_url: normalise_base_url(&raw.base_url),
            language: raw.language,
            office: raw.office,
            complaints: raw.complaints,
            hours: raw.office_hours,
            mail_address: raw.mail.and_then(|m| m.address),
            path: path.to_path_buf(),
            positions,
        };
        diags.extend(config.validate());
        Diagnostics(diags).into_result().map(|()| config)
    }

    fn at(&self, key: &str) -> (usize, usize) {
        position_of(&self.positions, key, 1)
    }

    fn error(&self, key: &str, message: String, hint: &str) -> Diagnostic {
        Diagnostic::error(&self.path, self.at(key), message, hint)
    }

    fn validate(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let required = [
            ("title", &self.title),
            ("office.name", &self.office.name),
            ("office.short_name", &self.office.short_name),
            ("office.address", &self.office.address),
            ("office.phone", &self.office.phone),
        ];
        for (key, value) in required {
            if value.trim().is_empty() {
                out.push(self.error(key, format!("`{key}` is empty"), "give it a value"));
            }
        }
        if !is_http_url(&self.base_url) {
            out.push(self.error(
                "base_url",
                format!("`base_url` is not an http(s) URL: {:?}", self.base_url),
                "write the site's address, e.g. \"https://layanan.example.go.id/\"",
            ));
        }
        if !is_http_url(&self.office.website) {
            out.push(self.error(
                "office.website",
                "`office.website` is not an http(s) URL".to_string(),
                "write the office's web address starting with https://",
            ));
        }
        for (key, email) in [
            ("office.email", Some(&self.office.email)),
            ("mail.address", self.mail_address.as_ref()),
        ] {
            if let Some(email) = email
                && !is_email(email)
            {
                out.push(self.error(
                    key,
                    format!("`{key}` is not an email address: {email:?}"),
                    "write it as name@domain",
                ));
            }
        }
        for (i, c) in self.complaints.iter().enumerate() {
            if let Some(url) = &c.url
                && !is_http_url(url)
            {
                out.push(self.error(
                    &format!("complaints[{i}].url"),
                    format!(
                        "complaint channel {:?} has a URL that is not http(s)",
                        c.name
                    ),
                    "write the full address starting with https://, or remove `url`",
                ));
            }
        }
        if let Some(h) = &self.hours {
            for d in &h.days {
                if !WEEKDAYS.iter().any(|(k, _, _)| k == d) {
                    out.push(self.error(
                        "office_hours.days",
                        format!("unknown day {d:?} in `office_hours.days`"),
                        "use mon, tue, wed, thu, fri, sat or sun",
                    ));
                }
            }
            for (key, t) in [
                ("office_hours.open", &h.open),
                ("office_hours.close", &h.close),
            ] {
                if chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err() {
                    out.push(self.error(
                        key,
                        format!("`{key}` is not a time: {t:?}"),
                        "write it as HH:MM, e.g. \"08:00\"",
                    ));
                }
            }
        }
        out
    }

    /// Things that do not stop a build but must be fixed before publishing.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (key, email) in [
            ("office.email", Some(&self.office.email)),
            ("mail.address", self.mail_address.as_ref()),
        ] {
            if let Some(email) = email
                && is_reserved_domain(email.rsplit('@').next().unwrap_or(""))
            {
                out.push(Diagnostic::warning(
                    &self.path,
                    self.at(key),
                    format!("`{key}` ({email}) is on a reserved example domain"),
                    "set the office's real contact address before publishing",
                ));
            }
        }
        if let Some(host) = url_host(&self.base_url)
            && is_reserved_domain(host)
        {
            out.push(Diagnostic::warning(
                &self.path,
                self.at("base_url"),
                format!(
                    "`base_url` ({}) is on a reserved example domain",
                    self.base_url
                ),
                "set the published address, or pass --base-url when building",
            ));
        }
        out
    }

    /// Replaces the base URL (the `--base-url` flag).
    pub fn set_base_url(&mut self, url: &str) {
        self.base_url = normalise_base_url(url);
    }

    /// The address the email button writes to: the daemon's mailbox when configured.
    pub fn contact_email(&self) -> &str {
        self.mail_address.as_deref().unwrap_or(&self.office.email)
    }

    /// Path part of the base URL (`/` or `/sub/dir/`), for links inside the site.
    pub fn base_path(&self) -> &str {
        let after_scheme = self.base_url.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    }

    /// Absolute URL of a site path such as `layanan/kons/`.
    pub fn absolute_url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path.trim_start_matches('/'))
    }

    /// Site-internal link (path from the host root) of a site path.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base_path(), path.trim_start_matches('/'))
    }

    /// Positions of keys in site.toml, by dotted path.
    pub fn key_positions(&self) -> &BTreeMap<String, (usize, usize)> {
        &self.positions
    }
}

impl Office {
    /// `tel:` URI in international form (Indonesian numbers: leading 0 → +62).
    pub fn tel_uri(&self) -> String {
        let digits: String = self.phone.chars().filter(|c| c.is_ascii_digit()).collect();
        match digits.strip_prefix('0') {
            Some(rest) if !self.phone.trim_start().starts_with('+') => format!("tel:+62{rest}"),
            _ => format!("tel:+{digits}"),
        }
    }
}

impl OfficeHours {
    /// Indonesian label, e.g. "Senin–Jumat, 08.00–16.00 WITA".
    pub fn label_id(&self) -> String {
        let names: Vec<(usize, &str)> = self
            .days
            .iter()
            .filter_map(|d| WEEKDAYS.iter().position(|(k, _, _)| k == d))
            .map(|i| (i, WEEKDAYS[i].1))
            .collect();
        let contiguous = names.windows(2).all(|w| w[1].0 == w[0].0 + 1);
        let days = match (names.first(), names.last()) {
            (Some(first), Some(last)) if contiguous && names.len() > 2 => {
                format!("{}–{}", first.1, last.1)
            }
            _ => names.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "),
        };
        let zone = match self.utc_offset.as_str() {
            "+07:00" => "WIB".to_string(),
            "+08:00" => "WITA".to_string(),
            "+09:00" => "WIT".to_string(),
            "" => String::new(),
            other => format!("UTC{other}"),
        };
        let time = format!(
            "{}–{}",
            self.open.replace(':', "."),
            self.close.replace(':', ".")
        );
        let time = if zone.is_empty() {
            time
        } else {
            format!("{time} {zone}")
        };
        if days.is_empty() {
            time
        } else {
            format!("{days}, {time}")
        }
    }

    /// schema.org day names (`Monday` …) of the open days.
    pub fn schema_days(&self) -> Vec<&'static str> {
        self.days
            .iter()
            .filter_map(|d| WEEKDAYS.iter().find(|(k, _, _)| k == d).map(|w| w.2))
            .collect()
    }
}

fn normalise_base_url(url: &str) -> String {
    let url = url.trim();
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

fn is_http_url(url: &str) -> bool {
    url_host(url).is_some_and(|h| !h.is_empty())
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    Some(host.split(':').next().unwrap_or(""))
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// RFC 2606 / 6761 names that can never be a real office's address.
fn is_reserved_domain(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ["example", "test", "invalid", "localhost"]
        .iter()
        .any(|tld| host == *tld || host.ends_with(&format!(".{tld}")))
        || ["example.com", "example.org", "example.net"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
title = "T"
base_url = "https://x.go.id"
[office]
name = "Kantor"
short_name = "K"
address = "Jl. A"
phone = "0552 2034375"
website = "https://x.go.id/"
email = "a@b.example"
[mail]
address = "m@b.go.id"
[mail.imap]
host = "h"
[office_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
open = "08:00"
close = "16:00"
utc_offset = "+08:00"
holidays = "data/hari-libur.toml"
[[staff]]
name = "x"
[helpdesk]
y = 1
"#;

    #[test]
    fn accepts_daemon_tables_and_reads_mail_address() {
        let c = SiteConfig::parse(Path::new("site.toml"), MINIMAL).expect("valid");
        assert_eq!(c.contact_email(), "m@b.go.id");
        assert_eq!(c.base_url, "https://x.go.id/");
        assert_eq!(c.base_path(), "/");
        assert_eq!(
            c.hours.as_ref().map(|h| h.label_id()).as_deref(),
            Some("Senin–Jumat, 08.00–16.00 WITA")
        );
        assert_eq!(c.office.tel_uri(), "tel:+625522034375");
    }

    #[test]
    fn hours_label_lists_scattered_days() {
        let h = OfficeHours {
            days: vec!["mon".into(), "wed".into()],
            open: "07:30".into(),
            close: "15:00".into(),
            utc_offset: "+07:00".into(),
        };
        assert_eq!(h.label_id(), "Senin, Rabu, 07.30–15.00 WIB");
    }

    #[test]
    fn warns_on_example_email() {
        let c = SiteConfig::parse(Path::new("site.toml"), MINIMAL).expect("valid");
        let w = c.lint();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, 10);
        assert!(w[0].message.contains("office.email"));
    }

    #[test]
    fn unknown_key_is_reported_with_line() {
        let text = MINIMAL.replace("[mail]\n", "colour = \"red\"\n[mail]\n");
        let e = SiteConfig::parse(Path::new("site.toml"), &text).expect_err("unknown key");
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].line, 11);
        assert!(e.0[0].message.contains("`office.colour`"));
    }

    #[test]
    fn base_path_of_sub_directory_site() {
        let text = MINIMAL.replace("https://x.go.id\"", "https://x.go.id/kppn\"");
        let c = SiteConfig::parse(Path::new("site.toml"), &text).expect("valid");
        assert_eq!(c.base_path(), "/kppn/");
        assert_eq!(c.link("layanan/a/"), "/kppn/layanan/a/");
    }
}
