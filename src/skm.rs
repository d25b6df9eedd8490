//! The printable SKM questionnaire, `/skm/` (and `/en/skm/` with an English edition):
//! the nine questions of PermenPANRB 14/2017 with their four answers each, in the
//! regulation's wording (from `loket_core::skm`, the same words the daemon's "Resolved"
//! mail asks), and the optional respondent profile, on one A4 page. Walk-in visitors
//! fill it in at the front desk; a CSO enters it by mail (`[SKM] #<ticket>` and the nine
//! digits).

use loket_core::diagnostics::Diagnostic;
use loket_core::skm::Questionnaire;

use crate::i18n::Lang;
use crate::links::RenderedPage;
use crate::site::Site;

/// Site path of the questionnaire (the English one under `en/`).
pub const SKM_PATH: &str = "skm/";

impl Site {
    /// Renders the questionnaire in `lang`.
    pub(crate) fn render_skm<F>(&self, lang: Lang, sink: &F) -> Result<RenderedPage, Diagnostic>
    where
        F: Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync,
    {
        let strings = &self.theme.strings;
        let url_path = format!("{}{SKM_PATH}", lang.prefix());
        let bilingual = !self.content.english.is_empty();
        let counterpart = bilingual.then(|| format!("{}{SKM_PATH}", lang.other().prefix()));
        let mut ctx = self.page_context(
            lang,
            &url_path,
            &strings.get(lang, "skm_title"),
            Some(&strings.get(lang, "skm_description")),
            counterpart,
        );
        ctx.insert("skm", &Questionnaire::new(lang == Lang::En));
        ctx.insert("contact_email", &self.config.contact_email());
        let html = self.theme.render("skm.html", &ctx, &url_path)?;
        sink(&format!("{url_path}index.html"), html.as_bytes())?;
        Ok(self.generated(url_path, &html))
    }
}
