//! The help desk's fixed surroundings, loaded once at start-up and validated as a
//! whole: configuration, the published standards, the office calendar, the mail
//! templates and the capability key. Nothing in it changes while the daemon runs.

use std::path::Path;

use crate::calendar::{self, OfficeCalendar};
use crate::capability::{self, CapabilityKey};
use crate::compose::Composer;
use crate::config::Config;
use crate::standards::{Deadline, Site};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("site content: {0}")]
    Site(#[from] crate::standards::SiteError),
    #[error("office calendar: {0}")]
    Calendar(#[from] calendar::CalendarError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Templates(#[from] crate::compose::ComposeError),
    #[error("capability key: {0}")]
    Key(#[from] capability::KeyError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error(
        "helpdesk.default_service = \"{0}\" is not the code of any standard in content/layanan/"
    )]
    DefaultService(String),
}

pub struct Desk {
    pub config: Config,
    pub site: Site,
    pub calendar: OfficeCalendar,
    pub composer: Composer,
    pub key: CapabilityKey,
}

impl Desk {
    /// When a deadline of the standard falls, counted from `start` on the office calendar.
    pub fn deadline(&self, start: DateTime<Utc>, d: Deadline) -> DateTime<Utc> {
        match d {
            Deadline::OfficeMinutes(m) => self.calendar.add_office_minutes(start, i64::from(m)),
            Deadline::WorkingDays(n) => self.calendar.add_working_days(start, n),
        }
    }

    pub fn load(root: &Path) -> Result<Desk, DeskError> {
        let config = Config::load(root)?;
        let site = Site::load(root)?;
        if site.service(&config.helpdesk.default_service).is_none() {
            return Err(DeskError::DefaultService(
                config.helpdesk.default_service.clone(),
            ));
        }
        let calendar = load_calendar(&config)?;
        let composer = Composer::load(root, &site, &config.mail.address)?;
        std::fs::create_dir_all(&config.mail.data_dir).map_err(|source| DeskError::Read {
            path: config.mail.data_dir.display().to_string(),
            source,
        })?;
        let key = capability::load_or_create(&config.mail.data_dir)?;
        Ok(Desk {
            config,
            site,
            calendar,
            composer,
            key,
        })
    }
}

fn load_calendar(config: &Config) -> Result<OfficeCalendar, DeskError> {
    let h = &config.office_hours;
    let text = std::fs::read_to_string(&h.holidays).map_err(|source| DeskError::Read {
        path: h.holidays.display().to_string(),
        source,
    })?;
    let holidays = calendar::parse_holidays(&h.holidays, &text)?;
    let days = h
        .days
        .iter()
        .map(|d| calendar::parse_weekday(d))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OfficeCalendar::new(
        days,
        calendar::parse_time(&h.open)?,
        calendar::parse_time(&h.close)?,
        calendar::parse_offset(&h.utc_offset)?,
        holidays,
    )?)
}
