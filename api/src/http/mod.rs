//! HTTP concerns shared by the handlers. The handlers themselves are still in `startup.rs`.

pub mod cors;
pub mod exports;
pub mod graphiql;
pub mod idempotency;
pub mod proxies;
pub mod response;
pub mod ws;
