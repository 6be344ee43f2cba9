//! The report of a run: per-run figures, medians, ratios; JSON and a markdown table for
//! `docs/BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::oha::Measured;

/// One scenario of one run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScenarioFigures {
    pub measured: Measured,
    /// Server CPU (user + system) per request.
    pub cpu_ms_per_request: f64,
    /// The server's peak resident memory during the scenario (`VmHWM` after a reset).
    pub peak_mib: f64,
    /// From `/metrics` (`portal_db_statements_total`) when the server has it.
    pub statements_per_request_metrics: Option<f64>,
}

/// Everything one run measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunFigures {
    pub scenarios: BTreeMap<String, ScenarioFigures>,
    pub nested_during_storm: Option<Measured>,
    pub logins_during_storm: Option<Measured>,
    pub floor_tps: Option<f64>,
}

/// The streamed CSV export.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Export {
    pub skipped: Option<String>,
    pub bytes: u64,
    pub seconds: f64,
    pub peak_mib: f64,
}

/// A whole run of `bench run`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub label: String,
    pub backend: String,
    pub seconds: u64,
    pub runs: usize,
    pub concurrency: u32,
    pub pool: Option<u32>,
    /// Name, description, response bytes.
    pub scenarios: Vec<(String, String, usize)>,
    pub skipped: Vec<(String, String)>,
    /// Statements per request from the api's own counter.
    pub statements: Vec<(String, f64)>,
    /// Statements of one nested request in PostgreSQL's log.
    pub logged_statements_nested: Option<usize>,
    pub startup_peak_mib: f64,
    pub final_peak_mib: f64,
    pub export: Export,
    pub per_run: Vec<RunFigures>,
}

/// The median (the mean of the middle two for an even count); NaN for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|value| value.is_finite());
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

impl Report {
    fn each(&self, scenario: &str, value: impl Fn(&ScenarioFigures) -> f64) -> Vec<f64> {
        self.per_run
            .iter()
            .filter_map(|run| run.scenarios.get(scenario).map(&value))
            .collect()
    }

    /// Nested throughput during the storm over nested alone, per run.
    pub fn storm_ratios(&self) -> Vec<f64> {
        self.per_run
            .iter()
            .filter_map(|run| {
                let alone = run.scenarios.get("nested")?.measured.requests_per_second;
                let during = run.nested_during_storm.as_ref()?.requests_per_second;
                Some(during / alone)
            })
            .collect()
    }

    /// Server nested throughput over the floor, per run.
    pub fn floor_ratios(&self) -> Vec<f64> {
        self.per_run
            .iter()
            .filter_map(|run| {
                let server = run.scenarios.get("nested")?.measured.requests_per_second;
                Some(server / run.floor_tps?)
            })
            .collect()
    }
}

fn list(values: &[f64], digits: usize) -> String {
    values
        .iter()
        .map(|value| format!("{value:.digits$}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The markdown section of one run.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#### {} dataset, {}: {} runs of {} s per scenario, concurrency {}{}\n",
        report.label,
        report.backend,
        report.runs,
        report.seconds,
        report.concurrency,
        report
            .pool
            .map(|pool| format!(", pool {pool}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "| request | response | req/s (median; runs) | p50 ms | p99 ms | p99/p50 | SQL statements/request | server CPU ms/request | server peak MiB | failed |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (name, what, bytes) in &report.scenarios {
        let rps = report.each(name, |s| s.measured.requests_per_second);
        let p50 = median(report.each(name, |s| s.measured.p50_ms));
        let p99 = median(report.each(name, |s| s.measured.p99_ms));
        let cpu = median(report.each(name, |s| s.cpu_ms_per_request));
        let peak = report
            .each(name, |s| s.peak_mib)
            .into_iter()
            .fold(f64::NAN, f64::max);
        let failed: f64 = report.each(name, |s| s.measured.failed as f64).iter().sum();
        let statements = report
            .statements
            .iter()
            .find(|(scenario, _)| scenario == name)
            .map_or_else(|| "?".to_owned(), |(_, count)| format!("{count:.1}"));
        let metrics = median(report.each(name, |s| {
            s.statements_per_request_metrics.unwrap_or(f64::NAN)
        }));
        let statements = if metrics.is_finite() {
            format!("{statements} ({metrics:.2} under load)")
        } else {
            statements
        };
        let _ = writeln!(
            out,
            "| {name}: {what} | {:.1} KB | **{:.1}** ({}) | {p50:.1} | {p99:.1} | {:.2} | {statements} | {cpu:.2} | {peak:.1} | {failed} |",
            *bytes as f64 / 1000.0,
            median(rps.clone()),
            list(&rps, 1),
            p99 / p50,
        );
    }
    let _ = writeln!(out);
    let storm = report.storm_ratios();
    if !storm.is_empty() {
        let during: Vec<f64> = report
            .per_run
            .iter()
            .filter_map(|run| {
                run.nested_during_storm
                    .as_ref()
                    .map(|m| m.requests_per_second)
            })
            .collect();
        let logins: Vec<f64> = report
            .per_run
            .iter()
            .filter_map(|run| {
                run.logins_during_storm
                    .as_ref()
                    .map(|m| m.requests_per_second)
            })
            .collect();
        let p50: Vec<f64> = report
            .per_run
            .iter()
            .filter_map(|run| run.nested_during_storm.as_ref().map(|m| m.p50_ms))
            .collect();
        let _ = writeln!(
            out,
            "- Login storm: nested during logins {:.1} req/s (runs {}), p50 {:.1} ms, logins meanwhile {:.1}/s; **kept {:.0} %** of its throughput (per run: {}).",
            median(during.clone()),
            list(&during, 1),
            median(p50),
            median(logins),
            median(storm.clone()) * 100.0,
            list(&storm.iter().map(|r| r * 100.0).collect::<Vec<_>>(), 0),
        );
    }
    let floor: Vec<f64> = report
        .per_run
        .iter()
        .filter_map(|run| run.floor_tps)
        .collect();
    if !floor.is_empty() {
        let ratios = report.floor_ratios();
        let _ = writeln!(
            out,
            "- Database floor (pgbench -M prepared, {} clients, the {} statements of one nested request): {:.1} requests/s (runs {}); **server/floor {:.2}** (per run: {}).",
            report.concurrency,
            report
                .logged_statements_nested
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            median(floor.clone()),
            list(&floor, 1),
            median(ratios.clone()),
            list(&ratios, 2),
        );
    }
    let _ = writeln!(
        out,
        "- Server peak memory: {:.1} MiB after start-up, {:.1} MiB over the whole run (VmHWM).",
        report.startup_peak_mib, report.final_peak_mib
    );
    match &report.export.skipped {
        Some(reason) => {
            let _ = writeln!(out, "- CSV export: not measured: {reason}.");
        }
        None => {
            let _ = writeln!(
                out,
                "- CSV export (`GET /exports/events.csv`, staff): {:.1} MB in {:.1} s, server peak {:.1} MiB while streaming.",
                report.export.bytes as f64 / 1e6,
                report.export.seconds,
                report.export.peak_mib
            );
        }
    }
    for (name, reason) in &report.skipped {
        let _ = writeln!(
            out,
            "- {name}: not measured, the server has no such API yet ({reason})."
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }
}
