//! `site.toml` as written: the shapes serde reads before anything is checked. Every
//! top-level key is optional here, so one broken table does not hide the problems of
//! the others; what is required is checked, with its position, in the modules above.

use serde::Deserialize;

use crate::document::fields;

#[derive(Deserialize)]
pub(super) struct RawFile {
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    pub base_url: Option<String>,
    pub language: Option<String>,
    pub office: Option<RawOffice>,
    #[serde(default)]
    pub complaints: Vec<RawComplaint>,
    pub mail: Option<RawMail>,
    pub office_hours: Option<RawOfficeHours>,
    #[serde(default)]
    pub sections: Vec<RawSection>,
    #[serde(default)]
    pub staff: Vec<RawStaff>,
    pub helpdesk: Option<RawHelpdesk>,
    /// The help desk's performance export published on the Kinerja Layanan page.
    pub kinerja: Option<String>,
    pub retention: Option<RawRetention>,
}

#[derive(Deserialize)]
pub(super) struct RawOffice {
    pub name: String,
    pub short_name: String,
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
    #[serde(default)]
    pub hierarchy: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct RawComplaint {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawMail {
    pub address: String,
    pub tag: String,
    pub data_dir: Option<String>,
    pub max_message_bytes: Option<u64>,
    pub imap: RawServer,
    pub smtp: RawServer,
}

/// `[mail.imap]` and `[mail.smtp]`: one shape, so the server keys are read one way.
/// The folder keys apply to IMAP only; under `[mail.smtp]` they are an error.
#[derive(Deserialize)]
pub(super) struct RawServer {
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub user: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
    /// Refused with a clear message rather than ignored: secrets never live here.
    pub password: Option<String>,
    pub ca_file: Option<String>,
    pub tls_fingerprint: Option<String>,
    pub auth: Option<String>,
    pub password_command: Option<String>,
    pub token_command: Option<String>,
    pub folder: Option<String>,
    pub processed_folder: Option<String>,
    pub quarantine_folder: Option<String>,
    /// `move` (default) or `keep` (shared mailbox: mail stays, marked with a keyword).
    pub processed: Option<String>,
    /// A shared mailbox's sent folder, whose answers to tickets are recorded.
    pub sent_folder: Option<String>,
    pub idle: Option<bool>,
    pub poll_seconds: Option<u64>,
    pub batch_size: Option<usize>,
}

impl RawServer {
    /// The IMAP-only keys this table sets.
    pub(super) fn imap_keys_set(&self) -> Vec<&'static str> {
        [
            ("folder", self.folder.is_some()),
            ("processed_folder", self.processed_folder.is_some()),
            ("quarantine_folder", self.quarantine_folder.is_some()),
            ("processed", self.processed.is_some()),
            ("sent_folder", self.sent_folder.is_some()),
            ("idle", self.idle.is_some()),
            ("poll_seconds", self.poll_seconds.is_some()),
            ("batch_size", self.batch_size.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
    }
}

#[derive(Deserialize)]
pub(super) struct RawOfficeHours {
    pub days: Vec<String>,
    pub open: String,
    pub close: String,
    pub utc_offset: String,
    pub holidays: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawSection {
    pub code: String,
    pub name: String,
    pub head: String,
}

#[derive(Deserialize)]
pub(super) struct RawStaff {
    pub name: String,
    pub address: String,
    pub role: String,
    pub section: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawHelpdesk {
    pub notify: Option<String>,
    pub default_service: Option<String>,
    pub progress_time: Option<String>,
    pub digest_time: Option<String>,
    pub document_reminder_days: Option<u32>,
    pub reopen_days: Option<u32>,
    pub auto_close_days: Option<u32>,
    pub auto_replies_per_hour: Option<u32>,
    pub forward_attachments_max_bytes: Option<u64>,
    pub trusted_authserv_id: Option<String>,
    pub standing_mail_days: Option<u32>,
}

#[derive(Deserialize, Default, Clone, Copy)]
pub(super) struct RawRetention {
    pub mail_months: Option<u32>,
}

/// The keys each table of `site.toml` accepts, by table path.
pub(super) fn known_keys(table: &str) -> &'static [&'static str] {
    match table {
        "" => fields::<RawFile>(),
        "office" => fields::<RawOffice>(),
        "complaints" => fields::<RawComplaint>(),
        "mail" => fields::<RawMail>(),
        "mail.imap" | "mail.smtp" => fields::<RawServer>(),
        "office_hours" => fields::<RawOfficeHours>(),
        "sections" => fields::<RawSection>(),
        "staff" => fields::<RawStaff>(),
        "helpdesk" => fields::<RawHelpdesk>(),
        "retention" => fields::<RawRetention>(),
        _ => &[],
    }
}
