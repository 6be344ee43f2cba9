//! Compiled reads: the hot read paths answered without the executor's work per field.
//!
//! async-graphql resolves every field of a response through a boxed future, a context, the
//! extension's `resolve` hook and an entry in a `Value` tree that is serialised afterwards:
//! about 7,500 fields for 50 projects with their partners and 20 events each, most of the
//! server's CPU time for that request. Here a query whose every field the planner knows is
//! compiled, from its parsed document and variables, into a [`Plan`]: for each root field the
//! service calls it needs (the same calls, with the same actor, that the resolvers and
//! DataLoaders make, so every rule of access is still decided by `policy`, in one place) and
//! the selection to write. Running the plan makes those calls, all of one level at once, and
//! writes the answer's JSON straight from the rows ([`json`]).
//!
//! What the planner does not know, it declines, and the executor answers as before:
//! mutations and subscriptions, directives, any field, argument or type it has no rule for,
//! a response key selected twice, a field whose value would be an error for this reader.
//! Every document is still parsed, validated, limited and charged by the schema itself (the
//! extension's hooks, run with `ValidationOnly`) before a plan runs, so a planned request is
//! refused exactly as an executed one; only a valid document's answer is compiled.
//!
//! `PORTAL_QUERY_PLANS` chooses: `on` (the default), `off` (the executor only), or `verify`
//! (the tests' setting): every planned answer is computed by the executor too and compared
//! as JSON; a difference is answered as an `INTERNAL` error that carries both. (Not byte for
//! byte: async-graphql writes an object's members in the order their resolvers finish, which
//! varies from run to run; a plan writes them in the order the document selects them, as the
//! GraphQL specification asks of ordered formats.)

mod json;
mod projects;

use std::collections::HashSet;

use async_graphql::{
    InputType, Name, Request, Response, ServerError, Value, Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
        Selection, SelectionSet,
    },
};
use entity::enums::Language;

use super::{PortalSchema, common::RequestContext, loaders, persisted_queries};
use crate::{
    error::ApiError, metrics::Metrics, policy, rate_limit::CostLimiter, services::Services,
};

/// Whether queries are compiled (`PORTAL_QUERY_PLANS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueryPlans {
    /// Compiled where the planner knows every field; the executor for the rest.
    #[default]
    On,
    /// The executor only.
    Off,
    /// Compiled, and checked against the executor's answer (for tests: twice the work).
    Verify,
}

/// What a root or object field is, once compiled: its response key (alias or name) and what
/// to write there.
pub(super) struct Item<F> {
    pub key: String,
    pub field: F,
}

/// A field of `Translations`.
#[derive(Clone, Copy)]
pub(super) enum Translation {
    Typename,
    In(Language),
}

/// A compiled query: its root fields in the order they were selected.
pub struct Plan {
    roots: Vec<Item<Root>>,
}

enum Root {
    Typename,
    Projects(Box<projects::ProjectsField>),
}

/// Why a compiled plan gave up while running: the executor answers instead.
pub(super) enum Declined {
    /// A field this reader gets an error for (the executor writes the error and the nulls).
    FieldError,
    /// A service failed (the executor meets the same failure and reports it).
    Failed(ApiError),
}

impl From<ApiError> for Declined {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

/// What a document and its variables give the compiler.
pub(super) struct Compiling<'d> {
    document: &'d ExecutableDocument,
    operation: &'d OperationDefinition,
    variables: &'d Variables,
}

/// The root fields the planner compiles (besides `__typename`).
const PLANNED_ROOTS: [&str; 1] = ["projects"];

/// Fragments and inline fragments are followed this deep at most (a cycle is the validator's
/// to refuse; here it only must not loop).
const MAX_FRAGMENT_DEPTH: usize = 8;

impl<'d> Compiling<'d> {
    /// The fields selected by `set` on an object of type `type_name`, fragments flattened;
    /// `None` for anything the planner does not follow (a directive, a fragment on another
    /// type, a response key selected twice, whose selections the executor would merge).
    pub(super) fn fields(&self, set: &'d SelectionSet, type_name: &str) -> Option<Vec<&'d Field>> {
        let mut fields = Vec::new();
        self.flatten(set, type_name, &mut fields, 0)?;
        let mut keys = HashSet::with_capacity(fields.len());
        fields
            .iter()
            .all(|field| keys.insert(field.response_key().node.as_str()))
            .then_some(fields)
    }

    fn flatten(
        &self,
        set: &'d SelectionSet,
        type_name: &str,
        fields: &mut Vec<&'d Field>,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_FRAGMENT_DEPTH {
            return None;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if !field.node.directives.is_empty() {
                        return None;
                    }
                    fields.push(&field.node);
                }
                Selection::FragmentSpread(spread) => {
                    if !spread.node.directives.is_empty() {
                        return None;
                    }
                    let fragment = self
                        .document
                        .fragments
                        .get(&spread.node.fragment_name.node)?;
                    if !fragment.node.directives.is_empty()
                        || fragment.node.type_condition.node.on.node.as_str() != type_name
                    {
                        return None;
                    }
                    self.flatten(
                        &fragment.node.selection_set.node,
                        type_name,
                        fields,
                        depth + 1,
                    )?;
                }
                Selection::InlineFragment(inline) => {
                    if !inline.node.directives.is_empty()
                        || inline
                            .node
                            .type_condition
                            .as_ref()
                            .is_some_and(|condition| condition.node.on.node.as_str() != type_name)
                    {
                        return None;
                    }
                    self.flatten(
                        &inline.node.selection_set.node,
                        type_name,
                        fields,
                        depth + 1,
                    )?;
                }
            }
        }
        Some(())
    }

    /// The argument `name` of `field` as the executor would read it (`None` when it cannot be
    /// read: the executor then reports why).
    pub(super) fn argument<T: InputType>(&self, field: &Field, name: &str) -> Option<T> {
        let value = match field.get_argument(name) {
            None => None,
            Some(value) => Some(
                value
                    .node
                    .clone()
                    .into_const_with(|variable| self.variable(&variable).ok_or(()))
                    .ok()?,
            ),
        };
        T::parse(value).ok()
    }

    /// Whether `field` has no argument but those in `known`.
    pub(super) fn arguments_within(field: &Field, known: &[&str]) -> bool {
        field
            .arguments
            .iter()
            .all(|(name, _)| known.contains(&name.node.as_str()))
    }

    /// A variable's value: given, or its default, or null when it is declared nullable;
    /// `None` for a non-null one left out, or one not declared, which the executor reports.
    fn variable(&self, name: &Name) -> Option<Value> {
        if let Some(value) = self.variables.get(name) {
            return Some(value.clone());
        }
        let definition = self
            .operation
            .variable_definitions
            .iter()
            .find(|definition| definition.node.name.node == *name)?;
        match &definition.node.default_value {
            Some(value) => Some(value.node.clone()),
            None => definition
                .node
                .var_type
                .node
                .nullable
                .then_some(Value::Null),
        }
    }

    /// A leaf field: no arguments, no selection.
    pub(super) fn leaf(field: &Field) -> bool {
        field.arguments.is_empty() && field.selection_set.node.items.is_empty()
    }

    /// The fields of a `Translations` object.
    pub(super) fn translations(&self, field: &'d Field) -> Option<Vec<Item<Translation>>> {
        if !field.arguments.is_empty() {
            return None;
        }
        self.fields(&field.selection_set.node, "Translations")?
            .into_iter()
            .map(|field| {
                let translation = match field.name.node.as_str() {
                    "__typename" => Translation::Typename,
                    "en" => Translation::In(Language::En),
                    "ru" => Translation::In(Language::Ru),
                    "tg" => Translation::In(Language::Tg),
                    _ => return None,
                };
                Some(item(field, translation))
            })
            .collect()
    }
}

/// The item of `field`, under its response key.
pub(super) fn item<F>(field: &Field, compiled: F) -> Item<F> {
    Item {
        key: field.response_key().node.to_string(),
        field: compiled,
    }
}

impl Plan {
    /// The plan of `request` for `actor`, or `None` when the executor must answer it. The
    /// document's length and nesting are checked before it is parsed, as the schema checks
    /// them: this parse must not be the way round the limits.
    pub fn compile(request: &Request, context: &RequestContext) -> Option<Self> {
        // A document that names no root field the planner knows is not parsed twice.
        if !PLANNED_ROOTS
            .iter()
            .any(|root| request.query.contains(root))
            || super::limits::check_length(&request.query).is_err()
            || super::limits::check_nesting(&request.query).is_err()
        {
            return None;
        }
        let document = async_graphql::parser::parse_query(&request.query).ok()?;
        let operation = match (&document.operations, request.operation_name.as_deref()) {
            (DocumentOperations::Single(operation), None) => &operation.node,
            (DocumentOperations::Multiple(operations), Some(name)) => &operations.get(name)?.node,
            (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
                &operations.values().next()?.node
            }
            _ => return None,
        };
        if operation.ty != OperationType::Query || !operation.directives.is_empty() {
            return None;
        }
        let compiling = Compiling {
            document: &document,
            operation,
            variables: &request.variables,
        };
        let roots = compiling
            .fields(&operation.selection_set.node, "Query")?
            .into_iter()
            .map(|field| {
                let name = field.name.node.as_str();
                // The guard's decision for a restricted account, field by field as it makes it.
                policy::check_restriction(&context.caller.actor, name).ok()?;
                let root = match name {
                    "__typename" if Compiling::leaf(field) => Root::Typename,
                    "projects" => Root::Projects(Box::new(projects::ProjectsField::compile(
                        &compiling, field,
                    )?)),
                    _ => return None,
                };
                Some(item(field, root))
            })
            .collect::<Option<Vec<_>>>()?;
        (!roots.is_empty()).then_some(Self { roots })
    }

    /// The answer, `{"data": …}`, as JSON.
    async fn run(
        &self,
        services: &Services,
        context: &RequestContext,
    ) -> Result<Vec<u8>, Declined> {
        let mut written = Vec::with_capacity(self.roots.len());
        for root in &self.roots {
            written.push(match &root.field {
                Root::Typename => None,
                Root::Projects(projects) => Some(projects.load(services, context).await?),
            });
        }
        let mut out = json::Json::data(64 * 1024);
        out.open_object();
        for (root, loaded) in self.roots.iter().zip(&written) {
            out.key(&root.key);
            match (&root.field, loaded) {
                (Root::Projects(projects), Some(loaded)) => {
                    projects.write(&mut out, loaded, context.language)?;
                }
                _ => out.string("Query"),
            }
        }
        out.close_object();
        Ok(out.finish())
    }
}

/// An answer: written by a plan, or the executor's.
pub enum Answer {
    /// The bytes of a planned answer (always a success without errors).
    Planned(Vec<u8>),
    Executed(Response),
}

/// What executing a request needs.
pub struct Executor<'a> {
    pub schema: &'a PortalSchema,
    pub services: &'a Services,
    pub plans: QueryPlans,
    pub limiter: &'a CostLimiter,
    pub metrics: &'a Metrics,
}

impl Executor<'_> {
    /// Answers `request` of `context`: by a plan where one compiles, else by the executor.
    pub async fn execute(&self, request: Request, context: RequestContext) -> Answer {
        let plan = match self.plans {
            QueryPlans::Off => None,
            QueryPlans::On | QueryPlans::Verify => Plan::compile(&request, &context),
        };
        let Some(plan) = plan else {
            self.metrics.query_plan("executed");
            return Answer::Executed(self.executed(request, context, true).await);
        };
        let again = Again::of(&request);
        // Charged, limited and validated by the schema as any request; nothing executed.
        let checked = self
            .schema
            .execute(
                request
                    .data(persisted_queries::ValidationOnly)
                    .data(context.clone())
                    .data(self.limiter.clone()),
            )
            .await;
        if !checked.errors.is_empty() {
            self.metrics.query_plan("refused");
            return Answer::Executed(checked);
        }
        match plan.run(self.services, &context).await {
            Ok(planned) => {
                self.metrics.query_plan("planned");
                if self.plans == QueryPlans::Verify
                    && let Some(difference) = self.verify(again, context, &planned).await
                {
                    return Answer::Executed(difference);
                }
                Answer::Planned(planned)
            }
            Err(declined) => {
                let code = match &declined {
                    Declined::FieldError => "a field error",
                    Declined::Failed(error) => error.code(),
                };
                tracing::debug!(code, "a compiled plan gave the request to the executor");
                self.metrics.query_plan("declined");
                // Charged already: not a second time.
                Answer::Executed(self.executed(again.request(), context, false).await)
            }
        }
    }

    async fn executed(&self, request: Request, context: RequestContext, charge: bool) -> Response {
        let loaders = loaders::for_request(self.services.clone(), context.caller.actor.clone());
        let request = request.data(context).data(loaders);
        let request = if charge {
            request.data(self.limiter.clone())
        } else {
            request
        };
        self.schema.execute(request).await
    }

    /// `None` when the executor's answer is `planned` (as JSON); otherwise an `INTERNAL` error
    /// carrying both (only with `verify`, the tests' setting).
    async fn verify(
        &self,
        again: Again,
        context: RequestContext,
        planned: &[u8],
    ) -> Option<Response> {
        let executed = self.executed(again.request(), context, false).await;
        /// The body the HTTP layer writes for an answer without errors.
        #[derive(serde::Serialize)]
        struct Body<'a> {
            data: &'a Value,
        }
        // Equal as JSON, members in any order: the executor writes an object's members in the
        // order their resolvers finish (async-graphql runs a query's fields concurrently),
        // the plan in the order they were selected, as the specification prefers.
        let rendered = (executed.errors.is_empty() && executed.extensions.is_empty())
            .then(|| {
                serde_json::to_value(Body {
                    data: &executed.data,
                })
                .ok()
            })
            .flatten();
        let written = serde_json::from_slice::<serde_json::Value>(planned).ok();
        if rendered.is_some() && rendered == written {
            return None;
        }
        let executed = serde_json::to_string(&executed).unwrap_or_default();
        let planned = String::from_utf8_lossy(planned).into_owned();
        tracing::error!(%planned, %executed, "a compiled plan answered otherwise than the executor");
        let mut error = ServerError::new(
            "The compiled plan answered otherwise than the executor.",
            None,
        );
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", crate::error::code::INTERNAL);
        extensions.set("planned", planned);
        extensions.set("executed", executed);
        error.extensions = Some(extensions);
        Some(Response::from_errors(vec![error]))
    }
}

/// What it takes to execute a request once more (its data does not clone).
struct Again {
    query: String,
    variables: Variables,
    operation_name: Option<String>,
}

impl Again {
    fn of(request: &Request) -> Self {
        Self {
            query: request.query.clone(),
            variables: request.variables.clone(),
            operation_name: request.operation_name.clone(),
        }
    }

    fn request(self) -> Request {
        let mut request = Request::new(self.query).variables(self.variables);
        request.operation_name = self.operation_name;
        persisted_queries::mark_resolved(&mut request);
        request
    }
}
