//! Writing the output folder.

use std::collections::BTreeSet;
use std::path::Path;

use loket_core::diagnostics::{Diagnostic, Diagnostics};
use rayon::prelude::*;
use walkdir::WalkDir;

/// The list of files the last build wrote, kept in the output folder: a file it lists is
/// loket's to delete even when this build no longer writes it (a standard removed).
pub(crate) const MANIFEST: &str = ".loket-files";

/// Empties the output folder for a build that writes `expected`. Like Zola, it refuses a
/// folder that holds the site's sources, and, unless `force`, a folder that holds
/// anything loket did not write: a `.git` folder, or a file that neither this build nor
/// the last one (its manifest) writes.
pub(crate) fn prepare_output(
    root: &Path,
    out: &Path,
    expected: &BTreeSet<String>,
    force: bool,
) -> Result<(), Diagnostics> {
    let canon_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if out.exists() {
        let canon_out = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
        if canon_root.starts_with(&canon_out) || canon_out.join("site.toml").exists() {
            return Err(Diagnostic::error(
                out,
                (1, 1),
                "output folder contains the site's sources",
                "choose another --output folder; it is emptied on every build",
            )
            .into());
        }
        if !force {
            let foreign = foreign_files(out, expected);
            if !foreign.is_empty() {
                let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
                let more = if foreign.len() > shown.len() {
                    format!(" and {} more", foreign.len() - shown.len())
                } else {
                    String::new()
                };
                return Err(Diagnostic::error(
                    out,
                    (1, 1),
                    format!(
                        "the output folder holds files loket did not write: {}{more}; a build empties it, so nothing was changed",
                        shown.join(", ")
                    ),
                    "build into another folder (--output), move those files away, or pass --force to empty it anyway",
                )
                .into());
            }
        }
        remove_all(out).map_err(|e| {
            Diagnostic::error(
                out,
                (1, 1),
                format!("cannot empty the output folder: {e}"),
                "check its permissions",
            )
        })?;
    }
    std::fs::create_dir_all(out).map_err(|e| {
        Diagnostic::error(
            out,
            (1, 1),
            format!("cannot create the output folder: {e}"),
            "check its permissions",
        )
    })?;
    Ok(())
}

/// Removes `dir` and everything in it, the entries of each folder in parallel: a site of
/// 10,000 standards leaves 30,000 files, and removing them one by one was a tenth of a
/// build. Symbolic links are removed, never followed (as `remove_dir_all` does).
fn remove_all(dir: &Path) -> std::io::Result<()> {
    let entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.par_iter().try_for_each(|entry| {
        if entry.file_type()?.is_dir() {
            remove_all(&entry.path())
        } else {
            std::fs::remove_file(entry.path())
        }
    })?;
    std::fs::remove_dir(dir)
}

/// What a build would delete that is not loket's: `.git/`, files that neither `expected`
/// nor the manifest of the last build lists (paths relative to `out`, sorted).
fn foreign_files(out: &Path, expected: &BTreeSet<String>) -> Vec<String> {
    let previous: BTreeSet<String> = std::fs::read_to_string(out.join(MANIFEST))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let mut foreign = Vec::new();
    let mut walk = WalkDir::new(out)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else {
            foreign.push("(an unreadable entry)".to_string());
            continue;
        };
        let rel = entry
            .path()
            .strip_prefix(out)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if entry.file_type().is_dir() {
            if entry.file_name() == ".git" {
                foreign.push(format!("{rel}/"));
                walk.skip_current_dir();
            }
            continue;
        }
        if rel != MANIFEST && !expected.contains(&rel) && !previous.contains(&rel) {
            foreign.push(rel);
        }
    }
    foreign
}

pub(crate) fn write_file(out: &Path, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
    let path = out.join(rel);
    let fail = |e: std::io::Error| {
        Diagnostic::error(
            &path,
            (1, 1),
            format!("cannot write: {e}"),
            "check the output folder's permissions and free space",
        )
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(&path, bytes).map_err(fail)
}
