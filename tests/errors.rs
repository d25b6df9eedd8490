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
    // A draft with the scaffold's text passes, and says what is left to write.
    for cmd in [&["check"][..], &["check", "--drafts"][..]] {
        let o = loket(cmd, site.path());
        let err = stderr(&o);
        assert!(o.status.success(), "{cmd:?}: {err}");
        assert!(!err.contains("error:"), "{err}");
        let about_it: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("pencairan-dana"))
            .collect();
        assert_eq!(about_it.len(), 6, "sk, summary and four sections: {err}");
        assert!(
            about_it
                .iter()
                .all(|l| l.starts_with("warning: ") && l.contains("text from `loket new`")),
            "{err}"
        );
        assert!(
            err.contains("pencairan-dana.md:4:1: text from `loket new` is still here: \"(isi nomor SK penetapan standar)\""),
            "{err}"
        );
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
    // Removing `draft` without writing the standard is refused, at each placeholder.
    std::fs::write(&path, text.replace("draft = true\n", "")).expect("write");
    let o = loket(&["build"], site.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("error: content/layanan/pencairan-dana.md:4:1: text from `loket new`"),
        "{err}"
    );
    assert!(err.contains("Tuliskan setiap persyaratan"), "{err}");
    assert_eq!(
        err.matches("error: content/layanan/pencairan-dana.md")
            .count(),
        6,
        "{err}"
    );
    // A second `new` with the same slug is refused.
    assert!(
        !loket(&["new", "pencairan-dana"], site.path())
            .status
            .success()
    );
}

/// The shipped standard with `edit` applied, added as `content/layanan/<name>.md`.
fn add_edited(site: &Path, name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(site.join("content/layanan/konsultasi-stakeholder.md"))
        .expect("shipped standard");
    let text = edit(text)
        .replace("code = \"KONS\"", "code = \"KONS2\"")
        .replace("weight = 10", "weight = 11");
    let path = site.join("content/layanan").join(format!("{name}.md"));
    std::fs::write(&path, text).expect("write");
    path
}

fn line_of(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in file")
        + 1
}

#[test]
fn front_matter_and_body_that_disagree_block_check_and_build() {
    let site = site_copy();
    type Case<'a> = (
        &'a str,
        (&'a str, &'a str),
        (&'a str, &'a str),
        &'a str,
        &'a str,
    );
    let cases: &[Case<'_>] = &[
        (
            "biaya",
            ("fee = 0", "fee = 150000"),
            ("", ""),
            "Tidak dipungut biaya.",
            "`fee = 150000` (Rp150.000) but the Biaya/Tarif section says \"Tidak dipungut biaya\"",
        ),
        (
            "waktu",
            ("completion = \"20m\"", "completion = \"2h\""),
            ("", ""),
            "20 menit per satu",
            "(2 jam) but the Jangka Waktu Penyelesaian section says \"20 menit\"",
        ),
        (
            "eskalasi",
            (
                "escalation = \"3 working days\"",
                "escalation = \"14 working days\"",
            ),
            ("", ""),
            "paling lambat 3 (tiga) hari kerja setelah konsultasi tatap muka dilaksanakan. Dalam waktu 3 hari tersebut, petugas layanan diwajibkan untuk menyampaikan progres atas penyelesaian solusi secara berkala.\n\n### Konsultasi online",
            "(14 hari kerja) but the standard says \"3 (tiga) hari kerja\"",
        ),
    ];
    for (name, (f_from, f_to), (b_from, b_to), at, message) in cases {
        let path = add_edited(site.path(), name, |t| {
            t.replacen(f_from, f_to, 1).replacen(b_from, b_to, 1)
        });
        let first_line = at.lines().next().unwrap_or(at);
        let line = line_of(
            &path,
            first_line.split(" hari kerja").next().unwrap_or(first_line),
        );
        for cmd in ["check", "build"] {
            let err = fails(site.path(), cmd);
            assert_reports(&err, &format!("content/layanan/{name}.md:{line}:"), message);
        }
        std::fs::remove_file(&path).expect("remove");
    }
}

#[test]
fn every_bad_front_matter_value_in_one_run_in_plain_words() {
    let site = site_copy();
    let path = add_edited(site.path(), "buruk", |t| {
        t.replace("title = \"Layanan Konsultasi Stakeholder\"", "title = 5")
            .replace("sk = \"KEP-57/PB/2023\"", "sk = [\"KEP\"]")
            .replace("fee = 0", "fee = -150000")
            .replace(
                "channels = [\"tatap-muka\", \"hai-cso\", \"email\"]",
                "channels = [\"fax\", \"email\"]",
            )
            .replace("updated = 2026-11-29", "updated = 5")
            .replace("weight = 10", "weight = \"berat\"")
    });
    let err = fails(site.path(), "check");
    for (key, needle) in [
        (
            "title = 5",
            "`title` in front matter: found the number 5, expected text in quotes",
        ),
        (
            "sk = [",
            "`sk` in front matter: found a list, expected text in quotes",
        ),
        (
            "fee = -150000",
            "`fee` in front matter: found the number -150000, expected a whole number (0 or more)",
        ),
        (
            "channels = ",
            "unknown service channel \"fax\" in `channels`",
        ),
        (
            "updated = 5",
            "`updated` in front matter: expected a date written YYYY-MM-DD",
        ),
        (
            "weight = ",
            "`weight` in front matter: found the text \"berat\", expected a whole number",
        ),
    ] {
        let line = line_of(&path, key);
        assert_reports(&err, &format!("content/layanan/buruk.md:{line}:"), needle);
    }
    assert!(
        err.contains("tatap-muka, email, telepon, hai-cso, whatsapp, surat"),
        "the known channels are listed:\n{err}"
    );
    for rust in [
        "u64",
        "i64",
        "invalid type",
        "untagged",
        "DateValue",
        "sequence",
    ] {
        assert!(!err.contains(rust), "{rust:?} in a message:\n{err}");
    }
}

#[test]
fn a_file_that_is_not_utf8_names_byte_and_line() {
    let site = site_copy();
    let path = site.path().join("content/layanan/latin.md");
    let mut bytes = b"+++\ntitle = \"Konsultasi\"\nsummary = \"Caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\"\n+++\n");
    std::fs::write(&path, bytes).expect("write");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/layanan/latin.md:3:15:",
        "not UTF-8 text: byte 39 (0xE9, line 3, column 15)",
    );
    assert!(!err.contains("exists"), "{err}");
}

#[test]
fn upper_case_md_is_read_and_other_files_and_folders_are_named() {
    let site = site_copy();
    let dir = site.path().join("content/layanan");
    std::fs::copy(fixture("missing-component.md"), dir.join("BESAR.MD")).expect("copy");
    std::fs::create_dir(dir.join("arsip")).expect("mkdir");
    std::fs::write(dir.join("catatan.txt"), "x").expect("write");
    let err = fails(site.path(), "check");
    assert_reports(&err, "content/layanan/BESAR.MD:21:1:", "missing component");
    assert!(
        err.contains("warning: content/layanan/arsip:1:1: this folder is not read"),
        "{err}"
    );
    assert!(
        err.contains("warning: content/layanan/catatan.txt:1:1: not a Markdown file"),
        "{err}"
    );
}

#[test]
fn missing_and_unsafe_images_are_errors_and_present_ones_pass() {
    let site = site_copy();
    let path = add_edited(site.path(), "gambar", |t| {
        t.replacen(
            "Tidak dipungut biaya.",
            "Tidak dipungut biaya.\n\n![Denah](/img/denah.png)\n\n![Tidak ada](/img/hilang.png) ![x](data:image/png;base64,AAAA)",
            1,
        )
    });
    let line = line_of(&path, "![Tidak ada]");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        &format!("gambar.md:{}:1:", line - 2),
        "image \"/img/denah.png\" not found",
    );
    assert_reports(
        &err,
        &format!("gambar.md:{line}:1:"),
        "image \"/img/hilang.png\" not found",
    );
    assert_reports(
        &err,
        &format!("gambar.md:{line}:"),
        "would embed data or code",
    );
    // A site's own static/ folder is published and satisfies the check.
    std::fs::create_dir_all(site.path().join("static/img")).expect("mkdir");
    std::fs::write(site.path().join("static/img/denah.png"), b"png").expect("write");
    let err = fails(site.path(), "check");
    assert!(!err.contains("\"/img/denah.png\" not found"), "{err}");
    assert!(loket(&["build"], site.path()).status.success());
    assert!(site.path().join("public/img/denah.png").is_file());
}

#[test]
fn unsafe_links_are_errors_in_check_and_warnings_in_build() {
    let site = site_copy();
    let path = add_edited(site.path(), "skrip", |t| {
        t.replacen(
            "Tidak dipungut biaya.",
            "Tidak dipungut biaya. [klik](javascript:alert(1))",
            1,
        )
    });
    let line = line_of(&path, "[klik]");
    let err = fails(site.path(), "check");
    assert_reports(&err, &format!("skrip.md:{line}:"), "would run code");
    // build publishes the page without the link, and says so.
    let o = loket(&["build"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stderr(&o);
    assert!(
        out.contains(&format!("warning: content/layanan/skrip.md:{line}:"))
            && out.contains("would run code"),
        "{out}"
    );
}

#[test]
fn a_page_may_not_take_a_path_the_site_generates() {
    let site = site_copy();
    std::fs::write(
        site.path().join("content/kinerja.md"),
        "+++\ntitle = \"Kinerja kami\"\n+++\n\nTeks.\n",
    )
    .expect("write");
    let err = fails(site.path(), "build");
    assert_reports(&err, "content/kinerja.md:1:1:", "reserved by the site");
}

#[test]
fn a_link_to_any_file_the_build_writes_passes_check() {
    let site = site_copy();
    add_edited(site.path(), "data", |t| {
        t.replacen(
            "Tidak dipungut biaya.",
            "Tidak dipungut biaya. [data](/en/layanan/index.json) [kinerja](/kinerja/index.json)",
            1,
        )
    });
    let o = loket(&["check"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn base_url_must_be_an_http_address() {
    let site = site_copy();
    let o = loket(&["build", "--base-url", "not a url"], site.path());
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("--base-url") && err.contains("not an absolute http(s) address"),
        "{err}"
    );
    assert!(!site.path().join("public").exists());
    let o = loket(
        &["build", "--base-url", "https://layanan.kppn.go.id/kppn/"],
        site.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_question_about_no_standard_lists_the_standards() {
    let site = site_copy();
    let path = site.path().join("content/tanya-jawab/salah.md");
    std::fs::write(
        &path,
        "+++\ntitle = \"Berapa lama pencairan dana?\"\nservice = \"PD\"\n+++\n\nDua hari.\n",
    )
    .expect("write");
    std::fs::write(
        site.path().join("content/tanya-jawab/kosong.md"),
        "+++\ntitle = \"Tanpa layanan?\"\n+++\n\n[x](/tidak-ada/)\n",
    )
    .expect("write");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/tanya-jawab/salah.md:3:1:",
        "no standard has the code or slug \"PD\"",
    );
    assert!(err.contains("KONS (konsultasi-stakeholder)"), "{err}");
    assert_reports(
        &err,
        "content/tanya-jawab/kosong.md:2:1:",
        "`service` is missing",
    );
    // A broken link in an answer is reported in the answer's file.
    std::fs::remove_file(&path).expect("remove");
    std::fs::write(
        site.path().join("content/tanya-jawab/kosong.md"),
        "+++\ntitle = \"Tautan?\"\nservice = \"konsultasi-stakeholder\"\n+++\n\n[x](/tidak-ada/)\n",
    )
    .expect("write");
    let err = fails(site.path(), "check");
    assert_reports(
        &err,
        "content/tanya-jawab/kosong.md:6:1:",
        "broken internal link",
    );
}
