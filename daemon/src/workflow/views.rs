//! The data the letters' templates read, for the mails that are not about one ticket's
//! event: what the desk commands and forms answer, and the daily digest. Apart from the
//! workflow modules that fill them so that `letters` (which every module uses) depends on
//! none of those modules.

use serde::Serialize;

/// The desk commands, at the foot of every desk mail.
pub(crate) const CHEAT_SHEET: &str = "\
Yang dapat Anda kirim dengan membalas surel ini (ubah subjeknya bila perlu):
[TATAP MUKA] / [TELEPON] / [WA] / [HAI CSO] di subjek - catat konsultasi dengan formulir di badan surel
#antrean (#queue) - tiket Anda yang masih terbuka
#cari <kata> (#search) - cari tiket (perihal, pemohon, isi, kode satker, nomor SPM/SP2D)
#riwayat <alamat surel atau nomor telepon> (#history) - riwayat tiket seorang pemohon
#tiket <nomor> (#ticket) di baris pertama, lalu jawaban atau perintah di bawahnya - tindak lanjuti tiket itu
";

// ----- staff-started mail (desk_mail) --------------------------------------------------

#[derive(Debug, Serialize)]
pub(crate) struct RecordedView {
    pub(crate) channel: &'static str,
    pub(crate) name: String,
    pub(crate) institution: String,
    pub(crate) contact: String,
    pub(crate) question: String,
    pub(crate) answer: Option<String>,
    pub(crate) visit: String,
    pub(crate) expected: Option<String>,
    pub(crate) visitor_mailed: bool,
    pub(crate) receipt: bool,
    pub(crate) date_note: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ProblemView {
    pub(crate) field: &'static str,
    pub(crate) what: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FormErrorView {
    pub(crate) subject: String,
    pub(crate) problems: Vec<ProblemView>,
    pub(crate) form: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConfirmView {
    pub(crate) subject: String,
    pub(crate) received: String,
    pub(crate) why: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct TicketLine {
    pub(crate) id: i64,
    pub(crate) status: &'static str,
    pub(crate) flag: &'static str,
    pub(crate) subject: String,
    pub(crate) requester: String,
    pub(crate) channel: &'static str,
    pub(crate) created: String,
    pub(crate) deadline: Option<String>,
    pub(crate) tag: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct AnswerView {
    pub(crate) what: &'static str,
    pub(crate) query: String,
    pub(crate) tickets: Vec<TicketLine>,
    pub(crate) total: usize,
    pub(crate) more: bool,
    pub(crate) problem: Option<String>,
}

// ----- the daily digest (digest) -------------------------------------------------------

/// One group of tickets in a digest ("TERLAMBAT (2)").
#[derive(Debug, Serialize)]
pub(crate) struct Group {
    pub title: &'static str,
    pub tickets: Vec<Line>,
    /// Tickets in the group beyond those listed.
    pub more: usize,
}

/// One ticket as a digest lists it.
#[derive(Debug, Serialize)]
pub(crate) struct Line {
    pub id: i64,
    /// "[KPPN-TSL #12]": the subject tag of its notification, to find it and reply.
    pub tag: String,
    pub subject: String,
    pub requester: String,
    pub status: &'static str,
    /// Which deadline, and when ("batas penyelesaian: Senin, 30 November 2026 pukul …").
    pub deadline: Option<String>,
    pub section: Option<String>,
    pub assignee: Option<String>,
}

/// The head of office's figures.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    /// "Jumat, 27 November 2026": the day the counted period starts (the previous
    /// working day).
    pub since: String,
    pub new: usize,
    pub resolved: usize,
    pub open: usize,
    pub late: usize,
    /// The SKM's IKM of the answers given this semester: "87,50 (mutu B, Baik) dari 12
    /// responden", or `None` without respondents.
    pub ikm: Option<String>,
    /// What the figure is: "SKM PermenPANRB 14/2017, Semester II 2026".
    pub ikm_basis: String,
    /// The quick single ratings of the semester, reported apart from the SKM.
    pub quick: Option<String>,
}
