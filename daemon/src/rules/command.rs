//! Staff commands on the first lines of a staff reply (run on the text that
//! `mail::quote::strip_reply` returns).
//!
//! Grammar, chosen to be forgiving on phone keyboards and strict where a mistake would
//! reach the stakeholder:
//! - Blank lines before the first command are skipped; the command block is the run of
//!   lines starting with `#` that follows; the first other line starts the text. A `#`
//!   line further down is ordinary text.
//! - One command per line, case-insensitive, Indonesian word or English alias; trailing
//!   `.,:;` after a word is ignored. `# dokumen` (a space after `#`, which some
//!   keyboards insert) is accepted for known words only; `# Judul` is then plain text.
//!   `#1234` (a ticket number) is text, not a command.
//! - Whatever follows a command (and its argument) on the same line is the first line of
//!   the text, so `#selesai Sudah kami proses.` works.
//! - At most one command that decides what happens to the message (`#dokumen`,
//!   `#eskalasi`, `#progres`, `#selesai`, `#catatan`, `#tutup`) and at most one ownership
//!   command (`#ambil`, `#alihkan`); e.g. `#ambil` + `#dokumen` is fine.
//! - `#dokumen`, `#progres`, `#selesai` and `#catatan` need text: an empty message must
//!   never go out as an answer.

use std::fmt;

/// One staff command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ask the stakeholder for supporting documents (the text lists them).
    Documents,
    /// Hand the ticket to a section head; `section` is the code as typed (e.g. "pd").
    Escalate { section: String },
    /// Send the text to the stakeholder as a progress update; with a date, the new
    /// expected completion (after a missed deadline, the only one mails may promise).
    Progress { expected: Option<chrono::NaiveDate> },
    /// Send the text as the final answer with status "Resolved".
    Resolve,
    /// Internal note to the other staff; never reaches the stakeholder.
    Note,
    /// Take ownership of the ticket.
    Take,
    /// Give the ticket to another staff member (address or name as typed).
    Assign { staff: String },
    /// Close without a reply (spam, duplicate).
    Close,
    /// Send the held reply anyway (`#kirim`).
    Send,
    /// This ticket belongs to ticket `into` (`#gabung 17`).
    Merge { into: i64 },
}

impl Command {
    /// The Indonesian keyword, as staff see it in messages.
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            Command::Documents => "#dokumen",
            Command::Escalate { .. } => "#eskalasi",
            Command::Progress { .. } => "#progres",
            Command::Resolve => "#selesai",
            Command::Note => "#catatan",
            Command::Take => "#ambil",
            Command::Assign { .. } => "#alihkan",
            Command::Close => "#tutup",
            Command::Send => "#kirim",
            Command::Merge { .. } => "#gabung",
        }
    }

    fn is_ownership(&self) -> bool {
        matches!(self, Command::Take | Command::Assign { .. })
    }

    fn needs_text(&self) -> Option<&'static str> {
        match self {
            Command::Documents => Some("daftar dokumen yang diminta"),
            Command::Progress { .. } => Some("kabar perkembangan untuk stakeholder"),
            Command::Resolve => Some("jawaban akhir untuk stakeholder"),
            Command::Note => Some("isi catatan"),
            _ => None,
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Escalate { section } => write!(f, "#eskalasi {section}"),
            Command::Assign { staff } => write!(f, "#alihkan {staff}"),
            Command::Merge { into } => write!(f, "#gabung {into}"),
            other => f.write_str(other.keyword()),
        }
    }
}

/// A staff reply split into its commands and the rest of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// In the order written; empty for a plain reply (relay it as the answer).
    pub commands: Vec<Command>,
    /// The rest of the reply, trimmed.
    pub text: String,
}

/// What is wrong with a staff reply's commands; the message is shown to the staff
/// member (in Indonesian), followed by `cheat_sheet()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("Perintah `{word}` pada baris {line} tidak dikenal.")]
    Unknown { line: usize, word: String },
    #[error("Perintah `{command}` memerlukan {what}, misalnya `{example}`.")]
    MissingArgument {
        command: &'static str,
        what: &'static str,
        example: &'static str,
    },
    #[error("Perintah `{first}` dan `{second}` tidak dapat dipakai bersamaan; pilih salah satu.")]
    Conflict {
        first: &'static str,
        second: &'static str,
    },
    #[error("Perintah `{command}` memerlukan teks di bawahnya: {what}.")]
    MissingText {
        command: &'static str,
        what: &'static str,
    },
}

/// The commands, one line each, for notifications and error replies.
pub(crate) fn cheat_sheet() -> &'static str {
    "\
Perintah (tulis di baris pertama balasan; tanpa perintah, balasan dikirim sebagai jawaban):
#dokumen (#documents) - minta dokumen pendukung; tulis daftar dokumennya di bawahnya
#eskalasi <kode seksi> (#escalate) - teruskan ke Kepala Seksi, misalnya #eskalasi pd
#progres [tanggal] (#progress) - kirim kabar perkembangan; dengan tanggal (mis. #progres 10-12-2026), perkiraan selesai yang baru
#selesai (#resolve) - kirim jawaban akhir dengan status \"Resolved\"
#catatan (#note) - catatan internal untuk petugas lain, tidak dikirim ke stakeholder
#ambil (#take) - ambil alih tiket ini
#alihkan <alamat petugas> (#assign) - serahkan tiket kepada petugas lain
#tutup (#close) - tutup tiket tanpa balasan (spam atau duplikat)
#kirim (#send) - kirim balasan yang ditahan apa adanya
#gabung <nomor tiket> (#merge) - gabungkan tiket ini ke tiket lain, misalnya #gabung 17
#templat <nama> (#template) - pada barisnya sendiri di dalam jawaban: sisipkan jawaban baku dari Tanya Jawab
Tulis balasan di atas kutipan; teks di bawah atau di sela kutipan tidak dikirim.
"
}

/// Splits a staff reply (quotes already stripped) into commands and text.
pub fn parse(body: &str) -> Result<Parsed, CommandError> {
    let mut commands: Vec<Command> = Vec::new();
    let mut text_lines: Vec<&str> = Vec::new();
    let mut in_block = true;
    for (index, line) in body.lines().enumerate() {
        if !in_block {
            text_lines.push(line);
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() && commands.is_empty() {
            continue;
        }
        if let Some((command, rest)) = parse_line(trimmed, index + 1)? {
            check_conflict(&commands, &command)?;
            commands.push(command);
            if !rest.is_empty() {
                text_lines.push(rest);
            }
        } else {
            in_block = false;
            text_lines.push(line);
        }
    }
    let text = text_lines.join("\n").trim().to_string();
    if text.is_empty()
        && let Some((command, what)) = commands
            .iter()
            .find_map(|c| c.needs_text().map(|w| (c.keyword(), w)))
    {
        return Err(CommandError::MissingText { command, what });
    }
    Ok(Parsed { commands, text })
}

/// `Ok(None)` when the line is not a command line (it starts the text).
fn parse_line(line: &str, number: usize) -> Result<Option<(Command, &str)>, CommandError> {
    let Some(after_hash) = line.strip_prefix('#') else {
        return Ok(None);
    };
    let spaced = after_hash.starts_with(char::is_whitespace);
    let after_hash = after_hash.trim_start();
    if !after_hash.starts_with(|c: char| c.is_alphabetic()) {
        return Ok(None);
    }
    let (word, rest) = split_word(after_hash);
    let key = clean(word).to_lowercase();
    let no_arg = |c: Command| Ok(Some((c, rest)));
    match key.as_str() {
        "dokumen" | "documents" | "document" => no_arg(Command::Documents),
        "progres" | "progress" => {
            let (expected, rest) = leading_date(rest);
            Ok(Some((Command::Progress { expected }, rest)))
        }
        "kirim" | "send" => no_arg(Command::Send),
        "gabung" | "merge" => {
            let (arg, rest) = split_word(rest);
            match clean(arg).trim_start_matches('#').parse::<i64>() {
                Ok(into) if into > 0 => Ok(Some((Command::Merge { into }, rest))),
                _ => Err(CommandError::MissingArgument {
                    command: "#gabung",
                    what: "nomor tiket tujuan",
                    example: "#gabung 17",
                }),
            }
        }
        "selesai" | "resolve" | "resolved" => no_arg(Command::Resolve),
        "catatan" | "note" => no_arg(Command::Note),
        "ambil" | "take" => no_arg(Command::Take),
        "tutup" | "close" => no_arg(Command::Close),
        "eskalasi" | "escalate" => {
            let (arg, rest) = split_word(rest);
            let section = clean(arg);
            if section.is_empty() {
                return Err(CommandError::MissingArgument {
                    command: "#eskalasi",
                    what: "kode seksi",
                    example: "#eskalasi pd",
                });
            }
            Ok(Some((
                Command::Escalate {
                    section: section.to_string(),
                },
                rest,
            )))
        }
        "alihkan" | "assign" => {
            let (arg, rest) = split_word(rest);
            let staff = clean(arg);
            if staff.is_empty() {
                return Err(CommandError::MissingArgument {
                    command: "#alihkan",
                    what: "alamat email petugas tujuan",
                    example: "#alihkan cso2@kppn.example",
                });
            }
            Ok(Some((
                Command::Assign {
                    staff: staff.to_string(),
                },
                rest,
            )))
        }
        _ if spaced => Ok(None),
        _ => Err(CommandError::Unknown {
            line: number,
            word: format!("#{}", clean(word)),
        }),
    }
}

/// A date at the start of `rest` (`10-12-2026`, `10/12/2026`, `2026-12-10`,
/// `10 Desember 2026`), and what follows it.
fn leading_date(rest: &str) -> (Option<chrono::NaiveDate>, &str) {
    use chrono::NaiveDate;
    let (first, after_first) = split_word(rest);
    let first = clean(first);
    for fmt in ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(first, fmt) {
            return (Some(d), after_first);
        }
    }
    let (month, after_month) = split_word(after_first);
    let (year, after_year) = split_word(after_month);
    let month = loket_core::text::parse_month(clean(month));
    match (first.parse::<u32>(), month, clean(year).parse::<i32>()) {
        (Ok(d), Some(m), Ok(y)) => match NaiveDate::from_ymd_opt(y, m, d) {
            Some(date) => (Some(date), after_year),
            None => (None, rest),
        },
        _ => (None, rest),
    }
}

/// The command a single line is, if it is one (text after it on the line ignored).
pub(crate) fn line_command(line: &str) -> Option<Command> {
    parse_line(line.trim(), 1).ok().flatten().map(|(c, _)| c)
}

/// The first line of `text` (1-based, counting from `first_line`) that starts with a
/// command word: a command below the first lines is not run, and must not go out as
/// text either.
pub fn misplaced(text: &str) -> Option<(usize, String)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let t = line.trim();
        match parse_line(t, i + 1) {
            Ok(Some((c, _))) => Some((i + 1, c.keyword().to_string())),
            _ => None,
        }
    })
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    }
}

fn clean(word: &str) -> &str {
    word.trim_end_matches(['.', ',', ':', ';'])
}

fn check_conflict(existing: &[Command], new: &Command) -> Result<(), CommandError> {
    let clash = existing
        .iter()
        .find(|c| c.is_ownership() == new.is_ownership());
    match clash {
        Some(c) => Err(CommandError::Conflict {
            first: c.keyword(),
            second: new.keyword(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ok(body: &str) -> Parsed {
        parse(body).unwrap_or_else(|e| panic!("{body:?}: {e}"))
    }

    #[test]
    fn plain_reply_has_no_commands() {
        let p = ok("\n  Selamat siang, SPM Bapak sudah kami proses.\n\nSalam\n");
        assert!(p.commands.is_empty());
        assert_eq!(
            p.text,
            "Selamat siang, SPM Bapak sudah kami proses.\n\nSalam"
        );
    }

    #[test]
    fn every_command_and_alias() {
        let cases: [(&str, Command); 16] = [
            ("#dokumen", Command::Documents),
            ("#documents", Command::Documents),
            ("#progres", Command::Progress { expected: None }),
            ("#progress", Command::Progress { expected: None }),
            ("#selesai", Command::Resolve),
            ("#resolve", Command::Resolve),
            ("#catatan", Command::Note),
            ("#note", Command::Note),
            ("#ambil", Command::Take),
            ("#take", Command::Take),
            ("#tutup", Command::Close),
            ("#close", Command::Close),
            (
                "#eskalasi pd",
                Command::Escalate {
                    section: "pd".into(),
                },
            ),
            (
                "#escalate vera",
                Command::Escalate {
                    section: "vera".into(),
                },
            ),
            (
                "#alihkan cso2@x.example",
                Command::Assign {
                    staff: "cso2@x.example".into(),
                },
            ),
            (
                "#assign cso2@x.example",
                Command::Assign {
                    staff: "cso2@x.example".into(),
                },
            ),
        ];
        for (line, expected) in cases {
            let p = ok(&format!("{line}\nIsi pesan."));
            assert_eq!(p.commands, vec![expected], "{line}");
            assert_eq!(p.text, "Isi pesan.");
        }
    }

    #[test]
    fn case_spacing_and_punctuation_are_tolerated() {
        assert_eq!(ok("#SELESAI\nx").commands, vec![Command::Resolve]);
        assert_eq!(ok("# dokumen\nKTP").commands, vec![Command::Documents]);
        assert_eq!(ok("  #Selesai.\nx").commands, vec![Command::Resolve]);
        assert_eq!(
            ok("#Eskalasi PD,\n").commands,
            vec![Command::Escalate {
                section: "PD".into()
            }]
        );
    }

    #[test]
    fn rest_of_command_line_is_text() {
        let p = ok("#selesai Sudah kami proses.\nTerima kasih.");
        assert_eq!(p.commands, vec![Command::Resolve]);
        assert_eq!(p.text, "Sudah kami proses.\nTerima kasih.");
        let p = ok("#eskalasi pd mohon dibantu");
        assert_eq!(p.text, "mohon dibantu");
    }

    #[test]
    fn ownership_combines_with_one_action() {
        let p = ok("#ambil\n#dokumen\nMohon kirim SPM dan SP2D.\n#selesai di sini hanya teks");
        assert_eq!(p.commands, vec![Command::Take, Command::Documents]);
        assert_eq!(
            p.text,
            "Mohon kirim SPM dan SP2D.\n#selesai di sini hanya teks"
        );
    }

    #[test]
    fn conflicting_commands_are_an_error() {
        let err = parse("#selesai\n#dokumen\nx").unwrap_err();
        assert_eq!(
            err,
            CommandError::Conflict {
                first: "#selesai",
                second: "#dokumen"
            }
        );
        assert!(err.to_string().contains("#selesai") && err.to_string().contains("#dokumen"));
        assert!(parse("#ambil\n#alihkan a@b\nx").is_err());
        assert!(parse("#catatan\n#progres\nx").is_err());
    }

    #[test]
    fn missing_argument_is_an_error() {
        let err = parse("#eskalasi\nTolong dibantu").unwrap_err();
        assert!(matches!(
            err,
            CommandError::MissingArgument {
                command: "#eskalasi",
                ..
            }
        ));
        assert!(err.to_string().contains("#eskalasi pd"));
        assert!(matches!(
            parse("#alihkan").unwrap_err(),
            CommandError::MissingArgument {
                command: "#alihkan",
                ..
            }
        ));
    }

    #[test]
    fn commands_that_send_text_need_text() {
        for cmd in ["#selesai", "#dokumen", "#progres", "#catatan"] {
            assert!(
                matches!(parse(cmd), Err(CommandError::MissingText { .. })),
                "{cmd}"
            );
        }
        assert_eq!(ok("#tutup").commands, vec![Command::Close]);
        assert_eq!(ok("#ambil").text, "");
        assert_eq!(ok("#eskalasi pd").text, "");
    }

    #[test]
    fn unknown_command_names_word_and_line() {
        let err = parse("\n#slesai\nJawaban").unwrap_err();
        assert_eq!(
            err,
            CommandError::Unknown {
                line: 2,
                word: "#slesai".into()
            }
        );
        assert!(err.to_string().contains("`#slesai`"));
    }

    #[test]
    fn hash_lines_that_are_not_commands_start_the_text() {
        assert!(ok("#1234 sudah kami terima").commands.is_empty());
        assert!(ok("# Jawaban\nisi").commands.is_empty());
        assert!(ok("#\nisi").commands.is_empty());
        // An unknown word later in the text is not an error.
        assert!(ok("Halo\n#apaini").commands.is_empty());
    }

    #[test]
    fn cheat_sheet_lists_every_command() {
        let sheet = cheat_sheet();
        for word in [
            "#dokumen",
            "#documents",
            "#eskalasi",
            "#escalate",
            "#progres",
            "#progress",
            "#selesai",
            "#resolve",
            "#catatan",
            "#note",
            "#ambil",
            "#take",
            "#alihkan",
            "#assign",
            "#tutup",
            "#close",
        ] {
            assert!(sheet.contains(word), "{word}");
        }
    }
}
