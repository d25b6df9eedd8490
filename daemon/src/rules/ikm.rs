//! The satisfaction index (Indeks Kepuasan Masyarakat) of PermenPANRB 14/2017 for the
//! one-question 1–4 scale, and reading a stakeholder's rating reply.

use loket_core::skm::Mutu;

/// An IKM value with its grade ("mutu pelayanan") and Indonesian label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ikm {
    /// Mean score × 25, rounded to 2 decimals (25.00–100.00).
    pub value: f64,
    pub grade: char,
    pub label: &'static str,
}

/// The IKM of `scores`; `None` when there is none or one lies outside 1–4.
/// The value is rounded to 2 decimals before grading, as the regulation's tables are:
/// A 88.31–100 Sangat Baik, B 76.61–88.30 Baik, C 65.00–76.60 Kurang Baik,
/// D 25.00–64.99 Tidak Baik.
pub(crate) fn ikm(scores: &[u8]) -> Option<Ikm> {
    if scores.is_empty() || scores.iter().any(|s| !(1..=4).contains(s)) {
        return None;
    }
    let n = scores.len() as u64;
    let sum: u64 = scores.iter().map(|&s| u64::from(s)).sum();
    // Hundredths of (sum / n × 25), rounded half up, in integers so grade edges are exact.
    let hundredths = (sum * 2500 * 2 + n) / (2 * n);
    // The grade edges are the survey's, kept in one place.
    let mutu = Mutu::of_hundredths(hundredths);
    Some(Ikm {
        value: hundredths as f64 / 100.0,
        grade: mutu.letter().chars().next().unwrap_or('D'),
        label: mutu.label_id(),
    })
}

/// How many non-empty lines at the top of a reply are searched for a rating: people
/// put it first, or on a line of its own under "Baik Pak, terima kasih".
const RATING_LINES: usize = 5;

/// A stakeholder's rating reply: the score and the comment (the rest of the rating's
/// line and every other line, trimmed). The first lines are searched: `4`,
/// `4 - terima kasih`, `4. mantap`, `Nilai: 3 cukup`, `nilai 4/4`, `4 = sangat baik`,
/// `4 (sangat baik)`, `empat`, `skor 2`.
///
/// Without a `nilai`/`skor` prefix, a number followed by a plain word counts only when
/// the word belongs to a rating ("4 sangat baik"), so "3 dokumen sudah saya kirim" is a
/// reply, not a rating; below the first line a rating must stand on its own line.
pub fn parse_rating(text: &str) -> Option<(u8, String)> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (at, score, rest) = lines
        .iter()
        .take(RATING_LINES)
        .enumerate()
        .find_map(|(i, line)| rating_in_line(line, i == 0).map(|(s, r)| (i, s, r)))?;
    let comment: Vec<&str> = lines[..at]
        .iter()
        .copied()
        .chain((!rest.is_empty()).then_some(rest))
        .chain(lines[at + 1..].iter().copied())
        .collect();
    Some((score, comment.join("\n")))
}

/// The score on one line and the rest of that line. `first`: the reply's first line,
/// where `4. <any comment>` counts; lower down only a rating line of its own does.
fn rating_in_line(line: &str, first: bool) -> Option<(u8, &str)> {
    const SEPARATORS: &str = "-–—:.,)=(";
    // ASCII lowercasing keeps byte offsets, so the comment can be cut from `line`.
    let lower = line.to_ascii_lowercase();
    let (prefixed, after_prefix) = ["penilaian", "nilai", "skor", "score", "rating"]
        .iter()
        .find_map(|p| lower.strip_prefix(p).map(|r| (true, r)))
        .unwrap_or((false, lower.as_str()));
    let body = after_prefix.trim_start_matches([' ', ':', '=', '\t']);
    if prefixed && body.len() == after_prefix.len() {
        return None; // "nilaiku" and the like: not the prefix word.
    }
    let (score, rest) = score_word(body)?;
    let rest = match rest.strip_prefix("/4") {
        Some(r) => r,
        None if rest.starts_with('/') => return None,
        None => rest,
    };
    let comment_start = match rest.chars().next() {
        None => rest,
        Some(c) if c.is_ascii_alphanumeric() => return None,
        Some(c) if SEPARATORS.contains(c) || c.is_whitespace() => {
            let word =
                rest.trim_start_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(c));
            let separated = rest
                .trim_start()
                .starts_with(|c: char| SEPARATORS.contains(c));
            let asks = word.contains('?') || starts_with_question_word(word);
            let acceptable = word.is_empty()
                || starts_with_rating_word(word)
                || (first && !asks && (prefixed || separated));
            if !acceptable {
                return None;
            }
            rest
        }
        Some(_) => return None,
    };
    let offset = line.len() - comment_start.len();
    let comment = line
        .get(offset..)
        .unwrap_or("")
        .trim_start_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(c))
        .trim_end_matches(')')
        .trim();
    Some((score, comment))
}

/// `4…` or `empat…`: the score (1–4) and what follows it.
fn score_word(body: &str) -> Option<(u8, &str)> {
    const WORDS: [(&str, u8); 8] = [
        ("satu", 1),
        ("dua", 2),
        ("tiga", 3),
        ("empat", 4),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
    ];
    if let Some(d) = body.chars().next().and_then(|c| c.to_digit(10)) {
        let rest = &body[1..];
        if !(1..=4).contains(&d) || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        return Some((u8::try_from(d).ok()?, rest));
    }
    WORDS.iter().find_map(|(w, n)| {
        let rest = body.strip_prefix(w)?;
        (!rest.starts_with(char::is_alphanumeric)).then_some((*n, rest))
    })
}

fn starts_with_rating_word(word: &str) -> bool {
    const WORDS: [&str; 14] = [
        "sangat",
        "baik",
        "cukup",
        "kurang",
        "tidak",
        "puas",
        "memuaskan",
        "mantap",
        "bagus",
        "terima",
        "makasih",
        "ok",
        "jelek",
        "very",
    ];
    WORDS.contains(&first_word(word).as_str())
}

fn starts_with_question_word(word: &str) -> bool {
    QUESTION_WORDS.contains(&first_word(word).as_str())
}

/// The leading run of letters, lower case.
fn first_word(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase()
}

/// Words that open a question or a request, Indonesian and English.
const QUESTION_WORDS: [&str; 23] = [
    "apakah",
    "apa",
    "bagaimana",
    "gimana",
    "kapan",
    "berapa",
    "mengapa",
    "kenapa",
    "dimana",
    "mohon",
    "tolong",
    "bisakah",
    "bisa",
    "boleh",
    "bolehkah",
    "how",
    "what",
    "when",
    "why",
    "where",
    "can",
    "could",
    "please",
];

/// What a stakeholder's reply after "Resolved" is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterResolved {
    /// A rating (with its comment); `asks` when it also asks something new.
    Rating {
        score: u8,
        comment: String,
        asks: bool,
    },
    /// A short thank-you: recorded, nothing reopens.
    Thanks,
    /// Something new is asked: the ticket reopens.
    Question,
    /// Neither clearly: nothing reopens, and staff are asked.
    Unclear,
}

/// Reads a stakeholder's reply after "Resolved" (their new text only).
pub fn after_resolved(text: &str) -> AfterResolved {
    let asks = asks_something(text);
    if let Some((score, comment)) = parse_rating(text) {
        let asks = asks_something(&comment);
        return AfterResolved::Rating {
            score,
            comment,
            asks,
        };
    }
    if asks {
        return AfterResolved::Question;
    }
    if is_thanks(text) {
        return AfterResolved::Thanks;
    }
    AfterResolved::Unclear
}

/// A question mark, or a line that opens with a question or request word.
pub fn asks_something(text: &str) -> bool {
    text.contains('?')
        || text
            .lines()
            .any(|l| starts_with_question_word(l.trim_start_matches(|c: char| !c.is_alphabetic())))
}

/// A few short lines that thank or acknowledge.
fn is_thanks(text: &str) -> bool {
    const THANKS: [&str; 12] = [
        "terima kasih",
        "terimakasih",
        "makasih",
        "trims",
        "thanks",
        "thank you",
        "noted",
        "baik pak",
        "baik bu",
        "siap",
        "oke",
        "ok",
    ];
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let padded = format!(" {} ", words.join(" "));
    words.len() <= 40 && THANKS.iter().any(|t| padded.contains(&format!(" {t} ")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn grade(scores: &[u8]) -> (f64, char) {
        let i = ikm(scores).expect("scores");
        (i.value, i.grade)
    }

    #[test]
    fn ikm_value_and_grade() {
        assert_eq!(grade(&[4, 4, 4]), (100.0, 'A'));
        assert_eq!(ikm(&[4]).unwrap().label, "Sangat Baik");
        assert_eq!(grade(&[1]), (25.0, 'D'));
        assert_eq!(ikm(&[1]).unwrap().label, "Tidak Baik");
        assert_eq!(grade(&[3, 3]), (75.0, 'C'));
        assert_eq!(ikm(&[3]).unwrap().label, "Kurang Baik");
        assert_eq!(grade(&[4, 3]), (87.5, 'B'));
        assert_eq!(ikm(&[4, 3]).unwrap().label, "Baik");
    }

    #[test]
    fn grade_edges_after_rounding() {
        // 4,4,4,4,4,3,3 → mean 3.7142857 × 25 = 92.857 → 92.86 A.
        assert_eq!(grade(&[4, 4, 4, 4, 4, 3, 3]), (92.86, 'A'));
        // 3,3,4 → 83.333 → 83.33 B; 2,3,3 → 66.666 → 66.67 C.
        assert_eq!(grade(&[3, 3, 4]), (83.33, 'B'));
        assert_eq!(grade(&[2, 3, 3]), (66.67, 'C'));
        // 2,3 → 62.5 D (D ends at 64.99); 8 threes and 2 fours → 80.0 B.
        assert_eq!(grade(&[2, 3]), (62.5, 'D'));
        assert_eq!(grade(&[2, 2, 3, 3, 3]), (65.0, 'C'));
        let mut bc = vec![4u8; 64];
        bc.extend(vec![3u8; 936]);
        assert_eq!(grade(&bc), (76.6, 'C'));
        let mut bc = vec![4u8; 644];
        bc.extend(vec![3u8; 9356]);
        assert_eq!(grade(&bc), (76.61, 'B'));
        assert_eq!(grade(&[3, 3, 3, 3, 3, 3, 3, 3, 4, 4]), (80.0, 'B'));
        // The A/B edge: a mean of 3.5324 gives 88.31 (A), 3.532 gives 88.30 (B).
        let mut edge = vec![4u8; 5324];
        edge.extend(vec![3u8; 4676]);
        assert_eq!(grade(&edge), (88.31, 'A'));
        let mut below = vec![4u8; 5320];
        below.extend(vec![3u8; 4680]);
        assert_eq!(grade(&below), (88.3, 'B'));
    }

    #[test]
    fn ikm_rejects_empty_and_out_of_scale() {
        assert_eq!(ikm(&[]), None);
        assert_eq!(ikm(&[4, 5]), None);
        assert_eq!(ikm(&[0]), None);
    }

    #[test]
    fn rating_replies() {
        let r = |s: &str| parse_rating(s);
        assert_eq!(r("4"), Some((4, String::new())));
        assert_eq!(r("\n 4 - terima kasih\n"), Some((4, "terima kasih".into())));
        assert_eq!(r("Nilai: 3 cukup"), Some((3, "cukup".into())));
        assert_eq!(r("nilai 2"), Some((2, String::new())));
        assert_eq!(r("4. Pelayanan cepat"), Some((4, "Pelayanan cepat".into())));
        assert_eq!(r("4 sangat baik"), Some((4, "sangat baik".into())));
        assert_eq!(
            r("4, Terima kasih İbu"),
            Some((4, "Terima kasih İbu".into()))
        );
        assert_eq!(r("İ 4"), None);
        assert_eq!(
            r("1\nJawabannya tidak menjawab pertanyaan."),
            Some((1, "Jawabannya tidak menjawab pertanyaan.".into()))
        );
        // The forms the office saw in real replies.
        assert_eq!(
            r("Baik Pak, terima kasih atas bantuannya.\n\nNilai: 4"),
            Some((4, "Baik Pak, terima kasih atas bantuannya.".into()))
        );
        assert_eq!(r("4 = sangat baik"), Some((4, "sangat baik".into())));
        assert_eq!(r("4 (sangat baik)"), Some((4, "sangat baik".into())));
        assert_eq!(r("nilai 4/4"), Some((4, String::new())));
        assert_eq!(r("Empat"), Some((4, String::new())));
        assert_eq!(r("nilai tiga, cukup"), Some((3, "cukup".into())));
        assert_eq!(r("Terima kasih Bu\n4"), Some((4, "Terima kasih Bu".into())));
    }

    #[test]
    fn non_ratings_are_none() {
        for text in [
            "",
            "5",
            "0",
            "40",
            "3 dokumen sudah saya kirim",
            "Terima kasih, 4",
            "Nilainya bagus",
            "nilai: 9",
            "1. Apakah SPM bisa diajukan besok?",
            "4/12 dokumen sudah kami kirim",
            "Tiga dokumen sudah saya kirim",
            "Satu lagi: kapan SP2D terbit?",
            "Pertanyaan saya:\n2. Berapa lama prosesnya",
        ] {
            assert_eq!(parse_rating(text), None, "{text:?}");
        }
    }

    #[test]
    fn replies_after_resolved() {
        use AfterResolved as A;
        assert_eq!(after_resolved("Baik Pak, terima kasih."), A::Thanks);
        assert_eq!(after_resolved("Thank you, noted."), A::Thanks);
        assert!(matches!(
            after_resolved("Terima kasih.\nNilai: 4"),
            A::Rating {
                score: 4,
                asks: false,
                ..
            }
        ));
        assert_eq!(
            after_resolved("Terima kasih. Satu lagi, apakah ADK perlu dikirim ulang?"),
            A::Question
        );
        assert!(matches!(
            after_resolved("4\nMohon info juga jadwal rekon bulan depan"),
            A::Rating {
                score: 4,
                asks: true,
                ..
            }
        ));
        assert_eq!(after_resolved("Dokumen terlampir."), A::Unclear);
    }
}
