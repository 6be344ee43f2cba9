//! `migration` command-line tool: `migration up`, `migration down`, `migration status`, ...
//!
//! Reads the database URL from `DATABASE_URL` (or `-u`). The portal itself runs the same
//! migrations with `portal migrate`; this binary is for development and operations.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}
