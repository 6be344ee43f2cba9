//! `schema.graphql` is the contract with the frontends; it must be what the code builds.

#[test]
fn schema_graphql_is_the_built_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let built = api::graphql::sdl();
    // `UPDATE_SCHEMA=1 cargo test -p api --test api -- schema_graphql` rewrites the file (the
    // same as `export-schema`, without running a binary another checkout may have built).
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &built).expect("write schema.graphql");
        return;
    }
    assert!(
        committed == built,
        "schema.graphql is out of date; regenerate it with \
         `cargo run -p api -- export-schema > schema.graphql`"
    );
}
