#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

/// A whole site.toml: the site's keys and the daemon's tables.
const GOOD: &str = r#"
title = "T"
base_url = "https://x.go.id"
[office]
name = "Kantor"
short_name = "K"
address = "Jl. A"
phone = "0552 2034375"
website = "https://x.go.id/"
email = "a@b.example"

[mail]
address = "Layanan@kppn.example"
tag = "KPPN-TSL"
[mail.imap]
host = "127.0.0.1"
port = 10143
tls = "none"
user = "layanan@kppn.example"
password_env = "X_IMAP"
[mail.smtp]
host = "127.0.0.1"
port = 10025
tls = "none"

[office_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
open = "08:00"
close = "16:00"
utc_offset = "+08:00"
holidays = "site.toml"

[[sections]]
code = "pd"
name = "Seksi Pencairan Dana"
head = "kasi.pd@kppn.example"

[[staff]]
name = "CSO 1"
address = "cso1@kppn.example"
role = "cso"
section = "pd"

[[staff]]
name = "Kasi PD"
address = "kasi.pd@kppn.example"
role = "kasi"
section = "pd"
"#;

/// Parses `text` as `<tmp>/site.toml` (the file exists, so `holidays = "site.toml"`
/// names a real file).
fn parse(text: &str) -> Result<Config, Diagnostics> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), text).unwrap();
    Config::parse(dir.path(), &dir.path().join("site.toml"), text)
}

fn problems(text: &str) -> Vec<Diagnostic> {
    match parse(text) {
        Err(d) => d.0,
        Ok(_) => panic!("expected problems"),
    }
}

/// The line of `needle` in `text` (1-based).
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_whole_config_parses_with_defaults() {
    let c = parse(GOOD).unwrap();
    let m = c.mail.as_ref().unwrap();
    assert_eq!(m.address, "layanan@kppn.example");
    assert_eq!(m.domain(), "kppn.example");
    assert_eq!(m.imap.folder, "INBOX");
    assert_eq!(m.imap.processed_folder, "Diproses");
    assert_eq!(m.imap.server.tls, Tls::None);
    assert_eq!(m.imap.server.password, SecretSource::Env("X_IMAP".into()));
    assert_eq!(c.helpdesk.notify, NotifyMode::All);
    assert_eq!(
        c.helpdesk.progress_time,
        NaiveTime::from_hms_opt(9, 0, 0).unwrap()
    );
    assert_eq!(c.helpdesk.digest_time, NaiveTime::from_hms_opt(7, 30, 0));
    assert_eq!(c.roster.csos().count(), 1);
    assert_eq!(c.roster.section("PD").unwrap().head, "kasi.pd@kppn.example");
    assert_eq!(c.contact_email(), "layanan@kppn.example");
    assert_eq!(c.base_url, "https://x.go.id/");
    assert_eq!(c.base_path(), "/");
    assert_eq!(
        c.office_hours
            .as_ref()
            .map(OfficeHours::label_id)
            .as_deref(),
        Some("Senin–Jumat, 08.00–16.00 WITA")
    );
    assert_eq!(c.office.tel_uri(), "tel:+625522034375");
    let desk = c.into_desk().unwrap();
    assert!(desk.holidays.ends_with("site.toml"));
}

#[test]
fn indonesian_day_names_are_days() {
    let text = GOOD.replace(
        "days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
        "days = [\"senin\", \"sel\", \"Rabu\", \"kam\", \"jumat\"]",
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.office_hours.unwrap().days.len(), 5);
}

#[test]
fn a_site_without_daemon_tables_builds_but_does_not_run_the_daemon() {
    let start = GOOD.find("[mail]").unwrap();
    let text = &GOOD[..start];
    let c = parse(text).unwrap();
    assert_eq!(c.contact_email(), "a@b.example");
    let e = c.into_desk().unwrap_err();
    let all = e.to_string();
    assert!(
        all.contains("no [mail] table") && all.contains("no [office_hours]"),
        "{all}"
    );
}

#[test]
fn warns_on_example_addresses() {
    let c = parse(GOOD).unwrap();
    let w = c.lint();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].line, line_of(GOOD, "email = \"a@b.example\""));
    assert!(w[0].message.contains("office.email"));
    assert!(w[1].message.contains("mail.address"));
}

#[test]
fn unknown_keys_anywhere_name_their_line_with_a_suggestion() {
    let text = GOOD
        .replace("tag = \"KPPN-TSL\"", "tag = \"KPPN-TSL\"\ntagg = 1")
        .replace(
            "phone = \"0552 2034375\"",
            "phone = \"0552 2034375\"\ncolour = \"red\"",
        );
    let p = problems(&text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].line, line_of(&text, "colour"));
    assert_eq!(p[0].message, "unknown key `office.colour` in site.toml");
    assert_eq!(p[1].line, line_of(&text, "tagg"));
    assert_eq!(p[1].message, "unknown key `mail.tagg` in site.toml");
    assert_eq!(p[1].hint, "did you mean `tag`?");
}

#[test]
fn literal_password_is_refused_at_its_line() {
    let text = GOOD.replace(
        "password_env = \"X_IMAP\"",
        "password_env = \"X_IMAP\"\npassword = \"hunter2\"",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("never live in site.toml"), "{}", p[0]);
    assert_eq!(p[0].line, line_of(&text, "hunter2"));
}

#[test]
fn plaintext_to_a_remote_host_is_refused() {
    let text = GOOD.replacen("host = \"127.0.0.1\"", "host = \"imap.example\"", 1);
    let p = problems(&text);
    assert!(p[0].message.contains("loopback"), "{}", p[0]);
    assert_eq!(p[0].line, line_of(&text, "tls = \"none\""));
}

/// Every problem in one run: one bad value per top-level table (a table with a bad
/// value is not checked further), and every problem of the tables that read.
#[test]
fn all_problems_are_reported_together() {
    let text = GOOD
        .replace("open = \"08:00\"", "open = \"8 pagi\"")
        .replace("role = \"cso\"", "role = \"boss\"")
        .replace("website = \"https://x.go.id/\"", "website = \"x.go.id\"")
        .replace("port = 10025", "port = \"smtp\"")
        .replace("utc_offset = \"+08:00\"", "utc_offset = \"WITA\"");
    let p = problems(&text);
    let all: Vec<String> = p.iter().map(ToString::to_string).collect();
    assert_eq!(p.len(), 5, "{all:#?}");
    for (needle, line) in [
        ("8 pagi", "open ="),
        ("boss", "role = \"boss\""),
        ("office.website", "website ="),
        ("mail.smtp.port", "port = \"smtp\""),
        ("WITA", "utc_offset"),
    ] {
        let d = p
            .iter()
            .find(|d| d.message.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not reported: {all:#?}"));
        assert_eq!(d.line, line_of(&text, line), "{d}");
    }
}

#[test]
fn a_section_head_who_is_not_staff_is_named_at_its_line() {
    let text = GOOD.replace(
        "head = \"kasi.pd@kppn.example\"",
        "head = \"nobody@kppn.example\"",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("nobody@kppn.example"), "{}", p[0]);
    assert_eq!(p[0].line, line_of(&text, "nobody@"));
}

#[test]
fn a_missing_required_key_names_its_table() {
    let text = GOOD.replace("tag = \"KPPN-TSL\"\n", "");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].message, "`mail.tag` is missing in site.toml");
    assert_eq!(p[0].line, line_of(&text, "[mail]"));
}

#[test]
fn an_empty_title_is_an_error() {
    let text = GOOD.replace("title = \"T\"", "title = \" \"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].message, "`title` is empty");
    assert_eq!(p[0].line, line_of(&text, "title ="));
}

#[test]
fn smtp_does_not_take_imap_keys() {
    let text = GOOD.replace("port = 10025", "port = 10025\nfolder = \"INBOX\"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message
            .contains("`mail.smtp.folder` applies to IMAP only"),
        "{}",
        p[0]
    );
}

#[test]
fn base_path_of_sub_directory_site() {
    let text = GOOD.replace("https://x.go.id\"", "https://x.go.id/kppn\"");
    let c = parse(&text).unwrap();
    assert_eq!(c.base_path(), "/kppn/");
    assert_eq!(c.link("layanan/a/"), "/kppn/layanan/a/");
}

#[test]
fn address_syntax() {
    for ok in [
        "a@b.id",
        "kasi.pd@kppn-tanjungselor.example",
        "x+y@sub.domain.go.id",
    ] {
        assert!(valid_address(ok), "{ok}");
    }
    for bad in [
        "", "a", "a@b", "@b.id", "a b@c.id", "<a@b.id>", "a@b..id", "a@.b.id", "a@b.id.",
    ] {
        assert!(!valid_address(bad), "{bad}");
    }
}

#[test]
fn a_tls_fingerprint_is_sha256_in_either_spelling() {
    let colons = (0..32).map(|_| "AB").collect::<Vec<_>>().join(":");
    let text = GOOD.replace(
        "password_env = \"X_IMAP\"",
        &format!("password_env = \"X_IMAP\"\ntls_fingerprint = \"sha256:{colons}\""),
    );
    let desk = parse(&text).unwrap().into_desk().unwrap();
    assert_eq!(
        desk.mail.imap.server.tls_fingerprint.as_deref(),
        Some("ab".repeat(32).as_str())
    );
    let text = GOOD.replace(
        "password_env = \"X_IMAP\"",
        "password_env = \"X_IMAP\"\ntls_fingerprint = \"md5:1234\"",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message.contains("not a SHA-256 fingerprint"),
        "{}",
        p[0]
    );
    assert_eq!(p[0].line, line_of(&text, "md5:1234"));
}

#[test]
fn xoauth2_takes_a_token_command_and_nothing_else() {
    let with = |extra: &str| {
        GOOD.replace(
            "password_env = \"X_IMAP\"",
            &format!("auth = \"xoauth2\"\n{extra}"),
        )
    };
    let desk = parse(&with("token_command = \"oama access layanan\""))
        .unwrap()
        .into_desk()
        .unwrap();
    assert_eq!(desk.mail.imap.server.auth, Auth::XOAuth2);
    assert!(matches!(
        &desk.mail.imap.server.password,
        SecretSource::Command { command, .. } if command == "oama access layanan"
    ));
    let p = problems(&with(""));
    assert!(
        p[0].message.contains("needs user and token_command"),
        "{}",
        p[0]
    );
    let text = with("token_command = \"x\"\npassword_env = \"X_IMAP\"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("logs in with a token"), "{}", p[0]);
    assert_eq!(p[0].line, line_of(&text, "password_env"));
    let text = GOOD.replace("password_env = \"X_IMAP\"", "token_command = \"x\"");
    let p = problems(&text);
    assert!(
        p.iter()
            .any(|d| d.message.contains("is for auth = \"xoauth2\"")),
        "{p:?}"
    );
}

#[test]
fn shared_mailbox_and_digest_settings() {
    let c = parse(GOOD).unwrap();
    let imap = &c.mail.as_ref().unwrap().imap;
    assert_eq!(imap.processed, Processed::Move);
    assert_eq!(imap.sent_folder, None);
    let text = GOOD.replace(
        "password_env = \"X_IMAP\"",
        "password_env = \"X_IMAP\"\nprocessed = \"keep\"\nsent_folder = \"Sent Items\"",
    ) + "[helpdesk]\ndigest_time = \"off\"\n";
    let c = parse(&text).unwrap();
    let imap = &c.mail.as_ref().unwrap().imap;
    assert_eq!(imap.processed, Processed::Keep);
    assert_eq!(imap.sent_folder.as_deref(), Some("Sent Items"));
    assert_eq!(c.helpdesk.digest_time, None);
    // Each mistake at its line, with the words to use.
    let text = GOOD.replace(
        "password_env = \"X_IMAP\"",
        "password_env = \"X_IMAP\"\nprocessed = \"archive\"\nsent_folder = \"INBOX\"",
    ) + "[helpdesk]\ndigest_time = \"7.30\"\n";
    let p = problems(&text);
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(
        p.iter()
            .any(|d| d.line == line_of(&text, "archive")
                && d.message.contains("`mail.imap.processed`")),
        "{p:?}"
    );
    assert!(
        p.iter().any(|d| d
            .message
            .contains("`mail.imap.sent_folder` is the inbox itself")),
        "{p:?}"
    );
    assert!(
        p.iter().any(|d| d.line == line_of(&text, "7.30")
            && d.message.contains("`helpdesk.digest_time` is not a time")),
        "{p:?}"
    );
    // Both are IMAP keys: refused under [mail.smtp].
    let text = GOOD.replace("port = 10025", "port = 10025\nsent_folder = \"Sent\"");
    let p = problems(&text);
    assert!(
        p[0].message
            .contains("`mail.smtp.sent_folder` applies to IMAP only"),
        "{p:?}"
    );
}
