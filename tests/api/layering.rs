//! The layers of the server, checked on its source: each module of `api/src` may use the modules
//! of its own layer and of the layers below, never those above. A change that makes a service
//! reach for GraphQL or HTTP, or a module below `config` read the configuration, fails here.
//!
//! The check reads the source as text: every `crate::…` path (in `use` trees, braces included,
//! and inline), and every `super::…` path that climbs to the crate root. Comments and string
//! literals are left out, so a doc link does not count as a use.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The layers of `api/src`, bottom first. A module not listed fails the test, so that a new
/// module is placed on purpose.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundations", &["error", "crypto"]),
    ("infrastructure", &["auth", "db", "metrics", "telemetry"]),
    (
        "domain",
        &["policy", "services", "rate_limit", "connections"],
    ),
    ("graphql", &["graphql"]),
    ("http", &["http"]),
    ("configuration", &["config"]),
    ("entry points", &["startup", "cli", "demo"]),
];

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

#[test]
fn no_module_uses_a_module_of_a_layer_above_it() {
    let uses = crate_uses(&source_root());
    let mut wrong = Vec::new();
    for ((module, file), used) in &uses {
        let Some(own) = layer_of(module) else {
            wrong.push(format!(
                "{file}: module `{module}` is in no layer of tests/api/layering.rs"
            ));
            continue;
        };
        for other in used {
            match layer_of(other) {
                Some(layer) if layer > own => wrong.push(format!(
                    "{file}: `{module}` ({}) uses `{other}` ({}), a layer above it",
                    LAYERS[own].0, LAYERS[layer].0
                )),
                Some(_) => {}
                None => wrong.push(format!(
                    "{file}: `{module}` uses `{other}`, which is in no layer"
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_the_uses_that_are_there() {
    // Positive control: the scan must find uses known to exist, in each form it reads.
    let uses = crate_uses(&source_root());
    let used_by = |module: &str| -> BTreeSet<String> {
        uses.iter()
            .filter(|((owner, _), _)| owner == module)
            .flat_map(|(_, used)| used.iter().cloned())
            .collect()
    };
    for (module, used) in [
        ("graphql", "services"),
        ("services", "policy"),
        ("services", "db"),
        ("http", "graphql"),
        ("startup", "http"),
    ] {
        assert!(
            used_by(module).contains(used),
            "the scan did not see `{module}` use `{used}`: {:?}",
            used_by(module)
        );
    }
    let sample = "use crate::{error::ApiError, auth::{Actor, Caller}};\n\
                  // crate::graphql in a comment\n\
                  let s = \"crate::http in a string\";\n\
                  fn f() -> crate::db::Db { super::super::policy::x() }";
    let found = uses_in(sample, &["services".to_owned(), "cases".to_owned()]);
    assert_eq!(
        found,
        ["auth", "db", "error", "policy"]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
    );
}

#[test]
fn entity_and_migration_stay_below_the_server() {
    // `entity` holds models only and `migration` the frozen history: neither may depend on the
    // server, and the migrations do not use the models (a model may change; history may not).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (krate, forbidden) in [
        ("entity", &["api"][..]),
        ("migration", &["api", "entity"][..]),
    ] {
        let manifest =
            std::fs::read_to_string(root.join(krate).join("Cargo.toml")).expect("read Cargo.toml");
        for name in forbidden {
            assert!(
                !manifest
                    .lines()
                    .any(|line| line.trim_start().starts_with(&format!("{name} "))
                        || line.trim_start().starts_with(&format!("{name}="))),
                "{krate}/Cargo.toml depends on {name}"
            );
        }
        for file in rust_files(&root.join(krate).join("src")) {
            let text = strip_comments_and_strings(&std::fs::read_to_string(&file).expect("read"));
            for name in forbidden {
                assert!(
                    !contains_path_root(&text, name),
                    "{} uses `{name}::`",
                    file.display()
                );
            }
        }
    }
}

/// For each (top-level module, file) of the crate, the other top-level modules it uses.
fn crate_uses(root: &Path) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut uses = BTreeMap::new();
    for file in rust_files(root) {
        let relative = file.strip_prefix(root).expect("below the root");
        let module_path = module_path(relative);
        // `lib.rs` declares the modules and `main.rs` is the binary: both are the crate's top.
        let Some(module) = module_path.first().cloned() else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let mut used = uses_in(&text, &module_path);
        used.remove(&module);
        uses.insert((module, relative.display().to_string()), used);
    }
    uses
}

/// The module path of a file: `services/cases.rs` is `[services, cases]`, `services/mod.rs` is
/// `[services]`, `lib.rs` and `main.rs` are `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The top-level modules that `text` (the source of the module at `module_path`) names through
/// `crate::` or through `super::` paths climbing to the crate root.
fn uses_in(text: &str, module_path: &[String]) -> BTreeSet<String> {
    let text = strip_comments_and_strings(text);
    let mut used = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("crate::") {
        let start = at + found;
        at = start + "crate::".len();
        if start > 0 && is_identifier_byte(bytes[start - 1]) {
            continue; // `mycrate::`
        }
        used.extend(first_segments(&text[at..]));
    }
    at = 0;
    while let Some(found) = text[at..].find("super::") {
        let start = at + found;
        if start > 0 && (is_identifier_byte(bytes[start - 1]) || bytes[start - 1] == b':') {
            at = start + "super::".len();
            continue; // the second `super::` of a chain is counted with the first
        }
        let mut climbs = 0;
        let mut rest = &text[start..];
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after.trim_start();
        }
        at = text.len() - rest.len();
        // Inline modules (`mod tests`) climb one level more than the file; a chain that reaches
        // the crate root from the file itself is the one that leaves its module.
        if climbs >= module_path.len() {
            used.extend(first_segments(rest));
        }
    }
    used.retain(|name| {
        name.chars()
            .next()
            .is_some_and(|first| first.is_ascii_lowercase())
            && name != "self"
            && name != "super"
    });
    used
}

/// The first segment of each path of a `use` tree or path that starts `text`: `a::b` gives
/// `a`; `{a::b, c::{d, e}}` gives `a` and `c`.
fn first_segments(text: &str) -> Vec<String> {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('{') {
        let mut depth = 0usize;
        let mut items = Vec::new();
        let mut current = String::new();
        for character in inner.chars() {
            match character {
                '{' => {
                    depth += 1;
                    current.push(character);
                }
                '}' if depth == 0 => {
                    items.push(std::mem::take(&mut current));
                    break;
                }
                '}' => {
                    depth -= 1;
                    current.push(character);
                }
                ',' if depth == 0 => items.push(std::mem::take(&mut current)),
                _ => current.push(character),
            }
        }
        items
            .iter()
            .filter_map(|item| identifier_at(item.trim_start()))
            .collect()
    } else {
        identifier_at(text).into_iter().collect()
    }
}

fn identifier_at(text: &str) -> Option<String> {
    let end = text
        .find(|character: char| !(character.is_ascii_alphanumeric() || character == '_'))
        .unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_owned())
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn contains_path_root(text: &str, name: &str) -> bool {
    let needle = format!("{name}::");
    let bytes = text.as_bytes();
    text.match_indices(&needle).any(|(start, _)| {
        start == 0 || !(is_identifier_byte(bytes[start - 1]) || bytes[start - 1] == b':')
    })
}

/// The source with comments and the contents of string and character literals blanked, so that
/// a path in a doc comment or a message is not taken for a use.
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        let here = chars[index];
        let next = chars.get(index + 1).copied();
        if here == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if here == '/' && next == Some('*') {
            let mut depth = 0;
            while index < chars.len() {
                if chars[index] == '/' && chars.get(index + 1) == Some(&'*') {
                    depth += 1;
                    index += 2;
                } else if chars[index] == '*' && chars.get(index + 1) == Some(&'/') {
                    depth -= 1;
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    index += 1;
                }
            }
        } else if here == 'r'
            && matches!(next, Some('"' | '#'))
            && (index == 0 || !(chars[index - 1].is_alphanumeric() || chars[index - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#, …
            let mut hashes = 0;
            let mut cursor = index + 1;
            while chars.get(cursor) == Some(&'#') {
                hashes += 1;
                cursor += 1;
            }
            if chars.get(cursor) == Some(&'"') {
                cursor += 1;
                loop {
                    if cursor >= chars.len() {
                        break;
                    }
                    if chars[cursor] == '"'
                        && (0..hashes).all(|offset| chars.get(cursor + 1 + offset) == Some(&'#'))
                    {
                        cursor += 1 + hashes;
                        break;
                    }
                    cursor += 1;
                }
                out.push_str("\"\"");
                index = cursor;
            } else {
                out.push(here);
                index += 1;
            }
        } else if here == '"' {
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                if chars[index] == '\\' {
                    index += 1;
                }
                index += 1;
            }
            index += 1;
            out.push_str("\"\"");
        } else if here == '\'' && (chars.get(index + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('x' or '\n'); a lifetime has no closing quote.
            index += 1;
            while index < chars.len() && chars[index] != '\'' {
                if chars[index] == '\\' {
                    index += 1;
                }
                index += 1;
            }
            index += 1;
            out.push_str("' '");
        } else {
            out.push(here);
            index += 1;
        }
    }
    out
}

fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).expect("read a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
