//! One site.toml, one parser: `loket check` and `loketd` report the same problem, in the
//! same words, at the same file and line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{loket, site_copy, stderr};

/// The errors `loket check --root <site>` prints, without the `error: ` prefix.
fn site_errors(root: &Path) -> Vec<String> {
    let o = loket(&["check", "--root", &root.display().to_string()], root);
    assert!(!o.status.success(), "loket check passed:\n{}", stderr(&o));
    stderr(&o)
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .map(str::to_string)
        .collect()
}

/// The problems `loketd` refuses to start with.
fn daemon_errors(root: &Path) -> Vec<String> {
    match loketd::desk::Desk::load(root) {
        Ok(_) => panic!("loketd started on a broken site.toml"),
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

#[test]
fn site_and_daemon_report_the_same_problem_at_the_same_line() {
    let cases: [(&str, &str, &str); 6] = [
        // (text in the shipped site.toml, what it becomes, a word of the message)
        (
            "folder = \"INBOX\"",
            "foldr = \"INBOX\"",
            "did you mean `folder`?",
        ),
        (
            "\"mon\", \"tue\"",
            "\"mon\", \"funday\"",
            "unknown day \"funday\"",
        ),
        (
            "head = \"kasi.pd@",
            "head = \"kepala.pd@",
            "not in [[staff]]",
        ),
        (
            "password_env = \"LOKETD_SMTP_PASSWORD\"",
            "password = \"rahasia\"",
            "never live in site.toml",
        ),
        (
            "utc_offset = \"+08:00\"",
            "utc_offset = \"WITA\"",
            "not a UTC offset",
        ),
        (
            "tag = \"KPPN-TSL\"",
            "tag = \"KPPN-TSL\"\ntag = \"X\"",
            "duplicate key `tag`",
        ),
    ];
    for (from, to, needle) in cases {
        let site = site_copy();
        let path = site.path().join("site.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "shipped site.toml has no {from:?}");
        let text = text.replacen(from, to, 1);
        std::fs::write(&path, &text).unwrap();
        let line = text
            .lines()
            .position(|l| l.contains(to.lines().last().unwrap()))
            .unwrap()
            + 1;

        let site_said = site_errors(site.path());
        let daemon_said = daemon_errors(site.path());
        assert_eq!(site_said, daemon_said, "{to}: loket and loketd differ");
        assert!(
            site_said.iter().any(
                |e| e.contains(needle) && e.starts_with(&format!("{}:{line}:", path.display()))
            ),
            "{to}: expected {needle:?} at line {line}:\n{site_said:#?}"
        );
    }
}
