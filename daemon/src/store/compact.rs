//! `loketd compact`: cuts the raw mail that was kept whole (by a loketd from before the
//! cut, see [`raw`]) so that each attachment is on disk once for old mail too. A file is
//! replaced only by a cut version that rebuilds the mail byte for byte (checked against
//! its sha256, the file's name, with the attachment files as they are on disk), written
//! and fsynced before it takes the old file's place: a crash leaves one of the two,
//! never neither, and either reads back as the mail received.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{StoreError, attachment_path, raw, sha256_hex};
use crate::mail::parse;

/// What a compaction did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compacted {
    /// Raw files cut.
    pub files: usize,
    /// Their bytes before and after.
    pub before: u64,
    pub after: u64,
    /// Raw files already cut (or not the mail they are named for: left to `loketd mail`
    /// to report).
    pub already: usize,
    /// Raw files left whole: no attachment whose file the store keeps, or a mail that
    /// does not parse (as ingest leaves it).
    pub whole: usize,
    /// Of those, the ones left whole because an attachment file on disk does not give
    /// the mail back (changed or damaged): why, naming the files, for whoever restores
    /// them from a backup. Mail cut earlier that needs such a file cannot be read back.
    pub damaged: Vec<String>,
}

/// Cuts every raw file under `data_dir/raw` that is kept whole and can be cut. With
/// `dry_run` nothing is written.
pub fn compact(data_dir: &Path, dry_run: bool) -> Result<Compacted, StoreError> {
    let dir = data_dir.join("raw");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        // A data folder no mail has reached yet: nothing to cut.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Compacted::default()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut names: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io(&dir))?;
    names.sort();
    let mut done = Compacted::default();
    for path in names {
        // Only `<sha256>.eml`: a temporary file of a write in progress is not mail.
        let Some(sha) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".eml"))
            .filter(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()))
            .map(str::to_string)
        else {
            continue;
        };
        let file = fs::read(&path).map_err(io(&path))?;
        if sha256_hex(&file) != sha {
            done.already += 1;
            continue;
        }
        let Some(cut) = cut_of(&file, data_dir) else {
            done.whole += 1;
            continue;
        };
        // The attachment files as they are on disk must give the mail back.
        if let Err(e) = raw::rebuilt(&cut, &path, data_dir, &sha) {
            tracing::warn!(path = %path.display(), error = %e, "a stored attachment file does not give this mail back: left whole");
            done.whole += 1;
            done.damaged.push(e.to_string());
            continue;
        }
        if !dry_run {
            replace(&path, &cut)?;
        }
        done.files += 1;
        done.before += file.len() as u64;
        done.after += cut.len() as u64;
    }
    if done.files > 0 && !dry_run {
        fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&dir))?;
    }
    Ok(done)
}

/// The raw mail `file` with each attachment body whose file the store keeps cut out,
/// if there is any.
fn cut_of(file: &[u8], data_dir: &Path) -> Option<Vec<u8>> {
    let mut mail = parse::parse(file).ok()?;
    for a in &mut mail.attachments {
        let sha = sha256_hex(&a.data);
        let kept = fs::metadata(attachment_path(data_dir, &sha))
            .is_ok_and(|m| m.is_file() && m.len() == a.data.len() as u64);
        if kept {
            a.stored = Some(sha);
        }
    }
    raw::cut(file, &raw::bodies(&mail.attachments))
}

/// Puts `data` in place of `path`: written and fsynced under a temporary name first.
fn replace(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let io = |source| StoreError::Io {
        path: tmp.clone(),
        source,
    };
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(data).and_then(|()| f.sync_all()).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::raw::sample::{file, wrapped};

    /// A mail with a 100 kB PDF, as the first edition kept it: the raw file whole, the
    /// attachment file beside it.
    fn old_store(dir: &Path) -> (String, Vec<u8>, Vec<u8>) {
        let data = file(100_000);
        let mail = format!(
            "From: a@satker.example\r\nTo: loket@kppn.example\r\nSubject: SPM\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n--b\r\n\
             Content-Type: application/pdf; name=\"spm.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            wrapped(&data, 76, "\r\n")
        )
        .into_bytes();
        fs::create_dir_all(dir.join("raw")).unwrap();
        fs::create_dir_all(dir.join("attachments")).unwrap();
        let sha = sha256_hex(&mail);
        fs::write(raw::raw_path(dir, &sha), &mail).unwrap();
        fs::write(attachment_path(dir, &sha256_hex(&data)), &data).unwrap();
        (sha, mail, data)
    }

    #[test]
    fn a_raw_mail_kept_whole_is_cut_once_and_reads_back_as_received() {
        let dir = tempfile::tempdir().unwrap();
        let (sha, mail, _) = old_store(dir.path());
        let path = raw::raw_path(dir.path(), &sha);
        // A dry run says what it would do and writes nothing.
        let would = compact(dir.path(), true).unwrap();
        assert_eq!((would.files, would.whole, would.already), (1, 0, 0));
        assert_eq!(fs::read(&path).unwrap(), mail);
        let did = compact(dir.path(), false).unwrap();
        assert_eq!(did, would);
        assert!(
            did.after < 1_000 && did.before == mail.len() as u64,
            "{did:?}"
        );
        assert!(fs::metadata(&path).unwrap().len() < 1_000);
        assert_eq!(raw::read(dir.path(), &sha).unwrap(), mail);
        // Nothing left behind, and a second run finds nothing to do.
        assert_eq!(fs::read_dir(dir.path().join("raw")).unwrap().count(), 1);
        let again = compact(dir.path(), false).unwrap();
        assert_eq!((again.files, again.already), (0, 1));
    }

    #[test]
    fn a_data_folder_without_raw_mail_has_nothing_to_cut() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(compact(dir.path(), false).unwrap(), Compacted::default());
    }

    #[test]
    fn a_mail_whose_attachment_file_is_missing_or_changed_stays_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (sha, mail, data) = old_store(dir.path());
        let kept = attachment_path(dir.path(), &sha256_hex(&data));
        // Changed on disk (same size): the cut would not give the mail back.
        let mut changed = data.clone();
        changed[500] ^= 1;
        fs::write(&kept, &changed).unwrap();
        let c = compact(dir.path(), false).unwrap();
        assert_eq!(c.whole, 1);
        // Said, naming the raw mail, so the file can be restored from a backup.
        assert_eq!(c.damaged.len(), 1, "{c:?}");
        assert!(c.damaged[0].contains(&format!("{sha}.eml")), "{c:?}");
        assert_eq!(fs::read(raw::raw_path(dir.path(), &sha)).unwrap(), mail);
        // Gone (pruned, or never kept): nothing to name.
        fs::remove_file(&kept).unwrap();
        assert_eq!(compact(dir.path(), false).unwrap().whole, 1);
        assert_eq!(fs::read(raw::raw_path(dir.path(), &sha)).unwrap(), mail);
    }
}
