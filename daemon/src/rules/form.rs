//! What staff start by mail at the office mailbox, read from a subject and a body
//! (pure): a consultation recorded from the front desk, the phone, WhatsApp or HAI CSO
//! (`[TATAP MUKA]` and its form), a paper SKM entry (`[SKM]`), and the desk commands
//! (`#antrean`, `#cari`, `#riwayat`).
//!
//! The form is `Label: value` lines, Indonesian labels with English aliases, in any
//! case, with the bold marks (`*Nama*:`) that HTML-only clients leave when turned into
//! text. `Pertanyaan` and `Jawaban` run over several lines, up to the next label. A
//! signature (`-- `, "Sent from my iPhone", "Salam,") or a quote ends the form:
//! nothing under it is read.

use super::kinds::Channel;

/// What a staff-started mail asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// A consultation to record from its form (`[TATAP MUKA]`, `[TELEPON]`, `[WA]`,
    /// `[HAI CSO]`).
    Form(Channel),
    /// A paper SKM questionnaire entered by a CSO (`[SKM]`).
    Skm,
    Command(DeskCommand),
}

/// A desk command: the sender's own queue, a search, a requester's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskCommand {
    /// `#antrean` (`#queue`).
    Queue,
    /// `#cari <kata>` (`#search`).
    Search(String),
    /// `#riwayat <alamat>` (`#history`).
    History(String),
    /// `#tiket <nomor>` (`#ticket`): the rest of the mail is a staff reply about that
    /// ticket, as if it answered the ticket's notification (the digest's reply link).
    Ticket(i64),
}

/// The subject words that name a channel (upper case, spaces collapsed, `-`/`_` as
/// spaces), and `SKM`.
const CHANNEL_WORDS: &[(&str, Option<Channel>)] = &[
    ("TATAP MUKA", Some(Channel::TatapMuka)),
    ("TATAPMUKA", Some(Channel::TatapMuka)),
    ("WALK IN", Some(Channel::TatapMuka)),
    ("WALKIN", Some(Channel::TatapMuka)),
    ("IN PERSON", Some(Channel::TatapMuka)),
    ("TELEPON", Some(Channel::Telepon)),
    ("TELPON", Some(Channel::Telepon)),
    ("TELP", Some(Channel::Telepon)),
    ("PHONE", Some(Channel::Telepon)),
    ("TELEPHONE", Some(Channel::Telepon)),
    ("WA", Some(Channel::Wa)),
    ("WHATSAPP", Some(Channel::Wa)),
    ("HAI CSO", Some(Channel::HaiCso)),
    ("HAICSO", Some(Channel::HaiCso)),
    ("SKM", None),
];

/// What `subject` and the new text `text` of a mail ask, when it is staff work: a desk
/// command on the first line of the text (a form never starts with `#`, and a reply to
/// the standing mail keeps its `[TATAP MUKA]` subject), a bracketed channel word
/// anywhere in the subject (`Re: [TATAP MUKA] catat`), or a command as the subject.
pub fn read(subject: &str, text: &str) -> Option<Started> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if let Some(c) = first.and_then(command) {
        return Some(Started::Command(c));
    }
    bracketed(subject).or_else(|| command(strip_prefixes(subject)).map(Started::Command))
}

fn bracketed(subject: &str) -> Option<Started> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner: String = after[..close]
            .chars()
            .map(|c| if c == '-' || c == '_' { ' ' } else { c })
            .collect::<String>()
            .to_uppercase();
        let inner = inner.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some((_, channel)) = CHANNEL_WORDS.iter().find(|(w, _)| *w == inner) {
            return Some(match channel {
                Some(c) => Started::Form(*c),
                None => Started::Skm,
            });
        }
        rest = &after[close + 1..];
    }
    None
}

/// The subject without `Re:`/`Fwd:`/`AW:`/`TR:` prefixes.
fn strip_prefixes(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let Some((word, rest)) = s.split_once(':') else {
            return s;
        };
        let w = word.trim().to_ascii_lowercase();
        if [
            "re", "fwd", "fw", "aw", "tr", "rv", "wg", "balas", "terusan",
        ]
        .contains(&w.as_str())
        {
            s = rest.trim_start();
        } else {
            return s;
        }
    }
}

/// A desk command on `line` (`#antrean`, `#cari SP2D 123`), any case.
fn command(line: &str) -> Option<DeskCommand> {
    let body = line.trim().strip_prefix('#')?.trim_start();
    let (word, arg) = match body.split_once(char::is_whitespace) {
        Some((w, a)) => (w, a.trim()),
        None => (body, ""),
    };
    let word = word
        .trim_end_matches(['.', ',', ':', ';'])
        .to_ascii_lowercase();
    match word.as_str() {
        "antrean" | "antrian" | "queue" => Some(DeskCommand::Queue),
        "cari" | "search" => Some(DeskCommand::Search(arg.to_string())),
        "riwayat" | "history" => Some(DeskCommand::History(arg.to_string())),
        "tiket" | "ticket" => {
            let number = arg.split_whitespace().next()?.trim_start_matches('#');
            number
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .map(DeskCommand::Ticket)
        }
        _ => None,
    }
}

/// A recorded consultation, as the CSO filled its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub name: String,
    pub institution: String,
    pub contact: Contact,
    /// The service code as written, upper case (checked against the standards by the
    /// caller).
    pub service: String,
    pub question: String,
    /// The answer given at the visit; `None` when not yet answered.
    pub answer: Option<String>,
}

/// How the visitor can be reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Lower case.
    pub email: Option<String>,
    /// Digits, with a leading `+` when written.
    pub phone: Option<String>,
}

impl Contact {
    /// The ticket's `requester`: the email when there is one (mail goes there), else
    /// `tel:<digits>`, else `tanpa-kontak`. Neither of the last two is an address, so
    /// nothing is ever mailed to them.
    pub fn requester(&self) -> String {
        match (&self.email, &self.phone) {
            (Some(e), _) => e.clone(),
            (None, Some(p)) => format!("tel:{p}"),
            (None, None) => NO_CONTACT.to_string(),
        }
    }
}

/// The requester of a consultation recorded without any contact.
pub const NO_CONTACT: &str = "tanpa-kontak";

/// One thing to fix in a form: the field (its Indonesian label) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub what: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Institution,
    Contact,
    Service,
    Question,
    Answer,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Name => "Nama",
            Field::Institution => "Instansi",
            Field::Contact => "Kontak",
            Field::Service => "Layanan",
            Field::Question => "Pertanyaan",
            Field::Answer => "Jawaban",
        }
    }

    fn multi_line(self) -> bool {
        matches!(self, Field::Question | Field::Answer)
    }

    fn of(label: &str) -> Option<Field> {
        let l = label.to_lowercase();
        let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(match l.as_str() {
            "nama" | "nama pengunjung" | "nama stakeholder" | "name" => Field::Name,
            "instansi" | "satker" | "instansi/satker" | "satker/instansi" | "unit"
            | "institution" | "agency" | "organisation" | "organization" => Field::Institution,
            "kontak" | "kontak stakeholder" | "no. hp/surel" | "hp/surel" | "contact" => {
                Field::Contact
            }
            "layanan" | "kode layanan" | "service" => Field::Service,
            "pertanyaan" | "permasalahan" | "pertanyaan/permasalahan" | "question" => {
                Field::Question
            }
            "jawaban" | "solusi" | "jawaban/solusi" | "answer" => Field::Answer,
            _ => return None,
        })
    }
}

/// The form's field lines as a template, for the standing mail and error replies.
pub const TEMPLATE: &str = "\
Nama: 
Instansi: 
Kontak: 
Layanan: KONS
Pertanyaan: 
Jawaban: ";

/// Reads the form in `text` (the mail's new text, quotes already cut); `services` are
/// the published service codes. Every problem is listed, so the CSO fixes the form in
/// one go.
pub fn parse(text: &str, services: &[&str]) -> Result<Form, Vec<Problem>> {
    let mut values: Vec<(Field, Vec<String>)> = Vec::new();
    let mut problems = Vec::new();
    let mut current: Option<usize> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        if ends_form(line) {
            break;
        }
        if let Some((field, value)) = label_line(line) {
            if values.iter().any(|(f, _)| *f == field) {
                problems.push(Problem {
                    field: field.label(),
                    what: "ditulis lebih dari sekali; tulis sekali saja".into(),
                });
                current = None;
                continue;
            }
            values.push((field, vec![value.to_string()]));
            current = Some(values.len() - 1);
            continue;
        }
        if let Some(i) = current
            && values[i].0.multi_line()
        {
            values[i].1.push(line.trim().to_string());
        }
    }
    let get = |f: Field| -> Option<String> {
        values.iter().find(|(g, _)| *g == f).map(|(_, lines)| {
            let joined = lines.join("\n");
            joined.trim().to_string()
        })
    };
    let required = |f: Field, problems: &mut Vec<Problem>| -> String {
        match get(f) {
            Some(v) if !is_blank(&v) => v,
            Some(_) => {
                problems.push(Problem {
                    field: f.label(),
                    what: "kosong; isi setelah titik dua".into(),
                });
                String::new()
            }
            None => {
                problems.push(Problem {
                    field: f.label(),
                    what: format!("tidak ada; tambahkan baris `{}: ...`", f.label()),
                });
                String::new()
            }
        }
    };
    let name = required(Field::Name, &mut problems);
    let institution = required(Field::Institution, &mut problems);
    let service = required(Field::Service, &mut problems)
        .trim_matches(['[', ']'])
        .to_uppercase();
    if !service.is_empty() && !services.iter().any(|c| c.eq_ignore_ascii_case(&service)) {
        problems.push(Problem {
            field: "Layanan",
            what: format!(
                "kode `{service}` bukan kode layanan yang diterbitkan; gunakan salah satu: {}",
                services.join(", ")
            ),
        });
    }
    let question = required(Field::Question, &mut problems);
    let answer = get(Field::Answer).filter(|a| !is_blank(a));
    let contact = match get(Field::Contact) {
        None => {
            problems.push(Problem {
                field: "Kontak",
                what: "tidak ada; tambahkan baris `Kontak: ...` dengan alamat surel dan/atau \
                       nomor telepon (tulis `-` bila pengunjung tidak memberikan kontak)"
                    .into(),
            });
            Contact::default()
        }
        Some(v) => match contact(&v) {
            Ok(c) => c,
            Err(what) => {
                problems.push(Problem {
                    field: "Kontak",
                    what,
                });
                Contact::default()
            }
        },
    };
    if answer.is_none()
        && contact == Contact::default()
        && problems.iter().all(|p| p.field != "Kontak")
    {
        problems.push(Problem {
            field: "Kontak",
            what: "wajib diisi bila Jawaban belum ada: jawaban atau konfirmasi harus sampai \
                   kepada pengunjung paling lambat 3 hari kerja setelah konsultasi"
                .into(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Form {
        name: single_line(&name),
        institution: single_line(&institution),
        contact,
        service,
        question,
        answer,
    })
}

fn single_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Empty, or a placeholder people write for "nothing": `-`, `(kosong)`, `…`.
fn is_blank(v: &str) -> bool {
    let v = v.trim().trim_matches(['(', ')', '.', '…']).trim();
    v.is_empty()
        || v == "-"
        || v == "—"
        || ["kosong", "belum", "belum ada", "none", "n/a", "tidak ada"]
            .contains(&v.to_lowercase().as_str())
}

/// `Label: value` with a known label; bold marks and bullets around the label are
/// allowed, and `：` (full-width colon, from some phone keyboards).
fn label_line(line: &str) -> Option<(Field, &str)> {
    let t = line.trim_start();
    if t.starts_with('>') {
        return None;
    }
    let colon = t.find([':', '：'])?;
    let label = t[..colon]
        .trim()
        .trim_start_matches(['-', '•', '*', '_'])
        .trim_end_matches(['*', '_'])
        .trim();
    let field = Field::of(label)?;
    let sep = t[colon..].chars().next().map_or(1, char::len_utf8);
    let value = t[colon + sep..]
        .trim()
        .trim_start_matches(['*', '_'])
        .trim();
    Some((field, value))
}

/// Where the form ends: a signature, a sign-off, or the start of a quote.
fn ends_form(line: &str) -> bool {
    let t = line.trim();
    if line == "-- " || t == "--" || t.starts_with('>') {
        return true;
    }
    let l = t.to_lowercase();
    const STARTS: [&str; 9] = [
        "sent from my",
        "dikirim dari",
        "get outlook for",
        "-----original message",
        "----- original message",
        "________________",
        "salam,",
        "hormat saya,",
        "regards,",
    ];
    if STARTS.iter().any(|s| l.starts_with(s)) {
        return true;
    }
    // "On Tue, 1 Dec 2026 … wrote:" / "Pada … menulis:"
    (l.starts_with("on ") && l.ends_with("wrote:"))
        || (l.starts_with("pada ") && l.ends_with("menulis:"))
        || [
            "salam",
            "wassalam",
            "regards",
            "best regards",
            "kind regards",
        ]
        .contains(&l.as_str())
}

/// Reads `Kontak`: an email and/or a phone number (any separators), or `-` for none.
fn contact(value: &str) -> Result<Contact, String> {
    if is_blank(value) {
        return Ok(Contact::default());
    }
    let mut email = None;
    let mut rest = String::new();
    for token in value.split(|c: char| c.is_whitespace() || c == '/' || c == ',' || c == ';') {
        let token = token.trim_matches(['<', '>', '(', ')', '[', ']', '.']);
        let token = token.strip_prefix("mailto:").unwrap_or(token);
        if token.contains('@') {
            if !plausible_email(token) {
                return Err(format!(
                    "`{token}` bukan alamat surel yang dapat dikirimi; periksa penulisannya"
                ));
            }
            if email.is_some() {
                return Err("berisi lebih dari satu alamat surel; tulis satu saja".into());
            }
            email = Some(token.to_lowercase());
        } else {
            rest.push_str(token);
            rest.push(' ');
        }
    }
    let rest = rest.trim();
    let lower = rest.to_lowercase();
    let words_only = lower.split_whitespace().all(|w| {
        [
            "hp", "wa", "telp", "telepon", "tel", "no", "no.", "surel", "email", "-",
        ]
        .contains(&w)
    });
    let phone = if rest.is_empty() || words_only {
        None
    } else {
        Some(phone(rest).ok_or_else(|| {
            format!(
                "nomor telepon `{rest}` tidak terbaca: tulis 8 sampai 15 angka, misalnya 081234567890"
            )
        })?)
    };
    Ok(Contact { email, phone })
}

/// A phone number as the desk keeps it: its digits, an Indonesian `+62`/`62` prefix
/// written as the national `0` (`+62 812-3456-7890` and `0812 3456 7890` are one
/// number); `None` unless 8 to 15 digits.
pub fn phone(written: &str) -> Option<String> {
    let digits: String = written.chars().filter(char::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) {
        return None;
    }
    let international = written.trim_start().starts_with('+');
    Some(match digits.strip_prefix("62") {
        Some(rest) if rest.starts_with('8') || international => format!("0{rest}"),
        _ if international => format!("+{digits}"),
        _ => digits,
    })
}

fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains("..")
        && s.chars().all(|c| !c.is_whitespace() && c.is_ascii())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn subjects_name_channels_with_prefixes_and_aliases() {
        for (s, want) in [
            ("[TATAP MUKA]", Started::Form(Channel::TatapMuka)),
            (
                "Re: [tatap muka] catat konsultasi",
                Started::Form(Channel::TatapMuka),
            ),
            ("Fwd: RE: [Tatap-Muka]", Started::Form(Channel::TatapMuka)),
            ("[walk-in] visitor", Started::Form(Channel::TatapMuka)),
            ("[TELEPON] pak Budi", Started::Form(Channel::Telepon)),
            ("[phone]", Started::Form(Channel::Telepon)),
            ("[WA]", Started::Form(Channel::Wa)),
            ("[WhatsApp]", Started::Form(Channel::Wa)),
            ("[HAI CSO] tiket OM SPAN", Started::Form(Channel::HaiCso)),
            ("[skm] #12", Started::Skm),
        ] {
            assert_eq!(read(s, ""), Some(want), "{s}");
        }
        // Ticket tags and service codes are not channels.
        assert_eq!(read("[KPPN-TSL #12] [KONS] pertanyaan", ""), None);
        assert_eq!(read("Tatap muka besok", ""), None);
    }

    #[test]
    fn commands_on_the_first_line_or_as_the_subject() {
        assert_eq!(
            read("", "\n  #antrean\n"),
            Some(Started::Command(DeskCommand::Queue))
        );
        assert_eq!(
            read("#queue", ""),
            Some(Started::Command(DeskCommand::Queue))
        );
        assert_eq!(
            read("Re: antrean", "#Cari SP2D 260123\nterima kasih"),
            Some(Started::Command(DeskCommand::Search("SP2D 260123".into())))
        );
        assert_eq!(
            read("", "#history siti@example.test"),
            Some(Started::Command(DeskCommand::History(
                "siti@example.test".into()
            )))
        );
        assert_eq!(
            read("", "#riwayat"),
            Some(Started::Command(DeskCommand::History(String::new())))
        );
        assert_eq!(
            read(
                "Re: Ringkasan harian",
                "#tiket 12\nSudah kami cek.\n#selesai"
            ),
            Some(Started::Command(DeskCommand::Ticket(12)))
        );
        assert_eq!(
            read("", "#Ticket #7"),
            Some(Started::Command(DeskCommand::Ticket(7)))
        );
        assert_eq!(read("", "#tiket dua"), None);
        assert_eq!(read("", "#tiket 0"), None);
        assert_eq!(read("", "Halo\n#antrean"), None);
        assert_eq!(read("", "#selesai"), None);
    }

    const GOOD: &str = "Selamat pagi,\n\nNama: Siti Aminah\nInstansi: Satker 123456 Dinas PUPR Kab. Bulungan\n\
        Kontak: siti@example.test / 0812-3456-7890\nLayanan: kons\n\
        Pertanyaan: Bagaimana cara revisi DIPA?\nPerlu untuk bulan depan.\n\
        Jawaban: Melalui SAKTI,\nmodul revisi.\n\n-- \nBudi, CSO\n";

    #[test]
    fn a_full_form_with_multi_line_fields_and_a_signature() {
        let f = parse(GOOD, &["KONS"]).unwrap();
        assert_eq!(f.name, "Siti Aminah");
        assert_eq!(f.institution, "Satker 123456 Dinas PUPR Kab. Bulungan");
        assert_eq!(f.contact.email.as_deref(), Some("siti@example.test"));
        assert_eq!(f.contact.phone.as_deref(), Some("081234567890"));
        assert_eq!(f.contact.requester(), "siti@example.test");
        assert_eq!(f.service, "KONS");
        assert_eq!(
            f.question,
            "Bagaimana cara revisi DIPA?\nPerlu untuk bulan depan."
        );
        assert_eq!(f.answer.as_deref(), Some("Melalui SAKTI,\nmodul revisi."));
    }

    #[test]
    fn english_labels_bold_marks_and_no_answer() {
        let f = parse(
            "*Name:* Joko\n*Institution*: Satker 654321\nContact: +62 812 3456 7890\nService: KONS\n\
             Question: Kapan SP2D terbit?\nAnswer: -\nSent from my iPhone",
            &["KONS"],
        )
        .unwrap();
        assert_eq!(f.name, "Joko");
        assert_eq!(f.contact.requester(), "tel:081234567890");
        assert_eq!(f.answer, None);
    }

    #[test]
    fn phone_numbers_are_kept_in_one_form() {
        for written in [
            "0812 3456 7890",
            "+62 812-3456-7890",
            "62812.3456.7890",
            "(0812) 34567890",
        ] {
            assert_eq!(phone(written).as_deref(), Some("081234567890"), "{written}");
        }
        assert_eq!(phone("+1 415 555 0100").as_deref(), Some("+14155550100"));
        assert_eq!(phone("0552 2034375").as_deref(), Some("05522034375"));
        assert_eq!(phone("0812…"), None);
    }

    #[test]
    fn every_problem_is_listed() {
        let problems = parse(
            "Nama: \nKontak: 0812…\nLayanan: ABC\nPertanyaan: x\nPertanyaan: y",
            &["KONS"],
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert!(fields.contains(&"Nama"), "{problems:?}");
        assert!(fields.contains(&"Instansi"), "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.field == "Layanan" && p.what.contains("`ABC`")),
            "{problems:?}"
        );
        assert!(fields.contains(&"Kontak"), "{problems:?}");
        assert!(fields.contains(&"Pertanyaan"), "{problems:?}");
    }

    #[test]
    fn contact_is_needed_when_there_is_no_answer() {
        let base = "Nama: A\nInstansi: B\nLayanan: KONS\nPertanyaan: C\n";
        let p = parse(&format!("{base}Kontak: -\n"), &["KONS"]).unwrap_err();
        assert_eq!(p[0].field, "Kontak");
        let f = parse(&format!("{base}Kontak: -\nJawaban: D"), &["KONS"]).unwrap();
        assert_eq!(f.contact.requester(), NO_CONTACT);
        let p = parse(&format!("{base}Kontak: siti@@x\nJawaban: D"), &["KONS"]).unwrap_err();
        assert_eq!(p[0].field, "Kontak");
    }

    #[test]
    fn quoted_lines_end_the_form() {
        let f = parse(
            "Nama: A\nInstansi: B\nKontak: a@b.test\nLayanan: KONS\nPertanyaan: C\n\n\
             On Tue, 1 Dec 2026 at 09:00, Layanan <l@k.example> wrote:\n> Nama:\n> Jawaban: ",
            &["KONS"],
        )
        .unwrap();
        assert_eq!(f.question, "C");
        assert_eq!(f.answer, None);
    }
}
