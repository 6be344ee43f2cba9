//! Every environment variable the README documents, read by `Config::from_lookup` as the
//! server reads it: its default (in development and in production), values at its bounds, and
//! values past them refused with a message that names the variable and says what it wants,
//! never repeating a secret. The table has one row per variable of the README's
//! "Configuration" table, and the README names every variable `config/` reads: a variable
//! added to either without a row here fails the test.

use api::config::Config;

use crate::helpers::{PRODUCTION_DATA_KEYS, TEST_JWT_SECRET};

const README: &str = include_str!("../../README.md");
/// The configuration's files, one per group of variables.
const CONFIG_DIRECTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/config");

/// What the tests read of a configuration for one variable, as text.
type Reading = fn(&Config) -> String;

/// One documented variable.
struct Row {
    name: &'static str,
    read: Reading,
    /// The reading with the variable unset, in development.
    default: &'static str,
    /// The reading with the variable unset in production, when it differs from `default`;
    /// `None` also when production requires the variable (see `production_requires`).
    production_default: Option<&'static str>,
    /// Whether production refuses to start without it.
    production_requires: bool,
    /// Values accepted, each with its reading.
    accepted: &'static [(&'static str, &'static str)],
    /// Values refused, each with a part of the message that must say why.
    refused: &'static [(&'static str, &'static str)],
    /// Key material: a refusal never repeats the value (for `id:key` lists, the key part).
    secret: bool,
}

/// A variable read by something other than `Config`, and where its promise is tested.
struct Elsewhere {
    name: &'static str,
    tested_in: &'static str,
}

const fn row(name: &'static str, read: Reading, default: &'static str) -> Row {
    Row {
        name,
        read,
        default,
        production_default: None,
        production_requires: false,
        accepted: &[],
        refused: &[],
        secret: false,
    }
}

const KEY_A: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

fn rows() -> Vec<Row> {
    vec![
        Row {
            accepted: &[("development", "Development"), ("production", "Production")],
            refused: &[
                ("staging", "`development` or `production`"),
                ("Production", "not `Production`"),
                ("", "`development` or `production`"),
            ],
            ..row(
                "PORTAL_ENV",
                |config| format!("{:?}", config.environment),
                "Development",
            )
        },
        Row {
            accepted: &[("postgres://portal@db/portal", "postgres://portal@db/portal")],
            production_requires: true,
            ..row(
                "DATABASE_URL",
                |config| config.database.url.clone(),
                "sqlite://portal.db?mode=rwc",
            )
        },
        Row {
            accepted: &[("0.0.0.0:9000", "0.0.0.0:9000"), ("[::1]:80", "[::1]:80")],
            refused: &[
                ("port 80", "an address such as 127.0.0.1:8080"),
                ("localhost:8080", "an address such as"),
                ("127.0.0.1", "an address such as"),
            ],
            ..row(
                "PORTAL_LISTEN",
                |config| config.server.listen.to_string(),
                "127.0.0.1:8080",
            )
        },
        Row {
            accepted: &[("1", "1"), ("64", "64")],
            refused: &[
                ("0", "at least 1"),
                ("x", "a positive number"),
                ("-1", "a positive number"),
            ],
            ..row(
                "PORTAL_DB_MAX_CONNECTIONS",
                |config| {
                    let cores =
                        std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
                    let size = config.database.max_connections;
                    if usize::try_from(size).ok() == Some(cores * 2 + 2) && size != 64 {
                        "2 × cores + 2".to_owned()
                    } else {
                        size.to_string()
                    }
                },
                "2 × cores + 2",
            )
        },
        Row {
            accepted: &[("first-start", "FirstStart"), ("never", "Never")],
            refused: &[("always", "`first-start` or `never`")],
            production_default: Some("Never"),
            ..row(
                "PORTAL_DEMO_DATA",
                |config| format!("{:?}", config.data.demo_data),
                "FirstStart",
            )
        },
        Row {
            accepted: &[("json", "Json"), ("pretty", "Pretty")],
            refused: &[("text", "`json` or `pretty`")],
            production_default: Some("Json"),
            ..row(
                "PORTAL_LOG_FORMAT",
                |config| format!("{:?}", config.log_format),
                "Pretty",
            )
        },
        Row {
            accepted: &[
                ("0123456789abcdef0123456789abcdef", "32 bytes"),
                (TEST_JWT_SECRET, "43 bytes"),
            ],
            refused: &[
                ("0123456789abcdef0123456789abcde", "at least 32 bytes"),
                ("", "at least 32 bytes"),
            ],
            production_requires: true,
            secret: true,
            ..row(
                "PORTAL_JWT_SECRET",
                |config| {
                    let bytes = config.auth.jwt_secret.bytes().len();
                    if config.auth.jwt_secret_generated {
                        format!("{bytes} bytes, generated")
                    } else {
                        format!("{bytes} bytes")
                    }
                },
                "32 bytes, generated",
            )
        },
        Row {
            accepted: &[
                (PRODUCTION_DATA_KEYS, "k1"),
                (
                    "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=,k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                    "k2",
                ),
            ],
            refused: &[
                ("", "entry 1 is empty"),
                ("k1", "not of the form id:base64key"),
                ("k1:c2hvcnQta2V5LW1hdGVyaWFs", "must be 32"),
                ("k1:not*base64*key*material", "not standard base64"),
                (
                    "k 1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                    "the id must be",
                ),
                (
                    "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=,k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
                    "listed twice",
                ),
            ],
            production_requires: true,
            secret: true,
            ..row(
                "PORTAL_DATA_KEYS",
                |config| {
                    let id = config.auth.data_keys.current_key_id().to_owned();
                    if config.auth.data_keys_insecure {
                        format!("{id} (the development key)")
                    } else {
                        id
                    }
                },
                "dev-insecure (the development key)",
            )
        },
        Row {
            accepted: &[("true", "true"), ("false", "false")],
            refused: &[("yes", "`true` or `false`"), ("TRUE", "not `TRUE`")],
            production_default: Some("true"),
            ..row(
                "PORTAL_TOTP_REQUIRED_FOR_ADMIN",
                |config| config.auth.totp_required_for_admin.to_string(),
                "false",
            )
        },
        Row {
            accepted: &[("1", "1"), ("720", "720")],
            refused: &[
                ("0", "1 to 720"),
                ("721", "1 to 720"),
                ("x", "a number of hours"),
                ("1.5", "a number of hours"),
            ],
            ..row(
                "PORTAL_CASE_RESPONSE_HOURS",
                |config| config.data.case_deadlines.standard.num_hours().to_string(),
                "72",
            )
        },
        Row {
            accepted: &[("1", "1"), ("720", "720")],
            refused: &[("0", "1 to 720"), ("721", "1 to 720"), ("-24", "1 to 720")],
            ..row(
                "PORTAL_CASE_RESPONSE_HOURS_HIGH_RISK",
                |config| config.data.case_deadlines.high_risk.num_hours().to_string(),
                "24",
            )
        },
        Row {
            accepted: &[("2", "2"), ("100", "100")],
            refused: &[
                ("1", "from 2 to 100"),
                ("0", "from 2 to 100"),
                ("101", "from 2 to 100"),
                ("x", "a whole number"),
                ("5.5", "a whole number"),
            ],
            ..row(
                "PORTAL_SUPPRESSION_THRESHOLD",
                |config| config.data.suppression_threshold.to_string(),
                "5",
            )
        },
        Row {
            accepted: &[
                ("XM-DAC-41114", "XM-DAC-41114"),
                ("GB-CHC-202918", "GB-CHC-202918"),
            ],
            refused: &[
                ("OSCE", "an agency's prefix and a number joined by `-`"),
                ("XM OSCE-1", "letters, digits, `-`, `.` and `_` only"),
                ("XM-OSCE/1", "letters, digits"),
                ("", "1 to 100 characters"),
            ],
            ..row(
                "PORTAL_IATI_ORGANISATION_REF",
                |config| {
                    let iati = &config.data.iati;
                    if iati.organisation_ref_is_default {
                        format!("{} (unset)", iati.organisation_ref)
                    } else {
                        iati.organisation_ref.clone()
                    }
                },
                "XM-OSCE-PODUSHANBE (unset)",
            )
        },
        Row {
            accepted: &[("1", "1"), ("100000", "100000")],
            refused: &[("0", "a positive number"), ("x", "a positive number")],
            ..row(
                "PORTAL_LOGIN_ATTEMPTS_PER_MINUTE",
                |config| config.auth.login_attempts_per_minute.to_string(),
                "30",
            )
        },
        Row {
            accepted: &[("1024", "1024")],
            refused: &[("1023", "at least 1024"), ("256KiB", "a number of bytes")],
            ..row(
                "PORTAL_MAX_BODY_BYTES",
                |config| config.server.max_body_bytes.to_string(),
                "262144",
            )
        },
        Row {
            accepted: &[("1", "1"), ("3600", "3600")],
            refused: &[
                ("0", "1 to 3600"),
                ("3601", "1 to 3600"),
                ("15s", "seconds"),
            ],
            ..row(
                "PORTAL_REQUEST_TIMEOUT_SECS",
                |config| config.server.request_timeout.as_secs().to_string(),
                "15",
            )
        },
        Row {
            accepted: &[("0", "none"), ("3600", "3600")],
            refused: &[
                ("3601", "0 to 3600"),
                ("soon", "seconds"),
                ("-1", "0 to 3600"),
            ],
            ..row(
                "PORTAL_DB_STATEMENT_TIMEOUT_SECS",
                |config| {
                    config.database.statement_timeout.map_or_else(
                        || "none".to_owned(),
                        |timeout| timeout.as_secs().to_string(),
                    )
                },
                "10",
            )
        },
        Row {
            accepted: &[
                (
                    "https://portal.example.org, http://localhost:5173",
                    "https://portal.example.org,http://localhost:5173",
                ),
                ("", ""),
            ],
            refused: &[
                ("portal.example.org", "not `portal.example.org`"),
                ("https://portal.example.org/app", "without a path"),
                ("*", "not `*`"),
            ],
            ..row(
                "PORTAL_CORS_ORIGINS",
                |config| config.server.cors.origins.join(","),
                "",
            )
        },
        Row {
            accepted: &[("X-Client-Build, authorization", "x-client-build")],
            refused: &[
                ("x-build, not a header", "not `not a header`"),
                ("*", "not `*`"),
            ],
            ..row(
                "PORTAL_CORS_ALLOWED_HEADERS",
                |config| {
                    let defaults = api::http::cors::AllowedHeaders::default();
                    config
                        .server
                        .cors
                        .allowed_headers
                        .names()
                        .iter()
                        .filter(|name| !defaults.names().contains(name))
                        .map(|name| name.as_str().to_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                },
                "",
            )
        },
        Row {
            accepted: &[("1", "1"), ("4294967295", "4294967295")],
            refused: &[
                ("0", "a positive number"),
                ("4294967296", "a positive number"),
                ("many", "a positive number"),
            ],
            ..row(
                "PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE",
                |config| config.limits.cost_budgets.per_account.to_string(),
                "250000",
            )
        },
        Row {
            accepted: &[("1", "1")],
            refused: &[("0", "a positive number"), ("-5", "a positive number")],
            ..row(
                "PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE",
                |config| config.limits.cost_budgets.per_address.to_string(),
                "1000000",
            )
        },
        Row {
            accepted: &[(
                "10.0.0.5, 10.0.0.0/8, fd00::/8",
                "TrustedProxies([10.0.0.5/32, 10.0.0.0/8, fd00::/8])",
            )],
            refused: &[
                ("proxy.internal", "not `proxy.internal`"),
                ("10.0.0.0/33", "not `10.0.0.0/33`"),
            ],
            ..row(
                "PORTAL_TRUSTED_PROXIES",
                |config| format!("{:?}", config.server.trusted_proxies),
                "TrustedProxies([])",
            )
        },
        Row {
            accepted: &[("metrics-token-16", "set")],
            refused: &[("metrics-token15", "at least 16 characters")],
            secret: true,
            ..row(
                "PORTAL_METRICS_TOKEN",
                |config| {
                    if config.server.metrics_token.is_some() {
                        "set".to_owned()
                    } else {
                        "none".to_owned()
                    }
                },
                "none",
            )
        },
        Row {
            accepted: &[("1", "1"), ("1000000", "1000000")],
            refused: &[("0", "1 to 1000000"), ("1000001", "1 to 1000000")],
            ..row(
                "PORTAL_WS_MAX_CONNECTIONS",
                |config| config.server.connections.total.to_string(),
                "1000",
            )
        },
        Row {
            accepted: &[("1", "1")],
            refused: &[("0", "1 to 1000000"), ("some", "a number")],
            ..row(
                "PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT",
                |config| config.server.connections.per_account.to_string(),
                "10",
            )
        },
        Row {
            accepted: &[("1", "1"), ("3600", "3600")],
            refused: &[("0", "1 to 3600"), ("3601", "1 to 3600")],
            ..row(
                "PORTAL_WS_INIT_TIMEOUT_SECS",
                |config| config.server.ws_init_timeout.as_secs().to_string(),
                "10",
            )
        },
        Row {
            accepted: &[("on", "On"), ("off", "Off"), ("verify", "Verify")],
            refused: &[("yes", "`on`, `off` or `verify`")],
            ..row(
                "PORTAL_QUERY_PLANS",
                |config| format!("{:?}", config.server.query_plans),
                "On",
            )
        },
        Row {
            accepted: &[("true", "true"), ("false", "false")],
            refused: &[("yes", "`true` or `false`")],
            ..row(
                "PORTAL_PERSISTED_QUERIES_ONLY",
                |config| config.limits.persisted_queries.only_listed.to_string(),
                "false",
            )
        },
        Row {
            accepted: &[("1", "1"), ("1000000", "1000000")],
            refused: &[
                ("0", "1 to 1000000"),
                ("1000001", "1 to 1000000"),
                ("x", "a number"),
            ],
            ..row(
                "PORTAL_PERSISTED_QUERIES_MAX",
                |config| config.limits.persisted_queries.max_registered.to_string(),
                "1000",
            )
        },
        Row {
            accepted: &[
                ("smtp://mail.example.org", "smtp"),
                (
                    "smtps://portal%40example.org:p%40ss@mail.example.org:465",
                    "smtp",
                ),
            ],
            refused: &[
                (
                    "http://portal:hunter2@mail.example.org",
                    "smtp:// or smtps://",
                ),
                ("mail.example.org", "not a URL"),
                ("smtp://portal:hunter2@", "PORTAL_SMTP_URL"),
            ],
            secret: true,
            ..row("PORTAL_SMTP_URL", mail_delivery, "files in mail")
        },
        Row {
            accepted: &[
                ("portal@example.org", "portal@example.org"),
                ("Portal <portal@example.org>", "Portal <portal@example.org>"),
            ],
            refused: &[("the portal", "an address")],
            ..row(
                "PORTAL_MAIL_FROM",
                |config| config.mail.from.to_string(),
                "OSCE Partner Portal <no-reply@portal.example.tj>",
            )
        },
        Row {
            accepted: &[("/var/spool/portal-mail", "files in /var/spool/portal-mail")],
            refused: &[("", "a directory")],
            ..row("PORTAL_MAIL_DIR", mail_delivery, "files in mail")
        },
        Row {
            accepted: &[
                ("https://portal.example.org/", "https://portal.example.org"),
                ("http://localhost:5173", "http://localhost:5173"),
            ],
            refused: &[
                ("portal.example.org", "https:// or http://"),
                (
                    "https://portal.example.org/?next=1",
                    "the web app's address",
                ),
                ("https://", "the web app's address"),
            ],
            ..row(
                "PORTAL_APP_URL",
                |config| config.mail.app_url.clone(),
                "http://localhost:3000",
            )
        },
        Row {
            accepted: &[("1", "1"), ("3600", "3600")],
            refused: &[
                ("0", "1 to 3600"),
                ("3601", "1 to 3600"),
                ("soon", "a number of seconds"),
            ],
            ..row(
                "PORTAL_JOBS_POLL_SECONDS",
                |config| config.jobs.poll_interval.as_secs().to_string(),
                "60",
            )
        },
        Row {
            accepted: &[("1", "1"), ("720", "720")],
            refused: &[
                ("0", "1 to 720"),
                ("721", "1 to 720"),
                ("daily", "a number of hours"),
            ],
            ..row(
                "PORTAL_ESCALATION_INTERVAL_HOURS",
                |config| config.jobs.escalation_interval.num_hours().to_string(),
                "24",
            )
        },
        Row {
            accepted: &[("0", "0"), ("23", "23")],
            refused: &[
                ("24", "0 to 23"),
                ("-1", "0 to 23"),
                ("8am", "an hour of the day"),
            ],
            ..row(
                "PORTAL_DIGEST_HOUR_UTC",
                |config| config.jobs.digest_hour.to_string(),
                "3",
            )
        },
    ]
}

/// Where mail goes, as text: `smtp` (the URL is secret) or the directory of `.eml` files.
fn mail_delivery(config: &Config) -> String {
    match &config.mail.delivery {
        api::services::mail::MailDelivery::Smtp(_) => "smtp".to_owned(),
        api::services::mail::MailDelivery::Files(dir) => format!("files in {}", dir.display()),
    }
}

const ELSEWHERE: &[Elsewhere] = &[Elsewhere {
    name: "RUST_LOG",
    tested_in: "logs.rs (the binary at `trace`) and cli.rs (at `info`); tracing-subscriber reads it",
}];

/// The variables of the README's "Configuration" table, in its order.
fn documented() -> Vec<&'static str> {
    let section = README
        .split("\n## Configuration\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a Configuration section");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
        .collect()
}

/// The variables `config/` reads (every file, outside its tests): every string literal that is
/// a name alone, such as `"PORTAL_LISTEN"`. The files are listed when the test runs, so that a
/// new one is read too.
fn read_by_config() -> Vec<String> {
    let mut names = Vec::new();
    let files = std::fs::read_dir(CONFIG_DIRECTORY).expect("the config directory");
    for file in files {
        let path = file.expect("a directory entry").path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a source file");
        let code = source.split("#[cfg(test)]").next().unwrap_or(&source);
        names.extend(
            code.split('"')
                .skip(1)
                .step_by(2)
                .filter(|literal| {
                    (literal.starts_with("PORTAL_") || *literal == "DATABASE_URL")
                        && literal
                            .chars()
                            .all(|character| character.is_ascii_uppercase() || character == '_')
                })
                .map(str::to_owned),
        );
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// Reads the configuration from `settings` alone (no process environment).
fn read(settings: &[(&str, &str)]) -> anyhow::Result<Config> {
    Config::from_lookup(|name| {
        settings
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

/// What production requires, so that one variable can be left out or changed at a time.
const PRODUCTION: &[(&str, &str)] = &[
    ("PORTAL_ENV", "production"),
    ("DATABASE_URL", "postgres://portal@db/portal"),
    ("PORTAL_JWT_SECRET", TEST_JWT_SECRET),
    ("PORTAL_DATA_KEYS", KEY_A),
];

/// `base` without `name`, and with `name` set to `value` when given.
fn with<'a>(
    base: &[(&'a str, &'a str)],
    name: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut settings: Vec<(&str, &str)> = base
        .iter()
        .filter(|(key, _)| *key != name)
        .copied()
        .collect();
    if let Some(value) = value {
        settings.push((name, value));
    }
    settings
}

#[test]
fn every_documented_variable_has_a_row_and_every_variable_read_is_documented() {
    let documented = documented();
    let rows = rows();
    let covered: Vec<&str> = rows
        .iter()
        .map(|row| row.name)
        .chain(ELSEWHERE.iter().map(|elsewhere| elsewhere.name))
        .collect();

    assert!(documented.len() >= 25, "{documented:?}");
    let without_row: Vec<&&str> = documented
        .iter()
        .filter(|name| !covered.contains(name))
        .collect();
    let undocumented_rows: Vec<&&str> = covered
        .iter()
        .filter(|name| !documented.contains(name))
        .collect();
    let read = read_by_config();
    let read_undocumented: Vec<&String> = read
        .iter()
        .filter(|name| !documented.contains(&name.as_str()))
        .collect();
    // Every row is read by `config/`: a listing of its files that found nothing would make the
    // check above pass on nothing.
    let rows_not_read: Vec<&str> = rows
        .iter()
        .map(|row| row.name)
        .filter(|name| !read.iter().any(|read| read == name))
        .collect();
    assert!(
        without_row.is_empty(),
        "documented in the README without a row here: {without_row:?}"
    );
    assert!(
        undocumented_rows.is_empty(),
        "rows for variables the README does not document: {undocumented_rows:?}"
    );
    assert!(
        read_undocumented.is_empty(),
        "config/ reads variables the README does not document: {read_undocumented:?}"
    );
    assert!(
        rows_not_read.is_empty(),
        "rows for variables config/ does not read: {rows_not_read:?}"
    );
    let mut names = covered.clone();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), covered.len(), "a variable has two rows");
    for elsewhere in ELSEWHERE {
        assert!(
            !read.iter().any(|name| name == elsewhere.name),
            "{} is read by config/: give it a row ({})",
            elsewhere.name,
            elsewhere.tested_in
        );
    }
}

#[test]
fn every_variable_has_its_defaults_bounds_and_messages() {
    let mut failures = Vec::new();
    for row in rows() {
        let name = row.name;
        // PORTAL_ENV=production needs its secrets; every other row is read in development.
        let base: &[(&str, &str)] = if name == "PORTAL_ENV" {
            &PRODUCTION[1..]
        } else {
            &[]
        };
        match read(&with(base, name, None)) {
            Ok(config) if (row.read)(&config) == row.default => {}
            Ok(config) => failures.push(format!(
                "{name} unset reads `{}`, not `{}`",
                (row.read)(&config),
                row.default
            )),
            Err(error) => failures.push(format!("{name} unset is refused: {error:#}")),
        }
        let production = read(&with(PRODUCTION, name, None));
        match (production, row.production_requires) {
            (Err(error), true) => {
                let message = format!("{error:#}");
                if !(message.contains(name) && message.contains("required")) {
                    failures.push(format!(
                        "production without {name} is refused without saying so: {message}"
                    ));
                }
            }
            (Ok(_), true) => failures.push(format!("production starts without {name}")),
            (Ok(config), false) => {
                // (`PORTAL_ENV` unset is development, whatever else is set.)
                let expected = row.production_default.unwrap_or(row.default);
                let reading = (row.read)(&config);
                if reading != expected {
                    failures.push(format!(
                        "{name} unset in production reads `{reading}`, not `{expected}`"
                    ));
                }
            }
            (Err(error), false) => {
                failures.push(format!("production without {name} is refused: {error:#}"))
            }
        }
        for (value, expected) in row.accepted {
            match read(&with(base, name, Some(value))) {
                Ok(config) if (row.read)(&config) == *expected => {}
                Ok(config) => failures.push(format!(
                    "{name}={value} reads `{}`, not `{expected}`",
                    (row.read)(&config)
                )),
                Err(error) => failures.push(format!("{name}={value} is refused: {error:#}")),
            }
        }
        for (value, why) in row.refused {
            let Err(error) = read(&with(base, name, Some(value))) else {
                failures.push(format!("{name}={value} is accepted"));
                continue;
            };
            let message = format!("{error:#}");
            if !message.contains(name) {
                failures.push(format!(
                    "{name}={value}: the message does not name the variable: {message}"
                ));
            }
            if !message.contains(why) {
                failures.push(format!(
                    "{name}={value}: the message does not say `{why}`: {message}"
                ));
            }
            let material = value.split_once(':').map_or(*value, |(_, key)| key);
            if row.secret && material.len() >= 4 && message.contains(material) {
                failures.push(format!("{name}: the message repeats the secret: {message}"));
            }
        }
        if row.accepted.is_empty() && row.refused.is_empty() {
            failures.push(format!("{name} has no value to try"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
