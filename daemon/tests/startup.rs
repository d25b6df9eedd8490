//! loketd refuses to start on a broken site folder, and says where and why. No server
//! is needed: these fail before any connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;

use loketd::desk::Desk;
use support::desk::shipped_site;

fn load_error(edit: impl Fn(&std::path::Path)) -> String {
    let site = shipped_site();
    edit(site.root());
    match Desk::load(site.root()) {
        Ok(_) => panic!("a broken site loaded"),
        Err(e) => e.to_string(),
    }
}

fn rewrite(path: &std::path::Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_shipped_site_loads() {
    let site = shipped_site();
    let desk = Desk::load(site.root()).unwrap();
    assert_eq!(
        desk.service("kons").unwrap().completion.label_id(),
        "20 menit"
    );
    assert_eq!(desk.config.roster.csos().count(), 2);
}

#[test]
fn an_unknown_default_service_is_named() {
    let e = load_error(|root| {
        rewrite(
            &root.join("site.toml"),
            "default_service = \"KONS\"",
            "default_service = \"XYZ\"",
        );
    });
    assert!(e.contains("\"XYZ\""), "{e}");
}

#[test]
fn a_broken_mail_template_names_the_template() {
    let e = load_error(|root| {
        fs::write(
            root.join("themes/default/email/ack.txt"),
            "Yth. {{ ticket.id }\n",
        )
        .unwrap();
    });
    assert!(e.contains("ack.txt"), "{e}");
}

#[test]
fn a_bad_holiday_date_names_file_and_line() {
    let e = load_error(|root| {
        rewrite(
            &root.join("data/hari-libur.toml"),
            "\"2026-03-19\"",
            "\"2026-03-32\"",
        );
    });
    assert!(e.contains("hari-libur.toml"), "{e}");
    assert!(e.contains("2026-03-32"), "{e}");
}

#[test]
fn a_missing_holiday_file_is_a_config_error_with_its_line() {
    let e = load_error(|root| fs::remove_file(root.join("data/hari-libur.toml")).unwrap());
    assert!(e.contains("office_hours.holidays"), "{e}");
    assert!(e.contains("site.toml:"), "{e}");
}

#[test]
fn a_broken_standard_stops_the_daemon_with_its_file() {
    let e = load_error(|root| {
        rewrite(
            &root.join("content/layanan/konsultasi-stakeholder.md"),
            "## Persyaratan",
            "## Syarat",
        );
    });
    assert!(e.contains("konsultasi-stakeholder.md"), "{e}");
}

#[test]
fn a_group_readable_key_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let e = load_error(|root| {
        let data = root.join("var/loketd");
        fs::create_dir_all(&data).unwrap();
        let key = data.join("capability.key");
        fs::write(&key, [7u8; 32]).unwrap();
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    });
    assert!(e.contains("chmod 600"), "{e}");
}

#[test]
fn the_cli_names_the_problem_once_and_exits_non_zero() {
    let site = shipped_site();
    rewrite(
        &site.root().join("data/hari-libur.toml"),
        "\"2026-03-19\"",
        "\"2026-03-32\"",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(site.root())
        .arg("once")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hari-libur.toml:15:"), "{err}");
    assert_eq!(err.matches("is not a date").count(), 1, "{err}");
}
