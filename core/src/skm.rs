//! The Survei Kepuasan Masyarakat (SKM) of PermenPANRB 14/2017, in one place for the
//! daemon (the survey in the "Resolved" mail, the report, the export) and the site (the
//! paper questionnaire, the performance page).
//!
//! Nine elements (unsur), each scored 1–4 by a respondent. The NRR of an element is the
//! sum of its scores divided by the respondents; the NRR tertimbang is Σ NRR × 1/9; the
//! IKM is NRR tertimbang × 25 (25–100), rounded to two decimals; its mutu is A
//! (88,31–100, Sangat Baik), B (76,61–88,30, Baik), C (65,00–76,60, Kurang Baik) or D
//! (25,00–64,99, Tidak Baik).
//!
//! The questions and their four answers are the regulation's sample questionnaire, in
//! the regulation's order of the elements (U8 complaints, U9 facilities).

use serde::{Deserialize, Serialize};

/// The nine elements (unsur) of PermenPANRB 14/2017.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Unsur {
    U1,
    U2,
    U3,
    U4,
    U5,
    U6,
    U7,
    U8,
    U9,
}

impl Unsur {
    pub const ALL: [Unsur; 9] = [
        Unsur::U1,
        Unsur::U2,
        Unsur::U3,
        Unsur::U4,
        Unsur::U5,
        Unsur::U6,
        Unsur::U7,
        Unsur::U8,
        Unsur::U9,
    ];

    /// 0 for U1 … 8 for U9.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The element of a question number 1–9.
    pub fn of_number(n: u32) -> Option<Unsur> {
        Unsur::ALL
            .get(usize::try_from(n).ok()?.checked_sub(1)?)
            .copied()
    }

    /// 1 for U1 … 9 for U9.
    pub fn number(self) -> usize {
        self.index() + 1
    }

    /// "U1" … "U9".
    pub fn code(self) -> &'static str {
        ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"][self.index()]
    }

    /// The element's name in the regulation.
    pub fn name_id(self) -> &'static str {
        match self {
            Unsur::U1 => "Persyaratan",
            Unsur::U2 => "Sistem, Mekanisme, dan Prosedur",
            Unsur::U3 => "Waktu Penyelesaian",
            Unsur::U4 => "Biaya/Tarif",
            Unsur::U5 => "Produk Spesifikasi Jenis Pelayanan",
            Unsur::U6 => "Kompetensi Pelaksana",
            Unsur::U7 => "Perilaku Pelaksana",
            Unsur::U8 => "Penanganan Pengaduan, Saran dan Masukan",
            Unsur::U9 => "Sarana dan Prasarana",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Unsur::U1 => "Requirements",
            Unsur::U2 => "Systems, mechanisms and procedures",
            Unsur::U3 => "Completion time",
            Unsur::U4 => "Cost/fee",
            Unsur::U5 => "Service product specification",
            Unsur::U6 => "Staff competence",
            Unsur::U7 => "Staff conduct",
            Unsur::U8 => "Handling of complaints, suggestions and feedback",
            Unsur::U9 => "Facilities and infrastructure",
        }
    }

    /// The question of the regulation's questionnaire.
    pub fn question_id(self) -> &'static str {
        match self {
            Unsur::U1 => {
                "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?"
            }
            Unsur::U2 => {
                "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?"
            }
            Unsur::U3 => {
                "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?"
            }
            Unsur::U4 => {
                "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?"
            }
            Unsur::U5 => {
                "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan dengan hasil yang diberikan?"
            }
            Unsur::U6 => {
                "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?"
            }
            Unsur::U7 => {
                "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?"
            }
            Unsur::U8 => {
                "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?"
            }
            Unsur::U9 => "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
        }
    }

    pub fn question_en(self) -> &'static str {
        match self {
            Unsur::U1 => {
                "How do you rate how well the service's requirements fit the kind of service?"
            }
            Unsur::U2 => "How easy do you find the service procedure of this office?",
            Unsur::U3 => "How do you rate the speed of the service?",
            Unsur::U4 => "How do you rate the fairness of the service's cost/fee?",
            Unsur::U5 => {
                "How well does what you received match what the service standard promises?"
            }
            Unsur::U6 => "How do you rate the competence of the staff who served you?",
            Unsur::U7 => "How do you rate the staff's courtesy and friendliness?",
            Unsur::U8 => "How do you rate the handling of users' complaints?",
            Unsur::U9 => "How do you rate the quality of the facilities and infrastructure?",
        }
    }

    /// The four answers, for scores 1, 2, 3 and 4 (the questionnaire's a, b, c, d).
    pub fn answers_id(self) -> [&'static str; 4] {
        match self {
            Unsur::U1 | Unsur::U5 => ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"],
            Unsur::U2 => ["Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"],
            Unsur::U3 => ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"],
            Unsur::U4 => ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"],
            Unsur::U6 => [
                "Tidak kompeten",
                "Kurang kompeten",
                "Kompeten",
                "Sangat kompeten",
            ],
            Unsur::U7 => [
                "Tidak sopan dan ramah",
                "Kurang sopan dan ramah",
                "Sopan dan ramah",
                "Sangat sopan dan ramah",
            ],
            Unsur::U8 => [
                "Tidak ada",
                "Ada tetapi tidak berfungsi",
                "Berfungsi kurang maksimal",
                "Dikelola dengan baik",
            ],
            Unsur::U9 => ["Buruk", "Cukup", "Baik", "Sangat baik"],
        }
    }

    pub fn answers_en(self) -> [&'static str; 4] {
        match self {
            Unsur::U1 | Unsur::U5 => ["Not fitting", "Barely fitting", "Fitting", "Very fitting"],
            Unsur::U2 => ["Not easy", "Barely easy", "Easy", "Very easy"],
            Unsur::U3 => ["Not fast", "Barely fast", "Fast", "Very fast"],
            Unsur::U4 => ["Very expensive", "Rather expensive", "Cheap", "Free"],
            Unsur::U6 => [
                "Not competent",
                "Barely competent",
                "Competent",
                "Very competent",
            ],
            Unsur::U7 => [
                "Not polite and friendly",
                "Barely polite and friendly",
                "Polite and friendly",
                "Very polite and friendly",
            ],
            Unsur::U8 => [
                "There is none",
                "Exists but does not work",
                "Works, not at its best",
                "Well managed",
            ],
            Unsur::U9 => ["Poor", "Adequate", "Good", "Very good"],
        }
    }

    /// The score (1–4) of one of this element's answers, written in Indonesian or
    /// English, any case.
    pub fn score_of_answer(self, text: &str) -> Option<u8> {
        let t = text
            .trim()
            .trim_end_matches(['.', ',', ';', '!'])
            .to_lowercase();
        let hit = |answers: [&str; 4]| answers.iter().position(|a| a.to_lowercase() == t);
        hit(self.answers_id())
            .or_else(|| hit(self.answers_en()))
            .and_then(|i| u8::try_from(i + 1).ok())
    }
}

/// The mutu (quality grade) of an IKM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutu {
    A,
    B,
    C,
    D,
}

impl Mutu {
    /// The grade of a converted IKM (25–100), read at two decimals as the regulation's
    /// table is written.
    pub fn of(ikm: f64) -> Mutu {
        // Hundredths, rounded: 88.3049… is 88.30 (B), 88.305 is 88.31 (A).
        let h = (ikm * 100.0).round();
        Mutu::of_hundredths(if h.is_finite() && h > 0.0 {
            h as u64
        } else {
            0
        })
    }

    /// The grade of an IKM given in hundredths (8831 = 88,31).
    pub fn of_hundredths(h: u64) -> Mutu {
        match h {
            8831.. => Mutu::A,
            7661.. => Mutu::B,
            6500.. => Mutu::C,
            _ => Mutu::D,
        }
    }

    pub fn letter(self) -> &'static str {
        match self {
            Mutu::A => "A",
            Mutu::B => "B",
            Mutu::C => "C",
            Mutu::D => "D",
        }
    }

    /// The regulation's word for it.
    pub fn label_id(self) -> &'static str {
        match self {
            Mutu::A => "Sangat Baik",
            Mutu::B => "Baik",
            Mutu::C => "Kurang Baik",
            Mutu::D => "Tidak Baik",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Mutu::A => "Very good",
            Mutu::B => "Good",
            Mutu::C => "Less than good",
            Mutu::D => "Not good",
        }
    }
}

/// One respondent's nine scores, U1 first; each 1–4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores(pub [u8; 9]);

impl Scores {
    /// `None` when a score lies outside 1–4.
    pub fn new(scores: [u8; 9]) -> Option<Scores> {
        scores
            .iter()
            .all(|s| (1..=4).contains(s))
            .then_some(Scores(scores))
    }

    pub fn get(&self, u: Unsur) -> u8 {
        self.0[u.index()]
    }

    /// "4 4 3 4 4 4 4 3 4".
    pub fn digits(&self) -> String {
        self.0
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The sums of many respondents' scores: everything the regulation's formulas need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub respondents: u32,
    /// Σ scores per element, U1 first.
    pub sums: [u32; 9],
}

/// The result of a tally, as the regulation reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkmResult {
    pub respondents: u32,
    /// NRR per element (sum / respondents), U1 first, unrounded.
    pub nrr: [f64; 9],
    /// Σ NRR × 1/9, unrounded.
    pub nrr_weighted: f64,
    /// NRR tertimbang × 25, rounded to two decimals.
    pub ikm: f64,
    pub mutu: Mutu,
}

impl Tally {
    pub fn add(&mut self, s: &Scores) {
        self.respondents += 1;
        for (sum, score) in self.sums.iter_mut().zip(s.0) {
            *sum += u32::from(score);
        }
    }

    pub fn of<'a>(all: impl IntoIterator<Item = &'a Scores>) -> Tally {
        let mut t = Tally::default();
        for s in all {
            t.add(s);
        }
        t
    }

    /// The IKM in hundredths, rounded half up, computed in integers so that the grade
    /// edges are exact: Σ sums × 25 / (9 × respondents).
    pub fn ikm_hundredths(&self) -> Option<u64> {
        let n = u64::from(self.respondents);
        if n == 0 {
            return None;
        }
        let total: u64 = self.sums.iter().map(|&s| u64::from(s)).sum();
        let den = 9 * n;
        Some((total * 2500 * 2 + den) / (2 * den))
    }

    /// `None` without respondents.
    pub fn result(&self) -> Option<SkmResult> {
        let h = self.ikm_hundredths()?;
        let n = f64::from(self.respondents);
        let nrr = self.sums.map(|s| f64::from(s) / n);
        Some(SkmResult {
            respondents: self.respondents,
            nrr,
            nrr_weighted: nrr.iter().sum::<f64>() / 9.0,
            ikm: h as f64 / 100.0,
            mutu: Mutu::of_hundredths(h),
        })
    }
}

/// The respondent profile the regulation's questionnaire asks; every field optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub age: Option<AgeGroup>,
    pub sex: Option<Sex>,
    pub education: Option<Education>,
    pub occupation: Option<Occupation>,
}

impl Profile {
    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }
}

/// A profile field's stored code and its labels.
pub trait ProfileValue: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn label_id(self) -> &'static str;
    fn label_en(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Age in groups: the exact age is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeGroup {
    Under25,
    From25To34,
    From35To44,
    From45To54,
    From55,
}

impl ProfileValue for AgeGroup {
    const ALL: &'static [Self] = &[
        AgeGroup::Under25,
        AgeGroup::From25To34,
        AgeGroup::From35To44,
        AgeGroup::From45To54,
        AgeGroup::From55,
    ];
    fn code(self) -> &'static str {
        match self {
            AgeGroup::Under25 => "<25",
            AgeGroup::From25To34 => "25-34",
            AgeGroup::From35To44 => "35-44",
            AgeGroup::From45To54 => "45-54",
            AgeGroup::From55 => "55+",
        }
    }
    fn label_id(self) -> &'static str {
        match self {
            AgeGroup::Under25 => "di bawah 25 tahun",
            AgeGroup::From25To34 => "25–34 tahun",
            AgeGroup::From35To44 => "35–44 tahun",
            AgeGroup::From45To54 => "45–54 tahun",
            AgeGroup::From55 => "55 tahun ke atas",
        }
    }
    fn label_en(self) -> &'static str {
        match self {
            AgeGroup::Under25 => "under 25",
            AgeGroup::From25To34 => "25–34",
            AgeGroup::From35To44 => "35–44",
            AgeGroup::From45To54 => "45–54",
            AgeGroup::From55 => "55 and over",
        }
    }
}

impl AgeGroup {
    pub fn of_years(years: u32) -> Option<AgeGroup> {
        Some(match years {
            0..=9 | 121.. => return None,
            10..=24 => AgeGroup::Under25,
            25..=34 => AgeGroup::From25To34,
            35..=44 => AgeGroup::From35To44,
            45..=54 => AgeGroup::From45To54,
            _ => AgeGroup::From55,
        })
    }

    /// "34", "34 tahun", "34 years", or a group as the form prints it ("25-34", "55+").
    pub fn read(text: &str) -> Option<AgeGroup> {
        let t = text.trim().to_lowercase().replace(['–', '—'], "-");
        let t = t.replace(' ', "");
        if let Some(g) = AgeGroup::ALL
            .iter()
            .find(|g| t == g.code() || t == g.label_id().replace(['–', ' '], "").replace('–', "-"))
        {
            return Some(*g);
        }
        let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
        let rest = &t[digits.len()..];
        if digits.is_empty()
            || !["", "tahun", "thn", "th", "years", "yearsold", "y"].contains(&rest)
        {
            return None;
        }
        AgeGroup::of_years(digits.parse().ok()?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sex {
    L,
    P,
}

impl ProfileValue for Sex {
    const ALL: &'static [Self] = &[Sex::L, Sex::P];
    fn code(self) -> &'static str {
        match self {
            Sex::L => "L",
            Sex::P => "P",
        }
    }
    fn label_id(self) -> &'static str {
        match self {
            Sex::L => "Laki-laki",
            Sex::P => "Perempuan",
        }
    }
    fn label_en(self) -> &'static str {
        match self {
            Sex::L => "Male",
            Sex::P => "Female",
        }
    }
}

impl Sex {
    pub fn read(text: &str) -> Option<Sex> {
        match text.trim().trim_end_matches('.').to_lowercase().as_str() {
            "l" | "laki-laki" | "laki laki" | "lakilaki" | "pria" | "m" | "male" | "man" => {
                Some(Sex::L)
            }
            "p" | "perempuan" | "wanita" | "f" | "female" | "woman" => Some(Sex::P),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Education {
    Sd,
    Smp,
    Sma,
    Diploma,
    S1,
    S2,
    S3,
}

impl ProfileValue for Education {
    const ALL: &'static [Self] = &[
        Education::Sd,
        Education::Smp,
        Education::Sma,
        Education::Diploma,
        Education::S1,
        Education::S2,
        Education::S3,
    ];
    fn code(self) -> &'static str {
        match self {
            Education::Sd => "SD",
            Education::Smp => "SMP",
            Education::Sma => "SMA",
            Education::Diploma => "D1-D4",
            Education::S1 => "S1",
            Education::S2 => "S2",
            Education::S3 => "S3",
        }
    }
    fn label_id(self) -> &'static str {
        match self {
            Education::Sd => "SD ke bawah",
            Education::Smp => "SMP",
            Education::Sma => "SMA",
            Education::Diploma => "D1–D4",
            Education::S1 => "S1",
            Education::S2 => "S2",
            Education::S3 => "S3",
        }
    }
    fn label_en(self) -> &'static str {
        match self {
            Education::Sd => "Primary school or less",
            Education::Smp => "Junior high school",
            Education::Sma => "Senior high school",
            Education::Diploma => "Diploma (D1–D4)",
            Education::S1 => "Bachelor (S1)",
            Education::S2 => "Master (S2)",
            Education::S3 => "Doctorate (S3)",
        }
    }
}

impl Education {
    pub fn read(text: &str) -> Option<Education> {
        let t = text.trim().trim_end_matches('.').to_lowercase();
        let t = t.replace('–', "-").replace(' ', "");
        Some(match t.as_str() {
            "sd" | "sdkebawah" | "sekolahdasar" => Education::Sd,
            "smp" | "sltp" | "mts" => Education::Smp,
            "sma" | "slta" | "smk" | "ma" => Education::Sma,
            "d1" | "d2" | "d3" | "d4" | "d1-d4" | "d1-d3" | "diploma" => Education::Diploma,
            "s1" | "sarjana" | "bachelor" => Education::S1,
            "s2" | "magister" | "master" => Education::S2,
            "s3" | "doktor" | "doctorate" | "phd" => Education::S3,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Occupation {
    Pns,
    Tni,
    Polri,
    Swasta,
    Wirausaha,
    Lainnya,
}

impl ProfileValue for Occupation {
    const ALL: &'static [Self] = &[
        Occupation::Pns,
        Occupation::Tni,
        Occupation::Polri,
        Occupation::Swasta,
        Occupation::Wirausaha,
        Occupation::Lainnya,
    ];
    fn code(self) -> &'static str {
        match self {
            Occupation::Pns => "PNS",
            Occupation::Tni => "TNI",
            Occupation::Polri => "POLRI",
            Occupation::Swasta => "SWASTA",
            Occupation::Wirausaha => "WIRAUSAHA",
            Occupation::Lainnya => "LAINNYA",
        }
    }
    fn label_id(self) -> &'static str {
        match self {
            Occupation::Pns => "PNS",
            Occupation::Tni => "TNI",
            Occupation::Polri => "POLRI",
            Occupation::Swasta => "Swasta",
            Occupation::Wirausaha => "Wirausaha",
            Occupation::Lainnya => "Lainnya",
        }
    }
    fn label_en(self) -> &'static str {
        match self {
            Occupation::Pns => "Civil servant (PNS)",
            Occupation::Tni => "Armed forces (TNI)",
            Occupation::Polri => "Police (POLRI)",
            Occupation::Swasta => "Private sector",
            Occupation::Wirausaha => "Self-employed",
            Occupation::Lainnya => "Other",
        }
    }
}

impl Occupation {
    /// Any other non-empty answer is "Lainnya" (its words are not kept).
    pub fn read(text: &str) -> Option<Occupation> {
        let t = text.trim().trim_end_matches('.').to_lowercase();
        if t.is_empty() || t == "-" {
            return None;
        }
        Some(match t.as_str() {
            "pns" | "asn" | "pppk" | "civil servant" => Occupation::Pns,
            "tni" => Occupation::Tni,
            "polri" | "polisi" => Occupation::Polri,
            "swasta" | "karyawan swasta" | "pegawai swasta" | "private" | "private sector" => {
                Occupation::Swasta
            }
            "wirausaha" | "wiraswasta" | "pengusaha" | "self-employed" => Occupation::Wirausaha,
            _ => Occupation::Lainnya,
        })
    }
}

/// The questionnaire as the mail and the printed form show it, in one language: the
/// nine questions with their four answers (scores 1–4), and the profile fields with
/// their choices.
#[derive(Debug, Clone, Serialize)]
pub struct Questionnaire {
    pub questions: Vec<Question>,
    pub profile: Vec<ProfileField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    /// 1–9.
    pub number: usize,
    /// "U1".
    pub code: &'static str,
    pub name: &'static str,
    pub text: &'static str,
    /// For scores 1, 2, 3, 4.
    pub answers: [&'static str; 4],
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileField {
    /// The word a reply uses ("Usia", "Age").
    pub label: &'static str,
    /// The choices as printed (the age is written in years, the group is kept).
    pub choices: Vec<&'static str>,
}

impl Questionnaire {
    /// `english`: the English wording; otherwise the regulation's Indonesian.
    pub fn new(english: bool) -> Questionnaire {
        fn labels<T: ProfileValue>(english: bool) -> Vec<&'static str> {
            T::ALL
                .iter()
                .map(|v| if english { v.label_en() } else { v.label_id() })
                .collect()
        }
        let questions = Unsur::ALL
            .iter()
            .map(|u| Question {
                number: u.number(),
                code: u.code(),
                name: if english { u.name_en() } else { u.name_id() },
                text: if english {
                    u.question_en()
                } else {
                    u.question_id()
                },
                answers: if english {
                    u.answers_en()
                } else {
                    u.answers_id()
                },
            })
            .collect();
        let (age, sex, edu, job) = if english {
            ("Age", "Sex", "Education", "Occupation")
        } else {
            ("Usia", "Jenis kelamin", "Pendidikan", "Pekerjaan")
        };
        let profile = vec![
            ProfileField {
                label: age,
                choices: Vec::new(),
            },
            ProfileField {
                label: sex,
                choices: labels::<Sex>(english),
            },
            ProfileField {
                label: edu,
                choices: labels::<Education>(english),
            },
            ProfileField {
                label: job,
                choices: labels::<Occupation>(english),
            },
        ];
        Questionnaire { questions, profile }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn ikm_of_a_tally_is_exact_at_the_grade_edges() {
        // 9 elements × n respondents: all 4 → 100 A; all 1 → 25 D.
        let all = |v: u8, n: usize| Tally::of(&vec![Scores([v; 9]); n]);
        assert_eq!(all(4, 3).result().unwrap().ikm, 100.0);
        assert_eq!(all(1, 3).result().unwrap().mutu, Mutu::D);
        // Mixed: 5 respondents of 4 and 4 of 3 on every element → NRR 3.5556 → 88.89 A.
        let mut t = Tally::default();
        for _ in 0..5 {
            t.add(&Scores([4; 9]));
        }
        for _ in 0..4 {
            t.add(&Scores([3; 9]));
        }
        let r = t.result().unwrap();
        assert_eq!((r.ikm, r.mutu), (88.89, Mutu::A));
        // Σ = 318 over 1 respondent: 318 × 25 / 9 … out of scale, but the integer path
        // is what is tested: a total giving exactly 76.61 after rounding is B.
        let edge = Tally {
            respondents: 100,
            sums: [306, 306, 306, 306, 306, 306, 306, 306, 306 + 4],
        };
        // (2758 × 25) / 900 = 76.611… → 76.61 B; one point less → 76.58 C.
        assert_eq!(edge.ikm_hundredths(), Some(7661));
        assert_eq!(edge.result().unwrap().mutu, Mutu::B);
        let below = Tally {
            sums: [306, 306, 306, 306, 306, 306, 306, 306, 306 + 3],
            ..edge
        };
        assert_eq!(below.result().unwrap().mutu, Mutu::C);
        assert_eq!(Tally::default().result(), None);
    }

    #[test]
    fn mutu_edges() {
        for (ikm, mutu) in [
            (100.0, Mutu::A),
            (88.31, Mutu::A),
            (88.30, Mutu::B),
            (88.304, Mutu::B),
            (76.61, Mutu::B),
            (76.60, Mutu::C),
            (65.00, Mutu::C),
            (64.99, Mutu::D),
            (25.0, Mutu::D),
        ] {
            assert_eq!(Mutu::of(ikm), mutu, "{ikm}");
        }
    }

    #[test]
    fn answers_read_in_both_languages() {
        assert_eq!(Unsur::U4.score_of_answer("Gratis"), Some(4));
        assert_eq!(Unsur::U4.score_of_answer("very expensive"), Some(1));
        assert_eq!(Unsur::U7.score_of_answer("sopan dan ramah."), Some(3));
        assert_eq!(Unsur::U1.score_of_answer("mudah"), None);
        assert_eq!(Unsur::of_number(9), Some(Unsur::U9));
        assert_eq!(Unsur::of_number(0), None);
        assert_eq!(Unsur::of_number(10), None);
    }

    #[test]
    fn profile_values_read() {
        assert_eq!(AgeGroup::read("34 tahun"), Some(AgeGroup::From25To34));
        assert_eq!(AgeGroup::read("55+"), Some(AgeGroup::From55));
        assert_eq!(AgeGroup::read("25 - 34"), Some(AgeGroup::From25To34));
        assert_eq!(AgeGroup::read("tiga puluh"), None);
        assert_eq!(Sex::read("Perempuan"), Some(Sex::P));
        assert_eq!(Sex::read("L"), Some(Sex::L));
        assert_eq!(Education::read("D3"), Some(Education::Diploma));
        assert_eq!(Education::read("D1–D4"), Some(Education::Diploma));
        assert_eq!(Education::read("SD ke bawah"), Some(Education::Sd));
        // Every choice the form and the mail print reads back.
        for e in Education::ALL {
            assert_eq!(Education::read(e.label_id()), Some(*e), "{e:?}");
        }
        for o in Occupation::ALL {
            assert_eq!(Occupation::read(o.label_id()), Some(*o), "{o:?}");
        }
        for s in Sex::ALL {
            assert_eq!(Sex::read(s.label_id()), Some(*s), "{s:?}");
            assert_eq!(Sex::read(s.code()), Some(*s), "{s:?}");
        }
        assert_eq!(Education::read("SLTA"), Some(Education::Sma));
        assert_eq!(Occupation::read("ASN"), Some(Occupation::Pns));
        assert_eq!(
            Occupation::read("Bendahara desa"),
            Some(Occupation::Lainnya)
        );
    }
}
