//! Starts the test mail rig (Dovecot + Postfix on loopback) for trying loketd by hand:
//! `cargo run -p loketd --example rig`. Prints the accounts, ports, CA file and a
//! `[mail]` snippet for site.toml, then runs until Ctrl-C (or SIGTERM) and stops cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/rig.rs"]
mod rig;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }

    let started = Instant::now();
    let rig = rig::Rig::start();
    println!(
        "Mail rig ready in {:?}, folder {}",
        started.elapsed(),
        rig.dir().display()
    );
    println!();
    println!("Accounts (login = address):");
    let roles = [
        ("office", rig.office()),
        ("stakeholder", rig.stakeholder()),
        ("stakeholder2", rig.stakeholder2()),
        ("cso1", rig.cso1()),
        ("cso2", rig.cso2()),
        ("kasi", rig.kasi()),
        ("kepala", rig.kepala()),
    ];
    for (role, account) in roles {
        println!("  {role:<13} {:<40} {}", account.address, account.password);
    }
    println!();
    println!("Ports on 127.0.0.1:");
    println!("  IMAP (plain, STARTTLS)          {}", rig.imap_port());
    println!("  IMAPS (implicit TLS)            {}", rig.imaps_port());
    println!("  SMTP (plain, STARTTLS, no AUTH) {}", rig.smtp_port());
    println!("  SMTPS (implicit TLS, AUTH)      {}", rig.smtps_port());
    println!(
        "  Submission (STARTTLS, AUTH)     {}",
        rig.submission_port()
    );
    println!("CA file: {}", rig.ca_file().display());
    println!(
        "Logs:    {} and {}",
        rig.dovecot_log().display(),
        rig.postfix_log().display()
    );
    println!();
    println!("# site.toml");
    println!("{}", mail_snippet(&rig));
    println!("# shell");
    println!("export LOKETD_IMAP_PASSWORD='{}'", rig.office().password);
    println!("export LOKETD_SMTP_PASSWORD='{}'", rig.office().password);
    println!();
    println!("Running until Ctrl-C.");

    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(rig);
    println!("Mail rig stopped.");
    Ok(())
}

fn mail_snippet(rig: &rig::Rig) -> String {
    let office = &rig.office().address;
    let ca = rig.ca_file().display();
    format!(
        r#"[mail]
address = "{office}"
tag = "KPPN-TSL"
data_dir = "var/loketd"
max_message_bytes = 26214400

[mail.imap]
host = "localhost"
port = {imaps}
tls = "implicit"
user = "{office}"
password_env = "LOKETD_IMAP_PASSWORD"
ca_file = "{ca}"
folder = "INBOX"
processed_folder = "Diproses"
quarantine_folder = "Karantina"
idle = true
poll_seconds = 60

[mail.smtp]
host = "localhost"
port = {submission}
tls = "starttls"
user = "{office}"
password_env = "LOKETD_SMTP_PASSWORD"
ca_file = "{ca}"
"#,
        imaps = rig.imaps_port(),
        submission = rig.submission_port(),
    )
}
