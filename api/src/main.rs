//! `portal`: see `portal --help`.

/// mimalloc rather than the system allocator: a GraphQL response is thousands of small
/// allocations, which glibc's malloc served at about a third of the server's CPU in the nested
/// benchmark, and glibc keeps memory freed by one thread in that thread's arena (see
/// `docs/BENCHMARKS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::cli::run().await
}
