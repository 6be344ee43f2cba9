//! Mail: the SMTP server, or the directory of `.eml` files that stands in for one in
//! development, and the sender's address.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use super::{Environment, reader::Reader};
use crate::services::mail::{MailDelivery, MailSettings, SmtpUrl};

/// Reads `PORTAL_SMTP_URL`, `PORTAL_MAIL_FROM` (required in production when mail goes to an
/// SMTP server: a made-up sender would be refused or marked as spam), `PORTAL_MAIL_DIR`
/// (without an SMTP server; `mail/` beside the SQLite file by default) and `PORTAL_APP_URL`
/// (where mailed links point; required in production with an SMTP server, for the same
/// reason).
pub(super) fn read(
    reader: &Reader<'_>,
    environment: Environment,
    database_url: &str,
) -> anyhow::Result<MailSettings> {
    let smtp = reader.parsed_with("PORTAL_SMTP_URL", |raw| {
        // The parser's complaint never repeats the URL, which may hold a password.
        SmtpUrl::parse(raw).map_err(|error| anyhow!("PORTAL_SMTP_URL {error}"))
    })?;
    let from = match (reader.text("PORTAL_MAIL_FROM"), environment, &smtp) {
        (Some(from), _, _) => from,
        (None, Environment::Production, Some(_)) => {
            bail!(
                "PORTAL_MAIL_FROM is required when PORTAL_ENV=production and PORTAL_SMTP_URL is set"
            )
        }
        (None, _, _) => MailSettings::DEFAULT_FROM.to_owned(),
    };
    let from = from.parse().map_err(|error| {
        anyhow!("PORTAL_MAIL_FROM must be an address, or `Name <address>` ({error})")
    })?;
    let delivery = match smtp {
        Some(url) => MailDelivery::Smtp(url),
        None => MailDelivery::Files(
            match reader.parsed_with("PORTAL_MAIL_DIR", |dir| {
                if dir.trim().is_empty() {
                    bail!("PORTAL_MAIL_DIR must be a directory, not empty");
                }
                Ok(PathBuf::from(dir))
            })? {
                Some(dir) => dir,
                None => default_mail_dir(database_url),
            },
        ),
    };
    let app_url = match (
        reader.parsed_with("PORTAL_APP_URL", parse_app_url)?,
        environment,
        &delivery,
    ) {
        (Some(url), _, _) => url,
        (None, Environment::Production, MailDelivery::Smtp(_)) => {
            bail!(
                "PORTAL_APP_URL is required when PORTAL_ENV=production and PORTAL_SMTP_URL is set"
            )
        }
        (None, _, _) => crate::services::DEFAULT_APP_URL.to_owned(),
    };
    Ok(MailSettings {
        app_url,
        ..MailSettings::new(delivery, from)
    })
}

/// An `http://` or `https://` address without query or fragment, kept without its trailing
/// slash: the links of invitation and reset mails are this followed by a path.
fn parse_app_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| anyhow!("PORTAL_APP_URL must start with https:// or http://"))?
        .trim_end_matches('/');
    let url = url.trim_end_matches('/');
    if rest.is_empty() || rest.starts_with('/') || url.contains(['?', '#', ' ']) {
        bail!("PORTAL_APP_URL must be the web app's address, such as https://portal.example.org");
    }
    Ok(url.to_owned())
}

/// `mail/` beside the SQLite file of `database_url`, or in the working directory.
fn default_mail_dir(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|file| !file.is_empty() && !file.starts_with(":memory:"));
    file.and_then(|file| Path::new(file).parent())
        .map_or_else(|| PathBuf::from("mail"), |parent| parent.join("mail"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_directory_is_beside_the_sqlite_file() {
        assert_eq!(
            default_mail_dir("sqlite://portal.db?mode=rwc"),
            PathBuf::from("mail")
        );
        assert_eq!(
            default_mail_dir("sqlite:///var/lib/portal/portal.db?mode=rwc"),
            PathBuf::from("/var/lib/portal/mail")
        );
        assert_eq!(
            default_mail_dir("postgres://portal@db/portal"),
            PathBuf::from("mail")
        );
    }
}
