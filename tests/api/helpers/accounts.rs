//! Accounts for tests: written straight into the database (as an admin would create them), then
//! signed in through the API.

use api::{auth::password, services::accounts::FreshAccount};
use chrono::Utc;
use entity::{
    account,
    enums::{Language, Role},
};
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;

/// A signed-in test user.
pub struct User {
    pub account: account::Model,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub const LOGIN: &str = r"
mutation($email: String!, $password: String!, $totpCode: String) {
  login(email: $email, password: $password, totpCode: $totpCode) {
    accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt
    mustChangePassword mustEnrolTwoFactor
    account { id email role }
  }
}";

impl TestApp {
    /// An active account with a known password, not signed in.
    pub async fn account(
        &self,
        role: Role,
        organisation_id: Option<Uuid>,
    ) -> (account::Model, String) {
        let id = Uuid::now_v7();
        let password = format!("Correct-Horse-{}", id.simple());
        let hash = password::hash_trusted(password.clone().into())
            .await
            .expect("hash");
        let now = Utc::now();
        let account = FreshAccount {
            email: format!("{}@test.example.tj", id.simple()),
            display_name: format!("Test {role:?}"),
            role,
            organisation_id,
            preferred_language: Language::En,
            password_hash: hash,
            must_change_password: false,
        }
        .row(id, now)
        .into_active_model()
        .insert(&self.db)
        .await
        .expect("insert account");
        (account, password)
    }

    /// The response to a login.
    pub async fn login(&self, email: &str, password: &str, totp_code: Option<&str>) -> Value {
        self.graphql(
            LOGIN,
            json!({ "email": email, "password": password, "totpCode": totp_code }),
        )
        .await
    }

    /// A new account of `role`, signed in.
    pub async fn user(&self, role: Role, organisation_id: Option<Uuid>) -> User {
        let (account, password) = self.account(role, organisation_id).await;
        let response = self.login(&account.email, &password, None).await;
        let session = &response["data"]["login"];
        assert!(session.is_object(), "login failed: {response:#}");
        User {
            access_token: session["accessToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            refresh_token: session["refreshToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            account,
            password,
        }
    }
}
