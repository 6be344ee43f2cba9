//! The `portal` command line.

use std::io::Write;

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::{config::Config, db, graphql, services::Services, startup::Application, telemetry};

/// The partner portal of the OSCE Programme Office in Dushanbe: GraphQL server and tools.
#[derive(Parser, Debug)]
#[command(name = "portal", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    ExportSchema,
    /// Load the demo data (idempotent), applying pending migrations first.
    SeedDemo,
    /// Create an ADMIN account (the first one of an install); reads the password from
    /// standard input.
    CreateAdmin {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// The name shown in the portal.
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
}

#[derive(Subcommand, Debug, Clone, Copy)]
enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Revert the last applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

/// Runs the command line.
///
/// # Errors
/// Whatever the chosen command reports.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::ExportSchema) = cli.command {
        // No configuration or database needed: the schema is code.
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(graphql::sdl().as_bytes())?;
        return Ok(());
    }
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let application = Application::build(&config).await?;
            tracing::info!(
                address = %config.listen,
                graphiql = config.is_development(),
                "serving the partner portal on http://{}/graphql",
                config.listen
            );
            application.run_until_stopped().await?;
        }
        Command::Migrate { action } => {
            let (db, _) = db::connect(&config).await?;
            match action.unwrap_or(MigrateAction::Up) {
                MigrateAction::Up => Migrator::up(&db, None).await?,
                MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
                MigrateAction::Status => {
                    let mut stdout = std::io::stdout().lock();
                    for migration in Migrator::get_migration_with_status(&db).await? {
                        writeln!(stdout, "{:?}\t{}", migration.status(), migration.name())?;
                    }
                }
            }
        }
        Command::SeedDemo => {
            let (db, _) = db::connect(&config).await?;
            let services = Services::new(db, &config.auth);
            services.migrate_up().await?;
            let summary = services.load_demo().await?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "demo data present: {summary:?}")?;
        }
        Command::CreateAdmin { email, name } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let (db, _) = db::connect(&config).await?;
            let services = Services::new(db, &config.auth);
            match services
                .accounts()
                .create_admin(&email, &name, password)
                .await
            {
                Ok(account) => {
                    let mut stdout = std::io::stdout().lock();
                    writeln!(stdout, "created admin {} ({})", account.email, account.id)?;
                }
                Err(error) => anyhow::bail!("{}", error.message()),
            }
        }
        Command::ExportSchema => {}
    }
    Ok(())
}
