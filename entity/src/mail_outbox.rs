//! One message of the mail outbox: written in the transaction of the change that causes it,
//! claimed for a while (`claimed_until`) by the delivery loop of one server process, and kept
//! once sent. Its text carries a case code and what happened, never a survivor's data.

use sea_orm::entity::prelude::*;

use crate::enums::Language;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    /// UUIDv7: its time order is the order of enqueueing, and the message's `Message-ID` is
    /// derived from it, so that a resend after a crash is recognisably the same message.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The recipient's address.
    #[sea_orm(column_type = "String(StringLen::N(254))")]
    pub recipient: String,
    /// The language the subject and body are written in (the recipient's preferred one).
    pub language: Language,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
    /// Sending attempts so far, the successful one included.
    pub attempts: i32,
    /// Not sent before this (the backoff after a failure).
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The kind of the last failure (`connect`, `timeout`, `rejected`, ...), never its text.
    #[sea_orm(column_type = "String(StringLen::N(32))", nullable)]
    pub last_error: Option<String>,
    /// A sender holds the row until then; a crashed sender's claim runs out.
    pub claimed_until: Option<DateTimeUtc>,
    /// The body holds a single-use link (an invitation, a password reset): it is emptied once
    /// the message is sent or given up.
    pub holds_link: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
