//! `[mail]`: the official mailbox and the servers behind it.

use std::net::IpAddr;
use std::path::PathBuf;

use super::raw::{RawMail, RawServer};
use super::{Checker, valid_address};

/// How a connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connect, then STARTTLS; refuses to continue without it.
    StartTls,
    /// No encryption: allowed only for a loopback host.
    None,
}

/// Where a secret comes from: never from `site.toml` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable, read when connecting.
    Env(String),
    /// A file readable by its owner only (mode 0600), resolved against the site root.
    File(PathBuf),
    /// A command (run by `sh -c` in the site folder at each login) that prints the
    /// secret: `password_command`, or `token_command` for XOAUTH2.
    Command {
        command: String,
        /// The site folder, where it runs (so it may name files relative to it).
        dir: PathBuf,
    },
    None,
}

/// How the daemon logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// LOGIN / AUTH PLAIN with the password.
    Password,
    /// SASL XOAUTH2 with an OAuth 2.0 access token (Microsoft 365, Google Workspace).
    XOAuth2,
}

/// One server the daemon logs in to.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub user: Option<String>,
    pub auth: Auth,
    /// The password, or for XOAUTH2 the command that prints an access token.
    pub password: SecretSource,
    /// Extra trusted certificates, resolved against the site root: a private CA, or
    /// the server's own (self-signed) certificate, which is then accepted exactly.
    pub ca_file: Option<PathBuf>,
    /// `tls_fingerprint = "sha256:…"`: the SHA-256 of the one server certificate to
    /// accept whoever signed it, as 64 lower-case hex digits.
    pub tls_fingerprint: Option<String>,
}

/// `[mail.imap]`: the server plus the folders the daemon works in.
#[derive(Debug, Clone)]
pub struct Imap {
    pub server: Server,
    pub folder: String,
    pub processed_folder: String,
    pub quarantine_folder: String,
    /// What happens to a stored mail: moved to `processed_folder`, or kept in the
    /// inbox and marked (a mailbox people also read).
    pub processed: Processed,
    /// The folder whose new mail is read as answers sent by people from the official
    /// mailbox (a shared mailbox); `None` reads no sent mail.
    pub sent_folder: Option<String>,
    pub idle: bool,
    pub poll_seconds: u64,
    pub batch_size: usize,
}

/// What the daemon does with a mail once it is stored (`[mail.imap] processed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    /// Move it to `processed_folder` (the daemon's own mailbox).
    Move,
    /// Leave it in the inbox and set the IMAP keyword [`Processed::KEYWORD`] (a mailbox
    /// people open in their own mail program).
    Keep,
}

impl Processed {
    /// The IMAP keyword that marks a kept mail as stored.
    pub const KEYWORD: &'static str = "$Loket";
}

/// `[mail]`.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The official address, lower case: the mailbox read and the From of every reply.
    pub address: String,
    /// Subject tag: replies carry `[TAG #n]`.
    pub tag: String,
    /// SQLite, raw mail, attachments and the capability key; resolved against the root.
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

    pub(super) fn from_raw(m: RawMail, c: &mut Checker<'_>) -> Mail {
        if !valid_address(&m.address) {
            c.error(
                "mail.address",
                format!("`mail.address` is not a mail address: {:?}", m.address),
                "write it as name@domain",
            );
        }
        let tag_ok = !m.tag.is_empty()
            && m.tag
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
        if !tag_ok {
            c.error(
                "mail.tag",
                format!(
                    "`mail.tag` = {:?} is not letters, digits and '-' only",
                    m.tag
                ),
                "it goes into subjects as [TAG #n]; use e.g. \"KPPN-TSL\"",
            );
        }
        let max_message_bytes = m.max_message_bytes.unwrap_or(25 * 1024 * 1024);
        if max_message_bytes < 64 * 1024 {
            c.error(
                "mail.max_message_bytes",
                "`mail.max_message_bytes` is below 64 KiB: ordinary mail would be quarantined",
                "leave it out (25 MiB) or raise it",
            );
        }
        let folders = Folders::from_raw(&m.imap);
        let processed = match m.imap.processed.as_deref() {
            None | Some("move") => Processed::Move,
            Some("keep") => Processed::Keep,
            Some(other) => {
                c.error(
                    "mail.imap.processed",
                    format!("`mail.imap.processed` = {other:?} is not a mode"),
                    "use \"move\" (to processed_folder) or \"keep\" (stays in the inbox, marked $Loket)",
                );
                Processed::Move
            }
        };
        let sent_folder = m.imap.sent_folder.clone().filter(|f| !f.trim().is_empty());
        if sent_folder.as_deref() == Some(folders.folder.as_str()) {
            c.error(
                "mail.imap.sent_folder",
                "`mail.imap.sent_folder` is the inbox itself",
                "name the folder your mail program keeps sent mail in, e.g. \"Sent\"",
            );
        }
        let imap = Server::from_raw("mail.imap", m.imap, c);
        let extra = m.smtp.imap_keys_set();
        for key in extra {
            c.error(
                &format!("mail.smtp.{key}"),
                format!("`mail.smtp.{key}` applies to IMAP only"),
                "move it to [mail.imap] or remove it",
            );
        }
        let smtp = Server::from_raw("mail.smtp", m.smtp, c);
        Mail {
            address: m.address.to_lowercase(),
            tag: m.tag,
            data_dir: c.root.join(m.data_dir.as_deref().unwrap_or("var/loketd")),
            max_message_bytes,
            imap: Imap {
                server: imap,
                folder: folders.folder,
                processed_folder: folders.processed,
                quarantine_folder: folders.quarantine,
                processed,
                sent_folder,
                idle: folders.idle,
                poll_seconds: folders.poll_seconds,
                batch_size: folders.batch_size,
            },
            smtp,
        }
    }
}

struct Folders {
    folder: String,
    processed: String,
    quarantine: String,
    idle: bool,
    poll_seconds: u64,
    batch_size: usize,
}

impl Folders {
    fn from_raw(s: &RawServer) -> Folders {
        Folders {
            folder: s.folder.clone().unwrap_or_else(|| "INBOX".into()),
            processed: s
                .processed_folder
                .clone()
                .unwrap_or_else(|| "Diproses".into()),
            quarantine: s
                .quarantine_folder
                .clone()
                .unwrap_or_else(|| "Karantina".into()),
            idle: s.idle.unwrap_or(true),
            poll_seconds: s.poll_seconds.unwrap_or(60).max(1),
            batch_size: s.batch_size.unwrap_or(100).clamp(1, 10_000),
        }
    }
}

impl Server {
    fn from_raw(key: &str, s: RawServer, c: &mut Checker<'_>) -> Server {
        let tls = match s.tls.as_str() {
            "implicit" => Tls::Implicit,
            "starttls" => Tls::StartTls,
            "none" => Tls::None,
            other => {
                c.error(
                    &format!("{key}.tls"),
                    format!("`{key}.tls` = {other:?} is not a TLS mode"),
                    "use \"implicit\", \"starttls\" or \"none\"",
                );
                Tls::Implicit
            }
        };
        if tls == Tls::None && !is_loopback(&s.host) {
            c.error(
                &format!("{key}.tls"),
                format!(
                    "`{key}.tls` = \"none\" is only allowed for a loopback host, not {}",
                    s.host
                ),
                "passwords would cross the network in clear: use \"implicit\" or \"starttls\"",
            );
        }
        if s.password.is_some() {
            c.error(
                &format!("{key}.password"),
                format!("`{key}.password`: secrets never live in site.toml"),
                "use password_env = \"VAR\" or password_file = \"path\" (mode 0600)",
            );
        }
        let auth = match s.auth.as_deref() {
            None | Some("password") => Auth::Password,
            Some("xoauth2") => Auth::XOAuth2,
            Some(other) => {
                c.error(
                    &format!("{key}.auth"),
                    format!("`{key}.auth` = {other:?} is not a login method"),
                    "use \"password\" (the default) or \"xoauth2\" (with token_command)",
                );
                Auth::Password
            }
        };
        let mut sources: Vec<(&str, SecretSource)> = Vec::new();
        if let Some(var) = s.password_env {
            sources.push(("password_env", SecretSource::Env(var)));
        }
        if let Some(file) = s.password_file {
            sources.push(("password_file", SecretSource::File(c.root.join(file))));
        }
        if let Some(cmd) = s.password_command {
            sources.push((
                "password_command",
                SecretSource::Command {
                    command: cmd,
                    dir: c.root.to_path_buf(),
                },
            ));
        }
        if let Some(cmd) = s.token_command {
            sources.push((
                "token_command",
                SecretSource::Command {
                    command: cmd,
                    dir: c.root.to_path_buf(),
                },
            ));
        }
        let wanted = |k: &str| match auth {
            Auth::Password => k != "token_command",
            Auth::XOAuth2 => k == "token_command",
        };
        for (k, _) in sources.iter().filter(|(k, _)| !wanted(k)) {
            let (what, fix) = match auth {
                Auth::Password => (
                    format!("`{key}.{k}` is for auth = \"xoauth2\""),
                    "add auth = \"xoauth2\", or use password_env, password_file or password_command",
                ),
                Auth::XOAuth2 => (
                    format!(
                        "`{key}.{k}` is a password, but auth = \"xoauth2\" logs in with a token"
                    ),
                    "remove it; token_command = \"…\" prints the access token",
                ),
            };
            c.error(&format!("{key}.{k}"), what, fix);
        }
        sources.retain(|(k, _)| wanted(k));
        if sources.len() > 1 {
            c.error(
                &format!("{key}.{}", sources[1].0),
                format!("`{key}` sets both {} and {}", sources[0].0, sources[1].0),
                "keep one of them",
            );
        }
        let password = if sources.len() == 1 {
            sources.remove(0).1
        } else {
            SecretSource::None
        };
        if auth == Auth::XOAuth2 && (s.user.is_none() || password == SecretSource::None) {
            c.error(
                &format!("{key}.auth"),
                format!("`{key}.auth` = \"xoauth2\" needs user and token_command"),
                "add user = \"mailbox@office\" and token_command = \"a command that prints an access token\"",
            );
        } else if s.user.is_some() && password == SecretSource::None && s.password.is_none() {
            c.error(
                &format!("{key}.user"),
                format!(
                    "`{key}.user` is set but no password_env, password_file or password_command"
                ),
                "add password_env = \"VAR\", password_file = \"path\" or password_command = \"…\"",
            );
        }
        let ca_file = s.ca_file.map(|f| {
            let p = c.root.join(&f);
            if !p.is_file() {
                c.error(
                    &format!("{key}.ca_file"),
                    format!("`{key}.ca_file`: {} does not exist", p.display()),
                    "give the path of a PEM file, relative to the site folder",
                );
            }
            p
        });
        let tls_fingerprint = s.tls_fingerprint.and_then(|f| {
            let hex = parse_fingerprint(&f);
            if hex.is_none() {
                c.error(
                    &format!("{key}.tls_fingerprint"),
                    format!("`{key}.tls_fingerprint` = {f:?} is not a SHA-256 fingerprint"),
                    "write \"sha256:\" and 64 hex digits (colons allowed), as `loketd check-config` prints it",
                );
            }
            hex
        });
        Server {
            host: s.host,
            port: s.port,
            tls,
            user: s.user,
            auth,
            password,
            ca_file,
            tls_fingerprint,
        }
    }
}

/// "sha256:AB:CD…" or "sha256:abcd…" → 64 lower-case hex digits.
fn parse_fingerprint(text: &str) -> Option<String> {
    let rest = text
        .trim()
        .strip_prefix("sha256:")
        .or_else(|| text.trim().strip_prefix("SHA256:"))?;
    let hex: String = rest
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_lowercase();
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
