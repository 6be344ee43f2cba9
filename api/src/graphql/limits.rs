//! Limits on the shape of a query document that async-graphql does not check by itself: the
//! length of the document (refused before it is parsed), the number of fields in it (counted
//! with every fragment spread expanded where it is used, so that 500 copies of one field, which
//! async-graphql would merge into one, are refused all the same), the number of aliases of one
//! field in one selection set, and the number of directives on any selection (async-graphql's
//! own `limit_directives` looks at fields only, not at fragments).
//!
//! It also bounds nesting before anything recursive touches a request: async-graphql's parser,
//! its value coercion and serde all recurse once per level of an input object or list, and a
//! 5 KB document nested 1,300 levels deep overflowed the stack and aborted the process. The
//! document's text is scanned for open braces, brackets and parentheses (selection sets, input
//! objects, lists, arguments and directives' arguments alike) before it is parsed, and the
//! variables and extensions are walked without recursion before they are coerced.
//!
//! Every refusal is `BAD_USER_INPUT` with a message that names the limit, and, for aliases, the
//! field; none repeats the document.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    ServerError, ServerResult, Variables,
    parser::{
        Positioned,
        types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
    },
};

use crate::error::code;

/// The longest query document accepted, in characters: the persisted-query store's bound,
/// since a document the server would refuse is never stored either.
pub use crate::services::persisted_queries::MAX_DOCUMENT_CHARS;

/// The most fields one operation may select, counting each fragment spread as the fields of
/// its fragment. The project list with partners and events selects 20; GraphiQL's
/// introspection query about 180.
pub const MAX_SELECTIONS: usize = 300;

/// The most response keys (aliases, and the field's own name) one field may have in one
/// selection set. The portal's clients use at most 2 (`events` and `firstOnly: events`).
pub const MAX_ALIASES: usize = 20;

/// The most braces, brackets and parentheses open at once in a query document, and the most
/// objects and lists nested in a JSON value (the request body, its variables and extensions).
/// The portal's deepest query opens 10; GraphiQL's introspection query 12; a selection at the
/// depth limit with an input object in its arguments about 20. Parsing a document at this limit
/// uses a few hundred KiB of stack in a debug build, far from a worker thread's 2 MiB.
pub const MAX_NESTING: usize = 40;

/// The most directives on one field, fragment spread or inline fragment. Clients use at most
/// one `@include` or `@skip`.
pub const MAX_DIRECTIVES: usize = 4;

fn refusal(message: String, pos: Option<async_graphql::Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code::BAD_USER_INPUT);
    error
}

/// The length check, cheap in bytes first (a character takes at least one byte).
///
/// # Errors
/// `BAD_USER_INPUT` when `query` is longer than [`MAX_DOCUMENT_CHARS`].
pub fn check_length(query: &str) -> ServerResult<()> {
    if query.len() > MAX_DOCUMENT_CHARS && query.chars().count() > MAX_DOCUMENT_CHARS {
        return Err(refusal(
            format!(
                "The query document is too long: at most {MAX_DOCUMENT_CHARS} characters \
                 are accepted."
            ),
            None,
        ));
    }
    Ok(())
}

/// What [`lex`] meets in a document's text, outside strings and comments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `{`, `[` or `(`.
    Open,
    /// `}`, `]` or `)`.
    Close,
    /// A string or block string (its text is not looked at).
    Text,
}

/// Walks `query` as the GraphQL lexer would, skipping strings, block strings and comments,
/// and hands each bracket and each string to `visit` until it answers `false`. An unbalanced
/// or unterminated text is left to the parser to refuse.
fn lex(query: &str, mut visit: impl FnMut(Token) -> bool) {
    let text = query.as_bytes();
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        at += 1;
        let token = match byte {
            b'#' => {
                while text
                    .get(at)
                    .is_some_and(|byte| !matches!(byte, b'\n' | b'\r'))
                {
                    at += 1;
                }
                continue;
            }
            b'"' if text[at..].starts_with(b"\"\"") => {
                at += 2;
                // A block string ends at the first `"""` not escaped as `\"""`.
                while at < text.len() && !text[at..].starts_with(b"\"\"\"") {
                    at += if text[at..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                at += 3;
                Token::Text
            }
            b'"' => {
                // A string ends at an unescaped quote; it cannot span lines.
                while let Some(&byte) = text.get(at) {
                    match byte {
                        b'\\' => at += 2,
                        b'"' => {
                            at += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => at += 1,
                    }
                }
                Token::Text
            }
            b'{' | b'[' | b'(' => Token::Open,
            b'}' | b']' | b')' => Token::Close,
            _ => continue,
        };
        if !visit(token) {
            return;
        }
    }
}

/// Refuses a document whose braces, brackets and parentheses nest deeper than [`MAX_NESTING`],
/// by a scan of its text ([`lex`]) before the parser, whose recursion it bounds.
///
/// # Errors
/// `BAD_USER_INPUT` when the document nests too deeply.
pub fn check_nesting(query: &str) -> ServerResult<()> {
    let mut depth = 0_usize;
    lex(query, |token| {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Text => {}
        }
        depth <= MAX_NESTING
    });
    if depth > MAX_NESTING {
        return Err(too_deep("The query document nests"));
    }
    Ok(())
}

/// Whether `query` holds a string literal. A document with one may carry what a person typed
/// (a survivor's name in an inline argument), so it is never kept as a persisted query: such
/// values belong in variables, which are never stored.
pub fn holds_string_literal(query: &str) -> bool {
    let mut found = false;
    lex(query, |token| {
        found = token == Token::Text;
        !found
    });
    found
}

/// The refusal of `subject` (`"The query document nests"`) for nesting too deeply.
fn too_deep(subject: &str) -> ServerError {
    refusal(
        format!(
            "{subject} too deeply: at most {MAX_NESTING} levels of braces, brackets \
             and parentheses are accepted."
        ),
        None,
    )
}

/// Whether the JSON text `body` nests objects and arrays deeper than [`MAX_NESTING`]: a scan
/// that skips strings, run before the body is parsed (serde_json would refuse past 128
/// levels, with a message about its own recursion).
pub fn json_nests_too_deeply(body: &[u8]) -> bool {
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Refuses variables or extensions whose objects and lists nest deeper than [`MAX_NESTING`],
/// walked with a stack of our own rather than recursion (they may come over WebSocket, where
/// the body scan of the HTTP handler does not see them).
///
/// # Errors
/// `BAD_USER_INPUT` naming `subject` (`"The variables nest"`).
pub fn check_value_nesting<'a>(
    values: impl IntoIterator<Item = &'a async_graphql::Value>,
    subject: &str,
) -> ServerResult<()> {
    use async_graphql::Value;
    let mut pending: Vec<(&Value, usize)> = values.into_iter().map(|value| (value, 1)).collect();
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::List(items) => Box::new(items.iter()),
            Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        if depth > MAX_NESTING {
            return Err(too_deep(subject));
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    Ok(())
}

/// Walks the selection sets of one operation with the fragment spreads expanded.
struct Walker<'a> {
    document: &'a ExecutableDocument,
    fields: usize,
    /// Whether `__schema` is selected anywhere.
    introspection: bool,
}

impl<'a> Walker<'a> {
    /// Walks `set`, whose fields share `keys` (field name → its response keys) with the
    /// fragments spread into the same selection set.
    fn walk(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        keys: &mut HashMap<&'a str, HashSet<&'a str>>,
    ) -> ServerResult<()> {
        for selection in &set.node.items {
            let directives = selection.node.directives();
            if directives.len() > MAX_DIRECTIVES {
                return Err(refusal(
                    format!(
                        "Too many directives: at most {MAX_DIRECTIVES} are accepted on one \
                         selection."
                    ),
                    Some(selection.pos),
                ));
            }
            match &selection.node {
                Selection::Field(field) => {
                    self.fields += 1;
                    if self.fields > MAX_SELECTIONS {
                        return Err(refusal(
                            format!(
                                "The query selects too many fields: at most {MAX_SELECTIONS} \
                                 are accepted, counting the fields of fragments where they \
                                 are spread."
                            ),
                            Some(selection.pos),
                        ));
                    }
                    let name = field.node.name.node.as_str();
                    self.introspection |= name == "__schema";
                    let response_keys = keys.entry(name).or_default();
                    response_keys.insert(field.node.response_key().node.as_str());
                    if response_keys.len() > MAX_ALIASES {
                        return Err(refusal(
                            format!(
                                "Too many aliases of the field `{name}`: at most \
                                 {MAX_ALIASES} are accepted in one selection set."
                            ),
                            Some(selection.pos),
                        ));
                    }
                    for (_, value) in &field.node.arguments {
                        refuse_nul(&value.node, value.pos)?;
                    }
                    self.walk(&field.node.selection_set, &mut HashMap::new())?;
                }
                Selection::InlineFragment(fragment) => {
                    self.walk(&fragment.node.selection_set, keys)?;
                }
                Selection::FragmentSpread(spread) => {
                    // An unknown fragment is refused by validation. A cycle of fragments
                    // has been refused by the recursion depth limit before this walk.
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        self.walk(&fragment.node.selection_set, keys)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Refuses text holding a NUL character: PostgreSQL cannot store one in `text`, and no field of
/// the portal needs one, so it is bad input rather than a database error.
///
/// # Errors
/// `BAD_USER_INPUT` when a string in `value` holds `\0`.
pub fn refuse_nul(value: &impl serde::Serialize, pos: async_graphql::Pos) -> ServerResult<()> {
    fn holds_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(text) => text.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(holds_nul),
            serde_json::Value::Object(fields) => fields
                .iter()
                .any(|(key, value)| key.contains('\0') || holds_nul(value)),
            _ => false,
        }
    }
    if serde_json::to_value(value).is_ok_and(|value| holds_nul(&value)) {
        return Err(refusal(
            "Text may not contain the NUL character (\\u0000).".to_owned(),
            Some(pos),
        ));
    }
    Ok(())
}

/// The document checks, once it is parsed.
///
/// # Errors
/// `BAD_USER_INPUT` naming the limit the document goes over.
pub fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    check_operations(document).map(|_| ())
}

/// Walks every operation of `document`; whether any selects `__schema`.
fn check_operations(document: &ExecutableDocument) -> ServerResult<bool> {
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values().collect(),
    };
    let mut introspection = false;
    for operation in operations {
        if operation.node.directives.len() > MAX_DIRECTIVES {
            return Err(refusal(
                format!(
                    "Too many directives: at most {MAX_DIRECTIVES} are accepted on an \
                     operation."
                ),
                Some(operation.pos),
            ));
        }
        let mut walker = Walker {
            document,
            fields: 0,
            introspection: false,
        };
        walker.walk(&operation.node.selection_set, &mut HashMap::new())?;
        introspection |= walker.introspection;
    }
    Ok(introspection)
}

/// The checks of a parsed document and its variables; in production, `__schema` is refused
/// with an error (async-graphql's own switch answers `__schema: null`, which does not tell a
/// client why). `__type(name:)` stays `null` for every name, known or not, which tells a prober
/// nothing and lets generic clients (the `graphql-http` audit among them) ask it.
///
/// # Errors
/// `BAD_USER_INPUT` naming the limit the document goes over, or the NUL in a variable;
/// `FORBIDDEN` for introspection in production.
pub(super) fn check_parsed(
    document: &ExecutableDocument,
    variables: &Variables,
    exposure: super::Exposure,
) -> ServerResult<()> {
    refuse_nul(variables, async_graphql::Pos::default())?;
    if check_operations(document)? && exposure == super::Exposure::Production {
        let mut error = ServerError::new("Introspection is off on this server.", None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code::FORBIDDEN);
        return Err(error);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn check(query: &str) -> ServerResult<()> {
        check_length(query)?;
        check_document(&parse_query(query).expect("a valid document"))
    }

    fn message(query: &str) -> String {
        check(query).expect_err("refused").message
    }

    #[test]
    fn nesting_is_counted_outside_strings_and_comments_only() {
        let deep = |open: &str, close: &str, levels: usize| {
            format!(
                "{{ a(x: {}1{}) }}",
                open.repeat(levels),
                close.repeat(levels)
            )
        };
        // The field's own braces and the argument's parentheses are two levels.
        assert!(check_nesting(&deep("{a:", "}", MAX_NESTING - 2)).is_ok());
        assert!(check_nesting(&deep("{a:", "}", MAX_NESTING - 1)).is_err());
        assert!(check_nesting(&deep("[", "]", MAX_NESTING - 1)).is_err());
        assert!(check_nesting(&deep("{a:[", "]}", MAX_NESTING / 2)).is_err());

        let brackets = "{[(".repeat(MAX_NESTING);
        for quoted in [
            format!("{{ a(x: \"{brackets}\") }}"),
            format!("{{ a(x: \"\\\"{brackets}\") }}"),
            format!("{{ a(x: \"\"\"{brackets}\\\"\"\"{brackets}\"\"\") }}"),
            format!("{{ a # {brackets}\n }}"),
        ] {
            assert!(check_nesting(&quoted).is_ok(), "{quoted}");
        }
        // Real brackets after a string or comment that looks like it closes them still count.
        for hidden in [
            format!("{{ a(x: \"}}}}\\\"\") {} }}", "{".repeat(MAX_NESTING)),
            format!(
                "{{ a(x: \"\"\"}}\\\"\"\"}}\"\"\") {} }}",
                "{".repeat(MAX_NESTING)
            ),
            format!("# }}}}\r{}", "[".repeat(MAX_NESTING + 1)),
        ] {
            assert!(check_nesting(&hidden).is_err(), "{hidden}");
        }
    }

    #[test]
    fn string_literals_are_found_outside_comments() {
        assert!(holds_string_literal(r#"{ a(x: "Gulnora") }"#));
        assert!(holds_string_literal("{ a(x: \"\"\"notes\"\"\") }"));
        assert!(!holds_string_literal(
            "query($x: String) { a(x: $x) # \"no\"\n }"
        ));
        assert!(!holds_string_literal("{ a(x: 1, y: ENUM) { b } }"));
    }

    #[test]
    fn json_nesting_is_counted_outside_strings() {
        let deep = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        assert!(!json_nests_too_deeply(deep(MAX_NESTING).as_bytes()));
        assert!(json_nests_too_deeply(deep(MAX_NESTING + 1).as_bytes()));
        let quoted = format!("{{\"a\": \"\\\"{}\"}}", "[".repeat(100));
        assert!(!json_nests_too_deeply(quoted.as_bytes()));

        let value = (0..MAX_NESTING).fold(async_graphql::Value::from(1), |value, _| {
            async_graphql::Value::List(vec![value])
        });
        assert!(check_value_nesting([&value], "The variables nest").is_ok());
        let deeper = async_graphql::Value::List(vec![value]);
        let refused = check_value_nesting([&deeper], "The variables nest").expect_err("too deep");
        assert!(refused.message.contains("The variables nest too deeply"));
    }

    #[test]
    fn a_nul_character_in_a_literal_is_refused() {
        let refused =
            message(r#"{ events(first: 5, filter: { district: "Rasht\u0000" }) { totalCount } }"#);
        assert!(refused.contains("NUL"), "{refused}");
        assert!(
            check(r#"{ events(first: 5, filter: { district: "Rasht" }) { totalCount } }"#).is_ok()
        );
    }

    #[test]
    fn counts_aliases_across_fragments_of_one_selection_set() {
        let aliases = |count: usize| {
            (0..count)
                .map(|index| format!("a{index}: projects {{ totalCount }}"))
                .collect::<Vec<_>>()
        };
        let within = aliases(MAX_ALIASES).join(" ");
        assert!(check(&format!("{{ {within} }}")).is_ok());

        let half = aliases(MAX_ALIASES + 1);
        let (first, second) = half.split_at(10);
        let spread = format!(
            "{{ {} ...F }} fragment F on Query {{ {} }}",
            first.join(" "),
            second.join(" ")
        );
        assert!(message(&spread).contains("`projects`"));
        let inline = format!("{{ {} ... {{ {} }} }}", first.join(" "), second.join(" "));
        assert!(message(&inline).contains("aliases"));
    }

    #[test]
    fn the_same_alias_in_different_selection_sets_is_counted_apart() {
        let set = (0..MAX_ALIASES)
            .map(|index| format!("a{index}: title"))
            .collect::<Vec<_>>()
            .join(" ");
        let query = format!("{{ project(id: \"x\") {{ {set} }} event(id: \"x\") {{ {set} }} }}");
        assert!(check(&query).is_ok());
    }

    #[test]
    fn counts_fields_with_fragments_expanded() {
        let copies = "title ".repeat(MAX_SELECTIONS + 1);
        assert!(message(&format!("{{ {copies} }}")).contains("too many fields"));

        // 4 fragments each spreading the next twice: 2^4 × 20 fields from a short text.
        let mut query = String::from("{ ...F0 }");
        for level in 0..4 {
            let next = level + 1;
            query.push_str(&format!(
                " fragment F{level} on Query {{ ...F{next} ...F{next} }}"
            ));
        }
        query.push_str(&format!(
            " fragment F4 on Query {{ {} }}",
            "me { id } ".repeat(10)
        ));
        assert!(message(&query).contains("too many fields"));
    }

    #[test]
    fn refuses_a_long_document_before_parsing() {
        let long = format!("{{ me {{ id }} }}{}", " ".repeat(MAX_DOCUMENT_CHARS));
        assert!(message(&long).contains("too long"));
        // Characters, not bytes.
        let cyrillic = format!(
            "# {}\n{{ me {{ id }} }}",
            "я".repeat(MAX_DOCUMENT_CHARS - 20)
        );
        assert!(check(&cyrillic).is_ok());
    }

    #[test]
    fn refuses_many_directives_on_fragments() {
        let directives = "@include(if: true) ".repeat(MAX_DIRECTIVES + 1);
        assert!(
            message(&format!("{{ ... {directives} {{ me {{ id }} }} }}")).contains("directives")
        );
    }

    #[test]
    fn graphiql_introspection_fits() {
        let fields = |set: &str| set.to_owned();
        let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name \
                        ofType { kind name ofType { kind name ofType { kind name ofType { kind \
                        name } } } } } } }";
        let query = format!(
            "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} \
             subscriptionType {{ name }} types {{ ...FullType }} directives {{ name description \
             locations args {{ ...InputValue }} }} }} }} \
             fragment FullType on __Type {{ kind name description fields(includeDeprecated: \
             true) {{ name description args {{ ...InputValue }} type {{ ...TypeRef }} \
             isDeprecated deprecationReason }} inputFields {{ ...InputValue }} interfaces {{ \
             ...TypeRef }} enumValues(includeDeprecated: true) {{ name description isDeprecated \
             deprecationReason }} possibleTypes {{ ...TypeRef }} }} \
             fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} \
             defaultValue }} \
             fragment TypeRef on __Type {{ {} }}",
            fields(type_ref)
        );
        assert!(check(&query).is_ok(), "{:?}", check(&query));
    }
}
