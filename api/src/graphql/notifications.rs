//! The signed-in account's inbox in the API: `notifications` (a Relay connection with
//! `totalCount` and `unreadCount`), `markNotificationsRead`, and the live `notificationAdded`
//! subscription (in [`super::subscriptions`]). A notification names the case by its code (or a
//! centre report by its centre and month) and says what happened, in the request's language;
//! it never carries survivor data.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use entity::notification;

use super::{
    cases::ReferralCase,
    common::{PageRequest, actor, page_args, parse_id, request, services, to_id},
    loaders::{CaseKey, IndicatorPeriodKey, Loaders, ReportKey},
    reports::CentreReport,
};
use crate::{
    error::ApiError,
    services::{notifications as inbox, pagination::Cursor},
};

/// What a notification tells about a case, or about a centre report.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::NotificationKind")]
pub enum NotificationKind {
    /// A case was sent, or referred onward, to your organisation.
    ReferralReceived,
    /// The receiving organisation accepted your organisation's referral.
    ReferralAccepted,
    /// The receiving organisation declined your organisation's referral.
    ReferralDeclined,
    /// The referring organisation withdrew its referral to your organisation.
    ReferralWithdrawn,
    /// The case was referred onward to another organisation.
    ReferredOnward,
    /// The other party closed the case.
    CaseClosed,
    /// The survivor withdrew consent: the identifying data is erased and the case closed.
    ConsentWithdrawn,
    /// The receiving organisation did not answer the referral in time.
    DeadlinePassed,
    /// The Programme Office approved a monthly report of a centre your organisation operates:
    /// its month is locked.
    ReportApproved,
    /// The Programme Office reopened an approved monthly report of a centre your organisation
    /// operates: it may be corrected again.
    ReportReopened,
    /// The Programme Office approved a result your organisation reported for a project's
    /// indicator: its period is locked.
    ResultApproved,
    /// The Programme Office reopened an approved result your organisation reported: it may be
    /// corrected again.
    ResultReopened,
}

/// One item of your inbox: what happened to which case, or to which centre report. It never
/// carries survivor data.
pub struct Notification(pub notification::Model);

/// One item of your inbox: what happened to which case, to which centre report (the
/// `REPORT_*` kinds: then `caseCode` and `case` are null, and `report` names the report), or to
/// which result of a project's indicator (the `RESULT_*` kinds: `indicatorPeriod`). It never
/// carries survivor data.
#[Object]
impl Notification {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// When you marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }

    /// The case's code (`RC-<year>-<6 digits>`), kept even when you may no longer see the case;
    /// null for news about no case (a centre report).
    async fn case_code(&self) -> Option<&str> {
        self.0.case_code.as_deref()
    }

    /// The case as you may see it now; null for news about no case (a centre report), or when
    /// you may not see it (any more), e.g. after it was referred onward away from your
    /// organisation.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<ReferralCase>> {
        let Some(case_id) = self.0.case_id else {
            return Ok(None);
        };
        // One statement for the whole page, under the same visibility as `referralCase`.
        Ok(ctx
            .data::<Loaders>()?
            .load_one(CaseKey(case_id))
            .await?
            .map(ReferralCase))
    }

    /// The centre report the news is about (the `REPORT_*` kinds), as you may read it now;
    /// null for news about a case, or when you may not read the report (any more).
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<CentreReport>> {
        let Some(report_id) = self.0.report_id else {
            return Ok(None);
        };
        // One statement for the whole page, under the same rule as `centreReports`.
        Ok(ctx
            .data::<Loaders>()?
            .load_one(ReportKey(report_id))
            .await?
            .map(CentreReport))
    }

    /// The indicator period whose result the news is about (the `RESULT_*` kinds), as you may
    /// read it now; null for other news, or when you may not read it (any more).
    async fn indicator_period(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::results::IndicatorPeriod>> {
        let Some(period_id) = self.0.period_id else {
            return Ok(None);
        };
        // One statement for the whole page, under the same rule as `indicator`.
        Ok(ctx
            .data::<Loaders>()?
            .load_one(IndicatorPeriodKey(period_id))
            .await?
            .map(super::results::IndicatorPeriod))
    }

    /// What happened, in the request's language: the case's code (or the report's centre and
    /// month) and the news, nothing else.
    async fn message(&self, ctx: &Context<'_>) -> Result<String> {
        let subject = self
            .0
            .case_code
            .as_deref()
            .or(self.0.report_label.as_deref())
            .or(self.0.period_label.as_deref())
            .unwrap_or("—");
        Ok(inbox::message(self.0.kind, subject, request(ctx)?.language))
    }
}

/// Filters of your inbox.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct NotificationFilterInput {
    /// Only unread (`true`) or only read (`false`) notifications.
    pub unread: Option<bool>,
}

/// Extra fields of the inbox connection.
pub struct NotificationTotals {
    total_count: u64,
}

/// Extra fields of the inbox connection.
#[Object]
impl NotificationTotals {
    /// The number of notifications matching the filter, across all pages.
    async fn total_count(&self) -> u64 {
        self.total_count
    }

    /// The number of your unread notifications, whatever the filter.
    async fn unread_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(services(ctx)?
            .notifications()
            .unread_count(actor(ctx)?)
            .await?)
    }
}

/// A page of your inbox.
pub type NotificationConnection = Connection<Cursor, Notification, NotificationTotals>;

/// Root query fields of the inbox.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your own notifications, newest first. Signed-in accounts only.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
        filter: Option<NotificationFilterInput>,
    ) -> Result<NotificationConnection> {
        let actor = actor(ctx)?;
        actor.signed_in()?;
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let filter = inbox::NotificationFilter {
            unread: filter.unwrap_or_default().unread,
        };
        let page = services(ctx)?
            .notifications()
            .list(actor, filter, &args)
            .await?;
        let totals = NotificationTotals {
            // Only read when `totalCount` was selected, and then it was counted.
            total_count: page.total_count.unwrap_or_default(),
        };
        let mut connection =
            Connection::with_additional_fields(page.has_previous_page, page.has_next_page, totals);
        connection.edges = page
            .items
            .into_iter()
            .map(|(cursor, row)| Edge::new(cursor, Notification(row)))
            .collect();
        Ok(connection)
    }
}

/// Root mutation fields of the inbox.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks your own notifications among `ids` read, and answers how many of them were
    /// unread. Ids that are not your notifications (another account's, or none at all) are
    /// ignored without an error, like ones already read: they are never touched, and the answer
    /// does not tell whether they exist. Signed-in accounts only; at most 100 ids.
    async fn mark_notifications_read(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<u64> {
        let actor = actor(ctx)?;
        actor.signed_in()?;
        if ids.len() > MAX_MARKED {
            return Err(
                ApiError::bad_input("ids", "Mark at most 100 notifications at once.").into(),
            );
        }
        let ids = ids
            .iter()
            .map(|id| parse_id(id, "ids"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(services(ctx)?
            .notifications()
            .mark_read(actor, &ids)
            .await?)
    }
}

/// The most ids one `markNotificationsRead` takes (one page of the inbox at most).
const MAX_MARKED: usize = 100;
