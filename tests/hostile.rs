//! Any content is safe: standards with hostile titles, front matter and bodies, made
//! from a seeded generator, either fail `check` with a located error or build into pages
//! that parse with their headings, whose JSON-LD parses, and that open no script.
//!
//! Replay a run with `LOKET_HOSTILE_SEED=<seed> cargo nextest run -p loket --test hostile`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::site_copy;
use loket::BuildOptions;
use scraper::{Html, Selector};

/// Text that has broken HTML pages, script elements, JSON or Markdown somewhere.
const HOSTILE: &[&str] = &[
    "</script>",
    "<script>alert(1)</script>",
    "<!--",
    "-->",
    "<!-- <script> x",
    "]]>",
    "<![CDATA[",
    "\u{2028}",
    "\u{2029}",
    "&amp;",
    "&",
    "&#x3c;script&#x3e;",
    "\"",
    "'",
    "`",
    "<",
    ">",
    "</",
    "<style>",
    "</style>",
    "<title>",
    "</title>",
    "<textarea>",
    "<plaintext>",
    "<noscript>",
    "<iframe src=x>",
    "<svg><script>alert(1)</script></svg>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[y](JaVaScRiPt:alert(1))",
    "<br>",
    "<div>",
    "</div>",
    "<h2 id=\"biaya\">h</h2>",
    "<span id=\"persyaratan\">s</span>",
    "{{ site }}",
    "{% raw %}",
    "\u{202e}",
    "\u{FDD0}",
    "é",
    "日本",
    "🙂",
    "\\",
    "\t",
    "*",
    "_",
    "#",
    "|",
    " ",
    "Konsultasi",
    "Biaya",
    "Persyaratan",
    "Rp150.000",
];

/// Lines a body may hold besides words: Markdown structures with hostile text inside.
const LINE_SHAPES: &[&str] = &[
    "### {}",
    "- {}",
    "1. {}",
    "> {}",
    "| a | {} |\n| - | - |\n| {} | b |",
    "`{}`",
    "```\n{}\n```",
    "[{}](/tentang/#kontak)",
    "<{}>",
    "Teks {} dan {}.",
    "{}",
];

/// SplitMix64: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// One to `max` hostile fragments, with a word so the text is rarely blank.
    fn text(&mut self, max: usize) -> String {
        let mut s = String::new();
        for _ in 0..=self.below(max) {
            s.push_str(self.pick(HOSTILE));
        }
        if self.below(3) > 0 {
            s.push_str(" Layanan");
        }
        s
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Case {
    slug: String,
    title: String,
    summary: String,
    text: String,
}

fn case(rng: &mut Rng, n: usize) -> Case {
    // Titles and summaries keep off NUL and CR, which an HTML parser rewrites.
    let title = rng.text(5).replace(['\0', '\r'], "");
    let summary = rng.text(4).replace(['\0', '\r'], "");
    let sk = rng.text(3);
    let mut text = format!(
        "+++\ntitle = {}\ncode = \"H{n}\"\nsk = {}\ncompletion = \"20m\"\nfee = 0\nchannels = [\"email\"]\nsummary = {}\nupdated = 2026-11-29\n+++\n",
        toml_str(&title),
        toml_str(&sk),
        toml_str(&summary),
    );
    for (i, heading) in [
        "Persyaratan",
        "Sistem, Mekanisme dan Prosedur",
        "Jangka Waktu Penyelesaian",
        "Biaya/Tarif",
        "Produk Pelayanan",
        "Penanganan Pengaduan, Saran dan Masukan",
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(text, "\n## {heading}\n\n");
        // The facts the check compares stay true; everything around them is hostile.
        match i {
            2 => text.push_str("20 menit.\n\n"),
            3 => text.push_str("Tidak dipungut biaya.\n\n"),
            _ => text.push_str("Isi.\n\n"),
        }
        for _ in 0..rng.below(4) {
            let shape = rng.pick(LINE_SHAPES);
            let mut line = shape.to_string();
            while let Some(at) = line.find("{}") {
                let t = rng.text(3);
                line.replace_range(at..at + 2, &t);
            }
            text.push_str(&line);
            text.push_str("\n\n");
        }
    }
    Case {
        slug: format!("hostile-{n}"),
        title,
        summary,
        text,
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

const ANCHORS: [&str; 6] = [
    "persyaratan",
    "prosedur",
    "waktu-penyelesaian",
    "biaya",
    "produk",
    "pengaduan",
];

/// Everything a built page of `c` must be.
fn assert_safe_page(c: &Case, html: &str) {
    let ctx = || format!("{}\n--- source ---\n{}", c.slug, c.text);
    // No content opens a script: the one script element is the theme's JSON-LD.
    assert_eq!(
        html.to_ascii_lowercase().matches("<script").count(),
        1,
        "{}",
        ctx()
    );
    let doc = Html::parse_document(html);
    let scripts: Vec<_> = doc.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1, "{}", ctx());
    assert_eq!(
        scripts[0].value().attr("type"),
        Some("application/ld+json"),
        "{}",
        ctx()
    );
    let json: String = scripts[0].text().collect();
    let ld: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("JSON-LD does not parse ({e}): {json}\n{}", ctx()));
    assert_eq!(ld["name"], c.title.as_str(), "{}", ctx());
    assert_eq!(ld["description"], c.summary.as_str(), "{}", ctx());

    // The page is all there: one h1 with the title, the six anchors in order, the footer.
    let h1: Vec<String> = doc.select(&sel("h1")).map(|e| e.text().collect()).collect();
    assert_eq!(h1.len(), 1, "{}", ctx());
    assert_eq!(h1[0], c.title, "{}", ctx());
    let ids: Vec<&str> = doc
        .select(&sel(".isi h2"))
        .filter_map(|h| h.value().attr("id"))
        .collect();
    assert_eq!(ids, ANCHORS, "{}", ctx());
    assert_eq!(doc.select(&sel("footer.kaki")).count(), 1, "{}", ctx());
    assert_eq!(doc.select(&sel("title")).count(), 1, "{}", ctx());
    for a in doc.select(&sel(".daftar-isi a")) {
        let href = a.value().attr("href").unwrap_or("");
        let id = href.trim_start_matches('#');
        assert!(
            doc.select(&sel(&format!("[id=\"{id}\"]"))).next().is_some() || id.contains('"'),
            "table of contents links to a missing #{id}\n{}",
            ctx()
        );
    }
    // No ids twice (the validator's first complaint).
    let mut seen = std::collections::BTreeSet::new();
    for e in doc.select(&sel("[id]")) {
        let id = e.value().attr("id").unwrap_or("");
        assert!(seen.insert(id.to_string()), "id {id:?} twice\n{}", ctx());
    }
    // Nothing that runs code: no event attributes, no script URLs, no embedding elements.
    for e in doc.select(&sel("*")) {
        for (name, value) in e.value().attrs() {
            assert!(!name.starts_with("on"), "{name} attribute\n{}", ctx());
            if matches!(name, "href" | "src" | "action" | "formaction") {
                assert!(loket::markdown::is_safe_url(value), "{value:?}\n{}", ctx());
            }
        }
    }
    for tag in [
        "iframe",
        "object",
        "embed",
        "style",
        "textarea",
        "noscript",
        "plaintext",
        "form",
        "svg",
    ] {
        assert_eq!(doc.select(&sel(tag)).count(), 0, "<{tag}>\n{}", ctx());
    }
}

fn build(root: &Path) -> Result<(), String> {
    let opts = BuildOptions {
        output: Some(root.join("public")),
        ..BuildOptions::new(root)
    };
    loket::build(&opts).map(|_| ()).map_err(|d| d.to_string())
}

#[test]
fn hostile_content_builds_safe_pages_or_fails_with_a_located_error() {
    let seed: u64 = std::env::var("LOKET_HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x10_4E7);
    eprintln!("LOKET_HOSTILE_SEED={seed}");
    let mut rng = Rng(seed);
    let (batches, per_batch) = (12, 25);
    let mut built = 0;
    let mut refused = 0;
    for batch in 0..batches {
        let site = site_copy();
        let dir = site.path().join("content/layanan");
        let mut cases: Vec<Case> = (0..per_batch)
            .map(|i| case(&mut rng, batch * per_batch + i))
            .collect();
        for c in &cases {
            std::fs::write(dir.join(format!("{}.md", c.slug)), &c.text).expect("write");
        }
        // A case `check` refuses must be refused with its file and line, not a panic.
        // Link errors do not stop `build`: those pages are built, and must be safe too.
        let diags = loket::check(site.path(), false, None);
        let stops_build =
            |d: &&loket::diagnostics::Diagnostic| d.is_error() && !d.message.contains("link");
        for d in diags.iter().filter(stops_build) {
            let name = d.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            assert!(
                name.starts_with("hostile-") && d.line >= 1,
                "error outside the hostile files: {d}"
            );
        }
        cases.retain(|c| {
            let bad = diags
                .iter()
                .filter(stops_build)
                .any(|d| d.path.file_stem().is_some_and(|s| *s == *c.slug));
            if bad {
                std::fs::remove_file(dir.join(format!("{}.md", c.slug))).expect("remove");
                refused += 1;
            }
            !bad
        });
        build(site.path()).unwrap_or_else(|e| panic!("check passed but build failed:\n{e}"));
        for c in &cases {
            let page = site
                .path()
                .join(format!("public/layanan/{}/index.html", c.slug));
            let html = std::fs::read_to_string(&page).expect("page written");
            assert_safe_page(c, &html);
            let data: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(page.with_file_name("index.json")).expect("data"),
            )
            .expect("open data parses");
            assert_eq!(data["title"], c.title.as_str());
            built += 1;
        }
        // The home page lists them all and is still one page.
        let home = Html::parse_document(
            &std::fs::read_to_string(site.path().join("public/index.html")).expect("home"),
        );
        assert_eq!(home.select(&sel("h1")).count(), 1);
        assert_eq!(
            home.select(&sel(".layanan > li")).count(),
            cases.len() + 1,
            "every built standard is listed"
        );
    }
    eprintln!("{built} hostile standards built safely, {refused} refused by check");
    assert!(
        built >= batches * per_batch * 3 / 4,
        "too few cases reached the pages ({built}); the generator tests nothing"
    );
}
