//! What TLS trusts, and TLS failures in plain words.
//!
//! A server is trusted when its certificate chains to the public roots or to a
//! certificate in `ca_file`, or when its own certificate *is* one the admin named: a
//! self-signed certificate given as `ca_file`, or `tls_fingerprint = "sha256:…"`. A
//! pinned certificate is accepted exactly, whoever signed it; the handshake still proves
//! the server holds its key.

use std::path::Path;
use std::sync::{Arc, Mutex};

use loket_core::config::Server;
use rustls_connector::rustls;
use rustls_connector::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use rustls_connector::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls_connector::rustls::{DigitallySignedStruct, SignatureScheme};

use sha2::{Digest, Sha256};

/// How long a server may take to greet on a plain connect before we conclude it waits
/// for a TLS handshake (an implicit-TLS port reached with `starttls` or `none`).
pub(crate) const GREETING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// "sha256:<64 hex>", as `tls_fingerprint` takes it.
pub fn fingerprint(der: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(der))
}

/// The certificates an admin named for one server.
#[derive(Clone, Default)]
pub(crate) struct Trust {
    /// Every certificate of `ca_file` (trust anchors, and exact pins).
    pub extra: Vec<CertificateDer<'static>>,
    /// SHA-256 (hex) of the certificates accepted exactly.
    pub pins: Vec<String>,
}

impl Trust {
    pub(crate) fn of(server: &Server) -> Result<Trust, String> {
        let mut t = Trust::default();
        if let Some(path) = &server.ca_file {
            t.extra = load_pem(path)?;
            if t.extra.is_empty() {
                return Err(format!(
                    "ca_file {}: no certificate in it (it must hold PEM `BEGIN CERTIFICATE` blocks)",
                    path.display()
                ));
            }
            t.pins = t.extra.iter().map(|c| sha256_hex(c)).collect();
        }
        if let Some(f) = &server.tls_fingerprint {
            t.pins.push(f.clone());
        }
        Ok(t)
    }

    /// Whether `leaf` is a certificate the admin named exactly.
    pub(crate) fn pins(&self, leaf: &[u8]) -> bool {
        let h = sha256_hex(leaf);
        self.pins.contains(&h)
    }
}

fn load_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
    rustls_pemfile::certs(&mut data.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("ca_file {}: {e}", path.display()))
}

/// The IMAP side's TLS configuration: the public roots plus `ca_file`, and the pins.
/// `seen` receives the fingerprint of a certificate that failed, for the message.
pub(crate) fn client_config(
    trust: &Trust,
    seen: Arc<Mutex<Option<String>>>,
) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(
        rustls_connector::webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .cloned(),
    );
    // A self-signed leaf is refused as an anchor by webpki; it is pinned instead.
    let _ = roots.add_parsable_certificates(trust.extra.iter().cloned());
    let webpki = rustls::client::WebPkiServerVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = Pinning {
        webpki,
        trust: trust.clone(),
        seen,
    };
    Ok(rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Web PKI first; a certificate the admin pinned passes whatever its chain says.
struct Pinning {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    trust: Trust,
    seen: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Pinning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pinning")
    }
}

impl ServerCertVerifier for Pinning {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.trust.pins(end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .inspect_err(|_| {
                *self
                    .seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(fingerprint(end_entity));
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Which protocol, for the port numbers in advice.
#[derive(Clone, Copy)]
pub(crate) enum Proto {
    Imap,
    Smtp,
}

impl Proto {
    fn ports(self) -> (&'static str, &'static str) {
        match self {
            // (implicit TLS, STARTTLS)
            Proto::Imap => ("993", "143"),
            Proto::Smtp => ("465", "587"),
        }
    }

    fn table(self) -> &'static str {
        match self {
            Proto::Imap => "[mail.imap]",
            Proto::Smtp => "[mail.smtp]",
        }
    }
}

/// No greeting on a plain connect: the port waits for a TLS handshake.
pub(crate) fn no_greeting(proto: Proto, server: &Server) -> String {
    let (implicit, starttls) = proto.ports();
    format!(
        "{}:{} sent no greeting within {} s: this port expects TLS from the first byte (like {implicit}). Set tls = \"implicit\" under {}, or use the STARTTLS port (usually {starttls}) with tls = \"starttls\"",
        server.host,
        server.port,
        GREETING_TIMEOUT.as_secs(),
        proto.table()
    )
}

/// A TLS library error as what happened and what to do; `seen` is the fingerprint of
/// the certificate that failed, when known. The library's words follow in brackets.
pub(crate) fn plain_words(proto: Proto, server: &Server, raw: &str, seen: Option<&str>) -> String {
    let (implicit, _) = proto.ports();
    let t = raw.to_lowercase().replace([' ', '_'], "");
    let table = proto.table();
    let pin = || {
        seen.map_or(String::new(), |f| {
            format!(
                " The server's certificate is {f}; if its admin confirms that fingerprint, pin it with tls_fingerprint = \"{f}\" under {table}."
            )
        })
    };
    let words = if t.contains("invalidcontenttype")
        || t.contains("corruptmessage")
        || t.contains("invalidmessage")
    {
        format!(
            "{}:{} answers in plain text, not TLS: tls = \"implicit\" needs the implicit-TLS port (usually {implicit}). For this port set tls = \"starttls\" under {table}",
            server.host, server.port
        )
    } else if t.contains("unknownissuer") || t.contains("causedasendentity") {
        format!(
            "the certificate of {} is not signed by an authority this machine trusts (a private CA, or a self-signed certificate). Put that CA's certificate, or the server's own certificate, in a PEM file and name it as ca_file under {table}.{}",
            server.host,
            pin()
        )
    } else if t.contains("notvalidforname") {
        format!(
            "the certificate of {}:{} is not issued for the name {:?}. Set host under {table} to a name the certificate carries (`openssl s_client -connect {}:{}` shows them), not an address or alias",
            server.host, server.port, server.host, server.host, server.port
        )
    } else if t.contains("expired") {
        format!(
            "the certificate of {} has expired: it must be renewed on the server (and check this machine's clock with `date`)",
            server.host
        )
    } else if t.contains("notvalidyet") {
        format!(
            "the certificate of {} is not valid yet: check this machine's clock (`date`; is NTP running?)",
            server.host
        )
    } else {
        format!("TLS with {}:{} failed", server.host, server.port)
    };
    format!("{words} [{raw}]")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use loket_core::config::{SecretSource, Tls};

    fn server() -> Server {
        Server {
            host: "mail.kppn.example".into(),
            port: 993,
            tls: Tls::Implicit,
            user: None,
            auth: loket_core::config::Auth::Password,
            password: SecretSource::None,
            ca_file: None,
            tls_fingerprint: None,
        }
    }

    #[test]
    fn each_tls_mistake_reads_as_what_to_do() {
        let s = server();
        let w = |raw: &str| plain_words(Proto::Imap, &s, raw, Some("sha256:ab"));
        assert!(
            w("received corrupt message of type InvalidContentType").contains("tls = \"starttls\"")
        );
        assert!(w("invalid peer certificate: UnknownIssuer").contains("ca_file"));
        assert!(
            w("invalid peer certificate: UnknownIssuer")
                .contains("tls_fingerprint = \"sha256:ab\"")
        );
        assert!(w("invalid peer certificate: NotValidForName").contains("Set host"));
        assert!(w("invalid peer certificate: certificate expired: verification time 2, but certificate is not valid after 1").contains("renewed"));
        assert!(w("invalid peer certificate: Expired").contains("expired"));
        assert!(no_greeting(Proto::Smtp, &s).contains("tls = \"implicit\""));
    }
}
