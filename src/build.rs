//! `loket build` and `loket check`: load the site, render every page, then write the
//! output folder, or only check internal links and anchors.

use std::path::{Path, PathBuf};

use loket_core::diagnostics::{Diagnostic, Diagnostics};

use crate::links;
use crate::output::{MANIFEST, prepare_output, write_file};
use crate::site::Site;

/// What `loket build` and `loket check` are asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Output folder; `None` renders without writing (check).
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Empty the output folder even when it holds files loket did not write.
    pub force: bool,
    /// The performance export to publish, instead of `kinerja` in site.toml.
    pub kinerja: Option<PathBuf>,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        BuildOptions {
            output: Some(root.join("public")),
            root,
            base_url: None,
            drafts: false,
            force: false,
            kinerja: None,
        }
    }
}

/// Result of a successful run.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// HTML pages rendered.
    pub pages: usize,
    pub services: usize,
    /// Files written (or that would be), including static assets and data.
    pub files: usize,
    pub warnings: Vec<Diagnostic>,
}

/// Builds the site into `opts.output` (or only renders, when it is `None`).
pub fn build(opts: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    let (site, mut warnings) = Site::load(
        &opts.root,
        opts.base_url.as_deref(),
        opts.drafts,
        opts.kinerja.as_deref(),
    )?;
    let (pages, files) = match &opts.output {
        Some(out) => {
            prepare_output(&opts.root, out, &site.output_paths(), opts.force)?;
            let sink = |rel: &str, bytes: &[u8]| write_file(out, rel, bytes);
            let rendered = site.render(&sink)?;
            // Listed again rather than kept through the build: 30,000 paths for 10,000
            // standards are megabytes.
            let manifest: String = site
                .output_paths()
                .iter()
                .map(|p| format!("{p}\n"))
                .collect();
            write_file(out, MANIFEST, manifest.as_bytes())?;
            rendered
        }
        None => site.render(&|_: &str, _: &[u8]| Ok(()))?,
    };
    warnings.extend(links::left_out_warnings(&pages));
    let distinct: std::collections::BTreeSet<&str> =
        pages.iter().map(|p| p.url_path.as_str()).collect();
    Ok(BuildReport {
        pages: distinct.len(),
        services: site.content.services.len(),
        files,
        warnings,
    })
}

/// Everything `build` validates plus internal links and anchors; writes nothing.
/// Returns all diagnostics, warnings included.
pub fn check(root: &Path, drafts: bool, kinerja: Option<&Path>) -> Diagnostics {
    let (mut site, mut diags) = match Site::load(root, None, drafts, kinerja) {
        Ok(x) => x,
        Err(d) => return d,
    };
    site.collect_ids = true;
    match site.render(&|_: &str, _: &[u8]| Ok(())) {
        Ok((pages, _)) => {
            diags.extend(links::left_out(&pages));
            diags.extend(links::check(&pages, &site.output_paths()));
        }
        Err(d) => diags.extend(d),
    }
    let mut d = Diagnostics(diags);
    d.sort();
    d
}
