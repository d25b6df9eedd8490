//! Builds the shipped site and checks the produced pages with an HTML parser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{loket, repo, site_copy, stderr};
use loket::config::Config;
use scraper::{Html, Selector};

const BASE: &str = "https://standar.kppn-test.go.id/tanjungselor/";
const SERVICE: &str = "layanan/konsultasi-stakeholder/index.html";

fn build_into(out: &Path) {
    common::build_shipped(out, BASE);
}

fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    build_into(&dir.path().join("public"));
    dir
}

fn read(dir: &tempfile::TempDir, rel: &str) -> String {
    std::fs::read_to_string(dir.path().join("public").join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn text_of(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn service_page_has_six_components_in_order_with_published_text() {
    let dir = built();
    let doc = Html::parse_document(&read(&dir, SERVICE));
    let ids: Vec<String> = doc
        .select(&sel(".isi h2"))
        .filter_map(|h| h.value().attr("id").map(String::from))
        .collect();
    assert_eq!(
        ids,
        [
            "persyaratan",
            "prosedur",
            "waktu-penyelesaian",
            "biaya",
            "produk",
            "pengaduan"
        ]
    );

    let body = text_of(&doc, ".isi").join(" ");
    for phrase in [
        "disampaikan secara online melalui HAI CSO pada Aplikasi OM SPAN",
        // The OCR slip in step 1 of the face-to-face procedure is fixed.
        "Stakeholder menyampaikan pertanyaan/permasalahan pada saat konsultasi berlangsung",
        "Stakeholder menyampaikan pertanyaan/permasalahan melalui HAI CSO atau kontak resmi",
        "paling lambat 3 (tiga) hari kerja",
        "20 menit per satu jenis layanan",
        "Tidak dipungut biaya",
        "Tanggapan dengan status penyelesaian layanan \"Resolved\"",
        "Progres atas penyelesaian solusi",
        "https://wise.kemenkeu.go.id/",
    ] {
        assert!(body.contains(phrase), "missing {phrase:?}");
    }
    assert!(!body.contains("menarukakan"));
    // Lists in order: requirements (2), two procedures of six steps, products (3),
    // complaint channels (4).
    let sizes: Vec<usize> = doc
        .select(&sel(".isi > ol"))
        .map(|ol| {
            ol.children()
                .filter(|c| c.value().as_element().is_some())
                .count()
        })
        .collect();
    assert_eq!(sizes, [2, 6, 6, 3, 4]);
}

#[test]
fn service_page_is_accessible_and_carries_the_facts() {
    let dir = built();
    let html = read(&dir, SERVICE);
    let doc = Html::parse_document(&html);
    assert_eq!(doc.select(&sel("html[lang=id]")).count(), 1);
    assert_eq!(doc.select(&sel("h1")).count(), 1);
    assert_eq!(text_of(&doc, "h1"), ["Layanan Konsultasi Stakeholder"]);
    assert_eq!(doc.select(&sel("a.skip[href='#isi']")).count(), 1);
    assert_eq!(doc.select(&sel("main#isi")).count(), 1);
    assert_eq!(doc.select(&sel("footer")).count(), 1);
    assert!(
        doc.select(&sel("script:not([type='application/ld+json'])"))
            .next()
            .is_none(),
        "no JavaScript"
    );

    let facts = text_of(&doc, ".fakta dd").join("|");
    assert!(facts.contains("KEP-57/PB/2023"));
    assert!(facts.contains("20 menit"));
    assert!(facts.contains("3 hari kerja"));
    assert!(facts.contains("29 November 2026"));
    let mailto: Vec<&str> = doc
        .select(&sel("a.tombol"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(
        mailto,
        ["mailto:layanan@kppn-tanjungselor.example?subject=%5BKONS%5D%20"]
    );

    let toc: Vec<&str> = doc
        .select(&sel(".daftar-isi > ol > li > a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(toc.len(), 6);
    assert_eq!(toc[0], "#persyaratan");

    // One office header, from config, on the correct host.
    assert_eq!(doc.select(&sel(".kop .kantor")).count(), 1);
    assert!(html.contains("https://djpb.kemenkeu.go.id/kppn/tanjungselor/id/"));
    assert!(!html.contains("djob.") && !html.contains("djp.kemenkeu"));

    // Low bandwidth: page plus stylesheet under 30 KB.
    let size = html.len() + read(&dir, "style.css").len();
    assert!(size < 30 * 1024, "page + CSS is {size} bytes");
}

#[test]
fn json_ld_names_the_office_and_the_service() {
    let dir = built();
    let doc = Html::parse_document(&read(&dir, SERVICE));
    let config = Config::load(&repo()).expect("config");
    let scripts: Vec<String> = doc
        .select(&sel("script[type='application/ld+json']"))
        .map(|s| s.text().collect())
        .collect();
    assert_eq!(scripts.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&scripts[0]).expect("JSON-LD parses");
    assert_eq!(v["@context"], "https://schema.org");
    assert_eq!(v["@type"], "GovernmentService");
    assert_eq!(v["name"], "Layanan Konsultasi Stakeholder");
    assert_eq!(v["identifier"], "KONS");
    assert_eq!(v["url"], format!("{BASE}layanan/konsultasi-stakeholder/"));
    assert_eq!(v["provider"]["@type"], "GovernmentOffice");
    assert_eq!(v["provider"]["name"], config.office.name.as_str());
    assert_eq!(v["provider"]["contactPoint"]["@type"], "ContactPoint");
    assert_eq!(
        v["provider"]["contactPoint"]["email"],
        "layanan@kppn-tanjungselor.example"
    );
    assert_eq!(v["availableChannel"][0]["processingTime"], "PT20M");
    assert_eq!(v["offers"]["price"], "0");
    assert_eq!(v["offers"]["priceCurrency"], "IDR");
}

fn html_pages(root: &Path) -> BTreeSet<String> {
    common::files_under(root)
        .into_iter()
        .filter_map(|f| f.strip_suffix("index.html").map(str::to_string))
        .collect()
}

#[test]
fn sitemap_lists_every_page_under_base_url() {
    let dir = built();
    let xml = read(&dir, "sitemap.xml");
    let doc = Html::parse_document(&xml);
    let locs: BTreeSet<String> = text_of(&doc, "loc").into_iter().collect();
    let expected: BTreeSet<String> = html_pages(&dir.path().join("public"))
        .into_iter()
        .map(|p| format!("{BASE}{p}"))
        .collect();
    assert!(expected.len() >= 4, "{expected:?}");
    assert_eq!(locs, expected);
    assert!(read(&dir, "robots.txt").contains(&format!("Sitemap: {BASE}sitemap.xml")));
    assert!(dir.path().join("public/404.html").is_file());
    // Links inside the site follow the base URL's folder.
    let home = Html::parse_document(&read(&dir, "index.html"));
    let hrefs: Vec<&str> = home
        .select(&sel(".layanan a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(hrefs, ["/tanjungselor/layanan/konsultasi-stakeholder/"]);
}

#[test]
fn home_lists_every_service_with_time_and_fee() {
    let dir = built();
    let doc = Html::parse_document(&read(&dir, "index.html"));
    let items = text_of(&doc, ".layanan > li");
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("Layanan Konsultasi Stakeholder"));
    assert!(items[0].contains("20 menit"));
    assert!(items[0].contains("Tidak dipungut biaya"));
    assert_eq!(doc.select(&sel("h1")).count(), 1);
    let about = Html::parse_document(&read(&dir, "tentang/index.html"));
    assert_eq!(text_of(&about, "h1"), ["Tentang dan Kontak"]);
    assert!(about.select(&sel("#kontak")).next().is_some());
}

#[test]
fn open_data_matches_front_matter() {
    let dir = built();
    let data: serde_json::Value =
        serde_json::from_str(&read(&dir, "layanan/konsultasi-stakeholder/index.json"))
            .expect("json");
    let source = std::fs::read_to_string(repo().join("content/layanan/konsultasi-stakeholder.md"))
        .expect("md");
    let front = source.split("+++").nth(1).expect("front matter");
    let fm: toml::Table = toml::from_str(front).expect("toml");
    for key in ["title", "code", "sk", "completion", "escalation", "summary"] {
        assert_eq!(data[key].as_str(), fm[key].as_str(), "{key}");
    }
    assert_eq!(
        data["fee"].as_u64(),
        fm["fee"].as_integer().and_then(|i| u64::try_from(i).ok())
    );
    let channels: Vec<&str> = fm["channels"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let data_channels: Vec<&str> = data["channels"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(data_channels, channels);
    assert_eq!(
        data["updated"].as_str(),
        Some(fm["updated"].to_string().as_str())
    );
    assert_eq!(data["components"].as_array().map(Vec::len), Some(6));
    assert_eq!(data["mail_subject_prefix"], "[KONS] ");
}

fn all_files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p.strip_prefix(root).expect("rel").to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn builds_are_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    build_into(&dir.path().join("a"));
    build_into(&dir.path().join("b"));
    let a = all_files(&dir.path().join("a"));
    let b = all_files(&dir.path().join("b"));
    assert!(a.len() > 5);
    assert_eq!(a, b);
}

#[test]
fn default_build_writes_public_under_root() {
    let site = site_copy();
    let o = loket(&["build"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(site.path().join("public/index.html").is_file());
    assert!(stderr(&o).contains("Built 15 pages"), "{}", stderr(&o));
}

#[test]
fn check_passes_on_shipped_site_and_warns_about_example_address() {
    let o = loket(&["check"], &repo());
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("warning: site.toml:"), "{err}");
    assert!(
        err.contains("`office.email`") && err.contains("before publishing"),
        "{err}"
    );
}

fn json_files(root: &Path) -> Vec<PathBuf> {
    all_files(root)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.file_name().is_some_and(|n| n == "index.json"))
        .collect()
}

/// Every link-like string in a JSON value, with where it is.
fn strings<'a>(v: &'a serde_json::Value, at: &str, out: &mut Vec<(String, &'a str)>) {
    match v {
        serde_json::Value::String(s) => out.push((at.to_string(), s)),
        serde_json::Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                strings(x, &format!("{at}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                strings(x, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_open_data_file_is_valid_against_its_published_schema() {
    let dir = built();
    let public = dir.path().join("public");
    let files = json_files(&public);
    assert!(files.len() >= 2, "{files:?}");
    for rel in files {
        let data: serde_json::Value =
            serde_json::from_str(&read(&dir, rel.to_str().expect("utf-8"))).expect("json");
        let schema_url = data["$schema"].as_str().expect("$schema");
        let schema_rel = schema_url
            .strip_prefix(BASE)
            .unwrap_or_else(|| panic!("{rel:?}: $schema {schema_url} is not on the site"));
        let schema: serde_json::Value =
            serde_json::from_str(&read(&dir, schema_rel)).expect("schema is JSON");
        assert_eq!(schema["$id"], schema_url, "the schema says where it lives");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&data)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{rel:?} against {schema_rel}: {errors:#?}"
        );
        // The version its schema names (the standards' files 1, the performance data 2).
        assert_eq!(
            data["version"], schema["properties"]["version"]["const"],
            "{rel:?}"
        );
        assert!(data["version"].is_u64(), "{rel:?}");
        assert_eq!(
            data["license"], "https://creativecommons.org/licenses/by/4.0/",
            "{rel:?}"
        );
        // Links are absolute: URLs start with the site's address, Markdown has no site path.
        let mut all = Vec::new();
        strings(&data, "", &mut all);
        for (at, s) in all {
            if at.ends_with(".url") || at.ends_with(".data") {
                assert!(s.starts_with("https://"), "{rel:?} {at}: {s}");
            }
            assert!(
                !s.contains("](/"),
                "{rel:?} {at}: a site-relative link in {s}"
            );
        }
    }
    let standard: serde_json::Value =
        serde_json::from_str(&read(&dir, "layanan/konsultasi-stakeholder/index.json"))
            .expect("json");
    let pengaduan = standard["components"][5]["markdown"]
        .as_str()
        .expect("markdown");
    assert!(
        pengaduan.contains(&format!("]({BASE}tentang/#kontak)")),
        "{pengaduan}"
    );
    let list: serde_json::Value =
        serde_json::from_str(&read(&dir, "layanan/index.json")).expect("json");
    assert_eq!(
        list["services"][0]["data"],
        format!("{BASE}layanan/konsultasi-stakeholder/index.json")
    );
}

#[test]
fn a_broken_open_data_file_fails_the_schema() {
    // The check above can fail: the published schema refuses a relative link, a wrong
    // version and a missing licence.
    let dir = built();
    let schema: serde_json::Value =
        serde_json::from_str(&read(&dir, "schema/standar-v1.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    let good: serde_json::Value =
        serde_json::from_str(&read(&dir, "layanan/konsultasi-stakeholder/index.json"))
            .expect("json");
    assert!(validator.is_valid(&good));
    for (key, value) in [
        ("url", serde_json::json!("/layanan/konsultasi-stakeholder/")),
        ("version", serde_json::json!(2)),
        ("fee", serde_json::json!(-1)),
        ("code", serde_json::json!("kons")),
    ] {
        let mut bad = good.clone();
        bad[key] = value;
        assert!(!validator.is_valid(&bad), "{key} accepted");
    }
    let mut bad = good.clone();
    bad.as_object_mut().expect("object").remove("license");
    assert!(!validator.is_valid(&bad), "no licence accepted");
}

#[test]
fn phones_see_the_facts_first_and_urls_wrap_and_print_once() {
    let dir = built();
    let html = read(&dir, SERVICE);
    let doc = Html::parse_document(&html);
    // Completion time and cost lead the facts, so they sit on the first screen.
    let dts = text_of(&doc, ".fakta dt");
    assert_eq!(&dts[..2], ["Waktu penyelesaian", "Biaya"], "{dts:?}");
    // The header has the short name for phones; the long one, hierarchy and address are
    // hidden below 40rem and shown from 40rem and in print.
    assert_eq!(text_of(&doc, ".kop .nama-pendek"), ["KPPN Tanjung Selor"]);
    let css = read(&dir, "style.css");
    assert!(
        css.contains(".instansi,.alamat,.nama-panjang{display:none}"),
        "mobile header rule"
    );
    let wide = css
        .split("@media (min-width:40rem)")
        .nth(1)
        .expect("wide rules");
    assert!(wide.contains(".instansi,.alamat{display:block}"));
    // Addresses shown as text wrap at separators and are printed once.
    assert!(
        html.contains("https://<wbr>djpb<wbr>.kemenkeu<wbr>.go<wbr>.id<wbr>/kppn<wbr>/tanjungselor<wbr>/id<wbr>/"),
        "header website wraps at separators"
    );
    for a in doc.select(&sel("a[href^='http'], a[href^='mailto']")) {
        let text: String = a.text().collect();
        let href = a.value().attr("href").unwrap_or("");
        let shows_address = href.trim_start_matches("mailto:") == text
            || (href.starts_with("mailto:") && href.contains(&format!(":{text}?")));
        if shows_address {
            assert!(
                a.value().classes().any(|c| c == "url"),
                "{href} shows its address but is not class url (print would repeat it)"
            );
        }
    }
    let print = css.split("@media print").nth(1).expect("print rules");
    assert!(
        print.contains("a[href^=\"http\"]:not(.url)::after"),
        "{print}"
    );
    let autolinks: Vec<&str> = doc
        .select(&sel(".isi a.url"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        autolinks.contains(&"https://www.lapor.go.id/"),
        "{autolinks:?}"
    );
}

#[test]
fn faq_page_groups_questions_per_service_with_faqpage_json_ld() {
    let dir = built();
    let doc = Html::parse_document(&read(&dir, "tanya-jawab/index.html"));
    assert_eq!(text_of(&doc, "h1"), ["Tanya Jawab"]);
    assert_eq!(
        text_of(&doc, ".kelompok-tanya h2"),
        ["Layanan Konsultasi Stakeholder"]
    );
    let questions = text_of(&doc, ".tanya h3");
    assert_eq!(questions.len(), 3, "{questions:?}");
    assert!(questions.iter().all(|q| q.ends_with('?')), "{questions:?}");
    // The JSON-LD is a FAQPage with the same questions and their answers.
    let scripts: Vec<String> = doc
        .select(&sel("script[type='application/ld+json']"))
        .map(|s| s.text().collect())
        .collect();
    assert_eq!(scripts.len(), 1);
    let ld: serde_json::Value = serde_json::from_str(&scripts[0]).expect("FAQPage parses");
    assert_eq!(ld["@type"], "FAQPage");
    assert_eq!(ld["url"], format!("{BASE}tanya-jawab/"));
    let names: Vec<&str> = ld["mainEntity"]
        .as_array()
        .expect("mainEntity")
        .iter()
        .map(|q| {
            assert_eq!(q["@type"], "Question");
            assert_eq!(q["acceptedAnswer"]["@type"], "Answer");
            assert!(
                q["acceptedAnswer"]["text"]
                    .as_str()
                    .is_some_and(|t| t.len() > 50),
                "{q}"
            );
            q["name"].as_str().expect("name")
        })
        .collect();
    assert_eq!(names, questions);
    // The service page links to each of its questions, and each link lands on one.
    let service = Html::parse_document(&read(&dir, SERVICE));
    let links: Vec<&str> = service
        .select(&sel(".tanya-jawab a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(links.len(), 3, "{links:?}");
    for href in links {
        let id = href
            .strip_prefix("/tanjungselor/tanya-jawab/#")
            .unwrap_or_else(|| panic!("{href}"));
        assert_eq!(
            doc.select(&sel(&format!("h3[id='{id}']"))).count(),
            1,
            "{href}"
        );
    }
    // The menu has it on every page, and the sitemap lists it.
    assert!(text_of(&service, ".menu a").contains(&"Tanya Jawab".to_string()));
    assert!(read(&dir, "sitemap.xml").contains(&format!("<loc>{BASE}tanya-jawab/</loc>")));
}
