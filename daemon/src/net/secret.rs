//! Passwords, read when connecting: from the environment or a file only its owner can
//! read. `site.toml` names where a secret is, never the secret.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
        SecretSource::Command { command, dir } => run_command(command, dir).map(Some).map_err(err),
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

/// How long a password or token command may take (a token refresh goes to the network).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `command` with `sh -c` in `dir`; its first line of output is the secret.
fn run_command(command: &str, dir: &Path) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    let end = Instant::now() + COMMAND_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{command}` did not finish within {} s",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("`{command}`: {e}")),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("`{command}`: {e}"))?;
    let said = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            said.trim()
        ));
    }
    let secret = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if secret.is_empty() {
        return Err(format!("`{command}` printed nothing"));
    }
    Ok(secret)
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

    #[test]
    fn a_command_prints_the_secret_in_the_site_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "ya29.token\nsecond line\n").unwrap();
        let src = SecretSource::Command {
            command: "cat token".into(),
            dir: dir.path().to_path_buf(),
        };
        assert_eq!(
            read_secret(&src, "IMAP").unwrap().as_deref(),
            Some("ya29.token")
        );
        let failing = SecretSource::Command {
            command: "echo expired >&2; exit 3".into(),
            dir: dir.path().to_path_buf(),
        };
        let e = read_secret(&failing, "SMTP").unwrap_err().to_string();
        assert!(e.contains("expired"), "{e}");
    }
}
