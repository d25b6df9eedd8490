//! Sends the outbox over SMTP with lettre: implicit TLS, STARTTLS or plain on
//! loopback; AUTH when a user is configured. Temporary failures are retried with
//! backoff, permanent ones recorded; nothing is dropped.

use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use rusqlite::Connection;

use crate::config::{Server, Tls};
use crate::outbox::{self, Pending};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("SMTP {host}: {message}")]
    Setup { host: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Sender {
    transport: SmtpTransport,
    envelope_from: lettre::Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// 5xx: the server will never take it.
    Permanent,
    /// 4xx: try again later.
    Transient,
    /// No answer at all: the server is away; stop this pass.
    Connection,
}

struct Failure {
    kind: FailureKind,
    message: String,
}

/// What one flush did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// The server could not be reached: nothing more was tried; the caller backs off.
    pub unreachable: bool,
}

impl Sender {
    pub fn new(server: &Server, password: Option<&str>, from: &str) -> Result<Sender, SmtpError> {
        let setup = |message: String| SmtpError::Setup {
            host: server.host.clone(),
            message,
        };
        let tls_params = || -> Result<TlsParameters, SmtpError> {
            let mut b = TlsParameters::builder(server.host.clone());
            if let Some(ca) = &server.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| setup(format!("ca_file {}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| setup(format!("ca_file {}: {e}", ca.display())))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| setup(e.to_string()))
        };
        let tls = match server.tls {
            Tls::None => SmtpTls::None,
            Tls::StartTls => SmtpTls::Required(tls_params()?),
            Tls::Implicit => SmtpTls::Wrapper(tls_params()?),
        };
        let mut builder = SmtpTransport::builder_dangerous(server.host.clone())
            .port(server.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(60)));
        if let Some(user) = &server.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.unwrap_or_default().to_string(),
            ));
        }
        Ok(Sender {
            transport: builder.build(),
            envelope_from: from
                .parse()
                .map_err(|e| setup(format!("official address {from}: {e}")))?,
        })
    }

    /// Connects and says EHLO (and logs in): for `check-config`.
    pub fn test(&self) -> Result<(), String> {
        match self.transport.test_connection() {
            Ok(true) => Ok(()),
            Ok(false) => Err("server did not answer EHLO".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn send(&self, p: &Pending) -> Result<(), Failure> {
        let to: Vec<lettre::Address> = p.recipients.iter().filter_map(|r| r.parse().ok()).collect();
        let envelope =
            Envelope::new(Some(self.envelope_from.clone()), to).map_err(|_| Failure {
                kind: FailureKind::Permanent,
                message: format!("no valid recipient in {:?}", p.recipients),
            })?;
        self.transport
            .send_raw(&envelope, &p.raw)
            .map(|_| ())
            .map_err(|e| Failure {
                kind: if e.is_permanent() {
                    FailureKind::Permanent
                } else if e.is_transient() {
                    FailureKind::Transient
                } else {
                    FailureKind::Connection
                },
                message: e.to_string(),
            })
    }

    /// Sends everything that is due, in batches of rows read from the outbox. Stops at
    /// the first connection-level failure: the server is away, and the other mails would
    /// only fail the same way.
    pub fn flush(&self, conn: &Connection, now: DateTime<Utc>) -> Result<Flushed, SmtpError> {
        let mut done = Flushed::default();
        // Each row leaves the due set (sent, failed, or retried later than `now`), so
        // every round makes progress and the loop ends.
        loop {
            let due = outbox::due(conn, now, 200)?;
            if due.is_empty() || !self.send_batch(conn, now, due, &mut done)? {
                return Ok(done);
            }
        }
    }

    /// Sends one batch; false when the server went away (stop flushing).
    fn send_batch(
        &self,
        conn: &Connection,
        now: DateTime<Utc>,
        due: Vec<Pending>,
        done: &mut Flushed,
    ) -> Result<bool, SmtpError> {
        for p in due {
            match self.send(&p) {
                Ok(()) => {
                    outbox::mark_sent(conn, p.id, Utc::now())?;
                    tracing::info!(id = p.id, message_id = %p.message_id, to = ?p.recipients, "sent");
                    done.sent += 1;
                }
                Err(f) if f.kind == FailureKind::Permanent => {
                    tracing::warn!(id = p.id, error = %f.message, "SMTP refused the mail for good");
                    outbox::mark_failed(conn, p.id, &f.message)?;
                    done.failed += 1;
                }
                // The server is away: the mail stays due (a per-mail backoff would hold
                // every queued reply back long after the server returns).
                Err(f) if f.kind == FailureKind::Connection => {
                    tracing::warn!(id = p.id, error = %f.message, "SMTP server unreachable, mail stays queued");
                    outbox::mark_unreachable(conn, &p, &f.message, now)?;
                    done.retried += 1;
                    done.unreachable = true;
                    return Ok(false);
                }
                Err(f) => {
                    tracing::warn!(id = p.id, error = %f.message, "SMTP failed, will retry");
                    outbox::mark_retry(conn, &p, &f.message, now)?;
                    done.retried += 1;
                }
            }
        }
        Ok(true)
    }
}
