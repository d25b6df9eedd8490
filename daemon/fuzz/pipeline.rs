//! The real path one mail's bytes take, for the fuzzer: the pure steps (parse, classify
//! with every shape of facts, separating new text from the daemon's own, command parse,
//! subject and rating helpers)
//! and then `ingest` itself into a fresh SQLite store — the transaction, the ticket, the
//! composed replies and notifications, attachments on disk — three times per input:
//!
//! 1. the bytes as they came, as a stakeholder's mail;
//! 2. the bytes as a verified staff reply: the From of a CSO and an `In-Reply-To` with a
//!    valid capability for ticket #1 (made by the pipeline, as loketd made it), so every
//!    staff command the text holds runs;
//! 3. the bytes as an attachment of a stakeholder's mail (stored by hash, forwarded to
//!    staff or listed).
//!
//! then one scheduler tick three days later. What counts as a finding: a panic, an
//! error that would hold the whole inbox (a storage failure caused by a mail's content),
//! or a composed mail that does not parse back.
//!
//! Shared by the cargo-fuzz target (`fuzz_targets/pipeline.rs`) and the regression test
//! (`tests/fuzz_regressions.rs`), so every input the fuzzer found is replayed in CI.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, TimeZone, Utc};
use loketd::desk::Desk;
use loketd::mail::{parse, relay, subject};
use loketd::rules::classify::{self, Facts};
use loketd::rules::kinds::ThreadKind;
use loketd::rules::{command, ikm};
use loketd::store::Store;
use loketd::workflow::ingest::{self, IngestError, Source};
use loketd::workflow::scheduler;

/// Runs the pipeline on `data`. Panics only where the daemon would be wrong.
pub(crate) fn run(data: &[u8]) {
    pure(data);
    let world = world();
    let mut w = world
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    w.ingest_all(data);
}

/// The steps without a store.
fn pure(data: &[u8]) {
    let _ = ingest::content_hash(data);
    // The text alone, as if it were the whole body (the fuzzer reaches separation and
    // command parsing without having to build a valid mail first).
    let raw_text = String::from_utf8_lossy(data);
    let (half, _) = raw_text.split_at(raw_text.floor_char_boundary(raw_text.len() / 2));
    let stripped = relay::strip_own(&raw_text, half);
    let _ = relay::separate(&raw_text, half);
    let _ = command::parse(&stripped);
    let _ = ikm::parse_rating(&stripped);
    let _ = ikm::after_resolved(&stripped);
    let _ = subject::clean(&raw_text);
    let Ok(mut mail) = parse::parse(data) else {
        return;
    };
    mail.flag_own("kppn-tanjungselor.example");
    let _ = mail.reply_address();
    let _ = subject::ticket_tag(&mail.subject, "KPPN-TSL");
    let _ = subject::service_codes(&mail.subject);
    let clean = subject::clean(&mail.subject);
    let _ = subject::reply_subject("KPPN-TSL", 1, &clean);
    let mut ids = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    for id in &ids {
        let _ = parse::msg_ids(id);
    }
    // Every shape of facts, so each route is reached from the same mail.
    let thread = data.first().map(|b| (i64::from(*b), ThreadKind::Staff));
    for bits in 0u8..16 {
        let facts = Facts {
            thread: (bits & 1 != 0).then_some(thread).flatten(),
            tagged: (bits & 2 != 0).then_some(7),
            sender_is_staff: bits & 4 != 0,
            capability: (bits & 8 != 0).then(|| (7, "n@x".to_string())),
            authenticated: bits & 1 == 0,
        };
        let _ = classify::classify(mail.automatic.as_ref(), &facts);
    }
    // The mail's own text as "what was sent" too: every line then reproduces it.
    let sent = mail.text.lines().rev().collect::<Vec<_>>().join("\n");
    let text = match relay::separate(&mail.text, &sent) {
        relay::Separation::Clean(t) | relay::Separation::Held { text: t, .. } => t,
    };
    let _ = command::parse(&text);
    let _ = command::parse(&mail.text);
    let _ = command::misplaced(&text);
    let _ = ikm::parse_rating(&text);
    let _ = ikm::after_resolved(&text);
    let _ = relay::strip_own(&mail.text, &sent);
}

/// The shipped site in a temp folder, and a database holding ticket #1 whose
/// notification gave a CSO a capability.
struct World {
    desk: Desk,
    data_dir: PathBuf,
    /// `loketd.sqlite` right after ticket #1 was opened.
    template: Vec<u8>,
    cso: String,
    capability: String,
    uid: u32,
}

fn world() -> &'static Mutex<World> {
    static WORLD: OnceLock<Mutex<World>> = OnceLock::new();
    WORLD.get_or_init(|| Mutex::new(World::new()))
}

fn now() -> DateTime<Utc> {
    // A Tuesday morning in office hours (WITA).
    Utc.with_ymd_and_hms(2026, 3, 17, 2, 0, 0).unwrap()
}

const OFFICE: &str = "layanan@kppn-tanjungselor.example";

/// Each process's world is `<tmpfs>/loketd-fuzz-<pid>`; it lives as long as the process
/// (a static), so no drop removes it.
const WORLD_PREFIX: &str = "loketd-fuzz-";

/// Removes the worlds of processes that have ended (every test run and fuzz session
/// leaves one, in memory when the base is tmpfs).
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(WORLD_PREFIX))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl World {
    fn new() -> World {
        let repo = repo_root();
        // tmpfs when there is one: every input commits (fsync) several times.
        let base = ["/dev/shm", "/tmp"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        sweep(&base);
        let root = base.join(format!("{WORLD_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for sub in ["content", "themes", "data"] {
            copy_tree(&repo.join(sub), &root.join(sub));
        }
        std::fs::copy(repo.join("site.toml"), root.join("site.toml")).unwrap();
        let desk = Desk::load(&root).unwrap_or_else(|e| panic!("fuzz site: {e}"));
        let data_dir = desk.config.mail.data_dir.clone();
        let cso = desk
            .config
            .roster
            .csos()
            .next()
            .expect("the shipped site has a CSO")
            .address
            .clone();
        let question = format!(
            "From: Bendahara <bendahara@satker.example.test>\r\nTo: {OFFICE}\r\n\
             Subject: [KONS] Revisi DIPA\r\nMessage-ID: <seed@satker.example.test>\r\n\
             Date: Tue, 17 Mar 2026 10:00:00 +0800\r\nContent-Type: text/plain\r\n\r\n\
             Mohon penjelasan revisi DIPA.\r\n"
        );
        let capability = {
            let mut store = Store::open(&data_dir).unwrap();
            let src = Source {
                folder: "INBOX".into(),
                uidvalidity: 1,
                uid: 1,
            };
            ingest::ingest(&mut store, &desk, &src, question.as_bytes(), now()).unwrap();
            store
                .conn()
                .query_row(
                    "SELECT message_id FROM outbox WHERE recipients = ?1 AND kind = 'notify'",
                    [&cso],
                    |r| r.get::<_, String>(0),
                )
                .expect("a notification to the CSO")
        };
        // Closing the only connection checkpoints the WAL into the file.
        let template = std::fs::read(data_dir.join("loketd.sqlite")).unwrap();
        World {
            desk,
            data_dir,
            template,
            cso,
            capability,
            uid: 1,
        }
    }

    /// A fresh store: the template database, no files.
    fn fresh_store(&self) -> Store {
        for f in ["loketd.sqlite-wal", "loketd.sqlite-shm"] {
            let _ = std::fs::remove_file(self.data_dir.join(f));
        }
        for d in ["raw", "attachments"] {
            let _ = std::fs::remove_dir_all(self.data_dir.join(d));
        }
        std::fs::write(self.data_dir.join("loketd.sqlite"), &self.template).unwrap();
        Store::open(&self.data_dir).unwrap()
    }

    fn ingest_all(&mut self, data: &[u8]) {
        let mut store = self.fresh_store();
        let as_staff = [
            format!(
                "From: Petugas <{}>\r\nTo: {OFFICE}\r\nSubject: Re: [KPPN-TSL #1] Revisi DIPA\r\n\
                 Message-ID: <fuzz-staff@kppn-tanjungselor.example>\r\n\
                 In-Reply-To: <{cap}>\r\nReferences: <{cap}>\r\n",
                self.cso,
                cap = self.capability
            )
            .into_bytes(),
            data.to_vec(),
        ]
        .concat();
        let name: String = data
            .iter()
            .take(40)
            .map(|b| char::from(*b))
            .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
            .collect();
        let as_attachment = format!(
            "From: bendahara@satker.example.test\r\nTo: {OFFICE}\r\nSubject: Re: [KPPN-TSL #1] Dokumen\r\n\
             Message-ID: <fuzz-att@satker.example.test>\r\nIn-Reply-To: <seed@satker.example.test>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"FUZZ-B\"\r\n\r\n\
             --FUZZ-B\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n\
             --FUZZ-B\r\nContent-Type: application/pdf\r\n\
             Content-Disposition: attachment; filename=\"{name}.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--FUZZ-B--\r\n",
            base64(data)
        )
        .into_bytes();
        for raw in [data, &as_staff, &as_attachment] {
            self.uid += 1;
            let src = Source {
                folder: "INBOX".into(),
                uidvalidity: 1,
                uid: self.uid,
            };
            match ingest::ingest(&mut store, &self.desk, &src, raw, now()) {
                Ok(_) | Err(IngestError::Mail(_)) => {}
                Err(IngestError::Store(e)) => assert!(
                    !e.is_storage_failure(),
                    "a mail's content made a storage failure (it would hold the inbox): {e}"
                ),
            }
        }
        let later = now() + chrono::Duration::days(3);
        let _ = scheduler::tick(&mut store, &self.desk, later);
        // Everything loketd composed reads back as a mail. mail-parser itself panics on
        // some of them (a forwarded part it mis-indexes); `parse` catches that, and
        // loketd reading its own outbox back (`workflow::sent`) copes with an error,
        // so only another error is a finding.
        let mut stmt = store.conn().prepare("SELECT id, raw FROM outbox").unwrap();
        let rows: Vec<(i64, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (id, raw) in rows {
            match parse::parse(&raw) {
                Ok(m) => assert!(m.message_id.is_some(), "outbox row {id} has no Message-ID"),
                Err(parse::ParseError::Panicked(_)) => {}
                Err(e) => panic!("outbox row {id} does not parse back: {e}"),
            }
        }
    }
}

fn repo_root() -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    while !dir.join("site.toml").is_file() {
        assert!(
            dir.pop(),
            "no site.toml above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
