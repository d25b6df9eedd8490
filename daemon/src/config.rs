//! The daemon's part of `site.toml`: `[mail]`, `[office_hours]`, `[[sections]]`,
//! `[[staff]]` and `[helpdesk]`. The site builder reads the same file for the office's
//! identity; each side validates only its own tables.
//!
//! Every problem names the file, line and key, and all problems of one file are
//! reported together, so an admin fixes the file in one go.

use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use loket::diagnostics::{Diagnostic, line_col};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
    #[error("secret for {what}: {message}")]
    Secret { what: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connect, then STARTTLS; refuses to continue without it.
    StartTls,
    /// No encryption: allowed only for a loopback host.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyMode {
    /// Every CSO gets every new ticket.
    All,
    /// New tickets go to one CSO at a time, in turn.
    RoundRobin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Cso,
    Kasi,
    Kepala,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cso => "cso",
            Role::Kasi => "kasi",
            Role::Kepala => "kepala",
        }
    }
}

/// Where a secret comes from: never from `site.toml` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
    None,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub user: Option<String>,
    pub password: SecretSource,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Imap {
    pub server: Server,
    pub folder: String,
    pub processed_folder: String,
    pub quarantine_folder: String,
    pub idle: bool,
    pub poll_seconds: u64,
    pub batch_size: usize,
}

#[derive(Debug, Clone)]
pub struct Mail {
    /// The official address: the mailbox we read and the From of every reply.
    pub address: String,
    /// Subject tag: replies carry `[TAG #n]`.
    pub tag: String,
    pub data_dir: PathBuf,
    pub max_message_bytes: u64,
    pub imap: Imap,
    pub smtp: Server,
}

impl Mail {
    /// The domain our Message-IDs are made on.
    pub fn domain(&self) -> &str {
        self.address.rsplit('@').next().unwrap_or("localhost")
    }
}

#[derive(Debug, Clone)]
pub struct OfficeHours {
    pub days: Vec<String>,
    pub open: String,
    pub close: String,
    pub utc_offset: String,
    /// Resolved against the site root.
    pub holidays: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub code: String,
    pub name: String,
    pub head: String,
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub name: String,
    pub address: String,
    pub role: Role,
    pub section: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Helpdesk {
    pub notify: NotifyMode,
    /// Local time of day at which escalated tickets get their progress reply.
    pub progress_time: String,
    pub document_reminder_days: u32,
    pub reopen_days: u32,
    pub auto_close_days: u32,
    /// Automatic replies (acknowledgements, notes) to one sender per hour.
    pub auto_replies_per_hour: u32,
    pub trusted_authserv_id: Option<String>,
    /// Staff notifications carry attachments up to this total; larger ones are listed.
    pub forward_attachments_max_bytes: u64,
    /// The service a mail without a `[CODE]` in its subject is filed under.
    pub default_service: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub mail: Mail,
    pub office_hours: OfficeHours,
    pub sections: Vec<Section>,
    pub staff: Vec<Staff>,
    pub helpdesk: Helpdesk,
}

impl Config {
    /// Reads and validates `root/site.toml`.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let path = root.join("site.toml");
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Config::parse(root, &path, &text)
    }

    /// Validates the daemon's tables of an already read `site.toml`.
    pub fn parse(root: &Path, path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut v = Validator {
            path,
            text,
            problems: Vec::new(),
        };
        let raw: RawFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                v.at(e.span(), e.message().to_string());
                return Err(ConfigError::Invalid(v.problems));
            }
        };
        let config = v.build(root, raw);
        match config {
            Some(c) if v.problems.is_empty() => Ok(c),
            _ => Err(ConfigError::Invalid(v.problems)),
        }
    }

    pub fn staff_by_address(&self, address: &str) -> Option<&Staff> {
        self.staff
            .iter()
            .find(|s| s.address.eq_ignore_ascii_case(address))
    }

    pub fn section(&self, code: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code))
    }

    pub fn csos(&self) -> impl Iterator<Item = &Staff> {
        self.staff.iter().filter(|s| s.role == Role::Cso)
    }

    pub fn head_of_office(&self) -> Option<&Staff> {
        self.staff.iter().find(|s| s.role == Role::Kepala)
    }
}

impl SecretSource {
    /// Reads the secret. A file must not be readable by group or others.
    pub fn read(&self, what: &str) -> Result<Option<String>, ConfigError> {
        let err = |message: String| ConfigError::Secret {
            what: what.to_string(),
            message,
        };
        match self {
            SecretSource::None => Ok(None),
            SecretSource::Env(name) => match std::env::var(name) {
                Ok(v) => Ok(Some(v)),
                Err(_) => Err(err(format!(
                    "environment variable {name} is not set; export it before starting loketd"
                ))),
            },
            SecretSource::File(path) => {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::metadata(path)
                    .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(err(format!(
                        "{} is readable by other users; run `chmod 600 {}`",
                        path.display(),
                        path.display()
                    )));
                }
                let text = std::fs::read_to_string(path)
                    .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
                Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
            }
        }
    }
}

// ---- raw shapes, as written in the file -------------------------------------------

#[derive(Deserialize)]
struct RawFile {
    mail: Option<Spanned<RawMail>>,
    office_hours: Option<Spanned<RawOfficeHours>>,
    #[serde(default)]
    sections: Vec<Spanned<RawSection>>,
    #[serde(default)]
    staff: Vec<Spanned<RawStaff>>,
    helpdesk: Option<RawHelpdesk>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    address: Spanned<String>,
    tag: Spanned<String>,
    #[serde(default = "default_data_dir")]
    data_dir: String,
    #[serde(default = "default_max_bytes")]
    max_message_bytes: u64,
    imap: Spanned<RawImap>,
    smtp: Spanned<RawServer>,
}

fn default_data_dir() -> String {
    "var/loketd".into()
}
fn default_max_bytes() -> u64 {
    25 * 1024 * 1024
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: Spanned<String>,
    port: u16,
    tls: Spanned<String>,
    user: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    /// A literal password is refused with a clear message rather than ignored.
    password: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImap {
    host: Spanned<String>,
    port: u16,
    tls: Spanned<String>,
    user: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    password: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    #[serde(default = "default_inbox")]
    folder: String,
    #[serde(default = "default_processed")]
    processed_folder: String,
    #[serde(default = "default_quarantine")]
    quarantine_folder: String,
    #[serde(default = "yes")]
    idle: bool,
    #[serde(default = "default_poll")]
    poll_seconds: u64,
    #[serde(default = "default_batch")]
    batch_size: usize,
}

fn default_inbox() -> String {
    "INBOX".into()
}
fn default_processed() -> String {
    "Diproses".into()
}
fn default_quarantine() -> String {
    "Karantina".into()
}
fn yes() -> bool {
    true
}
fn default_poll() -> u64 {
    60
}
fn default_batch() -> usize {
    100
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOfficeHours {
    days: Vec<String>,
    open: Spanned<String>,
    close: Spanned<String>,
    utc_offset: Spanned<String>,
    holidays: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    code: String,
    name: String,
    head: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    name: String,
    address: Spanned<String>,
    role: Spanned<String>,
    section: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHelpdesk {
    notify: Option<Spanned<String>>,
    progress_time: Option<Spanned<String>>,
    document_reminder_days: Option<u32>,
    reopen_days: Option<u32>,
    auto_close_days: Option<u32>,
    auto_replies_per_hour: Option<u32>,
    trusted_authserv_id: Option<String>,
    forward_attachments_max_bytes: Option<u64>,
    default_service: Option<String>,
}

// ---- validation ------------------------------------------------------------------

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn at(&mut self, span: Option<Range<usize>>, message: String) {
        let pos = span.map_or((1, 1), |s| line_col(self.text, s.start));
        self.problems
            .push(Diagnostic::error(self.path, pos, message, ""));
    }

    fn build(&mut self, root: &Path, raw: RawFile) -> Option<Config> {
        let Some(mail) = raw.mail else {
            self.at(
                None,
                "missing [mail] table: loketd needs the official address and the IMAP/SMTP servers"
                    .into(),
            );
            return None;
        };
        let Some(hours) = raw.office_hours else {
            self.at(
                None,
                "missing [office_hours] table: deadlines are counted in office hours".into(),
            );
            return None;
        };
        let mail = self.mail(root, mail.into_inner());
        let office_hours = self.office_hours(root, hours.into_inner());
        let sections: Vec<Section> = raw
            .sections
            .into_iter()
            .map(|s| {
                let s = s.into_inner();
                self.address("sections.head", &s.head);
                Section {
                    code: s.code,
                    name: s.name,
                    head: s.head.into_inner().to_lowercase(),
                }
            })
            .collect();
        let staff: Vec<Staff> = raw
            .staff
            .into_iter()
            .filter_map(|s| self.staff(s.into_inner(), &sections))
            .collect();
        for s in &sections {
            if !staff.iter().any(|st| st.address == s.head) {
                self.at(
                    None,
                    format!(
                        "section `{}` names head {} who is not in [[staff]]; add them with role = \"kasi\"",
                        s.code, s.head
                    ),
                );
            }
        }
        let helpdesk = self.helpdesk(raw.helpdesk.unwrap_or_default());
        Some(Config {
            root: root.to_path_buf(),
            mail,
            office_hours,
            sections,
            staff,
            helpdesk,
        })
    }

    fn mail(&mut self, root: &Path, m: RawMail) -> Mail {
        self.address("mail.address", &m.address);
        let tag_ok = !m.tag.get_ref().is_empty()
            && m.tag
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !tag_ok {
            self.at(
                Some(m.tag.span()),
                "mail.tag must be letters, digits and '-' only (it goes into subjects as [TAG #n])"
                    .into(),
            );
        }
        if m.max_message_bytes < 64 * 1024 {
            self.at(
                None,
                "mail.max_message_bytes is below 64 KiB: ordinary mail would be quarantined".into(),
            );
        }
        let imap = m.imap.into_inner();
        let imap_server = self.server(
            root,
            "mail.imap",
            RawServer {
                host: imap.host,
                port: imap.port,
                tls: imap.tls,
                user: imap.user,
                password_env: imap.password_env,
                password_file: imap.password_file,
                password: imap.password,
                ca_file: imap.ca_file,
            },
        );
        let smtp = self.server(root, "mail.smtp", m.smtp.into_inner());
        Mail {
            address: m.address.into_inner().to_lowercase(),
            tag: m.tag.into_inner(),
            data_dir: root.join(m.data_dir),
            max_message_bytes: m.max_message_bytes,
            imap: Imap {
                server: imap_server,
                folder: imap.folder,
                processed_folder: imap.processed_folder,
                quarantine_folder: imap.quarantine_folder,
                idle: imap.idle,
                poll_seconds: imap.poll_seconds.max(1),
                batch_size: imap.batch_size.clamp(1, 10_000),
            },
            smtp,
        }
    }

    fn server(&mut self, root: &Path, key: &str, s: RawServer) -> Server {
        let tls = match s.tls.get_ref().as_str() {
            "implicit" => Tls::Implicit,
            "starttls" => Tls::StartTls,
            "none" => Tls::None,
            other => {
                self.at(
                    Some(s.tls.span()),
                    format!("{key}.tls = \"{other}\": use \"implicit\", \"starttls\" or \"none\""),
                );
                Tls::Implicit
            }
        };
        if tls == Tls::None && !is_loopback(s.host.get_ref()) {
            self.at(
                Some(s.tls.span()),
                format!(
                    "{key}.tls = \"none\" is only allowed for a loopback host, not {}: passwords would cross the network in clear",
                    s.host.get_ref()
                ),
            );
        }
        if let Some(p) = &s.password {
            self.at(
                Some(p.span()),
                format!(
                    "{key}.password: secrets never live in site.toml; use password_env = \"VAR\" or password_file = \"path\" (mode 0600)"
                ),
            );
        }
        let password = match (s.password_env, s.password_file) {
            (Some(_), Some(_)) => {
                self.at(
                    Some(s.host.span()),
                    format!("{key}: set password_env or password_file, not both"),
                );
                SecretSource::None
            }
            (Some(var), None) => SecretSource::Env(var),
            (None, Some(file)) => SecretSource::File(root.join(file)),
            (None, None) => SecretSource::None,
        };
        if s.user.is_some() && password == SecretSource::None {
            self.at(
                Some(s.host.span()),
                format!("{key}.user is set but no password_env or password_file"),
            );
        }
        let ca_file = s.ca_file.map(|c| {
            let p = root.join(c.get_ref());
            if !p.is_file() {
                self.at(
                    Some(c.span()),
                    format!("{key}.ca_file {} does not exist", p.display()),
                );
            }
            p
        });
        Server {
            host: s.host.into_inner(),
            port: s.port,
            tls,
            user: s.user,
            password,
            ca_file,
        }
    }

    fn office_hours(&mut self, root: &Path, h: RawOfficeHours) -> OfficeHours {
        let mut times = Vec::new();
        for (key, value) in [("open", &h.open), ("close", &h.close)] {
            match chrono::NaiveTime::parse_from_str(value.get_ref(), "%H:%M") {
                Ok(t) => times.push(t),
                Err(_) => self.at(
                    Some(value.span()),
                    format!(
                        "office_hours.{key} = \"{}\" is not a time like \"08:00\"",
                        value.get_ref()
                    ),
                ),
            }
        }
        if let [open, close] = times[..]
            && open >= close
        {
            self.at(
                Some(h.close.span()),
                "office_hours.close must be later than office_hours.open".into(),
            );
        }
        let holidays = root.join(h.holidays.get_ref());
        if !holidays.is_file() {
            self.at(
                Some(h.holidays.span()),
                format!(
                    "office_hours.holidays: {} does not exist; ship the holiday list (see data/hari-libur.toml)",
                    holidays.display()
                ),
            );
        }
        OfficeHours {
            days: h.days,
            open: h.open.into_inner(),
            close: h.close.into_inner(),
            utc_offset: h.utc_offset.into_inner(),
            holidays,
        }
    }

    fn staff(&mut self, s: RawStaff, sections: &[Section]) -> Option<Staff> {
        self.address("staff.address", &s.address);
        let role = match s.role.get_ref().as_str() {
            "cso" => Role::Cso,
            "kasi" => Role::Kasi,
            "kepala" => Role::Kepala,
            other => {
                self.at(
                    Some(s.role.span()),
                    format!("staff.role = \"{other}\": use \"cso\", \"kasi\" or \"kepala\""),
                );
                return None;
            }
        };
        if let Some(sec) = &s.section
            && !sections
                .iter()
                .any(|x| x.code.eq_ignore_ascii_case(sec.get_ref()))
        {
            self.at(
                Some(sec.span()),
                format!(
                    "staff.section = \"{}\" is not a [[sections]] code",
                    sec.get_ref()
                ),
            );
        }
        Some(Staff {
            name: s.name,
            address: s.address.into_inner().to_lowercase(),
            role,
            section: s.section.map(Spanned::into_inner),
        })
    }

    fn helpdesk(&mut self, h: RawHelpdesk) -> Helpdesk {
        let notify = match h.notify.as_ref().map(|n| n.get_ref().as_str()) {
            None | Some("all") => NotifyMode::All,
            Some("round_robin") => NotifyMode::RoundRobin,
            Some(other) => {
                let span = h.notify.as_ref().map(|n| n.span());
                self.at(
                    span,
                    format!("helpdesk.notify = \"{other}\": use \"all\" or \"round_robin\""),
                );
                NotifyMode::All
            }
        };
        let progress_time = match h.progress_time {
            Some(t) => {
                if chrono::NaiveTime::parse_from_str(t.get_ref(), "%H:%M").is_err() {
                    self.at(
                        Some(t.span()),
                        "helpdesk.progress_time is not a time like \"09:00\"".into(),
                    );
                }
                t.into_inner()
            }
            None => "09:00".into(),
        };
        Helpdesk {
            notify,
            progress_time,
            document_reminder_days: h.document_reminder_days.unwrap_or(2),
            reopen_days: h.reopen_days.unwrap_or(7),
            auto_close_days: h.auto_close_days.unwrap_or(5),
            auto_replies_per_hour: h.auto_replies_per_hour.unwrap_or(3),
            trusted_authserv_id: h.trusted_authserv_id,
            forward_attachments_max_bytes: h
                .forward_attachments_max_bytes
                .unwrap_or(10 * 1024 * 1024),
            default_service: h.default_service.unwrap_or_else(|| "KONS".into()),
        }
    }

    fn address(&mut self, key: &str, value: &Spanned<String>) {
        let v = value.get_ref();
        let ok = v.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !v.contains(char::is_whitespace)
        });
        if !ok {
            self.at(
                Some(value.span()),
                format!("{key} = \"{v}\" is not a mail address like name@domain.example"),
            );
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "site keys are ignored here"

[mail]
address = "Layanan@kppn.example"
tag = "KPPN-TSL"
[mail.imap]
host = "127.0.0.1"
port = 10143
tls = "none"
user = "layanan@kppn.example"
password_env = "X_IMAP"
[mail.smtp]
host = "127.0.0.1"
port = 10025
tls = "none"

[office_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
open = "08:00"
close = "16:00"
utc_offset = "+08:00"
holidays = "site.toml"

[[sections]]
code = "pd"
name = "Seksi Pencairan Dana"
head = "kasi.pd@kppn.example"

[[staff]]
name = "CSO 1"
address = "cso1@kppn.example"
role = "cso"
section = "pd"

[[staff]]
name = "Kasi PD"
address = "kasi.pd@kppn.example"
role = "kasi"
section = "pd"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("site.toml"), text).unwrap();
        Config::parse(dir.path(), &dir.path().join("site.toml"), text)
    }

    fn problems(text: &str) -> Vec<Diagnostic> {
        match parse(text) {
            Err(ConfigError::Invalid(p)) => p,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn good_config_parses_with_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.mail.address, "layanan@kppn.example");
        assert_eq!(c.mail.domain(), "kppn.example");
        assert_eq!(c.mail.imap.folder, "INBOX");
        assert_eq!(c.mail.imap.processed_folder, "Diproses");
        assert_eq!(c.mail.imap.server.tls, Tls::None);
        assert_eq!(
            c.mail.imap.server.password,
            SecretSource::Env("X_IMAP".into())
        );
        assert_eq!(c.helpdesk.notify, NotifyMode::All);
        assert_eq!(c.csos().count(), 1);
        assert_eq!(c.section("PD").unwrap().head, "kasi.pd@kppn.example");
    }

    #[test]
    fn unknown_key_names_its_line() {
        let text = GOOD.replace("tag = \"KPPN-TSL\"", "tag = \"KPPN-TSL\"\ntagg = 1");
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("tagg"), "{}", p[0]);
        assert!(p[0].line >= 5 && p[0].line <= 7, "{}", p[0]);
    }

    #[test]
    fn literal_password_is_refused() {
        let text = GOOD.replace(
            "password_env = \"X_IMAP\"",
            "password_env = \"X_IMAP\"\npassword = \"hunter2\"",
        );
        let p = problems(&text);
        assert!(
            p.iter()
                .any(|p| p.message.contains("never live in site.toml"))
        );
        assert_eq!(p[0].line, 13);
    }

    #[test]
    fn plaintext_to_a_remote_host_is_refused() {
        let text = GOOD.replacen("host = \"127.0.0.1\"", "host = \"imap.example\"", 1);
        let p = problems(&text);
        assert!(p[0].message.contains("loopback"), "{}", p[0]);
        assert_eq!(p[0].line, 10);
    }

    #[test]
    fn all_problems_are_reported_together() {
        let text = GOOD
            .replace("open = \"08:00\"", "open = \"8 pagi\"")
            .replace("role = \"cso\"", "role = \"boss\"")
            .replace(
                "address = \"Layanan@kppn.example\"",
                "address = \"layanan\"",
            );
        let p = problems(&text);
        assert_eq!(p.len(), 3, "{p:?}");
        let all = p
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(all.contains("8 pagi") && all.contains("boss") && all.contains("layanan"));
    }

    #[test]
    fn section_head_must_be_staff() {
        let text = GOOD.replace(
            "head = \"kasi.pd@kppn.example\"",
            "head = \"nobody@kppn.example\"",
        );
        let p = problems(&text);
        assert!(p[0].message.contains("nobody@kppn.example"), "{}", p[0]);
    }

    #[test]
    fn secret_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let src = SecretSource::File(f.clone());
        let e = src.read("IMAP").unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(src.read("IMAP").unwrap().as_deref(), Some("s3cret"));
    }
}
