//! The output folder: loket empties only a folder it wrote (as Zola does), and says why
//! it will not touch another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{files_under, loket, site_copy, stderr};

#[test]
fn a_folder_with_files_loket_did_not_write_is_refused_unless_forced() {
    let site = site_copy();
    let public = site.path().join("public");
    std::fs::create_dir_all(public.join("catatan")).expect("mkdir");
    std::fs::write(public.join("catatan/penting.txt"), "jangan dihapus").expect("write");
    std::fs::write(public.join("index.html"), "old").expect("write");
    let o = loket(&["build"], site.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "public:1:1: the output folder holds files loket did not write: catatan/penting.txt;"
        ),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(public.join("catatan/penting.txt")).expect("kept"),
        "jangan dihapus"
    );
    assert_eq!(
        std::fs::read_to_string(public.join("index.html")).expect("kept"),
        "old"
    );

    let o = loket(&["build", "--force"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!public.join("catatan").exists());
    assert!(
        public
            .join("layanan/konsultasi-stakeholder/index.html")
            .is_file()
    );
}

#[test]
fn a_git_folder_is_never_emptied_without_force() {
    let site = site_copy();
    let out = site.path().join("situs");
    std::fs::create_dir_all(out.join(".git/objects")).expect("mkdir");
    std::fs::write(out.join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
    let o = loket(&["build", "--output", "situs"], site.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("loket did not write: .git/;"), "{err}");
    assert!(out.join(".git/HEAD").is_file());
}

#[test]
fn loket_rebuilds_its_own_output_even_after_a_standard_is_removed() {
    let site = site_copy();
    let public = site.path().join("public");
    // An empty folder is fine.
    std::fs::create_dir_all(&public).expect("mkdir");
    let extra = site.path().join("content/layanan/konsultasi-kedua.md");
    let text = std::fs::read_to_string(
        site.path()
            .join("content/layanan/konsultasi-stakeholder.md"),
    )
    .expect("read")
    .replace("code = \"KONS\"", "code = \"KONS2\"");
    std::fs::write(&extra, text).expect("write");
    let o = loket(&["build"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(public.join("layanan/konsultasi-kedua/index.html").is_file());
    // What the build says it writes is what it wrote.
    let manifest = std::fs::read_to_string(public.join(".loket-files")).expect("manifest");
    let mut listed: Vec<String> = manifest.lines().map(String::from).collect();
    listed.push(".loket-files".into());
    listed.sort();
    assert_eq!(files_under(&public), listed);

    std::fs::remove_file(&extra).expect("remove");
    let o = loket(&["build"], site.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!public.join("layanan/konsultasi-kedua").exists());
}
