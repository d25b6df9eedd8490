//! What the daemon takes from the published site: the office, the complaint channels
//! and each service's code, title and deadlines — read through the `loket` library from
//! the same `site.toml` and `content/` the public pages are built from, so a mail and
//! the page never disagree.

use std::path::Path;

use loket::content::Term;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SiteError(String);

#[derive(Debug, Clone, Serialize)]
pub struct OfficeInfo {
    pub name: String,
    pub short_name: String,
    pub address: String,
    pub phone: String,
    pub website: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Complaint {
    pub name: String,
    pub description: String,
    pub url: Option<String>,
}

/// A deadline as the daemon counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Deadline {
    OfficeMinutes(u32),
    WorkingDays(u32),
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    pub code: String,
    pub title: String,
    /// Page of the standard on the public site.
    pub url: String,
    pub completion: Deadline,
    /// "20 menit"
    pub completion_label: String,
    pub escalation: Option<Deadline>,
    /// "3 hari kerja"
    pub escalation_label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub theme: String,
    pub office: OfficeInfo,
    pub complaints: Vec<Complaint>,
    pub services: Vec<ServiceInfo>,
}

impl Site {
    /// Reads `site.toml` and the published standards (drafts excluded).
    pub fn load(root: &Path) -> Result<Site, SiteError> {
        let config = loket::config::SiteConfig::load(root).map_err(|d| SiteError(d.to_string()))?;
        let services = loket::content::load_services(root).map_err(|d| SiteError(d.to_string()))?;
        let services = services
            .into_iter()
            .filter(|s| !s.draft)
            .map(|s| ServiceInfo {
                url: config.absolute_url(&format!("layanan/{}/", s.slug)),
                completion: deadline(s.completion),
                completion_label: s.completion.label_id(),
                escalation: s.escalation.map(deadline),
                escalation_label: s.escalation.map(|t| t.label_id()),
                code: s.code.to_uppercase(),
                title: s.title,
            })
            .collect();
        Ok(Site {
            theme: "default".into(),
            office: OfficeInfo {
                name: config.office.name.clone(),
                short_name: config.office.short_name.clone(),
                address: config.office.address.clone(),
                phone: config.office.phone.clone(),
                website: config.office.website.clone(),
            },
            complaints: config
                .complaints
                .iter()
                .map(|c| Complaint {
                    name: c.name.clone(),
                    description: c.description.clone(),
                    url: c.url.clone(),
                })
                .collect(),
            services,
        })
    }

    pub fn service(&self, code: &str) -> Option<&ServiceInfo> {
        self.services
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code))
    }
}

fn deadline(t: Term) -> Deadline {
    match t {
        Term::OfficeMinutes(m) => Deadline::OfficeMinutes(m),
        Term::WorkingDays(d) => Deadline::WorkingDays(d),
    }
}
