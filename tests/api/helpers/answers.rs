//! Answers checked against the schema's types, the way the GraphQL specification shapes them:
//! every selected field present under its response key, `null` only where the type is
//! nullable, and every field error's path leading to a `null` at or above the field that
//! failed.
//!
//! The server mends async-graphql's answers after execution (`graphql/nulls.rs`: a failed field
//! used to be left out of its object). This check shares nothing with that pass: it reads the
//! schema from `schema.graphql` and the request's document with the parser alone, so a mistake
//! in the pass cannot hide itself here.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use async_graphql::parser::{
    Positioned, parse_query, parse_schema,
    types::{
        BaseType, Directive, DocumentOperations, ExecutableDocument, Field, FieldDefinition,
        OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
    },
};
use serde_json::{Map, Value};

/// The schema the server publishes, as the repository holds it (`tests/api/schema.rs` keeps
/// the file equal to the server's).
const SDL: &str = include_str!("../../../schema.graphql");

/// The types of a schema by name, and its root types.
pub struct Schema {
    types: HashMap<String, TypeKind>,
    query: String,
    mutation: String,
    subscription: String,
}

/// `schema.graphql`, parsed once for the whole test binary.
pub static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse(SDL));

impl Schema {
    /// # Panics
    /// When `sdl` is not a schema: the check has nothing to check against.
    pub fn parse(sdl: &str) -> Self {
        let document = parse_schema(sdl).expect("the schema's SDL parses");
        let mut schema = Self {
            types: HashMap::new(),
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
            subscription: "Subscription".to_owned(),
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Type(definition) => {
                    let definition = definition.node;
                    schema
                        .types
                        .insert(definition.name.node.to_string(), definition.kind);
                }
                TypeSystemDefinition::Schema(roots) => {
                    let roots = roots.node;
                    for (root, name) in [
                        (&mut schema.query, roots.query),
                        (&mut schema.mutation, roots.mutation),
                        (&mut schema.subscription, roots.subscription),
                    ] {
                        if let Some(name) = name {
                            *root = name.node.to_string();
                        }
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        schema
    }

    /// The kind of the type named `name`.
    pub fn kind(&self, name: &str) -> Option<&TypeKind> {
        self.types.get(name)
    }

    /// The fields of an object or interface type.
    pub fn fields(&self, type_name: &str) -> &[Positioned<FieldDefinition>] {
        match self.kind(type_name) {
            Some(TypeKind::Object(object)) => &object.fields,
            Some(TypeKind::Interface(interface)) => &interface.fields,
            _ => &[],
        }
    }

    /// The root fields of mutations.
    pub fn mutation_fields(&self) -> &[Positioned<FieldDefinition>] {
        self.fields(&self.mutation)
    }

    fn field(&self, type_name: &str, name: &str) -> Option<&FieldDefinition> {
        self.fields(type_name)
            .iter()
            .map(|field| &field.node)
            .find(|field| field.name.node.as_str() == name)
    }

    /// Whether a fragment on `condition` applies to an object of type `object`.
    fn applies(&self, condition: &str, object: &str) -> bool {
        condition == object
            || match self.kind(condition) {
                Some(TypeKind::Union(union)) => union
                    .members
                    .iter()
                    .any(|member| member.node.as_str() == object),
                Some(TypeKind::Interface(_)) => match self.kind(object) {
                    Some(TypeKind::Object(found)) => found
                        .implements
                        .iter()
                        .any(|interface| interface.node.as_str() == condition),
                    _ => false,
                },
                _ => false,
            }
    }
}

/// What is wrong with `response`, the answer to `document`, against `schema.graphql`: one line
/// per violation, each naming the path (`projects.edges.0.node.title`). Empty when the answer
/// is valid; a document that does not parse has nothing to check (its answer is a request
/// error without `data`).
pub fn violations(document: &str, response: &Value) -> Vec<String> {
    violations_in(&SCHEMA, document, response)
}

/// [`violations`] against `schema`.
pub fn violations_in(schema: &Schema, document: &str, response: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let errors: &[Value] = response
        .get("errors")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let Some(data) = response.get("data") else {
        if errors.is_empty() {
            found.push("an answer with neither `data` nor `errors`".to_owned());
        }
        return found;
    };
    if data.is_null() {
        if errors.is_empty() {
            found.push("`data` is null without an error".to_owned());
        }
        return found;
    }
    let Ok(document) = parse_query(document) else {
        found.push("`data` in the answer to a document that does not parse".to_owned());
        return found;
    };
    let Some(operation) = (match &document.operations {
        DocumentOperations::Single(operation) => Some(&operation.node),
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        DocumentOperations::Multiple(_) => None,
    }) else {
        found.push("several operations: the checker cannot tell which ran".to_owned());
        return found;
    };
    let root = match operation.ty {
        OperationType::Query => &schema.query,
        OperationType::Mutation => &schema.mutation,
        OperationType::Subscription => &schema.subscription,
    };
    let mut walk = Walk {
        schema,
        document: &document,
        path: Vec::new(),
        found: Vec::new(),
    };
    match data.as_object() {
        Some(object) => walk.object(object, root, &[&operation.selection_set.node]),
        None => walk.found.push(format!("`data` is not an object: {data}")),
    }
    found.append(&mut walk.found);

    for error in errors {
        let Some(path) = error.get("path").and_then(Value::as_array) else {
            // An error without a path belongs to the request, not to a field; with `data`
            // present it cannot be placed.
            found.push(format!(
                "an error without a path next to `data`: {}",
                error["message"]
            ));
            continue;
        };
        if let Some(problem) = error_path_problem(data, path) {
            found.push(problem);
        }
    }
    found
}

/// Why `path` (an error's) does not lead to a `null` at or above its end, if it does not.
fn error_path_problem(data: &Value, path: &[Value]) -> Option<String> {
    let shown = || {
        path.iter()
            .map(|segment| {
                segment
                    .as_str()
                    .map_or_else(|| segment.to_string(), str::to_owned)
            })
            .collect::<Vec<_>>()
            .join(".")
    };
    let mut current = data;
    for segment in path {
        if current.is_null() {
            return None;
        }
        let next = match segment {
            Value::String(key) => current.get(key.as_str()),
            Value::Number(index) => index
                .as_u64()
                .and_then(|index| usize::try_from(index).ok())
                .and_then(|index| current.get(index)),
            _ => None,
        };
        let Some(next) = next else {
            return Some(format!(
                "{}: an error's path leads nowhere in `data`",
                shown()
            ));
        };
        current = next;
    }
    (!current.is_null()).then(|| {
        format!(
            "{}: an error at a field that has a value ({current})",
            shown()
        )
    })
}

/// Whether a selection carries `@skip` or `@include`: whether it is answered then depends on
/// variables, so its absence is no violation.
fn conditional(directives: &[Positioned<Directive>]) -> bool {
    directives
        .iter()
        .any(|directive| matches!(directive.node.name.node.as_str(), "skip" | "include"))
}

/// The fields answered under one response key of an object.
struct Collected<'a> {
    key: String,
    /// The type the field is looked up on (the fragment's condition inside a fragment).
    on_type: String,
    fields: Vec<&'a Field>,
    /// Whether the key must be present: false under `@skip`/`@include`, and under a fragment
    /// whose condition cannot be decided (an abstract type answered without `__typename`).
    required: bool,
}

struct Walk<'a> {
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    path: Vec<String>,
    found: Vec<String>,
}

impl<'a> Walk<'a> {
    fn violation(&mut self, what: String) {
        let path = if self.path.is_empty() {
            "data".to_owned()
        } else {
            self.path.join(".")
        };
        self.found.push(format!("{path}: {what}"));
    }

    /// The fields of `sets` that apply to an object of `runtime` type (statically
    /// `static_type`), merged by response key, in order.
    fn collect(
        &self,
        static_type: &str,
        runtime: Option<&str>,
        sets: &[&'a SelectionSet],
    ) -> Vec<Collected<'a>> {
        let mut collected: Vec<Collected<'a>> = Vec::new();
        let mut pending: Vec<(&'a SelectionSet, String, bool)> = sets
            .iter()
            .rev()
            .map(|set| (*set, static_type.to_owned(), true))
            .collect();
        // Fragment spreads may not form cycles (validation refuses them); the seen set keeps a
        // malformed document from looping here all the same.
        let mut spread = HashSet::new();
        while let Some((set, on_type, required)) = pending.pop() {
            let mut nested = Vec::new();
            for selection in &set.items {
                let (condition, directives, inner) = match &selection.node {
                    Selection::Field(field) => {
                        let field = &field.node;
                        let key = field.response_key().node.to_string();
                        let required = required && !conditional(&field.directives);
                        match collected.iter_mut().find(|entry| entry.key == key) {
                            Some(entry) => {
                                entry.fields.push(field);
                                entry.required |= required;
                            }
                            None => collected.push(Collected {
                                key,
                                on_type: on_type.clone(),
                                fields: vec![field],
                                required,
                            }),
                        }
                        continue;
                    }
                    Selection::InlineFragment(fragment) => (
                        fragment
                            .node
                            .type_condition
                            .as_ref()
                            .map(|condition| condition.node.on.node.to_string()),
                        &fragment.node.directives,
                        &fragment.node.selection_set.node,
                    ),
                    Selection::FragmentSpread(fragment_spread) => {
                        let name = &fragment_spread.node.fragment_name.node;
                        let Some(fragment) = self.document.fragments.get(name) else {
                            continue;
                        };
                        if !spread.insert(name.to_string()) {
                            continue;
                        }
                        (
                            Some(fragment.node.type_condition.node.on.node.to_string()),
                            &fragment_spread.node.directives,
                            &fragment.node.selection_set.node,
                        )
                    }
                };
                let condition = condition.unwrap_or_else(|| on_type.clone());
                let decided = match runtime {
                    Some(runtime) => Some(self.schema.applies(&condition, runtime)),
                    None if condition == static_type => Some(true),
                    None => None,
                };
                match decided {
                    Some(false) => {}
                    Some(true) => nested.push((
                        inner,
                        runtime.map_or_else(|| condition.clone(), str::to_owned),
                        required && !conditional(directives),
                    )),
                    None => nested.push((inner, condition, false)),
                }
            }
            // Depth first, in document order: a fragment's fields come where it is spread.
            pending.extend(nested.into_iter().rev());
        }
        collected
    }

    /// Checks an object answered for a selection on `static_type`.
    fn object(
        &mut self,
        object: &Map<String, Value>,
        static_type: &str,
        sets: &[&'a SelectionSet],
    ) {
        let runtime = match self.schema.kind(static_type) {
            Some(TypeKind::Object(_)) => Some(static_type.to_owned()),
            _ => object
                .get("__typename")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        let collected = self.collect(static_type, runtime.as_deref(), sets);
        for entry in &collected {
            self.path.push(entry.key.clone());
            match object.get(&entry.key) {
                None if entry.required => self.violation("selected but left out".to_owned()),
                None => {}
                Some(value) => self.field(value, entry),
            }
            self.path.pop();
        }
        for key in object.keys() {
            if !collected.iter().any(|entry| &entry.key == key) {
                self.path.push(key.clone());
                self.violation("in the answer but not selected".to_owned());
                self.path.pop();
            }
        }
    }

    fn field(&mut self, value: &Value, entry: &Collected<'a>) {
        let Some(first) = entry.fields.first() else {
            return;
        };
        let name = first.name.node.as_str();
        let ty = match name {
            "__typename" => Type::new("String!").expect("a type literal"),
            // Introspection is checked by async-graphql's own tests; its types are not in the
            // SDL.
            "__schema" | "__type" => return,
            _ => match self.schema.field(&entry.on_type, name) {
                Some(definition) => definition.ty.node.clone(),
                None => {
                    self.violation(format!("no field `{name}` on `{}`", entry.on_type));
                    return;
                }
            },
        };
        let sets: Vec<&'a SelectionSet> = entry
            .fields
            .iter()
            .map(|field| &field.selection_set.node)
            .collect();
        self.value(value, &ty, &sets);
    }

    fn value(&mut self, value: &Value, ty: &Type, sets: &[&'a SelectionSet]) {
        if value.is_null() {
            if !ty.nullable {
                self.violation(format!("null where the schema says `{ty}`"));
            }
            return;
        }
        match &ty.base {
            BaseType::List(item) => match value.as_array() {
                Some(items) => {
                    for (index, item_value) in items.iter().enumerate() {
                        self.path.push(index.to_string());
                        self.value(item_value, item, sets);
                        self.path.pop();
                    }
                }
                None => self.violation(format!("not a list where the schema says `{ty}`")),
            },
            // Scalars and enums: their values are async-graphql's to check.
            BaseType::Named(name) => {
                if let Some(TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)) =
                    self.schema.kind(name)
                {
                    match value.as_object() {
                        Some(object) => self.object(object, name, sets),
                        None => {
                            self.violation(format!("not an object where the schema says `{ty}`"))
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DOCUMENT: &str = "query($id: ID!) { project(id: $id) { id code ...Dates title \
                            partners { role organisation { id name } } } } \
                            fragment Dates on Project { startDate }";

    fn valid() -> Value {
        json!({ "data": { "project": {
            "id": "p", "code": "PO-1", "startDate": "2025-01-01", "title": "T",
            "partners": [{ "role": "IMPLEMENTING", "organisation": { "id": "o", "name": "N" } }]
        } } })
    }

    #[test]
    fn a_valid_answer_has_no_violation() {
        assert_eq!(violations(DOCUMENT, &valid()), Vec::<String>::new());
        // A null `data` that comes with an error is valid (here `project` is nullable, so
        // the server would answer `{"project": null}`; both are checked).
        let refused = json!({ "data": null, "errors": [
            { "message": "not found", "path": ["project"], "extensions": { "code": "NOT_FOUND" } }
        ] });
        assert_eq!(violations(DOCUMENT, &refused), Vec::<String>::new());
        let nulled = json!({ "data": { "project": null }, "errors": [
            { "message": "not found", "path": ["project"], "extensions": { "code": "NOT_FOUND" } }
        ] });
        assert_eq!(violations(DOCUMENT, &nulled), Vec::<String>::new());
        // A nullable field nulled by its error.
        let hidden = json!({ "data": { "organisation": { "active": null } }, "errors": [
            { "message": "no", "path": ["organisation", "active"], "extensions": { "code": "FORBIDDEN" } }
        ] });
        assert_eq!(
            violations("{ organisation(id: 1) { active } }", &hidden),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_null_field_that_is_non_null_is_a_violation() {
        let mut response = valid();
        response["data"]["project"]["code"] = Value::Null;
        response["errors"] = json!([
            { "message": "no", "path": ["project", "code"], "extensions": { "code": "FORBIDDEN" } }
        ]);

        assert_eq!(
            violations(DOCUMENT, &response),
            ["project.code: null where the schema says `String!`"]
        );
    }

    #[test]
    fn a_field_left_out_is_a_violation() {
        let mut response = valid();
        let project = response["data"]["project"]
            .as_object_mut()
            .expect("an object");
        project.remove("code");
        // Left out from a fragment's selection too.
        project.remove("startDate");

        assert_eq!(
            violations(DOCUMENT, &response),
            [
                "project.code: selected but left out",
                "project.startDate: selected but left out"
            ]
        );
    }

    #[test]
    fn a_null_non_null_field_is_a_violation() {
        let mut response = valid();
        response["data"]["project"]["partners"][0]["organisation"]["name"] = Value::Null;
        response["errors"] = json!([{ "message": "no", "path":
            ["project", "partners", 0, "organisation", "name"] }]);

        assert_eq!(
            violations(DOCUMENT, &response),
            ["project.partners.0.organisation.name: null where the schema says `String!`"]
        );
    }

    #[test]
    fn a_null_item_of_a_list_of_non_null_items_is_a_violation() {
        let mut response = valid();
        response["data"]["project"]["partners"] = json!([null]);

        let found = violations(DOCUMENT, &response);

        assert_eq!(
            found,
            ["project.partners.0: null where the schema says `ProjectPartner!`"]
        );
    }

    #[test]
    fn an_error_must_lead_to_a_null() {
        let mut response = valid();
        // The error says `title` failed, yet the answer has a title and no null above it.
        response["errors"] = json!([
            { "message": "no", "path": ["project", "title"] },
            { "message": "no", "path": ["project", "nowhere"] }
        ]);

        assert_eq!(
            violations(DOCUMENT, &response),
            [
                "project.title: an error at a field that has a value (\"T\")",
                "project.nowhere: an error's path leads nowhere in `data`"
            ]
        );
        // A null `data` needs an error.
        assert_eq!(
            violations(DOCUMENT, &json!({ "data": null })),
            ["`data` is null without an error"]
        );
    }

    #[test]
    fn aliases_and_unselected_keys_are_followed() {
        let document = "{ first: organisations(first: 1) { totalCount } }";
        let response = json!({ "data": { "first": { "totalCount": 1, "edges": [] } } });

        assert_eq!(
            violations(document, &response),
            ["first.edges: in the answer but not selected"]
        );
    }
}
