//! `[[staff]]` and `[[sections]]`: who may act on tickets by mail, and the sections a
//! CSO escalates to.

use super::raw::{RawSection, RawStaff};
use super::{Checker, valid_address};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Customer Service Officer: gets new tickets.
    Cso,
    /// Kepala Seksi: gets escalations for their section.
    Kasi,
    /// Kepala Kantor: gets breach alerts.
    Kepala,
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub name: String,
    /// Lower case.
    pub address: String,
    pub role: Role,
    pub section: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub code: String,
    pub name: String,
    /// Lower case; always a listed staff member.
    pub head: String,
}

/// The staff list and the sections, checked against each other.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub staff: Vec<Staff>,
    pub sections: Vec<Section>,
}

impl Roster {
    pub(super) fn from_raw(
        sections: Vec<RawSection>,
        staff: Vec<RawStaff>,
        c: &mut Checker<'_>,
    ) -> Roster {
        let sections: Vec<Section> = sections
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                if !valid_address(&s.head) {
                    c.error(
                        &format!("sections[{i}].head"),
                        format!("`sections.head` = {:?} is not a mail address", s.head),
                        "write the section head's address, e.g. kasi.pd@kantor.go.id",
                    );
                }
                Section {
                    code: s.code,
                    name: s.name,
                    head: s.head.to_lowercase(),
                }
            })
            .collect();
        let mut list = Vec::new();
        for (i, s) in staff.into_iter().enumerate() {
            let at = |k: &str| format!("staff[{i}].{k}");
            if !valid_address(&s.address) {
                c.error(
                    &at("address"),
                    format!("`staff.address` = {:?} is not a mail address", s.address),
                    "write it as name@domain",
                );
            }
            let role = match s.role.as_str() {
                "cso" => Role::Cso,
                "kasi" => Role::Kasi,
                "kepala" => Role::Kepala,
                other => {
                    c.error(
                        &at("role"),
                        format!("`staff.role` = {other:?} is not a role"),
                        "use \"cso\", \"kasi\" or \"kepala\"",
                    );
                    continue;
                }
            };
            if let Some(code) = &s.section
                && !sections.iter().any(|x| x.code.eq_ignore_ascii_case(code))
            {
                c.error(
                    &at("section"),
                    format!("`staff.section` = {code:?} is not a [[sections]] code"),
                    "use the code of one of the [[sections]]",
                );
            }
            list.push(Staff {
                name: s.name,
                address: s.address.to_lowercase(),
                role,
                section: s.section,
            });
        }
        for (i, s) in sections.iter().enumerate() {
            if !list.iter().any(|st| st.address == s.head) {
                c.error(
                    &format!("sections[{i}].head"),
                    format!(
                        "section `{}` names head {} who is not in [[staff]]",
                        s.code, s.head
                    ),
                    "add them to [[staff]] with role = \"kasi\"",
                );
            }
        }
        Roster {
            staff: list,
            sections,
        }
    }

    pub fn staff_by_address(&self, address: &str) -> Option<&Staff> {
        self.staff
            .iter()
            .find(|s| s.address.eq_ignore_ascii_case(address))
    }

    pub fn section(&self, code: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code))
    }

    pub fn csos(&self) -> impl Iterator<Item = &Staff> {
        self.staff.iter().filter(|s| s.role == Role::Cso)
    }

    pub fn head_of_office(&self) -> Option<&Staff> {
        self.staff.iter().find(|s| s.role == Role::Kepala)
    }
}
