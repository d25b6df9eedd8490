//! The components of a service standard (PermenPANRB 15/2014) and how `##` headings
//! are recognised as them.

use serde::Serialize;

/// One component of a standard. The first six are the public (service-delivery)
/// components, in the order a published standard shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Persyaratan,
    Prosedur,
    JangkaWaktu,
    Biaya,
    Produk,
    Pengaduan,
    DasarHukum,
    Sarana,
    KompetensiPelaksana,
    PengawasanInternal,
    JumlahPelaksana,
    JaminanPelayanan,
    JaminanKeamanan,
    EvaluasiKinerja,
}

struct Names {
    kind: ComponentKind,
    /// Regulation name, shown as the heading on Indonesian pages.
    id: &'static str,
    en: &'static str,
    anchor: &'static str,
    /// Normalised Indonesian headings accepted (regulation's and published wording).
    aliases_id: &'static [&'static str],
    aliases_en: &'static [&'static str],
}

const NAMES: &[Names] = &[
    Names {
        kind: ComponentKind::Persyaratan,
        id: "Persyaratan",
        en: "Requirements",
        anchor: "persyaratan",
        aliases_id: &[
            "persyaratan",
            "persyaratan pelayanan",
            "persyaratan layanan",
        ],
        aliases_en: &["requirements", "service requirements"],
    },
    Names {
        kind: ComponentKind::Prosedur,
        id: "Sistem, Mekanisme dan Prosedur",
        en: "System, Mechanism and Procedure",
        anchor: "prosedur",
        aliases_id: &[
            "sistem mekanisme dan prosedur",
            "sistem mekanisme prosedur",
            "prosedur",
            "prosedur pelayanan",
            "mekanisme dan prosedur",
        ],
        aliases_en: &["system mechanism and procedure", "procedure", "procedures"],
    },
    Names {
        kind: ComponentKind::JangkaWaktu,
        id: "Jangka Waktu Penyelesaian",
        en: "Completion Time",
        anchor: "waktu-penyelesaian",
        aliases_id: &[
            "jangka waktu penyelesaian",
            "waktu penyelesaian",
            "jangka waktu pelayanan",
            "waktu pelayanan",
        ],
        aliases_en: &["completion time", "time to completion", "processing time"],
    },
    Names {
        kind: ComponentKind::Biaya,
        id: "Biaya/Tarif",
        en: "Fees",
        anchor: "biaya",
        aliases_id: &["biaya tarif", "biaya", "tarif"],
        aliases_en: &["fees", "fee", "costs", "cost", "fees and charges"],
    },
    Names {
        kind: ComponentKind::Produk,
        id: "Produk Pelayanan",
        en: "Service Products",
        anchor: "produk",
        aliases_id: &["produk pelayanan", "produk layanan"],
        aliases_en: &["service products", "service product", "products"],
    },
    Names {
        kind: ComponentKind::Pengaduan,
        id: "Penanganan Pengaduan, Saran dan Masukan",
        en: "Complaints, Suggestions and Feedback",
        anchor: "pengaduan",
        aliases_id: &[
            "penanganan pengaduan saran dan masukan",
            "penanganan pengaduan saran masukan",
            "pengaduan layanan",
            "pengaduan pelayanan",
            "penanganan pengaduan",
            "pengaduan",
        ],
        aliases_en: &[
            "complaints suggestions and feedback",
            "complaint handling",
            "complaints",
        ],
    },
    Names {
        kind: ComponentKind::DasarHukum,
        id: "Dasar Hukum",
        en: "Legal Basis",
        anchor: "dasar-hukum",
        aliases_id: &["dasar hukum"],
        aliases_en: &["legal basis"],
    },
    Names {
        kind: ComponentKind::Sarana,
        id: "Sarana dan Prasarana",
        en: "Facilities",
        anchor: "sarana-prasarana",
        aliases_id: &[
            "sarana dan prasarana",
            "sarana prasarana",
            "sarana prasarana dan atau fasilitas",
            "sarana dan prasarana dan atau fasilitas",
        ],
        aliases_en: &["facilities", "facilities and infrastructure"],
    },
    Names {
        kind: ComponentKind::KompetensiPelaksana,
        id: "Kompetensi Pelaksana",
        en: "Staff Competence",
        anchor: "kompetensi-pelaksana",
        aliases_id: &["kompetensi pelaksana"],
        aliases_en: &["staff competence", "staff competency"],
    },
    Names {
        kind: ComponentKind::PengawasanInternal,
        id: "Pengawasan Internal",
        en: "Internal Supervision",
        anchor: "pengawasan-internal",
        aliases_id: &["pengawasan internal"],
        aliases_en: &["internal supervision", "internal control"],
    },
    Names {
        kind: ComponentKind::JumlahPelaksana,
        id: "Jumlah Pelaksana",
        en: "Number of Staff",
        anchor: "jumlah-pelaksana",
        aliases_id: &["jumlah pelaksana"],
        aliases_en: &["number of staff"],
    },
    Names {
        kind: ComponentKind::JaminanPelayanan,
        id: "Jaminan Pelayanan",
        en: "Service Guarantee",
        anchor: "jaminan-pelayanan",
        aliases_id: &["jaminan pelayanan"],
        aliases_en: &["service guarantee"],
    },
    Names {
        kind: ComponentKind::JaminanKeamanan,
        id: "Jaminan Keamanan dan Keselamatan Pelayanan",
        en: "Security and Safety Guarantee",
        anchor: "jaminan-keamanan",
        aliases_id: &[
            "jaminan keamanan dan keselamatan pelayanan",
            "jaminan keamanan dan keselamatan",
        ],
        aliases_en: &["security and safety guarantee", "security and safety"],
    },
    Names {
        kind: ComponentKind::EvaluasiKinerja,
        id: "Evaluasi Kinerja Pelaksana",
        en: "Staff Performance Evaluation",
        anchor: "evaluasi-kinerja",
        aliases_id: &["evaluasi kinerja pelaksana"],
        aliases_en: &["staff performance evaluation", "performance evaluation"],
    },
];

impl ComponentKind {
    /// The six public components, in their required order.
    pub const PUBLIC: [ComponentKind; 6] = [
        ComponentKind::Persyaratan,
        ComponentKind::Prosedur,
        ComponentKind::JangkaWaktu,
        ComponentKind::Biaya,
        ComponentKind::Produk,
        ComponentKind::Pengaduan,
    ];

    fn names(self) -> &'static Names {
        // NAMES lists every variant exactly once, in declaration order.
        &NAMES[self as usize]
    }

    /// The regulation's Indonesian name.
    pub fn name_id(self) -> &'static str {
        self.names().id
    }

    pub fn name_en(self) -> &'static str {
        self.names().en
    }

    /// Stable fragment id of the section on the page (`#persyaratan`).
    pub fn anchor(self) -> &'static str {
        self.names().anchor
    }

    pub fn is_public(self) -> bool {
        (self as usize) < Self::PUBLIC.len()
    }

    /// The component a `##` heading names, if any. English names count on English pages.
    pub fn recognise(heading: &str, english: bool) -> Option<ComponentKind> {
        let n = normalise_heading(heading);
        NAMES
            .iter()
            .find(|c| {
                c.aliases_id.contains(&n.as_str())
                    || (english && c.aliases_en.contains(&n.as_str()))
            })
            .map(|c| c.kind)
    }

    /// Every heading a writer may use, for error hints.
    pub fn all_names(english: bool) -> Vec<&'static str> {
        NAMES
            .iter()
            .map(|c| if english { c.en } else { c.id })
            .collect()
    }
}

/// Lower case, punctuation to spaces, single spaces, no leading numbering ("1.", "A.").
pub fn normalise_heading(heading: &str) -> String {
    let trimmed = heading.trim();
    let marker_len = trimmed
        .find(['.', ')'])
        .filter(|&i| {
            let head = &trimmed[..i];
            !head.is_empty()
                && (head.chars().all(|c| c.is_ascii_digit())
                    || (head.len() == 1 && head.chars().all(|c| c.is_ascii_alphabetic())))
        })
        .map_or(0, |i| i + 1);
    trimmed[marker_len..]
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn names_table_matches_variants() {
        for (i, n) in NAMES.iter().enumerate() {
            assert_eq!(n.kind as usize, i);
        }
        assert_eq!(NAMES.len(), 14);
    }

    #[test]
    fn recognises_published_and_regulation_names() {
        use ComponentKind::*;
        assert_eq!(
            ComponentKind::recognise("Waktu Penyelesaian", false),
            Some(JangkaWaktu)
        );
        assert_eq!(
            ComponentKind::recognise("Jangka Waktu Penyelesaian", false),
            Some(JangkaWaktu)
        );
        assert_eq!(
            ComponentKind::recognise("Biaya / Tarif", false),
            Some(Biaya)
        );
        assert_eq!(
            ComponentKind::recognise("Pengaduan Layanan", false),
            Some(Pengaduan)
        );
        assert_eq!(
            ComponentKind::recognise("Penanganan Pengaduan, Saran dan Masukan", false),
            Some(Pengaduan)
        );
        assert_eq!(
            ComponentKind::recognise("1. Persyaratan", false),
            Some(Persyaratan)
        );
        assert_eq!(
            ComponentKind::recognise("Sistem, Mekanisme, dan Prosedur", false),
            Some(Prosedur)
        );
        assert_eq!(ComponentKind::recognise("Lain-lain", false), None);
        assert_eq!(ComponentKind::recognise("B) Biaya", false), Some(Biaya));
        assert_eq!(ComponentKind::recognise("Requirements", false), None);
        assert_eq!(
            ComponentKind::recognise("Requirements", true),
            Some(Persyaratan)
        );
        assert_eq!(
            ComponentKind::recognise("Dasar Hukum", false),
            Some(DasarHukum)
        );
    }
}
