//! The line that says what a loketd works on, at start and after a reload.

use std::path::Path;

use loket_core::config::{Auth, SecretSource, Server, Tls};

use crate::desk::Desk;

/// One line that says what this loketd works on: logged at start and after a reload.
pub fn log_settings(root: &Path, desk: &Desk, what: &str) {
    let mail = &desk.config.mail;
    let imap = &mail.imap;
    let tls = |s: &Server| {
        let mode = match s.tls {
            Tls::Implicit => "implicit",
            Tls::StartTls => "starttls",
            Tls::None => "none",
        };
        let trust = match (&s.tls_fingerprint, &s.ca_file) {
            (Some(_), _) => "+fingerprint",
            (None, Some(_)) => "+ca_file",
            (None, None) => "",
        };
        format!("{mode}{trust}")
    };
    let auth = |s: &Server| match (&s.user, &s.password) {
        (None, _) => "none".to_string(),
        (Some(u), SecretSource::Env(v)) => format!("{u} password_env {v}"),
        (Some(u), SecretSource::File(f)) => {
            format!("{u} password_file {}", f.display())
        }
        (Some(u), SecretSource::Command { .. }) => match s.auth {
            Auth::XOAuth2 => format!("{u} xoauth2 token_command"),
            Auth::Password => format!("{u} password_command"),
        },
        (Some(u), SecretSource::None) => format!("{u} no password"),
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        root = %root.display(),
        data_dir = %mail.data_dir.display(),
        mailbox = %mail.address,
        imap = %format!("{}:{}", imap.server.host, imap.server.port),
        imap_tls = %tls(&imap.server),
        imap_auth = %auth(&imap.server),
        folders = %folders(imap),
        smtp = %format!("{}:{}", mail.smtp.host, mail.smtp.port),
        smtp_tls = %tls(&mail.smtp),
        smtp_auth = %auth(&mail.smtp),
        standards = desk.services.len(),
        canned_answers = desk.faqs.len(),
        "{what}"
    );
}

/// "INBOX -> Diproses | Karantina", or for a shared mailbox
/// "INBOX (kept, marked $Loket) | Karantina, answers from Sent".
fn folders(imap: &loket_core::config::Imap) -> String {
    use loket_core::config::Processed;
    let kept = match imap.processed {
        Processed::Move => format!("{} -> {}", imap.folder, imap.processed_folder),
        Processed::Keep => format!("{} (kept, marked {})", imap.folder, Processed::KEYWORD),
    };
    let sent = imap
        .sent_folder
        .as_ref()
        .map(|f| format!(", answers from {f}"))
        .unwrap_or_default();
    format!("{kept} | {}{sent}", imap.quarantine_folder)
}
