//! Building the site: load (config, content, theme), render every page in parallel,
//! write or just check the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::config::SiteConfig;
use crate::content::{Content, Page, Service, channel_label, load_content};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::markdown::{self, Link, TocEntry};
use crate::theme::Theme;
use crate::{jsonld, links, opendata, sitemap, text};

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
    pub config: SiteConfig,
    pub content: Content,
    theme: Theme,
    /// Whether rendering records element ids for the link check.
    collect_ids: bool,
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
        let config = match SiteConfig::load(root) {
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
        let mut content = load_content(root, &mut diags);
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

    /// Renders every output file and hands it to `sink` (path relative to the output root).
    pub(crate) fn render<F>(&self, sink: &F) -> Result<(Vec<RenderedPage>, usize), Diagnostics>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let base_path = self.config.base_path();
        let listing: Vec<ServiceItem> =
            self.content.services.iter().map(|s| self.item(s)).collect();

        // Free pages, the two long listings and 404 render while the standards do.
        let singles = || {
            let mut out: Vec<Result<RenderedPage, Diagnostic>> = self
                .content
                .pages
                .par_iter()
                .map(|p| self.render_page(p, base_path, sink))
                .collect();
            let (home, list) = rayon::join(
                || self.render_home(&listing, base_path, sink),
                || self.render_list(&listing, sink),
            );
            out.extend([
                home,
                list,
                self.render_simple("404.html", "404.html", "Halaman tidak ditemukan", sink),
            ]);
            out
        };
        let services = || -> Vec<Result<RenderedPage, Diagnostic>> {
            self.content
                .services
                .par_iter()
                .map(|s| self.render_service(s, base_path, sink))
                .collect()
        };
        let (service_pages, other_pages) = rayon::join(services, singles);

        let mut diags = Vec::new();
        let mut pages = Vec::new();
        for r in service_pages.into_iter().chain(other_pages) {
            match r {
                Ok(p) => pages.push(p),
                Err(d) => diags.push(d),
            }
        }
        // Each standard also writes its open-data file.
        let mut files = pages.len() + self.content.services.len();
        let mut extra = self.data_files();
        for (src, rel) in &self.theme.static_files {
            match std::fs::read(src) {
                Ok(bytes) => extra.push((rel.clone(), bytes)),
                Err(e) => diags.push(crate::diagnostics::io_error(src, &e)),
            }
        }
        files += extra.len();
        for (rel, bytes) in &extra {
            if let Err(d) = sink(rel, bytes) {
                diags.push(d);
            }
        }
        if diags.is_empty() {
            pages.sort_by(|a, b| a.url_path.cmp(&b.url_path));
            Ok((pages, files))
        } else {
            let mut d = Diagnostics(diags);
            d.sort();
            Err(d)
        }
    }

    /// Element ids of a page, collected only when links will be checked.
    fn ids_of(&self, html: &str) -> Vec<String> {
        if self.collect_ids {
            links::ids_in(html)
        } else {
            Vec::new()
        }
    }

    fn item(&self, s: &Service) -> ServiceItem {
        ServiceItem {
            title: s.title.clone(),
            url: self.config.link(&s.url_path()),
            code: s.code.clone(),
            sk: s.sk.clone(),
            summary: s.summary.clone(),
            completion_label: s.completion.label_id(),
            fee_label: s.fee_label_id(),
        }
    }

    fn page_context(&self, url_path: &str, title: &str, description: Option<&str>) -> Context {
        let mut ctx = Context::new();
        ctx.insert("url_path", url_path);
        ctx.insert("canonical", &self.config.absolute_url(url_path));
        ctx.insert("title", title);
        ctx.insert(
            "description",
            description.unwrap_or(&self.config.description),
        );
        ctx
    }

    fn render_service<F>(
        &self,
        s: &Service,
        base_path: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let url_path = s.url_path();
        let ids: Vec<&str> = s.components.iter().map(|c| c.kind.anchor()).collect();
        let body = markdown::render(&s.body, Some(&ids), base_path);
        let url = self.config.absolute_url(&url_path);
        let mut ctx = self.page_context(&url_path, &s.title, s.summary.as_deref());
        ctx.insert(
            "service",
            &ServiceView {
                title: &s.title,
                code: &s.code,
                sk: &s.sk,
                summary: s.summary.as_deref(),
                completion_label: s.completion.label_id(),
                escalation_label: s.escalation.map(|t| t.label_id()),
                fee_label: s.fee_label_id(),
                channels: s.channels.iter().map(|c| channel_label(c)).collect(),
                updated_label: s.updated.map(text::date_id),
                updated_iso: s.updated.map(|d| d.format("%Y-%m-%d").to_string()),
                mail_subject: s.mail_subject_prefix(),
                mailto: format!(
                    "mailto:{}?subject={}",
                    self.config.contact_email(),
                    text::percent_encode(&s.mail_subject_prefix())
                ),
                json_url: self.config.link(&format!("{url_path}index.json")),
                html: &body.html,
                toc: &body.toc,
                lang: &s.lang,
            },
        );
        ctx.insert(
            "jsonld",
            &jsonld::to_script(&jsonld::service(&self.config, s, &url)),
        );
        let html = self.theme.render("service.html", &ctx, &url_path)?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        let data = opendata::ServiceData::new(s, url);
        let json = serde_json::to_string_pretty(&data).map_err(|e| {
            Diagnostic::error(&s.path, (1, 1), format!("cannot encode open data: {e}"), "")
        })?;
        sink(&format!("{url_path}index.json"), json.as_bytes())?;
        Ok(RenderedPage {
            ids: self.ids_of(&html),
            url_path,
            source: Some(s.path.clone()),
            body_line: s.body_line,
            links: body.links,
        })
    }

    fn render_page<F>(
        &self,
        p: &Page,
        base_path: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let url_path = p.url_path();
        let body = markdown::render(&p.body, None, base_path);
        let mut ctx = self.page_context(&url_path, &p.title, p.description.as_deref());
        ctx.insert(
            "page",
            &PageView {
                title: &p.title,
                html: &body.html,
                toc: &body.toc,
                updated_label: p.updated.map(text::date_id),
                updated_iso: p.updated.map(|d| d.format("%Y-%m-%d").to_string()),
            },
        );
        let html = self.theme.render("page.html", &ctx, &url_path)?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        Ok(RenderedPage {
            ids: self.ids_of(&html),
            url_path,
            source: Some(p.path.clone()),
            body_line: p.body_line,
            links: body.links,
        })
    }

    fn render_home<F>(
        &self,
        listing: &[ServiceItem],
        base_path: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let home = self.content.home.as_ref();
        let title = home.map_or(self.config.title.as_str(), |h| h.title.as_str());
        let body = home
            .map(|h| markdown::render(&h.body, None, base_path))
            .unwrap_or_default();
        let mut ctx = self.page_context("", title, home.and_then(|h| h.description.as_deref()));
        ctx.insert("intro_html", &body.html);
        ctx.insert("services", listing);
        ctx.insert("jsonld", &jsonld::to_script(&home_jsonld(&self.config)));
        let html = self.theme.render("index.html", &ctx, "/")?;
        sink("index.html", html.as_bytes())?;
        Ok(RenderedPage {
            ids: self.ids_of(&html),
            url_path: String::new(),
            source: home.map(|h| h.path.clone()),
            body_line: home.map_or(1, |h| h.body_line),
            links: body.links,
        })
    }

    fn render_list<F>(&self, listing: &[ServiceItem], sink: &F) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let mut ctx = self.page_context("layanan/", "Daftar Layanan", None);
        ctx.insert("services", listing);
        let html = self.theme.render("list.html", &ctx, "layanan/")?;
        sink("layanan/index.html", html.as_bytes())?;
        Ok(RenderedPage {
            ids: self.ids_of(&html),
            url_path: "layanan/".into(),
            source: None,
            body_line: 1,
            links: Vec::new(),
        })
    }

    fn render_simple<F>(
        &self,
        template: &str,
        out: &str,
        title: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let ctx = self.page_context(out, title, None);
        let html = self.theme.render(template, &ctx, out)?;
        sink(out, html.as_bytes())?;
        Ok(RenderedPage {
            ids: Vec::new(),
            url_path: out.into(),
            source: None,
            body_line: 1,
            links: Vec::new(),
        })
    }

    /// sitemap.xml, robots.txt and the services index as open data.
    fn data_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut entries: Vec<(String, Option<chrono::NaiveDate>)> =
            vec![(String::new(), None), ("layanan/".into(), None)];
        entries.extend(
            self.content
                .services
                .iter()
                .map(|s| (s.url_path(), s.updated)),
        );
        entries.extend(self.content.pages.iter().map(|p| (p.url_path(), p.updated)));
        let index: BTreeMap<&str, String> = self
            .content
            .services
            .iter()
            .map(|s| {
                (
                    s.slug.as_str(),
                    self.config
                        .absolute_url(&format!("{}index.json", s.url_path())),
                )
            })
            .collect();
        let index_json = serde_json::to_string_pretty(&index).unwrap_or_else(|_| "{}".into());
        vec![
            (
                "sitemap.xml".into(),
                sitemap::sitemap(&self.config, &entries).into_bytes(),
            ),
            (
                "robots.txt".into(),
                sitemap::robots(&self.config).into_bytes(),
            ),
            ("layanan/index.json".into(), index_json.into_bytes()),
        ]
    }
}

fn home_jsonld(config: &SiteConfig) -> serde_json::Value {
    let mut office = jsonld::office(config);
    office["@context"] = serde_json::json!("https://schema.org");
    office
}

#[derive(Serialize)]
struct ServiceItem {
    title: String,
    url: String,
    code: String,
    sk: String,
    summary: Option<String>,
    completion_label: String,
    fee_label: String,
}

#[derive(Serialize)]
struct ServiceView<'a> {
    title: &'a str,
    code: &'a str,
    sk: &'a str,
    summary: Option<&'a str>,
    completion_label: String,
    escalation_label: Option<String>,
    fee_label: String,
    channels: Vec<&'a str>,
    updated_label: Option<String>,
    updated_iso: Option<String>,
    mail_subject: String,
    mailto: String,
    json_url: String,
    html: &'a str,
    toc: &'a [TocEntry],
    lang: &'a str,
}

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    html: &'a str,
    toc: &'a [TocEntry],
    updated_label: Option<String>,
    updated_iso: Option<String>,
}

#[derive(Serialize)]
struct NavItem {
    title: String,
    url: String,
    path: String,
}

/// Values shared by every page: site, office, contact, navigation.
fn globals(config: &SiteConfig, content: &Content) -> Context {
    let mut g = Context::new();
    let mut nav = vec![
        NavItem {
            title: "Beranda".into(),
            url: config.link(""),
            path: String::new(),
        },
        NavItem {
            title: "Layanan".into(),
            url: config.link("layanan/"),
            path: "layanan/".into(),
        },
    ];
    nav.extend(content.pages.iter().map(|p| NavItem {
        title: p.title.clone(),
        url: config.link(&p.url_path()),
        path: p.url_path(),
    }));
    g.insert("nav", &nav);
    g.insert("site", config);
    g.insert("base_path", config.base_path());
    g.insert("css_url", &config.link("style.css"));
    g.insert("tel_uri", &config.office.tel_uri());
    g.insert("contact_email", config.contact_email());
    g.insert("hours_label", &config.hours.as_ref().map(|h| h.label_id()));
    g
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

/// Empties the output folder, refusing folders that hold the site itself.
fn prepare_output(root: &Path, out: &Path) -> Result<(), Diagnostics> {
    let canon_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if out.exists() {
        let canon_out = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
        if canon_root.starts_with(&canon_out) || canon_out.join("site.toml").exists() {
            return Err(Diagnostic::error(
                out,
                (1, 1),
                "output folder contains the site's sources",
                "choose another --output folder; it is emptied on every build",
            )
            .into());
        }
        std::fs::remove_dir_all(out).map_err(|e| {
            Diagnostic::error(
                out,
                (1, 1),
                format!("cannot empty the output folder: {e}"),
                "check its permissions",
            )
        })?;
    }
    std::fs::create_dir_all(out).map_err(|e| {
        Diagnostic::error(
            out,
            (1, 1),
            format!("cannot create the output folder: {e}"),
            "check its permissions",
        )
    })?;
    Ok(())
}

fn write_file(out: &Path, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
    let path = out.join(rel);
    let fail = |e: std::io::Error| {
        Diagnostic::error(
            &path,
            (1, 1),
            format!("cannot write: {e}"),
            "check the output folder's permissions and free space",
        )
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(&path, bytes).map_err(fail)
}
