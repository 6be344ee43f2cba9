//! The data the portal keeps and publishes: the demo rows, referral deadlines, the
//! suppression of small counts and who publishes the IATI export.

use anyhow::anyhow;

use super::{Environment, reader::Reader};
use crate::{
    http::exports::iati::IatiSettings,
    services::{cases::CaseDeadlines, statistics},
};

/// When `serve` loads the demo data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoData {
    /// When the database has none yet (the development default).
    FirstStart,
    /// Never (the production default).
    Never,
}

/// What the server does with its data beyond the rules of the services.
#[derive(Clone, Debug)]
pub struct DataSettings {
    /// When `serve` loads the demo data (`PORTAL_DEMO_DATA`).
    pub demo_data: DemoData,
    /// How long a receiving organisation has to answer a referral.
    pub case_deadlines: CaseDeadlines,
    /// Counts of people below this are suppressed in statistics (`PORTAL_SUPPRESSION_THRESHOLD`).
    pub suppression_threshold: i64,
    /// The reporting organisation of the IATI export (`PORTAL_IATI_ORGANISATION_REF`).
    pub iati: IatiSettings,
}

/// Reads `PORTAL_DEMO_DATA`, `PORTAL_CASE_RESPONSE_HOURS`, `PORTAL_CASE_RESPONSE_HOURS_HIGH_RISK`,
/// `PORTAL_SUPPRESSION_THRESHOLD` and `PORTAL_IATI_ORGANISATION_REF`.
pub(super) fn read(reader: &Reader<'_>, environment: Environment) -> anyhow::Result<DataSettings> {
    let demo_data = reader.choice(
        "PORTAL_DEMO_DATA",
        &[
            ("first-start", DemoData::FirstStart),
            ("never", DemoData::Never),
        ],
        environment.either(DemoData::FirstStart, DemoData::Never),
    )?;
    let case_deadlines = CaseDeadlines {
        standard: reader.hours("PORTAL_CASE_RESPONSE_HOURS", 72)?,
        high_risk: reader.hours("PORTAL_CASE_RESPONSE_HOURS_HIGH_RISK", 24)?,
    };
    let suppression_threshold = reader.number(
        "PORTAL_SUPPRESSION_THRESHOLD",
        statistics::DEFAULT_THRESHOLD,
        2..=100,
        "a whole number from 2 to 100",
    )?;
    let iati = reader
        .parsed_with("PORTAL_IATI_ORGANISATION_REF", |value| {
            IatiSettings::new(value).map_err(|why| {
                anyhow!(
                    "PORTAL_IATI_ORGANISATION_REF must be an IATI organisation identifier such \
                     as XM-DAC-41114 ({why}), not `{value}`"
                )
            })
        })?
        .unwrap_or_default();
    Ok(DataSettings {
        demo_data,
        case_deadlines,
        suppression_threshold,
        iati,
    })
}
