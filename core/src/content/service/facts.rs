//! A standard's front matter and its text must say the same thing.
//!
//! The front matter sets what machines use (the fee in the JSON-LD offer, the clocks the
//! help desk keeps); the body is what people read. When they disagree, publishing either
//! one misleads someone, so `check` and `build` stop with the place of the disagreement:
//! the fee against "Tidak dipungut biaya" or an amount in the Biaya/Tarif section, the
//! completion time against the Jangka Waktu section, the escalation term against the
//! working days the procedure names, and "3 (empat)" against itself. Text left from
//! `loket new` blocks publishing.

use super::Service;
use crate::content::component::ComponentKind;
use crate::content::term::Term;
use crate::diagnostics::{Diagnostic, LineIndex, Pos};

/// Front-matter placeholders `loket new` writes.
pub const PLACEHOLDER_SK: &str = "(isi nomor SK penetapan standar)";
pub const PLACEHOLDER_SUMMARY: &str = "Ringkasan satu kalimat tentang layanan ini.";
/// Section placeholders `loket new` writes, by public component (`None`: the scaffold's
/// text is a sound default: no fee, the site's complaint channels).
pub const PLACEHOLDER_SECTIONS: [Option<&str>; 6] = [
    Some("Tuliskan setiap persyaratan yang harus dipenuhi pengguna layanan."),
    Some("Tuliskan tahapan layanan, dari permohonan sampai produk layanan diterima."),
    Some("Tuliskan jangka waktu penyelesaian, sama dengan `completion` di atas."),
    None,
    Some("Tuliskan produk yang diterima pengguna layanan."),
    None,
];

/// Where the service's text is, for positions.
struct Located<'a> {
    s: &'a Service,
    lines: LineIndex<'a>,
}

impl Located<'_> {
    fn pos(&self, body_offset: usize) -> Pos {
        let (l, c) = self.lines.pos(body_offset);
        (l + self.s.body_line - 1, c)
    }

    fn error(&self, body_offset: usize, message: String, hint: &str) -> Diagnostic {
        Diagnostic::error(&self.s.path, self.pos(body_offset), message, hint)
    }
}

/// Compares the front matter with the body; every disagreement is an error.
pub(crate) fn check(s: &Service, diags: &mut Vec<Diagnostic>) {
    let l = Located {
        s,
        lines: LineIndex::new(&s.body),
    };
    check_fee(&l, diags);
    let durations = durations(&s.body);
    for d in &durations {
        if let Some((words, at)) = d.words
            && words != d.n
        {
            diags.push(l.error(
                at,
                format!(
                    "\"{}\" gives two different numbers ({} and {words})",
                    &s.body[d.start..d.end],
                    d.n
                ),
                "write the same number in digits and in words",
            ));
        }
    }
    check_completion(&l, &durations, diags);
    check_escalation(&l, &durations, diags);
}

const SAME: &str = "make them agree: the front matter is what the page's facts, the open data and the help desk's clocks use";

fn section(s: &Service, kind: ComponentKind) -> Option<(usize, &str)> {
    s.component(kind)
        .map(|c| (c.offset, &s.body[c.offset..c.offset + c.markdown.len()]))
}

fn check_fee(l: &Located<'_>, diags: &mut Vec<Diagnostic>) {
    let s = l.s;
    let Some((base, text)) = section(s, ComponentKind::Biaya) else {
        return;
    };
    let lower = text.to_ascii_lowercase();
    let amounts = amounts(&lower);
    let free_phrase = FREE
        .iter()
        .filter_map(|p| find_word(&lower, p).map(|i| (i, *p)))
        .min();
    let zero = amounts.iter().find(|(_, v)| *v == 0).map(|(i, _)| *i);
    let fee_label = crate::text::fee_label_id(s.fee);
    if s.fee > 0 {
        if let Some(i) = free_phrase.map(|(i, _)| i).or(zero) {
            let end = (i + 40).min(text.len());
            let quote = text[i..]
                .char_indices()
                .take_while(|(k, c)| i + k < end && !matches!(c, '.' | '\n' | ';'))
                .map(|(_, c)| c)
                .collect::<String>();
            diags.push(l.error(
                base + i,
                format!(
                    "`fee = {}` ({fee_label}) but the {} section says \"{}\"",
                    s.fee,
                    ComponentKind::Biaya.name_id(),
                    quote.trim()
                ),
                "make them agree: fee = 0 for a service without charge, or write the tariff in the section",
            ));
            return;
        }
        let nonzero: Vec<&(usize, u64)> = amounts.iter().filter(|(_, v)| *v > 0).collect();
        if !nonzero.is_empty() && !nonzero.iter().any(|(_, v)| *v == s.fee) {
            let (i, v) = nonzero[0];
            diags.push(l.error(
                base + i,
                format!(
                    "`fee = {}` ({fee_label}) but the {} section names {}",
                    s.fee,
                    ComponentKind::Biaya.name_id(),
                    crate::text::fee_label_id(*v)
                ),
                SAME,
            ));
        }
    } else if let Some((i, v)) = amounts.iter().find(|(_, v)| *v > 0) {
        diags.push(l.error(
            base + i,
            format!(
                "`fee = 0` (Tidak dipungut biaya) but the {} section names {}",
                ComponentKind::Biaya.name_id(),
                crate::text::fee_label_id(*v)
            ),
            "make them agree: set fee to the tariff in rupiah, or correct the section",
        ));
    }
}

fn check_completion(l: &Located<'_>, durations: &[Duration], diags: &mut Vec<Diagnostic>) {
    let s = l.s;
    let Some(c) = s.component(ComponentKind::JangkaWaktu) else {
        return;
    };
    let range = c.offset..c.offset + c.markdown.len();
    let in_section: Vec<&Duration> = durations
        .iter()
        .filter(|d| range.contains(&d.start) && d.same_kind(s.completion))
        .collect();
    if !in_section.is_empty() && !in_section.iter().any(|d| d.term() == Some(s.completion)) {
        let d = in_section[0];
        diags.push(l.error(
            d.start,
            format!(
                "`completion = \"{}\"` ({}) but the {} section says \"{}\"",
                s.completion,
                s.completion.label_id(),
                ComponentKind::JangkaWaktu.name_id(),
                &s.body[d.start..d.end]
            ),
            SAME,
        ));
    }
}

fn check_escalation(l: &Located<'_>, durations: &[Duration], diags: &mut Vec<Diagnostic>) {
    let s = l.s;
    let Some(escalation) = s.escalation else {
        return;
    };
    let days: Vec<&Duration> = durations
        .iter()
        .filter(|d| d.unit == Unit::WorkingDays && d.term() != Some(s.completion))
        .collect();
    if !days.is_empty() && !days.iter().any(|d| d.term() == Some(escalation)) {
        let d = days[0];
        diags.push(l.error(
            d.start,
            format!(
                "`escalation = \"{escalation}\"` ({}) but the standard says \"{}\"",
                escalation.label_id(),
                &s.body[d.start..d.end]
            ),
            SAME,
        ));
    }
}

/// Reports text `loket new` wrote that nobody replaced: an error on a page to publish, a
/// warning on a draft.
pub(crate) fn placeholders(
    s: &Service,
    at: &dyn Fn(&str) -> Pos,
    errors: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let report = |pos: Pos, text: &str| {
        let message = format!("text from `loket new` is still here: \"{text}\"");
        if errors {
            Diagnostic::error(
                &s.path,
                pos,
                message,
                "write the published text of the standard in its place before publishing",
            )
        } else {
            Diagnostic::warning(
                &s.path,
                pos,
                message,
                "replace it before removing `draft = true`",
            )
        }
    };
    if s.sk.contains(PLACEHOLDER_SK) {
        diags.push(report(at("sk"), PLACEHOLDER_SK));
    }
    if s.summary
        .as_deref()
        .is_some_and(|t| t.contains(PLACEHOLDER_SUMMARY))
    {
        diags.push(report(at("summary"), PLACEHOLDER_SUMMARY));
    }
    let lines = LineIndex::new(&s.body);
    for p in PLACEHOLDER_SECTIONS.iter().flatten() {
        if let Some(i) = s.body.find(p) {
            let (line, col) = lines.pos(i);
            diags.push(report((line + s.body_line - 1, col), p));
        }
    }
}

/// Phrases that say a service costs nothing (lower case).
const FREE: &[&str] = &[
    "tidak dipungut biaya",
    "tidak dikenakan biaya",
    "tidak dipungut tarif",
    "tanpa biaya",
    "bebas biaya",
    "gratis",
    "tidak berbayar",
    "free of charge",
    "no fee",
    "no charge",
    "without charge",
    "free",
];

/// Byte offset of `needle` in `hay` as whole words.
fn find_word(hay: &str, needle: &str) -> Option<usize> {
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let start = from + i;
        let end = start + needle.len();
        let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// Rupiah amounts written "Rp150.000", "Rp 150.000,-", "IDR 150,000" (lower-cased
/// text), with their byte offsets.
fn amounts(lower: &str) -> Vec<(usize, u64)> {
    let bytes = lower.as_bytes();
    let mut out = Vec::new();
    for prefix in ["rp", "idr"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(prefix) {
            let start = from + i;
            from = start + prefix.len();
            if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let mut j = from;
            while j < bytes.len() && matches!(bytes[j], b'.' | b' ') && j < from + 2 {
                j += 1;
            }
            let digits_start = j;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || matches!(bytes[j], b'.' | b','))
            {
                j += 1;
            }
            let mut run = &lower[digits_start..j];
            if !run.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            for cents in [",00", ".00", ",-", ",", "."] {
                if let Some(r) = run.strip_suffix(cents) {
                    run = r;
                    break;
                }
            }
            let digits: String = run.chars().filter(char::is_ascii_digit).collect();
            if let Ok(v) = digits.parse::<u64>() {
                out.push((start, v));
            }
        }
    }
    out.sort_unstable();
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Minutes,
    Hours,
    WorkingDays,
}

/// A duration written in the body: "20 menit", "3 (tiga) hari kerja", "1 hour".
#[derive(Debug, Clone)]
struct Duration {
    start: usize,
    end: usize,
    n: u32,
    unit: Unit,
    /// The number in words in brackets, when it reads, with its offset.
    words: Option<(u32, usize)>,
}

impl Duration {
    fn term(&self) -> Option<Term> {
        match self.unit {
            Unit::Minutes => Some(Term::OfficeMinutes(self.n)),
            Unit::Hours => self.n.checked_mul(60).map(Term::OfficeMinutes),
            Unit::WorkingDays => Some(Term::WorkingDays(self.n)),
        }
    }

    fn same_kind(&self, t: Term) -> bool {
        matches!(
            (self.unit, t),
            (Unit::Minutes | Unit::Hours, Term::OfficeMinutes(_))
                | (Unit::WorkingDays, Term::WorkingDays(_))
        )
    }
}

const UNITS: &[(&str, Unit)] = &[
    ("menit", Unit::Minutes),
    ("minutes", Unit::Minutes),
    ("minute", Unit::Minutes),
    ("jam", Unit::Hours),
    ("hours", Unit::Hours),
    ("hour", Unit::Hours),
    ("hari kerja", Unit::WorkingDays),
    ("working days", Unit::WorkingDays),
    ("working day", Unit::WorkingDays),
    ("business days", Unit::WorkingDays),
];

/// Every duration in a text.
fn durations(text: &str) -> Vec<Duration> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let Ok(n) = lower[start..i].parse::<u32>() else {
            continue;
        };
        let mut j = skip_spaces(bytes, i);
        let mut words = None;
        if bytes.get(j) == Some(&b'(')
            && let Some(close) = lower[j..].find(')').filter(|c| *c < 40)
        {
            words = number_words(&lower[j + 1..j + close]).map(|w| (w, j + 1));
            j = skip_spaces(bytes, j + close + 1);
        }
        let rest = &lower[j..];
        if let Some((unit_text, unit)) = UNITS.iter().find(|(u, _)| {
            rest.starts_with(u)
                && !rest
                    .as_bytes()
                    .get(u.len())
                    .is_some_and(u8::is_ascii_alphanumeric)
        }) {
            let end = j + unit_text.len();
            out.push(Duration {
                start,
                end,
                n,
                unit: *unit,
                words,
            });
            i = end;
        }
    }
    out
}

fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n') {
        i += 1;
    }
    i
}

/// A number from 1 to 99 in Indonesian or English words: "tiga", "dua belas",
/// "empat puluh lima", "fourteen", "twenty-one".
fn number_words(s: &str) -> Option<u32> {
    const ONES_ID: [&str; 9] = [
        "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
    ];
    const EN: [&str; 19] = [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS_EN: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let index = |list: &[&str], w: &str| {
        list.iter()
            .position(|x| *x == w)
            .and_then(|p| u32::try_from(p + 1).ok())
    };
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    match words.as_slice() {
        ["sepuluh"] => Some(10),
        ["sebelas"] => Some(11),
        [w] => index(&ONES_ID, w)
            .or_else(|| index(&EN, w))
            .or_else(|| index(&TENS_EN, w).map(|t| (t + 1) * 10)),
        [w, "belas"] => index(&ONES_ID, w).filter(|n| *n > 1).map(|n| 10 + n),
        [w, "puluh"] => index(&ONES_ID, w).filter(|n| *n > 1).map(|n| n * 10),
        [w, "puluh", u] => Some(index(&ONES_ID, w).filter(|n| *n > 1)? * 10 + index(&ONES_ID, u)?),
        [t, u] => Some((index(&TENS_EN, t)? + 1) * 10 + index(&EN[..9], u)?),
        _ => None,
    }
}

/// Every fact of `tr` that differs from its `original`, as an error at the translation's
/// key (`at` gives a key's position in the translation's file).
pub(crate) fn check_translation(
    original: &Service,
    tr: &Service,
    at: &dyn Fn(&str) -> Pos,
    diags: &mut Vec<Diagnostic>,
) {
    let original_path = original
        .path
        .strip_prefix(".")
        .unwrap_or(&original.path)
        .display();
    let show = |v: Option<String>| v.unwrap_or_else(|| "(none)".to_string());
    let facts: [(&str, String, String); 6] = [
        ("code", original.code.clone(), tr.code.clone()),
        ("sk", original.sk.clone(), tr.sk.clone()),
        ("fee", original.fee.to_string(), tr.fee.to_string()),
        (
            "completion",
            original.completion.to_string(),
            tr.completion.to_string(),
        ),
        (
            "escalation",
            show(original.escalation.map(|t| t.to_string())),
            show(tr.escalation.map(|t| t.to_string())),
        ),
        (
            "channels",
            format!("{:?}", original.channels),
            format!("{:?}", tr.channels),
        ),
    ];
    for (key, theirs, ours) in facts {
        if theirs != ours {
            diags.push(Diagnostic::error(
                &tr.path,
                at(key),
                format!("the translation's `{key}` is {ours}, but the Indonesian original {original_path} says {theirs}"),
                format!(
                    "a translation states the same facts as its original: set `{key}` as the original does (or correct the original)"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    use std::path::Path;

    use crate::content::parse_service;

    /// A valid standard: free, 20 minutes, escalation within 3 working days.
    const GOOD: &str = "+++\ntitle = \"T\"\ncode = \"KONS\"\nsk = \"KEP-1\"\ncompletion = \"20m\"\nescalation = \"3 hari kerja\"\nfee = 0\nupdated = 2026-11-29\n+++\n\n## Persyaratan\n\nA\n\n## Prosedur\n\n1. Eskalasi paling lambat 3 (tiga) hari kerja.\n\n## Waktu Penyelesaian\n\n20 menit per satu jenis layanan.\n\n## Biaya/Tarif\n\nTidak dipungut biaya.\n\n## Produk Pelayanan\n\nE\n\n## Pengaduan Layanan\n\nF\n";

    fn problems(text: &str) -> Vec<Diagnostic> {
        let mut d = Vec::new();
        let s = parse_service(Path::new("x.md"), text, &mut d);
        assert_eq!(
            s.is_none(),
            d.iter().any(Diagnostic::is_error),
            "errors and a service at once: {d:?}"
        );
        d
    }

    /// (what, front-matter edit, body edit, line, message part).
    type Row<'a> = (
        &'a str,
        (&'a str, &'a str),
        (&'a str, &'a str),
        usize,
        &'a str,
    );

    /// One row per contradiction.
    #[test]
    fn every_contradiction_is_an_error_at_its_line() {
        assert!(problems(GOOD).is_empty(), "{:?}", problems(GOOD));
        let table: &[Row<'_>] = &[
            (
                "fee against a free section",
                ("fee = 0", "fee = 150000"),
                ("", ""),
                25,
                "`fee = 150000` (Rp150.000) but the Biaya/Tarif section says \"Tidak dipungut biaya\"",
            ),
            (
                "fee against gratis",
                ("fee = 0", "fee = 5000"),
                ("Tidak dipungut biaya.", "Layanan ini gratis."),
                25,
                "says \"gratis\"",
            ),
            (
                "fee against Rp0",
                ("fee = 0", "fee = 5000"),
                ("Tidak dipungut biaya.", "Rp0,-"),
                25,
                "says \"Rp0,-\"",
            ),
            (
                "free fee against an amount",
                ("", ""),
                (
                    "Tidak dipungut biaya.",
                    "Tarif PNBP Rp 150.000,- per permohonan.",
                ),
                25,
                "`fee = 0` (Tidak dipungut biaya) but the Biaya/Tarif section names Rp150.000",
            ),
            (
                "fee against another amount",
                ("fee = 0", "fee = 150000"),
                ("Tidak dipungut biaya.", "Sesuai PP: Rp200.000."),
                25,
                "`fee = 150000` (Rp150.000) but the Biaya/Tarif section names Rp200.000",
            ),
            (
                "completion against minutes",
                ("completion = \"20m\"", "completion = \"2h\""),
                ("", ""),
                21,
                "`completion = \"120m\"` (2 jam) but the Jangka Waktu Penyelesaian section says \"20 menit\"",
            ),
            (
                "completion against hours",
                ("", ""),
                ("20 menit per", "1 jam per"),
                21,
                "(20 menit) but the Jangka Waktu Penyelesaian section says \"1 jam\"",
            ),
            (
                "completion in days",
                ("completion = \"20m\"", "completion = \"5 hari kerja\""),
                ("20 menit per", "7 hari kerja per"),
                21,
                "`completion = \"5 working days\"` (5 hari kerja) but the Jangka Waktu Penyelesaian section says \"7 hari kerja\"",
            ),
            (
                "escalation against working days",
                (
                    "escalation = \"3 hari kerja\"",
                    "escalation = \"14 working days\"",
                ),
                ("", ""),
                17,
                "`escalation = \"14 working days\"` (14 hari kerja) but the standard says \"3 (tiga) hari kerja\"",
            ),
            (
                "number against its words",
                ("", ""),
                ("3 (tiga) hari", "3 (empat) hari"),
                17,
                "\"3 (empat) hari kerja\" gives two different numbers (3 and 4)",
            ),
        ];
        for (what, (f_from, f_to), (b_from, b_to), line, needle) in table {
            let mut text = GOOD.to_string();
            if !f_from.is_empty() {
                assert!(text.contains(f_from), "{what}");
                text = text.replacen(f_from, f_to, 1);
            }
            if !b_from.is_empty() {
                assert!(text.contains(b_from), "{what}");
                text = text.replacen(b_from, b_to, 1);
            }
            let d = problems(&text);
            assert!(
                d.iter()
                    .any(|x| x.is_error() && x.line == *line && x.message.contains(needle)),
                "{what}: expected line {line} {needle:?} in {d:#?}"
            );
        }
    }

    #[test]
    fn agreeing_texts_pass() {
        // A tariff the section spells out; PNBP wording without an amount.
        let paid = GOOD
            .replace("fee = 0", "fee = 150000")
            .replace("Tidak dipungut biaya.", "Rp150.000,00 per dokumen.");
        assert!(problems(&paid).is_empty(), "{:?}", problems(&paid));
        let pnbp = GOOD
            .replace("fee = 0", "fee = 50000")
            .replace("Tidak dipungut biaya.", "Sesuai tarif PNBP yang berlaku.");
        assert!(problems(&pnbp).is_empty());
        let hours = GOOD
            .replace("completion = \"20m\"", "completion = \"1h\"")
            .replace("20 menit per", "1 (satu) jam atau 60 menit per");
        assert!(problems(&hours).is_empty(), "{:?}", problems(&hours));
        // No escalation set: working days in the text are not compared.
        let none = GOOD.replace("escalation = \"3 hari kerja\"\n", "");
        assert!(problems(&none).is_empty());
    }

    #[test]
    fn placeholders_block_publishing_and_warn_in_drafts() {
        let scaffolded = GOOD
            .replace("sk = \"KEP-1\"", &format!("sk = \"{PLACEHOLDER_SK}\""))
            .replace(
                "\nA\n",
                &format!("\n{}\n", PLACEHOLDER_SECTIONS[0].unwrap_or("")),
            );
        let d = problems(&scaffolded);
        let errors: Vec<(usize, &str)> = d
            .iter()
            .filter(|x| x.is_error())
            .map(|x| (x.line, x.message.as_str()))
            .collect();
        assert_eq!(errors.len(), 2, "{d:?}");
        assert_eq!(errors[0].0, 4);
        assert!(
            errors[1].1.contains("Tuliskan setiap persyaratan"),
            "{errors:?}"
        );
        assert_eq!(errors[1].0, 13);
        let draft = scaffolded.replace("updated =", "draft = true\nupdated =");
        let d = problems(&draft);
        assert_eq!(d.iter().filter(|x| !x.is_error()).count(), 2, "{d:?}");
    }

    #[test]
    fn reads_amounts_durations_and_number_words() {
        assert_eq!(
            amounts("biaya rp150.000,- atau rp 2.500 dan idr 1,000,000.00; terpadu rp"),
            vec![(6, 150_000), (23, 2_500), (36, 1_000_000)]
        );
        let d = durations(
            "paling lambat 3 (tiga) hari kerja, 20 menit, 2 jam; 14 working days; a3 menit",
        );
        let got: Vec<(u32, Unit, Option<u32>)> = d
            .iter()
            .map(|d| (d.n, d.unit, d.words.map(|w| w.0)))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, Unit::WorkingDays, Some(3)),
                (20, Unit::Minutes, None),
                (2, Unit::Hours, None),
                (14, Unit::WorkingDays, None),
            ]
        );
        for (w, n) in [
            ("tiga", 3),
            ("sepuluh", 10),
            ("dua belas", 12),
            ("empat puluh lima", 45),
            ("fourteen", 14),
            ("twenty-one", 21),
        ] {
            assert_eq!(number_words(w), Some(n), "{w}");
        }
        assert_eq!(number_words("banyak"), None);
        assert_eq!(find_word("freedom is free", "free"), Some(11));
    }
}
