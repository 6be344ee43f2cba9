//! The store of persisted query documents, by the SHA-256 of their text: those clients
//! register through Apollo's automatic persisted queries (see `graphql::persisted_queries` for
//! the protocol) and the operator's allow-list (`portal persisted-queries add`).
//!
//! The documents live in the database, so that a hash registered through one server process is
//! known to all (a client's second request may reach another process). A document never
//! changes under its hash, so each process keeps the ones it serves in a small cache and asks
//! the database only for hashes it has not seen.
//!
//! Bounds: a document longer than [`MAX_DOCUMENT_CHARS`] is never stored; clients' documents
//! are stored only once they have parsed and validated (the GraphQL layer calls
//! [`PersistedQueries::register`] from its validation hook); and registered documents are
//! capped at `PORTAL_PERSISTED_QUERIES_MAX`, the least recently used evicted first. Listed
//! documents are the operator's and are never evicted.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::Utc;
use entity::persisted_query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// The longest query document accepted, in characters, whether sent or stored (the GraphQL
/// layer's limits use it too). The portal's largest query (the project list with partners and
/// events) is under 500; GraphiQL's introspection query under 2,000.
pub const MAX_DOCUMENT_CHARS: usize = 20_000;

/// The default of `PORTAL_PERSISTED_QUERIES_MAX`. The portal's frontends send a few dozen
/// operations; several releases of them side by side stay far below this. At the longest
/// document accepted the table stays under 20 MB.
pub const DEFAULT_MAX_REGISTERED: u64 = 1_000;

/// Documents each process keeps in memory (at most about 5 MB at the longest document).
const CACHE_ENTRIES: usize = 256;

/// How often a process records that a document is still in use: `last_used_at` only orders
/// eviction, so an hour's precision spares the database a write per request.
const TOUCH_INTERVAL: Duration = Duration::from_secs(3600);

/// How persisted queries are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersistedQuerySettings {
    /// Serve listed documents only, by hash (`PORTAL_PERSISTED_QUERIES_ONLY`): no query
    /// texts, no registration.
    pub only_listed: bool,
    /// The most documents clients may register (`PORTAL_PERSISTED_QUERIES_MAX`).
    pub max_registered: u64,
}

impl Default for PersistedQuerySettings {
    fn default() -> Self {
        Self {
            only_listed: false,
            max_registered: DEFAULT_MAX_REGISTERED,
        }
    }
}

/// A SHA-256 in lower-case hex, as the store keys documents.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueryHash(String);

impl QueryHash {
    /// The hash of `document`'s text, byte for byte.
    pub fn of(document: &str) -> Self {
        Self(format!("{:x}", Sha256::digest(document.as_bytes())))
    }

    /// A hash as a client sends it: 64 hex digits, in either case.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .then(|| Self(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What every clone of [`super::Services`] shares: the settings and the cache.
#[derive(Debug, Default)]
pub(crate) struct PersistedQueryState {
    settings: PersistedQuerySettings,
    cache: Mutex<HashMap<QueryHash, Cached>>,
}

impl PersistedQueryState {
    pub(crate) fn new(settings: PersistedQuerySettings) -> Self {
        Self {
            settings,
            cache: Mutex::default(),
        }
    }
}

#[derive(Debug)]
struct Cached {
    document: Arc<str>,
    listed: bool,
    /// When this process last served it (the cache's own eviction order).
    used: Instant,
    /// When this process last wrote `last_used_at`.
    touched: Instant,
}

/// The persisted query store.
pub struct PersistedQueries<'a> {
    pub(super) db: &'a crate::db::Db,
    pub(super) state: &'a PersistedQueryState,
}

impl PersistedQueries<'_> {
    /// Whether only listed documents are served (`PORTAL_PERSISTED_QUERIES_ONLY`).
    pub fn only_listed(&self) -> bool {
        self.state.settings.only_listed
    }

    /// The document stored under `hash` (only a listed one when [`Self::only_listed`]).
    ///
    /// # Errors
    /// Database errors.
    pub async fn find(&self, hash: &QueryHash) -> ApiResult<Option<Arc<str>>> {
        let only_listed = self.only_listed();
        let (document, stale) = {
            let mut cache = self.cache();
            match cache.get_mut(hash) {
                // A document listed since this process cached it is looked up again.
                Some(cached) if cached.listed || !only_listed => {
                    cached.used = Instant::now();
                    let stale = cached.touched.elapsed() >= TOUCH_INTERVAL;
                    if stale {
                        cached.touched = Instant::now();
                    }
                    (Some(cached.document.clone()), stale)
                }
                _ => (None, false),
            }
        };
        if let Some(document) = document {
            if stale {
                self.touch(hash).await;
            }
            return Ok(Some(document));
        }
        let mut select = persisted_query::Entity::find_by_id(hash.as_str());
        if only_listed {
            select = select.filter(persisted_query::Column::Listed.eq(true));
        }
        let Some(row) = select.one(self.db).await? else {
            return Ok(None);
        };
        let document: Arc<str> = row.document.into();
        let untouched = (Utc::now() - row.last_used_at)
            .to_std()
            .is_ok_and(|age| age >= TOUCH_INTERVAL);
        self.remember(hash, document.clone(), row.listed);
        if untouched {
            self.touch(hash).await;
        }
        Ok(Some(document))
    }

    /// Stores a client's `document` under its hash, once it has parsed and validated, then
    /// evicts the least recently used registered documents over the cap. Nothing is stored
    /// when only listed documents are served, or when the document is too long.
    ///
    /// # Errors
    /// Database errors.
    pub async fn register(&self, document: &str) -> ApiResult<QueryHash> {
        let hash = QueryHash::of(document);
        if self.only_listed() || document.chars().count() > MAX_DOCUMENT_CHARS {
            return Ok(hash);
        }
        self.insert(&hash, document, false).await?;
        self.evict().await?;
        self.remember(&hash, document.into(), false);
        Ok(hash)
    }

    /// Puts `document` on the operator's list (`portal persisted-queries add`); a document
    /// a client registered before becomes listed. Returns its hash.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for a document longer than [`MAX_DOCUMENT_CHARS`]; database errors.
    pub async fn add_listed(&self, document: &str) -> ApiResult<QueryHash> {
        if document.chars().count() > MAX_DOCUMENT_CHARS {
            return Err(ApiError::bad_input(
                "document",
                format!(
                    "The document is longer than {MAX_DOCUMENT_CHARS} characters, the most \
                     the server accepts."
                ),
            ));
        }
        let hash = QueryHash::of(document);
        self.insert(&hash, document, true).await?;
        Ok(hash)
    }

    /// Inserts the row; a row already under `hash` holds the same text and stays, listed if
    /// `listed` asks.
    async fn insert(&self, hash: &QueryHash, document: &str, listed: bool) -> ApiResult<()> {
        let now = Utc::now();
        let row = persisted_query::ActiveModel {
            hash: Set(hash.as_str().to_owned()),
            document: Set(document.to_owned()),
            listed: Set(listed),
            created_at: Set(now),
            last_used_at: Set(now),
        };
        let mut conflict = OnConflict::column(persisted_query::Column::Hash);
        if listed {
            conflict.update_column(persisted_query::Column::Listed);
        } else {
            conflict.update_column(persisted_query::Column::LastUsedAt);
        }
        persisted_query::Entity::insert(row)
            .on_conflict(conflict.to_owned())
            .exec_without_returning(self.db)
            .await?;
        Ok(())
    }

    /// Deletes the least recently used registered documents over the cap. Two processes
    /// registering at once may each delete; the table ends at the cap or a little under.
    async fn evict(&self) -> ApiResult<()> {
        let registered = persisted_query::Entity::find()
            .filter(persisted_query::Column::Listed.eq(false))
            .count(self.db)
            .await?;
        let max = self.state.settings.max_registered;
        if registered <= max {
            return Ok(());
        }
        let oldest: Vec<String> = persisted_query::Entity::find()
            .select_only()
            .column(persisted_query::Column::Hash)
            .filter(persisted_query::Column::Listed.eq(false))
            .order_by_asc(persisted_query::Column::LastUsedAt)
            .order_by_asc(persisted_query::Column::Hash)
            .limit(registered - max)
            .into_tuple()
            .all(self.db)
            .await?;
        persisted_query::Entity::delete_many()
            .filter(persisted_query::Column::Hash.is_in(oldest))
            .filter(persisted_query::Column::Listed.eq(false))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Records that `hash` is in use. A failure costs only eviction order, so it is logged
    /// and the request goes on.
    async fn touch(&self, hash: &QueryHash) {
        let update = persisted_query::Entity::update_many()
            .col_expr(
                persisted_query::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(persisted_query::Column::Hash.eq(hash.as_str()))
            .exec(self.db)
            .await;
        if let Err(error) = update {
            tracing::warn!(error = %error, "could not record the use of a persisted query");
        }
    }

    fn remember(&self, hash: &QueryHash, document: Arc<str>, listed: bool) {
        let mut cache = self.cache();
        if cache.len() >= CACHE_ENTRIES && !cache.contains_key(hash) {
            let least_used = cache
                .iter()
                .min_by_key(|(_, cached)| cached.used)
                .map(|(hash, _)| hash.clone());
            if let Some(least_used) = least_used {
                cache.remove(&least_used);
            }
        }
        let now = Instant::now();
        cache.insert(
            hash.clone(),
            Cached {
                document,
                listed,
                used: now,
                touched: now,
            },
        );
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<QueryHash, Cached>> {
        // The map is whole after any panic (each change is one call), so a poisoned lock is
        // still usable.
        self.state
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_64_hex_digits_kept_in_lower_case() {
        let hash = QueryHash::of("{ __typename }");
        assert_eq!(hash.as_str().len(), 64);
        assert_eq!(
            QueryHash::parse(&hash.as_str().to_ascii_uppercase()),
            Some(hash.clone())
        );
        assert_eq!(QueryHash::parse(&hash.as_str()[1..]), None);
        assert_eq!(QueryHash::parse(&format!("{}g", &hash.as_str()[1..])), None);
        // The SHA-256 of the empty text, as every implementation spells it.
        assert_eq!(
            QueryHash::of("").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
