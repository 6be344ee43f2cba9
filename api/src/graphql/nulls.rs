//! Field errors as the GraphQL specification handles them: the field that failed is `null`,
//! and when its type is non-null the `null` goes up to the nearest nullable parent (or makes
//! `data` itself `null`).
//!
//! async-graphql 7 does neither: a field whose resolver fails is *left out* of its object
//! (`resolver_utils::container::do_resolve_container`), so an answer could lack a field the
//! schema promises is never missing, and a non-null field was never seen as `null`'s cause
//! further up; and an object all of whose fields failed is answered `null`, whatever its
//! type. The extension's `resolve` hook now answers a failed field `null` itself (so that a
//! response key selected twice merges into an object, not into a `null`), except for a
//! subscription's events. This pass mends the answer after execution from the errors' paths,
//! the operation's selection sets (response keys to fields, through fragments) and the
//! schema's types.

use async_graphql::{
    PathSegment, Response, Value,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    registry::{MetaTypeName, Registry},
};

/// One field of a selection set, with the type it is selected on (the fragment's type
/// condition inside a fragment, else the parent's type).
struct Selected<'a> {
    name: &'a str,
    on_type: &'a str,
    selection_set: &'a SelectionSet,
}

/// The fields of `sets` answered under `key`, with the fragments spread into them.
fn fields_for<'a>(
    document: &'a ExecutableDocument,
    sets: &[(&'a SelectionSet, &'a str)],
    key: &str,
) -> Vec<Selected<'a>> {
    let mut found = Vec::new();
    // Fragments cannot nest deeper than the recursion limit checked before execution; the
    // stack bounds the walk all the same.
    let mut pending: Vec<(&SelectionSet, &str, usize)> =
        sets.iter().map(|(set, on)| (*set, *on, 0)).collect();
    while let Some((set, on_type, depth)) = pending.pop() {
        if depth > super::MAX_RECURSIVE_DEPTH {
            continue;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if field.node.response_key().node.as_str() == key {
                        found.push(Selected {
                            name: field.node.name.node.as_str(),
                            on_type,
                            selection_set: &field.node.selection_set.node,
                        });
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(on_type, |condition| condition.node.on.node.as_str());
                    pending.push((&fragment.node.selection_set.node, on, depth + 1));
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        pending.push((
                            &fragment.node.selection_set.node,
                            fragment.node.type_condition.node.on.node.as_str(),
                            depth + 1,
                        ));
                    }
                }
            }
        }
    }
    found
}

/// For each prefix of `path`, whether its value may be `null`; `None` when the path does not
/// follow the operation (then the answer is left as it is).
fn nullability(
    registry: &Registry,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    path: &[PathSegment],
) -> Option<Vec<bool>> {
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| {
            operation_name.is_none() || name.map(|name| name.as_str()) == operation_name
        })?
        .1;
    let root = match operation.node.ty {
        OperationType::Query => registry.query_type.as_str(),
        OperationType::Mutation => registry.mutation_type.as_deref()?,
        OperationType::Subscription => registry.subscription_type.as_deref()?,
    };
    let mut sets = vec![(&operation.node.selection_set.node, root)];
    // The type still to be unwrapped by list indexes, after a field.
    let mut pending_type: &str = "";
    let mut nullable = Vec::with_capacity(path.len());
    for segment in path {
        let ty: &str = match segment {
            PathSegment::Field(key) => {
                let fields = fields_for(document, &sets, key);
                let first = fields.first()?;
                let ty = if first.name == "__typename" {
                    "String!"
                } else {
                    let parent = MetaTypeName::concrete_typename(first.on_type);
                    registry
                        .types
                        .get(parent)?
                        .field_by_name(first.name)?
                        .ty
                        .as_str()
                };
                let concrete = MetaTypeName::concrete_typename(ty);
                let concrete = registry.types.get_key_value(concrete)?.0.as_str();
                sets = fields
                    .iter()
                    .map(|field| (field.selection_set, concrete))
                    .collect();
                ty
            }
            PathSegment::Index(_) => {
                let inner = match MetaTypeName::create(pending_type) {
                    MetaTypeName::NonNull(inner) => inner,
                    _ => pending_type,
                };
                match MetaTypeName::create(inner) {
                    MetaTypeName::List(item) => item,
                    _ => return None,
                }
            }
        };
        nullable.push(!MetaTypeName::create(ty).is_non_null());
        pending_type = ty;
    }
    Some(nullable)
}

/// The value at `path` in `data`, made if missing when `make` (an object's left-out field).
fn slot<'v>(data: &'v mut Value, path: &[PathSegment]) -> Option<&'v mut Value> {
    let mut current = data;
    for segment in path {
        current = match (segment, current) {
            (PathSegment::Field(key), Value::Object(fields)) => fields
                .entry(async_graphql::Name::new(key))
                .or_insert(Value::Null),
            (PathSegment::Index(index), Value::List(items)) => items.get_mut(*index)?,
            // An ancestor is already `null` (another error took it): nothing to mend.
            _ => return None,
        };
    }
    Some(current)
}

/// Makes an object again of each `null` strictly above a failed field. async-graphql answers
/// an object whose every selected field failed with `null` (`do_resolve_container`: no
/// results, no object), whatever the object's type: an anonymous `organisation(id) {
/// contactEmail }` lost the whole (non-null) organisation. No other `null` can stand above an
/// error before [`propagate`] runs: a field that resolved to `null` has no fields to fail.
fn restore_emptied(data: &mut Value, path: &[PathSegment]) {
    let mut current = data;
    for segment in path {
        if matches!(current, Value::Null) {
            *current = Value::Object(Default::default());
        }
        let next = match (segment, current) {
            (PathSegment::Field(key), Value::Object(fields)) => fields.get_mut(key.as_str()),
            (PathSegment::Index(index), Value::List(items)) => items.get_mut(*index),
            _ => None,
        };
        // The failed field itself was left out: nothing further down to restore.
        let Some(next) = next else {
            return;
        };
        current = next;
    }
}

/// Sets `null` where each field error's `null` lands, as the specification says.
pub(super) fn propagate(
    registry: &Registry,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    response: &mut Response,
) {
    let paths: Vec<Vec<PathSegment>> = response
        .errors
        .iter()
        .filter(|error| !error.path.is_empty())
        .map(|error| error.path.clone())
        .collect();
    // Every object is restored before any `null` is propagated: a propagated `null` above an
    // error is right, and must not be taken for one of async-graphql's.
    for path in &paths {
        restore_emptied(&mut response.data, path);
    }
    for path in paths {
        let Some(nullable) = nullability(registry, document, operation_name, &path) else {
            continue;
        };
        // The deepest prefix that may be null; none: the whole `data` is null.
        match nullable.iter().rposition(|nullable| *nullable) {
            Some(last) => {
                if let Some(value) = slot(&mut response.data, &path[..=last]) {
                    *value = Value::Null;
                }
            }
            None => response.data = Value::Null,
        }
    }
}
