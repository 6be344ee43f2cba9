//! Paging through a connection both ways, checked against the Relay Cursor Connections
//! specification: the pages read backward from the end are the forward pages in reverse, with
//! the flags and cursors the specification asks for.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::TestApp;

/// A connection field as a test reaches it.
pub struct Listing<'a> {
    /// Whose token, if any.
    pub token: Option<&'a str>,
    /// The query's selection with `PAGE` where the page arguments go and `SELECTION` where the
    /// connection's selection goes, e.g. `projects(orderBy: CODE_ASC, PAGE) SELECTION`.
    pub template: &'a str,
    /// Where the connection is in `data`, e.g. `["project", "events"]`.
    pub path: &'a [&'a str],
}

/// One page as the API answered it.
pub struct Answer {
    pub ids: Vec<String>,
    pub cursors: Vec<String>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    pub start_cursor: Value,
    pub end_cursor: Value,
    pub total_count: u64,
}

impl Listing<'_> {
    fn query(&self) -> String {
        let selection = self
            .template
            .replace(
                "PAGE",
                "first: $first, after: $after, last: $last, before: $before",
            )
            .replace(
                "SELECTION",
                "{ totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } \
                 edges { cursor node { id } } }",
            );
        format!("query($first: Int, $after: String, $last: Int, $before: String) {{ {selection} }}")
    }

    /// The raw response to one page request.
    pub async fn response(&self, app: &TestApp, page: Value) -> Value {
        let query = self.query();
        match self.token {
            Some(token) => app.graphql_as(token, &query, page).await,
            None => app.graphql(&query, page).await,
        }
    }

    /// One page, which must be answered without errors.
    pub async fn page(&self, app: &TestApp, page: Value) -> Answer {
        let response = self.response(app, page.clone()).await;
        assert!(
            response.get("errors").is_none(),
            "{} with {page}: {response:#}",
            self.template
        );
        let connection = self
            .path
            .iter()
            .fold(&response["data"], |value, key| &value[key]);
        let edges = connection["edges"].as_array().cloned().unwrap_or_default();
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        let answer = Answer {
            ids: edges.iter().map(|edge| text(&edge["node"]["id"])).collect(),
            cursors: edges.iter().map(|edge| text(&edge["cursor"])).collect(),
            has_previous_page: connection["pageInfo"]["hasPreviousPage"] == true,
            has_next_page: connection["pageInfo"]["hasNextPage"] == true,
            start_cursor: connection["pageInfo"]["startCursor"].clone(),
            end_cursor: connection["pageInfo"]["endCursor"].clone(),
            total_count: connection["totalCount"].as_u64().unwrap_or(u64::MAX),
        };
        // `startCursor` and `endCursor` are the cursors of the first and last edges.
        let edge_cursor = |cursor: Option<&String>| cursor.map_or(Value::Null, |c| json!(c));
        assert_eq!(answer.start_cursor, edge_cursor(answer.cursors.first()));
        assert_eq!(answer.end_cursor, edge_cursor(answer.cursors.last()));
        answer
    }

    /// Pages forward with `first: size`, then backward from the end with `last: size`, and
    /// checks that the backward pages are the forward ones in reverse (the same ids, none
    /// twice, none missing), with Relay's flags; then pages bounded by cursors taken from the
    /// forward pages (`last`/`before`, `after` with `before`). Returns the ids in the
    /// connection's order.
    ///
    /// The list must hold more than two pages and one row, so that every kind of page is met.
    pub async fn assert_pages_both_ways(&self, app: &TestApp, size: usize) -> Vec<String> {
        let what = self.template;
        let mut forward: Vec<Vec<String>> = Vec::new();
        let mut cursors: Vec<String> = Vec::new();
        let mut after = Value::Null;
        let mut total;
        loop {
            let page = self
                .page(app, json!({ "first": size, "after": after }))
                .await;
            // Forward, a previous page is known from `after` alone.
            assert_eq!(page.has_previous_page, !after.is_null(), "{what}");
            assert!(page.ids.len() <= size, "{what}");
            total = page.total_count;
            cursors.extend(page.cursors.iter().cloned());
            forward.push(page.ids);
            if !page.has_next_page {
                break;
            }
            assert_eq!(forward.last().map(Vec::len), Some(size), "{what}");
            after = page.end_cursor;
        }
        let sequence: Vec<String> = forward.concat();
        let distinct: HashSet<&String> = sequence.iter().collect();
        assert_eq!(distinct.len(), sequence.len(), "{what}: a row twice");
        assert_eq!(Some(total), u64::try_from(sequence.len()).ok(), "{what}");
        assert!(
            sequence.len() > 2 * size + 1,
            "{what}: {} rows are too few to test pages of {size}",
            sequence.len()
        );

        let mut backward: Vec<Vec<String>> = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = self
                .page(app, json!({ "last": size, "before": before }))
                .await;
            // Backward, a next page is known from `before` alone.
            assert_eq!(page.has_next_page, !before.is_null(), "{what}");
            let done = !page.has_previous_page;
            if !done {
                assert_eq!(page.ids.len(), size, "{what}");
            }
            before = page.start_cursor;
            backward.push(page.ids);
            if done {
                break;
            }
        }
        backward.reverse();
        assert_eq!(
            backward.concat(),
            sequence,
            "{what}: backward is not forward"
        );

        // A cursor from a forward page bounds a page either way: the rows just after it, and
        // (`last`/`before`) the rows just before it. Both ends of the list are tried, where a
        // nullable key's keyed rows meet its NULL ones.
        let len = sequence.len();
        let mut indexes = vec![0, 1, size, size + 1, len - 3, len - 2, len - 1];
        indexes.dedup();
        for index in indexes {
            let cursor = &cursors[index];
            let after = self
                .page(app, json!({ "first": size, "after": cursor }))
                .await;
            let end = (index + 1 + size).min(len);
            assert_eq!(after.ids, sequence[index + 1..end], "{what} after {index}");
            assert_eq!(after.has_next_page, end < len, "{what} after {index}");
            let before = self
                .page(app, json!({ "last": size, "before": cursor }))
                .await;
            let start = index.saturating_sub(size);
            assert_eq!(before.ids, sequence[start..index], "{what} before {index}");
            assert_eq!(before.has_previous_page, start > 0, "{what} before {index}");
            assert!(before.has_next_page, "{what} before {index}");
            // The cursors of either direction are the same.
            assert_eq!(
                before.cursors,
                cursors[start..index],
                "{what} before {index}"
            );
        }

        // `after` and `before` together: the rows between, from either end.
        let (from, to) = (1, 2 * size + 1);
        let between = self
            .page(
                app,
                json!({ "first": 100, "after": cursors[from], "before": cursors[to] }),
            )
            .await;
        assert_eq!(between.ids, sequence[from + 1..to], "{what}");
        assert!(
            between.has_previous_page && !between.has_next_page,
            "{what}"
        );
        let tail = self
            .page(
                app,
                json!({ "last": size, "after": cursors[from], "before": cursors[to] }),
            )
            .await;
        assert_eq!(tail.ids, sequence[to - size..to], "{what}");
        assert!(tail.has_previous_page && tail.has_next_page, "{what}");
        sequence
    }
}
