//! `loket serve`: starts on a free loopback port, serves the site built in memory,
//! rebuilds when a file changes, shows a failed build's errors with their `file:line`
//! in place of the pages, and stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::{loket, site_copy, stderr};

const STANDARD: &str = "content/layanan/konsultasi-stakeholder.md";
const PAGE: &str = "/layanan/konsultasi-stakeholder/";

/// The server process, stopped when the test ends, however it ends.
struct Serve {
    child: Child,
    addr: String,
    log: Receiver<String>,
    /// What it printed up to the line that says where it listens.
    startup: Vec<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start loket serve");
    let (tx, log) = channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut serve = Serve {
        child,
        addr: String::new(),
        log,
        startup: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(line) = serve.log.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("Serving the site at http://") {
            serve.addr = rest.split('/').next().unwrap().to_string();
            return serve;
        }
        serve.startup.push(line);
    }
    panic!("loket serve did not say where it listens");
}

/// GET over plain HTTP/1.1: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a response");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    // tiny_http answers a `Connection: close` request without chunking.
    (status, body.to_string())
}

/// Asks until `ok` holds (a rebuild takes a moment after the file changes).
fn until(addr: &str, path: &str, what: &str, ok: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get(addr, path);
        if ok(status, &body) {
            return (status, body);
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {status} after 20 s:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn edit(root: &Path, from: &str, to: &str) {
    let path = root.join(STANDARD);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The script only the server adds.
fn without_reload_script(html: &str) -> String {
    let start = html.find("<script>/* loket serve").expect("reload script");
    let end = start + html[start..].find("</script>\n").unwrap() + "</script>\n".len();
    format!("{}{}", &html[..start], &html[end..])
}

#[test]
fn serve_rebuilds_on_change_shows_errors_at_their_line_and_stops() {
    let site = site_copy();
    let root = site.path();
    let serve = start(root);
    assert!(
        serve.addr.starts_with("127.0.0.1:"),
        "loopback only: {}",
        serve.addr
    );
    // The build's warnings are said, as `loket build` says them (the shipped site's
    // addresses are on a reserved example domain).
    assert!(
        serve
            .startup
            .iter()
            .any(|l| l.starts_with("warning: site.toml:") && l.contains("reserved example domain")),
        "{:?}",
        serve.startup
    );

    // The page served is the page built, plus the reload script.
    let (status, served) = get(&serve.addr, PAGE);
    assert_eq!(status, 200, "{served}");
    let out = root.join("built");
    let o = loket(
        &[
            "build",
            "--output",
            out.to_str().unwrap(),
            "--base-url",
            &format!("http://{}/", serve.addr),
        ],
        root,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let built =
        std::fs::read_to_string(out.join("layanan/konsultasi-stakeholder/index.html")).unwrap();
    assert!(!built.contains("<script>"), "built pages have no script");
    assert_eq!(without_reload_script(&served), built);
    assert_eq!(get(&serve.addr, "/__loket/version"), (200, "1".into()));
    assert_eq!(get(&serve.addr, "/style.css").0, 200);
    assert_eq!(get(&serve.addr, "/tidak-ada/").0, 404);

    // An edit shows on the next request after the rebuild.
    edit(
        root,
        "title = \"Layanan Konsultasi Stakeholder\"",
        "title = \"Layanan Konsultasi Stakeholder Baru\"",
    );
    until(&serve.addr, PAGE, "the edited title", |s, b| {
        s == 200 && b.contains("<h1>Layanan Konsultasi Stakeholder Baru</h1>")
    });
    let (_, version) = get(&serve.addr, "/__loket/version");
    assert_ne!(
        version, "1",
        "a rebuild is a new version for the reload script"
    );

    // A broken file: every page shows the error with its file:line.
    edit(root, "completion = \"20m\"", "completion = \"segera\"");
    let line = std::fs::read_to_string(root.join(STANDARD))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("completion ="))
        .unwrap()
        + 1;
    let (status, page) = until(&serve.addr, "/", "the error page", |s, _| s == 500);
    assert_eq!(status, 500);
    let location = format!("{STANDARD}:{line}:");
    assert!(page.contains(&location), "no {location} in\n{page}");
    assert!(page.contains("<h1>Build failed</h1>"), "{page}");
    assert!(page.contains("/* loket serve: live reload */"), "{page}");

    // Fixed: the site is back.
    edit(root, "completion = \"segera\"", "completion = \"20m\"");
    until(&serve.addr, PAGE, "the fixed site", |s, _| s == 200);

    // Stopped: nothing listens any more.
    let addr = serve.addr.clone();
    drop(serve);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "still listening on {addr}"
    );
}
