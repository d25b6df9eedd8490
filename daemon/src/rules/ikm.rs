//! The satisfaction index (Indeks Kepuasan Masyarakat) of PermenPANRB 14/2017 for the
//! one-question 1–4 scale, and reading a stakeholder's rating reply.

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
    let (grade, label) = match hundredths {
        8831.. => ('A', "Sangat Baik"),
        7661.. => ('B', "Baik"),
        6500.. => ('C', "Kurang Baik"),
        _ => ('D', "Tidak Baik"),
    };
    Some(Ikm {
        value: hundredths as f64 / 100.0,
        grade,
        label,
    })
}

/// A stakeholder's rating reply: the score and the comment (rest of the first line and
/// any lines below, trimmed). Only the first non-empty line is searched for the score:
/// `4`, `4 - terima kasih`, `4. mantap`, `Nilai: 3 cukup`, `skor 2`.
///
/// Without a `nilai`/`skor` prefix, a digit followed by a plain word counts only when
/// the word belongs to a rating ("4 sangat baik"), so "3 dokumen sudah saya kirim" is a
/// reply, not a rating.
pub fn parse_rating(text: &str) -> Option<(u8, String)> {
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let first = lines.next()?.trim();
    // ASCII lowercasing keeps byte offsets, so the comment can be cut from `first`.
    let lower = first.to_ascii_lowercase();
    let (prefixed, after_prefix) = ["nilai", "skor", "score", "rating"]
        .iter()
        .find_map(|p| lower.strip_prefix(p).map(|r| (true, r)))
        .unwrap_or((false, lower.as_str()));
    let body = after_prefix.trim_start_matches([' ', ':', '=', '\t']);
    if prefixed && body.len() == after_prefix.len() {
        return None; // "nilaiku" and the like: not the prefix word.
    }
    let mut chars = body.chars();
    let score = chars.next()?.to_digit(10)?;
    if !(1..=4).contains(&score) {
        return None;
    }
    let rest = chars.as_str();
    let comment_start = match rest.chars().next() {
        None => rest,
        Some(c) if c.is_ascii_digit() => return None,
        Some(c) if "-–—:.,)/".contains(c) => rest,
        Some(c) if c.is_whitespace() => {
            let word = rest
                .trim_start()
                .trim_start_matches(['-', '–', '—', ':', '.', ',']);
            let word = word.trim_start();
            let sep_or_empty = word.len() != rest.trim_start().len() || word.is_empty();
            if !prefixed && !sep_or_empty && !starts_with_rating_word(word) {
                return None;
            }
            rest
        }
        Some(_) => return None,
    };
    // Take the comment from the original text so its case is kept.
    let offset = first.len() - comment_start.len();
    let line_rest = first
        .get(offset..)
        .unwrap_or("")
        .trim_start_matches(|c: char| c.is_whitespace() || "-–—:.,)/".contains(c))
        .trim();
    let below: Vec<&str> = lines.collect();
    let comment = [line_rest, below.join("\n").trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Some((score as u8, comment))
}

fn starts_with_rating_word(word: &str) -> bool {
    const WORDS: [&str; 13] = [
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
    ];
    let first: String = word.chars().take_while(|c| c.is_alphabetic()).collect();
    WORDS.contains(&first.as_str())
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
            "Saya masih bingung\n4",
        ] {
            assert_eq!(parse_rating(text), None, "{text:?}");
        }
    }
}
