//! A service standard: `content/layanan/<slug>.md`; its facts are checked against its
//! text and, for a translation, against the original (`facts`).

mod facts;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

pub use facts::{PLACEHOLDER_SECTIONS, PLACEHOLDER_SK, PLACEHOLDER_SUMMARY};

use super::component::ComponentKind;
use super::front_matter::{DateValue, Read, read};
use super::markdown_options;
use super::term::Term;
use crate::diagnostics::{Diagnostic, LineIndex};
use crate::document::KeyIndex;

/// One published service standard.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// URL name: `/layanan/<slug>/`. The file stem unless front matter sets `slug`.
    pub slug: String,
    /// The source file.
    pub path: PathBuf,
    pub title: String,
    /// Short code used in ticket tags and mail subjects (`KONS`).
    pub code: String,
    /// Decree (Surat Keputusan) that set the standard.
    pub sk: String,
    pub completion: Term,
    pub escalation: Option<Term>,
    /// Rupiah; 0 means free of charge.
    pub fee: u64,
    pub channels: Vec<String>,
    pub summary: Option<String>,
    pub updated: Option<NaiveDate>,
    pub draft: bool,
    pub weight: i64,
    /// Page language: "id" (default) or "en".
    pub lang: String,
    /// Markdown before the first `##` section.
    pub intro: String,
    /// The `##` sections in file order.
    pub components: Vec<Component>,
    /// File line of the `slug` key, when front matter sets one.
    pub slug_line: Option<usize>,
    /// The whole Markdown body and the file line it starts on.
    pub body: String,
    pub body_line: usize,
}

/// One `##` section of a standard.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub kind: ComponentKind,
    /// The heading as written.
    pub heading: String,
    /// File line of the heading.
    pub line: usize,
    /// Markdown under the heading, up to the next `##`.
    pub markdown: String,
    /// Byte offset of `markdown` in the service's body.
    #[serde(skip)]
    pub offset: usize,
}

/// Front matter as written. Every key defaults, so that a bad value in one key does not
/// hide the others' problems; required keys are checked by hand.
#[derive(Deserialize)]
struct Front {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    sk: Option<String>,
    #[serde(default)]
    completion: Option<Term>,
    #[serde(default)]
    escalation: Option<Term>,
    #[serde(default)]
    fee: u64,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    updated: Option<DateValue>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    weight: i64,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// Known service channels and their Indonesian labels.
pub const CHANNELS: &[(&str, &str)] = &[
    ("tatap-muka", "Tatap muka di kantor"),
    ("email", "Email"),
    ("telepon", "Telepon"),
    ("hai-cso", "HAI CSO (OM SPAN)"),
    ("whatsapp", "WhatsApp"),
    ("surat", "Surat"),
];

/// The channels' English labels.
pub const CHANNELS_EN: &[(&str, &str)] = &[
    ("tatap-muka", "In person at the office"),
    ("email", "Email"),
    ("telepon", "Telephone"),
    ("hai-cso", "HAI CSO (OM SPAN)"),
    ("whatsapp", "WhatsApp"),
    ("surat", "Letter"),
];

impl Service {
    /// Site path of the page, `layanan/<slug>/`.
    pub fn url_path(&self) -> String {
        format!("layanan/{}/", self.slug)
    }

    pub fn component(&self, kind: ComponentKind) -> Option<&Component> {
        self.components.iter().find(|c| c.kind == kind)
    }

    /// The subject the email button pre-fills, so the daemon files the mail here.
    pub fn mail_subject_prefix(&self) -> String {
        format!("[{}] ", self.code)
    }
}

/// Label of a channel id; unknown ids show as written.
pub fn channel_label(id: &str) -> &str {
    CHANNELS
        .iter()
        .find(|(k, _)| *k == id)
        .map_or(id, |(_, v)| v)
}

/// English label of a channel id; unknown ids show as written.
pub fn channel_label_en(id: &str) -> &str {
    CHANNELS_EN
        .iter()
        .find(|(k, _)| *k == id)
        .map_or(id, |(_, v)| v)
}

/// Reads one standard; diagnostics (errors and warnings) go to `diags`.
pub fn parse_service(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Service> {
    parse(path, text, None, diags)
}

/// Reads the English translation (`<slug>.en.md`) of `original`: an English page with the
/// original's slug, whose facts must equal the original's.
pub fn parse_translation(
    path: &Path,
    text: &str,
    original: &Service,
    diags: &mut Vec<Diagnostic>,
) -> Option<Service> {
    parse(path, text, Some(original), diags)
}

fn parse(
    path: &Path,
    text: &str,
    original: Option<&Service>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Service> {
    let Read {
        parts,
        front,
        ok: front_ok,
        keys,
    } = read::<Front>(path, text, diags)?;
    // Sections are checked even when front matter is broken, to report everything at once.
    // A translation is English whatever it says; `lang = "id"` on one is reported below.
    let english = original.is_some()
        || front
            .as_ref()
            .is_some_and(|f| f.lang.as_deref() == Some("en"));
    let lang = if english { "en" } else { "id" }.to_string();
    let (intro, components) =
        read_components(path, parts.body, parts.body_line, lang == "en", diags);
    let before = diags.len();
    let front = front?;
    let at = |k: &str| keys.pos_or(k, (parts.front_line, 1));
    let required = [
        (
            "title",
            front.title.is_some(),
            "add title = \"Layanan …\", the service's name",
        ),
        (
            "code",
            front.code.is_some(),
            "add code = \"KONS\": 2–10 capital letters or digits, carried in mail subjects as [KONS]",
        ),
        (
            "sk",
            front.sk.is_some(),
            "add sk = \"KEP-…\", the decree that set the standard",
        ),
        (
            "completion",
            front.completion.is_some(),
            "add completion = \"20m\" (or \"1h\", \"3 hari kerja\")",
        ),
    ];
    for (key, present, hint) in required {
        // A key the file writes but that did not read was reported with its value.
        if !present && !keys.contains(key) {
            diags.push(Diagnostic::error(
                path,
                (parts.front_line, 1),
                format!("`{key}` is missing in front matter"),
                hint,
            ));
        }
    }
    check_front(path, &front, &keys, diags);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let slug = match original {
        // A translation lives at its original's address under /en/.
        Some(o) => {
            if keys.contains("slug") {
                diags.push(Diagnostic::error(
                    path,
                    at("slug"),
                    "a translation cannot set its own `slug`",
                    format!(
                        "remove it: the English page takes the original's slug {:?}",
                        o.slug
                    ),
                ));
            }
            if front.lang.as_deref().is_some_and(|l| l != "en") {
                diags.push(Diagnostic::error(
                    path,
                    at("lang"),
                    "a `.en.md` file is the English translation",
                    "remove `lang` (or set it to \"en\")",
                ));
            }
            o.slug.clone()
        }
        None => front.slug.clone().unwrap_or_else(|| stem.to_string()),
    };
    if slug::slugify(&slug) != slug {
        diags.push(Diagnostic::error(
            path,
            at("slug"),
            format!("{slug:?} is not a valid slug"),
            format!(
                "use lower-case letters, digits and hyphens, e.g. {:?}",
                slug::slugify(&slug)
            ),
        ));
    }
    let updated = match &front.updated {
        None => None,
        Some(v) => {
            let date = v.to_date();
            if date.is_none() {
                diags.push(Diagnostic::error(
                    path,
                    at("updated"),
                    "`updated` is not a date",
                    "write it as YYYY-MM-DD, e.g. updated = 2026-11-29",
                ));
            }
            date
        }
    };
    let placeholders_are_errors = !front.draft;
    let service = Service {
        slug,
        path: path.to_path_buf(),
        title: front.title.unwrap_or_default(),
        code: front.code.unwrap_or_default(),
        sk: front.sk.unwrap_or_default(),
        completion: front.completion?,
        escalation: front.escalation,
        fee: front.fee,
        channels: front.channels,
        summary: front.summary,
        updated,
        draft: front.draft,
        weight: front.weight,
        lang,
        intro,
        components: components?,
        slug_line: keys.contains("slug").then(|| at("slug").0),
        body: parts.body.to_string(),
        body_line: parts.body_line,
    };
    if !front_ok || diags[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    let before = diags.len();
    if let Some(o) = original {
        facts::check_translation(o, &service, &|k| at(k), diags);
    }
    facts::check(&service, diags);
    facts::placeholders(&service, &|k| at(k), placeholders_are_errors, diags);
    if diags[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(service)
}

fn check_front(path: &Path, f: &Front, keys: &KeyIndex, diags: &mut Vec<Diagnostic>) {
    let at = |k: &str| keys.pos_or(k, (2, 1));
    for (key, value) in [("title", &f.title), ("sk", &f.sk)] {
        if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
            diags.push(Diagnostic::error(
                path,
                at(key),
                format!("`{key}` is empty"),
                "give it a value",
            ));
        }
    }
    let code = f.code.as_deref().unwrap_or("KONS");
    let code_ok = (2..=10).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !code_ok {
        diags.push(Diagnostic::error(
            path,
            at("code"),
            format!("service code {code:?} is not 2–10 capital letters or digits"),
            "use a short code such as \"KONS\"; it goes into mail subjects like [KONS]",
        ));
    }
    if let Some(lang) = &f.lang
        && lang != "id"
        && lang != "en"
    {
        diags.push(Diagnostic::error(
            path,
            at("lang"),
            format!("unsupported language {lang:?}"),
            "use \"id\" or \"en\"",
        ));
    }
    if !keys.contains("updated") {
        diags.push(Diagnostic::warning(
            path,
            (2, 1),
            "no `updated` date",
            "add updated = YYYY-MM-DD so the page can say when it was last changed",
        ));
    }
    for c in &f.channels {
        if !CHANNELS.iter().any(|(k, _)| k == c) {
            let known: Vec<&str> = CHANNELS.iter().map(|(k, _)| *k).collect();
            diags.push(Diagnostic::error(
                path,
                at("channels"),
                format!("unknown service channel {c:?} in `channels`"),
                format!(
                    "use the channels the site knows: {} (ask the developers to add another)",
                    known.join(", ")
                ),
            ));
        }
    }
}

/// Splits the body at its `##` headings and checks them against the components.
/// Returns the intro and, when the sections are valid, the components.
fn read_components(
    path: &Path,
    body: &str,
    body_line: usize,
    english: bool,
    diags: &mut Vec<Diagnostic>,
) -> (String, Option<Vec<Component>>) {
    let lines = LineIndex::new(body);
    let file_pos = |offset: usize| {
        let (l, c) = lines.pos(offset);
        (l + body_line - 1, c)
    };
    // (heading range, heading text) of every `##`.
    let mut headings: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut current: Option<(std::ops::Range<usize>, String)> = None;
    let mut ok = true;
    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => {
                ok = false;
                diags.push(Diagnostic::error(
                    path,
                    file_pos(range.start),
                    "level-1 heading in the body",
                    "the page title comes from `title`; use `##` for components, `###` below them",
                ));
            }
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => {
                current = Some((range, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                if let Some(h) = current.take() {
                    headings.push(h);
                }
            }
            _ => {}
        }
    }
    let intro_end = headings.first().map_or(body.len(), |(r, _)| r.start);
    let intro = body[..intro_end].trim().to_string();

    let mut components = Vec::new();
    for (i, (range, text)) in headings.iter().enumerate() {
        let end = headings.get(i + 1).map_or(body.len(), |(r, _)| r.start);
        let pos = file_pos(range.start);
        let Some(kind) = ComponentKind::recognise(text, english) else {
            ok = false;
            diags.push(Diagnostic::error(
                path,
                pos,
                format!("unknown section \"## {}\"", text.trim()),
                format!(
                    "name a component of the standard: {}",
                    ComponentKind::all_names(english).join("; ")
                ),
            ));
            continue;
        };
        if components.iter().any(|c: &Component| c.kind == kind) {
            ok = false;
            diags.push(Diagnostic::error(
                path,
                pos,
                format!("section \"{}\" appears twice", kind.name_id()),
                "merge the two sections into one",
            ));
            continue;
        }
        let markdown = body[range.end..end].trim().to_string();
        if markdown.is_empty() {
            ok = false;
            diags.push(Diagnostic::error(
                path,
                pos,
                format!("section \"{}\" is empty", kind.name_id()),
                "write the published text of this component under its heading",
            ));
        }
        let raw = &body[range.end..end];
        let offset = range.end + (raw.len() - raw.trim_start().len());
        components.push(Component {
            kind,
            heading: text.trim().to_string(),
            line: pos.0,
            markdown,
            offset,
        });
    }

    // Public components: all present, in the regulation's order.
    let end_line = file_pos(body.len()).0;
    let public: Vec<&Component> = components.iter().filter(|c| c.kind.is_public()).collect();
    for (idx, kind) in ComponentKind::PUBLIC.iter().enumerate() {
        if public.iter().any(|c| c.kind == *kind) {
            continue;
        }
        ok = false;
        // Point at the heading that should have followed it.
        let next = public.iter().find(|c| (c.kind as usize) > idx);
        let (line, hint) = match next {
            Some(c) => (
                c.line,
                format!(
                    "add \"## {}\" before \"## {}\"",
                    name(*kind, english),
                    c.heading
                ),
            ),
            None => (
                end_line,
                format!("add \"## {}\" at the end", name(*kind, english)),
            ),
        };
        diags.push(Diagnostic::error(
            path,
            (line, 1),
            format!("missing component \"{}\"", kind.name_id()),
            hint,
        ));
    }
    for pair in public.windows(2) {
        if pair[1].kind < pair[0].kind {
            ok = false;
            diags.push(Diagnostic::error(
                path,
                (pair[1].line, 1),
                format!(
                    "section \"{}\" is out of order: it must come before \"{}\"",
                    pair[1].heading, pair[0].heading
                ),
                format!("order the sections: {}", order_hint(english)),
            ));
        }
    }
    (intro, ok.then_some(components))
}

fn name(kind: ComponentKind, english: bool) -> &'static str {
    if english {
        kind.name_en()
    } else {
        kind.name_id()
    }
}

fn order_hint(english: bool) -> String {
    ComponentKind::PUBLIC
        .iter()
        .map(|k| name(*k, english))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const GOOD: &str = "+++\ntitle = \"T\"\ncode = \"KONS\"\nsk = \"KEP-1\"\ncompletion = \"20m\"\nupdated = 2026-11-29\n+++\nIntro.\n\n## Persyaratan\nA\n\n## Sistem, Mekanisme dan Prosedur\nB\n\n## Waktu Penyelesaian\nC\n\n## Biaya / Tarif\nD\n\n## Produk Pelayanan\nE\n\n## Pengaduan Layanan\nF\n";

    #[test]
    fn reads_a_valid_standard() {
        let mut d = Vec::new();
        let s = parse_service(Path::new("content/layanan/kons.md"), GOOD, &mut d).expect("valid");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s.slug, "kons");
        assert_eq!(s.components.len(), 6);
        assert_eq!(s.components[2].kind, ComponentKind::JangkaWaktu);
        assert_eq!(s.components[0].line, 10);
        assert_eq!(s.intro, "Intro.");
        assert_eq!(s.updated, NaiveDate::from_ymd_opt(2026, 11, 29));
    }

    #[test]
    fn missing_and_misordered_sections_are_located() {
        let text = GOOD.replace("## Persyaratan\nA\n\n", "").replace(
            "## Biaya / Tarif\nD\n\n## Produk Pelayanan\nE\n",
            "## Produk Pelayanan\nE\n\n## Biaya / Tarif\nD\n",
        );
        let mut d = Vec::new();
        assert!(parse_service(Path::new("x.md"), &text, &mut d).is_none());
        let msgs: Vec<(usize, &str)> = d.iter().map(|x| (x.line, x.message.as_str())).collect();
        assert!(
            msgs.contains(&(10, "missing component \"Persyaratan\"")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|(l, m)| *l == 19 && m.contains("out of order")),
            "{msgs:?}"
        );
    }

    #[test]
    fn english_headings_only_on_english_pages() {
        let en = GOOD
            .replace(
                "updated = 2026-11-29",
                "updated = 2026-11-29\nlang = \"en\"",
            )
            .replace("## Persyaratan", "## Requirements")
            .replace("## Biaya / Tarif", "## Fees");
        let mut d = Vec::new();
        let s = parse_service(Path::new("en.md"), &en, &mut d).expect("English page");
        assert_eq!(s.components[0].kind, ComponentKind::Persyaratan);
        assert_eq!(s.components[3].kind, ComponentKind::Biaya);
        let id = en.replace("lang = \"en\"\n", "");
        assert!(parse_service(Path::new("id.md"), &id, &mut d).is_none());
        assert!(
            d.iter()
                .any(|x| x.message.contains("unknown section \"## Requirements\""))
        );
    }
}
