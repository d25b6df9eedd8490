//! `loket`: build, check and scaffold a KPPN's service-standard site.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use loket::diagnostics::Diagnostic;
use loket::{BuildOptions, scaffold};

#[derive(Parser)]
#[command(
    name = "loket",
    version,
    about = "Static site of a KPPN's public service standards"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (emptied first).
    Build {
        /// Site root holding site.toml, content/ and themes/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Output folder [default: <root>/public].
        #[arg(long)]
        output: Option<PathBuf>,
        /// Override `base_url` from site.toml (an absolute http(s) address).
        #[arg(long, value_parser = base_url)]
        base_url: Option<String>,
        /// Include pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// Empty the output folder even when it holds files loket did not write.
        #[arg(long)]
        force: bool,
        /// Publish this performance export (`loketd export`) on /kinerja/, instead of
        /// `kinerja` in site.toml.
        #[arg(long, value_name = "PATH")]
        kinerja: Option<PathBuf>,
    },
    /// Validate everything, including internal links and anchors; writes nothing.
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Also check pages marked `draft = true` as published pages.
        #[arg(long)]
        drafts: bool,
        /// Check this performance export instead of `kinerja` in site.toml.
        #[arg(long, value_name = "PATH")]
        kinerja: Option<PathBuf>,
    },
    /// Preview the site on http://127.0.0.1:1111/, rebuilt and reloaded on every change.
    Serve {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port on 127.0.0.1 (0 picks a free one). The server listens on loopback only.
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Include pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
    },
    /// Scaffold a new standard at content/layanan/<slug>.md (as a draft).
    New {
        slug: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

/// `--base-url` must be the address the site is published at.
fn base_url(s: &str) -> Result<String, String> {
    if loket::config::is_http_url(s) {
        Ok(s.trim().to_string())
    } else {
        Err("not an absolute http(s) address; write the address the site is published at, e.g. https://layanan.kppn.go.id/".to_string())
    }
}

fn print(diags: &[Diagnostic]) {
    for d in diags {
        // `./content/x.md` reads better as `content/x.md`.
        let mut d = d.clone();
        if let Ok(rel) = d.path.strip_prefix(".") {
            d.path = rel.to_path_buf();
        }
        eprintln!("{}: {d}", d.severity);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
            force,
            kinerja,
        } => {
            let start = Instant::now();
            let output = output.unwrap_or_else(|| root.join("public"));
            eprintln!(
                "Building site from {} into {}",
                root.display(),
                output.display()
            );
            let opts = BuildOptions {
                root,
                output: Some(output),
                base_url,
                drafts,
                force,
                kinerja,
            };
            match loket::build(&opts) {
                Ok(report) => {
                    print(&report.warnings);
                    eprintln!(
                        "Built {} pages ({} services, {} files) in {} ms",
                        report.pages,
                        report.services,
                        report.files,
                        start.elapsed().as_millis()
                    );
                    ExitCode::SUCCESS
                }
                Err(diags) => {
                    print(&diags.0);
                    eprintln!(
                        "Build failed: {} error(s), {} warning(s)",
                        diags.error_count(),
                        diags.warning_count()
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check {
            root,
            drafts,
            kinerja,
        } => {
            let start = Instant::now();
            let diags = loket::check(&root, drafts, kinerja.as_deref());
            print(&diags.0);
            eprintln!(
                "Checked {} in {} ms: {} error(s), {} warning(s)",
                root.display(),
                start.elapsed().as_millis(),
                diags.error_count(),
                diags.warning_count()
            );
            if diags.has_errors() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Serve { root, port, drafts } => {
            let opts = loket::serve::ServeOptions { root, port, drafts };
            let ready = |addr| {
                eprintln!("Serving the site at http://{addr}/ (Ctrl+C to stop)");
            };
            match loket::serve::serve(&opts, ready) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::New { slug, title, root } => {
            match scaffold::new_service(&root, &slug, title.as_deref()) {
                Ok(path) => {
                    eprintln!(
                        "Created {} (draft = true; remove it to publish)",
                        path.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
