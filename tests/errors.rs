//! Failure cases from fixtures: each problem is reported as path:line:col with a
//! non-zero exit, and all problems of a run are reported together.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{fixture, loket, site_copy, stderr};

fn add_standard(site: &Path, name: &str) {
    std::fs::copy(fixture(name), site.join("content/layanan").join(name)).expect("copy fixture");
}

/// Runs `loket <cmd>` and returns stderr, asserting failure.
fn fails(site: &Path, cmd: &str) -> String {
    let o = loket(&[cmd], site);
    let err = stderr(&o);
    assert!(!o.status.success(), "`loket {cmd}` should fail:\n{err}");
    assert_eq!(o.status.code(), Some(1));
    err
}

fn assert_reports(err: &str, location: &str, needle: &str) {
    assert!(
        err.lines().any(|l| l.starts_with("error: ")
            && l.contains(location)
            && l.contains(needle)
            && l.contains(" — ")),
        "expected `{location}` … `{needle}` in:\n{err}"
    );
}

#[test]
fn missing_component_names_file_and_line() {
    let site = site_copy();
    add_standard(site.path(), "missing-component.md");
    for cmd in ["check", "build"] {
        let err = fails(site.path(), cmd);
        assert_reports(
            &err,
            "content/layanan/missing-component.md:21:1:",
            "missing component \"Biaya/Tarif\"",
        );
    }
    assert!(
        !site.path().join("public").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn out_of_order_component_names_its_heading_line() {
    let site = site_copy();
    add_standard(site.path(), "out-of-order.md");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/layanan/out-of-order.md:17:1:",
        "out of order",
    );
}

#[test]
fn unknown_front_matter_key_names_its_line() {
    let site = site_copy();
    add_standard(site.path(), "unknown-key.md");
    let err = fails(site.path(), "build");
    assert_reports(
        &err,
        "content/layanan/unknown-key.md:4:1:",
        "unknown key `colour`",
    );
}

#[test]
fn bad_toml_names_its_line() {
    let site = site_copy();
    add_standard(site.path(), "bad-toml.md");
    let err = fails(site.path(), "check");
    assert_reports(&err, "content/layanan/bad-toml.md:3:", "invalid TOML");
}

#[test]
fn bad_deadline_names_its_line() {
    let site = site_copy();
    add_standard(site.path(), "bad-term.md");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/layanan/bad-term.md:5:",
        "cannot read deadline",
    );
}

#[test]
fn broken_internal_link_and_anchor_are_located() {
    let site = site_copy();
    add_standard(site.path(), "broken-link.md");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/layanan/broken-link.md:33:7:",
        "broken internal link \"/layanan/tidak-ada/\"",
    );
    assert_reports(&err, "content/layanan/broken-link.md:33:", "broken anchor");
    // build does not check links: it succeeds.
    assert!(loket(&["build"], site.path()).status.success());
}

#[test]
fn duplicate_slug_blames_the_explicit_slug() {
    let site = site_copy();
    add_standard(site.path(), "duplicate-slug.md");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/layanan/duplicate-slug.md:4:1:",
        "duplicate slug \"konsultasi-stakeholder\"",
    );
}

#[test]
fn template_error_names_the_template() {
    let site = site_copy();
    std::fs::copy(
        fixture("broken-template.html"),
        site.path().join("themes/default/templates/page.html"),
    )
    .expect("copy");
    let err = fails(site.path(), "build");
    assert_reports(
        &err,
        "themes/default/templates/page.html:",
        "template error",
    );
}

#[test]
fn unknown_site_toml_key_names_its_line_but_daemon_tables_pass() {
    let site = site_copy();
    let path = site.path().join("site.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let text = text.replacen(
        "language = \"id\"\n",
        "language = \"id\"\ntema = \"gelap\"\n",
        1,
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("tema"))
        .expect("line")
        + 1;
    std::fs::write(&path, text).expect("write");
    let err = fails(site.path(), "check");
    assert_reports(&err, &format!("site.toml:{line}:1:"), "unknown key `tema`");
    assert!(!err.contains("`mail"), "daemon tables are accepted:\n{err}");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let site = site_copy();
    for f in [
        "missing-component.md",
        "out-of-order.md",
        "unknown-key.md",
        "bad-toml.md",
        "duplicate-slug.md",
    ] {
        add_standard(site.path(), f);
    }
    let err = fails(site.path(), "check");
    for f in [
        "missing-component.md:21",
        "out-of-order.md:17",
        "unknown-key.md:4",
        "bad-toml.md:3",
        "duplicate-slug.md:4",
    ] {
        assert!(err.contains(f), "{f} not reported:\n{err}");
    }
}

#[test]
fn garbage_content_never_panics() {
    let site = site_copy();
    let dir = site.path().join("content/layanan");
    let cases = [
        "",
        "+++",
        "+++\n+++\n",
        "+++\ntitle = \"x\"\n",
        "+++\n[[[\n+++\n",
        "+++\ntitle = 1\ncode = []\nsk = {}\ncompletion = 5\n+++\n# H1\n## ??\n",
        "\u{feff}+++\ntitle = \"é\"\ncode = \"É\"\nsk = \"x\"\ncompletion = \"20m\"\nupdated = 2026-02-30\n+++\n## Persyaratan\n",
    ];
    for (i, c) in cases.iter().enumerate() {
        std::fs::write(dir.join(format!("sampah-{i}.md")), c).expect("write");
    }
    let err = fails(site.path(), "check");
    assert!(!err.contains("panicked"), "{err}");
    for i in 0..cases.len() {
        assert!(
            err.contains(&format!("sampah-{i}.md:")),
            "sampah-{i} not reported:\n{err}"
        );
    }
}

#[test]
fn new_standard_passes_check() {
    let site = site_copy();
    let o = loket(
        &["new", "pencairan-dana", "--title", "Layanan Pencairan Dana"],
        site.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let path = site.path().join("content/layanan/pencairan-dana.md");
    let text = std::fs::read_to_string(&path).expect("scaffold written");
    assert!(text.contains("title = \"Layanan Pencairan Dana\""));
    for cmd in [&["check"][..], &["check", "--drafts"][..]] {
        let o = loket(cmd, site.path());
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("pencairan-dana"), "{}", stderr(&o));
    }
    // A draft is left out of a normal build…
    let o = loket(&["build"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!site.path().join("public/layanan/pencairan-dana").exists());
    // …and published with --drafts, with all six sections.
    let o = loket(&["build", "--drafts"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let html =
        std::fs::read_to_string(site.path().join("public/layanan/pencairan-dana/index.html"))
            .expect("page");
    assert_eq!(
        html.matches("<h2 id=").count(),
        6 + 2,
        "six sections plus two footer headings"
    );
    // A second `new` with the same slug is refused.
    assert!(
        !loket(&["new", "pencairan-dana"], site.path())
            .status
            .success()
    );
}
