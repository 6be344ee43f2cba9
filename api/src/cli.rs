//! The `portal` command line.

use std::io::{IsTerminal, Write};

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::{
    config::Config, db, demo, graphql, services::Services, startup::Application, telemetry,
};

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
    /// The data keys (`PORTAL_DATA_KEYS`): how many stored values each seals, and rotation.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Manage the persisted queries: the operations `PORTAL_PERSISTED_QUERIES_ONLY` allows.
    PersistedQueries {
        #[command(subcommand)]
        action: PersistedQueryAction,
    },
}

#[derive(Subcommand, Debug)]
enum PersistedQueryAction {
    /// Put operations on the allow-list and print the hash of each. A `.json` file is an
    /// Apollo persisted-query manifest (`npx generate-persisted-query-manifest`); any other
    /// file is one GraphQL document, kept as its exact text (its hash is the SHA-256 of the
    /// file). Every document is checked against the schema first; if any fails, none is added.
    Add {
        /// Manifests (`.json`) or GraphQL documents.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug, Clone, Copy)]
enum KeysAction {
    /// How many stored values each data key seals.
    Status,
    /// Re-seal every stored value and every case key under the current (first) key, so that
    /// the older keys can be removed from `PORTAL_DATA_KEYS` (see docs/SECURITY.md for when).
    Rotate,
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
                address = %config.server.listen,
                graphiql = config.is_development(),
                "serving the partner portal on http://{}/graphql",
                config.server.listen
            );
            application.run_until_stopped().await?;
        }
        Command::Migrate { action } => {
            migrate(&config, action.unwrap_or(MigrateAction::Up)).await?
        }
        Command::SeedDemo => {
            let (db, _) = db::connect(&config.database).await?;
            Migrator::up(&db, None).await?;
            if let Some(admin) = demo::real_admin(&db).await? {
                anyhow::bail!(
                    "this database has an admin account that is not a demo account ({admin}): \
                     seed-demo does not add the demo accounts, whose passwords are public, to a \
                     database in real use"
                );
            }
            let summary = demo::load(&db, &config.auth.data_keys).await?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "demo data present: {summary:?}")?;
        }
        Command::CreateAdmin { email, name } => {
            let (db, _) = db::connect(&config.database).await?;
            let services = Services::new(db, &config.auth);
            // Before the password is typed: an unmigrated database would refuse it anyway.
            services.ensure_migrated().await?;
            let password = read_password()?;
            let password = password.trim_end_matches(['\r', '\n']);
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
        Command::Keys { action } => keys(&config, action).await?,
        Command::PersistedQueries {
            action: PersistedQueryAction::Add { files },
        } => {
            let (db, _) = db::connect(&config.database).await?;
            let services = Services::new(db, &config.auth);
            let exposure = if config.is_development() {
                graphql::Exposure::Development
            } else {
                graphql::Exposure::Production
            };
            let schema = graphql::build(services.clone(), exposure);
            let mut documents = Vec::new();
            let mut problems = Vec::new();
            for file in &files {
                match persisted_query_documents(file) {
                    Ok(found) => documents.extend(found),
                    Err(error) => problems.push(format!("{}: {error:#}", file.display())),
                }
            }
            for (name, document) in &documents {
                if let Err(errors) = graphql::persisted_queries::check(&schema, document).await {
                    problems.push(format!("{name}: {}", errors.join(" ")));
                }
            }
            if !problems.is_empty() {
                anyhow::bail!("nothing was added:\n{}", problems.join("\n"));
            }
            let mut stdout = std::io::stdout().lock();
            for (name, document) in &documents {
                let hash = services
                    .persisted_queries()
                    .add_listed(document)
                    .await
                    .map_err(|error| anyhow::anyhow!("{name}: {}", error.message()))?;
                writeln!(stdout, "{}\t{name}", hash.as_str())?;
            }
        }
        Command::ExportSchema => {}
    }
    Ok(())
}

/// The documents of a file for `persisted-queries add`, each with a name to report it by: the
/// operations of an Apollo persisted-query manifest (`.json`), or the file's text.
fn persisted_query_documents(file: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        format: String,
        version: u32,
        operations: Vec<ManifestOperation>,
    }
    #[derive(serde::Deserialize)]
    struct ManifestOperation {
        id: String,
        name: String,
        body: String,
    }

    let text = std::fs::read_to_string(file)?;
    if file.extension().is_none_or(|extension| extension != "json") {
        return Ok(vec![(file.display().to_string(), text)]);
    }
    let manifest: Manifest = serde_json::from_str(&text)?;
    if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
        anyhow::bail!(
            "not an Apollo persisted-query manifest (format `apollo-persisted-query-manifest`, \
             version 1)"
        );
    }
    manifest
        .operations
        .into_iter()
        .map(|operation| {
            // Apollo's link sends the manifest's id as the hash; the store keys documents by
            // their SHA-256, the manifest generator's default id.
            let hash = crate::services::persisted_queries::QueryHash::of(&operation.body);
            if !operation.id.eq_ignore_ascii_case(hash.as_str()) {
                anyhow::bail!(
                    "operation {}: its id is not the SHA-256 of its body (generate the \
                     manifest with the default createOperationId)",
                    operation.name
                );
            }
            Ok((operation.name, operation.body))
        })
        .collect()
}

/// `portal migrate [up|down|status]`, each saying what it did or found.
async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    if let (MigrateAction::Status | MigrateAction::Down, Some(file)) =
        (action, db::sqlite_file(&config.database.url))
        && !file.exists()
    {
        // Connecting with `mode=rwc` would create an empty file and report on it.
        anyhow::bail!(
            "There is no database at {} (DATABASE_URL); `portal migrate` creates it.",
            file.display()
        );
    }
    // A migration may fill or rewrite a large table in one statement (case_party reads every
    // case and step): the requests' statement timeout is not for it.
    let settings = db::DatabaseSettings {
        statement_timeout: None,
        ..config.database.clone()
    };
    let (db, _) = db::connect(&settings).await?;
    let mut stdout = std::io::stdout().lock();
    match action {
        MigrateAction::Up => {
            let applied = db::migrate_up(&db).await?;
            if applied.is_empty() {
                writeln!(stdout, "nothing to apply: the database is up to date")?;
            }
            for name in applied {
                writeln!(stdout, "applied {name}")?;
            }
        }
        MigrateAction::Down => {
            let last = Migrator::get_applied_migrations_read_only(&db).await?.pop();
            Migrator::down(&db, Some(1)).await?;
            match last {
                Some(migration) => writeln!(stdout, "reverted {}", migration.name())?,
                None => writeln!(stdout, "nothing to revert: no migration is applied")?,
            }
        }
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status_read_only(&db).await? {
                writeln!(stdout, "{:?}\t{}", migration.status(), migration.name())?;
            }
        }
    }
    Ok(())
}

/// The new admin's password: typed without echo on a terminal, else the first line of
/// standard input (a pipe, as scripts and the tests give it).
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password("Password of the new admin: ")?);
    }
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    Ok(password)
}

/// `portal keys status` and `portal keys rotate`.
async fn keys(config: &Config, action: KeysAction) -> anyhow::Result<()> {
    let (db, _) = db::connect(&config.database).await?;
    let services = Services::new(db, &config.auth);
    services.ensure_migrated().await?;
    let current = config.auth.data_keys.current_key_id().to_owned();
    let usage = match action {
        KeysAction::Status => services.key_usage().await?,
        KeysAction::Rotate => {
            let rotation = services.rotate_keys().await?;
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "re-sealed under {current:?}: {} case keys, {} two-factor secrets, {} kept answers",
                rotation.case_keys, rotation.totp_secrets, rotation.answers
            )?;
            rotation.after
        }
    };
    let mut stdout = std::io::stdout().lock();
    for key_id in config.auth.data_keys.key_ids() {
        let count = usage.get(key_id).copied().unwrap_or(0);
        let note = if key_id == current {
            "current"
        } else if count == 0 {
            "unused: remove it once no backup you keep needs it"
        } else {
            "still in use: run `portal keys rotate`"
        };
        writeln!(stdout, "{key_id}: {count} values ({note})")?;
    }
    for (key_id, count) in &usage {
        if !config.auth.data_keys.key_ids().any(|id| id == key_id) {
            writeln!(
                stdout,
                "{key_id}: {count} values (NOT CONFIGURED: these cannot be read)"
            )?;
        }
    }
    Ok(())
}
