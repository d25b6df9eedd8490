//! Building the site: load (config, content, theme), render every page in parallel,
//! write or just check the result.

use std::path::{Path, PathBuf};

use loket_core::config::Config;
use loket_core::content::{Content, load_content, read_service};
use loket_core::diagnostics::{Diagnostic, Diagnostics};
use rayon::prelude::*;

use crate::links;
use crate::markdown::Link;
use crate::output::{prepare_output, write_file};
use crate::render::globals;
use crate::theme::Theme;

/// What `loket build` and `loket check` are asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Output folder; `None` renders without writing (check).
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        BuildOptions {
            output: Some(root.join("public")),
            root,
            base_url: None,
            drafts: false,
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

/// A loaded site, ready to render.
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    pub content: Content,
    pub(crate) theme: Theme,
    /// Whether rendering records element ids for the link check.
    pub(crate) collect_ids: bool,
}

/// A page as rendered, for link checking.
pub(crate) struct RenderedPage {
    pub url_path: String,
    pub source: Option<PathBuf>,
    pub body_line: usize,
    pub links: Vec<Link>,
    pub ids: Vec<String>,
}

impl Site {
    /// Reads config, content and theme, reporting problems of all three at once.
    /// Drafts are dropped unless `drafts` is set (they are still validated).
    pub fn load(
        root: &Path,
        base_url: Option<&str>,
        drafts: bool,
    ) -> Result<(Site, Vec<Diagnostic>), Diagnostics> {
        let mut diags = Vec::new();
        let config = match Config::load(root) {
            Ok(mut c) => {
                if let Some(url) = base_url {
                    c.set_base_url(url);
                }
                diags.extend(c.lint());
                Some(c)
            }
            Err(e) => {
                diags.extend(e);
                None
            }
        };
        // Standards are read in parallel: a site may have thousands.
        let mut content = load_content(root, &mut diags, |files| {
            files.par_iter().map(|p| read_service(p)).collect()
        });
        let theme = Theme::load(root).map_err(|e| diags.extend(e)).ok();
        let mut all = Diagnostics(diags);
        all.sort();
        let (Some(config), Some(mut theme)) = (config, theme) else {
            return Err(all);
        };
        if all.has_errors() {
            return Err(all);
        }
        if !drafts {
            content.services.retain(|s| !s.draft);
            content.pages.retain(|p| !p.draft);
        }
        theme.set_globals(globals(&config, &content));
        Ok((
            Site {
                root: root.to_path_buf(),
                config,
                content,
                theme,
                collect_ids: false,
            },
            all.0,
        ))
    }
}

/// Builds the site into `opts.output` (or only renders, when it is `None`).
pub fn build(opts: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    let (site, warnings) = Site::load(&opts.root, opts.base_url.as_deref(), opts.drafts)?;
    let (pages, files) = match &opts.output {
        Some(out) => {
            prepare_output(&opts.root, out)?;
            let sink = |rel: &str, bytes: &[u8]| write_file(out, rel, bytes);
            site.render(&sink)?
        }
        None => site.render(&|_: &str, _: &[u8]| Ok(()))?,
    };
    Ok(BuildReport {
        pages: pages.len(),
        services: site.content.services.len(),
        files,
        warnings,
    })
}

/// Everything `build` validates plus internal links and anchors; writes nothing.
/// Returns all diagnostics, warnings included.
pub fn check(root: &Path, drafts: bool) -> Diagnostics {
    let (mut site, mut diags) = match Site::load(root, None, drafts) {
        Ok(x) => x,
        Err(d) => return d,
    };
    site.collect_ids = true;
    match site.render(&|_: &str, _: &[u8]| Ok(())) {
        Ok((pages, _)) => {
            let static_files: Vec<&str> = site
                .theme
                .static_files
                .iter()
                .map(|(_, r)| r.as_str())
                .collect();
            diags.extend(links::check(&pages, &static_files));
        }
        Err(d) => diags.extend(d),
    }
    let mut d = Diagnostics(diags);
    d.sort();
    d
}
