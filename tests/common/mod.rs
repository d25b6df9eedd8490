//! Shared helpers: copy the shipped site to a temp dir, run the built binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// A fresh copy of the shipped site sources (config, content, theme, data).
pub(crate) fn site_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(repo().join("site.toml"), dir.path().join("site.toml")).expect("site.toml");
    for sub in ["content", "themes", "data"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

pub(crate) fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub(crate) fn loket(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run loket")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Builds the shipped site into `out` for `base_url`; fails the test on any error.
pub(crate) fn build_shipped(out: &Path, base_url: &str) {
    let o = loket(
        &[
            "build",
            "--root",
            repo().to_str().expect("utf-8 path"),
            "--output",
            out.to_str().expect("utf-8 path"),
            "--base-url",
            base_url,
        ],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Every file under `root`, as paths relative to it with `/`, sorted.
pub(crate) fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}
