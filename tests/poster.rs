//! The front-desk poster: `/layanan/<slug>/poster/`, one A4 page with the six components
//! in short, the email and complaint channels, and two QR codes drawn as inline SVG.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::build_shipped;
use scraper::{Html, Selector};

const BASE: &str = "https://standar.kppn-test.go.id/tanjungselor/";
const POSTER: &str = "layanan/konsultasi-stakeholder/poster/index.html";
const MAILTO: &str = "mailto:layanan@kppn-tanjungselor.example?subject=%5BKONS%5D%20";

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build_shipped(&dir.path().join("public"), BASE);
    dir
}

/// The dark modules of a QR code as the qrcode crate makes it, shifted by the quiet zone.
fn expected_modules(data: &str) -> (usize, BTreeSet<(usize, usize)>) {
    let code = qrcode::QrCode::new(data.as_bytes()).unwrap();
    let w = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .enumerate()
        .filter(|(_, c)| *c == qrcode::Color::Dark)
        .map(|(i, _)| (i % w + 4, i / w + 4))
        .collect();
    (w + 8, dark)
}

/// The modules an SVG of the page draws: its viewBox size and each module of every run
/// `M{x} {y}h{n}v1h-{n}z`.
fn drawn_modules(svg: scraper::ElementRef<'_>) -> (usize, BTreeSet<(usize, usize)>) {
    let view_box = svg.value().attr("viewBox").expect("viewBox");
    let size: usize = view_box.split(' ').nth(2).unwrap().parse().unwrap();
    let d = svg
        .select(&sel("path"))
        .next()
        .and_then(|p| p.value().attr("d"))
        .expect("a path of modules");
    let modules = d
        .split('M')
        .filter(|m| !m.is_empty())
        .flat_map(|m| {
            let (at, run) = m.split_once('h').expect("a run: M{x} {y}h{n}v1h-{n}z");
            let (n, back) = run.split_once("v1h-").unwrap();
            assert_eq!(back, format!("{n}z"), "a closed run of one row: {m}");
            let (x, y) = at.split_once(' ').unwrap();
            let (x, y, n): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
            (x..x + n).map(move |x| (x, y))
        })
        .collect();
    (size, modules)
}

#[test]
fn poster_is_one_valid_page_with_the_six_components_and_two_qr_codes_of_the_right_addresses() {
    let dir = built();
    let html = std::fs::read_to_string(dir.path().join("public").join(POSTER)).unwrap();
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert!(!html.contains("<script"), "no JavaScript");
    let text = |s: &str| -> Vec<String> {
        doc.select(&sel(s))
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    };
    assert_eq!(text("h1"), ["Layanan Konsultasi Stakeholder"]);
    let ids: Vec<&str> = doc
        .select(&sel(".komponen section h2"))
        .map(|h| h.value().attr("id").unwrap())
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
    let sorot = text(".sorot").join(" ");
    assert!(
        sorot.contains("20 menit") && sorot.contains("Tidak dipungut biaya"),
        "{sorot}"
    );
    let complaints = text("#pengaduan + ul li").join("\n");
    for channel in [
        "SP4N",
        "LAPOR",
        "Whistleblowing System",
        "SIPANDU",
        "HAI DJPb",
    ] {
        assert!(complaints.contains(channel), "{channel} in {complaints}");
    }
    let contact = text(".poster-kontak p").join(" ");
    assert!(
        contact.contains("layanan@kppn-tanjungselor.example") && contact.contains("[KONS]"),
        "{contact}"
    );

    let svgs: Vec<_> = doc.select(&sel("svg.qr")).collect();
    assert_eq!(svgs.len(), 2, "two QR codes");
    let page_url = format!("{BASE}layanan/konsultasi-stakeholder/");
    for (svg, data) in svgs.iter().zip([page_url.as_str(), MAILTO]) {
        assert_eq!(svg.value().attr("role"), Some("img"));
        let label = svg.value().attr("aria-label").unwrap();
        assert!(label.ends_with(data), "{label}");
        assert_eq!(
            drawn_modules(*svg),
            expected_modules(data),
            "the QR code does not encode {data}"
        );
    }

    // The standard's page links to its poster.
    let page = std::fs::read_to_string(
        dir.path()
            .join("public/layanan/konsultasi-stakeholder/index.html"),
    )
    .unwrap();
    assert!(
        page.contains("href=\"/tanjungselor/layanan/konsultasi-stakeholder/poster/\""),
        "no link to the poster"
    );
    // One A4 page in print: a named page of A4 size that the poster uses.
    let css = std::fs::read_to_string(dir.path().join("public/style.css")).unwrap();
    assert!(css.contains("@page poster{size:A4;"), "A4 page rule");
    assert!(
        css.contains(".poster{page:poster"),
        "the poster prints on it"
    );
}
