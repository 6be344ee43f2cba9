//! Writing the files: formula-safe CSV lines after a UTF-8 byte-order mark, streamed page by
//! page or answered whole; the streaming is shared with the IATI file.

use actix_web::{HttpResponse, http::header, web::Bytes};
use futures_util::{Stream, StreamExt, stream};

use crate::{
    error::{ApiError, ApiResult},
    services::pagination::{Cursor, Page},
};

/// `body` as a response body: an error part way cuts the connection.
pub(super) fn streamed(
    body: impl Stream<Item = Result<Bytes, ApiError>> + 'static,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> + 'static {
    body.map(|chunk| {
        chunk.map_err(|error| {
            // The status is sent already: cut the connection so the client sees an incomplete
            // download rather than a file that looks whole.
            tracing::error!(code = error.code(), "export stopped part way");
            actix_web::error::ErrorInternalServerError(error.code())
        })
    })
}

/// A CSV file answer streaming `body`.
pub(super) fn csv_response(
    file_name: &str,
    body: impl Stream<Item = Result<Bytes, ApiError>> + 'static,
) -> HttpResponse {
    let body = streamed(body);
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// A cell as a spreadsheet will show it, never as a formula.
pub fn safe_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// CSV lines of `records`, formula-safe.
pub(super) fn csv_lines<I, R>(records: I) -> ApiResult<Bytes>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        let cells: Vec<String> = record
            .into_iter()
            .map(|cell| safe_cell(&cell).into_owned())
            .collect();
        writer
            .write_record(&cells)
            .map_err(|error| ApiError::Internal(error.into()))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("{error}")))
}

/// The start of a file: the byte-order mark (so that spreadsheets read UTF-8), then `records`.
pub(super) fn file_start<I, R>(records: I) -> ApiResult<Bytes>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(&csv_lines(records)?);
    Ok(Bytes::from(bytes))
}

/// The byte-order mark and the header line.
pub(super) fn head(columns: &[&str]) -> ApiResult<Bytes> {
    file_start([columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()])
}

/// The cursor to fetch the page after `page` from, if there is one.
pub(super) fn next_cursor<T>(page: &Page<T>) -> Option<Cursor> {
    page.has_next_page
        .then(|| page.items.last().map(|(cursor, _)| cursor.clone()))
        .flatten()
}

/// Streams the header, then one chunk per page fetched by `page` from the cursor it returns,
/// until it returns none.
pub(super) fn paged<F, Fut>(
    header: Bytes,
    mut page: F,
) -> impl Stream<Item = Result<Bytes, ApiError>>
where
    F: FnMut(Option<Cursor>) -> Fut + 'static,
    Fut: Future<Output = ApiResult<(Bytes, Option<Cursor>)>>,
{
    enum Step {
        Header(Bytes),
        Page(Option<Cursor>),
        Done,
    }
    stream::unfold(Step::Header(header), move |step| {
        let fetch = match &step {
            Step::Page(after) => Some(page(after.clone())),
            Step::Header(_) | Step::Done => None,
        };
        async move {
            match step {
                Step::Header(bytes) => Some((Ok(bytes), Step::Page(None))),
                Step::Page(_) => match fetch?.await {
                    Ok((bytes, Some(cursor))) => Some((Ok(bytes), Step::Page(Some(cursor)))),
                    Ok((bytes, None)) => Some((Ok(bytes), Step::Done)),
                    Err(error) => Some((Err(error), Step::Done)),
                },
                Step::Done => None,
            }
        }
    })
}

/// A file answered in one piece.
pub(super) fn whole(file_name: &str, bytes: Bytes) -> HttpResponse {
    csv_response(file_name, stream::once(async move { Ok(bytes) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_left_alone() {
        for dangerous in [
            "=1+1",
            "+7",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(safe_cell(dangerous), format!("'{dangerous}"));
        }
        for plain in ["Khujand", "", "12", "Женский ресурсный центр", "a=b"] {
            assert_eq!(safe_cell(plain), plain);
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting() -> ApiResult<()> {
        let bytes = csv_lines([vec![
            "a,b".to_owned(),
            "say \"hi\"".to_owned(),
            "two\nlines".to_owned(),
            "=cmd".to_owned(),
        ]])?;
        assert_eq!(
            std::str::from_utf8(&bytes).ok(),
            Some("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",'=cmd\n")
        );
        Ok(())
    }
}
