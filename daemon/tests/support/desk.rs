//! A site folder wired to a running rig, and helpers to drive the daemon through its
//! library with a clock the test moves.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use loketd::desk::Desk;
use loketd::run::pass::{self, PassReport};
use loketd::store::Store;

use super::rig::{Account, Rig};

pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// How the test site reaches the rig.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// IMAP and SMTP in clear on loopback (tls = "none").
    Plain,
    /// IMAPS (implicit TLS) and SMTP submission with STARTTLS + AUTH, verified with the
    /// rig's CA through `ca_file`.
    Tls,
}

pub(crate) struct TestSite {
    pub dir: tempfile::TempDir,
}

impl TestSite {
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("var/loketd")
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The shipped site's digest setting, and the one tests run with.
pub(crate) const DIGEST_ON: &str = "digest_time = \"07:30\"";
pub(crate) const DIGEST_OFF: &str = "digest_time = \"off\"";

/// Copies the shipped site (site.toml, content, themes, data) into a temp folder, as it
/// is but with the daily digest off: for start-up tests that need no server.
pub(crate) fn shipped_site() -> TestSite {
    let dir = tempfile::Builder::new()
        .prefix("loket-site-")
        .tempdir()
        .unwrap();
    let repo = repo_root();
    for sub in ["content", "themes", "data"] {
        copy_tree(&repo.join(sub), &dir.path().join(sub));
    }
    // Tests that count the mail staff receive predate the standing "catat konsultasi"
    // mail and the daily digest; the tests of each turn it back on (the digest's with
    // `DIGEST_ON`).
    let toml = fs::read_to_string(repo.join("site.toml")).unwrap();
    assert!(toml.contains(DIGEST_ON), "site.toml sets {DIGEST_ON}");
    let toml = toml
        .replace("standing_mail_days = 30", "standing_mail_days = 0")
        .replace(DIGEST_ON, DIGEST_OFF);
    fs::write(dir.path().join("site.toml"), toml).unwrap();
    TestSite { dir }
}

/// The shipped site with its [mail] tables pointed at the rig; `edit` may change the
/// resulting site.toml further (e.g. lower the size limit).
pub(crate) fn site(rig: &Rig, transport: Transport, edit: impl Fn(String) -> String) -> TestSite {
    let TestSite { dir } = shipped_site();
    let text = fs::read_to_string(dir.path().join("site.toml")).unwrap();
    let start = text.find("[mail.imap]").expect("site.toml has [mail.imap]");
    let end = text
        .find("[office_hours]")
        .expect("site.toml has [office_hours]");
    let office = rig.office();
    let pw = dir.path().join("secrets/imap-password");
    fs::create_dir_all(pw.parent().unwrap()).unwrap();
    fs::write(&pw, &office.password).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&pw, fs::Permissions::from_mode(0o600)).unwrap();
    fs::copy(rig.ca_file(), dir.path().join("secrets/ca.pem")).unwrap();
    let servers = match transport {
        Transport::Plain => format!(
            "[mail.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nuser = \"{}\"\n\
             password_file = \"secrets/imap-password\"\nidle = true\npoll_seconds = 5\n\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\n",
            rig.imap_port(),
            office.address,
            rig.smtp_port()
        ),
        Transport::Tls => format!(
            "[mail.imap]\nhost = \"localhost\"\nport = {}\ntls = \"implicit\"\nuser = \"{}\"\n\
             password_file = \"secrets/imap-password\"\nca_file = \"secrets/ca.pem\"\n\n\
             [mail.smtp]\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nuser = \"{}\"\n\
             password_file = \"secrets/imap-password\"\nca_file = \"secrets/ca.pem\"\n\n",
            rig.imaps_port(),
            office.address,
            rig.submission_port(),
            office.address
        ),
    };
    let text = format!("{}{}{}", &text[..start], servers, &text[end..]);
    fs::write(dir.path().join("site.toml"), edit(text)).unwrap();
    TestSite { dir }
}

pub(crate) fn desk(site: &TestSite) -> Desk {
    Desk::load(site.root()).unwrap_or_else(|e| panic!("test site does not load: {e}"))
}

/// One inbox pass (and sent-folder pass), scheduler tick and outbox flush with the
/// clock at `now`.
pub(crate) fn once_at(desk: &Desk, now: DateTime<Utc>) -> PassReport {
    let mut store = Store::open(&desk.config.mail.data_dir).unwrap();
    let mut mb = loketd::run::open_mailbox(desk).unwrap();
    let report = pass::pass(&mut mb, &mut store, desk, || now).unwrap();
    // As `loketd once`: a shared mailbox's sent folder after the inbox (nothing without
    // `sent_folder`).
    loketd::run::sent_folder::sent_pass(&mut mb, &mut store, desk, || now).unwrap();
    mb.logout();
    loketd::workflow::scheduler::tick(&mut store, desk, now).unwrap();
    let sender = loketd::run::sender(desk).unwrap();
    loketd::run::send::flush(&sender, store.conn(), now).unwrap();
    report
}

pub(crate) fn once(desk: &Desk) -> PassReport {
    once_at(desk, Utc::now())
}

/// 10:00 WITA on the given day of 2026.
pub(crate) fn wita(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A plain text mail.
pub(crate) fn mail(
    from: &Account,
    to: &str,
    subject: &str,
    message_id: &str,
    body: &str,
) -> Vec<u8> {
    mail_with(from, to, subject, message_id, &[], body)
}

/// A plain text mail with extra header lines.
pub(crate) fn mail_with(
    from: &Account,
    to: &str,
    subject: &str,
    message_id: &str,
    headers: &[&str],
    body: &str,
) -> Vec<u8> {
    let mut s = format!(
        "From: {}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Tue, 17 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n",
        from.address
    );
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    s.push_str(&body.replace('\n', "\r\n"));
    s.push_str("\r\n");
    s.into_bytes()
}

/// A Message-ID without its angle brackets.
pub(crate) fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// A reply to `to` (a mail the daemon sent) sent to the office, with In-Reply-To and
/// References pointing at it, written as a mail client writes it.
pub(crate) fn reply(
    from: &Account,
    to: &Received,
    id: &str,
    extra: &[&str],
    body: &str,
) -> Vec<u8> {
    let parent = bare(&to.message_id);
    let mut headers = vec![
        format!("In-Reply-To: <{parent}>"),
        format!("References: <{parent}>"),
    ];
    headers.extend(extra.iter().map(|s| (*s).to_string()));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let office = format!("layanan@{}", super::rig::OFFICE_DOMAIN);
    mail_with(
        from,
        &office,
        &format!("Re: {}", to.subject),
        id,
        &headers,
        body,
    )
}

pub(crate) struct Received {
    pub subject: String,
    pub text: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub raw: String,
}

impl Received {
    /// Each attachment's name and its content as text.
    pub(crate) fn attachments(&self) -> Vec<(String, String)> {
        use mail_parser::MimeHeaders;
        let msg = mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("a mail");
        msg.attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or_default().to_string(),
                    String::from_utf8_lossy(a.contents()).into_owned(),
                )
            })
            .collect()
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let msg = mail_parser::MessageParser::default().parse(self.raw.as_bytes())?;
        msg.header_raw(name).map(|v| v.trim().to_string())
    }
}

pub(crate) fn read(raw: &[u8]) -> Received {
    let msg = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a mail the daemon sent parses");
    Received {
        subject: msg.subject().unwrap_or_default().to_string(),
        text: msg.body_text(0).unwrap_or_default().to_string(),
        message_id: msg.message_id().unwrap_or_default().to_string(),
        in_reply_to: msg.in_reply_to().as_text().map(str::to_string),
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Waits until `who` has at least `n` mails in INBOX and returns them parsed.
pub(crate) fn inbox(rig: &Rig, who: &Account, n: usize) -> Vec<Received> {
    rig.wait_for_messages(who, "INBOX", n, WAIT)
        .iter()
        .map(|m| read(m))
        .collect()
}

/// Waits until a mail in `who`'s INBOX satisfies `wanted` and returns that INBOX (mail
/// arrives asynchronously and in any order: counting mails would race a later one).
pub(crate) fn inbox_with(
    rig: &Rig,
    who: &Account,
    what: &str,
    wanted: impl Fn(&Received) -> bool,
) -> Vec<Received> {
    let end = std::time::Instant::now() + WAIT;
    loop {
        let all: Vec<Received> = rig.messages(who, "INBOX").iter().map(|m| read(m)).collect();
        if all.iter().any(&wanted) {
            return all;
        }
        assert!(
            std::time::Instant::now() < end,
            "{} never got {what}: {:?}",
            who.address,
            all.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits for mail to reach the office INBOX (SMTP delivery is asynchronous).
pub(crate) fn office_has(rig: &Rig, n: usize) {
    rig.wait_for_messages(rig.office(), "INBOX", n, WAIT);
}

/// A count from the daemon's database of `site`; any error (no database yet, no
/// table, a wrong column) fails the test, so an assertion of 0 cannot pass on a broken
/// query.
pub(crate) fn db_count(site: &TestSite, sql: &str) -> i64 {
    db_try_count(site, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// For waits: the count, or why there is none yet (the daemon may not have created
/// its database).
pub(crate) fn db_try_count(site: &TestSite, sql: &str) -> Result<i64, String> {
    let path = site.data_dir().join("loketd.sqlite");
    if !path.exists() {
        return Err(format!("{} does not exist", path.display()));
    }
    let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    c.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    c.query_row(sql, [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

pub(crate) fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Deterministic bytes that do not compress into a pattern: a stand-in for a PDF.
pub(crate) fn pdf_like(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// `data` in base64, in lines of `line` characters joined by CRLF (none after the last):
/// MIME writers use 76, Thunderbird 72.
pub(crate) fn base64_lines(data: &[u8], line: usize) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    b64.as_bytes()
        .chunks(line)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n")
}
