//! Every GraphQL example of README.md, run against the demo data as the role its `run as`
//! comment names, signed in with the demo logins the README's table lists.

use serde_json::{Map, Value, json};

use crate::helpers::spawn_app_with_demo;

const README: &str = include_str!("../../README.md");

/// One ```graphql block: the document, who runs it and which variables it takes from
/// earlier answers (`$name = rootField`).
#[derive(Debug)]
struct Example {
    line: usize,
    role: String,
    bindings: Vec<(String, String)>,
    document: String,
}

/// The blocks of `readme`, each with the `<!-- run as … -->` comment right before it.
fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut examples = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim() != "```graphql" {
            index += 1;
            continue;
        }
        let line = index + 1;
        let marker = lines[..index]
            .iter()
            .rev()
            .find(|line| !line.trim().is_empty())
            .and_then(|line| line.trim().strip_prefix("<!-- run as "))
            .and_then(|rest| rest.strip_suffix("-->"))
            .unwrap_or_else(|| {
                panic!("README.md:{line}: a graphql block needs a `<!-- run as ROLE -->` line")
            });
        let mut parts = marker.split(',').map(str::trim);
        let role = parts.next().unwrap_or_default().to_owned();
        let bindings = parts
            .map(|binding| {
                let (variable, field) = binding
                    .split_once('=')
                    .unwrap_or_else(|| panic!("README.md:{line}: `$name = field`: {binding}"));
                (
                    variable.trim().trim_start_matches('$').to_owned(),
                    field.trim().to_owned(),
                )
            })
            .collect();
        let end = lines[index + 1..]
            .iter()
            .position(|line| line.trim() == "```")
            .map(|offset| index + 1 + offset)
            .unwrap_or_else(|| panic!("README.md:{line}: an unclosed block"));
        examples.push(Example {
            line,
            role,
            bindings,
            document: lines[index + 1..end].join("\n"),
        });
        index = end + 1;
    }
    examples
}

/// The demo logins of the README's table: role, email, password.
fn demo_logins(readme: &str) -> Vec<(String, String, String)> {
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split('|')
                .map(|cell| cell.trim().trim_matches('`'))
                .collect();
            let [role, email, password] = cells.as_slice() else {
                return None;
            };
            let role = role.split_whitespace().next()?.trim_matches('`');
            email
                .contains('@')
                .then(|| (role.to_owned(), (*email).to_owned(), (*password).to_owned()))
        })
        .collect()
}

/// The first `id` in `value`, an object's own before its children's.
fn first_id(value: &Value) -> Option<&str> {
    match value {
        Value::Object(object) => object
            .get("id")
            .and_then(Value::as_str)
            .or_else(|| object.values().find_map(first_id)),
        Value::Array(items) => items.iter().find_map(first_id),
        _ => None,
    }
}

#[tokio::test]
async fn every_graphql_example_of_the_readme_works_on_the_demo_data() {
    let app = spawn_app_with_demo().await;
    let examples = examples(README);
    let logins = demo_logins(README);
    assert!(examples.len() >= 10, "the README's examples: {examples:#?}");
    assert_eq!(logins.len(), 4, "the README's demo logins: {logins:?}");
    let mut tokens = Map::new();
    for (role, email, password) in &logins {
        let login = app.login(email, password, None).await;
        let token = login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("the README's {role} login fails: {login:#}"));
        tokens.insert(role.clone(), json!(token));
    }
    // The root fields answered so far, latest last: where `$x = field` takes its id.
    let mut answers: Vec<(String, Value)> = Vec::new();

    for example in &examples {
        let mut variables = Map::new();
        for (variable, field) in &example.bindings {
            let id = answers
                .iter()
                .rev()
                .find(|(root, _)| root == field)
                .and_then(|(_, value)| first_id(value))
                .unwrap_or_else(|| {
                    panic!(
                        "README.md:{}: no earlier answer of `{field}` gives an id for ${variable}",
                        example.line
                    )
                });
            variables.insert(variable.clone(), json!(id));
        }
        let variables = Value::Object(variables);
        let response = match example.role.as_str() {
            "PUBLIC" => app.graphql(&example.document, variables).await,
            role => {
                let token = tokens.get(role).and_then(Value::as_str).unwrap_or_else(|| {
                    panic!("README.md:{}: no demo login for {role}", example.line)
                });
                app.graphql_as(token, &example.document, variables).await
            }
        };

        let context = format!(
            "README.md:{} as {}: {response:#}",
            example.line, example.role
        );
        assert!(response.get("errors").is_none(), "{context}");
        let data = response["data"].as_object().expect(&context);
        assert!(!data.is_empty(), "{context}");
        for (root, value) in data {
            assert!(!value.is_null(), "{root} is null: {context}");
            if let Some(edges) = value.get("edges") {
                assert!(
                    edges.as_array().is_some_and(|edges| !edges.is_empty()),
                    "{root} shows nothing: {context}"
                );
            }
            answers.push((root.clone(), value.clone()));
        }
    }
}

/// The reader above notices a block without its `run as` line, and a broken example fails.
#[test]
fn an_example_without_its_role_is_refused() {
    let unmarked = "text\n\n```graphql\n{ projects { totalCount } }\n```\n";
    let marked = "<!-- run as STAFF, $p = createProject -->\n```graphql\n{ a }\n```\n";

    let refused = std::panic::catch_unwind(|| examples(unmarked));
    let read = examples(marked);

    assert!(refused.is_err());
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].role, "STAFF");
    assert_eq!(
        read[0].bindings,
        [("p".to_owned(), "createProject".to_owned())]
    );
    assert_eq!(read[0].document, "{ a }");
}
