//! The capability key file, `data_dir/capability.key`: 32 random bytes, created on first
//! start with mode 0600 and refused when others can read it (anyone who reads it can
//! forge staff commands). What the key signs is in `rules::capability`.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::rules::capability::{CapabilityKey, KEY_LEN};

/// File name of the key inside the data folder.
pub(crate) const KEY_FILE: &str = "capability.key";

/// Why the capability key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path} can be read by other users (mode {mode:o}); anyone who reads it can forge staff \
         commands. Run `chmod 600 {path}` and restart"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error(
        "{path} holds {len} bytes, not {KEY_LEN}; it is damaged. Delete it to make a new key \
         (replies to notifications sent before then will no longer be accepted as commands)"
    )]
    WrongLength { path: PathBuf, len: usize },
}

/// Loads `data_dir/capability.key`, creating it (mode 0600) on first run.
pub(crate) fn load_or_create(data_dir: &Path) -> Result<CapabilityKey, KeyError> {
    let path = data_dir.join(KEY_FILE);
    match read_key(&path) {
        Err(KeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let mut key = [0u8; KEY_LEN];
    rand::fill(&mut key[..]);
    // Write a private temp file, then hard-link it into place: the link fails if another
    // process created the key meanwhile, and a crash never leaves a half-written key.
    let tmp = data_dir.join(format!("{KEY_FILE}.tmp-{}", std::process::id()));
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| KeyError::Io { path: p, source }
    };
    let _ = fs::remove_file(&tmp);
    let write = || -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&key)?;
        file.sync_all()
    };
    write().map_err(io_err(&tmp))?;
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(CapabilityKey::from_bytes(key)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key(&path),
        Err(e) => Err(io_err(&path)(e)),
    }
}

fn read_key(path: &Path) -> Result<CapabilityKey, KeyError> {
    let io_err = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io_err)?;
    let mode = file.metadata().map_err(io_err)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    let mut bytes = Vec::with_capacity(KEY_LEN);
    file.read_to_end(&mut bytes).map_err(io_err)?;
    let key: [u8; KEY_LEN] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyError::WrongLength {
            path: path.to_path_buf(),
            len: bytes.len(),
        })?;
    Ok(CapabilityKey::from_bytes(key))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = load_or_create(dir.path()).unwrap();
        assert_eq!(a, b);
        // Only the key is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn readable_key_file_is_refused_with_chmod_hint() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, KeyError::TooOpen { mode: 0o640, .. }));
        assert!(
            err.to_string()
                .contains(&format!("chmod 600 {}", path.display()))
        );
    }

    #[test]
    fn damaged_key_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .unwrap()
            .write_all(b"short")
            .unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(KeyError::WrongLength { len: 5, .. })
        ));
    }

    #[test]
    fn missing_data_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_or_create(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, KeyError::Io { .. }));
    }
}
