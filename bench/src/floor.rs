//! The database's own floor on PostgreSQL: the very statements the server sends for one nested
//! projects request, captured from PostgreSQL's log, replayed by pgbench.
//!
//! Capture: `ALTER DATABASE <bench db> SET log_statement = 'all'` (a per-database setting; the
//! server-wide configuration is untouched), one request through a server started afterwards
//! (settings apply to new connections), then `RESET`. PostgreSQL logs each executed statement
//! with its bound parameters (`DETAIL:  parameters: $1 = '…'`); the lines of our database
//! between two offsets of the log file are the request's statements. Parameters are written
//! into the statements as the literals PostgreSQL printed, and pgbench runs the script in
//! prepared mode (`-M prepared`): each connection plans each statement once, as the server's
//! statement cache does.

use std::{
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DbBackend};

/// PostgreSQL's log file (Debian's default for the cluster `15/main`); `PORTAL_BENCH_PG_LOG`
/// names another.
pub fn log_path() -> PathBuf {
    std::env::var("PORTAL_BENCH_PG_LOG").map_or_else(
        |_| PathBuf::from("/var/log/postgresql/postgresql-15-main.log"),
        PathBuf::from,
    )
}

/// The database name and the URL of the server's `postgres` database of a PostgreSQL URL.
fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let (base, rest) = url
        .rsplit_once('/')
        .context("a PostgreSQL URL ends in /dbname")?;
    let name = rest.split('?').next().unwrap_or(rest).to_owned();
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database name {name:?}: letters, digits and _ only"
    );
    Ok((name, format!("{base}/postgres")))
}

/// The database name of a PostgreSQL URL.
pub fn database_name(url: &str) -> anyhow::Result<String> {
    split_url(url).map(|(name, _)| name)
}

/// Creates the PostgreSQL database of `url` when it does not exist (nothing for SQLite).
///
/// # Errors
/// When the server cannot be reached.
pub async fn create_postgres_database(url: &str) -> anyhow::Result<()> {
    if !url.starts_with("postgres") {
        return Ok(());
    }
    let (name, admin) = split_url(url)?;
    let db = Database::connect(admin.as_str()).await?;
    let exists = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"),
        ))
        .await?
        .is_some();
    if !exists {
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
    }
    Ok(())
}

/// Turns statement logging of the benchmark database on or off.
///
/// # Errors
/// When PostgreSQL refuses (the user must be allowed to `ALTER DATABASE`).
pub async fn log_statements(url: &str, on: bool) -> anyhow::Result<()> {
    let (name, _) = split_url(url)?;
    let db = Database::connect(url).await?;
    let sql = if on {
        format!("ALTER DATABASE {name} SET log_statement = 'all'")
    } else {
        format!("ALTER DATABASE {name} RESET log_statement")
    };
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// The current end of the log file.
pub fn log_offset() -> anyhow::Result<u64> {
    Ok(std::fs::metadata(log_path())
        .with_context(|| format!("reading {}", log_path().display()))?
        .len())
}

/// The statements of database `name` logged after `from`, parameters filled in.
///
/// # Errors
/// When the log cannot be read.
pub fn statements_since(name: &str, from: u64) -> anyhow::Result<Vec<String>> {
    let mut file = std::fs::File::open(log_path())?;
    file.seek(SeekFrom::Start(from))?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let marker = format!("@{name} ");
    let mut statements: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find(&marker) else {
            continue;
        };
        let message = &line[at + marker.len()..];
        if let Some(rest) = message.strip_prefix("LOG:  execute ") {
            // `execute sqlx_s_3: SELECT …` or `execute <unnamed>: SELECT …`
            if let Some((_, sql)) = rest.split_once(": ") {
                statements.push(sql.to_owned());
            }
        } else if let Some(sql) = message.strip_prefix("LOG:  statement: ") {
            statements.push(sql.to_owned());
        } else if let Some(parameters) = message.strip_prefix("DETAIL:  parameters: ")
            && let Some(last) = statements.last_mut()
        {
            *last = fill_parameters(last, &parse_parameters(parameters));
        }
    }
    Ok(statements)
}

/// `$1 = '…', $2 = NULL` into the literals, in order.
fn parse_parameters(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        // Skip `$n = `.
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            value.push('\'');
            chars.next();
            while let Some(c) = chars.next() {
                value.push(c);
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        value.push('\'');
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        values.push(value.trim().to_owned());
        // Skip `, `.
        while matches!(chars.peek(), Some(',' | ' ')) {
            chars.next();
        }
    }
    values
}

/// Replaces `$n` (not inside quotes) by the n-th value; highest numbers first so `$1` does not
/// eat `$10`.
fn fill_parameters(sql: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(sql.len() + values.iter().map(String::len).sum::<usize>());
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
        } else if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut digits = String::new();
            while let Some(&d) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                digits.push(d);
                chars.next();
            }
            let index: usize = digits.parse().unwrap_or(0);
            match values.get(index.wrapping_sub(1)) {
                Some(value) => out.push_str(value),
                None => {
                    out.push('$');
                    out.push_str(&digits);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes the pgbench script: the statements of one request, one per line.
///
/// # Errors
/// When the file cannot be written.
pub fn write_script(path: &Path, statements: &[String]) -> anyhow::Result<()> {
    let mut script = String::new();
    for statement in statements {
        script.push_str(&statement.replace('\n', " "));
        script.push_str(";\n");
    }
    std::fs::write(path, script)?;
    Ok(())
}

/// Runs pgbench on the script: `-M prepared`, `clients` connections, `duration`; returns
/// transactions (replayed requests) per second.
///
/// # Errors
/// When pgbench fails.
pub fn pgbench(url: &str, script: &Path, clients: u32, duration: Duration) -> anyhow::Result<f64> {
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg("-c")
        .arg(clients.to_string())
        .arg("-T")
        .arg(duration.as_secs().to_string())
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .context("running pgbench (it comes with PostgreSQL)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    text.lines()
        .find_map(|line| {
            line.strip_prefix("tps = ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|tps| tps.parse().ok())
        })
        .context("no `tps =` line in pgbench's output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_logged_parameters_into_the_statement() {
        let values =
            parse_parameters("$1 = 'a''b', $2 = NULL, $3 = '0195846e-aa80-7a3f-ae53-9200da7a5b2f'");
        assert_eq!(
            values,
            ["'a''b'", "NULL", "'0195846e-aa80-7a3f-ae53-9200da7a5b2f'"]
        );
        let sql = fill_parameters(
            "SELECT '$1' WHERE a = $1 AND b IS $2 AND c IN ($3)",
            &values,
        );
        assert_eq!(
            sql,
            "SELECT '$1' WHERE a = 'a''b' AND b IS NULL AND c IN ('0195846e-aa80-7a3f-ae53-9200da7a5b2f')"
        );
        let many: Vec<String> = (1..=11).map(|n| n.to_string()).collect();
        assert_eq!(fill_parameters("$1,$10,$11", &many), "1,10,11");
    }
}
