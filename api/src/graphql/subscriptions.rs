//! Live updates over WebSocket (`graphql-transport-ws` at `/graphql/ws`): `referralEvents`
//! delivers each new referral, answer and status change to the users of the organisations
//! party to the case, and to nobody else. The connection signs in once, in `connection_init`
//! (see `http/ws`); each subscription checks that sign-in again when it starts and before
//! each delivery, and ends when the access token expires, so a disabled account or an ended
//! login stops receiving at once and a client renews its token by subscribing again.
//! `notificationAdded` delivers the signed-in account's own new inbox notifications.

use std::collections::VecDeque;

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::notification;
use futures_util::{Stream, stream};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::{common, enums::CaseStatus, notifications::Notification};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult, unauthenticated},
    policy,
    services::{
        Services,
        case_events::{self, CaseEvent},
    },
};

/// Every root subscription field.
#[derive(Default)]
pub struct Subscription;

/// The start of a subscription to a partner's live feed (`field`): signed in, and signed in
/// again through the connection's session, since a later subscription on the same connection
/// may come after the account was disabled or the token expired; a partner account without a
/// pending restriction. Answers the services, the session and the partner's organisation.
async fn start(
    ctx: &Context<'_>,
    field: &str,
) -> async_graphql::Result<(Services, ConnectionSession, Uuid)> {
    let services = common::services(ctx)?.clone();
    common::actor(ctx)?.signed_in()?;
    let session = ctx
        .data::<ConnectionSession>()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("connection session missing")))?
        .clone();
    let actor = session.authenticate(&services).await?;
    let organisation_id = policy::referral_event_recipient(&actor)?;
    policy::check_restriction(&actor, field)?;
    Ok((services, session, organisation_id))
}

#[Subscription]
impl Subscription {
    /// Changes of the referral cases your organisation is party to (as referrer or receiver),
    /// as they are committed: new referrals, answers and status changes. Ids and codes only;
    /// query the case for its details. Partner accounts only. The subscription ends with
    /// `UNAUTHENTICATED` when the connection's access token expires or its login ends:
    /// reconnect with a fresh token and subscribe again, then query what changed meanwhile.
    async fn referral_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ReferralEvent>>> {
        let (services, session, organisation_id) = start(ctx, "referralEvents").await?;
        let feed = Feed {
            receiver: services.case_events().subscribe(),
            services,
            session,
            organisation_id,
        };
        Ok(feed.into_stream())
    }

    /// Your own new inbox notifications, as the changes that made them are committed (the
    /// same items as `notifications`, newest last). The case's code and what happened only.
    /// Partner accounts only; ends with `UNAUTHENTICATED` like `referralEvents`.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Notification>>> {
        let (services, session, organisation_id) = start(ctx, "notificationAdded").await?;
        let feed = InboxFeed {
            receiver: services.case_events().subscribe(),
            services,
            session,
            organisation_id,
            pending: VecDeque::new(),
        };
        Ok(feed.into_stream())
    }
}

/// What happened to a case.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "case_events::CaseChange")]
pub enum CaseChange {
    /// Sent to a receiving organisation (a new referral), or referred onward to another one.
    Referred,
    /// The receiving organisation accepted the referral.
    Accepted,
    /// The receiving organisation declined the referral.
    Declined,
    /// The receiving organisation started providing services.
    ServiceStarted,
    /// The case was closed.
    Closed,
    /// The referring organisation withdrew the referral before it was accepted.
    Withdrawn,
    /// The survivor withdrew consent: identifying data erased, case closed.
    ConsentWithdrawn,
    /// The answer deadline passed and the receiving organisation has not answered (again at
    /// the escalation interval while it stays unanswered); the status does not change.
    DeadlinePassed,
}

/// One committed change of a referral case. It carries no survivor data.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReferralEvent {
    pub case_id: ID,
    /// `RC-<year>-<6 digits>`.
    pub code: String,
    pub change: CaseChange,
    /// The case's status after the change.
    pub status: CaseStatus,
    pub at: DateTime<Utc>,
}

impl From<CaseEvent> for ReferralEvent {
    fn from(event: CaseEvent) -> Self {
        Self {
            case_id: common::to_id(event.case_id),
            code: event.code,
            change: event.change.into(),
            status: event.status.into(),
            at: event.at,
        }
    }
}

/// The sign-in of a WebSocket connection, kept in its data so that each subscription can check
/// it again. Anonymous connections have none.
#[derive(Clone)]
pub struct ConnectionSession {
    token: SecretString,
    expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for ConnectionSession {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ConnectionSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The one claim read back from an access token that was verified already.
#[derive(Deserialize)]
struct Expiry {
    exp: i64,
}

impl ConnectionSession {
    /// The session of `token`, which [`crate::services::auth::Auth::authenticate`] accepted.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` if the token carries no readable expiry (it cannot: it was verified).
    pub fn of_verified_token(token: &str) -> ApiResult<Self> {
        // The signature and every claim were checked by `authenticate` just before; this only
        // reads when the token ends.
        let expires_at = jsonwebtoken::dangerous::insecure_decode::<Expiry>(token)
            .ok()
            .and_then(|data| DateTime::from_timestamp(data.claims.exp, 0))
            .ok_or(ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN))?;
        Ok(Self {
            token: SecretString::from(token),
            expires_at,
        })
    }

    /// The actor of this connection now: the same check as every HTTP request.
    async fn authenticate(&self, services: &Services) -> ApiResult<Actor> {
        services
            .auth()
            .authenticate(self.token.expose_secret())
            .await
    }
}

/// One subscriber's events.
struct Feed {
    receiver: broadcast::Receiver<CaseEvent>,
    services: Services,
    session: ConnectionSession,
    organisation_id: Uuid,
}

impl Feed {
    /// The events for this subscriber until the first error, which ends the stream.
    fn into_stream(self) -> impl Stream<Item = async_graphql::Result<ReferralEvent>> {
        stream::unfold(Some(self), |feed| async move {
            let mut feed = feed?;
            let item = feed.next().await?;
            let go_on = item.is_ok();
            Some((
                item.map_err(async_graphql::Error::from),
                go_on.then_some(feed),
            ))
        })
    }

    /// The next event for this subscriber; an error when the sign-in no longer holds; `None`
    /// when the bus is gone.
    async fn next(&mut self) -> Option<ApiResult<ReferralEvent>> {
        let remaining = (self.session.expires_at - Utc::now())
            .to_std()
            .unwrap_or_default();
        let expiry = tokio::time::sleep(remaining);
        tokio::pin!(expiry);
        loop {
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                () = &mut expiry => {
                    return Some(Err(ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN)));
                }
            };
            match received {
                Ok(event) if policy::receives_case_event(&event, self.organisation_id) => {
                    return Some(self.deliverable(event).await);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(skipped)) => tracing::warn!(
                    skipped,
                    organisation_id = %self.organisation_id,
                    "a referralEvents subscriber fell behind and skipped events"
                ),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// `event` if the connection's account may still receive it: the sign-in still holds and
    /// the account still belongs to the organisation subscribed for.
    async fn deliverable(&self, event: CaseEvent) -> ApiResult<ReferralEvent> {
        let actor = self.session.authenticate(&self.services).await?;
        if policy::referral_event_recipient(&actor)? != self.organisation_id {
            return Err(ApiError::Forbidden);
        }
        Ok(event.into())
    }
}

/// One subscriber's inbox: the case events that told its organisation wake it, and it reads
/// its account's rows of that step, so that every delivery is exactly what the inbox holds.
struct InboxFeed {
    receiver: broadcast::Receiver<CaseEvent>,
    services: Services,
    session: ConnectionSession,
    organisation_id: Uuid,
    /// Rows of one step not delivered yet.
    pending: VecDeque<notification::Model>,
}

impl InboxFeed {
    /// The notifications for this subscriber until the first error, which ends the stream.
    fn into_stream(self) -> impl Stream<Item = async_graphql::Result<Notification>> {
        stream::unfold(Some(self), |feed| async move {
            let mut feed = feed?;
            let item = feed.next().await?;
            let go_on = item.is_ok();
            Some((
                item.map_err(async_graphql::Error::from),
                go_on.then_some(feed),
            ))
        })
    }

    /// The next notification; an error when the sign-in no longer holds; `None` when the bus
    /// is gone.
    async fn next(&mut self) -> Option<ApiResult<Notification>> {
        if let Some(row) = self.pending.pop_front() {
            return Some(Ok(Notification(row)));
        }
        let remaining = (self.session.expires_at - Utc::now())
            .to_std()
            .unwrap_or_default();
        let expiry = tokio::time::sleep(remaining);
        tokio::pin!(expiry);
        loop {
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                () = &mut expiry => {
                    return Some(Err(ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN)));
                }
            };
            match received {
                Ok(event) if event.notified.contains(&self.organisation_id) => {
                    match self.rows_of(&event).await {
                        Ok(rows) => self.pending.extend(rows),
                        Err(error) => return Some(Err(error)),
                    }
                    if let Some(row) = self.pending.pop_front() {
                        return Some(Ok(Notification(row)));
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(skipped)) => tracing::warn!(
                    skipped,
                    organisation_id = %self.organisation_id,
                    "a notificationAdded subscriber fell behind and skipped notifications"
                ),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// This account's rows of the step of `event`, if the sign-in still holds and the account
    /// still belongs to the organisation subscribed for.
    async fn rows_of(&self, event: &CaseEvent) -> ApiResult<Vec<notification::Model>> {
        let actor = self.session.authenticate(&self.services).await?;
        if policy::referral_event_recipient(&actor)? != self.organisation_id {
            return Err(ApiError::Forbidden);
        }
        self.services
            .notifications()
            .of_step(&actor, event.case_id, event.at)
            .await
    }
}
