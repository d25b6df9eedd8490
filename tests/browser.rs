//! The built site in a real browser (Debian's headless Chromium): the poster and the SKM
//! questionnaire print on one A4 page each, and on a 360 px phone the header stays short and the completion time
//! and cost are on the first screen. The pages are served over HTTP on loopback, as a
//! web server would serve them (`file://` would not load the site-absolute stylesheet).
//!
//! `scripts/install-test-deps.sh` installs Chromium; without it these tests fail and
//! say what to install (`LOKET_NO_BROWSER=1` skips them on purpose, with a printed line).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::build_shipped;

const POSTERS: [&str; 2] = [
    "layanan/konsultasi-stakeholder/poster/",
    "en/layanan/konsultasi-stakeholder/poster/",
];
const STANDARD: &str = "layanan/konsultasi-stakeholder/";
/// The budget for the header on a 360 × 800 phone screen.
const HEADER_MAX_PX: f64 = 160.0;
const SCREEN: (u32, u32) = (360, 800);

/// Chromium, or `None` when the run asked to go without (`LOKET_NO_BROWSER=1`).
fn chromium() -> Option<PathBuf> {
    if std::env::var_os("LOKET_NO_BROWSER").is_some() {
        eprintln!("SKIPPED: LOKET_NO_BROWSER is set");
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file());
    assert!(
        found.is_some(),
        "no Chromium: run `bash scripts/install-test-deps.sh` (or `apt-get install chromium`), \
         or set LOKET_NO_BROWSER=1 to skip the browser checks"
    );
    found
}

/// Serves `root` over HTTP on `listener` until the test ends.
fn serve(listener: TcpListener, root: PathBuf) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || answer(stream, &root));
        }
    });
}

fn answer(mut stream: TcpStream, root: &Path) {
    let mut line = String::new();
    if BufReader::new(&stream).read_line(&mut line).is_err() {
        return;
    }
    let path = line
        .split(' ')
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/");
    let mut file = root.join(path.trim_start_matches('/'));
    if path.ends_with('/') {
        file = file.join("index.html");
    }
    let (status, body) = match std::fs::read(&file) {
        Ok(b) if !path.contains("..") => ("200 OK", b),
        _ => ("404 Not Found", Vec::new()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "text/html; charset=utf-8",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

/// The shipped site built for a free loopback address and served there: the temp
/// folder, the output folder and the base address.
fn served_site() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}/");
    build_shipped(&out, &base);
    serve(listener, out.clone());
    (dir, out, base)
}

fn headless(chromium: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    c
}

/// Pages of a PDF as Chromium writes it: one `/Type /Page` object per page.
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .chain(text.match_indices("/Type/Page"))
        .filter(|(i, m)| !text[i + m.len()..].starts_with('s'))
        .count()
}

#[test]
fn the_poster_prints_on_one_a4_page() {
    prints_on_one_a4_page(&POSTERS);
}

/// The SKM questionnaire a walk-in visitor fills in: one sheet.
#[test]
fn the_skm_questionnaire_prints_on_one_a4_page() {
    prints_on_one_a4_page(&["skm/", "en/skm/"]);
}

fn prints_on_one_a4_page(pages: &[&str]) {
    let Some(chromium) = chromium() else { return };
    let (dir, _, base) = served_site();
    for poster in pages {
        let pdf = dir.path().join("poster.pdf");
        let _ = std::fs::remove_file(&pdf);
        let o = headless(&chromium)
            .arg("--no-pdf-header-footer")
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("{base}{poster}"))
            .output()
            .unwrap();
        assert!(pdf.exists(), "{}", String::from_utf8_lossy(&o.stderr));
        let pages = pdf_pages(&std::fs::read(&pdf).unwrap());
        assert_eq!(pages, 1, "{poster} prints on {pages} A4 pages");
    }
}

/// Layout figures of `page` at `SCREEN`, measured by a script added to a copy of the
/// page (the built pages themselves carry no JavaScript).
fn measure(chromium: &Path, out: &Path, base: &str, page: &str, dir: &Path) -> Vec<(String, f64)> {
    let src = out.join(page).join("index.html");
    let html = std::fs::read_to_string(&src).unwrap();
    let probe = "<script>addEventListener('load',()=>{const r=s=>{const e=document.querySelector(s);return e?e.getBoundingClientRect():null};const o={};const h=r('header.kop');o.header=h?h.height:-1;for(const[k,s]of[['time','.fakta div:nth-of-type(1) dd'],['cost','.fakta div:nth-of-type(2) dd']]){const b=r(s);o[k]=b?b.bottom:-1}document.body.dataset.measure=Object.entries(o).map(([k,v])=>k+'='+v).join(';')})</script></body>";
    std::fs::write(
        out.join(page).join("measure.html"),
        html.replace("</body>", probe),
    )
    .unwrap();
    let o = headless(chromium)
        .arg(format!("--window-size={},{}", SCREEN.0, SCREEN.1))
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--virtual-time-budget=2000")
        .arg("--dump-dom")
        .arg(format!("{base}{page}measure.html"))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let found = dom
        .split("data-measure=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| {
            panic!(
                "no measurement in the page:\n{}",
                String::from_utf8_lossy(&o.stderr)
            )
        });
    found
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(-1.0)))
        .collect()
}

#[test]
fn on_a_360_px_phone_the_header_is_short_and_time_and_cost_are_on_the_first_screen() {
    let Some(chromium) = chromium() else { return };
    let (dir, out, base) = served_site();
    for page in [STANDARD, &format!("en/{STANDARD}")] {
        let m = measure(&chromium, &out, &base, page, dir.path());
        let get = |k: &str| m.iter().find(|(n, _)| n == k).map_or(-1.0, |(_, v)| *v);
        eprintln!("{page} at {}x{}: {m:?}", SCREEN.0, SCREEN.1);
        let header = get("header");
        assert!(
            header > 0.0 && header <= HEADER_MAX_PX,
            "{page}: header {header} px at {} px wide (at most {HEADER_MAX_PX})",
            SCREEN.0
        );
        for k in ["time", "cost"] {
            let bottom = get(k);
            assert!(
                bottom > 0.0 && bottom <= f64::from(SCREEN.1),
                "{page}: {k} ends at {bottom} px, below the first {} px",
                SCREEN.1
            );
        }
    }
}
