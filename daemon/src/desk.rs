//! The help desk's fixed surroundings, loaded once at start-up and checked as a whole:
//! `site.toml` (through `loket_core`, the same parser the site builder uses), the
//! published standards, the office calendar, the mail templates and the capability key.
//! Nothing in it changes while the daemon runs.

use std::path::Path;

use chrono::{DateTime, Utc};
use loket_core::config::{Config, DeskConfig};
use loket_core::content::{self, Faq, Service, Term};
use loket_core::diagnostics::Diagnostics;

use crate::mail::compose::{ComposeError, Composer};
use crate::rules::calendar::{self, CalendarError, OfficeCalendar};
use crate::rules::capability::CapabilityKey;
use crate::store::key::{self, KeyError};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// `site.toml` or a standard is wrong: every problem with its file and line.
    #[error("{0}")]
    Site(Diagnostics),
    #[error("office calendar: {0}")]
    Calendar(#[from] CalendarError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Templates(#[from] ComposeError),
    #[error("capability key: {0}")]
    Key(#[from] KeyError),
}

pub struct Desk {
    pub config: DeskConfig,
    /// The published standards (drafts left out), as the site shows them.
    pub services: Vec<Service>,
    /// The questions and answers of `content/tanya-jawab/` (drafts left out): the
    /// canned answers staff insert with `#templat <slug>`.
    pub faqs: Vec<Faq>,
    pub calendar: OfficeCalendar,
    pub composer: Composer,
    pub key: CapabilityKey,
}

impl Desk {
    pub fn load(root: &Path) -> Result<Desk, DeskError> {
        let config = Config::load(root)
            .and_then(Config::into_desk)
            .map_err(DeskError::Site)?;
        let all_services = content::load_services(root).map_err(DeskError::Site)?;
        // A broken entry stops the start like a broken standard: each problem with its
        // file and line (a canned answer that silently went missing would be worse).
        let faqs = content::load_faqs(root, &all_services).map_err(DeskError::Site)?;
        let services: Vec<Service> = all_services.into_iter().filter(|s| !s.draft).collect();
        let default = &config.helpdesk.default_service;
        if !services
            .iter()
            .any(|s| s.code.eq_ignore_ascii_case(default))
        {
            let codes: Vec<&str> = services.iter().map(|s| s.code.as_str()).collect();
            return Err(DeskError::Site(
                config
                    .file
                    .error_at(
                        "helpdesk.default_service",
                        format!(
                            "`helpdesk.default_service` = {default:?} is not the code of any published standard in content/layanan/"
                        ),
                        format!("use one of: {}", codes.join(", ")),
                    )
                    .into(),
            ));
        }
        let calendar = load_calendar(&config)?;
        let composer = Composer::load(
            root,
            &config.office,
            &config.complaints,
            &config.mail.address,
        )?;
        let data_dir = &config.mail.data_dir;
        std::fs::create_dir_all(data_dir).map_err(|source| DeskError::Read {
            path: data_dir.display().to_string(),
            source,
        })?;
        let key = key::load_or_create(data_dir)?;
        Ok(Desk {
            config,
            services,
            faqs,
            calendar,
            composer,
            key,
        })
    }

    /// The published standard with this code (any case).
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code))
    }

    /// A warning for the admin when the holiday file is about to end or has ended
    /// (see `Holidays::coverage_warning`), naming the file. Said at start, by
    /// `loketd check-config`, by `loketd report` and once a day in the log.
    pub fn holiday_warning(&self, now: DateTime<Utc>) -> Option<String> {
        let today = self.calendar.local_date(now);
        self.calendar
            .holiday_warning(today)
            .map(|w| format!("{}: {w}", self.config.holidays.display()))
    }

    /// The canned answer with this slug (any case).
    pub(crate) fn faq(&self, slug: &str) -> Option<&Faq> {
        self.faqs.iter().find(|f| f.slug.eq_ignore_ascii_case(slug))
    }

    /// The standard's page on the public site.
    pub(crate) fn service_url(&self, s: &Service) -> String {
        self.config.absolute_url(&s.url_path())
    }

    /// When a term of the standard ends, counted from `start` on the office calendar.
    pub(crate) fn deadline(&self, start: DateTime<Utc>, term: Term) -> DateTime<Utc> {
        match term {
            Term::OfficeMinutes(m) => self.calendar.add_office_minutes(start, i64::from(m)),
            Term::WorkingDays(n) => self.calendar.add_working_days(start, n),
        }
    }
}

fn load_calendar(config: &DeskConfig) -> Result<OfficeCalendar, DeskError> {
    let file = &config.holidays;
    let text = std::fs::read_to_string(file).map_err(|source| DeskError::Read {
        path: file.display().to_string(),
        source,
    })?;
    let holidays = calendar::parse_holidays(file, &text)?;
    let h = &config.office_hours;
    Ok(OfficeCalendar::new(
        h.days.iter().copied(),
        h.open,
        h.close,
        h.utc_offset,
        holidays,
    )?)
}
