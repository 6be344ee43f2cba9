//! The load generator: oha (crates.io), installed into `bench/.tools` on first use, driven
//! as a child process that prints its summary as JSON.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use serde_json::Value;

/// The repository root (the parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The oha binary, installed with `cargo install oha --locked --root bench/.tools` when missing.
///
/// # Errors
/// When `cargo install` fails.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let root = repo_root().join("bench/.tools");
    let binary = root.join("bin/oha");
    if binary.exists() {
        return Ok(binary);
    }
    println!("installing oha into {} (once)", root.display());
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["install", "oha", "--locked", "--root"])
        .arg(&root)
        .status()
        .context("running cargo install oha")?;
    if !status.success() || !binary.exists() {
        bail!("cargo install oha failed ({status})");
    }
    Ok(binary)
}

/// One HTTP request to repeat.
#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    pub method: &'static str,
    pub body: Option<String>,
    pub bearer: Option<String>,
}

/// What oha measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Measured {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers with status 200.
    pub ok: u64,
    /// Other statuses and connection errors.
    pub failed: u64,
}

/// Starts oha: `concurrency` connections for `duration`.
///
/// # Errors
/// When oha cannot be started.
pub fn spawn(
    oha: &Path,
    request: &Request,
    concurrency: u32,
    duration: Duration,
) -> anyhow::Result<std::process::Child> {
    let mut command = Command::new(oha);
    command
        .arg("-z")
        .arg(format!("{}s", duration.as_secs()))
        .arg("-c")
        .arg(concurrency.to_string())
        .args(["--no-tui", "--output-format", "json", "-m", request.method])
        .args(["-H", "Content-Type: application/json"]);
    if let Some(token) = &request.bearer {
        command
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"));
    }
    if let Some(body) = &request.body {
        command.arg("-d").arg(body);
    }
    command
        .arg(&request.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting oha")
}

/// Waits for oha and reads its JSON summary.
///
/// # Errors
/// When oha fails or prints something else.
pub fn finish(child: std::process::Child) -> anyhow::Result<Measured> {
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "oha failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let summary: Value = serde_json::from_slice(&output.stdout).context("oha's JSON")?;
    let number = |value: &Value| value.as_f64().unwrap_or(f64::NAN);
    let mut ok = 0;
    let mut failed = 0;
    if let Some(codes) = summary["statusCodeDistribution"].as_object() {
        for (code, count) in codes {
            let count = count.as_u64().unwrap_or(0);
            if code == "200" {
                ok += count;
            } else {
                failed += count;
            }
        }
    }
    if let Some(errors) = summary["errorDistribution"].as_object() {
        // Requests cut short when the time is up are not failures of the server.
        failed += errors
            .iter()
            .filter(|(error, _)| !error.contains("deadline"))
            .filter_map(|(_, count)| count.as_u64())
            .sum::<u64>();
    }
    Ok(Measured {
        requests_per_second: number(&summary["summary"]["requestsPerSec"]),
        p50_ms: number(&summary["latencyPercentiles"]["p50"]) * 1000.0,
        p99_ms: number(&summary["latencyPercentiles"]["p99"]) * 1000.0,
        ok,
        failed,
    })
}
