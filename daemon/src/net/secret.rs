//! Passwords, read when connecting: from the environment or a file only its owner can
//! read. `site.toml` names where a secret is, never the secret.

use std::os::unix::fs::PermissionsExt;

use loket_core::config::SecretSource;

#[derive(Debug, thiserror::Error)]
#[error("secret for {what}: {message}")]
pub struct SecretError {
    what: String,
    message: String,
}

/// Reads the secret `source` names (`None` when none is configured). A file must not
/// be readable by group or others.
pub(crate) fn read_secret(
    source: &SecretSource,
    what: &str,
) -> Result<Option<String>, SecretError> {
    let err = |message: String| SecretError {
        what: what.to_string(),
        message,
    };
    match source {
        SecretSource::None => Ok(None),
        SecretSource::Env(name) => match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(err(format!(
                "environment variable {name} is not set; export it before starting loketd"
            ))),
        },
        SecretSource::File(path) => {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_secret_file_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let src = SecretSource::File(f.clone());
        let e = read_secret(&src, "IMAP").unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            read_secret(&src, "IMAP").unwrap().as_deref(),
            Some("s3cret")
        );
    }
}
