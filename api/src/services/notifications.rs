//! The in-app inbox (issue 16): who is told what when a referral case moves, the rows that tell
//! them, and reading and marking them.
//!
//! A notification carries the case's code and what happened, nothing else: never a survivor's
//! name, contact, address, notes, consent scope or comment. The rows of a step are written in
//! the step's own transaction ([`notify`]), so a change that fails or rolls back tells nobody.

use chrono::{DateTime, Utc};
use entity::{
    account,
    enums::{AccountStatus, CaseStatus, Language, NotificationKind},
    notification,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    case_events::CaseChange,
    mail::OutgoingMail,
    pagination::{KeyKind, KeysetOrder, Page, PageArgs},
    values::Email,
};
use crate::{auth::Actor, db, error::ApiResult};

/// One kind of news for some organisations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tell {
    pub kind: NotificationKind,
    pub organisations: Vec<Uuid>,
}

/// The parties of a case around one step, as [`recipients`] needs them.
#[derive(Clone, Debug, Default)]
pub struct StepParties {
    /// The acting account's organisation (none for the Programme Office).
    pub actor: Option<Uuid>,
    pub referrer: Uuid,
    /// The receiving organisation after the step.
    pub receiver: Option<Uuid>,
    /// The receiving organisation before the step.
    pub previous_receiver: Option<Uuid>,
    /// Every organisation ever party to the case (the referrer and every receiver); only read
    /// for a withdrawal of consent.
    pub ever: Vec<Uuid>,
}

/// Who is told what about a step from `from` that made `change`.
///
/// The organisation that acted is never told of its own action: the people who did it know,
/// and their colleagues see it in the case's history. So the ones told are the organisations
/// that did NOT act:
/// - a case sent or referred onward: the (new) receiver gets `REFERRAL_RECEIVED`; on an onward
///   referral the previous receiver and the referrer get `REFERRED_ONWARD`;
/// - accepted, declined: the referrer; withdrawn (by the referrer): the receiver;
/// - closed: the other party; consent withdrawn: every organisation ever party to the case;
/// - a deadline passed (told by the escalation job, no organisation acting): the receiver
///   that has not answered and the referrer;
/// - a start of service tells nobody (the referrer sees it in the case).
pub fn recipients(from: CaseStatus, change: CaseChange, parties: &StepParties) -> Vec<Tell> {
    let mut tells = match change {
        CaseChange::Referred => {
            let mut tells = vec![Tell {
                kind: NotificationKind::ReferralReceived,
                organisations: parties.receiver.into_iter().collect(),
            }];
            if from != CaseStatus::Draft {
                let mut told = vec![parties.referrer];
                told.extend(parties.previous_receiver);
                tells.push(Tell {
                    kind: NotificationKind::ReferredOnward,
                    organisations: told,
                });
            }
            tells
        }
        CaseChange::Accepted => vec![Tell {
            kind: NotificationKind::ReferralAccepted,
            organisations: vec![parties.referrer],
        }],
        CaseChange::Declined => vec![Tell {
            kind: NotificationKind::ReferralDeclined,
            organisations: vec![parties.referrer],
        }],
        CaseChange::Withdrawn => vec![Tell {
            kind: NotificationKind::ReferralWithdrawn,
            organisations: parties.receiver.into_iter().collect(),
        }],
        CaseChange::Closed => {
            let mut told = vec![parties.referrer];
            told.extend(parties.receiver);
            vec![Tell {
                kind: NotificationKind::CaseClosed,
                organisations: told,
            }]
        }
        CaseChange::ConsentWithdrawn => {
            let mut told = vec![parties.referrer];
            told.extend(parties.receiver);
            told.extend(parties.previous_receiver);
            told.extend(parties.ever.iter().copied());
            vec![Tell {
                kind: NotificationKind::ConsentWithdrawn,
                organisations: told,
            }]
        }
        CaseChange::DeadlinePassed => {
            let mut told = vec![parties.referrer];
            told.extend(parties.receiver);
            vec![Tell {
                kind: NotificationKind::DeadlinePassed,
                organisations: told,
            }]
        }
        CaseChange::ServiceStarted => Vec::new(),
    };
    // An organisation told one kind is not told another of the same step.
    let mut seen = Vec::new();
    for tell in &mut tells {
        tell.organisations
            .retain(|organisation| Some(*organisation) != parties.actor);
        tell.organisations.sort();
        tell.organisations.dedup();
        tell.organisations
            .retain(|organisation| !seen.contains(organisation));
        seen.extend(tell.organisations.iter().copied());
    }
    tells.retain(|tell| !tell.organisations.is_empty());
    tells
}

/// What [`notify`] wrote for one account: enough to send that account one mail about it (in
/// its language), and nothing identifying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub preferred_language: Language,
    pub kind: NotificationKind,
    pub case_id: Option<Uuid>,
    pub case_code: Option<String>,
    /// The centre report the news is about, for news about no case.
    pub report_id: Option<Uuid>,
    pub report_label: Option<String>,
    /// The indicator period whose result the news is about, for news about no case.
    pub period_id: Option<Uuid>,
    pub period_label: Option<String>,
    pub at: DateTime<Utc>,
}

impl Notice {
    /// What the news names: the case's code, or the report's centre and month.
    pub fn subject(&self) -> &str {
        self.case_code
            .as_deref()
            .or(self.report_label.as_deref())
            .or(self.period_label.as_deref())
            .unwrap_or("-")
    }
}

/// The case a notification is about.
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    pub case_id: Uuid,
    pub code: &'a str,
}

/// The centre report a notification is about: its id and the words that name it (see
/// [`report_label`]).
#[derive(Clone, Copy, Debug)]
pub struct AboutReport<'a> {
    pub report_id: Uuid,
    pub label: &'a str,
}

/// What a notification about a centre's report of `month` names: the centre's name (English,
/// else the first language present; at most 150 characters) and the month, as
/// `Bokhtar Women's Resource Centre (2026-11)`.
pub fn report_label(centre_name: &entity::Localized, month: chrono::NaiveDate) -> String {
    let name: String = centre_name
        .present()
        .next()
        .unwrap_or("-")
        .chars()
        .take(150)
        .collect();
    format!("{name} ({})", month.format("%Y-%m"))
}

/// How news names an indicator's period: the indicator's title (in its first language, cut to
/// 300 characters) and the period (`2025`, `2025-Q3`).
pub fn result_label(title: &entity::Localized, period: &str) -> String {
    let title: String = title
        .present()
        .next()
        .unwrap_or("-")
        .chars()
        .take(300)
        .collect();
    format!("{title} ({period})")
}

/// The indicator period a notification is about.
#[derive(Clone, Copy, Debug)]
pub struct AboutResult<'a> {
    pub period_id: Uuid,
    pub label: &'a str,
}

/// Writes one notification of `kind` about an indicator's result per ACTIVE account of
/// `organisation` (the organisation that reported it), on `conn` (the transaction of the change
/// it tells about), and returns what it wrote.
///
/// # Errors
/// Database errors.
pub async fn notify_result(
    conn: &impl ConnectionTrait,
    kind: NotificationKind,
    organisation: Uuid,
    about: AboutResult<'_>,
    at: DateTime<Utc>,
) -> Result<Vec<Notice>, DbErr> {
    let tells = [Tell {
        kind,
        organisations: vec![organisation],
    }];
    write(
        conn,
        &tells,
        |notice| {
            notice.period_id = Some(about.period_id);
            notice.period_label = Some(about.label.to_owned());
        },
        at,
    )
    .await
}

/// Writes one notification of `kind` about a centre report per ACTIVE account of
/// `organisation` (the centre's operator), on `conn` (the transaction of the change it tells
/// about), and returns what it wrote. A report's news has no case (`case_id`, `case_code`
/// none).
///
/// # Errors
/// Database errors (the caller's transaction then rolls back, the change with it).
pub async fn notify_report(
    conn: &impl ConnectionTrait,
    kind: NotificationKind,
    organisation: Uuid,
    about: AboutReport<'_>,
    at: DateTime<Utc>,
) -> Result<Vec<Notice>, DbErr> {
    let tells = [Tell {
        kind,
        organisations: vec![organisation],
    }];
    write(
        conn,
        &tells,
        |notice| {
            notice.report_id = Some(about.report_id);
            notice.report_label = Some(about.label.to_owned());
        },
        at,
    )
    .await
}

/// Writes one notification per ACTIVE account of each organisation of `tells`, in one
/// multi-row insert on `conn` (the transaction of the change they tell about), and returns
/// what it wrote.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back, the change with it).
pub async fn notify(
    conn: &impl ConnectionTrait,
    tells: &[Tell],
    about: About<'_>,
    at: DateTime<Utc>,
) -> Result<Vec<Notice>, DbErr> {
    write(
        conn,
        tells,
        |notice| {
            notice.case_id = Some(about.case_id);
            notice.case_code = Some(about.code.to_owned());
        },
        at,
    )
    .await
}

/// The rows of [`notify`] and [`notify_report`]: one per ACTIVE account of each organisation
/// of `tells`, each made what it is about by `about`, in one multi-row insert.
async fn write(
    conn: &impl ConnectionTrait,
    tells: &[Tell],
    about: impl Fn(&mut Notice),
    at: DateTime<Utc>,
) -> Result<Vec<Notice>, DbErr> {
    let organisations: Vec<Uuid> = tells
        .iter()
        .flat_map(|tell| tell.organisations.iter().copied())
        .collect();
    if organisations.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = account::Entity::find()
        .filter(account::Column::OrganisationId.is_in(organisations))
        .filter(account::Column::Status.eq(AccountStatus::Active))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await?;
    let notices: Vec<Notice> = tells
        .iter()
        .flat_map(|tell| {
            accounts
                .iter()
                .filter(|account| {
                    account
                        .organisation_id
                        .is_some_and(|id| tell.organisations.contains(&id))
                })
                .map(|account| {
                    let mut notice = Notice {
                        id: Uuid::now_v7(),
                        account_id: account.id,
                        email: account.email.clone(),
                        preferred_language: account.preferred_language,
                        kind: tell.kind,
                        case_id: None,
                        case_code: None,
                        report_id: None,
                        report_label: None,
                        period_id: None,
                        period_label: None,
                        at,
                    };
                    about(&mut notice);
                    notice
                })
        })
        .collect();
    if notices.is_empty() {
        return Ok(notices);
    }
    notification::Entity::insert_many(notices.iter().map(|notice| {
        sea_orm::IntoActiveModel::into_active_model(notification::Model {
            id: notice.id,
            account_id: notice.account_id,
            kind: notice.kind,
            case_id: notice.case_id,
            case_code: notice.case_code.clone(),
            report_id: notice.report_id,
            report_label: notice.report_label.clone(),
            period_id: notice.period_id,
            period_label: notice.period_label.clone(),
            at: notice.at,
            read_at: None,
        })
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(notices)
}

/// Tells the organisations of `tells` about a case: their members' inbox notifications and one
/// mail per notice, all written on `conn` (the transaction of what they tell about). Answers
/// the organisations told.
///
/// # Errors
/// The database's (the caller's transaction then rolls back, and nobody is told).
pub async fn tell(
    conn: &impl ConnectionTrait,
    tells: Vec<Tell>,
    about: About<'_>,
    at: DateTime<Utc>,
) -> ApiResult<Vec<Uuid>> {
    let notices = notify(conn, &tells, about, at).await?;
    super::mail::enqueue_all(conn, notices.iter().filter_map(mail_for).collect()).await?;
    Ok(tells
        .into_iter()
        .flat_map(|tell| tell.organisations)
        .collect())
}

/// The mail that tells a notice's recipient, in the recipient's language: the same words as
/// the inbox (the case code, or a report's centre and month, and what happened, never a
/// survivor's data) and where to read more. `None` for an account whose stored address no
/// longer parses (it is logged by id).
pub fn mail_for(notice: &Notice) -> Option<OutgoingMail> {
    let Ok(to) = Email::parse(&notice.email) else {
        tracing::warn!(account = %notice.account_id, "no mail for a notice: the account's address does not parse");
        return None;
    };
    let subject = message(notice.kind, notice.subject(), notice.preferred_language);
    let pointer = match (
        notice.preferred_language,
        is_about_report(notice.kind) || is_about_result(notice.kind),
    ) {
        (Language::En, false) => {
            "Sign in to the partner portal to see the case and your notifications."
        }
        (Language::Ru, false) => {
            "Войдите в портал партнёров, чтобы увидеть дело и ваши уведомления."
        }
        (Language::Tg, false) => {
            "Барои дидани парванда ва огоҳиномаҳои худ ба портали шарикон ворид шавед."
        }
        (Language::En, true) => {
            "Sign in to the partner portal to see the figures and your notifications."
        }
        (Language::Ru, true) => {
            "Войдите в портал партнёров, чтобы увидеть данные и ваши уведомления."
        }
        (Language::Tg, true) => {
            "Барои дидани маълумот ва огоҳиномаҳои худ ба портали шарикон ворид шавед."
        }
    };
    Some(OutgoingMail {
        to,
        language: notice.preferred_language,
        body: format!("{subject}\n\n{pointer}\n"),
        subject,
        holds_link: false,
    })
}

/// Whether news of `kind` is about a centre report (and not a case).
pub fn is_about_report(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::ReportApproved | NotificationKind::ReportReopened
    )
}

/// Whether news of `kind` is about an indicator's result (and not a case).
pub fn is_about_result(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::ResultApproved | NotificationKind::ResultReopened
    )
}

/// The text of a notification in `language`: what it is about (`code`: the case's code, or
/// the report's centre and month) and what happened, nothing else.
pub fn message(kind: NotificationKind, code: &str, language: Language) -> String {
    use NotificationKind as K;
    match language {
        Language::En => match kind {
            K::ReferralReceived => format!("Case {code} was referred to your organisation."),
            K::ReferralAccepted => format!("Your referral of case {code} was accepted."),
            K::ReferralDeclined => format!("Your referral of case {code} was declined."),
            K::ReferralWithdrawn => {
                format!("The referral of case {code} to your organisation was withdrawn.")
            }
            K::ReferredOnward => {
                format!("Case {code} was referred onward to another organisation.")
            }
            K::CaseClosed => format!("Case {code} was closed."),
            K::ConsentWithdrawn => format!(
                "The survivor withdrew consent for case {code}; its identifying data was erased."
            ),
            K::DeadlinePassed => {
                format!("The time to answer the referral of case {code} has passed.")
            }
            K::ReportApproved => {
                format!("The Programme Office approved the monthly report of {code}.")
            }
            K::ReportReopened => format!(
                "The Programme Office reopened the monthly report of {code} for correction."
            ),
            K::ResultApproved => format!("The Programme Office approved the result of {code}."),
            K::ResultReopened => {
                format!("The Programme Office reopened the result of {code} for correction.")
            }
        },
        Language::Ru => match kind {
            K::ReferralReceived => format!("В вашу организацию направлено дело {code}."),
            K::ReferralAccepted => format!("Ваше направление по делу {code} принято."),
            K::ReferralDeclined => format!("Ваше направление по делу {code} отклонено."),
            K::ReferralWithdrawn => {
                format!("Направление дела {code} в вашу организацию отозвано.")
            }
            K::ReferredOnward => format!("Дело {code} направлено в другую организацию."),
            K::CaseClosed => format!("Дело {code} закрыто."),
            K::ConsentWithdrawn => format!(
                "Пострадавшее лицо отозвало согласие по делу {code}; идентифицирующие данные удалены."
            ),
            K::DeadlinePassed => format!("Срок ответа на направление по делу {code} истёк."),
            K::ReportApproved => {
                format!("Программный офис утвердил ежемесячный отчёт: {code}.")
            }
            K::ReportReopened => {
                format!("Программный офис вернул на исправление ежемесячный отчёт: {code}.")
            }
            K::ResultApproved => format!("Программный офис утвердил результат: {code}."),
            K::ResultReopened => {
                format!("Программный офис вернул на исправление результат: {code}.")
            }
        },
        Language::Tg => match kind {
            K::ReferralReceived => format!("Ба ташкилоти шумо парвандаи {code} ирсол шуд."),
            K::ReferralAccepted => format!("Ирсоли шумо оид ба парвандаи {code} қабул карда шуд."),
            K::ReferralDeclined => format!("Ирсоли шумо оид ба парвандаи {code} рад карда шуд."),
            K::ReferralWithdrawn => {
                format!("Ирсоли парвандаи {code} ба ташкилоти шумо бозхонда шуд.")
            }
            K::ReferredOnward => format!("Парвандаи {code} ба ташкилоти дигар ирсол шуд."),
            K::CaseClosed => format!("Парвандаи {code} баста шуд."),
            K::ConsentWithdrawn => format!(
                "Ҷабрдида розигии худро оид ба парвандаи {code} бозхонд; маълумоти шахсии ӯ нест карда шуд."
            ),
            K::DeadlinePassed => {
                format!("Мӯҳлати ҷавоб ба ирсоли парвандаи {code} гузашт.")
            }
            K::ReportApproved => {
                format!("Дафтари барномавӣ ҳисоботи моҳонаро тасдиқ кард: {code}.")
            }
            K::ReportReopened => {
                format!("Дафтари барномавӣ ҳисоботи моҳонаро барои ислоҳ боз кард: {code}.")
            }
            K::ResultApproved => format!("Дафтари барномавӣ натиҷаро тасдиқ кард: {code}."),
            K::ResultReopened => {
                format!("Дафтари барномавӣ натиҷаро барои ислоҳ боз кард: {code}.")
            }
        },
    }
}

/// What awaits one organisation, for its daily digest: case codes and deadlines only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    /// Referrals to the organisation that it has not answered, the earliest deadline first.
    pub to_answer: Vec<Waiting>,
    /// The organisation's referrals that the receiver has not answered yet.
    pub awaiting_answer: Vec<Waiting>,
    /// Open cases the organisation is party to with nobody of it assigned.
    pub unassigned: Vec<String>,
}

/// A case waiting for an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub code: String,
    pub due: Option<DateTime<Utc>>,
    pub overdue: bool,
}

impl Digest {
    /// Whether there is anything to tell.
    pub fn is_empty(&self) -> bool {
        self.to_answer.is_empty() && self.awaiting_answer.is_empty() && self.unassigned.is_empty()
    }
}

/// The codes a digest lists per section; the rest are counted.
const DIGEST_CODES: usize = 20;

/// The daily digest mail of one member of an organisation, in the member's language: how many
/// cases wait for what, with their codes and deadlines. `None` when the account's address no
/// longer parses.
pub fn digest_mail(email: &str, language: Language, digest: &Digest) -> Option<OutgoingMail> {
    let Ok(to) = Email::parse(email) else {
        tracing::warn!("no digest for an account whose address does not parse");
        return None;
    };
    let overdue = digest.to_answer.iter().filter(|case| case.overdue).count();
    let late_elsewhere = digest
        .awaiting_answer
        .iter()
        .filter(|case| case.overdue)
        .count();
    let (answer, overdue_word, waiting, unassigned, more, due_word) = match language {
        Language::En => (
            "Referrals to answer",
            "overdue",
            "Your referrals awaiting an answer",
            "Open cases with nobody of your organisation assigned",
            "more",
            "answer by",
        ),
        Language::Ru => (
            "Направления, ожидающие вашего ответа",
            "просрочено",
            "Ваши направления, ожидающие ответа",
            "Открытые дела без ответственного в вашей организации",
            "ещё",
            "ответить до",
        ),
        Language::Tg => (
            "Ирсолҳое, ки ҷавоби шуморо интизоранд",
            "мӯҳлаташ гузаштааст",
            "Ирсолҳои шумо, ки ҷавоб интизоранд",
            "Парвандаҳои кушода бе масъул дар ташкилоти шумо",
            "боз",
            "ҷавоб то",
        ),
    };
    let subject = match language {
        Language::En => format!(
            "Daily digest: {} to answer ({overdue} overdue), {} awaiting others, {} unassigned",
            digest.to_answer.len(),
            digest.awaiting_answer.len(),
            digest.unassigned.len()
        ),
        Language::Ru => format!(
            "Сводка за день: ответить — {} (просрочено {overdue}), ждут ответа — {}, без ответственного — {}",
            digest.to_answer.len(),
            digest.awaiting_answer.len(),
            digest.unassigned.len()
        ),
        Language::Tg => format!(
            "Хулосаи рӯз: ҷавоб додан — {} (гузашта {overdue}), ҷавоб интизор — {}, бе масъул — {}",
            digest.to_answer.len(),
            digest.awaiting_answer.len(),
            digest.unassigned.len()
        ),
    };
    let waiting_lines = |cases: &[Waiting]| -> String {
        let mut lines: Vec<String> = cases
            .iter()
            .take(DIGEST_CODES)
            .map(|case| {
                let due = case.due.map_or_else(String::new, |due| {
                    format!(" ({due_word} {})", due.format("%Y-%m-%d %H:%M UTC"))
                });
                let late = if case.overdue {
                    format!(" — {overdue_word}")
                } else {
                    String::new()
                };
                format!("- {}{due}{late}", case.code)
            })
            .collect();
        if cases.len() > DIGEST_CODES {
            lines.push(format!("- … {} {more}", cases.len() - DIGEST_CODES));
        }
        lines.join("\n")
    };
    let mut sections = Vec::new();
    if !digest.to_answer.is_empty() {
        sections.push(format!(
            "{answer}: {} ({overdue_word}: {overdue})\n{}",
            digest.to_answer.len(),
            waiting_lines(&digest.to_answer)
        ));
    }
    if !digest.awaiting_answer.is_empty() {
        sections.push(format!(
            "{waiting}: {} ({overdue_word}: {late_elsewhere})\n{}",
            digest.awaiting_answer.len(),
            waiting_lines(&digest.awaiting_answer)
        ));
    }
    if !digest.unassigned.is_empty() {
        let mut lines: Vec<String> = digest
            .unassigned
            .iter()
            .take(DIGEST_CODES)
            .map(|code| format!("- {code}"))
            .collect();
        if digest.unassigned.len() > DIGEST_CODES {
            lines.push(format!(
                "- … {} {more}",
                digest.unassigned.len() - DIGEST_CODES
            ));
        }
        sections.push(format!(
            "{unassigned}: {}\n{}",
            digest.unassigned.len(),
            lines.join("\n")
        ));
    }
    sections.push(pointer(language).to_owned());
    Some(OutgoingMail {
        to,
        language,
        subject,
        body: format!("{}\n", sections.join("\n\n")),
        holds_link: false,
    })
}

/// The reminder to one member of a centre's operating organisation that `month` has no report
/// yet for `centres` (their names), in the member's language. `None` when the account's address
/// no longer parses.
pub fn report_reminder_mail(
    email: &str,
    language: Language,
    month: chrono::NaiveDate,
    centres: &[String],
) -> Option<OutgoingMail> {
    let Ok(to) = Email::parse(email) else {
        tracing::warn!("no report reminder for an account whose address does not parse");
        return None;
    };
    let month = month.format("%Y-%m");
    let list: String = centres.iter().map(|name| format!("- {name}\n")).collect();
    let (subject, text) = match language {
        Language::En => (
            format!("Monthly report for {month} not submitted yet"),
            format!(
                "The figures of {month} have not been reported yet for:\n\n{list}\nSubmit them in \
                 the partner portal (a month with nobody served is reported with zeros)."
            ),
        ),
        Language::Ru => (
            format!("Ежемесячный отчёт за {month} ещё не представлен"),
            format!(
                "Данные за {month} ещё не представлены для:\n\n{list}\nВнесите их на портале \
                 партнёров (месяц без обращений отчитывается нулями)."
            ),
        ),
        Language::Tg => (
            format!("Ҳисоботи моҳонаи {month} ҳанӯз пешниҳод нашудааст"),
            format!(
                "Рақамҳои {month} ҳанӯз пешниҳод нашудаанд барои:\n\n{list}\nОнҳоро дар портали \
                 шарикон ворид кунед (моҳе, ки касе наомад, бо сифрҳо ҳисобот дода мешавад)."
            ),
        ),
    };
    Some(OutgoingMail {
        to,
        language,
        subject,
        body: format!("{text}\n"),
        holds_link: false,
    })
}

/// Where to read more, in `language`.
fn pointer(language: Language) -> &'static str {
    match language {
        Language::En => "Sign in to the partner portal to see the case and your notifications.",
        Language::Ru => "Войдите в портал партнёров, чтобы увидеть дело и ваши уведомления.",
        Language::Tg => "Барои дидани парванда ва огоҳиномаҳои худ ба портали шарикон ворид шавед.",
    }
}

/// Filters of the inbox.
#[derive(Clone, Copy, Debug, Default)]
pub struct NotificationFilter {
    /// Only unread (`true`) or only read (`false`) notifications.
    pub unread: Option<bool>,
}

/// The signed-in account's own inbox.
pub struct Notifications<'a> {
    pub(super) db: &'a db::Db,
}

/// Newest first; the id (UUIDv7) breaks ties.
fn newest_first() -> KeysetOrder<notification::Entity> {
    KeysetOrder {
        name: "AT_DESC",
        column: notification::Column::At,
        kind: KeyKind::Timestamp,
        descending: true,
        nullable: false,
        id_column: notification::Column::Id,
        key_of: |row| Some(row.at.to_rfc3339()),
        id_of: |row| row.id,
    }
}

impl Notifications<'_> {
    /// A page of the actor's own notifications, newest first.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `BAD_USER_INPUT` for an invalid cursor.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: NotificationFilter,
        page: &PageArgs,
    ) -> ApiResult<Page<notification::Model>> {
        let member = actor.signed_in()?;
        let mut select = notification::Entity::find()
            .filter(notification::Column::AccountId.eq(member.account_id));
        if let Some(unread) = filter.unread {
            select = select.filter(if unread {
                notification::Column::ReadAt.is_null()
            } else {
                notification::Column::ReadAt.is_not_null()
            });
        }
        newest_first().fetch(self.db, select, page).await
    }

    /// How many of the actor's own notifications are unread.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public.
    pub async fn unread_count(&self, actor: &Actor) -> ApiResult<u64> {
        let member = actor.signed_in()?;
        Ok(notification::Entity::find()
            .filter(notification::Column::AccountId.eq(member.account_id))
            .filter(notification::Column::ReadAt.is_null())
            .count(self.db)
            .await?)
    }

    /// Marks the actor's own notifications among `ids` read, and answers how many were unread
    /// before. Ids of other accounts' notifications (and unknown ids) are ignored without a
    /// word, exactly like already-read ones, so that an answer tells nothing about them; they
    /// are never touched.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public.
    pub async fn mark_read(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<u64> {
        let member = actor.signed_in()?;
        if ids.is_empty() {
            return Ok(0);
        }
        let result = notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
            .filter(notification::Column::AccountId.eq(member.account_id))
            .filter(notification::Column::Id.is_in(ids.iter().copied()))
            .filter(notification::Column::ReadAt.is_null())
            .exec(self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// The actor's own notifications about the step of `case_id` made at `at`, oldest first:
    /// what the live subscription delivers when that step's event arrives.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public.
    pub async fn of_step(
        &self,
        actor: &Actor,
        case_id: Uuid,
        at: DateTime<Utc>,
    ) -> ApiResult<Vec<notification::Model>> {
        let member = actor.signed_in()?;
        Ok(notification::Entity::find()
            .filter(notification::Column::AccountId.eq(member.account_id))
            .filter(notification::Column::CaseId.eq(case_id))
            .filter(notification::Column::At.eq(at))
            .order_by_asc(notification::Column::Id)
            .all(self.db)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organisations() -> [Uuid; 4] {
        [
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        ]
    }

    #[test]
    fn the_acting_organisation_is_never_told() {
        let [a, b, c, _] = organisations();
        // B refers onward to C after accepting: A and C are told, B is not.
        let parties = StepParties {
            actor: Some(b),
            referrer: a,
            receiver: Some(c),
            previous_receiver: Some(b),
            ever: Vec::new(),
        };
        let tells = recipients(CaseStatus::Accepted, CaseChange::Referred, &parties);
        assert_eq!(
            tells,
            [
                Tell {
                    kind: NotificationKind::ReferralReceived,
                    organisations: vec![c],
                },
                Tell {
                    kind: NotificationKind::ReferredOnward,
                    organisations: vec![a],
                },
            ]
        );
    }

    #[test]
    fn consent_withdrawal_reaches_every_organisation_ever_party_once() {
        let [a, b, c, d] = organisations();
        let parties = StepParties {
            actor: Some(a),
            referrer: a,
            receiver: Some(d),
            previous_receiver: Some(c),
            ever: vec![b, c, d, b],
        };
        let tells = recipients(CaseStatus::Accepted, CaseChange::ConsentWithdrawn, &parties);
        let mut expected = vec![b, c, d];
        expected.sort();
        assert_eq!(
            tells,
            [Tell {
                kind: NotificationKind::ConsentWithdrawn,
                organisations: expected,
            }]
        );
    }

    #[test]
    fn a_send_tells_the_receiver_only_and_a_start_of_service_nobody() {
        let [a, b, _, _] = organisations();
        let parties = StepParties {
            actor: Some(a),
            referrer: a,
            receiver: Some(b),
            previous_receiver: None,
            ever: Vec::new(),
        };
        assert_eq!(
            recipients(CaseStatus::Draft, CaseChange::Referred, &parties),
            [Tell {
                kind: NotificationKind::ReferralReceived,
                organisations: vec![b],
            }]
        );
        assert!(recipients(CaseStatus::Accepted, CaseChange::ServiceStarted, &parties).is_empty());
    }

    #[test]
    fn every_message_names_the_code_in_every_language() {
        use sea_orm::Iterable;
        for kind in NotificationKind::iter() {
            for language in Language::iter() {
                let text = message(kind, "RC-2026-000012", language);
                assert!(
                    text.contains("RC-2026-000012"),
                    "{kind:?} {language:?}: {text}"
                );
            }
        }
        assert_eq!(
            message(
                NotificationKind::ReferralReceived,
                "RC-2026-000012",
                Language::Tg
            ),
            "Ба ташкилоти шумо парвандаи RC-2026-000012 ирсол шуд."
        );
    }
}
