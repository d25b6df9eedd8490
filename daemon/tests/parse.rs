//! Parsing real-looking mail: encodings, bodies, attachments, automatic mail, threading
//! headers, and input built to break a parser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use loketd::mail::autodetect::AutoReason;
use loketd::mail::parse::{Address, ParseError, ParsedMail, parse};
use loketd::mail::subject;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> ParsedMail {
    let path = fixture_path(&format!("mail/{name}"));
    let raw = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    parse(&raw).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// A mail from headers and a body, CRLF line ends.
fn mail(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\n\n{body}\n")
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

const ORDINARY: &str = "From: Budi <budi@example.id>\nTo: layanan@kppn.example\nSubject: Tanya\nMessage-ID: <o.1@example.id>";

#[test]
fn iso_8859_1_quoted_printable_body_and_q_subject() {
    let m = fixture("latin1-qp.eml");
    assert_eq!(m.subject, "Pertanyaan tentang café");
    assert!(
        m.text.contains("Café à Tanjung Selor - ¡señor!"),
        "{:?}",
        m.text
    );
    assert!(!m.text.contains('\r'));
    assert!(!m.html);
    assert_eq!(
        m.from,
        Some(Address {
            name: Some("Siti Núr".into()),
            email: "Siti@contoh.co.id".into()
        })
    );
    let date = m.date.expect("date");
    assert_eq!(date.to_rfc3339(), "2024-05-14T01:30:00+00:00");
    assert_eq!(m.message_id.as_deref(), Some("latin1.qp.1@contoh.co.id"));
}

#[test]
fn base64_utf8_body_and_split_b_subject() {
    let m = fixture("base64-utf8.eml");
    assert_eq!(m.subject, "Status SP2D — mohon dicek ✓");
    assert_eq!(
        m.text,
        "Yth. Bapak/Ibu,\n\nKami menanyakan status SP2D nomor 123 — sudah terbit? ✓\n\nSalam,\nAndi\n"
    );
    let to: Vec<&str> = m.to.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(
        to,
        [
            "layanan@kppn-tanjungselor.example",
            "kepala@kppn-tanjungselor.example"
        ]
    );
    assert_eq!(m.to[0].name.as_deref(), Some("Layanan KPPN"));
    assert_eq!(m.cc.len(), 1);
    assert_eq!(m.automatic, None);
}

#[test]
fn iso_8859_1_eight_bit_body_and_b_subject() {
    let m = fixture("latin1-8bit.eml");
    assert_eq!(m.subject, "Réf: Ümbuchung");
    assert_eq!(m.text.trim_end(), "Voilà: reçu, déjà payé.");
}

#[test]
fn html_only_mail_becomes_text_without_markup_or_script() {
    let m = fixture("html-only.eml");
    assert!(m.html);
    assert_eq!(m.text, "Selamat pagi,\nMohon bantuan & arahan.\nRina");
    for hidden in ["<", ">", "SKRIP", "document", "color", "Judul", "komentar"] {
        assert!(!m.text.contains(hidden), "{hidden:?} leaked: {:?}", m.text);
    }
    assert!(m.attachments.is_empty());
}

#[test]
fn multipart_alternative_prefers_text_plain() {
    let m = fixture("alternative.eml");
    assert!(!m.html);
    assert_eq!(m.text.trim_end(), "Versi teks polos.");
    assert!(m.attachments.is_empty(), "{:?}", m.attachments);
    assert_eq!(subject::service_code(&m.subject).as_deref(), Some("KONS"));
    assert_eq!(subject::clean(&m.subject), "Konsultasi revisi DIPA");
}

#[test]
fn hostile_attachment_names_come_out_safe() {
    let m = fixture("hostile-attachments.eml");
    assert_eq!(m.text.trim_end(), "Lihat lampiran.");
    let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(names.len(), 9, "{names:?}");
    assert_eq!(names[0], "passwd");
    assert_eq!(names[1], "x.pdf");
    assert_eq!(names[2], "y.pdf");
    assert_eq!(names[3], "ab.pdf");
    assert_eq!(names[4].len(), 100);
    assert!(names[4].ends_with(".pdf"));
    assert_eq!(names[5], "_CON.txt");
    assert_eq!(names[6], "htaccess");
    assert_eq!(names[7], "Surat Permohonan – No.1.pdf");
    assert_eq!(names[8], "lampiran.pdf");
    for a in &m.attachments {
        let f = &a.filename;
        assert!(!f.contains(['/', '\\', '\0']) && !f.starts_with('.') && !f.contains(".."));
        assert!(!f.chars().any(char::is_control), "{f:?}");
    }
    assert_eq!(
        m.attachments[0].original_name.as_deref(),
        Some("../../etc/passwd")
    );
    assert_eq!(m.attachments[0].content_type, "application/pdf");
    assert_eq!(m.attachments[0].data, b"%PDF-1.4 data");
    assert_eq!(m.attachments[5].content_type, "text/plain");
    assert_eq!(m.attachments[8].original_name, None);
}

#[test]
fn every_kind_of_automatic_mail_is_detected() {
    let cases: &[(&str, AutoReason)] = &[
        (
            "Auto-Submitted: auto-replied",
            AutoReason::AutoSubmitted("auto-replied".into()),
        ),
        (
            "Auto-Submitted: auto-generated",
            AutoReason::AutoSubmitted("auto-generated".into()),
        ),
        ("Precedence: bulk", AutoReason::Precedence("bulk".into())),
        ("Precedence: junk", AutoReason::Precedence("junk".into())),
        ("Precedence: list", AutoReason::Precedence("list".into())),
        (
            "List-Id: Berita <berita.example.id>",
            AutoReason::MailingList,
        ),
        (
            "List-Unsubscribe: <https://example.id/u>",
            AutoReason::MailingList,
        ),
        ("Return-Path: <>", AutoReason::Bounce),
        (
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=x",
            AutoReason::MultipartReport,
        ),
        ("X-Spam-Flag: YES", AutoReason::SpamFlag),
        (
            "X-Autoreply: yes",
            AutoReason::AutoSubmitted("x-autoreply".into()),
        ),
        (
            "X-Autorespond: on",
            AutoReason::AutoSubmitted("x-autorespond".into()),
        ),
    ];
    for (header, reason) in cases {
        let m = parse(&mail(&format!("{ORDINARY}\n{header}"), "isi")).expect("parses");
        assert_eq!(m.automatic.as_ref(), Some(reason), "{header}");
    }
    for from in ["MAILER-DAEMON@mx.example.id", "postmaster@example.id"] {
        let m = parse(&mail(&format!("From: {from}\nSubject: x"), "isi")).expect("parses");
        assert_eq!(m.automatic, Some(AutoReason::Bounce), "{from}");
    }
    assert_eq!(
        fixture("bounce.eml").automatic,
        Some(AutoReason::MultipartReport)
    );
    assert_eq!(
        fixture("vacation.eml").automatic,
        Some(AutoReason::AutoSubmitted("auto-replied".into()))
    );
    let no_from = parse(&mail("To: layanan@kppn.example\nSubject: x", "isi")).expect("parses");
    assert_eq!(no_from.automatic, Some(AutoReason::NoSender));
}

#[test]
fn ordinary_mail_is_not_automatic() {
    for extra in [
        "",
        "Auto-Submitted: no",
        "X-Auto-Response-Suppress: All",
        "Precedence: normal",
        "X-Spam-Flag: NO",
        "Return-Path: <budi@example.id>",
    ] {
        let headers = format!("{ORDINARY}\n{extra}");
        let m = parse(&mail(headers.trim_end(), "isi")).expect("parses");
        assert_eq!(m.automatic, None, "{extra}");
    }
    for name in [
        "latin1-qp.eml",
        "base64-utf8.eml",
        "html-only.eml",
        "threading.eml",
    ] {
        assert_eq!(fixture(name).automatic, None, "{name}");
    }
}

#[test]
fn own_message_id_is_flagged_by_the_caller() {
    let raw = mail(
        "From: layanan@kppn.example\nSubject: x\nMessage-ID: <loket.5.x@kppn.example>",
        "isi",
    );
    let mut m = parse(&raw).expect("parses");
    assert_eq!(m.automatic, None);
    assert!(m.is_own("kppn.example"));
    assert!(!m.is_own("other.example"));
    m.flag_own("kppn.example");
    assert_eq!(m.automatic, Some(AutoReason::OwnMessage));
}

#[test]
fn threading_headers_with_and_without_brackets_and_folding() {
    let m = fixture("threading.eml");
    assert_eq!(m.message_id.as_deref(), Some("reply.7@example.id"));
    assert_eq!(m.in_reply_to, ["loket.12.abc@kppn-tanjungselor.example"]);
    assert_eq!(
        m.references,
        [
            "first.1@example.id",
            "loket.12.abc@kppn-tanjungselor.example",
            "second.2@example.id"
        ]
    );
    assert_eq!(subject::ticket_tag(&m.subject, "KPPN-TSL"), Some(12));
    assert_eq!(
        subject::reply_subject("KPPN-TSL", 12, &m.subject),
        "[KPPN-TSL #12] Pertanyaan"
    );
}

#[test]
fn message_id_variants() {
    let id = |header: &str| {
        let m = parse(&mail(&format!("From: a@b.example\n{header}"), "x")).expect("parses");
        m.message_id
    };
    assert_eq!(
        id("Message-ID: <abc@example.id>"),
        Some("abc@example.id".into())
    );
    assert_eq!(
        id("Message-Id:   abc@example.id  "),
        Some("abc@example.id".into())
    );
    assert_eq!(
        id("Message-ID:\n <abc@example.id>"),
        Some("abc@example.id".into())
    );
    assert_eq!(id("Message-ID: <>"), None);
    assert_eq!(id("Message-ID:"), None);
    assert_eq!(id("Subject: none"), None);
    assert_eq!(fixture("no-message-id.eml").message_id, None);
}

#[test]
fn no_message_id_no_subject_no_date() {
    let m = fixture("no-message-id.eml");
    assert_eq!(m.message_id, None);
    assert_eq!(m.subject, "");
    assert_eq!(m.date, None);
    assert_eq!(m.text.trim_end(), "Tanpa Message-ID.");
    assert_eq!(subject::clean(&m.subject), "(tanpa subjek)");
}

#[test]
fn line_breaks_in_an_encoded_subject_never_survive() {
    let m = fixture("subject-injection.eml");
    assert!(!m.subject.contains(['\r', '\n', '\t']), "{:?}", m.subject);
    assert!(
        m.subject.starts_with("Halo Bcc: korban@example.id"),
        "{:?}",
        m.subject
    );
    let reply = subject::reply_subject("KPPN-TSL", 3, &m.subject);
    assert!(!reply.contains(['\r', '\n']));
}

#[test]
fn display_names_are_single_line() {
    let raw = mail(
        "From: =?UTF-8?B?QnVkaQ0KQmNjOiB4QHkuZXhhbXBsZQ==?= <budi@EXAMPLE.ID>\nSubject: x",
        "x",
    );
    let m = parse(&raw).expect("parses");
    let from = m.from.expect("from");
    assert_eq!(from.email, "budi@example.id");
    assert_eq!(from.name.as_deref(), Some("Budi Bcc: x@y.example"));
}

#[test]
fn authentication_results_topmost_first() {
    let raw = mail(
        &format!(
            "Authentication-Results: mx.kppn.example;\n\tdkim=pass header.d=example.id\n\
             Authentication-Results: relay.example; spf=pass\n{ORDINARY}"
        ),
        "x",
    );
    let m = parse(&raw).expect("parses");
    assert_eq!(
        m.auth_results,
        [
            "mx.kppn.example; dkim=pass header.d=example.id",
            "relay.example; spf=pass"
        ]
    );
    assert_eq!(m.size, raw.len());
}

#[test]
fn empty_and_headerless_input_is_an_error() {
    assert_eq!(parse(b"").unwrap_err(), ParseError::Empty);
    assert_eq!(parse(b" \r\n\r\n").unwrap_err(), ParseError::Empty);
    assert_eq!(
        parse(b"\r\n\r\njust a body").unwrap_err(),
        ParseError::NoHeaders
    );
    assert_eq!(
        parse(b"\r\n\r\njust a body").unwrap_err().to_string(),
        "not a mail: no header section"
    );
}

#[test]
fn binary_garbage_does_not_panic() {
    // Deterministic pseudo-random bytes (xorshift), with and without a header start.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut outcomes = [0usize; 2];
    for round in 0..200 {
        let mut bytes = Vec::with_capacity(2048);
        for _ in 0..2048 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push((state & 0xff) as u8);
        }
        if round % 2 == 0 {
            let mut with_header =
                b"Subject: x\r\nContent-Type: multipart/mixed; boundary=\"\x01\"\r\n\r\n".to_vec();
            with_header.extend_from_slice(&bytes);
            bytes = with_header;
        }
        outcomes[check(&bytes, &format!("garbage round {round}"))] += 1;
    }
    // mail-parser reads almost anything as a mail: what matters is that each result
    // keeps the guarantees `check` asserts.
    eprintln!("garbage: {outcomes:?} (refused, parsed)");
}

/// What `parse` must hold for any input: it returns (a panic inside mail-parser is
/// caught and becomes an error, reported here as a failure since none is known), an
/// error says what is wrong, and a parsed mail keeps the guarantees the rest of the
/// daemon relies on (its size, a single-line subject and names, safe attachment names).
/// 0 for an error, 1 for a parsed mail.
fn check(raw: &[u8], what: &str) -> usize {
    match parse(raw) {
        Ok(m) => {
            assert_eq!(m.size, raw.len(), "{what}");
            assert!(!m.subject.contains(['\r', '\n']), "{what}: {:?}", m.subject);
            for a in m.from.iter().chain(&m.to).chain(&m.cc) {
                let name = a.name.as_deref().unwrap_or_default();
                assert!(!name.contains(['\r', '\n']), "{what}: {name:?}");
                assert!(
                    !a.email.contains(['\r', '\n', ' ']),
                    "{what}: {:?}",
                    a.email
                );
            }
            for a in &m.attachments {
                assert!(
                    !a.filename.is_empty()
                        && !a.filename.contains(['/', '\\', '\0', '\r', '\n'])
                        && !a.filename.starts_with('.'),
                    "{what}: attachment name {:?}",
                    a.filename
                );
            }
            1
        }
        Err(ParseError::Panicked(why)) => panic!("{what}: mail-parser panicked: {why}"),
        Err(e) => {
            assert!(!e.to_string().is_empty(), "{what}");
            0
        }
    }
}

#[test]
fn corpus_never_panics() {
    let root = fixture_path("mail-parser-corpus");
    let mut count = 0;
    let mut parsed = 0;
    for dir in ["malformed", "thirdparty", "legacy"] {
        let mut entries: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("read {dir}: {e}"))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        entries.sort();
        assert!(!entries.is_empty(), "no .eml in {dir}");
        for path in entries {
            let raw = fs::read(&path).expect("read corpus file");
            parsed += check(&raw, &path.display().to_string());
            count += 1;
        }
    }
    assert!(count >= 90, "only {count} corpus files");
    assert!(parsed * 10 >= count * 9, "only {parsed} of {count} parsed");
    eprintln!("corpus: {parsed} of {count} files parsed, the rest rejected cleanly");
}

/// A multipart tree `depth` levels deep with a text leaf.
fn nested_multipart(depth: usize) -> Vec<u8> {
    let mut s = String::from("From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    for level in 0..depth {
        s.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
        ));
    }
    s.push_str("Content-Type: text/plain\r\n\r\ndasar\r\n");
    for level in (0..depth).rev() {
        s.push_str(&format!("--b{level}--\r\n"));
    }
    s.into_bytes()
}

/// `depth` message/rfc822 parts nested in each other.
fn nested_rfc822(depth: usize) -> Vec<u8> {
    let mut s = String::new();
    for _ in 0..depth {
        s.push_str("From: a@b.example\r\nSubject: lapis\r\nContent-Type: message/rfc822\r\n\r\n");
    }
    s.push_str("From: a@b.example\r\nSubject: inti\r\n\r\ndasar\r\n");
    s.into_bytes()
}

/// Runs `f` on a thread with a deliberately small stack, so that per-level recursion
/// anywhere in parsing, conversion or drop shows up as a failure.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no stack overflow or panic");
}

const STACK: usize = 256 * 1024;
const DEPTH: usize = 1000;

#[test]
fn multipart_nested_a_thousand_deep_does_not_overflow() {
    on_small_stack(|| {
        let m = parse(&nested_multipart(DEPTH)).expect("deep multipart parses");
        assert_eq!(m.subject, "deep");
        assert_eq!(m.text.trim_end(), "dasar");
    });
}

#[test]
fn rfc822_nested_a_thousand_deep_does_not_overflow() {
    on_small_stack(|| {
        let m = parse(&nested_rfc822(DEPTH)).expect("deep rfc822 parses");
        assert_eq!(m.subject, "lapis");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].content_type, "message/rfc822");
        assert_eq!(m.attachments[0].filename, "lampiran.eml");
    });
}

#[test]
fn ten_thousand_recipients_parse() {
    let to: Vec<String> = (0..10_000).map(|i| format!("user{i}@example.id")).collect();
    let cc: Vec<String> = (0..10_000)
        .map(|i| format!("\"Nama {i}\" <cc{i}@Example.ID>"))
        .collect();
    let raw = mail(
        &format!(
            "From: a@b.example\nTo: {}\nCc: {}\nSubject: banyak",
            to.join(",\n "),
            cc.join(", ")
        ),
        "x",
    );
    let m = parse(&raw).expect("parses");
    assert_eq!(m.to.len(), 10_000);
    assert_eq!(m.cc.len(), 10_000);
    assert_eq!(m.to[9_999].email, "user9999@example.id");
    assert_eq!(m.cc[5].email, "cc5@example.id");
    assert_eq!(m.cc[5].name.as_deref(), Some("Nama 5"));
}

#[test]
fn nesting_far_beyond_any_real_mail_still_parses() {
    // mail-parser limits only *encoded* nested messages (3 levels); plain
    // message/rfc822 nesting is unbounded, so depth is guarded by loketd's iterative drop.
    on_small_stack(|| {
        let m = parse(&nested_rfc822(20_000)).expect("rfc822 20,000 deep");
        assert_eq!(m.attachments.len(), 1);
        let m = parse(&nested_multipart(20_000)).expect("multipart 20,000 deep");
        assert_eq!(m.text.trim_end(), "dasar");
    });
}

#[test]
fn lf_only_line_ends_parse_like_crlf() {
    let crlf = fs::read(fixture_path("mail/base64-utf8.eml")).expect("read");
    let lf: Vec<u8> = String::from_utf8(crlf.clone())
        .expect("ascii fixture")
        .replace("\r\n", "\n")
        .into_bytes();
    let (a, b) = (parse(&crlf).expect("crlf"), parse(&lf).expect("lf"));
    assert_eq!(a.subject, b.subject);
    assert_eq!(a.text, b.text);
    assert_eq!(a.message_id, b.message_id);
    assert_eq!(a.to, b.to);
}

#[test]
fn inline_image_in_related_html_is_marked_inline() {
    let raw = mail(
        "From: a@b.example\nSubject: logo\nMIME-Version: 1.0\n\
         Content-Type: multipart/related; boundary=R",
        "--R\nContent-Type: text/html\n\n<p>Halo <img src=\"cid:logo\"></p>\n\
         --R\nContent-Type: image/png\nContent-ID: <logo>\nContent-Disposition: inline\n\
         Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--R--",
    );
    let m = parse(&raw).expect("parses");
    assert!(m.html);
    assert_eq!(m.text, "Halo");
    assert_eq!(m.attachments.len(), 1);
    assert!(m.attachments[0].inline);
    assert_eq!(m.attachments[0].filename, "lampiran.png");
    assert_eq!(m.attachments[0].data, b"\x89PNG\r\n\x1a\n");
    assert!(!fixture("hostile-attachments.eml").attachments[0].inline);
}

#[test]
fn mutated_corpus_never_escapes() {
    // Truncations and byte flips of every corpus file, deterministic. A panic inside
    // mail-parser may become ParseError::Panicked; nothing may unwind out of parse()
    // or abort the process, and every Ok result keeps the single-line guarantees.
    let root = fixture_path("mail-parser-corpus");
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut outcomes = [0usize; 2];
    for dir in ["malformed", "thirdparty", "legacy"] {
        for entry in fs::read_dir(root.join(dir)).expect("corpus dir") {
            let path = entry.expect("dir entry").path();
            let raw = fs::read(&path).expect("read");
            if raw.is_empty() {
                continue;
            }
            for round in 0..20 {
                let mut bytes = raw.clone();
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if round % 2 == 0 {
                    bytes.truncate((state as usize) % bytes.len());
                } else {
                    for k in 0..8 {
                        let at = (state as usize).wrapping_mul(k + 1) % bytes.len();
                        bytes[at] = bytes[at].rotate_left(k as u32 + 1) ^ b'\n';
                    }
                }
                let what = format!("{} mutation {round}", path.display());
                outcomes[check(&bytes, &what)] += 1;
            }
        }
    }
    eprintln!("mutated corpus: {outcomes:?} (refused, parsed)");
    assert!(outcomes[1] > outcomes[0], "{outcomes:?}");
}
