//! `bench run`: the release server on a generated database, the typical requests at a fixed
//! concurrency for a fixed time with oha, the server's CPU and peak memory from `/proc`, the
//! SQL statements per request, and on PostgreSQL the database's floor with pgbench, in the
//! same run.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::{
    floor,
    generate::{self, PASSWORD, STAFF_EMAIL},
    oha::{self, Request},
    report::{self, Report, RunFigures, ScenarioFigures},
};

/// Arguments of `bench run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The generated database (`sqlite://…` or `postgres://…`).
    #[arg(long)]
    pub db: String,
    /// A label for the report (for example `small` or `large`).
    #[arg(long, default_value = "small")]
    pub label: String,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Runs of every scenario; the report gives medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 16)]
    pub concurrency: u32,
    /// Port of the server under test.
    #[arg(long, default_value_t = 18480)]
    pub port: u16,
    /// `PORTAL_DB_MAX_CONNECTIONS` of the server (its default when not given).
    #[arg(long)]
    pub pool: Option<u32>,
    /// Only these scenarios (comma-separated names); all when not given.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Where the JSON and markdown reports go.
    #[arg(long, default_value = "bench/results")]
    pub out: PathBuf,
}

/// Who sends a scenario's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Principal {
    Public,
    /// A partner of an organisation that receives referrals.
    Partner,
    Staff,
}

/// One typical request.
#[derive(Clone, Debug)]
struct Scenario {
    name: &'static str,
    what: &'static str,
    principal: Principal,
    /// A GraphQL document, or `None` for `login` (built with the credentials).
    query: &'static str,
}

const DIRECTORY: &str = r#"{ resourceCentres(first: 20, filter: { kind: WOMENS_RESOURCE_CENTRE, region: KHATLON, service: LEGAL_CONSULTATION }) { totalCount edges { node { name district address phone openingHours services operator { name } } } pageInfo { hasNextPage endCursor } } }"#;

/// The nested request of `tests/api/projects.rs`, at 50 projects and 20 events each.
const NESTED: &str = "{ projects(first: 50, orderBy: CODE_ASC) { edges { node { code title partners { role organisation { name kind } } events(first: 20) { edges { node { title startsOn participants { total } } } } } } } }";

const INCOMING: &str = "{ referralCases(first: 20, filter: { direction: INCOMING }) { totalCount edges { node { code kind status risk region district referredAt responseDueAt overdue referringOrganisation { name } } } pageInfo { hasNextPage endCursor } } }";

const PEOPLE_SERVED: &str = "{ peopleServedStatistics(rows: REGION, columns: SEX) { rows { key cells { value suppressed } total { value suppressed } } total { value suppressed } } }";

const CASE_STATISTICS: &str = "{ caseStatistics(rows: KIND) { rows { key cells { value suppressed } total { value suppressed } } total { value suppressed } } }";

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "directory",
            what: "public centre directory (20 WRCs, filtered)",
            principal: Principal::Public,
            query: DIRECTORY,
        },
        Scenario {
            name: "nested",
            what: "50 projects with partners and 20 events each",
            principal: Principal::Public,
            query: NESTED,
        },
        Scenario {
            name: "incoming",
            what: "a partner's incoming referrals (20, with total)",
            principal: Principal::Partner,
            query: INCOMING,
        },
        Scenario {
            name: "statistics",
            what: "people served by region and sex (public, suppressed)",
            principal: Principal::Public,
            query: PEOPLE_SERVED,
        },
        Scenario {
            name: "case-statistics",
            what: "referral cases by kind (staff)",
            principal: Principal::Staff,
            query: CASE_STATISTICS,
        },
        Scenario {
            name: "login",
            what: "sign-in (argon2id)",
            principal: Principal::Public,
            query: "",
        },
    ]
}

fn login_body(email: &str) -> String {
    json!({
        "query": "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
        "variables": { "email": email, "password": PASSWORD },
    })
    .to_string()
}

fn query_body(query: &str) -> String {
    json!({ "query": query }).to_string()
}

/// The environment of the server under test: production settings with bench-only secrets,
/// the login limit per address lifted (every request comes from 127.0.0.1).
fn server_env(args: &RunArgs, port: u16) -> Vec<(String, String)> {
    let mut env = vec![
        ("DATABASE_URL", args.db.clone()),
        ("PORTAL_ENV", "production".to_owned()),
        ("PORTAL_LISTEN", format!("127.0.0.1:{port}")),
        ("PORTAL_DEMO_DATA", "never".to_owned()),
        ("PORTAL_LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
        (
            "PORTAL_JWT_SECRET",
            "bench-only-signing-key-never-used-in-production".to_owned(),
        ),
        ("PORTAL_DATA_KEYS", generate::DATA_KEYS.to_owned()),
        ("PORTAL_TOTP_REQUIRED_FOR_ADMIN", "false".to_owned()),
        ("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "100000000".to_owned()),
        // Every request comes from 127.0.0.1 and one account: lift the cost budgets too, or
        // the limits, not the server, would set the pace.
        (
            "PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE",
            "4000000000".to_owned(),
        ),
        (
            "PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE",
            "4000000000".to_owned(),
        ),
    ];
    if let Some(pool) = args.pool {
        env.push(("PORTAL_DB_MAX_CONNECTIONS", pool.to_string()));
    }
    env.into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// The release server as a child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(
        binary: &Path,
        env: &[(String, String)],
        port: u16,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let log_name = log.to_path_buf();
        let log = std::fs::File::create(log)?;
        let child = Command::new(binary)
            .arg("serve")
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/ready", server.base)).send().await
                && response.status().is_success()
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited ({status}); see {}", log_name.display());
            }
            if Instant::now() > deadline {
                bail!("the server did not become ready within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        // SIGTERM through `kill`, the child we started, by its pid; then reap it.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) the process has used, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32, ticks: f64) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let utime: f64 = fields.get(11).context("utime")?.parse()?;
    let stime: f64 = fields.get(12).context("stime")?.parse()?;
    Ok((utime + stime) / ticks)
}

/// `VmHWM` (peak resident memory) in MiB.
fn peak_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .context("VmHWM")?
        .parse()?;
    Ok(kib / 1024.0)
}

/// Resets the peak so that the next `VmHWM` is the peak of what follows (Linux 4.0+).
fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The busy and the total jiffies of all CPUs, from the first line of `/proc/stat`.
fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    Some((total - idle, total))
}

/// Waits until the machine is idle (under 10 % of its CPUs busy over a quarter of a second),
/// for at most `limit`, and says how long it waited. A scenario's requests can outlive its
/// timed run: oha stops at the deadline, but statements already sent go on in the database
/// (a case-statistics statement runs for seconds on the large dataset), and without this wait
/// they were measured as the next scenario's slowness.
async fn settle(limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        let Some((busy_before, total_before)) = cpu_jiffies() else {
            return;
        };
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Some((busy_after, total_after)) = cpu_jiffies() else {
            return;
        };
        let total = total_after.saturating_sub(total_before).max(1);
        if (busy_after.saturating_sub(busy_before)) * 10 < total {
            break;
        }
    }
    let waited = start.elapsed();
    if waited >= Duration::from_secs(1) {
        println!(
            "  (waited {:.1} s for the machine to be idle)",
            waited.as_secs_f64()
        );
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    body: &str,
    bearer: Option<&str>,
) -> anyhow::Result<(Value, usize)> {
    let mut request = client
        .post(format!("{base}/graphql"))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let bytes = request.send().await?.bytes().await?;
    Ok((serde_json::from_slice(&bytes)?, bytes.len()))
}

async fn login(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let (answer, _) = post(client, base, &login_body(email), None).await?;
    answer["data"]["login"]["accessToken"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("login of {email} failed: {answer}"))
}

/// Why a scenario cannot run on this server (a field or route it does not have yet).
fn missing_api(answer: &Value) -> Option<String> {
    let message = answer["errors"][0]["message"].as_str()?;
    (message.contains("Unknown field") || message.contains("unknown field"))
        .then(|| message.to_owned())
}

/// The requests of the run, with their tokens, checked once each.
struct Prepared {
    scenario: Scenario,
    body: String,
    bearer: Option<String>,
    bytes: usize,
}

async fn prepare(
    client: &reqwest::Client,
    base: &str,
    selected: &[Scenario],
) -> anyhow::Result<(Vec<Prepared>, Vec<(String, String)>)> {
    let partner = login(client, base, &generate::receiving_partner_email()).await?;
    let staff = login(client, base, STAFF_EMAIL).await?;
    let mut prepared = Vec::new();
    let mut skipped = Vec::new();
    for scenario in selected {
        let (body, bearer) = match scenario.principal {
            _ if scenario.name == "login" => (login_body(&login_email()), None),
            Principal::Public => (query_body(scenario.query), None),
            Principal::Partner => (query_body(scenario.query), Some(partner.clone())),
            Principal::Staff => (query_body(scenario.query), Some(staff.clone())),
        };
        let (answer, bytes) = post(client, base, &body, bearer.as_deref()).await?;
        if let Some(reason) = missing_api(&answer) {
            println!(
                "  skipping {}: the server has no such API yet ({reason})",
                scenario.name
            );
            skipped.push((scenario.name.to_owned(), reason));
            continue;
        }
        if answer.get("errors").is_some() {
            bail!("{} answered errors: {answer}", scenario.name);
        }
        prepared.push(Prepared {
            scenario: scenario.clone(),
            body,
            bearer,
            bytes,
        });
    }
    Ok((prepared, skipped))
}

/// The account that logs in during the login scenarios (not the one reading referrals).
fn login_email() -> String {
    format!("partner{n}@org{n}.bench.example.tj", n = 2)
}

/// Counts the SQL statements per request of each scenario with the api's own counter
/// (`db::StatementCounter`, fed by sea-orm for every statement), on a server built in this
/// process from the same configuration, sending each request `times` times in sequence.
async fn count_statements(
    args: &RunArgs,
    prepared: &[Prepared],
    times: u32,
) -> anyhow::Result<Vec<(String, f64)>> {
    let env = server_env(args, args.port + 1);
    let config = api::config::Config::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    })?;
    let application = api::startup::Application::build(&config).await?;
    let counter = application.statements.clone();
    let base = format!("http://127.0.0.1:{}", application.port());
    let server = tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::new();
    let mut counts = Vec::new();
    // Tokens of this process's server (the same signing key, so the run's tokens work too).
    for request in prepared {
        let before = counter.get();
        for _ in 0..times {
            post(&client, &base, &request.body, request.bearer.as_deref()).await?;
        }
        let sent = counter.get() - before;
        counts.push((
            request.scenario.name.to_owned(),
            sent as f64 / f64::from(times),
        ));
    }
    server.abort();
    Ok(counts)
}

/// `portal_db_statements_total` from `/metrics`, when the server has it.
async fn scrape_statements(client: &reqwest::Client, base: &str) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|line| line.starts_with("portal_db_statements_total"))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|value| value.parse().ok())
}

/// The longest wait for the machine to be idle before a measurement.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// Measures one scenario: oha for the duration, CPU and peak memory of the server around it.
async fn measure(
    oha_path: &Path,
    server: &Server,
    client: &reqwest::Client,
    request: &Prepared,
    args: &RunArgs,
    ticks: f64,
) -> anyhow::Result<ScenarioFigures> {
    let pid = server.pid();
    settle(SETTLE_LIMIT).await;
    reset_peak(pid);
    let statements_before = scrape_statements(client, &server.base).await;
    let cpu_before = cpu_seconds(pid, ticks)?;
    let child = oha::spawn(
        oha_path,
        &Request {
            url: format!("{}/graphql", server.base),
            method: "POST",
            body: Some(request.body.clone()),
            bearer: request.bearer.clone(),
        },
        args.concurrency,
        Duration::from_secs(args.seconds),
    )?;
    let measured = tokio::task::spawn_blocking(move || oha::finish(child)).await??;
    let cpu = cpu_seconds(pid, ticks)? - cpu_before;
    let statements_after = scrape_statements(client, &server.base).await;
    let requests = (measured.ok + measured.failed).max(1) as f64;
    Ok(ScenarioFigures {
        cpu_ms_per_request: cpu * 1000.0 / requests,
        peak_mib: peak_mib(pid)?,
        statements_per_request_metrics: statements_before
            .zip(statements_after)
            .map(|(before, after)| (after - before) / requests),
        measured,
    })
}

/// Runs `bench run`.
///
/// # Errors
/// Any failure to build, start, drive or measure.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let oha_path = oha::ensure_installed()?;
    let root = oha::repo_root();
    // The same packages as the README's build command: building `api` alone would unify the
    // dependencies' features differently and rebuild half of them.
    println!("building the release server (cargo build --release -p api -p bench)");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--release", "--locked", "-p", "api", "-p", "bench"])
        .current_dir(&root)
        .status()?;
    anyhow::ensure!(
        status.success(),
        "cargo build --release -p api -p bench failed"
    );
    // Where cargo put it: `CARGO_TARGET_DIR` when set (relative to the checkout), else `target/`.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |dir| root.join(dir));
    let binary = target.join("release/portal");
    let postgres = args.db.starts_with("postgres");
    let backend = if postgres { "PostgreSQL" } else { "SQLite" };
    let out = root.join(&args.out);
    std::fs::create_dir_all(&out)?;
    let stem = format!("{}-{}", args.label, backend.to_lowercase());
    let ticks = clock_ticks();
    let client = reqwest::Client::new();
    let selected: Vec<Scenario> = scenarios()
        .into_iter()
        .filter(|scenario| {
            args.only.is_empty() || args.only.iter().any(|name| name == scenario.name)
        })
        .collect();

    // 1. On PostgreSQL, capture the statements of one nested request from the log.
    let mut floor_script = None;
    let mut logged_statements = None;
    if postgres {
        let name = floor::database_name(&args.db)?;
        floor::log_statements(&args.db, true).await?;
        let captured = async {
            let server = Server::start(
                &binary,
                &server_env(&args, args.port),
                args.port,
                &out.join(format!("{stem}-capture.log")),
            )
            .await?;
            let body = query_body(NESTED);
            // Warm the pool and the statement cache first.
            post(&client, &server.base, &body, None).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let from = floor::log_offset()?;
            post(&client, &server.base, &body, None).await?;
            tokio::time::sleep(Duration::from_millis(1000)).await;
            let statements = floor::statements_since(&name, from)?;
            server.stop();
            anyhow::Ok(statements)
        }
        .await;
        floor::log_statements(&args.db, false).await?;
        let statements = captured?;
        let script = out.join(format!("{stem}-nested.sql"));
        floor::write_script(&script, &statements)?;
        println!(
            "captured {} statements of the nested request into {}",
            statements.len(),
            script.display()
        );
        logged_statements = Some(statements.len());
        floor_script = Some(script);
    }

    // 2. The server under test.
    let server = Server::start(
        &binary,
        &server_env(&args, args.port),
        args.port,
        &out.join(format!("{stem}-server.log")),
    )
    .await?;
    let startup_peak = peak_mib(server.pid())?;
    let (prepared, skipped) = prepare(&client, &server.base, &selected).await?;

    // 3. Statements per request (in-process counter), before the timed runs.
    let statements = count_statements(&args, &prepared, 5).await?;

    // 4. Timed runs.
    let mut runs = Vec::new();
    for run in 1..=args.runs {
        let mut figures = RunFigures::default();
        for request in &prepared {
            let measured = measure(&oha_path, &server, &client, request, &args, ticks).await?;
            println!(
                "  run {run} {:<16} {:>8.1} req/s  p50 {:>7.1} ms  p99 {:>7.1} ms  cpu {:>6.2} ms/req  peak {:>6.1} MiB  failed {}",
                request.scenario.name,
                measured.measured.requests_per_second,
                measured.measured.p50_ms,
                measured.measured.p99_ms,
                measured.cpu_ms_per_request,
                measured.peak_mib,
                measured.measured.failed,
            );
            figures
                .scenarios
                .insert(request.scenario.name.to_owned(), measured);
        }
        // The login storm: the nested request again while a second client logs in.
        if let (Some(nested), Some(login)) = (
            prepared.iter().find(|p| p.scenario.name == "nested"),
            prepared.iter().find(|p| p.scenario.name == "login"),
        ) {
            settle(SETTLE_LIMIT).await;
            let duration = Duration::from_secs(args.seconds);
            let storm = oha::spawn(
                &oha_path,
                &Request {
                    url: format!("{}/graphql", server.base),
                    method: "POST",
                    body: Some(login.body.clone()),
                    bearer: None,
                },
                args.concurrency,
                duration,
            )?;
            let reads = oha::spawn(
                &oha_path,
                &Request {
                    url: format!("{}/graphql", server.base),
                    method: "POST",
                    body: Some(nested.body.clone()),
                    bearer: None,
                },
                args.concurrency,
                duration,
            )?;
            let reads = tokio::task::spawn_blocking(move || oha::finish(reads)).await??;
            let storm = tokio::task::spawn_blocking(move || oha::finish(storm)).await??;
            println!(
                "  run {run} nested during a login storm: {:.1} req/s (logins {:.1}/s)",
                reads.requests_per_second, storm.requests_per_second
            );
            figures.nested_during_storm = Some(reads);
            figures.logins_during_storm = Some(storm);
        }
        // The database floor, in the same run.
        if let Some(script) = &floor_script {
            settle(SETTLE_LIMIT).await;
            let tps = floor::pgbench(
                &args.db,
                script,
                args.concurrency,
                Duration::from_secs(args.seconds),
            )?;
            println!("  run {run} database floor (pgbench -M prepared): {tps:.1} requests/s");
            figures.floor_tps = Some(tps);
        }
        runs.push(figures);
    }
    let export = measure_export(&client, &server).await?;
    let final_peak = peak_mib(server.pid())?;
    server.stop();

    let report = Report {
        label: args.label.clone(),
        backend: backend.to_owned(),
        seconds: args.seconds,
        runs: args.runs,
        concurrency: args.concurrency,
        pool: args.pool,
        scenarios: prepared
            .iter()
            .map(|p| {
                (
                    p.scenario.name.to_owned(),
                    p.scenario.what.to_owned(),
                    p.bytes,
                )
            })
            .collect(),
        skipped,
        statements,
        logged_statements_nested: logged_statements,
        startup_peak_mib: startup_peak,
        final_peak_mib: final_peak,
        export,
        per_run: runs,
    };
    let markdown = report::markdown(&report);
    std::fs::write(
        out.join(format!("{stem}.json")),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out.join(format!("{stem}.md")), &markdown)?;
    println!("\n{markdown}");
    Ok(())
}

/// `GET /exports/events.csv` as staff, streamed to the end: bytes, seconds and the server's
/// peak memory while it ran; `None` with a note when the server has no such route yet.
async fn measure_export(
    client: &reqwest::Client,
    server: &Server,
) -> anyhow::Result<report::Export> {
    let token = login(client, &server.base, STAFF_EMAIL).await?;
    reset_peak(server.pid());
    let started = Instant::now();
    let mut response = client
        .get(format!("{}/exports/events.csv", server.base))
        .bearer_auth(&token)
        .send()
        .await?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        println!("  skipping the export: the server has no GET /exports/events.csv yet (404)");
        return Ok(report::Export {
            skipped: Some(
                "GET /exports/events.csv answered 404 (not on this branch yet)".to_owned(),
            ),
            ..report::Export::default()
        });
    }
    let status = response.status();
    let mut bytes = 0_u64;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len() as u64;
    }
    Ok(report::Export {
        skipped: (!status.is_success()).then(|| format!("answered {status}")),
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_mib: peak_mib(server.pid())?,
    })
}
