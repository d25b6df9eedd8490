//! The English edition: `/en/` pages beside the Indonesian ones, linked both ways by
//! `hreflang` alternates and a language switch; a translation must state its original's
//! facts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{loket, site_copy, stderr};
use scraper::{Html, Selector};

const BASE: &str = "https://standar.kppn-test.go.id/tanjungselor/";
const EN_STANDARD: &str = "content/layanan/konsultasi-stakeholder.en.md";

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn build(site: &Path) -> std::path::PathBuf {
    let out = site.join("public");
    let o = loket(
        &[
            "build",
            "--output",
            out.to_str().unwrap(),
            "--base-url",
            BASE,
        ],
        site,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn page(out: &Path, path: &str) -> Html {
    let file = out.join(path).join("index.html");
    Html::parse_document(
        &std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
    )
}

/// `hreflang` → `href` of the page's alternates.
fn alternates(doc: &Html) -> Vec<(String, String)> {
    doc.select(&sel("head link[rel=alternate][hreflang]"))
        .map(|l| {
            let v = l.value();
            (
                v.attr("hreflang").unwrap().to_string(),
                v.attr("href").unwrap().to_string(),
            )
        })
        .collect()
}

/// The language switch: (href, hreflang, lang).
fn switch(doc: &Html) -> (String, String, String) {
    let a = doc
        .select(&sel("nav.menu li.bahasa a"))
        .next()
        .expect("a language switch in the menu");
    let v = a.value();
    (
        v.attr("href").unwrap().to_string(),
        v.attr("hreflang").unwrap().to_string(),
        v.attr("lang").unwrap().to_string(),
    )
}

fn html_lang(doc: &Html) -> String {
    doc.select(&sel("html"))
        .next()
        .and_then(|h| h.value().attr("lang"))
        .unwrap()
        .to_string()
}

#[test]
fn every_translated_page_and_its_original_name_each_other_with_hreflang_and_switch() {
    let site = site_copy();
    let out = build(site.path());
    let base_path = "/tanjungselor/";
    // (Indonesian path, English path) of every page that has a translation.
    for (id, en) in [
        ("", "en/"),
        ("layanan/", "en/layanan/"),
        (
            "layanan/konsultasi-stakeholder/",
            "en/layanan/konsultasi-stakeholder/",
        ),
        ("tentang/", "en/tentang/"),
    ] {
        let (id_doc, en_doc) = (page(&out, id), page(&out, en));
        assert_eq!(html_lang(&id_doc), "id", "{id}");
        assert_eq!(html_lang(&en_doc), "en", "{en}");
        let expected = vec![
            ("id".to_string(), format!("{BASE}{id}")),
            ("en".to_string(), format!("{BASE}{en}")),
            ("x-default".to_string(), format!("{BASE}{id}")),
        ];
        assert_eq!(alternates(&id_doc), expected, "alternates of /{id}");
        assert_eq!(alternates(&en_doc), expected, "alternates of /{en}");
        assert_eq!(
            switch(&id_doc),
            (format!("{base_path}{en}"), "en".into(), "en".into()),
            "switch on /{id}"
        );
        assert_eq!(
            switch(&en_doc),
            (format!("{base_path}{id}"), "id".into(), "id".into()),
            "switch on /{en}"
        );
    }
}

#[test]
fn english_pages_use_the_english_strings_and_facts() {
    let site = site_copy();
    let out = build(site.path());
    let doc = page(&out, "en/layanan/konsultasi-stakeholder/");
    let text = |s: &str| -> Vec<String> {
        doc.select(&sel(s))
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    };
    assert_eq!(text("h1"), ["Stakeholder Consultation Service"]);
    let facts = text(".fakta div");
    assert!(
        facts.contains(&"Completion time20 minutes".to_string()),
        "{facts:?}"
    );
    assert!(
        facts.contains(&"FeeFree of charge".to_string()),
        "{facts:?}"
    );
    assert!(
        facts.contains(&"Decree numberKEP-57/PB/2023".to_string()),
        "{facts:?}"
    );
    assert_eq!(text(".menu li a")[..2], ["Home", "Services"]);
    // The email button files the mail under the same code as the Indonesian page's.
    let mailto = doc
        .select(&sel("a.tombol"))
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap();
    assert!(mailto.ends_with("?subject=%5BKONS%5D%20"), "{mailto}");
    // Its open data is English and valid (the schema test validates every index.json).
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("en/layanan/konsultasi-stakeholder/index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["language"], "en");
    assert_eq!(json["fee_label"], "Free of charge");
    assert_eq!(
        json["url"],
        format!("{BASE}en/layanan/konsultasi-stakeholder/")
    );
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("en/layanan/index.json")).unwrap())
            .unwrap();
    assert_eq!(
        list["services"][0]["title"],
        "Stakeholder Consultation Service"
    );
}

#[test]
fn a_page_without_translation_switches_to_the_english_home_without_hreflang() {
    let site = site_copy();
    let out = build(site.path());
    let doc = page(&out, "tanya-jawab/");
    assert!(alternates(&doc).is_empty());
    assert_eq!(
        switch(&doc),
        ("/tanjungselor/en/".into(), "en".into(), "en".into())
    );
}

#[test]
fn a_site_without_translations_has_no_switch_and_no_en_folder() {
    let site = site_copy();
    for f in [EN_STANDARD, "content/_index.en.md", "content/tentang.en.md"] {
        std::fs::remove_file(site.path().join(f)).unwrap();
    }
    let out = build(site.path());
    assert!(!out.join("en").exists());
    let doc = page(&out, "layanan/konsultasi-stakeholder/");
    assert!(alternates(&doc).is_empty());
    assert!(doc.select(&sel("li.bahasa")).next().is_none());
}

fn set(site: &Path, from: &str, to: &str) {
    let path = site.join(EN_STANDARD);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn line_of(site: &Path, needle: &str) -> usize {
    std::fs::read_to_string(site.join(EN_STANDARD))
        .unwrap()
        .lines()
        .position(|l| l.starts_with(needle))
        .unwrap()
        + 1
}

#[test]
fn a_translation_whose_facts_differ_from_the_original_is_an_error_at_its_line() {
    let site = site_copy();
    set(site.path(), "code = \"KONS\"", "code = \"KONSUL\"");
    set(
        site.path(),
        "sk = \"KEP-57/PB/2023\"",
        "sk = \"KEP-58/PB/2023\"",
    );
    set(
        site.path(),
        "escalation = \"3 working days\"",
        "escalation = \"5 working days\"",
    );
    // The text agrees with the new fee, so only the original disagrees.
    set(site.path(), "fee = 0", "fee = 50000");
    set(site.path(), "Free of charge.", "IDR 50,000.");
    let o = loket(&["check"], site.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    for (key, ours, theirs) in [
        ("code", "KONSUL", "KONS"),
        ("sk", "KEP-58/PB/2023", "KEP-57/PB/2023"),
        ("fee", "50000", "0"),
    ] {
        let line = line_of(site.path(), &format!("{key} ="));
        let expected = format!(
            "error: {EN_STANDARD}:{line}:1: the translation's `{key}` is {ours}, but the Indonesian original content/layanan/konsultasi-stakeholder.md says {theirs}"
        );
        assert!(err.contains(&expected), "missing {expected:?} in\n{err}");
    }
    let line = line_of(site.path(), "escalation =");
    assert!(
        err.contains(&format!(
            "{EN_STANDARD}:{line}:1: the translation's `escalation` is"
        )),
        "{err}"
    );
    // build refuses too.
    let o = loket(&["build", "--output", "out"], site.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("the translation's `fee` is 50000"));
}

#[test]
fn a_translation_without_original_and_a_missing_interface_string_are_errors() {
    let site = site_copy();
    std::fs::rename(
        site.path().join(EN_STANDARD),
        site.path().join("content/layanan/konsultasi.en.md"),
    )
    .unwrap();
    let strings = site.path().join("themes/default/i18n/en.toml");
    let text = std::fs::read_to_string(&strings).unwrap();
    std::fs::write(
        &strings,
        text.lines()
            .filter(|l| !l.starts_with("fee ="))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let o = loket(&["check"], site.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("error: content/layanan/konsultasi.en.md:1:1: this English translation has no Indonesian original: content/layanan/konsultasi.md does not exist"),
        "{err}"
    );
    assert!(
        err.contains("themes/default/i18n/en.toml:1:1: the interface string `fee` is missing"),
        "{err}"
    );
}

#[test]
fn a_string_the_renderer_reads_missing_from_both_tables_is_an_error() {
    // Dropped from both tables, the cross-check between them cannot see it; the pages
    // would show `kinerja_title` as the heading.
    let site = site_copy();
    for lang in ["id", "en"] {
        let strings = site.path().join(format!("themes/default/i18n/{lang}.toml"));
        let text = std::fs::read_to_string(&strings).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("kinerja_title "))
            .collect();
        std::fs::write(&strings, kept.join("\n")).unwrap();
    }
    let o = loket(&["build"], site.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(
            "themes/default/i18n/id.toml:1:1: the interface string `kinerja_title` is missing"
        ),
        "{err}"
    );
}
