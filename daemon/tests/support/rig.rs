//! A real Dovecot 2.3 + Postfix 3.7 on loopback, for tests and for trying loketd by hand.
//!
//! Each `Rig` lives in its own short folder under /tmp (Unix socket paths are limited to
//! 107 bytes and Dovecot appends up to 37), listens on free ports picked at start, and
//! stops exactly the processes it started when dropped, also while a test panics.
//! Facts behind the settings: docs/rig.md.
#![allow(dead_code)] // every test binary uses a different part of the rig

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Domain of the office's own mailboxes.
pub(crate) const OFFICE_DOMAIN: &str = "kppn-tanjungselor.example";
/// Domains of the outsiders (stakeholders). Both are local to the rig.
pub(crate) const STAKEHOLDER_DOMAINS: [&str; 2] = ["satker.example.test", "cv-maju.example.test"];

const START_ATTEMPTS: usize = 4;
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// One mailbox of the rig: its address is also its IMAP/SMTP login name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub address: String,
    pub password: String,
}

impl Account {
    fn new(address: &str) -> Account {
        let local = address.split('@').next().unwrap_or(address);
        Account {
            address: address.to_string(),
            password: format!("sandi-{}", local.replace('.', "-")),
        }
    }
}

/// The mailboxes, one per role. The server-free harness uses the same people.
#[derive(Clone, Debug)]
pub(crate) struct Accounts {
    pub(crate) office: Account,
    pub(crate) stakeholder: Account,
    pub(crate) stakeholder2: Account,
    pub(crate) cso1: Account,
    pub(crate) cso2: Account,
    pub(crate) kasi: Account,
    pub(crate) kepala: Account,
}

impl Accounts {
    pub(crate) fn new() -> Accounts {
        let office = |local: &str| Account::new(&format!("{local}@{OFFICE_DOMAIN}"));
        Accounts {
            office: office("layanan"),
            stakeholder: Account::new(&format!("bendahara@{}", STAKEHOLDER_DOMAINS[0])),
            stakeholder2: Account::new(&format!("vendor@{}", STAKEHOLDER_DOMAINS[1])),
            cso1: office("cso1"),
            cso2: office("cso2"),
            kasi: office("kasi.pd"),
            kepala: office("kepala"),
        }
    }

    fn all(&self) -> [&Account; 7] {
        [
            &self.office,
            &self.stakeholder,
            &self.stakeholder2,
            &self.cso1,
            &self.cso2,
            &self.kasi,
            &self.kepala,
        ]
    }
}

#[derive(Clone, Copy, Debug)]
struct Ports {
    imap: u16,
    imaps: u16,
    smtp: u16,
    smtps: u16,
    submission: u16,
}

impl Ports {
    /// Asks the kernel for five free ports, holding all of them until all are known so
    /// they differ. Another process may still take one before our servers bind it;
    /// `Rig::start` then retries with fresh ports.
    fn pick() -> std::io::Result<Ports> {
        let listeners = (0..5)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<Vec<_>>>()?;
        let port = |i: usize| listeners[i].local_addr().map(|a| a.port());
        Ok(Ports {
            imap: port(0)?,
            imaps: port(1)?,
            smtp: port(2)?,
            smtps: port(3)?,
            submission: port(4)?,
        })
    }
}

/// Numeric ids of the system users the servers run as.
#[derive(Clone, Copy, Debug)]
struct Ids {
    mail_uid: u32,
    mail_gid: u32,
    postfix_uid: u32,
    postfix_gid: u32,
}

impl Ids {
    fn lookup() -> Result<Ids, String> {
        let passwd = fs::read_to_string("/etc/passwd").map_err(|e| format!("/etc/passwd: {e}"))?;
        let find = |user: &str| -> Result<(u32, u32), String> {
            passwd
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() > 3 && f[0] == user)
                .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .ok_or_else(|| {
                    format!("system user `{user}` missing: run scripts/install-test-deps.sh")
                })
        };
        let (mail_uid, mail_gid) = find("mail")?;
        let (postfix_uid, postfix_gid) = find("postfix")?;
        Ok(Ids {
            mail_uid,
            mail_gid,
            postfix_uid,
            postfix_gid,
        })
    }
}

/// A running Dovecot + Postfix pair. See the module docs.
pub(crate) struct Rig {
    dir: tempfile::TempDir,
    ca_file: PathBuf,
    ports: Ports,
    accounts: Accounts,
    dovecot: Mutex<Option<Child>>,
    postfix_master: Mutex<Option<u32>>,
    /// The token-introspection URL Dovecot asks about XOAUTH2 tokens, when enabled.
    oauth2: Option<String>,
}

impl Rig {
    /// Starts both servers and waits until they answer. Panics with the reason (and the
    /// servers' log tails) when it cannot.
    pub(crate) fn start() -> Rig {
        Rig::start_with(None)
    }

    /// Like `start`, with Dovecot also taking XOAUTH2/OAUTHBEARER logins (IMAP, and SMTP
    /// AUTH through Postfix), each token checked by POSTing it to `introspection_url`
    /// (RFC 7662: `{"active": true, "username": "<address>"}` accepts it).
    pub(crate) fn start_with_oauth2(introspection_url: &str) -> Rig {
        Rig::start_with(Some(introspection_url))
    }

    fn start_with(oauth2: Option<&str>) -> Rig {
        if let Err(e) = check_packages() {
            panic!("mail rig: {e}");
        }
        reap_stale_rigs();
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            match Rig::try_start(oauth2.map(str::to_string)) {
                Ok(rig) => return rig,
                // Usually a port taken between picking and binding: retry with new ports.
                Err(e) => last_error = e,
            }
        }
        panic!("mail rig: could not start after {START_ATTEMPTS} attempts: {last_error}");
    }

    fn try_start(oauth2: Option<String>) -> Result<Rig, String> {
        let ids = Ids::lookup()?;
        let dir = tempfile::Builder::new()
            .prefix("loket-rig-")
            .tempdir_in("/tmp")
            .map_err(|e| format!("cannot create a folder under /tmp: {e}"))?;
        let rig = Rig {
            ca_file: dir.path().join("tls/ca.pem"),
            dir,
            ports: Ports::pick().map_err(|e| format!("cannot pick free ports: {e}"))?,
            accounts: Accounts::new(),
            dovecot: Mutex::new(None),
            postfix_master: Mutex::new(None),
            oauth2,
        };
        rig.write_files(ids)?;
        rig.try_start_dovecot()?;
        rig.try_start_postfix()?;
        Ok(rig)
    }

    pub(crate) fn office(&self) -> &Account {
        &self.accounts.office
    }
    pub(crate) fn stakeholder(&self) -> &Account {
        &self.accounts.stakeholder
    }
    pub(crate) fn stakeholder2(&self) -> &Account {
        &self.accounts.stakeholder2
    }
    pub(crate) fn cso1(&self) -> &Account {
        &self.accounts.cso1
    }
    pub(crate) fn cso2(&self) -> &Account {
        &self.accounts.cso2
    }
    pub(crate) fn kasi(&self) -> &Account {
        &self.accounts.kasi
    }
    pub(crate) fn kepala(&self) -> &Account {
        &self.accounts.kepala
    }
    /// Every account, office first.
    pub(crate) fn accounts(&self) -> Vec<&Account> {
        self.accounts.all().to_vec()
    }

    /// IMAP without TLS on connect; STARTTLS offered; plain LOGIN allowed.
    pub(crate) fn imap_port(&self) -> u16 {
        self.ports.imap
    }
    /// IMAP over implicit TLS (993-style).
    pub(crate) fn imaps_port(&self) -> u16 {
        self.ports.imaps
    }
    /// SMTP (25-style): plain with STARTTLS offered, no AUTH, delivers to rig domains only.
    pub(crate) fn smtp_port(&self) -> u16 {
        self.ports.smtp
    }
    /// SMTP over implicit TLS with AUTH (465-style).
    pub(crate) fn smtps_port(&self) -> u16 {
        self.ports.smtps
    }
    /// Submission (587-style): STARTTLS and AUTH required.
    pub(crate) fn submission_port(&self) -> u16 {
        self.ports.submission
    }
    /// PEM of the rig's CA; the servers' certificate (for `localhost` and 127.0.0.1) is
    /// signed by it.
    pub(crate) fn ca_file(&self) -> &Path {
        &self.ca_file
    }
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }
    /// Dovecot's log (also holds LMTP deliveries), for diagnosing a test.
    pub(crate) fn dovecot_log(&self) -> PathBuf {
        self.dir().join("dovecot.log")
    }
    /// Postfix's log.
    pub(crate) fn postfix_log(&self) -> PathBuf {
        self.dir().join("postfix.log")
    }

    fn paths(&self) -> Paths<'_> {
        Paths(self.dir.path())
    }

    // ----- sending -------------------------------------------------------------------

    /// Submits `raw` as `from` over the submission port (STARTTLS, AUTH PLAIN, verified
    /// against the rig's CA). Recipients are taken from To, Cc and Bcc.
    pub(crate) fn send(&self, from: &Account, raw: &[u8]) {
        let to = header_recipients(raw);
        assert!(
            !to.is_empty(),
            "mail rig: send: the message has no To/Cc/Bcc recipients"
        );
        let to: Vec<&str> = to.iter().map(String::as_str).collect();
        if let Err(e) = self.try_send(from, &from.address, &to, raw) {
            panic!("mail rig: send as {} failed: {e}", from.address);
        }
    }

    /// Like `send`, with an explicit envelope; returns the server's refusal as text.
    pub(crate) fn try_send(
        &self,
        login: &Account,
        envelope_from: &str,
        to: &[&str],
        raw: &[u8],
    ) -> Result<(), String> {
        use lettre::transport::smtp::authentication::{Credentials, Mechanism};
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let pem = fs::read(self.ca_file()).map_err(|e| format!("CA file: {e}"))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| format!("CA file: {e}"))?;
        let tls = TlsParameters::builder("localhost".to_string())
            .add_root_certificate(cert)
            .build()
            .map_err(|e| format!("TLS setup: {e}"))?;
        let transport = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(self.ports.submission)
            .tls(Tls::Required(tls))
            .credentials(Credentials::new(
                login.address.clone(),
                login.password.clone(),
            ))
            .authentication(vec![Mechanism::Plain])
            .timeout(Some(IO_TIMEOUT))
            .build();
        smtp_send(&transport, envelope_from, to, raw)
    }

    /// Sends over the plain SMTP port without AUTH, as another MTA would. An empty
    /// `envelope_from` gives `MAIL FROM:<>` (a bounce).
    pub(crate) fn send_smtp(&self, envelope_from: &str, to: &[&str], raw: &[u8]) {
        if let Err(e) = self.try_send_smtp(envelope_from, to, raw) {
            panic!("mail rig: SMTP from <{envelope_from}> to {to:?} failed: {e}");
        }
    }

    /// Like `send_smtp`; returns the server's refusal as text (e.g. `554 5.7.1 ... Relay
    /// access denied`).
    pub(crate) fn try_send_smtp(
        &self,
        envelope_from: &str,
        to: &[&str],
        raw: &[u8],
    ) -> Result<(), String> {
        let transport = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(self.ports.smtp)
            .timeout(Some(IO_TIMEOUT))
            .build();
        smtp_send(&transport, envelope_from, to, raw)
    }

    /// Puts `raw` straight into `to`'s INBOX over LMTP, skipping Postfix. The envelope
    /// sender (Dovecot's Return-Path) is the From address.
    pub(crate) fn deliver(&self, to: &Account, raw: &[u8]) {
        let from = header_from(raw).unwrap_or_else(|| "rig@localhost".to_string());
        self.deliver_from(&from, to, raw);
    }

    /// Like `deliver` with an explicit envelope sender; empty gives `Return-Path: <>`.
    pub(crate) fn deliver_from(&self, envelope_from: &str, to: &Account, raw: &[u8]) {
        let socket = self.paths().lmtp_socket();
        if let Err(e) = lmtp_deliver(&socket, envelope_from, &to.address, raw) {
            panic!("mail rig: LMTP delivery to {} failed: {e}", to.address);
        }
    }

    // ----- reading -------------------------------------------------------------------

    /// Logs in over plain IMAP on loopback.
    pub(crate) fn imap_session(&self, who: &Account) -> imap::Session<imap::Connection> {
        let client = imap::ClientBuilder::new("127.0.0.1", self.ports.imap)
            .mode(imap::ConnectionMode::Plaintext)
            .connect()
            .unwrap_or_else(|e| panic!("mail rig: IMAP connect: {e}"));
        client
            .login(&who.address, &who.password)
            .unwrap_or_else(|(e, _)| panic!("mail rig: IMAP login as {}: {e}", who.address))
    }

    /// Appends `raw` to `folder` (created when missing).
    pub(crate) fn append(&self, to: &Account, folder: &str, raw: &[u8]) {
        let mut session = self.imap_session(to);
        if !folder.eq_ignore_ascii_case("INBOX")
            && let Err(e) = session.create(folder)
            && !says(&e, &["ALREADYEXISTS", "already exists"])
        {
            panic!("mail rig: CREATE {folder} for {}: {e}", to.address);
        }
        session
            .append(folder, raw)
            .finish()
            .unwrap_or_else(|e| panic!("mail rig: APPEND to {folder} for {}: {e}", to.address));
        let _ = session.logout();
    }

    /// Every message in `folder`, raw, in mailbox order. A folder that does not exist
    /// reads as empty.
    pub(crate) fn messages(&self, who: &Account, folder: &str) -> Vec<Vec<u8>> {
        let mut session = self.imap_session(who);
        let mailbox = match session.examine(folder) {
            Ok(m) => m,
            Err(e) if says(&e, &["NONEXISTENT", "doesn't exist"]) => return Vec::new(),
            Err(e) => panic!("mail rig: EXAMINE {folder} for {}: {e}", who.address),
        };
        if mailbox.exists == 0 {
            let _ = session.logout();
            return Vec::new();
        }
        let fetches = session
            .fetch("1:*", "BODY.PEEK[]")
            .unwrap_or_else(|e| panic!("mail rig: FETCH in {folder} for {}: {e}", who.address));
        let mut mails: Vec<(u32, Vec<u8>)> = fetches
            .iter()
            .map(|f| (f.message, f.body().unwrap_or_default().to_vec()))
            .collect();
        mails.sort_by_key(|(seq, _)| *seq);
        let _ = session.logout();
        mails.into_iter().map(|(_, m)| m).collect()
    }

    /// Polls `folder` until it holds at least `at_least` messages; panics on timeout with
    /// the subjects it saw.
    pub(crate) fn wait_for_messages(
        &self,
        who: &Account,
        folder: &str,
        at_least: usize,
        timeout: Duration,
    ) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let mails = self.messages(who, folder);
            if mails.len() >= at_least {
                return mails;
            }
            if Instant::now() >= deadline {
                let subjects: Vec<String> = mails.iter().map(|m| header_subject(m)).collect();
                panic!(
                    "mail rig: waited {timeout:?} for {at_least} message(s) in {}'s {folder}, saw {}: {subjects:?}\n(logs: {} and {})",
                    who.address,
                    mails.len(),
                    self.dovecot_log().display(),
                    self.postfix_log().display()
                );
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// Names of every folder of `who`.
    pub(crate) fn folders(&self, who: &Account) -> Vec<String> {
        let mut session = self.imap_session(who);
        let names = session
            .list(None, Some("*"))
            .unwrap_or_else(|e| panic!("mail rig: LIST for {}: {e}", who.address));
        let folders = names.iter().map(|n| n.name().to_string()).collect();
        let _ = session.logout();
        folders
    }

    // ----- server control ------------------------------------------------------------

    pub(crate) fn stop_postfix(&self) {
        let pid = lock(&self.postfix_master).take();
        if let Some(pid) = pid {
            terminate_pid(pid);
        }
    }

    pub(crate) fn start_postfix(&self) {
        if lock(&self.postfix_master).is_some() {
            return;
        }
        if let Err(e) = self.try_start_postfix() {
            panic!("mail rig: cannot restart Postfix: {e}");
        }
    }

    pub(crate) fn stop_dovecot(&self) {
        let child = lock(&self.dovecot).take();
        if let Some(mut child) = child {
            terminate_child(&mut child);
        }
    }

    pub(crate) fn start_dovecot(&self) {
        if lock(&self.dovecot).is_some() {
            return;
        }
        if let Err(e) = self.try_start_dovecot() {
            panic!("mail rig: cannot restart Dovecot: {e}");
        }
        // Hand Postfix's deferred mail over now rather than at its next queue run.
        if lock(&self.postfix_master).is_some() {
            let _ = Command::new("postfix")
                .arg("-c")
                .arg(self.paths().file("postfix"))
                .arg("flush")
                .stdin(Stdio::null())
                .output();
        }
    }

    /// Waits until Postfix has handed every mail it accepted on (delivered, or bounced),
    /// so a test can count what arrived without racing the queue. Panics after 60 s.
    pub(crate) fn wait_for_postfix_queue_empty(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = Command::new("postqueue")
                .arg("-c")
                .arg(self.paths().file("postfix"))
                .arg("-p")
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("mail rig: cannot run postqueue: {e}"));
            let text = String::from_utf8_lossy(&out.stdout);
            if out.status.success() && text.contains("Mail queue is empty") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mail rig: Postfix's queue did not empty in 60 s:\n{text}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Process id of Dovecot's master, while it runs.
    pub(crate) fn dovecot_pid(&self) -> Option<u32> {
        lock(&self.dovecot).as_ref().map(Child::id)
    }

    /// Process id of Postfix's master, while it runs.
    pub(crate) fn postfix_pid(&self) -> Option<u32> {
        *lock(&self.postfix_master)
    }

    fn try_start_dovecot(&self) -> Result<(), String> {
        let p = self.paths();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p.file("dovecot.stderr"))
            .map_err(|e| format!("dovecot.stderr: {e}"))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new("dovecot")
            // Its own process group, so Drop can end Dovecot and all its children at once
            // without touching anything else.
            .process_group(0)
            .arg("-F")
            .arg("-c")
            .arg(p.file("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run dovecot: {e}"))?;
        *lock(&self.dovecot) = Some(child);
        let ready = wait_until(|| {
            if let Some(child) = lock(&self.dovecot).as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Some(Err(format!("dovecot exited with {status}")));
            }
            let imap = greets(self.ports.imap, b"* OK");
            let lmtp = UnixStream::connect(p.lmtp_socket()).is_ok();
            (imap && lmtp).then_some(Ok(()))
        });
        match ready {
            Some(Ok(())) => Ok(()),
            other => {
                self.stop_dovecot();
                let why = match other {
                    Some(Err(e)) => e,
                    _ => format!("not ready after {READY_TIMEOUT:?}"),
                };
                Err(format!(
                    "Dovecot: {why}\n--- {}:\n{}\n--- dovecot.stderr:\n{}",
                    self.dovecot_log().display(),
                    tail(&self.dovecot_log()),
                    tail(&p.file("dovecot.stderr"))
                ))
            }
        }
    }

    fn try_start_postfix(&self) -> Result<(), String> {
        let p = self.paths();
        let out = Command::new("postfix")
            .arg("-c")
            .arg(p.file("postfix"))
            .arg("start")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run postfix: {e}"))?;
        let pid = fs::read_to_string(p.file("pfq/pid/master.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok());
        if let Some(pid) = pid {
            *lock(&self.postfix_master) = Some(pid);
        }
        let ready = out.status.success()
            && pid.is_some()
            && wait_until(|| {
                if pid.is_some_and(|pid| !alive(pid)) {
                    return Some(false);
                }
                greets(self.ports.smtp, b"220").then_some(true)
            }) == Some(true);
        if ready {
            return Ok(());
        }
        self.stop_postfix();
        Err(format!(
            "Postfix did not start ({}): {}{}\n--- {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.postfix_log().display(),
            tail(&self.postfix_log())
        ))
    }

    // ----- configuration -------------------------------------------------------------

    fn write_files(&self, ids: Ids) -> Result<(), String> {
        let p = self.paths();
        let dir = self.dir();
        // Dovecot's and Postfix's users must traverse the folder; tempfile makes it 0700.
        set_mode(dir, 0o755)?;
        write(
            &p.file(OWNER_FILE),
            &owner_stamp(std::process::id()).unwrap_or_default(),
        )?;
        for sub in ["run", "state", "tls", "postfix", "mail", "pfq", "pfdata"] {
            mkdir(&p.file(sub))?;
        }
        chown(&p.file("mail"), ids.mail_uid, ids.mail_gid)?;
        chown(&p.file("pfdata"), ids.postfix_uid, ids.postfix_gid)?;
        make_certificates(&p)?;

        let mut users = String::new();
        let mut vmailbox = String::new();
        for a in self.accounts.all() {
            let (local, domain) = a.address.split_once('@').unwrap_or((&a.address, ""));
            let home = p.file(&format!("mail/{domain}/{local}"));
            let _ = writeln!(
                users,
                "{}:{{PLAIN}}{}:{}:{}::{}::",
                a.address,
                a.password,
                ids.mail_uid,
                ids.mail_gid,
                home.display()
            );
            let _ = writeln!(vmailbox, "{} OK", a.address);
        }
        write(&p.file("users"), &users)?;
        write(&p.file("vmailbox"), &vmailbox)?;
        let mut conf = dovecot_conf(dir, self.ports, ids);
        if let Some(url) = &self.oauth2 {
            // Passwords for PLAIN/LOGIN only; tokens go to the introspection endpoint.
            conf = conf
                .replace(
                    "auth_mechanisms = plain login\n",
                    "auth_mechanisms = plain login xoauth2 oauthbearer\n",
                )
                .replacen(
                    "passdb {\n  driver = passwd-file\n",
                    "passdb {\n  driver = passwd-file\n  mechanisms = plain login\n",
                    1,
                );
            conf.push_str(&format!(
                "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {}\n}}\n",
                p.file("oauth2.conf.ext").display()
            ));
            write(
                &p.file("oauth2.conf.ext"),
                &format!(
                    "introspection_mode = post\nintrospection_url = {url}\nforce_introspection = yes\n\
                     username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                ),
            )?;
        }
        write(&p.file("dovecot.conf"), &conf)?;
        write(&p.file("postfix/main.cf"), &postfix_main_cf(dir))?;
        write(&p.file("postfix/master.cf"), &postfix_master_cf(self.ports))?;
        // Postfix keeps re-reading a main.cf younger than ~1 s; backdating saves ~2 s.
        let old = std::time::SystemTime::now() - Duration::from_secs(60);
        for f in ["postfix/main.cf", "postfix/master.cf", "vmailbox"] {
            let file = fs::File::options()
                .write(true)
                .open(p.file(f))
                .map_err(|e| format!("{f}: {e}"))?;
            file.set_modified(old).map_err(|e| format!("{f}: {e}"))?;
        }
        Ok(())
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop_postfix();
        // A graceful Dovecot stop takes ~1 s; the rig's mail is about to be deleted, so
        // kill its process group (only Dovecot and its children) outright.
        if let Some(mut child) = lock(&self.dovecot).take() {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
        }
        // The TempDir field removes the folder after this, unless asked to keep it.
        if std::env::var_os("LOKET_RIG_KEEP").is_some() {
            self.dir.disable_cleanup(true);
            eprintln!("mail rig: kept {}", self.dir().display());
        }
    }
}

/// Paths inside a rig folder.
struct Paths<'a>(&'a Path);

impl Paths<'_> {
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn lmtp_socket(&self) -> PathBuf {
        self.0.join("run/dovecot/lmtp")
    }
}

fn dovecot_conf(dir: &Path, ports: Ports, ids: Ids) -> String {
    let d = dir.display();
    format!(
        r#"# Written by the loket mail rig.
base_dir = {d}/run/dovecot
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/tls/server.pem
ssl_key = <{d}/tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
# No delay of Dovecot's own after a failed login, and no growing penalty per address
# (the socket auth would ask is closed to it): a test of the daemon's retry pace must
# see the daemon's backoff, not the server's.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
protocol lmtp {{
  postmaster_address = postmaster@{OFFICE_DOMAIN}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    user = postfix
    mode = 0600
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    user = postfix
    mode = 0600
  }}
}}
"#,
        uid = ids.mail_uid,
        gid = ids.mail_gid,
        imap = ports.imap,
        imaps = ports.imaps,
    )
}

fn postfix_main_cf(dir: &Path) -> String {
    let d = dir.display();
    let domains = format!("{OFFICE_DOMAIN} {}", STAKEHOLDER_DOMAINS.join(" "));
    format!(
        r#"# Written by the loket mail rig.
compatibility_level = 3.6
queue_directory = {d}/pfq
data_directory = {d}/pfdata
meta_directory = /etc/postfix
maillog_file = {d}/postfix.log
maillog_file_prefixes = {d}
mail_owner = postfix
myhostname = mail.{OFFICE_DOMAIN}
mydomain = {OFFICE_DOMAIN}
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 the rig has no local mailboxes
virtual_mailbox_domains = {domains}
virtual_mailbox_maps = texthash:{d}/vmailbox
virtual_transport = lmtp:unix:{d}/run/dovecot/lmtp
default_transport = error:5.7.1 the rig never delivers off this machine
relay_transport = error:5.7.1 the rig never delivers off this machine
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_type = dovecot
smtpd_sasl_path = {d}/run/dovecot/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_tls_cert_file = {d}/tls/server.pem
smtpd_tls_key_file = {d}/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_session_cache_database =
# Mail deferred while Dovecot is stopped goes out within seconds of its return.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 4s
message_size_limit = 104857600
mailbox_size_limit = 0
virtual_mailbox_limit = 0
biff = no
delay_warning_time = 0
smtputf8_enable = yes
"#
    )
}

fn postfix_master_cf(ports: Ports) -> String {
    // Written from scratch: chroot `n` everywhere, since the rig's paths are absolute.
    let auth = "  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n";
    format!(
        r#"# Written by the loket mail rig.
127.0.0.1:{smtp} inet n - n - - smtpd
127.0.0.1:{smtps} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
{auth}127.0.0.1:{submission} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
{auth}pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"#,
        smtp = ports.smtp,
        smtps = ports.smtps,
        submission = ports.submission,
    )
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it (a self-signed
/// leaf would be refused by webpki as "CA used as end entity").
fn make_certificates(p: &Paths<'_>) -> Result<(), String> {
    let cnf = p.file("tls/openssl.cnf");
    write(
        &cnf,
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = loket rig CA\n\
         [ca_ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [server_ext]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
    )?;
    let tls = |f: &str| p.file(&format!("tls/{f}")).display().to_string();
    let cnf = cnf.display().to_string();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let steps: [Vec<String>; 3] = [
        [
            "req",
            "-x509",
            "-config",
            &cnf,
            "-extensions",
            "ca_ext",
            "-days",
            "3650",
        ]
        .iter()
        .chain(&ec)
        .map(std::string::ToString::to_string)
        .chain([
            "-keyout".into(),
            tls("ca.key"),
            "-out".into(),
            tls("ca.pem"),
        ])
        .collect(),
        ["req", "-new", "-config", &cnf, "-subj", "/CN=localhost"]
            .iter()
            .chain(&ec)
            .map(std::string::ToString::to_string)
            .chain([
                "-keyout".into(),
                tls("server.key"),
                "-out".into(),
                tls("server.csr"),
            ])
            .collect(),
        [
            "x509",
            "-req",
            "-days",
            "3650",
            "-set_serial",
            "2",
            "-extfile",
            &cnf,
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .chain(["-extensions".into(), "server_ext".into()])
        .chain(["-in".into(), tls("server.csr"), "-CA".into(), tls("ca.pem")])
        .chain([
            "-CAkey".into(),
            tls("ca.key"),
            "-out".into(),
            tls("server.pem"),
        ])
        .collect(),
    ];
    for args in steps {
        let out = Command::new("openssl")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run openssl: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "openssl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    set_mode(&p.file("tls/ca.pem"), 0o644)?;
    set_mode(&p.file("tls/server.pem"), 0o644)
}

// ----- leftovers of killed test processes -----------------------------------------------

/// Names the process that owns a rig folder: "pid start-time".
const OWNER_FILE: &str = "owner";

/// "pid start-time" of a running process; the start time tells a reused pid apart.
fn owner_stamp(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime); fields after the ")" that closes the command name.
    let (_, rest) = stat.rsplit_once(") ")?;
    if rest.starts_with('Z') {
        return None; // exited, not yet reaped
    }
    let start = rest.split_whitespace().nth(19)?;
    Some(format!("{pid} {start}"))
}

/// Stops the servers of rig folders whose owning process is gone (a test binary killed
/// by SIGKILL or Ctrl-C never runs `Drop`) and removes those folders. Only processes
/// proven to belong to such a folder are signalled.
fn reap_stale_rigs() {
    let Ok(entries) = fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_rig = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("loket-rig-"));
        // A folder without an owner file is still being set up by someone: leave it.
        let Ok(owner) = fs::read_to_string(dir.join(OWNER_FILE)) else {
            continue;
        };
        let owner_pid = owner.split(' ').next().and_then(|p| p.parse::<u32>().ok());
        if !is_rig || owner_pid.is_some_and(|pid| owner_stamp(pid).as_deref() == Some(owner.trim()))
        {
            continue;
        }
        let pid_in = |file: &str| {
            fs::read_to_string(dir.join(file))
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
        };
        if let Some(pid) = pid_in("pfq/pid/master.pid")
            && fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir.join("pfq"))
        {
            terminate_pid(pid);
        }
        if let Some(pid) = pid_in("run/dovecot/master.pid")
            && fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
                let conf = dir.join("dovecot.conf");
                String::from_utf8_lossy(&cmd).contains(&*conf.to_string_lossy())
            })
        {
            terminate_pid(pid);
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

// ----- packages ------------------------------------------------------------------------

/// The servers must be installed beforehand (`scripts/install-test-deps.sh`, which the
/// test command runs): a test never installs packages itself.
fn check_packages() -> Result<(), String> {
    const NEEDED: [&str; 5] = [
        "/usr/sbin/dovecot",
        "/usr/lib/dovecot/imap",
        "/usr/lib/dovecot/lmtp",
        "/usr/sbin/postfix",
        "/usr/bin/openssl",
    ];
    let missing: Vec<&str> = NEEDED
        .iter()
        .copied()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} missing: install the mail servers with `bash scripts/install-test-deps.sh` \
             (as root), or run every test with `bash scripts/test.sh`",
            missing.join(", ")
        ))
    }
}

// ----- protocol helpers ----------------------------------------------------------------

fn smtp_send(
    transport: &lettre::SmtpTransport,
    envelope_from: &str,
    to: &[&str],
    raw: &[u8],
) -> Result<(), String> {
    use lettre::Transport;
    let from = if envelope_from.is_empty() {
        None
    } else {
        Some(
            envelope_from
                .parse::<lettre::Address>()
                .map_err(|e| format!("envelope sender {envelope_from:?}: {e}"))?,
        )
    };
    let to = to
        .iter()
        .map(|a| {
            a.parse::<lettre::Address>()
                .map_err(|e| format!("recipient {a:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = lettre::address::Envelope::new(from, to).map_err(|e| e.to_string())?;
    transport
        .send_raw(&envelope, &crlf(raw))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn lmtp_deliver(socket: &Path, from: &str, to: &str, raw: &[u8]) -> Result<(), String> {
    let stream = UnixStream::connect(socket).map_err(|e| format!("{}: {e}", socket.display()))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut step = |command: Option<&[u8]>, expect: &str| -> Result<(), String> {
        if let Some(command) = command {
            writer.write_all(command).map_err(|e| e.to_string())?;
        }
        let reply = read_reply(&mut reader)?;
        if reply.starts_with(expect) {
            Ok(())
        } else {
            let sent = command.map(String::from_utf8_lossy).unwrap_or_default();
            Err(format!(
                "after {:?} the server said {reply:?}",
                sent.trim_end()
            ))
        }
    };
    step(None, "220")?;
    step(Some(b"LHLO rig.localhost\r\n"), "250")?;
    step(Some(format!("MAIL FROM:<{from}>\r\n").as_bytes()), "250")?;
    step(Some(format!("RCPT TO:<{to}>\r\n").as_bytes()), "250")?;
    step(Some(b"DATA\r\n"), "354")?;
    let mut data = Vec::with_capacity(raw.len() + 64);
    for line in crlf(raw).split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    data.extend_from_slice(b".\r\n");
    step(Some(&data), "250")?;
    step(Some(b"QUIT\r\n"), "221")
}

/// Reads one (possibly multi-line) SMTP/LMTP reply.
fn read_reply(reader: &mut impl BufRead) -> Result<String, String> {
    let mut reply = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("connection closed; got {reply:?}"));
        }
        reply.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return Ok(reply);
        }
    }
}

/// Bare LF → CRLF, and a final CRLF, as SMTP and LMTP require.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40 + 2);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn header_recipients(raw: &[u8]) -> Vec<String> {
    let Some(msg) = mail_parser::MessageParser::default().parse_headers(raw) else {
        return Vec::new();
    };
    [msg.to(), msg.cc(), msg.bcc()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address().map(str::to_string))
        .collect()
}

fn header_from(raw: &[u8]) -> Option<String> {
    let msg = mail_parser::MessageParser::default().parse_headers(raw)?;
    msg.from()?.first()?.address().map(str::to_string)
}

fn header_subject(raw: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default()
}

/// Whether an IMAP error carries one of `texts`. imap-proto does not parse RFC 5530
/// codes such as [NONEXISTENT], so Dovecot's wording is matched as well.
fn says(e: &imap::Error, texts: &[&str]) -> bool {
    let shown = match e {
        imap::Error::No(no) => format!("{} {:?}", no.information, no.code),
        other => other.to_string(),
    };
    texts.iter().any(|t| shown.contains(t))
}

/// True once something on `port` greets with `prefix`.
fn greets(port: u16, prefix: &[u8]) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 64];
    let greeted = matches!(stream.read(&mut buf), Ok(n) if buf[..n].starts_with(prefix));
    let quit: &[u8] = if prefix == b"220" {
        b"QUIT\r\n"
    } else {
        b"a LOGOUT\r\n"
    };
    let _ = stream.write_all(quit);
    greeted
}

/// Polls `check` every 10 ms until it gives an answer or READY_TIMEOUT passes.
fn wait_until<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(answer) = check() {
            return Some(answer);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// ----- processes -----------------------------------------------------------------------

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Signals every process of the group led by `pgid`.
fn signal_group(pgid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether `pid` runs (a zombie left for an init that does not reap counts as gone).
fn alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// SIGTERM, then SIGKILL after STOP_TIMEOUT; Postfix's master takes its children along.
fn terminate_pid(pid: u32) {
    signal(pid, "TERM");
    let deadline = Instant::now() + STOP_TIMEOUT;
    while alive(pid) {
        if Instant::now() >= deadline {
            signal(pid, "KILL");
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// SIGTERM to our Dovecot child (it stops its own children), SIGKILL after a timeout.
fn terminate_child(child: &mut Child) {
    signal(child.id(), "TERM");
    let deadline = Instant::now() + STOP_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves valid data here; keep going so Drop still stops.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ----- files ---------------------------------------------------------------------------

fn mkdir(path: &Path) -> Result<(), String> {
    fs::create_dir_all(path).map_err(|e| format!("{}: {e}", path.display()))?;
    set_mode(path, 0o755)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn chown(path: &Path, uid: u32, gid: u32) -> Result<(), String> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Last lines of a log, for panic messages.
fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
