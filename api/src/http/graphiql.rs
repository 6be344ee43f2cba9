//! The development GraphiQL page, with its scripts and styles served from the binary so that it
//! works with no internet: pinned copies from the npm registry live in `api/assets/graphiql/`,
//! whose README says where each came from and how to update them. Production serves none of it.

use std::sync::LazyLock;

use actix_web::{
    HttpRequest, HttpResponse, guard,
    http::{StatusCode, header},
    web,
};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::error::code;

/// `GET /graphql` and `GET /graphql/assets/{name}`, in development only: elsewhere the paths
/// are not routes at all (`404`).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/graphql",
            web::get()
                .guard(development())
                .guard(guard::fn_guard(|ctx| accepts_html(ctx.head())))
                .to(page),
        )
        .route(
            "/graphql/assets/{name}",
            web::get().guard(development()).to(asset),
        );
}

/// Whether a `GET /graphql` asks for the GraphiQL page: a browser's (`Accept` naming
/// `text/html`) or one that names no JSON type; a client asking for JSON (a query in the
/// query string) gets `405` in JSON instead, as queries are served over `POST` only.
fn accepts_html(head: &actix_web::dev::RequestHead) -> bool {
    let accept = head
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    accept.contains("text/html") || !accept.contains("json")
}

fn development() -> impl guard::Guard {
    guard::fn_guard(|ctx| {
        ctx.app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.development)
    })
}

/// The page, with `{style-nonce}` for each answer's nonce. Every reference is relative
/// (`graphql/assets/…`), so that the page also works behind a proxy that serves the API under
/// a path.
const PAGE: &str = include_str!("../../assets/graphiql/graphiql.html");

/// A file the page loads.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Third-party files carry their version in their name, so a browser may keep them for a
    /// year; our own start script keeps its name across changes and is revalidated instead.
    versioned: bool,
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

const ASSETS: [Asset; 5] = [
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react-18.3.1.production.min.js"),
        versioned: true,
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react-dom-18.3.1.production.min.js"),
        versioned: true,
    },
    Asset {
        name: "graphiql-4.1.2.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/graphiql-4.1.2.min.js"),
        versioned: true,
    },
    Asset {
        name: "graphiql-4.1.2.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/graphiql-4.1.2.min.css"),
        versioned: true,
    },
    Asset {
        name: "start-graphiql.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/start-graphiql.js"),
        versioned: false,
    },
];

/// Each asset's `ETag` (a digest of its bytes, in `ASSETS` order), computed on the first asset
/// request rather than at start-up, which production never makes.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            format!(
                "\"{}\"",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18])
            )
        })
        .collect()
});

/// The page's policy: scripts, styles and connections to this server only. Fonts and a few
/// images are `data:` URLs inside GraphiQL's style sheet. The one inline style allowed is the
/// one GraphiQL adds while a dialog is open, which carries `style_nonce` (see
/// `start-graphiql.js`). `'self'` covers `ws:`/`wss:` to the same host in CSP level 3; `host`
/// (the request's) is named too for browsers that read the older rule, when it is a plain host
/// name, so that no `Host` header can add a rule of its own.
fn content_security_policy(host: &str, style_nonce: Option<&str>) -> String {
    let plain = !host.is_empty()
        && host
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-.:[]".contains(character));
    let sockets = if plain {
        format!(" ws://{host} wss://{host}")
    } else {
        String::new()
    };
    let nonce = style_nonce.map_or_else(String::new, |nonce| format!(" 'nonce-{nonce}'"));
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'{nonce}; font-src data:; \
         img-src 'self' data:; connect-src 'self'{sockets}; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'none'"
    )
}

/// A nonce for one answer: 128 random bits, base64url (which CSP's `base64-value` allows). Not
/// the standard alphabet: its `/` made the page hold `//` now and then, which reads like an
/// address. Without random numbers the page goes without (GraphiQL works; its dialogs' scroll
/// lock is refused).
fn style_nonce() -> Option<String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)
        .ok()
        .map(|()| base64::engine::general_purpose::URL_SAFE.encode(bytes))
}

/// `GET /graphql` in development: the GraphiQL page (whatever the query string says: a query
/// is never executed over `GET`).
async fn page(http: HttpRequest) -> HttpResponse {
    let nonce = style_nonce();
    let policy = content_security_policy(http.connection_info().host(), nonce.as_deref());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .body(PAGE.replace("{style-nonce}", nonce.as_deref().unwrap_or_default()))
}

/// `GET /graphql/assets/{name}`: one of [`ASSETS`], or `304` when the browser's copy is
/// current.
async fn asset(name: web::Path<String>, http: HttpRequest) -> HttpResponse {
    let Some((index, asset)) = ASSETS
        .iter()
        .enumerate()
        .find(|(_, asset)| asset.name == name.as_str())
    else {
        return super::errors::refusal(
            super::response::MediaType::Json,
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            "No such GraphiQL file.",
        );
    };
    let etag = ETAGS.get(index).map_or("", String::as_str);
    let cache_control = if asset.versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let current = http
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == etag || tag == "*")
        });
    let mut answer = if current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control));
    if current {
        answer.finish()
    } else {
        answer.content_type(asset.content_type).body(asset.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_served_and_every_served_file_is_named() {
        for asset in &ASSETS {
            assert!(
                PAGE.contains(&format!("\"graphql/assets/{}\"", asset.name)),
                "{}",
                asset.name
            );
        }
        assert_eq!(PAGE.matches("graphql/assets/").count(), ASSETS.len());
    }

    #[test]
    fn the_policy_names_a_plain_host_and_the_nonce_only() {
        let policy = content_security_policy("127.0.0.1:8080", Some("bm9uY2U="));
        assert!(
            policy.contains("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;"),
            "{policy}"
        );
        assert!(
            policy.contains("style-src 'self' 'nonce-bm9uY2U=';"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe"), "{policy}");
        for host in ["", "evil.example; script-src *", "a b"] {
            let policy = content_security_policy(host, None);
            assert!(policy.contains("connect-src 'self';"), "{policy}");
            assert!(policy.contains("style-src 'self';"), "{policy}");
            assert!(!policy.contains("script-src *"), "{policy}");
        }
    }

    #[test]
    fn each_page_has_a_new_style_nonce() {
        let (first, second) = (style_nonce(), style_nonce());
        assert!(first.as_ref().is_some_and(|nonce| nonce.len() >= 22));
        assert_ne!(first, second);
    }
}
