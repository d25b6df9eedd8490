//! The theme: Tera templates and static assets under `themes/<name>/`.

use std::path::{Path, PathBuf};

use tera::{Context, ErrorKind, Kwargs, State, Tera, Value};
use walkdir::WalkDir;

use loket_core::diagnostics::{Diagnostic, io_error};

use crate::i18n::Strings;

/// Folder of the shipped theme, relative to the site root.
pub const THEME_DIR: &str = "themes/default";

/// Loaded templates plus the list of static files to copy.
pub struct Theme {
    pub dir: PathBuf,
    tera: Tera,
    /// Static files as (absolute source, path relative to the output root), sorted.
    pub static_files: Vec<(PathBuf, String)>,
    /// The interface strings of both languages.
    pub strings: Strings,
}

/// Templates every theme must provide.
pub const REQUIRED: &[&str] = &[
    "index.html",
    "service.html",
    "page.html",
    "list.html",
    "404.html",
    "poster.html",
    "kinerja.html",
    "skm.html",
];

impl Theme {
    /// Loads `<root>/themes/default`. Mail templates (`email/`) belong to the daemon and
    /// are skipped.
    pub fn load(root: &Path) -> Result<Theme, Vec<Diagnostic>> {
        let dir = root.join(THEME_DIR);
        let templates_dir = dir.join("templates");
        let mut diags = Vec::new();
        let mut sources: Vec<(String, String)> = Vec::new();
        for entry in WalkDir::new(&templates_dir).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        &templates_dir,
                        (1, 1),
                        format!("cannot read the theme's templates: {e}"),
                        format!("create {} with the page templates", templates_dir.display()),
                    ));
                    break;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = relative_name(&templates_dir, entry.path());
            if rel.starts_with("email/") {
                continue;
            }
            match std::fs::read_to_string(entry.path()) {
                Ok(text) => sources.push((rel, text)),
                Err(e) => diags.push(io_error(entry.path(), &e)),
            }
        }
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html", ".xml"]);
        // `{{ address | url_text }}`: an address shown as text, escaped, wrapping at its
        // separators on narrow screens.
        tera.register_filter("url_text", |x: &str, _: Kwargs, _: &State| {
            Value::from(crate::urls::breakable(x)).mark_safe()
        });
        if let Err(e) =
            tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        {
            diags.push(template_error(&templates_dir, &e, None));
        }
        for name in REQUIRED {
            if diags.is_empty() && !tera.contains_template(name) {
                diags.push(Diagnostic::error(
                    templates_dir.join(name),
                    (1, 1),
                    format!("the theme has no template {name}"),
                    "add it to the theme's templates folder",
                ));
            }
        }
        // The site's own static/ (images, downloads) beside the theme's; the site's file
        // wins where both have one.
        let mut static_files = list_static(&root.join("static"), &mut diags);
        for (src, rel) in list_static(&dir.join("static"), &mut diags) {
            if !static_files.iter().any(|(_, r)| *r == rel) {
                static_files.push((src, rel));
            }
        }
        static_files.sort_by(|a, b| a.1.cmp(&b.1));
        let strings = Strings::load(&dir).map_err(|e| diags.extend(e)).ok();
        if let (true, Some(strings)) = (diags.is_empty(), strings) {
            Ok(Theme {
                dir,
                tera,
                static_files,
                strings,
            })
        } else {
            Err(diags)
        }
    }

    /// Values every page sees.
    pub fn set_globals(&mut self, globals: Context) {
        self.tera.global_context().extend(globals);
    }

    /// Renders a template; errors name the template file and line.
    pub fn render(&self, name: &str, ctx: &Context, page: &str) -> Result<String, Diagnostic> {
        self.tera
            .render(name, ctx)
            .map_err(|e| template_error(&self.dir.join("templates"), &e, Some(page)))
    }
}

fn relative_name(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn list_static(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(PathBuf, String)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                files.push((e.path().to_path_buf(), relative_name(dir, e.path())));
            }
            Ok(_) => {}
            Err(e) => diags.push(Diagnostic::error(
                dir,
                (1, 1),
                format!("cannot read static files: {e}"),
                "check the folder's permissions",
            )),
        }
    }
    files
}

fn template_error(templates_dir: &Path, e: &tera::Error, page: Option<&str>) -> Diagnostic {
    let context = page.map_or(String::new(), |p| format!(" while rendering {p}"));
    match e.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let span = r.span();
            Diagnostic::error(
                templates_dir.join(r.filename()),
                (span.start_line.max(1), span.start_col + 1),
                format!("template error{context}: {}", r.message()),
                "fix the template at this position",
            )
        }
        other => {
            let name = match other {
                ErrorKind::MissingParent { current, .. } => current.clone(),
                ErrorKind::CircularExtend { tpl, .. } | ErrorKind::CircularInclude { tpl, .. } => {
                    tpl.clone()
                }
                _ => String::new(),
            };
            Diagnostic::error(
                templates_dir.join(name),
                (1, 1),
                format!("template error{context}: {other}"),
                "fix the named template",
            )
        }
    }
}
