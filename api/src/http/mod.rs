//! HTTP concerns shared by the handlers. The handlers themselves are still in `startup.rs`.

pub mod idempotency;
pub mod response;
