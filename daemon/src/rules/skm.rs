//! Reading a stakeholder's answer to the SKM survey of the "Resolved" mail, and a paper
//! questionnaire a CSO types in.
//!
//! People answer in many ways: nine digits in order (`4 4 3 4 4 4 4 3 4`, `444344434`,
//! `4,4,3,4,4,4,4,3,4`), one `unsur: nilai` per line (`Persyaratan: 4`, `U1 = 4`,
//! `1. 4`, `1) Sangat sesuai`), or the digit typed after each question of the mail they
//! quote (`…jenis pelayanannya? 4`, or on the line below it). Around that: a comment,
//! the optional profile (`Usia: 34`, `Jenis kelamin: P`, `Pendidikan: S1`,
//! `Pekerjaan: PNS`), a signature, and the quoted mail.
//!
//! The daemon knows the mail it sent (`sent`), so a line that *is* one of its lines —
//! Outlook quotes without `>` — is never read as an answer.
//!
//! What is not a survey answer at all (a thank-you, a single-digit quick rating, a new
//! question) is [`SkmReading::None`] and left to [`super::ikm`]. An attempt that cannot
//! be recorded is [`SkmReading::Incomplete`] with what is missing, for one friendly
//! reply.

use loket_core::skm::{AgeGroup, Education, Occupation, Profile, Scores, Sex, Unsur};

use crate::mail::relay;

/// A complete answer: nine scores, the comment, the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkmAnswer {
    pub scores: Scores,
    pub comment: String,
    pub profile: Profile,
}

/// What a reply is, as a survey answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkmReading {
    /// Not a survey answer.
    None,
    Complete(SkmAnswer),
    /// A survey answer that cannot be recorded as it is.
    Incomplete(Incomplete),
}

/// What was read of an incomplete answer, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// The scores read, U1 first.
    pub found: [Option<u8>; 9],
    pub problems: Vec<Problem>,
    /// The rest of the reply asks something (a question mark, a question word): it may
    /// be a new question that happens to hold a row of digits, so the caller treats it
    /// as a question rather than a survey answer.
    pub asks: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// These elements have no answer.
    Missing(Vec<Unsur>),
    /// A row of digits with this many instead of nine.
    Count(usize),
    /// A value outside 1–4 (`5`, `0`), for an element when known.
    OutOfScale { unsur: Option<Unsur>, value: u8 },
    /// Two different answers for one element.
    Conflict(Unsur),
}

impl Problem {
    /// One sentence in Indonesian, for the reply to the stakeholder.
    pub fn describe_id(&self) -> String {
        match self {
            Problem::Missing(us) => {
                let list: Vec<String> = us
                    .iter()
                    .map(|u| format!("{}. {}", u.number(), u.name_id()))
                    .collect();
                format!(
                    "Belum ada jawaban untuk pertanyaan {}.",
                    join_id(&list.iter().map(String::as_str).collect::<Vec<_>>())
                )
            }
            Problem::Count(n) => format!(
                "Kami membaca {n} angka berturut-turut, padahal pertanyaannya sembilan: satu angka untuk setiap pertanyaan, berurutan."
            ),
            Problem::OutOfScale {
                unsur: Some(u),
                value,
            } => format!(
                "Jawaban pertanyaan {}. {} bernilai {value}; nilai yang dapat dipilih hanya 1, 2, 3 atau 4.",
                u.number(),
                u.name_id()
            ),
            Problem::OutOfScale { unsur: None, value } => {
                format!("Ada angka {value}; nilai yang dapat dipilih hanya 1, 2, 3 atau 4.")
            }
            Problem::Conflict(u) => format!(
                "Pertanyaan {}. {} dijawab dua kali dengan nilai berbeda.",
                u.number(),
                u.name_id()
            ),
        }
    }
}

fn join_id(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} dan {last}", init.join(", ")),
    }
}

/// Reads `reply` (the mail's whole text, quotes included) against `sent` (what the daemon
/// sent on this ticket).
pub fn read(reply: &str, sent: &str) -> SkmReading {
    let ours = Ours::new(sent);
    let mut found: [Vec<u8>; 9] = Default::default();
    let mut bad: Vec<(Option<Unsur>, u8)> = Vec::new();
    let mut row: Option<Vec<u8>> = None;
    let mut profile = Profile::default();
    let mut used: Vec<String> = Vec::new();
    let mut current: Option<Unsur> = None;
    // Below an attribution or header block everything is history: only answers typed
    // after a quoted question are still looked for there (Outlook inline answers).
    let mut history = false;

    for line in reply.lines() {
        let (depth, t) = unquote(line);
        if t.is_empty() {
            continue;
        }
        if depth == 0 && !ours.is(t) && is_attribution(t) {
            history = true;
            current = None;
            continue;
        }
        // A question of the survey (quoted, or ours unquoted): answers may follow it.
        if let Some((u, rest)) = question_in(t, current) {
            current = Some(u);
            // The survey's own question: never the respondent's words.
            used.push(t.to_string());
            if let Some(v) = rest.and_then(|r| value(u, r)) {
                record(&mut found, &mut bad, u, v);
                current = None;
            }
            continue;
        }
        if depth > 0 || ours.is(t) {
            continue;
        }
        if let Some(u) = current {
            // The line below a question: its answer alone ("4", "Jawaban: 4", "Sesuai").
            let rest = strip_answer_word(t);
            if let Some(v) = value(u, rest) {
                record(&mut found, &mut bad, u, v);
                used.push(t.to_string());
                current = None;
                continue;
            }
        }
        if history {
            continue;
        }
        if row.is_none()
            && let Some(digits) = digit_row(t)
        {
            row = Some(digits);
            used.push(t.to_string());
            continue;
        }
        if let Some((u, v)) = labelled(t) {
            record(&mut found, &mut bad, u, v);
            used.push(t.to_string());
            current = None;
            continue;
        }
        if profile_line(t, &mut profile) {
            used.push(t.to_string());
        }
    }

    let labelled_count = found.iter().filter(|v| !v.is_empty()).count();
    let row_attempt = row.is_some();
    let any_valid = found.iter().any(|v| v.iter().any(|s| (1..=4).contains(s)));
    if !row_attempt && !any_valid {
        return SkmReading::None;
    }

    let mut problems = Vec::new();
    if let Some(digits) = &row {
        if digits.len() != 9 {
            problems.push(Problem::Count(digits.len()));
        }
        for (i, d) in digits.iter().enumerate() {
            let u = Unsur::ALL.get(i).copied();
            match u {
                Some(u) if (1..=4).contains(d) && digits.len() == 9 => found[u.index()].push(*d),
                _ if !(1..=4).contains(d) => bad.push((u.filter(|_| digits.len() == 9), *d)),
                _ => {}
            }
        }
    }
    for (u, v) in &bad {
        problems.push(Problem::OutOfScale {
            unsur: *u,
            value: *v,
        });
    }
    let mut scores = [None; 9];
    for u in Unsur::ALL {
        let mut vs = found[u.index()].clone();
        vs.dedup();
        vs.sort_unstable();
        vs.dedup();
        match vs.as_slice() {
            [] => {}
            [one] => scores[u.index()] = Some(*one),
            _ => problems.push(Problem::Conflict(u)),
        }
    }
    // An element answered wrongly is named by that problem, not again as missing.
    let named = |u: Unsur| {
        problems.iter().any(|p| {
            *p == Problem::Conflict(u)
                || matches!(p, Problem::OutOfScale { unsur: Some(x), .. } if *x == u)
        })
    };
    let missing: Vec<Unsur> = Unsur::ALL
        .iter()
        .copied()
        .filter(|u| scores[u.index()].is_none() && !named(*u))
        .collect();
    // A row of the wrong length alone already says what is wrong.
    let counted = problems.iter().any(|p| matches!(p, Problem::Count(_)));
    let row_alone = counted && labelled_count == 0;
    if !missing.is_empty() && !row_alone {
        problems.insert(0, Problem::Missing(missing));
    }
    if !problems.is_empty() {
        return SkmReading::Incomplete(Incomplete {
            found: scores,
            problems,
            asks: super::ikm::asks_something(&comment(reply, sent, &used)),
        });
    }
    let all = scores.map(|s| s.unwrap_or(0));
    let Some(scores) = Scores::new(all) else {
        return SkmReading::None;
    };
    SkmReading::Complete(SkmAnswer {
        scores,
        comment: comment(reply, sent, &used),
        profile,
    })
}

fn record(found: &mut [Vec<u8>; 9], bad: &mut Vec<(Option<Unsur>, u8)>, u: Unsur, v: u8) {
    if (1..=4).contains(&v) {
        found[u.index()].push(v);
    } else {
        bad.push((Some(u), v));
    }
}

/// The reply's own words (the daemon's mail taken out), without the lines read as
/// answers or profile, and without a mobile client's "sent from" line.
fn comment(reply: &str, sent: &str, used: &[String]) -> String {
    let new = relay::strip_own(reply, sent);
    let mut used: Vec<&str> = used.iter().map(String::as_str).collect();
    let mut out: Vec<&str> = Vec::new();
    for line in new.lines() {
        let (depth, t) = unquote(line);
        if let Some(i) = used.iter().position(|u| *u == t) {
            used.remove(i);
            continue;
        }
        if depth == 0 && is_attribution(t) {
            break;
        }
        if depth > 0 || is_sent_from(t) {
            continue;
        }
        out.push(line.trim_end());
    }
    out.join("\n").trim().to_string()
}

fn is_sent_from(t: &str) -> bool {
    let l = t.to_lowercase();
    [
        "sent from my",
        "dikirim dari",
        "get outlook for",
        "sent from mail for",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

/// A line that introduces quoted mail: Gmail's "On … wrote:", Apple's, Indonesian
/// clients' "Pada … menulis:", Outlook's "-----Original Message-----" and its
/// "From:"/"Dari:" header block.
fn is_attribution(t: &str) -> bool {
    let l = t.to_lowercase();
    let wrote = (l.starts_with("on ") && l.ends_with("wrote:"))
        || (l.starts_with("pada ") && (l.ends_with("menulis:") || l.ends_with("wrote:")));
    wrote
        || l.contains("original message")
        || l.contains("pesan asli")
        || l.starts_with("from: ")
        || l.starts_with("dari: ")
        || l.starts_with("________________")
}

/// Quote depth and the line without its `>` marks, trimmed.
fn unquote(line: &str) -> (usize, &str) {
    let mut depth = 0;
    let mut t = line.trim();
    while let Some(r) = t.strip_prefix('>') {
        depth += 1;
        t = r.trim_start();
    }
    (depth, t.trim())
}

/// Lower case, one space between words, no punctuation but `?`.
fn norm(t: &str) -> String {
    t.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '?' {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The daemon's own lines, normalised.
struct Ours(Vec<String>);

impl Ours {
    fn new(sent: &str) -> Ours {
        Ours(
            sent.lines()
                .map(|l| norm(unquote(l).1))
                .filter(|l| !l.is_empty())
                .collect(),
        )
    }

    fn is(&self, t: &str) -> bool {
        let n = norm(t);
        !n.is_empty() && self.0.contains(&n)
    }
}

/// The survey question on this line, by its wording in either language, however it was
/// numbered or wrapped (a piece of at least 15 letters of one question is enough; its
/// number, or the question before, decides between questions that share words), and
/// what follows its `?`.
fn question_in(t: &str, current: Option<Unsur>) -> Option<(Unsur, Option<&str>)> {
    let (q_part, rest) = match t.rfind('?') {
        Some(i) => (&t[..=i], Some(t[i + 1..].trim()).filter(|r| !r.is_empty())),
        None => (t, None),
    };
    let n = norm(q_part);
    let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
    let num = digits.parse().ok().and_then(Unsur::of_number);
    let mut body = n[digits.len()..].trim_start();
    if let Some(u) = num {
        for name in [u.name_id(), u.name_en()] {
            let nn = norm(name);
            if let Some(r) = body.strip_prefix(nn.as_str()) {
                body = r.trim_start();
            }
        }
    }
    if body.len() < 15 {
        return None;
    }
    let fits = |u: &Unsur| {
        [u.question_id(), u.question_en()].iter().any(|q| {
            let qn = norm(q);
            qn.contains(body) || body.contains(qn.as_str())
        })
    };
    let u = num
        .filter(fits)
        .or_else(|| current.filter(fits))
        .or_else(|| Unsur::ALL.iter().copied().find(fits))?;
    Some((u, rest))
}

/// "Jawaban: 4", "Nilai 4", "-> 4": the value after such a word.
fn strip_answer_word(t: &str) -> &str {
    let lower = t.to_ascii_lowercase();
    for w in ["jawaban", "jawab", "nilai", "skor", "answer", "score"] {
        if lower.starts_with(w) {
            return t[w.len()..].trim_start_matches([' ', ':', '=', '-']).trim();
        }
    }
    t.trim_start_matches(['-', '=', '>', '→', ' ', ':']).trim()
}

/// A value for element `u`: a digit (0–9, so that a 5 can be named) standing alone or
/// followed by its answer's words or a comment after a separator (`4`, `4.`, `[4]`,
/// `(4)`, `4 - sangat sesuai`, `4 (Sangat sesuai)`), or the element's answer in words.
fn value(u: Unsur, text: &str) -> Option<u8> {
    let t = strip_answer_word(text)
        .trim_start_matches(['[', '(', '"'])
        .trim();
    let mut chars = t.chars();
    if let Some(d) = chars.next().and_then(|c| c.to_digit(10)) {
        let rest = chars.as_str();
        let after = rest.trim_start_matches([']', ')', '"', '.', ' ']);
        // "4.5" and "4,5" are decimals, "4/4" is four of four.
        let decimal = rest
            .strip_prefix(['.', ',', '/'])
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
        let ok = rest.is_empty()
            || after.is_empty()
            || rest.starts_with("/4")
            || rest.starts_with([']', ')', '.', ',', ';', '-', '–', '=']) && !decimal
            || rest.starts_with(' ')
                && (after.starts_with(['-', '–', '(', '='])
                    || after
                        .split_whitespace()
                        .next()
                        .is_some_and(|w| is_answer_word(u, w)));
        let one_digit = !rest.starts_with(|c: char| c.is_ascii_digit());
        return (ok && one_digit).then(|| u8::try_from(d).ok()).flatten();
    }
    u.score_of_answer(t).or_else(|| {
        // "Sangat sesuai, terima kasih"
        t.split([',', ';', '('])
            .next()
            .and_then(|w| u.score_of_answer(w))
    })
}

fn is_answer_word(u: Unsur, w: &str) -> bool {
    let w = w.to_lowercase();
    u.answers_id()
        .iter()
        .chain(u.answers_en().iter())
        .any(|a| a.to_lowercase().split_whitespace().next() == Some(w.as_str()))
}

/// `Persyaratan: 4`, `U1 = 4`, `Unsur 1: 4`, `1. 4`, `1) Sangat sesuai`, `No. 3 - 4`.
fn labelled(t: &str) -> Option<(Unsur, u8)> {
    let lower = t.to_lowercase();
    // A number label.
    let after_word = ["unsur", "pertanyaan", "no.", "no", "nomor", "question", "u"]
        .iter()
        .find_map(|w| lower.strip_prefix(w).map(|r| (w.len(), r)))
        .filter(|(_, r)| r.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map_or(0, |(n, r)| n + (r.len() - r.trim_start().len()));
    let s = t[after_word..].trim_start_matches('(');
    let mut chars = s.chars();
    if let Some(d) = chars.next().and_then(|c| c.to_digit(10)) {
        let rest = chars.as_str();
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let u = Unsur::of_number(d)?;
        // "1. 4", "1) 4", "1: 4", "1 = 4", "1 - 4", "(1) 4", and "1. Persyaratan: 4".
        let rest = rest.trim_start_matches([')', '.', ':', '=', '-', '–', ' ']);
        if rest.len() == chars.as_str().len() {
            return None; // "1x": no separator after the number
        }
        let rest = strip_name(u, rest);
        return value(u, rest).map(|v| (u, v));
    }
    // A name label: the element's name (or its first word) then a separator.
    for u in Unsur::ALL {
        for name in [u.name_id(), u.name_en(), short_name(u)] {
            let n = name.to_lowercase();
            if let Some(rest) = lower.strip_prefix(&n) {
                let rest_t = &t[t.len() - rest.len()..];
                let sep = rest_t.trim_start();
                if sep.starts_with([':', '=', '-', '–']) {
                    let v = sep.trim_start_matches([':', '=', '-', '–', ' ']);
                    return value(u, v).map(|v| (u, v));
                }
            }
        }
    }
    None
}

/// The element's name after its number ("Persyaratan: 4" of "1. Persyaratan: 4").
fn strip_name(u: Unsur, rest: &str) -> &str {
    let lower = rest.to_lowercase();
    for name in [u.name_id(), u.name_en(), short_name(u)] {
        if lower.starts_with(&name.to_lowercase()) {
            return rest[name.len()..].trim_start_matches([':', '=', '-', '–', ' ', '.']);
        }
    }
    rest
}

/// The word people use for an element.
fn short_name(u: Unsur) -> &'static str {
    match u {
        Unsur::U1 => "Persyaratan",
        Unsur::U2 => "Prosedur",
        Unsur::U3 => "Waktu",
        Unsur::U4 => "Biaya",
        Unsur::U5 => "Produk",
        Unsur::U6 => "Kompetensi",
        Unsur::U7 => "Perilaku",
        Unsur::U8 => "Pengaduan",
        Unsur::U9 => "Sarana",
    }
}

/// A row of single digits in order: `4 4 3 4 4 4 4 3 4`, `4,4,3,…`, `444344434`, with an
/// optional `SKM:`/`Nilai:` before and a comment after. Five or more digits for a
/// row written without separators (fewer is a number, not a survey), three or more with
/// separators; a run with a digit outside 1–4 and no separators is a phone or account
/// number, not an answer.
fn digit_row(t: &str) -> Option<Vec<u8>> {
    let lower = t.to_lowercase();
    let body = [
        "skm",
        "survei",
        "survey",
        "nilai",
        "penilaian",
        "jawaban",
        "skor",
        "scores",
        "score",
        "answers",
        "answer",
    ]
    .iter()
    .find_map(|p| lower.strip_prefix(p))
    .map_or(t, |r| &t[t.len() - r.len()..])
    .trim_start_matches([':', '=', ' ', '-'])
    .trim();
    let mut digits = Vec::new();
    let mut separated = false;
    let mut end = body.len();
    let mut run = 0;
    for (i, c) in body.char_indices() {
        if let Some(d) = c.to_digit(10) {
            run += 1;
            digits.push(u8::try_from(d).ok()?);
        } else if " ,;/|.-".contains(c) {
            if run > 1 && separated {
                return None; // "12, 3": a number among digits
            }
            if run > 0 {
                separated = separated || run == 1;
            }
            run = 0;
        } else {
            end = i;
            break;
        }
    }
    let tail = body[end..].trim();
    // Text after the row only when the row ended at a separator ("… 4 - terima kasih").
    if !tail.is_empty() && digits.len() < 5 {
        return None;
    }
    let unseparated = !separated;
    let enough = if unseparated {
        (5..=12).contains(&digits.len()) && digits.iter().all(|d| (1..=4).contains(d))
    } else {
        digits.len() >= 3
    };
    (enough && !digits.is_empty()).then_some(digits)
}

/// `Usia: 34`, `Jenis kelamin (L/P): P`, `Pendidikan: S1`, `Pekerjaan: PNS`, and the
/// English labels. Returns whether the line was read; a profile line whose value does
/// not read ("Usia: tiga puluh") stays in the comment, where staff see it.
fn profile_line(t: &str, p: &mut Profile) -> bool {
    let Some((label, v)) = t.split_once([':', '=']) else {
        return false;
    };
    let label = label.split('(').next().unwrap_or("").trim().to_lowercase();
    let v = v.trim();
    match label.as_str() {
        "usia" | "umur" | "age" | "age group" => AgeGroup::read(v).map(|a| p.age = Some(a)),
        "jenis kelamin" | "kelamin" | "sex" | "gender" => Sex::read(v).map(|s| p.sex = Some(s)),
        "pendidikan" | "pendidikan terakhir" | "education" => {
            Education::read(v).map(|e| p.education = Some(e))
        }
        "pekerjaan" | "occupation" | "job" => Occupation::read(v).map(|o| p.occupation = Some(o)),
        _ => None,
    }
    .is_some()
}

/// A paper questionnaire as a CSO types it (`[SKM]` mail): the same forms as a reply,
/// without a mail of ours to quote.
pub fn read_paper(body: &str) -> SkmReading {
    read(body, "")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn complete(text: &str, sent: &str) -> SkmAnswer {
        match read(text, sent) {
            SkmReading::Complete(a) => a,
            other => panic!("not complete: {other:?}\n---\n{text}"),
        }
    }

    fn incomplete(text: &str) -> Incomplete {
        match read(text, "") {
            SkmReading::Incomplete(i) => i,
            other => panic!("not incomplete: {other:?}\n---\n{text}"),
        }
    }

    const NINE: [u8; 9] = [4, 4, 3, 4, 4, 4, 4, 3, 4];

    #[test]
    fn nine_digits_in_the_common_forms() {
        for text in [
            "4 4 3 4 4 4 4 3 4",
            "443444434",
            "4,4,3,4,4,4,4,3,4",
            "4, 4, 3, 4, 4, 4, 4, 3, 4",
            "SKM: 4 4 3 4 4 4 4 3 4",
            "Nilai: 4-4-3-4-4-4-4-3-4",
            "Jawaban saya:\n4 4 3 4 4 4 4 3 4\nTerima kasih",
        ] {
            let a = complete(text, "");
            assert_eq!(a.scores.0, NINE, "{text:?}");
        }
        let a = complete("4 4 3 4 4 4 4 3 4\nPelayanan cepat, terima kasih", "");
        assert_eq!(a.comment, "Pelayanan cepat, terima kasih");
    }

    #[test]
    fn one_element_per_line() {
        let text = "Persyaratan: 4\nProsedur: 4\nWaktu penyelesaian: 3\nBiaya/Tarif: Gratis\n\
                    Produk: 4\nKompetensi pelaksana = 4\nPerilaku: 4\nPengaduan: 3\nSarana: 4";
        assert_eq!(complete(text, "").scores.0, NINE);
        let numbered = "1. 4\n2. 4\n3. 3\n4. 4\n5. 4\n6. 4\n7. 4\n8. 3\n9. 4";
        assert_eq!(complete(numbered, "").scores.0, NINE);
        let mixed = "U1: 4\nU2 = 4\nUnsur 3: 3\n4) Gratis\n(5) 4\n6 - 4\nno. 7: 4\n8. Berfungsi kurang maksimal\n9. Sangat baik";
        assert_eq!(complete(mixed, "").scores.0, NINE);
        let named = "1. Persyaratan: 4\n2. Sistem, Mekanisme, dan Prosedur: 4\n3. Waktu Penyelesaian: 3\n\
                     4. Biaya/Tarif: 4\n5. Produk Spesifikasi Jenis Pelayanan: 4\n6. Kompetensi Pelaksana: 4\n\
                     7. Perilaku Pelaksana: 4\n8. Penanganan Pengaduan, Saran dan Masukan: 3\n9. Sarana dan Prasarana: 4";
        assert_eq!(complete(named, "").scores.0, NINE);
        let english = "Requirements: 4\nSystems, mechanisms and procedures: 4\nCompletion time: 3\nCost/fee: Free\n\
                       Service product specification: 4\nStaff competence: 4\nStaff conduct: 4\n\
                       Handling of complaints, suggestions and feedback: 3\nFacilities and infrastructure: 4";
        assert_eq!(complete(english, "").scores.0, NINE);
    }

    #[test]
    fn profile_and_comment() {
        let a = complete(
            "4 4 3 4 4 4 4 3 4\nUsia: 34 tahun\nJenis kelamin (L/P): P\nPendidikan: S1\nPekerjaan: PNS\n\nPenjelasannya jelas sekali.\n\nSent from my iPhone",
            "",
        );
        assert_eq!(a.profile.age, Some(AgeGroup::From25To34));
        assert_eq!(a.profile.sex, Some(Sex::P));
        assert_eq!(a.profile.education, Some(Education::S1));
        assert_eq!(a.profile.occupation, Some(Occupation::Pns));
        assert_eq!(a.comment, "Penjelasannya jelas sekali.");
        // A value that does not read is not lost: it stays in the comment.
        let a = complete("4 4 3 4 4 4 4 3 4\nUsia: tiga puluh\nJenis kelamin: P", "");
        assert_eq!(a.profile.age, None);
        assert_eq!(a.comment, "Usia: tiga puluh");
    }

    #[test]
    fn partial_and_malformed_say_what_is_missing() {
        let i = incomplete("4 4 3 4 4");
        assert_eq!(i.problems, vec![Problem::Count(5)]);
        let i = incomplete("4 4 3 4 4 4 4 3 4 4");
        assert_eq!(i.problems, vec![Problem::Count(10)]);
        let i = incomplete("4 4 5 4 4 4 4 3 4");
        assert_eq!(
            i.problems,
            vec![Problem::OutOfScale {
                unsur: Some(Unsur::U3),
                value: 5
            }]
        );
        assert!(
            i.problems[0]
                .describe_id()
                .contains("3. Waktu Penyelesaian bernilai 5")
        );
        let i = incomplete("Persyaratan: 4\nProsedur: 3");
        assert_eq!(i.problems, vec![Problem::Missing(Unsur::ALL[2..].to_vec())]);
        assert!(
            i.problems[0]
                .describe_id()
                .contains("3. Waktu Penyelesaian")
        );
        assert!(
            i.problems[0]
                .describe_id()
                .contains("dan 9. Sarana dan Prasarana")
        );
        let i = incomplete("4 4 3 4 4 4 4 3 4\nPersyaratan: 2");
        assert_eq!(i.problems, vec![Problem::Conflict(Unsur::U1)]);
        let i = incomplete("1. 4");
        assert_eq!(i.found[0], Some(4));
        assert!(!i.asks);
        // A new question that holds a row of digits says so.
        let i = incomplete("Satu lagi: kapan jadwal rekon? Pilihan tanggal:\n4, 5, 6");
        assert!(i.asks);
    }

    #[test]
    fn what_is_not_a_survey_answer() {
        for text in [
            "",
            "4",
            "4 - terima kasih",
            "Nilai: 3 cukup",
            "Terima kasih, Pak.",
            "1. Apakah SPM bisa diajukan besok?\n2. Berapa lama prosesnya?",
            "3 dokumen sudah saya kirim",
            "Hubungi saya di 081234567890",
            "No. rekening 1234 5678 9012",
            "Tanggal 01.12.2026",
            "SP2D nomor 260011234567 sudah terbit?",
            "Kode satker 123456",
            "44",
        ] {
            assert_eq!(read(text, ""), SkmReading::None, "{text:?}");
        }
    }

    /// The Resolved mail's survey part, as the template writes it.
    fn sent() -> String {
        let mut s = String::from(
            "Yth. Bapak/Ibu Siti,\n\nSPM sudah kami proses.\n\nSalam,\nKPPN\nStatus penyelesaian layanan: Resolved\n\
             Survei Kepuasan Masyarakat\nBalas surel ini dengan sembilan angka 1-4, berurutan. Contoh: 4 4 3 4 4 4 4 3 4\n",
        );
        for u in Unsur::ALL {
            s.push_str(&format!(
                "{}. {}: {}\n",
                u.number(),
                u.name_id(),
                u.question_id()
            ));
            let a = u.answers_id();
            s.push_str(&format!(
                "   1 {} · 2 {} · 3 {} · 4 {}\n",
                a[0], a[1], a[2], a[3]
            ));
        }
        s.push_str("Usia: ... tahun · Jenis kelamin: L/P · Pendidikan: ... · Pekerjaan: ...\n");
        s
    }

    fn quoted(prefix: &str) -> String {
        sent()
            .lines()
            .map(|l| format!("{prefix}{l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn gmail_apple_outlook_and_mobile_replies() {
        let sent = sent();
        let gmail = format!(
            "4 4 3 4 4 4 4 3 4\n\nTerima kasih\n\nOn Tue, Dec 1, 2026 at 10:00 AM KPPN <layanan@kppn.example> wrote:\n{}",
            quoted("> ")
        );
        let a = complete(&gmail, &sent);
        assert_eq!((a.scores.0, a.comment.as_str()), (NINE, "Terima kasih"));
        let apple = format!(
            "443444434\n\nSent from my iPhone\n\n> On 1 Dec 2026, at 10:00, KPPN <layanan@kppn.example> wrote:\n>\n{}",
            quoted("> ")
        );
        assert_eq!(complete(&apple, &sent).comment, "");
        // Outlook: the quote without marks under a header block, the example row in it.
        let outlook = format!(
            "Nilai: 4, 4, 3, 4, 4, 4, 4, 3, 4\r\nSaran: jam layanan diperpanjang.\r\n\r\n\
             ________________________________\r\nFrom: KPPN <layanan@kppn.example>\r\nSent: Tuesday, December 1, 2026 10:00 AM\r\n\
             To: Siti <siti@example.test>\r\nSubject: [LOKET #12] SPM\r\n\r\n{sent}"
        );
        let a = complete(&outlook, &sent);
        assert_eq!(a.scores.0, NINE);
        assert_eq!(a.comment, "Saran: jam layanan diperpanjang.");
        // Indonesian Android client.
        let android = format!(
            "Persyaratan: 4\nProsedur: 4\nWaktu: 3\nBiaya: 4\nProduk: 4\nKompetensi: 4\nPerilaku: 4\nPengaduan: 3\nSarana: 4\n\n\
             Pada Sel, 1 Des 2026 10.00, KPPN <layanan@kppn.example> menulis:\n{}",
            quoted("> ")
        );
        assert_eq!(complete(&android, &sent).scores.0, NINE);
        // The Outlook quote alone (nothing typed) is not an answer: the example row is ours.
        let nothing = format!("\r\nFrom: KPPN\r\n\r\n{sent}");
        assert_eq!(read(&nothing, &sent), SkmReading::None);
    }

    #[test]
    fn answers_typed_after_each_quoted_question() {
        let sent = sent();
        // Gmail: the answer on its own line under each quoted question.
        let mut below = String::from("Jawaban saya di bawah.\n\nOn Tue, Dec 1, 2026 KPPN wrote:\n");
        for (u, d) in Unsur::ALL.iter().zip(NINE) {
            below.push_str(&format!(
                "> {}. {}: {}\n",
                u.number(),
                u.name_id(),
                u.question_id()
            ));
            below.push_str(&format!("{d}\n"));
        }
        let a = complete(&below, &sent);
        assert_eq!(a.scores.0, NINE);
        assert_eq!(a.comment, "Jawaban saya di bawah.");
        // Outlook: the answer typed at the end of each (unquoted) question line, the
        // question wrapped by the client.
        let mut inline = String::from("Sudah saya isi.\r\n\r\nFrom: KPPN\r\n\r\n");
        for (u, d) in Unsur::ALL.iter().zip(NINE) {
            let q = format!("{}. {}: {}", u.number(), u.name_id(), u.question_id());
            let (a, b) = q.split_at(q.len() / 2);
            let cut = a.rfind(' ').unwrap();
            inline.push_str(&format!("{}\r\n{}{} {d}\r\n", &a[..cut], &a[cut + 1..], b));
        }
        // That wrapped form only works when the second half holds the '?': it does.
        let a = complete(&inline, &sent);
        assert_eq!(a.scores.0, NINE);
        // Answers as the question's words, after the options line.
        let mut words = String::new();
        for (u, d) in Unsur::ALL.iter().zip(NINE) {
            words.push_str(&format!("> {}\n", u.question_id()));
            words.push_str(&format!("{}\n", u.answers_id()[usize::from(d) - 1]));
        }
        assert_eq!(complete(&words, &sent).scores.0, NINE);
        // Six answered inline: the other three are named.
        let mut six = String::new();
        for (u, d) in Unsur::ALL.iter().zip(NINE).take(6) {
            six.push_str(&format!("> {}\n{d}\n", u.question_id()));
        }
        match read(&six, &sent) {
            SkmReading::Incomplete(i) => assert_eq!(
                i.problems,
                vec![Problem::Missing(vec![Unsur::U7, Unsur::U8, Unsur::U9])]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn english_replies() {
        let a = complete(
            "Scores: 4 4 3 4 4 4 4 3 4\nThank you for the quick help.",
            "",
        );
        assert_eq!(a.scores.0, NINE);
        assert_eq!(a.comment, "Thank you for the quick help.");
        let a = complete(
            "Answers: 444344434\nAge: 41\nSex: female\nEducation: S2\nOccupation: private sector",
            "",
        );
        assert_eq!(a.profile.age, Some(AgeGroup::From35To44));
        assert_eq!(a.profile.sex, Some(Sex::P));
        assert_eq!(a.profile.occupation, Some(Occupation::Swasta));
    }
}
