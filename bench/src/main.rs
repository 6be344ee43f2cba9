//! The performance benchmark harness of the partner portal: see `docs/BENCHMARKS.md`.
//!
//! `cargo run --release -p bench -- generate --db <url> --size small|large` builds a dataset;
//! `cargo run --release -p bench -- run --db <url>` starts the release server on it and measures.

mod floor;
mod generate;
mod oha;
mod report;
mod run;
mod vocabulary;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "bench", about = "Benchmark harness of the partner portal")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the migrations to an empty database and load a deterministic dataset.
    Generate {
        /// `sqlite://path?mode=rwc` or `postgres://user@host/db` (created when missing).
        #[arg(long)]
        db: String,
        #[arg(long, value_enum, default_value = "small")]
        size: generate::Size,
    },
    /// Start the release server on a generated database and measure the typical requests.
    Run(run::RunArgs),
    /// Install the load generator (oha) into `bench/.tools` if it is not there.
    InstallOha,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate { db, size } => {
            floor::create_postgres_database(&db).await?;
            let generated = generate::generate(&db, size).await?;
            println!("{}", serde_json::to_string_pretty(&generated)?);
            Ok(())
        }
        Command::Run(args) => run::run(args).await,
        Command::InstallOha => oha::ensure_installed().map(|path| {
            println!("{}", path.display());
        }),
    }
}
