//! The README's two commands and CI: `.ci/run` must run exactly the README's test
//! command, so what CI proves is what a user runs on a fresh machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// The command lines of the first ```sh block under "## Two commands".
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## Two commands")
        .nth(1)
        .expect("README has a \"## Two commands\" section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .expect("a ```sh block in it")
        .split("```")
        .next()
        .unwrap();
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// What `.ci/run` executes: its lines that are not comments, `set` or the `cd` to the
/// repository root.
fn ci_commands() -> Vec<String> {
    let run =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    run.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("set ") && *l != "cd \"$(dirname \"$0\")/..\"")
        .map(str::to_string)
        .collect()
}

#[test]
fn ci_runs_exactly_the_readmes_test_command() {
    let readme = readme_commands();
    assert_eq!(
        readme,
        ["cargo run --release -- build", "bash scripts/test.sh"],
        "the README's two commands"
    );
    assert_eq!(ci_commands(), [readme[1].clone()], ".ci/run");
}
