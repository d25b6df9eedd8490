//! `loket serve`: a live preview on loopback. The site is built into memory, served on
//! `127.0.0.1:<port>`, and built again when a source changes; pages in the browser reload
//! themselves through a small script that only this server adds (built pages stay free of
//! JavaScript). A build that fails shows its errors, with their `file:line`, in place of
//! every page until it is fixed.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use loket_core::diagnostics::Diagnostic;
use notify::{RecursiveMode, Watcher};
use tiny_http::{Header, Request, Response, Server};

use crate::site::Site;

/// Path the reload script asks for the current build number.
pub const VERSION_PATH: &str = "/__loket/version";

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on 127.0.0.1:{port}: {reason} (is another server using it? try --port)")]
    Listen { port: u16, reason: String },
    #[error("cannot watch {}: {source}", path.display())]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
}

/// What `loket serve` is asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
    pub drafts: bool,
}

/// The latest build: its files, or the errors that stopped it.
#[derive(Default)]
struct Build {
    files: BTreeMap<String, Vec<u8>>,
    errors: Vec<Diagnostic>,
    /// Goes up by one with every build; the reload script compares it.
    version: u64,
}

/// Folders and files whose change means a rebuild.
const WATCHED: &[&str] = &["site.toml", "content", "themes", "static", "data"];

/// Builds, serves and rebuilds until the process is stopped. `ready` is told the address
/// once the server listens.
pub fn serve(opts: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let listen_error = |reason: String| ServeError::Listen {
        port: opts.port,
        reason,
    };
    let server =
        Server::http((Ipv4Addr::LOCALHOST, opts.port)).map_err(|e| listen_error(e.to_string()))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| listen_error("not an IP socket".into()))?;
    let base_url = format!("http://{addr}/");
    let state = Arc::new(RwLock::new(Build::default()));
    rebuild(opts, &base_url, &state);

    let (tx, events) = channel();
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        // Only changes matter; the receiver is gone only when serving stops.
        if e.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    })
    .map_err(|source| ServeError::Watch {
        path: opts.root.clone(),
        source,
    })?;
    for name in WATCHED {
        let path = opts.root.join(name);
        if path.exists() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|source| ServeError::Watch {
                    path: path.clone(),
                    source,
                })?;
        }
    }

    let served = Arc::clone(&state);
    let root = opts.root.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            respond(request, &served, &root);
        }
    });
    ready(addr);
    watch(&events, opts, &base_url, &state);
    Ok(())
}

/// Rebuilds after each burst of changes (an editor's save is several events).
fn watch(events: &Receiver<()>, opts: &ServeOptions, base_url: &str, state: &RwLock<Build>) {
    while events.recv().is_ok() {
        loop {
            match events.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        rebuild(opts, base_url, state);
    }
}

/// Builds the site into memory and makes it the one served.
fn rebuild(opts: &ServeOptions, base_url: &str, state: &RwLock<Build>) {
    let started = std::time::Instant::now();
    let (files, diags) = build_in_memory(&opts.root, base_url, opts.drafts);
    // Warnings are said on every build, as `loket build` says them.
    for d in diags.iter().filter(|d| !d.is_error()) {
        eprintln!("{}: {}", d.severity, shown(d, &opts.root));
    }
    let errors: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
    let mut build = state
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    build.version += 1;
    if errors.is_empty() {
        eprintln!(
            "Built {} files in {} ms",
            files.len(),
            started.elapsed().as_millis()
        );
        build.files = files;
        build.errors.clear();
    } else {
        for d in &errors {
            eprintln!("{}: {}", d.severity, shown(d, &opts.root));
        }
        eprintln!(
            "Build failed: {} error(s); the pages show them until they are fixed",
            errors.len()
        );
        build.errors = errors;
    }
}

/// Every file of the site and the build's warnings, or its errors (and warnings).
fn build_in_memory(
    root: &Path,
    base_url: &str,
    drafts: bool,
) -> (BTreeMap<String, Vec<u8>>, Vec<Diagnostic>) {
    let (site, mut warnings) = match Site::load(root, Some(base_url), drafts, None) {
        Ok(x) => x,
        Err(d) => return (BTreeMap::new(), d.0),
    };
    let files = Mutex::new(BTreeMap::new());
    let sink = |rel: &str, bytes: &[u8]| {
        files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(rel.to_string(), bytes.to_vec());
        Ok(())
    };
    match site.render(&sink) {
        Ok((pages, _)) => {
            warnings.extend(crate::links::left_out_warnings(&pages));
            (
                files
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                warnings,
            )
        }
        Err(d) => (BTreeMap::new(), d.0),
    }
}

/// A diagnostic with its path relative to the site root, as `path:line:col: …`.
fn shown(d: &Diagnostic, root: &Path) -> String {
    let mut d = d.clone();
    if let Ok(rel) = d.path.strip_prefix(root) {
        d.path = rel.to_path_buf();
    }
    if let Ok(rel) = d.path.strip_prefix(".") {
        d.path = rel.to_path_buf();
    }
    d.to_string()
}

fn respond(request: Request, state: &RwLock<Build>, root: &Path) {
    let build = state
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = request.url().split(['?', '#']).next().unwrap_or("/");
    let path = percent_decode(path);
    let (status, body, kind) = if path == VERSION_PATH {
        (200, build.version.to_string().into_bytes(), "text/plain")
    } else if !build.errors.is_empty() {
        (500, error_page(&build, root).into_bytes(), "text/html")
    } else {
        lookup(&build, &path)
    };
    let body = if kind == "text/html" {
        with_reload_script(body, build.version)
    } else {
        body
    };
    drop(build);
    let mut response = Response::from_data(body).with_status_code(status);
    for (name, value) in [
        ("Content-Type", content_type(kind)),
        ("Cache-Control", "no-store"),
    ] {
        if let Ok(h) = Header::from_bytes(name, value) {
            response.add_header(h);
        }
    }
    // A browser that went away is no error of the site.
    let _ = request.respond(response);
}

/// The file at a request path: `/x/` is `x/index.html`; a missing file is the 404 page.
fn lookup(build: &Build, path: &str) -> (u16, Vec<u8>, &'static str) {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    let found = build
        .files
        .get(&rel)
        .map(|b| (rel.as_str(), b))
        .or_else(|| {
            // `/tentang` without its slash.
            build
                .files
                .get(&format!("{rel}/index.html"))
                .map(|b| ("index.html", b))
        });
    match found {
        Some((name, bytes)) => (200, bytes.clone(), kind_of(name)),
        None => (
            404,
            build.files.get("404.html").cloned().unwrap_or_default(),
            "text/html",
        ),
    }
}

fn kind_of(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html",
        "css" => "text/css",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

fn content_type(kind: &str) -> &str {
    match kind {
        "text/html" => "text/html; charset=utf-8",
        "text/plain" => "text/plain; charset=utf-8",
        "text/css" => "text/css; charset=utf-8",
        other => other,
    }
}

/// Asks the server for the build number every second and reloads when it changes. Only
/// `loket serve` adds it; built pages have no JavaScript.
fn with_reload_script(mut html: Vec<u8>, version: u64) -> Vec<u8> {
    let script = format!(
        "<script>/* loket serve: live reload */(function(){{var v=\"{version}\";function poll(){{fetch(\"{VERSION_PATH}\",{{cache:\"no-store\"}}).then(function(r){{return r.text()}}).then(function(t){{if(t!==v){{location.reload()}}else{{setTimeout(poll,1000)}}}},function(){{setTimeout(poll,1000)}})}}setTimeout(poll,1000)}})();</script>\n"
    );
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    html.splice(at..at, script.into_bytes());
    html
}

/// The page shown in place of every page while the build fails.
fn error_page(build: &Build, root: &Path) -> String {
    let items: String = build
        .errors
        .iter()
        .map(|d| {
            format!(
                "<li><code>{}</code></li>\n",
                crate::urls::escape(&shown(d, root))
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Build failed · loket serve</title>\n<style>body{{font-family:system-ui,sans-serif;margin:2rem;line-height:1.5}}h1{{color:#a00}}li{{margin:.5rem 0}}code{{white-space:pre-wrap}}</style>\n</head>\n<body>\n<main>\n<h1>Build failed</h1>\n<p>{} error(s). Fix them and save: this page reloads by itself.</p>\n<ul>\n{items}</ul>\n</main>\n</body>\n</html>\n",
        build.errors.len()
    )
}

/// `%20` and the like in a request path; bytes that do not decode are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_script_goes_before_the_body_ends() {
        let html = with_reload_script(b"<html><body><p>x</p></body></html>".to_vec(), 7);
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("var v=\"7\""), "{html}");
        assert!(html.ends_with("</script>\n</body></html>"), "{html}");
    }

    #[test]
    fn paths_decode_and_find_their_index() {
        assert_eq!(percent_decode("/a%20b/%zz"), "/a b/%zz");
        let mut build = Build::default();
        build
            .files
            .insert("tentang/index.html".into(), b"t".to_vec());
        build.files.insert("404.html".into(), b"nf".to_vec());
        assert_eq!(lookup(&build, "/tentang/").0, 200);
        assert_eq!(lookup(&build, "/tentang").0, 200);
        assert_eq!(lookup(&build, "/nope/"), (404, b"nf".to_vec(), "text/html"));
    }
}
