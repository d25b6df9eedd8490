//! SMTP with lettre's connection API: implicit TLS, STARTTLS or plain on loopback; AUTH
//! when a user is configured. Sends one ready message at a time over a [`Session`] that
//! keeps its connection for the next (greeting, TLS and login once per flush, not per
//! mail), and says how a failure should be treated; draining the outbox is
//! `run::send`'s job. The socket has `TCP_NODELAY` (the vendored lettre,
//! `vendor/README.md`), so no message waits for the server's delayed ACK.
//!
//! The session is opened step by step (greeting, TLS, certificate, login) so that each
//! step's failure is said in plain words, a port that expects TLS is noticed within
//! seconds, and a pinned certificate is checked before the password is sent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use loket_core::config::{Auth, Server, Tls};

use super::tls::{self, GREETING_TIMEOUT, Proto, Trust};

/// Read and write timeout once the server has greeted.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("SMTP {host}: {message}")]
    Setup { host: String, message: String },
}

pub struct Sender {
    server: Server,
    credentials: Option<Credentials>,
    envelope_from: lettre::Address,
    hello: ClientId,
    trust: Trust,
    /// Verified against the public roots and `ca_file`.
    verified: TlsParameters,
    /// Any certificate, checked against the pins after the handshake (before login).
    pinned: Option<TlsParameters>,
    /// The last session went through a pin.
    pinned_first: AtomicBool,
}

/// How a failed send is to be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// 5xx to this mail: the server will never take it.
    Permanent,
    /// 4xx to this mail: try it again later.
    Transient,
    /// No answer at all: the server is away; every mail would fail the same way.
    Connection,
    /// The server refused *us*, not the mail: a login refused (530/534/535/538), a
    /// temporary authentication failure (454), a TLS failure, a port that expects TLS.
    /// Every mail would fail the same way until the configuration is fixed.
    Config,
}

/// SMTP answers about the client's login or TLS, never about one mail.
const CONFIG_CODES: [&str; 5] = ["454", "530", "534", "535", "538"];

/// Words of a refusal of our sender address for this login, whichever step it comes at
/// (Postfix rejects at RCPT by default, Microsoft 365 after the data).
const SENDER_REFUSED: [&str; 3] = ["Sender address rejected", "SendAsDenied", "5.7.60"];

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    fn config(message: String) -> Failure {
        Failure {
            kind: FailureKind::Config,
            message,
        }
    }
}

impl Sender {
    pub(crate) fn new(
        server: &Server,
        password: Option<&str>,
        from: &str,
    ) -> Result<Sender, SmtpError> {
        let setup = |message: String| SmtpError::Setup {
            host: server.host.clone(),
            message,
        };
        let trust = Trust::of(server).map_err(setup)?;
        let mut b = TlsParameters::builder(server.host.clone());
        for der in &trust.extra {
            // A self-signed leaf is no use as an anchor; it is pinned instead.
            if let Ok(cert) = Certificate::from_der(der.to_vec()) {
                b = b.add_root_certificate(cert);
            }
        }
        let verified = b.build_rustls().map_err(|e| setup(e.to_string()))?;
        let pinned = if trust.pins.is_empty() {
            None
        } else {
            Some(
                TlsParameters::builder(server.host.clone())
                    .dangerous_accept_invalid_certs(true)
                    .build_rustls()
                    .map_err(|e| setup(e.to_string()))?,
            )
        };
        Ok(Sender {
            server: server.clone(),
            credentials: server
                .user
                .as_ref()
                .map(|u| Credentials::new(u.clone(), password.unwrap_or_default().to_string())),
            envelope_from: from
                .parse()
                .map_err(|e| setup(format!("official address {from}: {e}")))?,
            hello: ClientId::default(),
            trust,
            verified,
            pinned,
            pinned_first: AtomicBool::new(false),
        })
    }

    /// Connects, says EHLO, TLS and logs in: for `check-config`.
    pub fn test(&self) -> Result<(), String> {
        let mut c = self.open().map_err(|f| f.message)?;
        let _ = c.quit();
        Ok(())
    }

    /// A session for a run of mails: one connection, opened at the first mail.
    pub(crate) fn session(&self) -> Session<'_> {
        Session {
            sender: self,
            conn: None,
        }
    }

    /// One mail transaction on an open connection, one SMTP step at a time: a refusal
    /// of MAIL FROM is about our address and login (the same for every mail); a
    /// refusal of RCPT TO or of the data is about this mail.
    fn transaction(
        &self,
        c: &mut SmtpConnection,
        to: &[lettre::Address],
        raw: &[u8],
    ) -> Result<(), Failed> {
        let info = c.server_info();
        let mut params = Vec::new();
        let ascii = |a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii();
        if !(ascii(&self.envelope_from) && to.iter().all(ascii))
            && info.supports_feature(Extension::SmtpUtfEight)
        {
            params.push(MailParameter::SmtpUtfEight);
        }
        if !raw.is_ascii() && info.supports_feature(Extension::EightBitMime) {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let sender_refused = |e: &lettre::transport::smtp::Error| Failure {
            kind: FailureKind::Config,
            message: format!(
                "{e}: the server refuses {} as the sender for the login {}; check [mail] address and user under [mail.smtp] (the login must be allowed to send as the office address)",
                self.envelope_from,
                self.server.user.as_deref().unwrap_or("-")
            ),
        };
        let about_mail = |e: &lettre::transport::smtp::Error| {
            if e.is_permanent() && SENDER_REFUSED.iter().any(|w| e.to_string().contains(w)) {
                return sender_refused(e);
            }
            Failure {
                kind: if e.is_permanent() {
                    FailureKind::Permanent
                } else if e.is_transient() {
                    FailureKind::Transient
                } else {
                    FailureKind::Connection
                },
                message: e.to_string(),
            }
        };
        if let Err(e) = c.command(Mail::new(Some(self.envelope_from.clone()), params)) {
            return Err(Failed::BeforeMail(if e.is_permanent() {
                sender_refused(&e)
            } else {
                Failure {
                    kind: FailureKind::Connection,
                    message: e.to_string(),
                }
            }));
        }
        for r in to {
            c.command(Rcpt::new(r.clone(), Vec::new()))
                .map_err(|e| Failed::Mail(about_mail(&e)))?;
        }
        c.command(Data).map_err(|e| Failed::Mail(about_mail(&e)))?;
        // In pieces: lettre copies what it is given to escape dots, piece by piece.
        c.message_iter(raw.chunks(64 * 1024))
            .map_err(|e| Failed::Mail(about_mail(&e)))?;
        Ok(())
    }

    /// Greeting, TLS, certificate, login. Nothing here is about a mail: a refusal is
    /// a configuration failure, silence is the server being away.
    fn open(&self) -> Result<SmtpConnection, Failure> {
        // The server showed a pinned certificate before: go there directly rather than
        // fail the chain check on every mail first.
        if self.pinned_first.load(Ordering::Relaxed) {
            if let Ok(Some(c)) = self.open_pinned() {
                return self.login(c);
            }
            self.pinned_first.store(false, Ordering::Relaxed);
        }
        match self.open_with(&self.verified) {
            // Not trusted by its chain: the admin may have pinned this very
            // certificate. Anything else keeps the first answer.
            Err(f) if self.may_be_pinned(&f) => match self.open_pinned() {
                Ok(Some(c)) => {
                    self.pinned_first.store(true, Ordering::Relaxed);
                    self.login(c)
                }
                _ => Err(f),
            },
            Err(f) => Err(f),
            Ok(c) => self.login(c),
        }
    }

    /// A session whose certificate is one the admin pinned; `None` when the server
    /// shows another.
    fn open_pinned(&self) -> Result<Option<SmtpConnection>, Failure> {
        let Some(params) = &self.pinned else {
            return Ok(None);
        };
        let mut c = self.open_with(params)?;
        let leaf = c.peer_certificate().unwrap_or_default();
        if self.trust.pins(&leaf) {
            Ok(Some(c))
        } else {
            c.abort();
            Ok(None)
        }
    }

    /// Whether a failure is one a pinned certificate overrides: an untrusted issuer
    /// (a self-signed certificate named in `ca_file`), or any certificate problem when
    /// `tls_fingerprint` names the one certificate to accept.
    fn may_be_pinned(&self, f: &Failure) -> bool {
        f.kind == FailureKind::Config
            && self.pinned.is_some()
            && (f.message.contains("not signed by an authority")
                || (self.server.tls_fingerprint.is_some() && f.message.contains("certificate")))
    }

    /// Connects and sets up TLS with `params` (nothing for `tls = "none"`).
    fn open_with(&self, params: &TlsParameters) -> Result<SmtpConnection, Failure> {
        let s = &self.server;
        let addr = (s.host.as_str(), s.port);
        let wrapper = (s.tls == Tls::Implicit).then_some(params);
        let mut c =
            SmtpConnection::connect(addr, Some(GREETING_TIMEOUT), &self.hello, wrapper, None)
                .map_err(|e| self.connect_failure(&e))?;
        if s.tls == Tls::StartTls {
            if !c.can_starttls() {
                c.abort();
                return Err(Failure::config(format!(
                    "{}:{} does not offer STARTTLS. If it is an implicit-TLS port (like 465) set tls = \"implicit\" under [mail.smtp]; else use the submission port (587)",
                    s.host, s.port
                )));
            }
            c.starttls(params, &self.hello)
                .map_err(|e| self.connect_failure(&e))?;
        }
        c.set_timeout(Some(IO_TIMEOUT)).map_err(|e| Failure {
            kind: FailureKind::Connection,
            message: e.to_string(),
        })?;
        Ok(c)
    }

    fn login(&self, mut c: SmtpConnection) -> Result<SmtpConnection, Failure> {
        if let Some(creds) = &self.credentials {
            let mechanisms: &[Mechanism] = match self.server.auth {
                Auth::Password => &[Mechanism::Plain, Mechanism::Login],
                Auth::XOAuth2 => &[Mechanism::Xoauth2],
            };
            c.auth(mechanisms, creds)
                .map_err(|e| {
                    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
                    Failure {
                        // A 4xx other than 454 is the server being busy.
                        kind: if e.is_transient() && !CONFIG_CODES.contains(&code.as_str()) {
                            FailureKind::Connection
                        } else if e.is_permanent() || e.is_transient() || e.is_client() {
                            FailureKind::Config
                        } else {
                            FailureKind::Connection
                        },
                        message: match self.server.auth {
                            // lettre answers the server's error challenge with this.
                            Auth::XOAuth2 if e.is_client() => format!(
                                "the SMTP server refused the access token (XOAUTH2): check that token_command prints a fresh token for {}",
                                self.server.user.as_deref().unwrap_or("-")
                            ),
                            _ if code == "535" => format!(
                                "{e}: the server refused the login of {}; check user and the password under [mail.smtp]",
                                self.server.user.as_deref().unwrap_or("-")
                            ),
                            _ => e.to_string(),
                        },
                    }
                })?;
        }
        Ok(c)
    }

    /// A failure before any mail was named, in plain words.
    fn connect_failure(&self, e: &lettre::transport::smtp::Error) -> Failure {
        let s = &self.server;
        let text = e.to_string();
        // A failed handshake after STARTTLS reaches us as a network error.
        let tls_failed = e.is_tls()
            || [
                "peer certificate",
                "InvalidContentType",
                "corrupt message",
                "AlertReceived",
            ]
            .iter()
            .any(|t| text.contains(t));
        if tls_failed {
            // The fingerprint is worth a second connection only where pinning is advice.
            let untrusted = ["UnknownIssuer", "CaUsedAsEndEntity"]
                .iter()
                .any(|t| text.contains(t));
            let seen = if untrusted {
                self.seen_fingerprint()
            } else {
                None
            };
            return Failure::config(tls::plain_words(Proto::Smtp, s, &text, seen.as_deref()));
        }
        if waited(e) {
            return Failure::config(tls::no_greeting(Proto::Smtp, s));
        }
        if e.is_permanent() {
            // A 5xx greeting or EHLO: the server will not talk to us.
            return Failure::config(e.to_string());
        }
        Failure {
            kind: FailureKind::Connection,
            message: e.to_string(),
        }
    }

    /// The fingerprint of the certificate the server shows, for the message of a
    /// failed verification: a second connection that trusts anything and sends nothing.
    fn seen_fingerprint(&self) -> Option<String> {
        let any = TlsParameters::builder(self.server.host.clone())
            .dangerous_accept_invalid_certs(true)
            .build_rustls()
            .ok()?;
        let s = &self.server;
        let addr = (s.host.as_str(), s.port);
        let mut c = if s.tls == Tls::Implicit {
            SmtpConnection::connect(addr, Some(GREETING_TIMEOUT), &self.hello, Some(&any), None)
                .ok()?
        } else {
            let mut c =
                SmtpConnection::connect(addr, Some(GREETING_TIMEOUT), &self.hello, None, None)
                    .ok()?;
            c.starttls(&any, &self.hello).ok()?;
            c
        };
        let leaf = c.peer_certificate().ok()?;
        c.abort();
        Some(tls::fingerprint(&leaf))
    }
}

/// Where a mail transaction failed.
enum Failed {
    /// At MAIL FROM: nothing of this mail reached the server.
    BeforeMail(Failure),
    /// At RCPT TO, DATA or the data itself.
    Mail(Failure),
}

/// A run of mails over one connection, opened at the first mail and kept while mails
/// go through. After any failure the connection is dropped (as one per mail did) and
/// the next mail opens a new one. A kept connection the server has meanwhile closed
/// (an idle timeout, a limit of mails per connection) fails at MAIL FROM, before
/// anything of the mail was sent: that mail is tried once more on a new connection, so
/// reuse adds no duplicate and no false "unreachable". The connection says QUIT when
/// the session is dropped.
pub(crate) struct Session<'a> {
    sender: &'a Sender,
    conn: Option<SmtpConnection>,
}

impl Session<'_> {
    /// Sends one ready message to `recipients` from the official address.
    pub(crate) fn send(&mut self, recipients: &[String], raw: &[u8]) -> Result<(), Failure> {
        let to: Vec<lettre::Address> = recipients.iter().filter_map(|r| r.parse().ok()).collect();
        if to.is_empty() {
            return Err(Failure {
                kind: FailureKind::Permanent,
                message: format!("no valid recipient in {recipients:?}"),
            });
        }
        if let Some(mut c) = self.conn.take() {
            match self.sender.transaction(&mut c, &to, raw) {
                Ok(()) => {
                    self.conn = Some(c);
                    return Ok(());
                }
                Err(Failed::BeforeMail(f)) if f.kind == FailureKind::Connection => {
                    tracing::debug!(error = %f.message, "kept SMTP connection gone; opening a new one");
                    c.abort();
                }
                Err(Failed::BeforeMail(f) | Failed::Mail(f)) => {
                    c.abort();
                    return Err(f);
                }
            }
        }
        let mut c = self.sender.open()?;
        match self.sender.transaction(&mut c, &to, raw) {
            Ok(()) => {
                self.conn = Some(c);
                Ok(())
            }
            Err(Failed::BeforeMail(f) | Failed::Mail(f)) => {
                c.abort();
                Err(f)
            }
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = c.quit();
        }
    }
}

/// A read that timed out: the server took the connection and said nothing (no
/// greeting). A connect that timed out is lettre's "Connection error" instead.
fn waited(e: &lettre::transport::smtp::Error) -> bool {
    if e.to_string().starts_with("Connection error") {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            );
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use loket_core::config::{Auth, SecretSource, Server, Tls};

    use super::*;

    /// Connections opened, subjects of the mails taken.
    type Seen = (usize, Vec<String>);

    /// A plain SMTP server on loopback that takes `per_connection` mails on a
    /// connection and then, like a server with a limit per connection or an idle
    /// timeout, answers the next MAIL FROM with 421 and closes it. Returns its port and
    /// the number of connections and the subjects of the mails it took.
    fn limited_server(per_connection: usize) -> (u16, Arc<Mutex<Seen>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new((0, Vec::new())));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut out = stream.unwrap();
                let mut lines = BufReader::new(out.try_clone().unwrap());
                log.lock().unwrap().0 += 1;
                let mut taken = 0;
                out.write_all(b"220 test ESMTP\r\n").unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                        "MAIL" if taken == per_connection => {
                            out.write_all(b"421 4.7.0 too many mails, closing\r\n")
                                .unwrap();
                            break;
                        }
                        "MAIL" | "RCPT" => b"250 ok\r\n",
                        "DATA" => {
                            out.write_all(b"354 go on\r\n").unwrap();
                            let mut data = String::new();
                            while !data.ends_with("\r\n.\r\n") {
                                if lines.read_line(&mut data).unwrap() == 0 {
                                    return;
                                }
                            }
                            let subject = data
                                .lines()
                                .find_map(|l| l.strip_prefix("Subject: "))
                                .unwrap_or_default()
                                .to_string();
                            log.lock().unwrap().1.push(subject);
                            taken += 1;
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            out.write_all(b"221 bye\r\n").unwrap();
                            break;
                        }
                        _ => b"500 what\r\n",
                    };
                    out.write_all(answer).unwrap();
                }
            }
        });
        (port, seen)
    }

    #[test]
    fn a_kept_connection_the_server_closed_is_opened_again_and_no_mail_is_sent_twice() {
        let (port, seen) = limited_server(2);
        let server = Server {
            host: "127.0.0.1".into(),
            port,
            tls: Tls::None,
            user: None,
            auth: Auth::Password,
            password: SecretSource::Env("UNUSED".into()),
            ca_file: None,
            tls_fingerprint: None,
        };
        let sender = Sender::new(&server, None, "layanan@kppn.example").unwrap();
        let mut session = sender.session();
        for i in 0..5 {
            let raw = format!("Subject: mail {i}\r\n\r\nisi\r\n");
            session
                .send(&["a@satker.example".into()], raw.as_bytes())
                .unwrap_or_else(|f| panic!("mail {i}: {f:?}"));
        }
        drop(session);
        let (connections, subjects) = seen.lock().unwrap().clone();
        assert_eq!(
            subjects,
            (0..5).map(|i| format!("mail {i}")).collect::<Vec<_>>()
        );
        assert_eq!(connections, 3);
    }
}
