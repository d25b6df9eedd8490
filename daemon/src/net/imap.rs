//! The office mailbox over IMAP: connect (implicit TLS, STARTTLS, or plain on
//! loopback), keep the selected folder's UIDVALIDITY, list and fetch by UID, move
//! processed mail out of the inbox (or, in a shared mailbox, mark it with a keyword and
//! leave it), read the sent folder's new mail, and wait with IDLE.
//!
//! Only this module speaks IMAP; it knows nothing of tickets.

use std::collections::HashSet;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imap::extensions::idle::WaitOutcome;
use imap::{Connection, Session};
use rustls_connector::RustlsConnector;

use loket_core::config::{Auth, Imap, Processed, Server, Tls};

use super::tls::{self, Proto, Trust};

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("TLS with {host}: {message}")]
    Tls { host: String, message: String },
    #[error("IMAP server {host} refused login for {user}: {message}")]
    Login {
        host: String,
        user: String,
        message: String,
    },
    #[error("IMAP: {0}")]
    Imap(#[from] imap::Error),
    #[error("ca_file {path}: {message}")]
    CaFile { path: String, message: String },
    /// A folder the configuration names is not on the server (and is not ours to make).
    #[error("{key} = {folder:?}: the server has no such folder; {hint}")]
    NoFolder {
        key: &'static str,
        folder: String,
        hint: String,
    },
    /// `processed = "keep"` on a server that will not store keywords on the inbox.
    #[error(
        "processed = \"keep\": the server does not let keywords such as {keyword} be set on {folder} (PERMANENTFLAGS: {flags}); use processed = \"move\""
    )]
    NoKeywords {
        keyword: &'static str,
        folder: String,
        flags: String,
    },
}

impl MailboxError {
    /// Errors that a retry will not fix without a human (wrong password, bad CA file):
    /// the run loop still retries, but slowly, and says so.
    pub(crate) fn needs_admin(&self) -> bool {
        matches!(
            self,
            MailboxError::Login { .. }
                | MailboxError::CaFile { .. }
                | MailboxError::Tls { .. }
                | MailboxError::NoFolder { .. }
                | MailboxError::NoKeywords { .. }
        )
    }
}

/// A mail's UID and size, as listed before downloading.
#[derive(Debug, Clone, Copy)]
pub struct Listed {
    pub uid: u32,
    pub size: u32,
}

pub struct Mailbox {
    session: Session<Connection>,
    /// A handle on the socket so another thread can break a blocking IDLE at shutdown.
    socket: TcpStream,
    folder: String,
    uidvalidity: u32,
    can_move: bool,
    can_idle: bool,
    can_uidplus: bool,
    /// What becomes of a stored mail, and where.
    processed: Processed,
    processed_folder: String,
}

/// New mail of another folder (the sent folder), as listed by [`Mailbox::examine_since`].
#[derive(Debug)]
pub(crate) struct Examined {
    pub uidvalidity: u32,
    /// The UID the folder's next mail will get.
    pub uid_next: u32,
    /// Mail with a UID above the one asked for, oldest first.
    pub listed: Vec<Listed>,
}

/// Lets another thread interrupt a blocked IMAP read (at shutdown).
#[derive(Clone)]
pub(crate) struct Interrupter(Arc<TcpStream>);

impl Interrupter {
    pub(crate) fn interrupt(&self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

impl Mailbox {
    /// Connects, logs in, makes sure the work folders exist and selects `cfg.folder`.
    pub(crate) fn open(cfg: &Imap, password: Option<&str>) -> Result<Mailbox, MailboxError> {
        let (mut session, socket) = login(&cfg.server, password)?;
        let caps = session.capabilities()?;
        let can_move = caps.has_str("MOVE");
        let can_idle = caps.has_str("IDLE");
        let can_uidplus = caps.has_str("UIDPLUS");
        drop(caps);
        for folder in [&cfg.processed_folder, &cfg.quarantine_folder] {
            ensure_folder(&mut session, folder)?;
        }
        if let Some(sent) = &cfg.sent_folder
            && !has_folder(&mut session, sent)?
        {
            return Err(MailboxError::NoFolder {
                key: "mail.imap.sent_folder",
                folder: sent.clone(),
                hint: "name the folder your mail program keeps sent mail in (e.g. \"Sent\", \"Sent Items\", \"INBOX.Sent\")".into(),
            });
        }
        let selected = session.select(&cfg.folder)?;
        let uidvalidity = selected.uid_validity.unwrap_or(0);
        if cfg.processed == Processed::Keep {
            use imap::types::Flag;
            let flags = &selected.permanent_flags;
            let keyword = Flag::Custom(Processed::KEYWORD.into());
            if !flags.contains(&Flag::MayCreate) && !flags.contains(&keyword) {
                return Err(MailboxError::NoKeywords {
                    keyword: Processed::KEYWORD,
                    folder: cfg.folder.clone(),
                    flags: format!("{flags:?}"),
                });
            }
        }
        Ok(Mailbox {
            session,
            socket,
            folder: cfg.folder.clone(),
            uidvalidity,
            can_move,
            can_idle,
            can_uidplus,
            processed: cfg.processed,
            processed_folder: cfg.processed_folder.clone(),
        })
    }

    pub(crate) fn folder(&self) -> &str {
        &self.folder
    }

    pub fn uidvalidity(&self) -> u32 {
        self.uidvalidity
    }

    pub fn can_idle(&self) -> bool {
        self.can_idle
    }

    pub(crate) fn interrupter(&self) -> Result<Interrupter, MailboxError> {
        let s = self
            .socket
            .try_clone()
            .map_err(|source| MailboxError::Connect {
                host: "imap".into(),
                port: 0,
                source,
            })?;
        Ok(Interrupter(Arc::new(s)))
    }

    /// Every mail in the folder with its size, oldest UID first.
    pub fn list(&mut self) -> Result<Vec<Listed>, MailboxError> {
        // A fresh SELECT picks up a changed UIDVALIDITY and new mail reliably.
        let selected = self.session.select(&self.folder)?;
        self.uidvalidity = selected.uid_validity.unwrap_or(0);
        if selected.exists == 0 {
            return Ok(Vec::new());
        }
        // A kept mail carries the keyword once stored: list only the others (the UID
        // state in the store still decides what was stored, the keyword only spares
        // listing it again).
        let range = match self.processed {
            Processed::Move => "1:*".to_string(),
            Processed::Keep => {
                let uids = self
                    .session
                    .uid_search(format!("UNKEYWORD {}", Processed::KEYWORD))?;
                if uids.is_empty() {
                    return Ok(Vec::new());
                }
                uid_set(&uids.into_iter().collect::<Vec<_>>())
            }
        };
        let fetches = self.session.uid_fetch(range, "(UID RFC822.SIZE)")?;
        let mut out: Vec<Listed> = fetches
            .iter()
            .filter_map(|f| {
                Some(Listed {
                    uid: f.uid?,
                    size: f.size.unwrap_or(0),
                })
            })
            .collect();
        out.sort_by_key(|l| l.uid);
        out.dedup_by_key(|l| l.uid);
        Ok(out)
    }

    /// Downloads whole mails without setting \Seen. Missing UIDs (expunged meanwhile) are
    /// simply absent from the result.
    pub fn fetch(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, MailboxError> {
        self.fetch_part(uids, "BODY.PEEK[]")
    }

    /// Downloads only the header section (for a mail too large to download).
    pub(crate) fn fetch_header(&mut self, uid: u32) -> Result<Option<Vec<u8>>, MailboxError> {
        Ok(self
            .fetch_part(&[uid], "BODY.PEEK[HEADER]")?
            .into_iter()
            .next()
            .map(|(_, b)| b))
    }

    fn fetch_part(
        &mut self,
        uids: &[u32],
        what: &str,
    ) -> Result<Vec<(u32, Vec<u8>)>, MailboxError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let fetches = self
            .session
            .uid_fetch(uid_set(uids), format!("(UID {what})"))?;
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        let mut out: Vec<(u32, Vec<u8>)> = fetches
            .iter()
            .filter_map(|f| {
                let uid = f.uid?;
                let body = f.body().or_else(|| f.header())?;
                wanted.contains(&uid).then(|| (uid, body.to_vec()))
            })
            .collect();
        out.sort_by_key(|(u, _)| *u);
        Ok(out)
    }

    /// Puts stored mail away: moved to the processed folder, or, in a shared mailbox
    /// (`processed = "keep"`), left in the inbox and marked with the keyword.
    pub(crate) fn put_away(&mut self, uids: &[u32]) -> Result<(), MailboxError> {
        match self.processed {
            Processed::Move => {
                let folder = self.processed_folder.clone();
                self.move_to(uids, &folder)
            }
            Processed::Keep => {
                if !uids.is_empty() {
                    self.session.uid_store(
                        uid_set(uids),
                        format!("+FLAGS.SILENT ({})", Processed::KEYWORD),
                    )?;
                }
                Ok(())
            }
        }
    }

    /// Opens `folder` read-only (EXAMINE) and lists its mail with a UID above `after`.
    /// Until [`Mailbox::reselect`], fetches read that folder.
    pub(crate) fn examine_since(
        &mut self,
        folder: &str,
        after: u32,
    ) -> Result<Examined, MailboxError> {
        let examined = self.session.examine(folder)?;
        let uidvalidity = examined.uid_validity.unwrap_or(0);
        let uid_next = examined.uid_next.unwrap_or(1);
        let mut listed = Vec::new();
        if examined.exists > 0 && uid_next > after.saturating_add(1) {
            // `n:*` also answers the last mail when every UID is below n: filtered.
            let fetches = self.session.uid_fetch(
                format!("{}:*", after.saturating_add(1)),
                "(UID RFC822.SIZE)",
            )?;
            listed = fetches
                .iter()
                .filter_map(|f| {
                    Some(Listed {
                        uid: f.uid?,
                        size: f.size.unwrap_or(0),
                    })
                })
                .filter(|l| l.uid > after)
                .collect();
            listed.sort_by_key(|l| l.uid);
            listed.dedup_by_key(|l| l.uid);
        }
        Ok(Examined {
            uidvalidity,
            uid_next,
            listed,
        })
    }

    /// Selects the inbox again (after [`Mailbox::examine_since`]).
    pub(crate) fn reselect(&mut self) -> Result<(), MailboxError> {
        let selected = self.session.select(&self.folder)?;
        self.uidvalidity = selected.uid_validity.unwrap_or(0);
        Ok(())
    }

    /// Moves mails to `folder` (MOVE, or COPY + \Deleted + expunge on old servers).
    pub(crate) fn move_to(&mut self, uids: &[u32], folder: &str) -> Result<(), MailboxError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if self.can_move {
            self.session.uid_mv(&set, folder)?;
        } else {
            self.session.uid_copy(&set, folder)?;
            self.session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")?;
            if self.can_uidplus {
                self.session.uid_expunge(&set)?;
            } else {
                self.session.expunge()?;
            }
        }
        Ok(())
    }

    /// Waits for the mailbox to change or `timeout` to pass; true when it changed.
    /// Without IDLE this sleeps for `timeout` (polling).
    pub(crate) fn wait(&mut self, timeout: Duration) -> Result<bool, MailboxError> {
        if !self.can_idle {
            std::thread::sleep(timeout);
            return Ok(true);
        }
        // RFC 2177: re-issue IDLE at least every 29 minutes.
        let timeout = timeout.min(Duration::from_secs(25 * 60));
        let outcome = self
            .session
            .idle()
            .timeout(timeout)
            .keepalive(false)
            .wait_while(imap::extensions::idle::stop_on_any)?;
        Ok(matches!(outcome, WaitOutcome::MailboxChanged))
    }

    pub fn logout(mut self) {
        let _ = self.session.logout();
    }
}

/// Connects and logs in; used by the fetcher and by `check-config`.
pub(crate) fn login(
    server: &Server,
    password: Option<&str>,
) -> Result<(Session<Connection>, TcpStream), MailboxError> {
    let tcp = tcp_connect(&server.host, server.port)?;
    let socket = tcp.try_clone().map_err(|source| MailboxError::Connect {
        host: server.host.clone(),
        port: server.port,
        source,
    })?;
    if server.tls != Tls::Implicit {
        await_greeting(&tcp, server)?;
    }
    let mut client = match server.tls {
        Tls::None => {
            let mut c = imap::Client::new(Box::new(tcp) as Connection);
            c.read_greeting()?;
            c
        }
        Tls::Implicit => {
            let tls = tls_wrap(server, tcp)?;
            let mut c = imap::Client::new(tls);
            c.read_greeting()?;
            c
        }
        Tls::StartTls => {
            let tcp = starttls(tcp, &server.host)?;
            let mut c = imap::Client::new(tls_wrap(server, tcp)?);
            c.greeting_read = true;
            c
        }
    };
    let user = server.user.clone().unwrap_or_default();
    // Dovecot and most servers want LOGIN; the credentials travel inside TLS (or loopback).
    let _ = client.capabilities();
    let refused = |e: imap::Error| MailboxError::Login {
        host: server.host.clone(),
        user: user.clone(),
        message: e.to_string(),
    };
    let session = match server.auth {
        Auth::Password => client
            .login(&user, password.unwrap_or_default())
            .map_err(|(e, _)| refused(e))?,
        Auth::XOAuth2 => client
            .authenticate(
                "XOAUTH2",
                &XOAuth2 {
                    user: &user,
                    token: password.unwrap_or_default(),
                },
            )
            .map_err(|(e, _)| refused(e))?,
    };
    Ok((session, socket))
}

/// SASL XOAUTH2: "user=U^Aauth=Bearer T^A^A". A failed token gets a JSON challenge,
/// answered with an empty line so the server ends the exchange with NO.
struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl imap::Authenticator for XOAuth2<'_> {
    type Response = String;

    fn process(&self, challenge: &[u8]) -> String {
        if challenge.is_empty() {
            format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
        } else {
            String::new()
        }
    }
}

fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, MailboxError> {
    let err = |source| MailboxError::Connect {
        host: host.to_string(),
        port,
        source,
    };
    let addrs = (host, port).to_socket_addrs().map_err(err)?;
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(20)) {
            Ok(s) => {
                // A server that vanishes mid-command must not hang us forever.
                s.set_read_timeout(Some(Duration::from_secs(120))).ok();
                s.set_write_timeout(Some(Duration::from_secs(120))).ok();
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(err(last))
}

/// Waits briefly for the server's first bytes: a port that expects TLS from the first
/// byte says nothing, and would otherwise hold us for the whole read timeout.
fn await_greeting(tcp: &TcpStream, server: &Server) -> Result<(), MailboxError> {
    let set = |t| {
        tcp.set_read_timeout(Some(t))
            .map_err(|source| MailboxError::Connect {
                host: server.host.clone(),
                port: server.port,
                source,
            })
    };
    set(tls::GREETING_TIMEOUT)?;
    let mut byte = [0u8; 1];
    let greeted = tcp.peek(&mut byte);
    set(Duration::from_secs(120))?;
    match greeted {
        Ok(n) if n > 0 => Ok(()),
        Ok(_) => Err(MailboxError::Tls {
            host: server.host.clone(),
            message: format!(
                "{}:{} closed the connection without a greeting",
                server.host, server.port
            ),
        }),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(MailboxError::Tls {
                host: server.host.clone(),
                message: tls::no_greeting(Proto::Imap, server),
            })
        }
        Err(source) => Err(MailboxError::Connect {
            host: server.host.clone(),
            port: server.port,
            source,
        }),
    }
}

/// The STARTTLS exchange on the plain socket (the imap crate keeps it private):
/// greeting, `STARTTLS`, tagged OK; then the caller wraps the socket in TLS.
fn starttls(mut tcp: TcpStream, host: &str) -> Result<TcpStream, MailboxError> {
    use std::io::{BufRead, BufReader, Write};
    let fail = |message: String| MailboxError::Tls {
        host: host.to_string(),
        message,
    };
    let mut reader = BufReader::new(tcp.try_clone().map_err(|e| fail(e.to_string()))?);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| fail(e.to_string()))?;
    if !line.starts_with("* OK") {
        return Err(fail(format!("unexpected greeting {:?}", line.trim_end())));
    }
    tcp.write_all(b"s1 STARTTLS\r\n")
        .map_err(|e| fail(e.to_string()))?;
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|e| fail(e.to_string()))?
            == 0
        {
            return Err(fail("connection closed during STARTTLS".into()));
        }
        if let Some(rest) = line.strip_prefix("s1 ") {
            if rest.starts_with("OK") {
                // Nothing may be buffered past the OK, or it would be read as plaintext.
                if !reader.buffer().is_empty() {
                    return Err(fail("server sent data after STARTTLS OK".into()));
                }
                return Ok(tcp);
            }
            return Err(fail(format!(
                "server refused STARTTLS: {}; set tls = \"implicit\" or check the port",
                rest.trim_end()
            )));
        }
    }
}

fn tls_wrap(server: &Server, tcp: TcpStream) -> Result<Connection, MailboxError> {
    let trust = Trust::of(server).map_err(|message| MailboxError::CaFile {
        path: server
            .ca_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        message,
    })?;
    let seen = Arc::new(Mutex::new(None));
    let config = tls::client_config(&trust, seen.clone()).map_err(|message| MailboxError::Tls {
        host: server.host.clone(),
        message,
    })?;
    let connector = RustlsConnector::from(config);
    let stream = connector
        .connect(&server.host, tcp)
        .map_err(|e| MailboxError::Tls {
            host: server.host.clone(),
            message: tls::plain_words(
                Proto::Imap,
                server,
                &e.to_string(),
                seen.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .as_deref(),
            ),
        })?;
    Ok(Box::new(stream))
}

fn has_folder(session: &mut Session<Connection>, folder: &str) -> Result<bool, MailboxError> {
    Ok(session
        .list(None, Some(folder))?
        .iter()
        .any(|n| n.name() == folder))
}

fn ensure_folder(session: &mut Session<Connection>, folder: &str) -> Result<(), MailboxError> {
    if !has_folder(session, folder)? {
        session.create(folder)?;
    }
    Ok(())
}

/// "1:3,7,9:10" from sorted or unsorted UIDs.
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::uid_set;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[3, 1, 2, 2]), "1:3");
    }
}
