//! The single-use links of invitation and reset mails, as their recipients find them: in the
//! outbox (for a server whose sender does not run during the test) or in the `.eml` files of
//! a development server.

use std::{path::Path, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use entity::mail_outbox;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// The secret after `#token=` in a mail's text.
pub fn secret_in(text: &str) -> Option<String> {
    let rest = text.split("#token=").nth(1)?;
    let secret: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!secret.is_empty()).then_some(secret)
}

/// The latest mail in the outbox to `to` that holds a link: its subject and its secret.
pub async fn latest_link(db: &DatabaseConnection, to: &str) -> Option<(String, String)> {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Recipient.eq(to))
        .filter(mail_outbox::Column::HoldsLink.eq(true))
        .order_by_desc(mail_outbox::Column::Id)
        .all(db)
        .await
        .expect("the outbox")
        .into_iter()
        .find_map(|mail| secret_in(&mail.body).map(|secret| (mail.subject, secret)))
}

/// The secret of the link mailed to `to` as a `.eml` file in `dir`; waits up to ten seconds
/// for the file.
pub async fn link_in_mail_dir(dir: &Path, to: &str) -> String {
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                if !text.lines().any(|line| line == format!("To: {to}")) {
                    continue;
                }
                let body: String = text
                    .split_once("\r\n\r\n")
                    .map(|(_, body)| body)
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect();
                let decoded = STANDARD.decode(body).unwrap_or_default();
                if let Some(secret) = secret_in(&String::from_utf8_lossy(&decoded)) {
                    return secret;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no link mailed to {to} in {}", dir.display());
}
