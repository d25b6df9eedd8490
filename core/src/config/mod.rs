//! `site.toml`: the one model of the office's configuration, site and daemon alike, and
//! the one parser that reads it.
//!
//! Every problem is reported in one run as `site.toml:line:col: what — how to fix`:
//! syntax errors, unknown keys (with a "did you mean"), bad values and broken references
//! (a section head who is not staff, a holiday file that is not there). `loket` and
//! `loketd` both call [`Config::load`], so they report the same problem the same way.
//! The daemon then asks for its own tables with [`Config::into_desk`].

mod helpdesk;
mod mail;
mod office;
mod raw;
mod roster;

use std::path::{Path, PathBuf};

use chrono::NaiveTime;

pub use helpdesk::{Helpdesk, NotifyMode, Retention};
pub use mail::{Auth, Imap, Mail, Processed, SecretSource, Server, Tls};
pub use office::{ComplaintChannel, Office, OfficeHours};
pub use roster::{Role, Roster, Section, Staff};

use crate::diagnostics::{Diagnostic, Diagnostics, Pos};
use crate::document::{KeyIndex, Source};
use raw::RawFile;

/// File name of the configuration, relative to the site root.
pub const CONFIG_FILE: &str = "site.toml";

/// The whole of `site.toml`, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site folder; relative paths in the file are resolved against it.
    pub root: PathBuf,
    /// The file this was read from, and where each key is written in it.
    pub file: ConfigFile,
    pub title: String,
    pub description: String,
    /// Absolute URL of the site root, always ending in `/`.
    pub base_url: String,
    pub language: String,
    pub office: Office,
    pub complaints: Vec<ComplaintChannel>,
    /// `[mail]`: the daemon's mailbox; the site's email button writes to its address.
    pub mail: Option<Mail>,
    /// `[office_hours]`: shown on the site, the daemon's clocks.
    pub office_hours: Option<OfficeHours>,
    pub roster: Roster,
    pub helpdesk: Helpdesk,
    /// `kinerja`: the performance export (`loketd export`) the site publishes, resolved
    /// against the site folder.
    pub kinerja: Option<PathBuf>,
    pub retention: Retention,
}

/// What `loketd` runs on: `site.toml` with the daemon's tables present.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    pub root: PathBuf,
    pub base_url: String,
    pub office: Office,
    pub complaints: Vec<ComplaintChannel>,
    pub mail: Mail,
    pub office_hours: OfficeHours,
    /// The holiday file of `[office_hours]`.
    pub holidays: PathBuf,
    pub roster: Roster,
    pub helpdesk: Helpdesk,
    pub retention: Retention,
    /// The file this was read from, and where each key is written in it.
    pub file: ConfigFile,
}

/// `site.toml` and where each of its keys is written: for problems found after it was
/// read (a `default_service` that no standard has), so they too name their line.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    keys: KeyIndex,
}

impl ConfigFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where `key` (dotted, e.g. `helpdesk.default_service`) is written; for a key the
    /// file leaves out, its table; else the first line.
    pub fn pos(&self, key: &str) -> Pos {
        self.keys.pos_or(key, (1, 1))
    }

    /// A problem at the key it concerns.
    pub fn error_at(
        &self,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(&self.path, self.pos(key), message, hint)
    }

    /// Something to fix before publishing, at the key it concerns.
    pub fn warning_at(
        &self,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::warning(&self.path, self.pos(key), message, hint)
    }
}

/// Collects positioned problems while raw values become the model.
pub(crate) struct Checker<'a> {
    file: &'a ConfigFile,
    root: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, key: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(self.file.error_at(key, message, hint));
    }

    /// A time of day written `HH:MM`.
    fn time(&mut self, key: &str, value: &str) -> Option<NaiveTime> {
        let t = NaiveTime::parse_from_str(value.trim(), "%H:%M").ok();
        if t.is_none() {
            self.error(
                key,
                format!("`{key}` is not a time: {value:?}"),
                "write it as HH:MM, e.g. \"08:00\"",
            );
        }
        t
    }
}

impl Config {
    /// Reads and checks `<root>/site.toml`, reporting every problem at once.
    pub fn load(root: &Path) -> Result<Config, Diagnostics> {
        let path = root.join(CONFIG_FILE);
        let text = crate::diagnostics::read_text(&path)?;
        Self::parse(root, &path, &text)
    }

    /// Checks configuration text; `path` names it in diagnostics, `root` resolves the
    /// relative paths it holds (data folder, holiday file, secrets, CA files).
    pub fn parse(root: &Path, path: &Path, text: &str) -> Result<Config, Diagnostics> {
        let mut diags = Vec::new();
        let src = Source {
            path,
            text,
            first_line: 1,
            what: CONFIG_FILE,
        };
        let (raw, keys) = src.read::<RawFile>(raw::known_keys, &mut diags);
        let Some(raw) = raw else {
            return Err(Diagnostics(diags));
        };
        let file = ConfigFile {
            path: path.to_path_buf(),
            keys,
        };
        let mut c = Checker {
            file: &file,
            root,
            diags,
        };
        let config = Config::from_raw(raw, &mut c);
        let mut diags = Diagnostics(c.diags);
        diags.sort();
        match config {
            Some(config) if !diags.has_errors() => Ok(config),
            _ => Err(diags),
        }
    }

    fn from_raw(raw: RawFile, c: &mut Checker<'_>) -> Option<Config> {
        // A key the file writes but that is absent here was dropped for a bad value,
        // already reported; only a key the file lacks is "missing".
        let mut required = |key: &str, hint: &str| {
            if !c.file.keys.contains(key) {
                c.error(key, format!("`{key}` is missing in {CONFIG_FILE}"), hint);
            }
        };
        if raw.title.is_none() {
            required("title", "add title = \"Standar Pelayanan …\" at the top");
        }
        if raw.base_url.is_none() {
            required(
                "base_url",
                "add base_url = \"https://…/\", the address the site is published at",
            );
        }
        if raw.office.is_none() {
            required(
                "office",
                "add an [office] table: name, address, phone, website, email",
            );
        }
        if raw.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            c.error("title", "`title` is empty", "give it a value");
        }
        let title = raw.title.unwrap_or_default();
        let base_url = raw.base_url.map(|u| {
            if !is_http_url(&u) {
                c.error(
                    "base_url",
                    format!("`base_url` is not an http(s) URL: {u:?}"),
                    "write the site's address, e.g. \"https://layanan.example.go.id/\"",
                );
            }
            normalise_base_url(&u)
        });
        let office = raw.office.map(|o| Office::from_raw(o, c));
        let complaints = raw
            .complaints
            .into_iter()
            .enumerate()
            .map(|(i, r)| ComplaintChannel::from_raw(i, r, c))
            .collect();
        let mail = raw.mail.map(|m| Mail::from_raw(m, c));
        let office_hours = raw.office_hours.and_then(|h| OfficeHours::from_raw(h, c));
        let roster = Roster::from_raw(raw.sections, raw.staff, c);
        let helpdesk = Helpdesk::from_raw(raw.helpdesk.unwrap_or_default(), c);
        let retention = Retention::from_raw(raw.retention.unwrap_or_default(), c);
        Some(Config {
            root: c.root.to_path_buf(),
            file: c.file.clone(),
            title,
            description: raw.description,
            base_url: base_url?,
            language: raw.language.unwrap_or_else(|| "id".to_string()),
            office: office?,
            complaints,
            mail,
            office_hours,
            roster,
            helpdesk,
            kinerja: raw.kinerja.map(|k| c.root.join(k)),
            retention,
        })
    }

    /// Things that do not stop a build but must be fixed before publishing.
    pub fn lint(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mail = self.mail.as_ref().map(|m| &m.address);
        for (key, email) in [
            ("office.email", Some(&self.office.email)),
            ("mail.address", mail),
        ] {
            if let Some(email) = email
                && is_reserved_domain(email.rsplit('@').next().unwrap_or(""))
            {
                out.push(self.file.warning_at(
                    key,
                    format!("`{key}` ({email}) is on a reserved example domain"),
                    "set the office's real contact address before publishing",
                ));
            }
        }
        if let Some(host) = url_host(&self.base_url)
            && is_reserved_domain(&host)
        {
            out.push(self.file.warning_at(
                "base_url",
                format!(
                    "`base_url` ({}) is on a reserved example domain",
                    self.base_url
                ),
                "set the published address, or pass --base-url when building",
            ));
        }
        out
    }

    /// The daemon's view: `[mail]` and `[office_hours]` with its holiday file must be
    /// there. Consumes the config; problems name the file and line.
    pub fn into_desk(self) -> Result<DeskConfig, Diagnostics> {
        let mut diags = Vec::new();
        if self.mail.is_none() {
            diags.push(self.file.error_at(
                "mail",
                format!("{CONFIG_FILE} has no [mail] table: loketd needs the official address and the IMAP/SMTP servers"),
                "add [mail], [mail.imap] and [mail.smtp] (see docs/daemon.md)",
            ));
        }
        match &self.office_hours {
            None => diags.push(self.file.error_at(
                "office_hours",
                format!("{CONFIG_FILE} has no [office_hours] table: deadlines are counted in office hours"),
                "add [office_hours] with days, open, close, utc_offset and holidays",
            )),
            Some(h) if h.holidays.is_none() => diags.push(self.file.error_at(
                "office_hours",
                "`office_hours.holidays` is missing: working-day deadlines need the holiday list",
                "add holidays = \"data/hari-libur.toml\"",
            )),
            Some(_) => {}
        }
        let (Some(mail), Some(office_hours)) = (self.mail, self.office_hours) else {
            return Err(Diagnostics(diags));
        };
        let Some(holidays) = office_hours.holidays.clone() else {
            return Err(Diagnostics(diags));
        };
        Ok(DeskConfig {
            root: self.root,
            base_url: self.base_url,
            office: self.office,
            complaints: self.complaints,
            mail,
            office_hours,
            holidays,
            roster: self.roster,
            helpdesk: self.helpdesk,
            retention: self.retention,
            file: self.file,
        })
    }

    /// Replaces the base URL (the `--base-url` flag).
    pub fn set_base_url(&mut self, url: &str) {
        self.base_url = normalise_base_url(url);
    }

    /// The address the email button writes to: the daemon's mailbox when configured.
    pub fn contact_email(&self) -> &str {
        self.mail
            .as_ref()
            .map_or(&self.office.email, |m| &m.address)
    }

    /// Path part of the base URL (`/` or `/sub/dir/`), for links inside the site.
    pub fn base_path(&self) -> &str {
        let after_scheme = self.base_url.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    }

    /// Absolute URL of a site path such as `layanan/kons/`.
    pub fn absolute_url(&self, path: &str) -> String {
        absolute_url(&self.base_url, path)
    }

    /// Site-internal link (path from the host root) of a site path.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base_path(), path.trim_start_matches('/'))
    }
}

impl DeskConfig {
    /// Absolute URL of a site path, e.g. a standard's page for a mail.
    pub fn absolute_url(&self, path: &str) -> String {
        absolute_url(&self.base_url, path)
    }
}

fn absolute_url(base_url: &str, path: &str) -> String {
    format!("{base_url}{}", path.trim_start_matches('/'))
}

fn normalise_base_url(url: &str) -> String {
    let url = url.trim();
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// An absolute http(s) URL with a host.
pub fn is_http_url(s: &str) -> bool {
    url::Url::parse(s.trim()).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    })
}

fn url_host(s: &str) -> Option<String> {
    url::Url::parse(s).ok()?.host_str().map(str::to_string)
}

/// A mail address as site.toml must write it: `local@domain.tld`, no spaces or angle
/// brackets, no display name. The one check of address syntax, site and daemon alike.
pub fn valid_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let bad = |c: char| {
        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"' | '@')
    };
    !local.is_empty()
        && !local.chars().any(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.chars().any(|c| bad(c) || c == '(' || c == ')')
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
mod tests;
