//! Writing the output folder.

use std::path::Path;

use loket_core::diagnostics::{Diagnostic, Diagnostics};

/// Empties the output folder, refusing folders that hold the site itself.
pub(crate) fn prepare_output(root: &Path, out: &Path) -> Result<(), Diagnostics> {
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
        std::fs::remove_dir_all(out).map_err(|e| {
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
