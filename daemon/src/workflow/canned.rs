//! Canned answers: `#templat <slug>` (`#template`) on its own line of a staff answer is
//! replaced by the answer of `content/tanya-jawab/<slug>.md`, as plain text. An
//! unknown slug stops the whole reply (nothing reaches the stakeholder) and its author
//! is told the close matches.

use loket_core::content::Faq;
use serde::Serialize;

use crate::desk::Desk;

/// One entry as the notification's cheat sheet lists it.
#[derive(Debug, Serialize)]
pub(crate) struct Entry<'a> {
    pub slug: &'a str,
    pub title: &'a str,
}

/// The entries about `service`, for the cheat sheet of a mail about one of its tickets.
pub(crate) fn for_service<'a>(desk: &'a Desk, service: &str) -> Vec<Entry<'a>> {
    desk.faqs
        .iter()
        .filter(|f| f.service.eq_ignore_ascii_case(service))
        .map(|f| Entry {
            slug: &f.slug,
            title: &f.title,
        })
        .collect()
}

/// `text` with every `#templat <slug>` line replaced by that entry's answer; the
/// problem, in words for the author, when a line names no entry or an unknown one.
pub(crate) fn expand(desk: &Desk, service: &str, text: &str) -> Result<String, String> {
    if !text.lines().any(|l| slug_of(l).is_some()) {
        return Ok(text.to_string());
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(slug) = slug_of(line) else {
            out.push(line.to_string());
            continue;
        };
        let Some(slug) = slug else {
            return Err(format!(
                "Baris {} berisi `#templat` tanpa nama jawaban baku. Tulis `#templat <nama>`, misalnya {}.",
                i + 1,
                example(desk, service)
            ));
        };
        match desk.faq(slug) {
            Some(f) => out.push(f.plain_text(|p| desk.config.absolute_url(p))),
            None => return Err(unknown(desk, service, slug)),
        }
    }
    Ok(out.join("\n"))
}

/// `Some(Some(slug))` for a `#templat slug` line, `Some(None)` for one without a slug.
fn slug_of(line: &str) -> Option<Option<&str>> {
    let rest = line.trim().strip_prefix('#')?.trim_start();
    let (word, arg) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let word = word.trim_end_matches([':', '.', ',']).to_lowercase();
    if word != "templat" && word != "template" {
        return None;
    }
    let slug = arg
        .split_whitespace()
        .next()
        .map(|s| s.trim_end_matches(['.', ',', ';', ':']))
        .filter(|s| !s.is_empty());
    Some(slug)
}

fn example(desk: &Desk, service: &str) -> String {
    let listed = for_service(desk, service);
    match listed.first() {
        Some(e) => format!("`#templat {}`", e.slug),
        None => "`#templat biaya-konsultasi`".into(),
    }
}

/// What an author reads for an unknown slug: the close matches, else the entries for
/// the ticket's service.
fn unknown(desk: &Desk, service: &str, slug: &str) -> String {
    let typed = slug.to_lowercase();
    let mut scored: Vec<(f64, &Faq)> = desk
        .faqs
        .iter()
        .map(|f| {
            let by_name = strsim::normalized_damerau_levenshtein(&typed, &f.slug);
            // A word of the slug typed alone ("biaya") is close too.
            let part = f.slug.split('-').any(|w| w.len() > 2 && typed.contains(w))
                || f.slug.contains(&typed);
            let tagged = f.tags.iter().any(|t| t.eq_ignore_ascii_case(&typed));
            let score = if part || tagged {
                by_name.max(0.6)
            } else {
                by_name
            };
            (score, f)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let close: Vec<String> = scored
        .iter()
        .take(3)
        // Names only: a line the author copies back whole ("#templat <nama>") must not
        // reproduce a line of this mail, or the relay would hold it.
        .map(|(_, f)| format!("  {} ({})", f.slug, f.title))
        .collect();
    let head = format!(
        "Jawaban baku `{slug}` tidak ada di Tanya Jawab (content/tanya-jawab/), sehingga balasan Anda \
         TIDAK dikirim kepada stakeholder."
    );
    if !close.is_empty() {
        return format!(
            "{head} Nama yang mirip:\n{}\nBalas surel ini dengan jawaban lengkap, dengan `#templat <nama>` memakai nama yang benar.",
            close.join("\n")
        );
    }
    let listed: Vec<String> = for_service(desk, service)
        .iter()
        .map(|e| format!("  {} ({})", e.slug, e.title))
        .collect();
    if listed.is_empty() {
        format!("{head} Belum ada jawaban baku untuk layanan ini; tulis jawabannya sendiri.")
    } else {
        format!(
            "{head} Jawaban baku untuk layanan ini:\n{}\nBalas surel ini dengan jawaban lengkap, dengan `#templat <nama>` memakai nama yang benar.",
            listed.join("\n")
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::slug_of;

    #[test]
    fn template_lines_are_recognised_in_both_languages() {
        assert_eq!(
            slug_of("#templat biaya-konsultasi"),
            Some(Some("biaya-konsultasi"))
        );
        assert_eq!(
            slug_of("  #Template  Biaya-Konsultasi. "),
            Some(Some("Biaya-Konsultasi"))
        );
        assert_eq!(slug_of("# templat biaya"), Some(Some("biaya")));
        assert_eq!(slug_of("#templat"), Some(None));
        assert_eq!(slug_of("#selesai"), None);
        assert_eq!(slug_of("lihat #templat biaya"), None);
        assert_eq!(slug_of("#templates x"), None);
    }
}
