//! `portal`: see `portal --help`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::cli::run().await
}
