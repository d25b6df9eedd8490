//! SMTP with lettre: implicit TLS, STARTTLS or plain on loopback; AUTH when a user is
//! configured. Sends one ready message at a time and says how a failure should be
//! treated; draining the outbox is `run::send`'s job.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use loket_core::config::{Server, Tls};

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("SMTP {host}: {message}")]
    Setup { host: String, message: String },
}

pub struct Sender {
    transport: SmtpTransport,
    envelope_from: lettre::Address,
}

/// How a failed send is to be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// 5xx: the server will never take this mail.
    Permanent,
    /// 4xx: try this mail again later.
    Transient,
    /// No answer at all: the server is away; every mail would fail the same way.
    Connection,
    /// The server refused *us*, not the mail: a login refused (530/534/535/538), a
    /// temporary authentication failure (454), a TLS failure. Every mail would fail the
    /// same way until the configuration (or the password) is fixed.
    Config,
}

/// SMTP answers about the client's login or TLS, never about one mail.
const CONFIG_CODES: [&str; 5] = ["454", "530", "534", "535", "538"];

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub message: String,
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

    /// Sends one ready message to `recipients` from the official address.
    pub(crate) fn send(&self, recipients: &[String], raw: &[u8]) -> Result<(), Failure> {
        let to: Vec<lettre::Address> = recipients.iter().filter_map(|r| r.parse().ok()).collect();
        let envelope =
            Envelope::new(Some(self.envelope_from.clone()), to).map_err(|_| Failure {
                kind: FailureKind::Permanent,
                message: format!("no valid recipient in {recipients:?}"),
            })?;
        self.transport
            .send_raw(&envelope, raw)
            .map(|_| ())
            .map_err(|e| Failure {
                kind: if e
                    .status()
                    .is_some_and(|c| CONFIG_CODES.contains(&c.to_string().as_str()))
                    || e.is_tls()
                    || e.is_client()
                {
                    FailureKind::Config
                } else if e.is_permanent() {
                    FailureKind::Permanent
                } else if e.is_transient() {
                    FailureKind::Transient
                } else {
                    FailureKind::Connection
                },
                message: e.to_string(),
            })
    }
}
