//! Rendering: every page's template context, in parallel, handed to an output sink.

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use loket_core::config::Config;
use loket_core::content::{ComponentKind, Page, Service};
use loket_core::diagnostics::{Diagnostic, Diagnostics, io_error};
use loket_core::text;

use crate::i18n::Lang;
use crate::links::RenderedPage;
use crate::markdown::{self, TocEntry};
use crate::poster;
use crate::site::{FAQ_PATH, LangValues, Site};
use crate::{jsonld, kinerja, links, opendata, schema, sitemap};

impl Site {
    /// Renders every output file and hands it to `sink` (path relative to the output root).
    /// Returns the pages (for link checks) and the number of files written. Two outputs
    /// on one path (a page under content/ taking a path the site generates, such as
    /// `kinerja/`) are an error, never a silent overwrite.
    pub(crate) fn render<F>(&self, sink: &F) -> Result<(Vec<RenderedPage>, usize), Diagnostics>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let written = std::sync::Mutex::new(std::collections::BTreeSet::<String>::new());
        let tracked = |rel: &str, bytes: &[u8]| -> Result<(), Diagnostic> {
            let first = written
                .lock()
                .map_or(true, |mut w| w.insert(rel.to_string()));
            if !first {
                return Err(Diagnostic::error(
                    self.root.join("content"),
                    (1, 1),
                    format!("two outputs are written to /{rel}"),
                    "a page under content/ takes a path the site itself generates (layanan/, tanya-jawab/, kinerja/, skm/, schema/, en/): rename the page",
                ));
            }
            sink(rel, bytes)
        };
        let sink = &tracked;
        let base_path = self.config.base_path();
        let english = &self.content.english;
        let editions: Vec<(Lang, &[Service], &[Page])> = if english.is_empty() {
            vec![(Lang::Id, &self.content.services, &self.content.pages)]
        } else {
            vec![
                (Lang::Id, &self.content.services, &self.content.pages),
                (Lang::En, &english.services, &english.pages),
            ]
        };

        // Free pages, the listings, 404 and the questions render while the standards do.
        let singles = || {
            let mut out: Vec<Result<RenderedPage, Diagnostic>> = Vec::new();
            for (lang, services, pages) in &editions {
                let listing: Vec<ServiceItem> =
                    services.iter().map(|s| self.item(s, *lang)).collect();
                out.extend(
                    pages
                        .par_iter()
                        .map(|p| self.render_page(p, *lang, base_path, sink))
                        .collect::<Vec<_>>(),
                );
                let (home, list) = rayon::join(
                    || self.render_home(&listing, *lang, base_path, sink),
                    || self.render_list(&listing, *lang, sink),
                );
                out.extend([home, list]);
                out.push(self.render_skm(*lang, sink));
            }
            out.push(self.render_simple("404.html", "404.html", sink));
            out.push(self.render_kinerja(sink));
            if !self.content.faqs.is_empty() {
                match self.render_faqs(base_path, sink) {
                    Ok(pages) => out.extend(pages.into_iter().map(Ok)),
                    Err(d) => out.push(Err(d)),
                }
            }
            out
        };
        let services = || -> Vec<Result<RenderedPage, Diagnostic>> {
            editions
                .iter()
                .flat_map(|(lang, services, _)| services.iter().map(move |s| (*lang, s)))
                .collect::<Vec<_>>()
                .par_iter()
                .flat_map_iter(|(lang, s)| match self.dropped.with_text(s) {
                    Ok(s) => vec![
                        self.render_service(&s, *lang, base_path, sink)
                            .map(|p| self.kept(p)),
                        self.render_poster(&s, *lang, sink),
                    ],
                    Err(d) => vec![Err(d)],
                })
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
        // Each written as soon as it is made: the sitemap and the list of 10,000
        // standards are megabytes each.
        let write_errors = std::cell::RefCell::new(Vec::new());
        let write = |rel: &str, bytes: &[u8]| {
            if let Err(d) = sink(rel, bytes) {
                write_errors.borrow_mut().push(d);
            }
        };
        self.data_files(&write);
        for (src, rel) in &self.theme.static_files {
            match std::fs::read(src) {
                Ok(bytes) => write(rel, &bytes),
                Err(e) => write_errors.borrow_mut().push(io_error(src, &e)),
            }
        }
        diags.extend(write_errors.into_inner());
        if diags.is_empty() {
            pages.sort_by(|a, b| a.url_path.cmp(&b.url_path));
            let files = written.lock().map_or(0, |w| w.len());
            Ok((pages, files))
        } else {
            let mut d = Diagnostics(diags);
            d.sort();
            Err(d)
        }
    }

    /// Every file [`Site::render`] writes, relative to the output folder.
    pub(crate) fn output_paths(&self) -> std::collections::BTreeSet<String> {
        let mut paths: std::collections::BTreeSet<String> = [
            "index.html",
            "layanan/index.html",
            "404.html",
            "sitemap.xml",
            "robots.txt",
            "layanan/index.json",
            schema::SCHEMA_STANDARD,
            schema::SCHEMA_LIST,
            schema::SCHEMA_KINERJA_V1,
            schema::SCHEMA_KINERJA,
            "kinerja/index.html",
            "kinerja/index.json",
            "skm/index.html",
        ]
        .iter()
        .map(|p| (*p).to_string())
        .collect();
        for s in &self.content.services {
            paths.insert(format!("{}index.html", s.url_path()));
            paths.insert(format!("{}index.json", s.url_path()));
            paths.insert(format!("{}{POSTER}index.html", s.url_path()));
        }
        for p in &self.content.pages {
            paths.insert(format!("{}index.html", p.url_path()));
        }
        let english = &self.content.english;
        if !english.is_empty() {
            let en = Lang::En.prefix();
            for p in [
                "index.html",
                "layanan/index.html",
                "layanan/index.json",
                "skm/index.html",
            ] {
                paths.insert(format!("{en}{p}"));
            }
            for s in &english.services {
                paths.insert(format!("{en}{}index.html", s.url_path()));
                paths.insert(format!("{en}{}index.json", s.url_path()));
                paths.insert(format!("{en}{}{POSTER}index.html", s.url_path()));
            }
            for p in &english.pages {
                paths.insert(format!("{en}{}index.html", p.url_path()));
            }
        }
        if !self.content.faqs.is_empty() {
            paths.insert(format!("{FAQ_PATH}index.html"));
        }
        paths.extend(self.theme.static_files.iter().map(|(_, rel)| rel.clone()));
        paths
    }

    /// A page made from templates alone (no Markdown source): its ids, nothing to check.
    pub(crate) fn generated(&self, url_path: String, html: &str) -> RenderedPage {
        RenderedPage {
            ids: self.ids_of(html),
            url_path,
            source: None,
            body_line: 1,
            links: Vec::new(),
            images: Vec::new(),
        }
    }

    /// What is kept of a rendered standard until the end of the build: without the link
    /// check, only the links and images that were left out (they are warned about).
    fn kept(&self, mut page: RenderedPage) -> RenderedPage {
        if !self.collect_ids {
            page.links.retain(|l| !markdown::is_safe_url(&l.href));
            page.images.retain(|i| !markdown::is_safe_url(&i.href));
            page.links.shrink_to_fit();
            page.images.shrink_to_fit();
        }
        page
    }

    /// Element ids of a page, collected only when links will be checked.
    pub(crate) fn ids_of(&self, html: &str) -> Vec<String> {
        if self.collect_ids {
            links::ids_in(html)
        } else {
            Vec::new()
        }
    }

    fn item(&self, s: &Service, lang: Lang) -> ServiceItem {
        ServiceItem {
            title: s.title.clone(),
            url: self.config.link(&lang.service_path(s)),
            code: s.code.clone(),
            sk: s.sk.clone(),
            summary: s.summary.clone(),
            completion_label: lang.term(s.completion),
            fee_label: lang.fee(s.fee),
        }
    }

    /// What every page's template sees beside its own values: its address, language,
    /// strings, menu, and the way to the same page in the other language (`counterpart`,
    /// a site path) as `hreflang` alternates and the language switch.
    pub(crate) fn page_context(
        &self,
        lang: Lang,
        url_path: &str,
        title: &str,
        description: Option<&str>,
        counterpart: Option<String>,
    ) -> Context {
        let mut ctx = Context::new();
        ctx.insert("url_path", url_path);
        ctx.insert("canonical", &self.config.absolute_url(url_path));
        ctx.insert("title", title);
        ctx.insert(
            "description",
            description.unwrap_or(&self.config.description),
        );
        ctx.insert("lang", lang.code());
        let shared = self.lang_values(lang);
        ctx.insert_value("t", shared.strings.clone());
        ctx.insert("home_url", &self.config.link(lang.prefix()));
        ctx.insert_value("hours_label", shared.hours_label.clone());
        ctx.insert_value("nav", shared.nav.clone());
        let bilingual = !self.content.english.is_empty();
        let mut alternates = Vec::new();
        let mut switch = None;
        if bilingual {
            let other = lang.other();
            if let Some(there) = &counterpart {
                let (id, en) = match lang {
                    Lang::Id => (url_path, there.as_str()),
                    Lang::En => (there.as_str(), url_path),
                };
                alternates = vec![
                    Alternate {
                        lang: "id",
                        url: self.config.absolute_url(id),
                    },
                    Alternate {
                        lang: "en",
                        url: self.config.absolute_url(en),
                    },
                    Alternate {
                        lang: "x-default",
                        url: self.config.absolute_url(id),
                    },
                ];
            }
            // No translation of this page: the switch leads to the other edition's home.
            let target = counterpart.unwrap_or_else(|| other.prefix().to_string());
            switch = Some(Switch {
                url: self.config.link(&target),
                lang: other.code(),
            });
        }
        ctx.insert("alternates", &alternates);
        ctx.insert("switch", &switch);
        ctx
    }

    /// The email button's address: the contact mailbox, the subject pre-filled with the
    /// service's code so the help desk files the mail under it.
    pub(crate) fn mailto(&self, s: &Service) -> String {
        format!(
            "mailto:{}?subject={}",
            self.config.contact_email(),
            text::percent_encode(&s.mail_subject_prefix())
        )
    }

    /// The values every page of `lang` shares, made once: a page's context holds them
    /// by reference (template values share their maps and lists).
    fn lang_values(&self, lang: Lang) -> &LangValues {
        let cell = match lang {
            Lang::Id => &self.lang_values[0],
            Lang::En => &self.lang_values[1],
        };
        cell.get_or_init(|| LangValues {
            strings: tera::Value::from_serializable(self.theme.strings.table(lang)),
            hours_label: tera::Value::from_serializable(&lang.hours(&self.config)),
            nav: tera::Value::from_serializable(&self.nav(lang)),
        })
    }

    /// The main menu of a language's pages.
    fn nav(&self, lang: Lang) -> Vec<NavItem> {
        let t = |k: &str| self.theme.strings.get(lang, k);
        let prefix = lang.prefix();
        let item = |title: String, path: String| NavItem {
            title,
            url: self.config.link(&path),
            path,
        };
        let mut nav = vec![
            item(t("nav_home"), prefix.to_string()),
            item(t("nav_services"), format!("{prefix}layanan/")),
        ];
        let pages = match lang {
            Lang::Id => {
                if !self.content.faqs.is_empty() {
                    nav.push(item(t("nav_faq"), FAQ_PATH.into()));
                }
                nav.push(item(t("nav_kinerja"), kinerja::KINERJA_PATH.into()));
                &self.content.pages
            }
            Lang::En => &self.content.english.pages,
        };
        nav.extend(
            pages
                .iter()
                .map(|p| item(p.title.clone(), format!("{prefix}{}", p.url_path()))),
        );
        nav
    }

    fn render_service<F>(
        &self,
        s: &Service,
        lang: Lang,
        base_path: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let url_path = lang.service_path(s);
        let ids: Vec<&str> = s.components.iter().map(|c| c.kind.anchor()).collect();
        let body = markdown::render(&s.body, Some(&ids), base_path);
        let url = self.config.absolute_url(&url_path);
        let counterpart = match lang {
            Lang::Id => self.translation(&s.slug).map(|t| Lang::En.service_path(t)),
            Lang::En => Some(s.url_path()),
        };
        let mut ctx =
            self.page_context(lang, &url_path, &s.title, s.summary.as_deref(), counterpart);
        ctx.insert(
            "service",
            &ServiceView {
                title: &s.title,
                code: &s.code,
                sk: &s.sk,
                summary: s.summary.as_deref(),
                completion_label: lang.term(s.completion),
                escalation_label: s.escalation.map(|t| lang.term(t)),
                fee_label: lang.fee(s.fee),
                channels: s.channels.iter().map(|c| lang.channel(c)).collect(),
                updated_label: s.updated.map(|d| lang.date(d)),
                updated_iso: s.updated.map(|d| d.format("%Y-%m-%d").to_string()),
                mail_subject: s.mail_subject_prefix(),
                mailto: self.mailto(s),
                json_url: self.config.link(&format!("{url_path}index.json")),
                poster_url: self.config.link(&format!("{url_path}{POSTER}")),
                // The questions are in Indonesian, on the Indonesian edition only.
                faqs: match lang {
                    Lang::Id => self
                        .faqs_of(&s.code)
                        .map(|f| FaqLink {
                            title: &f.title,
                            url: self.config.link(&format!("{FAQ_PATH}#{}", f.slug)),
                        })
                        .collect(),
                    Lang::En => Vec::new(),
                },
                html: &body.html,
                toc: &body.toc,
                lang: &s.lang,
            },
        );
        ctx.insert(
            "jsonld",
            &jsonld::to_script(&jsonld::service(
                &self.config,
                s,
                &url,
                lang,
                self.office_jsonld
                    .get_or_init(|| jsonld::office(&self.config)),
            )),
        );
        let html = self.theme.render("service.html", &ctx, &url_path)?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        let data = opendata::ServiceData::new(&self.config, s, url, lang);
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
            images: body.images,
        })
    }

    /// `layanan/<slug>/poster/`: the standard on one A4 page for the front desk.
    fn render_poster<F>(
        &self,
        s: &Service,
        lang: Lang,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let t = |k: &str| self.theme.strings.get(lang, k);
        let page_path = lang.service_path(s);
        let url_path = format!("{page_path}{POSTER}");
        let page_url = self.config.absolute_url(&page_path);
        let mailto = self.mailto(s);
        let qr = |data: &str, label: String| {
            poster::qr_svg(data, &label).map_err(|e| {
                Diagnostic::error(
                    &s.path,
                    (1, 1),
                    format!("cannot draw the poster's QR code of {data}: {e}"),
                    "shorten the site address or the contact email",
                )
            })
        };
        let (steps, more) = (t("poster_steps"), t("poster_more"));
        let components = ComponentKind::PUBLIC
            .iter()
            .filter_map(|kind| s.component(*kind))
            .map(|c| {
                let lines = match c.kind {
                    ComponentKind::JangkaWaktu => {
                        let mut l = vec![lang.term(s.completion)];
                        if let Some(e) = s.escalation {
                            l.push(format!(
                                "{}: {} {}",
                                t("escalation"),
                                t("escalation_within"),
                                lang.term(e)
                            ));
                        }
                        l
                    }
                    ComponentKind::Biaya => vec![lang.fee(s.fee)],
                    ComponentKind::Pengaduan => poster::outline(&c.markdown, &steps, &more, 5, 160),
                    _ => poster::outline(&c.markdown, &steps, &more, 4, 110),
                };
                PosterComponent {
                    id: c.kind.anchor(),
                    name: match lang {
                        Lang::Id => c.kind.name_id(),
                        Lang::En => c.kind.name_en(),
                    },
                    lines,
                }
            })
            .collect();
        let view = PosterView {
            title: &s.title,
            code: &s.code,
            sk: &s.sk,
            completion_label: lang.term(s.completion),
            fee_label: lang.fee(s.fee),
            mail_subject: s.mail_subject_prefix().trim_end().to_string(),
            page_url: page_url.clone(),
            updated_label: s.updated.map(|d| lang.date(d)),
            qr_page: qr(&page_url, format!("{}: {page_url}", t("poster_qr_page")))?,
            qr_mail: qr(&mailto, format!("{}: {mailto}", t("poster_qr_mail")))?,
            components,
        };
        let counterpart = match lang {
            Lang::Id => self
                .translation(&s.slug)
                .map(|t| format!("{}{POSTER}", Lang::En.service_path(t))),
            Lang::En => Some(format!("{}{POSTER}", s.url_path())),
        };
        let mut ctx =
            self.page_context(lang, &url_path, &s.title, s.summary.as_deref(), counterpart);
        ctx.insert("poster", &view);
        let html = self.theme.render("poster.html", &ctx, &url_path)?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        Ok(self.generated(url_path, &html))
    }

    fn render_page<F>(
        &self,
        p: &Page,
        lang: Lang,
        base_path: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let url_path = format!("{}{}", lang.prefix(), p.url_path());
        let body = markdown::render(&p.body, None, base_path);
        let counterpart = match lang {
            Lang::Id => self
                .content
                .english
                .page(&p.slug)
                .map(|t| format!("{}{}", Lang::En.prefix(), t.url_path())),
            Lang::En => Some(p.url_path()),
        };
        let mut ctx = self.page_context(
            lang,
            &url_path,
            &p.title,
            p.description.as_deref(),
            counterpart,
        );
        ctx.insert(
            "page",
            &PageView {
                title: &p.title,
                html: &body.html,
                toc: &body.toc,
                updated_label: p.updated.map(|d| lang.date(d)),
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
            images: body.images,
        })
    }

    fn render_home<F>(
        &self,
        listing: &[ServiceItem],
        lang: Lang,
        base_path: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let home = match lang {
            Lang::Id => self.content.home.as_ref(),
            Lang::En => self.content.english.home.as_ref(),
        };
        let fallback = match lang {
            Lang::Id => self.config.title.clone(),
            Lang::En => self.theme.strings.get(lang, "home_title"),
        };
        let title = home.map_or(fallback.as_str(), |h| h.title.as_str());
        let body = home
            .map(|h| markdown::render(&h.body, None, base_path))
            .unwrap_or_default();
        let url_path = lang.prefix();
        let counterpart = Some(lang.other().prefix().to_string());
        let mut ctx = self.page_context(
            lang,
            url_path,
            title,
            home.and_then(|h| h.description.as_deref()),
            counterpart,
        );
        ctx.insert("intro_html", &body.html);
        ctx.insert("services", listing);
        ctx.insert("jsonld", &jsonld::to_script(&home_jsonld(&self.config)));
        let html = self
            .theme
            .render("index.html", &ctx, &format!("/{url_path}"))?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        Ok(RenderedPage {
            ids: self.ids_of(&html),
            url_path: url_path.to_string(),
            source: home.map(|h| h.path.clone()),
            body_line: home.map_or(1, |h| h.body_line),
            links: body.links,
            images: body.images,
        })
    }

    /// `/tanya-jawab/`: every question, grouped per service, with FAQPage JSON-LD. Returns
    /// the page for the link check once per question file, so that a broken link in an
    /// answer is reported in that file.
    fn render_faqs<F>(&self, base_path: &str, sink: &F) -> Result<Vec<RenderedPage>, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let mut groups: Vec<FaqGroup<'_>> = Vec::new();
        let mut answers = Vec::new();
        for s in &self.content.services {
            let items: Vec<FaqItem<'_>> = self
                .faqs_of(&s.code)
                .map(|f| {
                    let body = markdown::render(&f.body, None, base_path);
                    answers.push((f, body.links, body.images));
                    FaqItem {
                        id: &f.slug,
                        title: &f.title,
                        html: body.html,
                        tags: &f.tags,
                    }
                })
                .collect();
            if !items.is_empty() {
                groups.push(FaqGroup {
                    id: format!("layanan-{}", s.slug),
                    title: &s.title,
                    url: self.config.link(&s.url_path()),
                    items,
                });
            }
        }
        let qa: Vec<(&str, &str)> = groups
            .iter()
            .flat_map(|g| g.items.iter().map(|i| (i.title, i.html.as_str())))
            .collect();
        let url = self.config.absolute_url(FAQ_PATH);
        let strings = &self.theme.strings;
        let mut ctx = self.page_context(
            Lang::Id,
            FAQ_PATH,
            &strings.get(Lang::Id, "faq_title"),
            Some(&strings.get(Lang::Id, "faq_description")),
            None,
        );
        ctx.insert("groups", &groups);
        ctx.insert("jsonld", &jsonld::to_script(&jsonld::faq_page(&url, &qa)));
        let html = self.theme.render("faq.html", &ctx, FAQ_PATH)?;
        sink(&format!("{FAQ_PATH}index.html"), html.as_bytes())?;
        let ids = self.ids_of(&html);
        Ok(answers
            .into_iter()
            .map(|(f, links, images)| RenderedPage {
                ids: ids.clone(),
                url_path: FAQ_PATH.into(),
                source: Some(f.path.clone()),
                body_line: f.body_line,
                links,
                images,
            })
            .collect())
    }

    fn render_list<F>(
        &self,
        listing: &[ServiceItem],
        lang: Lang,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let url_path = format!("{}layanan/", lang.prefix());
        let counterpart = Some(format!("{}layanan/", lang.other().prefix()));
        let title = self.theme.strings.get(lang, "list_title");
        let mut ctx = self.page_context(lang, &url_path, &title, None, counterpart);
        ctx.insert("services", listing);
        let html = self.theme.render("list.html", &ctx, &url_path)?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        Ok(self.generated(url_path, &html))
    }

    fn render_simple<F>(
        &self,
        template: &str,
        out: &str,
        sink: &F,
    ) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let title = self.theme.strings.get(Lang::Id, "not_found_title");
        let ctx = self.page_context(Lang::Id, out, &title, None, None);
        let html = self.theme.render(template, &ctx, out)?;
        sink(out, html.as_bytes())?;
        Ok(RenderedPage {
            ids: Vec::new(),
            url_path: out.into(),
            source: None,
            body_line: 1,
            links: Vec::new(),
            images: Vec::new(),
        })
    }

    /// sitemap.xml, robots.txt and the services index as open data.
    fn data_files(&self, write: &impl Fn(&str, &[u8])) {
        let mut entries: Vec<(String, Option<chrono::NaiveDate>)> =
            vec![(String::new(), None), ("layanan/".into(), None)];
        entries.extend(
            self.content
                .services
                .iter()
                .map(|s| (s.url_path(), s.updated)),
        );
        entries.extend(self.content.pages.iter().map(|p| (p.url_path(), p.updated)));
        entries.extend(
            self.content
                .services
                .iter()
                .map(|s| (format!("{}{POSTER}", s.url_path()), s.updated)),
        );
        if !self.content.faqs.is_empty() {
            entries.push((FAQ_PATH.to_string(), None));
        }
        entries.push((kinerja::KINERJA_PATH.to_string(), None));
        entries.push((crate::skm::SKM_PATH.to_string(), None));
        let english = &self.content.english;
        let en = Lang::En.prefix();
        if !english.is_empty() {
            entries.push((en.to_string(), None));
            entries.push((format!("{en}layanan/"), None));
            entries.push((format!("{en}{}", crate::skm::SKM_PATH), None));
            entries.extend(
                english
                    .services
                    .iter()
                    .map(|s| (Lang::En.service_path(s), s.updated)),
            );
            entries.extend(
                english
                    .services
                    .iter()
                    .map(|s| (format!("{}{POSTER}", Lang::En.service_path(s)), s.updated)),
            );
            entries.extend(
                english
                    .pages
                    .iter()
                    .map(|p| (format!("{en}{}", p.url_path()), p.updated)),
            );
        }
        write(
            "sitemap.xml",
            sitemap::sitemap(&self.config, &entries).as_bytes(),
        );
        drop(entries);
        write("robots.txt", sitemap::robots(&self.config).as_bytes());
        for (path, text) in schema::schemas(&self.config) {
            write(path, text.as_bytes());
        }
        let list = opendata::ServiceList::new(&self.config, &self.content.services, Lang::Id);
        let index_json = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "{}".into());
        write("layanan/index.json", index_json.as_bytes());
        if !english.is_empty() {
            let list = opendata::ServiceList::new(&self.config, &english.services, Lang::En);
            let json = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "{}".into());
            write(&format!("{en}layanan/index.json"), json.as_bytes());
        }
    }
}

fn home_jsonld(config: &Config) -> serde_json::Value {
    let mut office = jsonld::office(config);
    office["@context"] = serde_json::json!("https://schema.org");
    office
}

/// The poster's folder under a standard's page.
pub(crate) const POSTER: &str = "poster/";

#[derive(Serialize)]
struct PosterView<'a> {
    title: &'a str,
    code: &'a str,
    sk: &'a str,
    completion_label: String,
    fee_label: String,
    mail_subject: String,
    page_url: String,
    updated_label: Option<String>,
    /// Inline SVG of the page's address and of the pre-filled email.
    qr_page: String,
    qr_mail: String,
    components: Vec<PosterComponent>,
}

#[derive(Serialize)]
struct PosterComponent {
    id: &'static str,
    name: &'static str,
    lines: Vec<String>,
}

#[derive(Serialize)]
struct NavItem {
    title: String,
    url: String,
    path: String,
}

/// A `<link rel="alternate" hreflang>` of a page that has a translation.
#[derive(Serialize)]
struct Alternate {
    lang: &'static str,
    url: String,
}

/// The link to the page in the other language (or to its home).
#[derive(Serialize)]
struct Switch {
    url: String,
    lang: &'static str,
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
    poster_url: String,
    faqs: Vec<FaqLink<'a>>,
    html: &'a str,
    toc: &'a [TocEntry],
    lang: &'a str,
}

#[derive(Serialize)]
struct FaqLink<'a> {
    title: &'a str,
    url: String,
}

/// One service's questions on the FAQ page.
#[derive(Serialize)]
struct FaqGroup<'a> {
    id: String,
    title: &'a str,
    url: String,
    items: Vec<FaqItem<'a>>,
}

#[derive(Serialize)]
struct FaqItem<'a> {
    id: &'a str,
    title: &'a str,
    html: String,
    tags: &'a [String],
}

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    html: &'a str,
    toc: &'a [TocEntry],
    updated_label: Option<String>,
    updated_iso: Option<String>,
}
