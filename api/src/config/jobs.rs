//! The scheduled jobs: how often a process looks for one, how often an unanswered referral is
//! escalated again, and when the daily digest goes out.

use super::reader::Reader;
use crate::services::jobs::JobSettings;

/// Reads `PORTAL_JOBS_POLL_SECONDS`, `PORTAL_ESCALATION_INTERVAL_HOURS` and
/// `PORTAL_DIGEST_HOUR_UTC`.
pub(super) fn read(reader: &Reader<'_>) -> anyhow::Result<JobSettings> {
    let defaults = JobSettings::default();
    Ok(JobSettings {
        poll_interval: reader.seconds("PORTAL_JOBS_POLL_SECONDS", 60, 1)?,
        escalation_interval: reader.hours("PORTAL_ESCALATION_INTERVAL_HOURS", 24)?,
        digest_hour: reader.number(
            "PORTAL_DIGEST_HOUR_UTC",
            defaults.digest_hour,
            0..=23,
            "an hour of the day, 0 to 23 (UTC)",
        )?,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, time::Duration};

    use super::*;

    fn read_from(vars: &[(&str, &str)]) -> anyhow::Result<JobSettings> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        let lookup = |name: &str| vars.get(name).map(|value| (*value).to_owned());
        read(&Reader::new(&lookup))
    }

    #[test]
    fn the_jobs_have_defaults_and_refuse_what_makes_no_sense() {
        let defaults = read_from(&[]).expect("defaults");
        assert_eq!(defaults, JobSettings::default());
        let set = read_from(&[
            ("PORTAL_JOBS_POLL_SECONDS", "5"),
            ("PORTAL_ESCALATION_INTERVAL_HOURS", "12"),
            ("PORTAL_DIGEST_HOUR_UTC", "0"),
        ])
        .expect("settings");
        assert_eq!(set.poll_interval, Duration::from_secs(5));
        assert_eq!(set.escalation_interval, chrono::TimeDelta::hours(12));
        assert_eq!(set.digest_hour, 0);
        for (name, value) in [
            ("PORTAL_JOBS_POLL_SECONDS", "0"),
            ("PORTAL_ESCALATION_INTERVAL_HOURS", "0"),
            ("PORTAL_DIGEST_HOUR_UTC", "24"),
            ("PORTAL_DIGEST_HOUR_UTC", "8am"),
        ] {
            let error = read_from(&[(name, value)]).expect_err(value).to_string();
            assert!(error.starts_with(name), "{error}");
        }
    }
}
