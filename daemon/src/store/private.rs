//! Personal data stays with the daemon's user (UU 27/2022): the process creates files
//! 0600 and folders 0700 (umask 077, set at start), and a data folder left open by an
//! older version or a copy is closed on start.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustix::fs::Mode;

/// Files this process creates are for its user alone.
pub fn set_umask() {
    rustix::process::umask(Mode::from_raw_mode(0o077));
}

/// Makes `data_dir` and everything under it private (folders 0700, files 0600);
/// returns how many it had to change.
pub fn tighten(data_dir: &Path) -> std::io::Result<usize> {
    let mut changed = 0;
    let mut stack = vec![data_dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = fs::symlink_metadata(&p)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if meta.permissions().mode() & 0o777 != want {
            fs::set_permissions(&p, fs::Permissions::from_mode(want))?;
            changed += 1;
        }
        if meta.is_dir() {
            for entry in fs::read_dir(&p)? {
                stack.push(entry?.path());
            }
        }
    }
    Ok(changed)
}
