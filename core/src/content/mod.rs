//! The content model: service standards and free pages read from `content/`.
//!
//! A standard's front matter carries the facts machines read (code, terms, fee); its
//! body carries the six public components as `##` sections. The site renders both; the
//! daemon reads the same files for its clocks and its wording.

mod component;
mod faq;
mod front_matter;
mod page;
mod service;
mod term;
mod translation;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use pulldown_cmark::Options;

pub use component::{ComponentKind, normalise_heading};
pub use faq::{FAQ_DIR, Faq, parse_faq, plain_text};
pub use page::{Page, parse_page};
pub use service::{
    CHANNELS, CHANNELS_EN, Component, Service, channel_label, channel_label_en, parse_service,
    parse_translation,
};
pub use service::{PLACEHOLDER_SECTIONS, PLACEHOLDER_SK, PLACEHOLDER_SUMMARY};
pub use term::{Term, TermError};

/// Page names the site generates itself: a page under content/ may not take one.
pub const RESERVED_PAGES: [&str; 7] = [
    "layanan",
    "tanya-jawab",
    "kinerja",
    "skm",
    "schema",
    "404",
    "en",
];
pub use translation::{ENGLISH, Translations, original_stem};

use crate::diagnostics::{Diagnostic, Diagnostics, io_error, read_text};

/// Folder of the service standards, relative to the site root.
pub const SERVICES_DIR: &str = "content/layanan";

/// Everything under `content/`.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub home: Option<Page>,
    pub pages: Vec<Page>,
    pub services: Vec<Service>,
    /// Questions and answers, in order (service, weight, question).
    pub faqs: Vec<Faq>,
    /// The English edition (`*.en.md`).
    pub english: Translations,
}

/// The Markdown dialect of content files: CommonMark plus tables and strikethrough.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// One standard as read from its file: the service when it is valid, and every problem
/// found in it.
pub type ServiceFile = (Option<Service>, Vec<Diagnostic>);

/// Reads one standard from disk.
pub fn read_service(path: &Path) -> ServiceFile {
    let mut d = Vec::new();
    let service = match read_text(path) {
        Ok(text) => parse_service(path, &text, &mut d),
        Err(e) => {
            d.push(e);
            None
        }
    };
    (service, d)
}

/// Reads the standards one after another. The site builder, which has threads to
/// spare, reads them in parallel instead (see [`load_content`]).
pub fn read_in_turn(files: &[PathBuf]) -> Vec<ServiceFile> {
    files.iter().map(|p| read_service(p)).collect()
}

/// Reads every standard in `content/layanan/*.md` (drafts included, flagged).
/// Fails with every error found; warnings are dropped (use [`load_content`] to see them).
pub fn load_services(root: &Path) -> Result<Vec<Service>, Diagnostics> {
    let mut diags = Vec::new();
    let (services, _translations) = read_services(root, &mut diags, read_in_turn);
    let mut diags = Diagnostics(diags);
    diags.sort();
    diags.into_result().map(|()| services)
}

/// The questions and answers of `content/tanya-jawab/` (drafts left out), each resolved
/// against `services` (the standards, drafts included, as the site resolves them).
/// Fails with every error found, each naming its file and line; warnings are dropped.
pub fn load_faqs(root: &Path, services: &[Service]) -> Result<Vec<Faq>, Diagnostics> {
    let mut diags = Vec::new();
    let mut faqs = read_faqs(root, &mut diags);
    faq::resolve_services(&mut faqs, services, &mut diags);
    let mut diags = Diagnostics(diags);
    diags.sort();
    diags
        .into_result()
        .map(|()| faqs.into_iter().filter(|f| !f.draft).collect())
}

/// Reads all content, collecting errors and warnings into `diags`. `read` turns the
/// list of standards' files into their contents ([`read_in_turn`], or a parallel map of
/// [`read_service`]).
pub fn load_content(
    root: &Path,
    diags: &mut Vec<Diagnostic>,
    read: impl FnOnce(&[PathBuf]) -> Vec<ServiceFile>,
) -> Content {
    let (services, translation_files) = read_services(root, diags, read);
    let (home, pages, page_translations) = read_pages(root, diags);
    let mut faqs = read_faqs(root, diags);
    faq::resolve_services(&mut faqs, &services, diags);
    let english = Translations {
        services: read_translations(&translation_files, &services, diags),
        ..page_translations
    };
    Content {
        home,
        pages,
        services,
        faqs,
        english,
    }
}

/// Reads the standards' translations; one without an original is an error.
fn read_translations(
    files: &[PathBuf],
    services: &[Service],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Service> {
    // Looked up by file name and by slug, never by scanning: a site may translate
    // thousands of standards.
    let mut by_stem: HashMap<&str, &Service> = HashMap::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        // The first one, as a scan would find it (`a.md` and `a.MD` share a stem).
        if let Some(stem) = s.path.file_stem().and_then(|x| x.to_str()) {
            by_stem.entry(stem).or_insert(s);
        }
        position.entry(s.slug.as_str()).or_insert(i);
    }
    let mut out = Vec::new();
    for path in files {
        let stem = original_stem(path).unwrap_or_default();
        let Some(original) = by_stem.get(stem).copied() else {
            // An original that exists but did not read has its own errors.
            if !path.with_file_name(format!("{stem}.md")).exists() {
                diags.push(no_original(path, &format!("{SERVICES_DIR}/{stem}.md")));
            }
            continue;
        };
        match read_text(path) {
            Ok(text) => out.extend(parse_translation(path, &text, original, diags)),
            Err(e) => diags.push(e),
        }
    }
    // In the originals' order.
    out.sort_by_key(|t| position.get(t.slug.as_str()).copied());
    out
}

fn no_original(path: &Path, original: &str) -> Diagnostic {
    Diagnostic::error(
        path,
        (1, 1),
        format!("this English translation has no Indonesian original: {original} does not exist"),
        format!(
            "a `.en.md` file translates the file of the same name without `.en`: add {original}, or rename this file after its original"
        ),
    )
}

/// Folders under `content/` that hold content of their own.
pub const CONTENT_FOLDERS: &[&str] = &["layanan", "tanya-jawab"];

/// The Markdown files of a folder (`.md` in any case), sorted. Anything else in it is
/// named in a warning, never skipped silently: a subfolder (except `folders`, read on
/// their own) or a file of another kind.
fn markdown_files(dir: &Path, folders: &[&str], diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            diags.push(io_error(dir, &e));
            return Vec::new();
        }
    };
    let mut files = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with('~') {
            // Editor and system files (.DS_Store, .swp, backup~).
            continue;
        }
        if path.is_dir() {
            if !folders.contains(&name.as_str()) {
                diags.push(Diagnostic::warning(
                    &path,
                    (1, 1),
                    "this folder is not read: content here is not published",
                    format!(
                        "move its Markdown files into {} (standards go in {SERVICES_DIR}/<slug>.md, pages in content/<slug>.md; images in static/)",
                        dir.display()
                    ),
                ));
            }
        } else if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("md"))
        {
            files.push(path);
        } else {
            diags.push(Diagnostic::warning(
                &path,
                (1, 1),
                "not a Markdown file (.md): it is not published",
                "rename it to .md if it is content; put images and downloads in static/",
            ));
        }
    }
    files.sort();
    files
}

/// The standards (drafts included), and the files of their translations (`*.en.md`).
fn read_services(
    root: &Path,
    diags: &mut Vec<Diagnostic>,
    read: impl FnOnce(&[PathBuf]) -> Vec<ServiceFile>,
) -> (Vec<Service>, Vec<PathBuf>) {
    let dir = root.join(SERVICES_DIR);
    let (translations, files): (Vec<PathBuf>, Vec<PathBuf>) = markdown_files(&dir, &[], diags)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "_index.md"))
        .partition(|p| original_stem(p).is_some());
    let parsed = read(&files);
    let mut services = Vec::with_capacity(parsed.len());
    for (s, d) in parsed {
        diags.extend(d);
        services.extend(s);
    }
    check_unique(&services, diags);
    services.sort_by(|a, b| (a.weight, &a.title, &a.slug).cmp(&(b.weight, &b.title, &b.slug)));
    (services, translations)
}

/// Slugs name pages and codes name mailboxes' subjects: both must be unique.
fn check_unique(services: &[Service], diags: &mut Vec<Diagnostic>) {
    let mut by_slug: BTreeMap<&str, &Service> = BTreeMap::new();
    let mut by_code: BTreeMap<&str, &Service> = BTreeMap::new();
    let mut sorted: Vec<&Service> = services.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for s in sorted {
        if let Some(first) = by_slug.insert(&s.slug, s) {
            // Blame the file that chose the slug explicitly, if one did.
            let (blamed, other) = if first.slug_line.is_some() && s.slug_line.is_none() {
                (first, s)
            } else {
                (s, first)
            };
            diags.push(Diagnostic::error(
                &blamed.path,
                (blamed.slug_line.unwrap_or(1), 1),
                format!(
                    "duplicate slug {:?}: {} uses it too",
                    blamed.slug,
                    other.path.display()
                ),
                "give one of them a different `slug` in front matter (or rename the file)",
            ));
        }
        if let Some(first) = by_code.insert(&s.code, s) {
            diags.push(Diagnostic::error(
                &s.path,
                (1, 1),
                format!(
                    "duplicate service code {:?}: {} uses it too",
                    s.code,
                    first.path.display()
                ),
                "each service needs its own `code`; mail is filed by it",
            ));
        }
    }
}

fn read_faqs(root: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Faq> {
    let mut faqs = Vec::new();
    for path in markdown_files(&root.join(FAQ_DIR), &[], diags) {
        match read_text(&path) {
            Ok(text) => faqs.extend(parse_faq(&path, &text, diags)),
            Err(e) => diags.push(e),
        }
    }
    faqs.sort_by(|a, b| (&a.service, a.weight, &a.title).cmp(&(&b.service, b.weight, &b.title)));
    faqs
}

/// The home page, the free pages, and their translations.
fn read_pages(root: &Path, diags: &mut Vec<Diagnostic>) -> (Option<Page>, Vec<Page>, Translations) {
    let mut home = None;
    let mut pages = Vec::new();
    let mut english = Translations::default();
    let mut translated = Vec::new();
    for path in markdown_files(&root.join("content"), CONTENT_FOLDERS, diags) {
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(e);
                continue;
            }
        };
        if let Some(stem) = original_stem(&path) {
            translated.push((path.clone(), stem.to_string(), text));
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if stem == "_index" {
            home = parse_page(&path, "", &text, diags);
        } else if RESERVED_PAGES.contains(&stem.as_str()) {
            diags.push(Diagnostic::error(
                &path,
                (1, 1),
                format!("page name {stem:?} is reserved by the site"),
                "rename the file",
            ));
        } else if let Some(p) = parse_page(&path, &stem, &text, diags) {
            pages.push(p);
        }
    }
    for (path, stem, text) in translated {
        let slug = if stem == "_index" { "" } else { stem.as_str() };
        let exists = if slug.is_empty() {
            home.is_some()
        } else {
            pages.iter().any(|p| p.slug == slug)
        };
        if !exists {
            // An original that exists but did not read has its own errors.
            if !path.with_file_name(format!("{stem}.md")).exists() {
                diags.push(no_original(&path, &format!("content/{stem}.md")));
            }
            continue;
        }
        match parse_page(&path, slug, &text, diags) {
            Some(p) if slug.is_empty() => english.home = Some(p),
            Some(p) => english.pages.push(p),
            None => {}
        }
    }
    pages.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
    english
        .pages
        .sort_by_key(|t| pages.iter().position(|p| p.slug == t.slug));
    (home, pages, english)
}
