//! The authorization matrix: every root field of the schema, asked by each kind of principal
//! against the same data, with the outcome the access rules of DESIGN.md give. A root field
//! missing from the table fails the test, so no field ships without its row. The subscription
//! is asked over WebSocket by each principal, as clients use it. A mutation is checked by its
//! payload and by reading back what it changed (or, refused, that nothing changed). Further
//! tests follow nested fields and filters across types, where a leak would not show at the
//! root, and scan every answer for every value its principal may not read (the leak scan,
//! whose readers of each value follow from the world's relationships, see [`Facts::values`]).
//!
//! Every mismatch is collected and reported at once, one line each: field, principal, what the
//! table says and what came back.

use std::collections::{BTreeSet, HashMap};

use api::auth::totp;
use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use entity::{
    Localized,
    enums::{AccountStatus, CentreKind, CentreService, PartnerRole, Role, Visibility},
};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp,
    accounts::User,
    answers, error_codes, error_fields,
    fixtures::{self, NewCentre, NewEvent, NewProject},
    nodes, spawn_app_with, spawn_app_with_demo, spawn_production_app_with, with_changes,
    ws::{DELIVERY_TIMEOUT, REFERRAL_EVENTS, Received, Refused, SILENCE},
};

// ---------------------------------------------------------------------------------------------
// The principals and the outcomes.

/// The columns of the matrix. The first six are written out in every row; the others follow
/// from them by a rule (see [`Case::expected`]), and a row states where one differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Principal {
    Anonymous,
    PartnerA,
    PartnerB,
    ManagerA,
    Staff,
    Admin,
    /// A manager of B: what a partner of B gets, and the administration of B's accounts.
    ManagerB,
    /// A partner of A whose account a manager disabled after it signed in: its token is
    /// refused everywhere.
    Disabled,
    /// A partner of A that must change its one-time password first: only the root fields that
    /// let it do so (and see who it is, and leave) answer as they answer a partner of A.
    Restricted,
}

use Principal::{
    Admin, Anonymous, Disabled, ManagerA, ManagerB, PartnerA, PartnerB, Restricted, Staff,
};

/// The columns written out in every row, in their order.
const WRITTEN: [Principal; 6] = [Anonymous, PartnerA, PartnerB, ManagerA, Staff, Admin];

/// Every column.
const PRINCIPALS: [Principal; 9] = [
    Anonymous, PartnerA, PartnerB, ManagerA, Staff, Admin, ManagerB, Disabled, Restricted,
];

impl Principal {
    fn name(self) -> &'static str {
        match self {
            Anonymous => "anonymous",
            PartnerA => "partner of A",
            PartnerB => "partner of B",
            ManagerA => "manager of A",
            Staff => "staff",
            Admin => "admin",
            ManagerB => "manager of B",
            Disabled => "disabled partner of A",
            Restricted => "partner of A with a one-time password",
        }
    }
}

/// The root fields an account with a pending restriction may still use: what meets it (as
/// `AuthSession.mustChangePassword` and `mustEnrolTwoFactor` of schema.graphql say), and what
/// lets it see who it is and leave. Written here, not read from
/// `policy::allowed_while_restricted`, so that a change of the policy fails the matrix.
const WHILE_PASSWORD_RESTRICTED: [&str; 5] =
    ["me", "login", "logout", "refreshSession", "changePassword"];
const WHILE_TOTP_RESTRICTED: [&str; 7] = [
    "me",
    "login",
    "logout",
    "refreshSession",
    "changePassword",
    "enrolTotp",
    "confirmTotp",
];

/// What a principal gets.
#[derive(Clone, Debug)]
enum Expect {
    /// An answer without errors.
    Ok,
    /// An answer without errors whose `pick` is this (arrays of strings compare as sets).
    Seen(Value),
    /// A refusal: every error carries this code.
    Refused(&'static str),
    /// A `BAD_USER_INPUT` refusal naming this field alone.
    Invalid(&'static str),
    /// A `FORBIDDEN` refusal of an account held to a restriction, with this message alone.
    Held(&'static str),
}

const OK: Expect = Expect::Ok;
const UNAUTHENTICATED: Expect = Expect::Refused("UNAUTHENTICATED");
const FORBIDDEN: Expect = Expect::Refused("FORBIDDEN");
const NOT_FOUND: Expect = Expect::Refused("NOT_FOUND");
const BAD_USER_INPUT: Expect = Expect::Refused("BAD_USER_INPUT");
const CONFLICT: Expect = Expect::Refused("CONFLICT");
/// The refusal of an account with a one-time password to change: `FORBIDDEN`, saying what to
/// do first.
const HELD_FOR_PASSWORD: Expect =
    Expect::Held("Change your one-time password first (changePassword).");
/// The refusal of an admin who must first turn two-factor authentication on.
const HELD_FOR_TOTP: Expect = Expect::Held(
    "Admins must turn on two-factor authentication first (enrolTotp, then confirmTotp).",
);
/// A WebSocket connection whose `connection_init` the server refused: closed with 4403.
const CONNECTION_REFUSED: Expect = Expect::Refused(WS_CLOSED_4403);
const WS_CLOSED_4403: &str = "closed 4403";

/// A `BAD_USER_INPUT` naming `field`, such as `status` for a transition the case's status does
/// not allow.
const fn invalid(field: &'static str) -> Expect {
    Expect::Invalid(field)
}

fn seen(value: Value) -> Expect {
    Expect::Seen(value)
}

/// A number seen, such as a connection's `totalCount`.
fn count(number: u64) -> Expect {
    Expect::Seen(json!(number))
}

/// A number seen by each principal.
fn counts(numbers: [u64; 6]) -> [Expect; 6] {
    numbers.map(count)
}

/// The labels of a connection's nodes and its `totalCount`, as [`listing`] picks them.
fn listed(labels: &[&str]) -> Value {
    json!({ "ids": labels, "total": labels.len() })
}

/// The node ids (labelled) and the `totalCount` of a connection.
fn listing(connection: &Value) -> Value {
    json!({ "ids": ids(connection), "total": connection["totalCount"] })
}

fn ids(connection: &Value) -> Value {
    Value::Array(
        nodes(connection)
            .into_iter()
            .map(|node| node["id"].clone())
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// The rows.

/// One row: a request and what each principal gets.
struct Case {
    /// What the row is about, for the failure report.
    about: &'static str,
    /// The request; its first selection is the root field the row covers.
    document: &'static str,
    variables: Value,
    /// Variables (and maybe a token) made for each principal just before it asks.
    setup: Setup,
    /// What of the (labelled) `data` a [`Expect::Seen`] compares.
    pick: fn(&Value) -> Value,
    /// In the order of [`WRITTEN`].
    expect: [Expect; 6],
    /// Where a column that follows from the written ones by rule differs from the rule.
    except: Vec<(Principal, Expect)>,
    /// Over HTTP POST, or as a subscription over WebSocket.
    transport: Transport,
    /// What a mutation changed, read back after it: there when it was allowed, absent when
    /// it was refused.
    effect: Option<Effect>,
    /// What an admin without two-factor authentication gets under production rules, where it
    /// differs from the rule of [`Case::expected`].
    in_production: Option<Expect>,
}

/// How a row's request travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Http,
    /// `graphql-transport-ws` at `/graphql/ws`, the connection signed in with the principal's
    /// token in `connection_init`; once subscribed, a partner of A refers a new case to C
    /// and then one to B, and the answer is the first event the principal receives.
    WebSocket,
}

/// What a mutation did, as a reader that sees everything (the admin) finds it afterwards.
enum Effect {
    /// `document`, asked with the row's variables after the mutation: its `pick` is `done`
    /// after an allowed mutation (whose own payload's `payload` must be `done` too), and
    /// `untouched` after a refused one.
    Reread {
        document: &'static str,
        pick: fn(&Value) -> Value,
        payload: fn(&Value) -> Value,
        done: Value,
        untouched: Value,
    },
    /// `document` asked after the mutation with the token the mutation was sent with: its
    /// `pick` is `done` after an allowed mutation, `untouched` after a refused one. For what
    /// a caller changes of its own account or session.
    Own {
        document: &'static str,
        pick: fn(&Value) -> Value,
        done: Value,
        untouched: Value,
    },
    /// The access token the mutation answered signs its account in: `me` with it is the
    /// principal's own account (a partner of A's for the public, which signs in with its
    /// credentials).
    SignsIn,
    /// A count asked before and after the mutation: one more after an allowed creation (whose
    /// payload's new id `document` then finds among them), the same after a refused one.
    Counted {
        document: &'static str,
        pick: fn(&Value) -> Value,
    },
}

fn case(
    about: &'static str,
    document: &'static str,
    variables: Value,
    expect: [Expect; 6],
) -> Case {
    Case {
        about,
        document,
        variables,
        setup: Setup::None,
        pick: Value::clone,
        expect,
        except: Vec::new(),
        transport: Transport::Http,
        effect: None,
        in_production: None,
    }
}

impl Case {
    fn with(mut self, setup: Setup) -> Self {
        self.setup = setup;
        self
    }

    fn picking(mut self, pick: fn(&Value) -> Value) -> Self {
        self.pick = pick;
        self
    }

    /// `principal`, one of the columns that follow by rule, gets `expect` instead.
    fn except(mut self, principal: Principal, expect: Expect) -> Self {
        assert!(
            !WRITTEN.contains(&principal),
            "{} is written out in every row",
            principal.name()
        );
        self.except.push((principal, expect));
        self
    }

    /// An admin without two-factor authentication, under production rules, gets `expect`.
    fn in_production(mut self, expect: Expect) -> Self {
        self.in_production = Some(expect);
        self
    }

    fn over_websocket(mut self) -> Self {
        self.transport = Transport::WebSocket;
        self
    }

    /// After an allowed mutation `reread` (as the admin, with the row's variables) picks
    /// `done`, and so does the mutation's own payload; after a refused one, `untouched`.
    fn reread(
        mut self,
        document: &'static str,
        pick: fn(&Value) -> Value,
        payload: fn(&Value) -> Value,
        done: Value,
        untouched: Value,
    ) -> Self {
        self.effect = Some(Effect::Reread {
            document,
            pick,
            payload,
            done,
            untouched,
        });
        self
    }

    /// After an allowed mutation `document`, asked with the caller's token, picks `done`;
    /// after a refused one `untouched`.
    fn own(
        mut self,
        document: &'static str,
        pick: fn(&Value) -> Value,
        done: Value,
        untouched: Value,
    ) -> Self {
        self.effect = Some(Effect::Own {
            document,
            pick,
            done,
            untouched,
        });
        self
    }

    /// An allowed sign-in answers a token of the principal's own account.
    fn signing_in(mut self) -> Self {
        self.effect = Some(Effect::SignsIn);
        self
    }

    /// An allowed creation adds one to the count `document` picks; a refused one nothing.
    fn counted(mut self, document: &'static str, pick: fn(&Value) -> Value) -> Self {
        self.effect = Some(Effect::Counted { document, pick });
        self
    }

    /// What `principal` gets. The columns not written out follow from the written ones:
    /// - a manager of B what a partner of B gets;
    /// - a disabled account a refused token, whatever it asks;
    /// - an account with a one-time password to change what a partner of A gets from the
    ///   root fields it may still use, and from every other a `FORBIDDEN` that says to change
    ///   the password first;
    ///
    /// unless the row says otherwise ([`Case::except`]). Under production rules
    /// (`production`), an admin without two-factor authentication is held to enrolment the
    /// same way (`removeTotp` comes right after `confirmTotp` turned it on, so it answers as
    /// it answers any admin).
    fn expected(&self, principal: Principal, production: bool) -> Expect {
        if let Some((_, expect)) = self.except.iter().find(|(who, _)| *who == principal) {
            return expect.clone();
        }
        let written = |who: Principal| {
            let index = WRITTEN
                .iter()
                .position(|written| *written == who)
                .expect("a written column");
            self.expect[index].clone()
        };
        let field = root_field(self.document);
        let name = field.split_once('.').map_or("", |(_, name)| name);
        match principal {
            Admin if production => {
                if let Some(expect) = &self.in_production {
                    expect.clone()
                } else if WHILE_TOTP_RESTRICTED.contains(&name) || name == "removeTotp" {
                    written(Admin)
                } else {
                    HELD_FOR_TOTP
                }
            }
            Anonymous | PartnerA | PartnerB | ManagerA | Staff | Admin => written(principal),
            ManagerB => written(PartnerB),
            Disabled => match self.transport {
                Transport::Http => UNAUTHENTICATED,
                Transport::WebSocket => CONNECTION_REFUSED,
            },
            Restricted => {
                if WHILE_PASSWORD_RESTRICTED.contains(&name) {
                    written(PartnerA)
                } else {
                    HELD_FOR_PASSWORD
                }
            }
        }
    }
}

/// Variables that depend on the principal or must be new for each, so that one principal's
/// success (a deletion, a password change) never changes another principal's case.
enum Setup {
    None,
    /// `email` and `password` of the principal's own account (a partner of A's for the
    /// public): the right password or a wrong one.
    Credentials {
        right: bool,
    },
    /// `refreshToken`: the principal's own (one never issued for the public).
    OwnRefreshToken,
    /// A second sign-in of the principal, whose token the request uses: ending it leaves the
    /// principal's main session alone.
    SecondSession,
    /// `current` (the principal's password) and `new` (a good new one).
    NewPassword,
    /// `code`: a two-factor enrolment started just before, and its current code.
    TotpToConfirm,
    /// `code`: a later code of the enrolment the `TotpToConfirm` row confirmed (a code is
    /// never accepted twice).
    TotpToRemove,
    /// `id`: the principal's own account (a partner of A's for the public); `role`: another
    /// role than its own.
    OwnAccountOtherRole,
    /// `email`: an address no account has.
    NewEmail,
    /// `code`: a project code not in use.
    NewProjectCode,
    /// `id`: a new partner account of A.
    FreshAccount {
        disabled: bool,
    },
    /// `id`: a new partner account of A with two-factor authentication on.
    FreshTwoFactorAccount,
    /// `id`: a new organisation.
    FreshOrganisation {
        active: bool,
    },
    /// `id`: a new internal project of A's, without events.
    FreshProject,
    /// `id`: a new event organised by A under `project`.
    FreshEvent {
        project: Uuid,
        published: bool,
    },
    /// `id`: a new women's resource centre operated by A.
    FreshCentre {
        active: bool,
    },
    /// `id`: a new referral case a partner of A opened through the API, brought to `stage`
    /// (sent to B from [`Stage::Referred`] on).
    FreshCase(Stage),
    /// `id`: the report of the world's month of a new centre of A, submitted by a partner of
    /// A, and approved by staff when `approved`.
    FreshReport {
        approved: bool,
    },
    /// `id`: a new indicator (target for 2025) of a new project, `public` or internal, with A
    /// as its `ACCOUNTABLE` partner or as `IMPLEMENTING` one; `project`: that project;
    /// `period`: its 2025 period, with a result a partner of A reported (and staff approved)
    /// when `result` says so.
    FreshIndicator {
        public: bool,
        accountable: bool,
        result: ResultState,
    },
}

/// How far the 2025 result of a fresh indicator has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResultState {
    Target,
    Reported,
    Approved,
}

/// How far a fresh referral case of A's has come, each step taken through the API by the party
/// whose turn it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// A draft without the survivor's consent recorded.
    Unconsented,
    /// A draft with consent.
    Draft,
    /// Sent to B.
    Referred,
    /// Accepted by B.
    Accepted,
    /// Accepted by B, which started providing services.
    InService,
    /// Declined by B.
    Declined,
    /// Withdrawn by A before B answered.
    Withdrawn,
    /// Referred to B; then the survivor withdrew consent (recorded by A): closed and erased.
    ConsentWithdrawn,
}

const TWO_FACTOR: &str = "{ me { twoFactorEnabled } }";

/// Whether `me` says two-factor authentication is on (`false` when `me` is refused).
fn two_factor_on(data: &Value) -> Value {
    json!(data["me"]["twoFactorEnabled"] == true)
}

const COUNT_ACCOUNTS: &str = "{ accounts(first: 1) { totalCount } }";
const COUNT_EVENTS: &str = "{ events(first: 1) { totalCount } }";
const ACCOUNT: &str =
    "query($id: ID!) { account(id: $id) { displayName status mustChangePassword } }";
const ACCOUNT_TWO_FACTOR: &str = "query($id: ID!) { account(id: $id) { twoFactorEnabled } }";
const ORGANISATION: &str = "query($id: ID!) { organisation(id: $id) { name active } }";
const PROJECT: &str =
    "query($id: ID!) { project(id: $id) { title partners { role organisation { id } } } }";
const EVENT: &str = "query($id: ID!) { event(id: $id) { venue published project { id } } }";
const CENTRE: &str =
    "query($id: ID!) { resourceCentre(id: $id) { name phone active lastVerifiedAt } }";
const CASE_STATUS: &str = "query($id: ID!) { referralCase(id: $id) { status } }";
const CASE_CONSENT: &str = "query($id: ID!) { referralCase(id: $id) { consent { given } } }";

/// The phone number of the centres [`Setup::FreshCentre`] makes.
const FRESH_CENTRE_PHONE: &str = "+992 37 000 00 01";

/// A project's partners as `<role> <organisation>` (labels).
fn partner_list(partners: &Value) -> Value {
    Value::Array(
        partners
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|partner| {
                json!(format!(
                    "{} {}",
                    text(&partner["role"]),
                    text(&partner["organisation"]["id"])
                ))
            })
            .collect(),
    )
}

impl Case {
    /// A transition of a referral case: after it the case's status is `done` if it was
    /// allowed (and the answer says so), `untouched` if it was refused (`None`: no principal
    /// may make it).
    fn status_after(self, done: Option<&'static str>, untouched: &'static str) -> Self {
        self.reread(
            CASE_STATUS,
            |data| data["referralCase"]["status"].clone(),
            |data| {
                data.as_object()
                    .and_then(|root| root.values().next())
                    .map_or(Value::Null, |payload| payload["status"].clone())
            },
            done.map_or(Value::Null, |done| json!(done)),
            json!(untouched),
        )
    }
}

fn id(id: Uuid) -> Value {
    json!({ "id": id.to_string() })
}

/// The matrix: a row for every root field (some fields have more than one), in schema order.
/// The outcomes of a row are those of: anonymous, partner of A, partner of B, manager of A,
/// staff, admin.
fn matrix(world: &World) -> Vec<Case> {
    let a = world.a.to_string();
    let b = world.b.to_string();
    let c = world.c.to_string();
    let ia = world.ia.to_string();
    let ib = world.ib.to_string();
    vec![
        // Organisations: the public reads those of public content, by name and kind; every
        // signed-in user reads all of them.
        case(
            "an organisation in no public content",
            "query($id: ID!) { organisation(id: $id) { name kind } }",
            id(world.c),
            [NOT_FOUND, OK, OK, OK, OK, OK],
        ),
        case(
            "an organisation's contact details",
            "query($id: ID!) { organisation(id: $id) { contactEmail contactPhone } }",
            id(world.a),
            [FORBIDDEN, OK, OK, OK, OK, OK],
        ),
        case(
            "the organisations",
            "{ organisations(first: 100) { totalCount } }",
            json!({}),
            counts([2, 3, 3, 3, 3, 3]),
        )
        .picking(|data| data["organisations"]["totalCount"].clone()),
        // Projects: the public reads public ones; partners also their organisation's.
        case(
            "A's internal project",
            "query($id: ID!) { project(id: $id) { code } }",
            id(world.ia),
            [NOT_FOUND, OK, NOT_FOUND, OK, OK, OK],
        ),
        case(
            "a public project's budget: for the office and the project's partners",
            "query($id: ID!) { project(id: $id) { budget { amountMinor currency } } }",
            id(world.p),
            [FORBIDDEN, OK, FORBIDDEN, OK, OK, OK],
        ),
        case(
            "the projects",
            "{ projects(first: 100) { totalCount } }",
            json!({}),
            counts([1, 2, 2, 2, 3, 3]),
        )
        .picking(|data| data["projects"]["totalCount"].clone()),
        // Events: the public reads published events of public projects; partners also every
        // event of their organisation's projects and every event it organises.
        case(
            "a draft event of A's internal project",
            "query($id: ID!) { event(id: $id) { title } }",
            id(world.draft_ia),
            [NOT_FOUND, OK, NOT_FOUND, OK, OK, OK],
        ),
        case(
            "a published event of B's internal project",
            "query($id: ID!) { event(id: $id) { title } }",
            id(world.event_ib),
            [NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK, OK],
        ),
        case(
            "the events",
            "{ events(first: 100) { totalCount } }",
            json!({}),
            counts([1, 3, 2, 3, 4, 4]),
        )
        .picking(|data| data["events"]["totalCount"].clone()),
        // Resource centres: the public reads active centres; partners also those their
        // organisation operates; whether one is active is the operator's and the office's.
        case(
            "A's inactive centre",
            "query($id: ID!) { resourceCentre(id: $id) { name } }",
            id(world.cx),
            [NOT_FOUND, OK, NOT_FOUND, OK, OK, OK],
        ),
        case(
            "whether A's centre is active",
            "query($id: ID!) { resourceCentre(id: $id) { active } }",
            id(world.ca),
            [FORBIDDEN, OK, FORBIDDEN, OK, OK, OK],
        ),
        case(
            "the resource centres",
            "{ resourceCentres(first: 100) { totalCount } }",
            json!({}),
            counts([2, 3, 2, 3, 3, 3]),
        )
        .picking(|data| data["resourceCentres"]["totalCount"].clone()),
        // Accounts: everyone their own; managers their organisation's; admins all.
        case(
            "one's own account",
            "{ me { id } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!("account PA")),
                seen(json!("account PB")),
                seen(json!("account MA")),
                seen(json!("account staff")),
                seen(json!("account admin")),
            ],
        )
        .except(ManagerB, seen(json!("account MB")))
        .except(Restricted, seen(json!("account restricted")))
        .picking(|data| data["me"]["id"].clone()),
        case(
            "a partner of A's account",
            "query($id: ID!) { account(id: $id) { email } }",
            id(world.account(PartnerA)),
            [NOT_FOUND, OK, NOT_FOUND, OK, NOT_FOUND, OK],
        ),
        case(
            "a partner of B's account",
            "query($id: ID!) { account(id: $id) { email } }",
            id(world.account(PartnerB)),
            [NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK],
        ),
        case(
            "the accounts",
            "{ accounts(first: 100) { totalCount } }",
            json!({}),
            [
                UNAUTHENTICATED,
                FORBIDDEN,
                FORBIDDEN,
                count(4),
                FORBIDDEN,
                count(8),
            ],
        )
        .except(ManagerB, count(2))
        .picking(|data| data["accounts"]["totalCount"].clone()),
        // Centre reports: the operating organisation's and the office's; the public sees
        // suppressed statistics only.
        case(
            "the centre reports",
            "{ centreReports(first: 100) { totalCount } }",
            json!({}),
            [
                UNAUTHENTICATED,
                count(1),
                count(1),
                count(1),
                count(2),
                count(2),
            ],
        )
        .picking(|data| data["centreReports"]["totalCount"].clone()),
        // Statistics: events exactly over the events each principal sees; people served
        // suppressed, except for the organisation operating every centre counted; cases
        // suppressed for everyone.
        case(
            "event statistics",
            "{ eventStatistics(rows: KIND) { total { events } } }",
            json!({}),
            counts([1, 3, 2, 3, 4, 4]),
        )
        .picking(|data| data["eventStatistics"]["total"]["events"].clone()),
        case(
            "people served by all centres",
            "{ peopleServedStatistics(rows: SERVICE) { suppressionThreshold } }",
            json!({}),
            counts([5, 5, 5, 5, 5, 5]),
        )
        .picking(|data| data["peopleServedStatistics"]["suppressionThreshold"].clone()),
        case(
            "people served by A's centres",
            "query($org: ID!) { peopleServedStatistics(rows: SERVICE, filter: { organisationId: $org }) { suppressionThreshold anySuppressed } }",
            json!({ "org": world.a.to_string() }),
            [
                seen(json!({ "suppressionThreshold": 5, "anySuppressed": true })),
                seen(json!({ "suppressionThreshold": null, "anySuppressed": false })),
                seen(json!({ "suppressionThreshold": 5, "anySuppressed": true })),
                seen(json!({ "suppressionThreshold": null, "anySuppressed": false })),
                seen(json!({ "suppressionThreshold": 5, "anySuppressed": true })),
                seen(json!({ "suppressionThreshold": 5, "anySuppressed": true })),
            ],
        )
        .picking(|data| data["peopleServedStatistics"].clone()),
        case(
            "referral case statistics",
            "{ caseStatistics(rows: KIND) { suppressionThreshold anySuppressed } }",
            json!({}),
            [0; 6].map(|_| seen(json!({ "suppressionThreshold": 5, "anySuppressed": true }))),
        )
        .picking(|data| data["caseStatistics"].clone()),
        // The audit log: admins only.
        case(
            "the audit log",
            "{ auditLog(first: 5) { edges { node { action } } } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
        ),
        // Referral cases: the organisations party to a case (and a previous receiver) and the
        // office see it; nobody else, and the public nothing. A hidden case is not found.
        case(
            "a draft of A's",
            "query($id: ID!) { referralCase(id: $id) { code status } }",
            id(world.case_draft),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        ),
        case(
            "a case A referred to B",
            "query($id: ID!) { referralCase(id: $id) { code status } }",
            id(world.case_ab),
            [UNAUTHENTICATED, OK, OK, OK, OK, OK],
        ),
        case(
            "a case A referred to C",
            "query($id: ID!) { referralCase(id: $id) { code status } }",
            id(world.case_ac),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        ),
        case(
            "a case B referred to C",
            "query($id: ID!) { referralCase(id: $id) { code status } }",
            id(world.case_bc),
            [UNAUTHENTICATED, NOT_FOUND, OK, NOT_FOUND, OK, OK],
        ),
        case(
            "a case B accepted and referred onward to C, for its previous receiver too",
            "query($id: ID!) { referralCase(id: $id) { code status } }",
            id(world.case_abc),
            [UNAUTHENTICATED, OK, OK, OK, OK, OK],
        ),
        case(
            "the referral cases",
            "{ referralCases(first: 100) { totalCount } }",
            json!({}),
            [
                UNAUTHENTICATED,
                count(4),
                count(3),
                count(4),
                count(5),
                count(5),
            ],
        )
        .picking(|data| data["referralCases"]["totalCount"].clone()),
        // Signing in: the token of the request plays no part.
        case(
            "login with a wrong password",
            "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
            json!({}),
            [UNAUTHENTICATED; 6],
        )
        .with(Setup::Credentials { right: false }),
        case(
            "login with the right password",
            "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
            json!({}),
            [OK, OK, OK, OK, OK, OK],
        )
        .with(Setup::Credentials { right: true })
        .signing_in(),
        case(
            "refreshSession with one's own refresh token",
            "mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken } }",
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, OK, OK],
        )
        .with(Setup::OwnRefreshToken)
        .signing_in(),
        case(
            "logout of a second session",
            "mutation { logout { sessionsEnded } }",
            json!({}),
            [
                UNAUTHENTICATED,
                count(1),
                count(1),
                count(1),
                count(1),
                count(1),
            ],
        )
        .with(Setup::SecondSession)
        .picking(|data| data["logout"]["sessionsEnded"].clone())
        // The ended session's token no longer signs anything in.
        .own(
            "{ me { id } }",
            |data| json!(data["me"].is_object()),
            json!(false),
            json!(false),
        ),
        // After the rows that sign in with the password, which it changes.
        case(
            "changePassword with the current password",
            "mutation($current: String!, $new: String!) { changePassword(currentPassword: $current, newPassword: $new) { id } }",
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, OK, OK],
        )
        .with(Setup::NewPassword),
        case(
            "enrolTotp",
            "mutation { enrolTotp { secret } }",
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, OK, OK],
        ),
        case(
            "confirmTotp with a current code",
            "mutation($code: String!) { confirmTotp(code: $code) { account { twoFactorEnabled } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!(true)),
                seen(json!(true)),
                seen(json!(true)),
                seen(json!(true)),
                seen(json!(true)),
            ],
        )
        .with(Setup::TotpToConfirm)
        .picking(|data| data["confirmTotp"]["account"]["twoFactorEnabled"].clone())
        .own(TWO_FACTOR, two_factor_on, json!(true), json!(false)),
        case(
            "removeTotp with a current code",
            "mutation($code: String!) { removeTotp(code: $code) { twoFactorEnabled } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!(false)),
                seen(json!(false)),
                seen(json!(false)),
                seen(json!(false)),
                seen(json!(false)),
            ],
        )
        .with(Setup::TotpToRemove)
        .picking(|data| data["removeTotp"]["twoFactorEnabled"].clone())
        .own(TWO_FACTOR, two_factor_on, json!(false), json!(false)),
        // After removeTotp: recovery codes come with two-factor authentication only.
        case(
            "regenerateRecoveryCodes without two-factor authentication",
            "mutation { regenerateRecoveryCodes(code: \"123456\") { recoveryCodes } }",
            json!({}),
            [UNAUTHENTICATED, CONFLICT, CONFLICT, CONFLICT, CONFLICT, CONFLICT],
        ),
        // Account administration: admins all; managers the partner accounts of their own
        // organisation; an account hidden from the caller is not found.
        case(
            "createAccount of a partner of A",
            "mutation($email: String!, $organisation: ID) { createAccount(input: { email: $email, displayName: \"New colleague\", role: PARTNER, organisationId: $organisation }) { id } }",
            json!({ "organisation": a }),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK],
        )
        .with(Setup::NewEmail)
        .counted(COUNT_ACCOUNTS, |data| data["accounts"]["totalCount"].clone()),
        case(
            "createAccount of a partner of B",
            "mutation($email: String!, $organisation: ID) { createAccount(input: { email: $email, displayName: \"New colleague\", role: PARTNER, organisationId: $organisation }) { id } }",
            json!({ "organisation": b }),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
        )
        .except(ManagerB, OK)
        .with(Setup::NewEmail)
        .counted(COUNT_ACCOUNTS, |data| data["accounts"]["totalCount"].clone()),
        case(
            "updateAccount of a partner of A",
            "mutation($id: ID!) { updateAccount(id: $id, input: { displayName: \"Renamed colleague\" }) { displayName } }",
            json!({}),
            [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK],
        )
        .with(Setup::FreshAccount { disabled: false })
        .reread(
            ACCOUNT,
            |data| data["account"]["displayName"].clone(),
            |data| data["updateAccount"]["displayName"].clone(),
            json!("Renamed colleague"),
            json!("Test Partner"),
        ),
        case(
            "updateAccount of one's own role",
            "mutation($id: ID!, $role: Role!) { updateAccount(id: $id, input: { role: $role }) { role } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::OwnAccountOtherRole),
        case(
            "disableAccount of a partner of A",
            "mutation($id: ID!) { disableAccount(id: $id) { status } }",
            json!({}),
            [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK],
        )
        .with(Setup::FreshAccount { disabled: false })
        .reread(
            ACCOUNT,
            |data| data["account"]["status"].clone(),
            |data| data["disableAccount"]["status"].clone(),
            json!("DISABLED"),
            json!("ACTIVE"),
        ),
        case(
            "enableAccount of a disabled partner of A",
            "mutation($id: ID!) { enableAccount(id: $id) { status } }",
            json!({}),
            [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK],
        )
        .with(Setup::FreshAccount { disabled: true })
        .reread(
            ACCOUNT,
            |data| data["account"]["status"].clone(),
            |data| data["enableAccount"]["status"].clone(),
            json!("ACTIVE"),
            json!("DISABLED"),
        ),
        case(
            "resetAccountPassword of a partner of A",
            "mutation($id: ID!) { resetAccountPassword(id: $id) { id } }",
            json!({}),
            [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK],
        )
        .with(Setup::FreshAccount { disabled: false }),
        case(
            "resendInvitation of a partner of A who never signed in",
            "mutation($id: ID!) { resendInvitation(id: $id) { id } }",
            json!({}),
            [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK],
        )
        .with(Setup::FreshAccount { disabled: false }),
        // Links: anyone may use one, and a link that does not work gets one refusal.
        case(
            "acceptInvitation with a link that does not work",
            r#"mutation { acceptInvitation(token: "no-such-link", password: "Pamir-Highway-Khorog-Bridge") }"#,
            json!({}),
            [
                invalid("token"),
                invalid("token"),
                invalid("token"),
                invalid("token"),
                invalid("token"),
                invalid("token"),
            ],
        ),
        case(
            "requestPasswordReset, for an address without an account",
            r#"mutation { requestPasswordReset(email: "nobody@nowhere.example.tj") }"#,
            json!({}),
            [OK; 6],
        ),
        case(
            "resetPassword with a link that does not work",
            r#"mutation { resetPassword(token: "no-such-link", newPassword: "Pamir-Highway-Khorog-Bridge") }"#,
            json!({}),
            [
                invalid("token"),
                invalid("token"),
                invalid("token"),
                invalid("token"),
                invalid("token"),
                invalid("token"),
            ],
        ),
        case(
            "resetAccountTwoFactor of a partner of A",
            "mutation($id: ID!) { resetAccountTwoFactor(id: $id) { twoFactorEnabled } }",
            json!({}),
            [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, OK],
        )
        .with(Setup::FreshTwoFactorAccount)
        .reread(
            ACCOUNT_TWO_FACTOR,
            |data| data["account"]["twoFactorEnabled"].clone(),
            |data| data["resetAccountTwoFactor"]["twoFactorEnabled"].clone(),
            json!(false),
            json!(true),
        ),
        case(
            "updateMyProfile",
            "mutation { updateMyProfile(input: { displayName: \"Renamed\" }) { displayName } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!("Renamed")),
                seen(json!("Renamed")),
                seen(json!("Renamed")),
                seen(json!("Renamed")),
                seen(json!("Renamed")),
            ],
        )
        .picking(|data| data["updateMyProfile"]["displayName"].clone())
        .own(
            "{ me { displayName } }",
            |data| json!(data["me"]["displayName"] == "Renamed"),
            json!(true),
            json!(false),
        ),
        // Organisations are the office's to manage.
        case(
            "createOrganisation",
            "mutation { createOrganisation(input: { name: { en: \"New NGO\" }, kind: NGO, contactEmail: \"info@new-ngo.example.tj\" }) { id } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .counted(
            "{ organisations(first: 1) { totalCount } }",
            |data| data["organisations"]["totalCount"].clone(),
        ),
        case(
            "updateOrganisation",
            "mutation($id: ID!) { updateOrganisation(id: $id, input: { name: { en: \"Renamed NGO\" }, kind: NGO }) { name } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshOrganisation { active: true })
        .reread(
            ORGANISATION,
            |data| data["organisation"]["name"].clone(),
            |data| data["updateOrganisation"]["name"].clone(),
            json!("Renamed NGO"),
            json!("Fresh NGO"),
        ),
        case(
            "deactivateOrganisation",
            "mutation($id: ID!) { deactivateOrganisation(id: $id) { active } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshOrganisation { active: true })
        .reread(
            ORGANISATION,
            |data| data["organisation"]["active"].clone(),
            |data| data["deactivateOrganisation"]["active"].clone(),
            json!(false),
            json!(true),
        ),
        case(
            "reactivateOrganisation",
            "mutation($id: ID!) { reactivateOrganisation(id: $id) { active } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshOrganisation { active: false })
        .reread(
            ORGANISATION,
            |data| data["organisation"]["active"].clone(),
            |data| data["reactivateOrganisation"]["active"].clone(),
            json!(true),
            json!(false),
        ),
        // Projects are the office's to manage, A's included.
        case(
            "createProject",
            "mutation($code: String!) { createProject(input: { code: $code, title: { en: \"New project\" }, thematicAreas: [YOUTH], startDate: \"2026-01-01\", regions: [SUGHD] }) { id } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::NewProjectCode)
        .counted(
            "{ projects(first: 1) { totalCount } }",
            |data| data["projects"]["totalCount"].clone(),
        ),
        case(
            "updateProject of a project of A's",
            "mutation($id: ID!) { updateProject(id: $id, input: { title: { en: \"Renamed project\" }, status: ACTIVE }) { title status } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshProject)
        .reread(
            PROJECT,
            |data| data["project"]["title"].clone(),
            |data| data["updateProject"]["title"].clone(),
            json!("Renamed project"),
            json!("A project"),
        ),
        case(
            "deleteProject of a project of A's",
            "mutation($id: ID!) { deleteProject(id: $id) }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshProject)
        .reread(
            PROJECT,
            |data| json!(data["project"].is_null()),
            |data| json!(data["deleteProject"].is_string()),
            json!(true),
            json!(false),
        ),
        case(
            "setProjectPartners of a project of A's",
            "mutation($id: ID!, $a: ID!, $b: ID!) { setProjectPartners(id: $id, partners: [{ organisationId: $a, role: IMPLEMENTING }, { organisationId: $b, role: FUNDING }]) { partners { role organisation { id } } } }",
            json!({ "a": a, "b": b }),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshProject)
        .reread(
            PROJECT,
            |data| partner_list(&data["project"]["partners"]),
            |data| partner_list(&data["setProjectPartners"]["partners"]),
            json!(["FUNDING org B", "IMPLEMENTING org A"]),
            json!(["IMPLEMENTING org A"]),
        ),
        // Events: partners record them under their organisation's projects, organised by it,
        // and edit what it organises; the office anything.
        case(
            "createEvent under P organised by A",
            "mutation($project: ID, $organiser: ID) { createEvent(input: { projectId: $project, organiserId: $organiser, title: { en: \"Training of trainers\" }, kind: TRAINING, startsOn: \"2026-02-01\", region: KHATLON, district: \"Bokhtar\" }) { id } }",
            json!({ "project": world.p.to_string(), "organiser": a }),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .counted(COUNT_EVENTS, |data| data["events"]["totalCount"].clone()),
        case(
            "createEvent under A's internal project organised by B",
            "mutation($project: ID, $organiser: ID) { createEvent(input: { projectId: $project, organiserId: $organiser, title: { en: \"Training of trainers\" }, kind: TRAINING, startsOn: \"2026-02-01\", region: KHATLON, district: \"Bokhtar\" }) { id } }",
            json!({ "project": ia, "organiser": b }),
            [UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, FORBIDDEN, OK, OK],
        )
        .counted(COUNT_EVENTS, |data| data["events"]["totalCount"].clone()),
        case(
            "createEvent without a project organised by A",
            "mutation($project: ID, $organiser: ID) { createEvent(input: { projectId: $project, organiserId: $organiser, title: { en: \"Training of trainers\" }, kind: TRAINING, startsOn: \"2026-02-01\", region: KHATLON, district: \"Bokhtar\" }) { id } }",
            json!({ "project": null, "organiser": a }),
            [UNAUTHENTICATED, BAD_USER_INPUT, FORBIDDEN, BAD_USER_INPUT, OK, OK],
        )
        .counted(COUNT_EVENTS, |data| data["events"]["totalCount"].clone()),
        case(
            "updateEvent of a published event A organises",
            "mutation($id: ID!) { updateEvent(id: $id, input: { venue: \"Community hall\" }) { venue } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .with(Setup::FreshEvent {
            project: world.p,
            published: true,
        })
        .reread(
            EVENT,
            |data| data["event"]["venue"].clone(),
            |data| data["updateEvent"]["venue"].clone(),
            json!("Community hall"),
            Value::Null,
        ),
        case(
            "updateEvent of a draft A organises under its internal project",
            "mutation($id: ID!) { updateEvent(id: $id, input: { venue: \"Community hall\" }) { venue } }",
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        )
        .with(Setup::FreshEvent {
            project: world.ia,
            published: false,
        })
        .reread(
            EVENT,
            |data| data["event"]["venue"].clone(),
            |data| data["updateEvent"]["venue"].clone(),
            json!("Community hall"),
            Value::Null,
        ),
        case(
            "updateEvent moving A's event into B's internal project",
            "mutation($id: ID!, $project: ID!) { updateEvent(id: $id, input: { projectId: $project }) { id project { id } } }",
            json!({ "project": ib }),
            [UNAUTHENTICATED, BAD_USER_INPUT, FORBIDDEN, BAD_USER_INPUT, OK, OK],
        )
        .with(Setup::FreshEvent {
            project: world.p,
            published: true,
        })
        .reread(
            EVENT,
            |data| data["event"]["project"]["id"].clone(),
            |data| data["updateEvent"]["project"]["id"].clone(),
            json!("IB"),
            json!("P"),
        ),
        case(
            "publishEvent of a draft A organises",
            "mutation($id: ID!) { publishEvent(id: $id) { published } }",
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        )
        .with(Setup::FreshEvent {
            project: world.p,
            published: false,
        })
        .reread(
            EVENT,
            |data| data["event"]["published"].clone(),
            |data| data["publishEvent"]["published"].clone(),
            json!(true),
            json!(false),
        ),
        case(
            "unpublishEvent of a published event A organises",
            "mutation($id: ID!) { unpublishEvent(id: $id) { published } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .with(Setup::FreshEvent {
            project: world.p,
            published: true,
        })
        .reread(
            EVENT,
            |data| data["event"]["published"].clone(),
            |data| data["unpublishEvent"]["published"].clone(),
            json!(false),
            json!(true),
        ),
        case(
            "deleteEvent of a draft A organises under its internal project",
            "mutation($id: ID!) { deleteEvent(id: $id) }",
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        )
        .with(Setup::FreshEvent {
            project: world.ia,
            published: false,
        })
        .reread(
            EVENT,
            |data| json!(data["event"].is_null()),
            |data| json!(data["deleteEvent"].is_string()),
            json!(true),
            json!(false),
        ),
        // Centres: the office manages them; the operator keeps the directory entry.
        case(
            "createResourceCentre operated by A",
            "mutation($operator: ID!) { createResourceCentre(input: { name: { en: \"Khujand WRC\" }, kind: WOMENS_RESOURCE_CENTRE, operatorId: $operator, region: SUGHD, district: \"Khujand\", address: { en: \"2 Example Street\" }, openingHours: { en: \"Mon-Fri 9:00-17:00\" }, services: [LEGAL_CONSULTATION], languages: [\"tg\", \"ru\"] }) { id } }",
            json!({ "operator": a }),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .counted(
            "{ resourceCentres(first: 1) { totalCount } }",
            |data| data["resourceCentres"]["totalCount"].clone(),
        ),
        case(
            "updateResourceCentre: the directory entry of A's centre",
            "mutation($id: ID!) { updateResourceCentre(id: $id, input: { phone: \"+992 37 111 22 33\", openingHours: { en: \"Mon-Sat 8:00-18:00\" }, acceptingReferrals: false }) { phone } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .with(Setup::FreshCentre { active: true })
        .reread(
            CENTRE,
            |data| data["resourceCentre"]["phone"].clone(),
            |data| data["updateResourceCentre"]["phone"].clone(),
            json!("+992 37 111 22 33"),
            json!(FRESH_CENTRE_PHONE),
        ),
        case(
            "updateResourceCentre: the directory entry of A's inactive centre",
            "mutation($id: ID!) { updateResourceCentre(id: $id, input: { phone: \"+992 37 111 22 33\" }) { phone } }",
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        )
        .with(Setup::FreshCentre { active: false })
        .reread(
            CENTRE,
            |data| data["resourceCentre"]["phone"].clone(),
            |data| data["updateResourceCentre"]["phone"].clone(),
            json!("+992 37 111 22 33"),
            json!(FRESH_CENTRE_PHONE),
        ),
        case(
            "updateResourceCentre: the name of A's centre (the office's field)",
            "mutation($id: ID!) { updateResourceCentre(id: $id, input: { name: { en: \"Renamed centre\" } }) { name } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshCentre { active: true })
        .reread(
            CENTRE,
            |data| data["resourceCentre"]["name"].clone(),
            |data| data["updateResourceCentre"]["name"].clone(),
            json!("Renamed centre"),
            json!("Fresh centre"),
        ),
        case(
            "markResourceCentreVerified of A's centre",
            "mutation($id: ID!) { markResourceCentreVerified(id: $id) { lastVerifiedAt } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .with(Setup::FreshCentre { active: true })
        .reread(
            CENTRE,
            |data| json!(data["resourceCentre"]["lastVerifiedAt"].is_string()),
            |data| json!(data["markResourceCentreVerified"]["lastVerifiedAt"].is_string()),
            json!(true),
            json!(false),
        ),
        case(
            "deactivateResourceCentre of A's centre",
            "mutation($id: ID!) { deactivateResourceCentre(id: $id) { active } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshCentre { active: true })
        .reread(
            CENTRE,
            |data| data["resourceCentre"]["active"].clone(),
            |data| data["deactivateResourceCentre"]["active"].clone(),
            json!(false),
            json!(true),
        ),
        case(
            "reactivateResourceCentre of A's inactive centre",
            "mutation($id: ID!) { reactivateResourceCentre(id: $id) { active } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshCentre { active: false })
        .reread(
            CENTRE,
            |data| data["resourceCentre"]["active"].clone(),
            |data| data["reactivateResourceCentre"]["active"].clone(),
            json!(true),
            json!(false),
        ),
        // Reports: members of the operating organisation write them; the office reads them.
        case(
            "submitCentreReport for A's centre",
            "mutation($id: ID!, $month: NaiveDate!) { submitCentreReport(centreId: $id, month: $month, lines: [{ service: LEGAL_CONSULTATION, female: 7, male: 2 }]) { id total } }",
            json!({ "month": world.month.to_string() }),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCentre { active: true })
        .counted(
            "{ centreReports(first: 1) { totalCount } }",
            |data| data["centreReports"]["totalCount"].clone(),
        ),
        case(
            "submitCentreReport for A's inactive centre",
            "mutation($id: ID!, $month: NaiveDate!) { submitCentreReport(centreId: $id, month: $month, lines: [{ service: LEGAL_CONSULTATION, female: 7, male: 2 }]) { id total } }",
            json!({ "month": world.month.to_string() }),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCentre { active: false })
        .counted(
            "{ centreReports(first: 1) { totalCount } }",
            |data| data["centreReports"]["totalCount"].clone(),
        ),
        // Approval: the office approves and reopens reports; the operating organisation reads
        // them but may not, another organisation does not find them.
        case(
            "approveCentreReport of A's centre",
            "mutation($id: ID!) { approveCentreReport(id: $id) { id approval } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshReport { approved: false })
        .counted(
            "{ centreReports(first: 1, filter: { approval: APPROVED }) { totalCount } }",
            |data| data["centreReports"]["totalCount"].clone(),
        ),
        case(
            "reopenCentreReport of A's centre",
            "mutation($id: ID!) { reopenCentreReport(id: $id, reason: \"Check the figures.\") { id approval } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshReport { approved: true })
        .counted(
            "{ centreReports(first: 1, filter: { approval: PENDING }) { totalCount } }",
            |data| data["centreReports"]["totalCount"].clone(),
        ),
        // Results: indicators are read with their project; the office and the project's
        // ACCOUNTABLE partner manage them; partners of the project report results; the office
        // approves and reopens them.
        case(
            "indicator of a public project",
            "query($id: ID!) { indicator(id: $id) { id title periods { year target actual } } }",
            json!({}),
            [OK, OK, OK, OK, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Target }),
        case(
            "indicator of an internal project of A",
            "query($id: ID!) { indicator(id: $id) { id title } }",
            json!({}),
            [NOT_FOUND, OK, NOT_FOUND, OK, OK, OK],
        )
        .with(Setup::FreshIndicator { public: false, accountable: false, result: ResultState::Target }),
        case(
            "resultsProgress by region",
            "{ resultsProgress(by: REGION) { region projects indicators assessed onTrack shareOnTrack } }",
            json!({}),
            [OK, OK, OK, OK, OK, OK],
        ),
        case(
            "createIndicator for a project A is accountable for",
            "mutation($project: ID!) { createIndicator(input: { projectId: $project, title: { en: \"Centres opened\" }, measure: NUMBER }) { id } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: true, result: ResultState::Target }),
        case(
            "createIndicator for a project A implements",
            "mutation($project: ID!) { createIndicator(input: { projectId: $project, title: { en: \"Centres opened\" }, measure: NUMBER }) { id } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Target }),
        case(
            "updateIndicator of an internal project A is accountable for",
            "mutation($id: ID!) { updateIndicator(id: $id, input: { title: { en: \"Women trained\" } }) { title } }",
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, OK, OK],
        )
        .with(Setup::FreshIndicator { public: false, accountable: true, result: ResultState::Target }),
        case(
            "setIndicatorTarget of a project A implements",
            "mutation($id: ID!) { setIndicatorTarget(indicatorId: $id, year: 2026, target: 60) { id } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Target }),
        case(
            "deleteIndicator of a project A is accountable for",
            "mutation($id: ID!) { deleteIndicator(id: $id) }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: true, result: ResultState::Reported }),
        case(
            "reportIndicatorResult of a project A implements",
            "mutation($id: ID!) { reportIndicatorResult(input: { indicatorId: $id, year: 2025, value: 12 }) { id revision } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Target }),
        case(
            "approveIndicatorResult of a public project",
            "mutation($period: ID!) { approveIndicatorResult(periodId: $period) { approved } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Reported }),
        case(
            "approveIndicatorResult of an internal project of A",
            "mutation($period: ID!) { approveIndicatorResult(periodId: $period) { approved } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshIndicator { public: false, accountable: false, result: ResultState::Reported }),
        case(
            "reopenIndicatorResult of a public project",
            "mutation($period: ID!) { reopenIndicatorResult(periodId: $period, reason: \"Check the count.\") { approved } }",
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Approved }),
        // Referral cases: partners open them for their own organisation; the office refers
        // and answers nothing. Each transition is the turn of one party in given statuses
        // (`services::cases`): the other party is refused, a partner of no party does not
        // find the case, and a status that does not allow it is named. Every row that could
        // change a case has a fresh one for each principal.
        case(
            "createReferralCase",
            CREATE_CASE,
            json!({ "input": {
                "kind": "TRAFFICKING_LABOUR", "risk": "HIGH", "survivorSex": "MALE",
                "survivorAgeGroup": "ADULT_18_24", "region": "SUGHD", "district": "Khujand",
                "servicesRequested": ["LEGAL_CONSULTATION"], "survivorName": "New survivor",
                "consentGiven": true,
            } }),
            [UNAUTHENTICATED, OK, OK, OK, FORBIDDEN, FORBIDDEN],
        )
        .counted(
            "{ referralCases(first: 1) { totalCount } }",
            |data| data["referralCases"]["totalCount"].clone(),
        ),
        case(
            "recordCaseConsent on a draft of A's without consent",
            RECORD_CONSENT,
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Unconsented))
        .reread(
            CASE_CONSENT,
            |data| data["referralCase"]["consent"]["given"].clone(),
            |data| data["recordCaseConsent"]["consent"]["given"].clone(),
            json!(true),
            json!(false),
        ),
        case(
            "recordCaseConsent on a case A referred to B",
            RECORD_CONSENT,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        // Editing: the referrer edits a draft's every field; a current party an open case's
        // survivor profile; the office never (it reads codes only).
        case(
            "updateReferralCase of a draft of A's",
            UPDATE_CASE_RISK,
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Draft))
        .reread(
            CASE_RISK,
            |data| data["referralCase"]["risk"].clone(),
            |data| data["updateReferralCase"]["risk"].clone(),
            json!("LOW"),
            json!("MEDIUM"),
        ),
        case(
            "updateReferralCase of a case A referred to B",
            UPDATE_CASE_PROFILE,
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .reread(
            CASE_DISABILITY,
            |data| data["referralCase"]["survivor"]["hasDisability"].clone(),
            |data| data["updateReferralCase"]["survivor"]["hasDisability"].clone(),
            json!(true),
            json!(false),
        ),
        case(
            "updateReferralCase of a case A withdrew",
            UPDATE_CASE_PROFILE,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Withdrawn))
        .status_after(None, "WITHDRAWN"),
        // Assignment: each party organisation assigns its own side; the office never.
        case(
            "assignReferralCase (unassigning) of a case A referred to B",
            UNASSIGN_CASE,
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Referred)),
        // Notes: the current parties write and read them; the office neither.
        case(
            "addCaseNote on a case A referred to B",
            ADD_NOTE,
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, FORBIDDEN, FORBIDDEN],
        )
        // The admin reads no notes, so the effect is read back in `tests/api/casework.rs`.
        .with(Setup::FreshCase(Stage::Referred)),
        case(
            "deleteDraftReferralCase of a draft of A's",
            DELETE_DRAFT,
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Draft))
        .reread(
            CASE_STATUS,
            |data| json!(data["referralCase"].is_null()),
            |data| json!(data["deleteDraftReferralCase"].is_string()),
            json!(true),
            json!(false),
        ),
        case(
            "deleteDraftReferralCase of a case A referred to B",
            DELETE_DRAFT,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                FORBIDDEN,
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        case(
            "sendReferralCase of a draft of A's to B",
            SEND_CASE,
            json!({ "to": b }),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Draft))
        .status_after(Some("REFERRED"), "DRAFT"),
        case(
            "sendReferralCase of a draft of A's without consent",
            SEND_CASE,
            json!({ "to": b }),
            [
                UNAUTHENTICATED,
                invalid("consent"),
                NOT_FOUND,
                invalid("consent"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Unconsented))
        .status_after(None, "DRAFT"),
        case(
            "sendReferralCase of a case A referred to B already",
            SEND_CASE,
            json!({ "to": c }),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        case(
            "acceptReferralCase of a case A referred to B",
            ACCEPT_CASE,
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(Some("ACCEPTED"), "REFERRED"),
        case(
            "acceptReferralCase of a case B accepted already",
            ACCEPT_CASE,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Accepted))
        .status_after(None, "ACCEPTED"),
        case(
            "acceptReferralCase of a case B referred to C",
            ACCEPT_CASE,
            id(world.case_bc),
            [UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN],
        )
        .status_after(None, "REFERRED"),
        case(
            "acceptReferralCase of a case B referred onward to C (B is no longer its receiver)",
            ACCEPT_CASE,
            id(world.case_abc),
            [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .status_after(None, "REFERRED"),
        case(
            "declineReferralCase of a case A referred to B",
            DECLINE_CASE,
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(Some("DECLINED"), "REFERRED"),
        case(
            "declineReferralCase for OTHER reasons without a comment",
            "mutation($id: ID!) { declineReferralCase(id: $id, reason: OTHER) { status } }",
            json!({}),
            [
                UNAUTHENTICATED,
                FORBIDDEN,
                invalid("comment"),
                FORBIDDEN,
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        case(
            "declineReferralCase of a case B declined already",
            DECLINE_CASE,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Declined))
        .status_after(None, "DECLINED"),
        case(
            "startReferralService of a case B accepted",
            START_SERVICE,
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Accepted))
        .status_after(Some("IN_SERVICE"), "ACCEPTED"),
        case(
            "startReferralService of a case B has not accepted",
            START_SERVICE,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        case(
            "closeReferralCase of a case B serves",
            CLOSE_CASE,
            json!({}),
            [UNAUTHENTICATED, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::InService))
        .status_after(Some("CLOSED"), "IN_SERVICE"),
        case(
            "closeReferralCase of a case B declined",
            CLOSE_CASE,
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Declined))
        .status_after(Some("CLOSED"), "DECLINED"),
        case(
            "closeReferralCase of a case B has not answered",
            CLOSE_CASE,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        case(
            "withdrawReferralCase of a case A referred to B",
            WITHDRAW_CASE,
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(Some("WITHDRAWN"), "REFERRED"),
        case(
            "withdrawReferralCase of a case B accepted",
            WITHDRAW_CASE,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Accepted))
        .status_after(None, "ACCEPTED"),
        case(
            "referCaseOnward to C of a case B declined",
            REFER_ONWARD,
            json!({ "to": c }),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Declined))
        .status_after(Some("REFERRED"), "DECLINED"),
        case(
            "referCaseOnward to C of a case B accepted",
            REFER_ONWARD,
            json!({ "to": c }),
            [UNAUTHENTICATED, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Accepted))
        .status_after(Some("REFERRED"), "ACCEPTED"),
        case(
            "referCaseOnward to C of a case B has not answered",
            REFER_ONWARD,
            json!({ "to": c }),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(None, "REFERRED"),
        case(
            "withdrawCaseConsent of a case A referred to B",
            WITHDRAW_CONSENT,
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Referred))
        .status_after(Some("CLOSED"), "REFERRED"),
        case(
            "withdrawCaseConsent of a draft of A's",
            WITHDRAW_CONSENT,
            json!({}),
            [UNAUTHENTICATED, OK, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::Draft))
        .status_after(Some("CLOSED"), "DRAFT"),
        case(
            "withdrawCaseConsent of a case A withdrew",
            WITHDRAW_CONSENT,
            json!({}),
            [
                UNAUTHENTICATED,
                invalid("status"),
                invalid("status"),
                invalid("status"),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .with(Setup::FreshCase(Stage::Withdrawn))
        .status_after(None, "WITHDRAWN"),
        // Live referral events are delivered over WebSocket only (`/graphql/ws`), to the
        // members of the organisations party to the change: a partner of A is told of A's
        // referral to C first, a member of B only of the one to B. The office is party to no
        // case; a refused token closes the connection.
        case(
            "referralEvents over WebSocket: the first event each principal is told of",
            "subscription { referralEvents { caseId change status } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!({ "caseId": "new referral A-C", "change": "REFERRED", "status": "REFERRED" })),
                seen(json!({ "caseId": "new referral A-B", "change": "REFERRED", "status": "REFERRED" })),
                seen(json!({ "caseId": "new referral A-C", "change": "REFERRED", "status": "REFERRED" })),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .over_websocket()
        .in_production(FORBIDDEN)
        .picking(|data| data["referralEvents"].clone()),
        // Over HTTP a subscription is the client's mistake of transport, refused alike for
        // everyone: the document is the client's, so the refusal is BAD_USER_INPUT, not a
        // masked INTERNAL.
        case(
            "referralEvents over HTTP POST",
            "subscription { referralEvents { caseId } }",
            json!({}),
            [BAD_USER_INPUT; 6],
        )
        .except(Restricted, BAD_USER_INPUT)
        .in_production(BAD_USER_INPUT),
        // The inbox: every signed-in account has its own (empty for the office, which is told
        // of nothing); the public has none. Who is told what, marking another account's, and
        // the live `notificationAdded` per principal: tests/api/notifications.rs (over
        // WebSocket a referrer is never told of its own referral, which this table's
        // subscription run waits for).
        case(
            "your own notifications",
            "{ notifications(first: 5) { totalCount unreadCount edges { node { kind message } } } }",
            json!({}),
            [UNAUTHENTICATED, OK, OK, OK, OK, OK],
        ),
        case(
            "marking none of your notifications read",
            "mutation { markNotificationsRead(ids: []) }",
            json!({}),
            [
                UNAUTHENTICATED,
                count(0),
                count(0),
                count(0),
                count(0),
                count(0),
            ],
        )
        .picking(|data| data["markNotificationsRead"].clone()),
        case(
            "notificationAdded over HTTP POST",
            "subscription { notificationAdded { id } }",
            json!({}),
            [BAD_USER_INPUT; 6],
        )
        .except(Restricted, BAD_USER_INPUT)
        .in_production(BAD_USER_INPUT),
    ]
}

/// Nested paths that cross to another type, and filters: what each principal reaches through
/// them. The labels are those of [`World`]; the outcomes are in the order of the matrix.
fn nested(world: &World) -> Vec<Case> {
    let everyone = |value: Value| [(); 6].map(|()| seen(value.clone()));
    let a_and_office = listed(&["P published", "P draft"]);
    let public = listed(&["P published"]);
    let none = listed(&[]);
    // UNAUTHENTICATED for the public, `value` for every signed-in principal.
    let signed_in = |value: Value| {
        let mut expect = everyone(value);
        expect[0] = UNAUTHENTICATED;
        expect
    };
    let a_cases = listed(&["case A draft", "case A-B", "case A-C", "case A-B-C"]);
    let b_cases = listed(&["case A-B", "case B-C", "case A-B-C"]);
    let all_cases = listed(&[
        "case A draft",
        "case A-B",
        "case A-C",
        "case B-C",
        "case A-B-C",
    ]);
    let secrets_ab = world.secrets["case A-B"].clone();
    let secrets_abc = world.secrets["case A-B-C"].clone();
    // The identifying row's reads: partners and managers of A and B.
    let reads_ab = json!({ "reads": 4, "by": ["org A", "org B"] });
    let reads_abc = json!({ "reads": 2, "by": ["org A"] });
    vec![
        case(
            "project → events: P's draft only for A and the office",
            "query($id: ID!) { project(id: $id) { events(first: 100) { totalCount edges { node { id } } } } }",
            id(world.p),
            [
                seen(public.clone()),
                seen(a_and_office.clone()),
                seen(public.clone()),
                seen(a_and_office.clone()),
                seen(a_and_office.clone()),
                seen(a_and_office),
            ],
        )
        .picking(|data| listing(&data["project"]["events"])),
        // Results: a pending result is read by the project's partners (A) and the office only;
        // everyone else reads the period as if nothing were reported, and its status with it.
        case(
            "indicator → periods: a pending result",
            "query($id: ID!) { indicator(id: $id) { periods { actual revision reportedById status revisions { revision } } } }",
            json!({}),
            {
                let hidden = json!([{ "actual": null, "revision": null, "reportedById": false, "status": "MISSING", "revisions": [] }]);
                let read = json!([{ "actual": 31.0, "revision": 1, "reportedById": true, "status": "OFF_TRACK", "revisions": [] }]);
                [
                    seen(hidden.clone()),
                    seen(read.clone()),
                    seen(hidden),
                    seen(read.clone()),
                    seen(read.clone()),
                    seen(read),
                ]
            },
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Reported })
        .picking(|data| reported_by_as_flag(&data["indicator"]["periods"])),
        case(
            "indicator → periods: an approved result",
            "query($id: ID!) { indicator(id: $id) { periods { actual revision reportedById status approved } } }",
            json!({}),
            {
                let public = json!([{ "actual": 31.0, "revision": 1, "reportedById": false, "status": "OFF_TRACK", "approved": true }]);
                let party = json!([{ "actual": 31.0, "revision": 1, "reportedById": true, "status": "OFF_TRACK", "approved": true }]);
                [
                    seen(public.clone()),
                    seen(party.clone()),
                    seen(public),
                    seen(party.clone()),
                    seen(party.clone()),
                    seen(party),
                ]
            },
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Approved })
        .picking(|data| reported_by_as_flag(&data["indicator"]["periods"])),
        case(
            "project → results: progress from the results each reader may read",
            "query($project: ID!) { project(id: $project) { results { indicators assessed onTrack } indicators { periods { progress } } } }",
            json!({}),
            {
                let hidden = json!({ "results": { "indicators": 1, "assessed": 1, "onTrack": 0 }, "indicators": [{ "periods": [{ "progress": null }] }] });
                let read = json!({ "results": { "indicators": 1, "assessed": 1, "onTrack": 0 }, "indicators": [{ "periods": [{ "progress": 0.775 }] }] });
                [
                    seen(hidden.clone()),
                    seen(read.clone()),
                    seen(hidden),
                    seen(read.clone()),
                    seen(read.clone()),
                    seen(read),
                ]
            },
        )
        .with(Setup::FreshIndicator { public: true, accountable: false, result: ResultState::Reported })
        .picking(|data| data["project"].clone()),
        case(
            "project → partners → organisation",
            "query($id: ID!) { project(id: $id) { partners { role organisation { id } } } }",
            id(world.p),
            everyone(json!(["IMPLEMENTING org A"])),
        )
        .picking(|data| {
            Value::Array(
                data["project"]["partners"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|partner| {
                        json!(format!(
                            "{} {}",
                            text(&partner["role"]),
                            text(&partner["organisation"]["id"])
                        ))
                    })
                    .collect(),
            )
        }),
        case(
            "events → project and organiser",
            "{ events(first: 100) { edges { node { id project { id } organiser { id } } } } }",
            json!({}),
            [
                seen(json!(["P published in P by org A"])),
                seen(json!([
                    "P published in P by org A",
                    "P draft in P by org A",
                    "IA draft in IA by org A",
                ])),
                seen(json!([
                    "P published in P by org A",
                    "IB published in IB by org B",
                ])),
                seen(json!([
                    "P published in P by org A",
                    "P draft in P by org A",
                    "IA draft in IA by org A",
                ])),
                seen(json!([
                    "P published in P by org A",
                    "P draft in P by org A",
                    "IA draft in IA by org A",
                    "IB published in IB by org B",
                ])),
                seen(json!([
                    "P published in P by org A",
                    "P draft in P by org A",
                    "IA draft in IA by org A",
                    "IB published in IB by org B",
                ])),
            ],
        )
        .picking(|data| event_links(&data["events"])),
        case(
            "events → organiser's contact details",
            "{ events(first: 100) { edges { node { organiser { contactEmail } } } } }",
            json!({}),
            [FORBIDDEN, OK, OK, OK, OK, OK],
        ),
        case(
            "event of B's internal project → project",
            "query($id: ID!) { event(id: $id) { project { id } } }",
            id(world.event_ib),
            [
                NOT_FOUND,
                NOT_FOUND,
                seen(json!("IB")),
                NOT_FOUND,
                seen(json!("IB")),
                seen(json!("IB")),
            ],
        )
        .picking(|data| data["event"]["project"]["id"].clone()),
        case(
            "shelter → operator's contact details",
            "query($id: ID!) { resourceCentre(id: $id) { operator { id contactEmail } } }",
            id(world.sb),
            [
                FORBIDDEN,
                seen(json!("org B")),
                seen(json!("org B")),
                seen(json!("org B")),
                seen(json!("org B")),
                seen(json!("org B")),
            ],
        )
        .picking(|data| data["resourceCentre"]["operator"]["id"].clone()),
        case(
            "a shelter's address: not for the public",
            "query($id: ID!) { resourceCentre(id: $id) { address addressTranslations { en } } }",
            id(world.sb),
            [
                seen(json!([null, null])),
                seen(json!([SB_ADDRESS, SB_ADDRESS])),
                seen(json!([SB_ADDRESS, SB_ADDRESS])),
                seen(json!([SB_ADDRESS, SB_ADDRESS])),
                seen(json!([SB_ADDRESS, SB_ADDRESS])),
                seen(json!([SB_ADDRESS, SB_ADDRESS])),
            ],
        )
        .picking(|data| {
            let centre = &data["resourceCentre"];
            json!([centre["address"], centre["addressTranslations"]["en"]])
        }),
        case(
            "a women's resource centre's address: public",
            "query($id: ID!) { resourceCentre(id: $id) { address } }",
            id(world.ca),
            everyone(json!("1 Example Street")),
        )
        .picking(|data| data["resourceCentre"]["address"].clone()),
        case(
            "organisation B: name and kind for everyone",
            "query($id: ID!) { organisation(id: $id) { name kind } }",
            id(world.b),
            everyone(json!({ "name": "NGO B", "kind": "NGO" })),
        )
        .picking(|data| data["organisation"].clone()),
        case(
            "organisation B: contact details and status for the signed-in",
            "query($id: ID!) { organisation(id: $id) { contactEmail contactPhone active } }",
            id(world.b),
            [FORBIDDEN, OK, OK, OK, OK, OK],
        ),
        case(
            "organisations found by a name only members see",
            "{ organisations(first: 100, filter: { search: \"hidden\" }) { totalCount edges { node { id } } } }",
            json!({}),
            [
                seen(none.clone()),
                seen(listed(&["org C"])),
                seen(listed(&["org C"])),
                seen(listed(&["org C"])),
                seen(listed(&["org C"])),
                seen(listed(&["org C"])),
            ],
        )
        .picking(|data| listing(&data["organisations"])),
        case(
            "projects B takes part in",
            "query($organisation: ID!) { projects(first: 100, filter: { partnerId: $organisation }) { totalCount edges { node { id } } } }",
            json!({ "organisation": world.b.to_string() }),
            [
                seen(none.clone()),
                seen(none.clone()),
                seen(listed(&["IB"])),
                seen(none.clone()),
                seen(listed(&["IB"])),
                seen(listed(&["IB"])),
            ],
        )
        .picking(|data| listing(&data["projects"])),
        case(
            "internal projects",
            "{ projects(first: 100, filter: { visibility: INTERNAL }) { totalCount edges { node { id } } } }",
            json!({}),
            [
                seen(none.clone()),
                seen(listed(&["IA"])),
                seen(listed(&["IB"])),
                seen(listed(&["IA"])),
                seen(listed(&["IA", "IB"])),
                seen(listed(&["IA", "IB"])),
            ],
        )
        .picking(|data| listing(&data["projects"])),
        case(
            "projects found by IA's code",
            "query($code: String!) { projects(first: 100, filter: { search: $code }) { totalCount edges { node { id } } } }",
            json!({ "code": IA_CODE }),
            [
                seen(none.clone()),
                seen(listed(&["IA"])),
                seen(none.clone()),
                seen(listed(&["IA"])),
                seen(listed(&["IA"])),
                seen(listed(&["IA"])),
            ],
        )
        .picking(|data| listing(&data["projects"])),
        case(
            "events of A's internal project",
            "query($project: ID!) { events(first: 100, filter: { projectId: $project }) { totalCount edges { node { id } } } }",
            json!({ "project": world.ia.to_string() }),
            [
                seen(none.clone()),
                seen(listed(&["IA draft"])),
                seen(none.clone()),
                seen(listed(&["IA draft"])),
                seen(listed(&["IA draft"])),
                seen(listed(&["IA draft"])),
            ],
        )
        .picking(|data| listing(&data["events"])),
        case(
            "events A organises",
            "query($organiser: ID!) { events(first: 100, filter: { organiserId: $organiser }) { totalCount edges { node { id } } } }",
            json!({ "organiser": world.a.to_string() }),
            [
                seen(public.clone()),
                seen(listed(&["P published", "P draft", "IA draft"])),
                seen(public.clone()),
                seen(listed(&["P published", "P draft", "IA draft"])),
                seen(listed(&["P published", "P draft", "IA draft"])),
                seen(listed(&["P published", "P draft", "IA draft"])),
            ],
        )
        .picking(|data| listing(&data["events"])),
        case(
            "events found by the word \"draft\"",
            "{ events(first: 100, filter: { search: \"draft\" }) { totalCount edges { node { id } } } }",
            json!({}),
            [
                seen(none.clone()),
                seen(listed(&["P draft", "IA draft"])),
                seen(none.clone()),
                seen(listed(&["P draft", "IA draft"])),
                seen(listed(&["P draft", "IA draft"])),
                seen(listed(&["P draft", "IA draft"])),
            ],
        )
        .picking(|data| listing(&data["events"])),
        case(
            "centres A operates",
            "query($operator: ID!) { resourceCentres(first: 100, filter: { operatorId: $operator }) { totalCount edges { node { id } } } }",
            json!({ "operator": world.a.to_string() }),
            [
                seen(listed(&["CA"])),
                seen(listed(&["CA", "CX"])),
                seen(listed(&["CA"])),
                seen(listed(&["CA", "CX"])),
                seen(listed(&["CA", "CX"])),
                seen(listed(&["CA", "CX"])),
            ],
        )
        .picking(|data| listing(&data["resourceCentres"])),
        case(
            "account → organisation",
            "query($id: ID!) { account(id: $id) { organisation { id } } }",
            id(world.account(PartnerA)),
            [
                NOT_FOUND,
                seen(json!("org A")),
                NOT_FOUND,
                seen(json!("org A")),
                NOT_FOUND,
                seen(json!("org A")),
            ],
        )
        .picking(|data| data["account"]["organisation"]["id"].clone()),
        case(
            "me → organisation",
            "{ me { organisation { id } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!("org A")),
                seen(json!("org B")),
                seen(json!("org A")),
                seen(Value::Null),
                seen(Value::Null),
            ],
        )
        .picking(|data| data["me"]["organisation"]["id"].clone()),
        case(
            "centre reports → centre",
            "{ centreReports(first: 100) { edges { node { id centre { id } } } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!(["report CA of CA"])),
                seen(json!(["report SB of SB"])),
                seen(json!(["report CA of CA"])),
                seen(json!(["report CA of CA", "report SB of SB"])),
                seen(json!(["report CA of CA", "report SB of SB"])),
            ],
        )
        .picking(|data| {
            Value::Array(
                nodes(&data["centreReports"])
                    .into_iter()
                    .map(|node| {
                        json!(format!(
                            "{} of {}",
                            text(&node["id"]),
                            text(&node["centre"]["id"])
                        ))
                    })
                    .collect(),
            )
        }),
        case(
            "centre reports of A's centre",
            "query($centre: ID!) { centreReports(first: 100, filter: { centreId: $centre }) { totalCount edges { node { id } } } }",
            json!({ "centre": world.ca.to_string() }),
            [
                UNAUTHENTICATED,
                seen(listed(&["report CA"])),
                seen(none.clone()),
                seen(listed(&["report CA"])),
                seen(listed(&["report CA"])),
                seen(listed(&["report CA"])),
            ],
        )
        .picking(|data| listing(&data["centreReports"])),
        case(
            "accounts of A",
            "query($organisation: ID!) { accounts(first: 100, filter: { organisationId: $organisation }) { totalCount edges { node { id } } } }",
            json!({ "organisation": world.a.to_string() }),
            [
                UNAUTHENTICATED,
                FORBIDDEN,
                FORBIDDEN,
                seen(listed(&A_ACCOUNTS)),
                FORBIDDEN,
                seen(listed(&A_ACCOUNTS)),
            ],
        )
        .except(ManagerB, seen(none.clone()))
        .picking(|data| listing(&data["accounts"])),
        case(
            "accounts of B",
            "query($organisation: ID!) { accounts(first: 100, filter: { organisationId: $organisation }) { totalCount edges { node { id } } } }",
            json!({ "organisation": world.b.to_string() }),
            [
                UNAUTHENTICATED,
                FORBIDDEN,
                FORBIDDEN,
                seen(none.clone()),
                FORBIDDEN,
                seen(listed(&["account PB", "account MB"])),
            ],
        )
        .except(ManagerB, seen(listed(&["account PB", "account MB"])))
        .picking(|data| listing(&data["accounts"])),
        // Referral cases: each principal's, and what crosses from a case to other types.
        case(
            "referral cases: its organisation's for a partner, all for the office",
            "{ referralCases(first: 100) { totalCount edges { node { id } } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(a_cases.clone()),
                seen(b_cases.clone()),
                seen(a_cases.clone()),
                seen(all_cases.clone()),
                seen(all_cases),
            ],
        )
        .picking(|data| listing(&data["referralCases"])),
        case(
            "referral cases → referring and receiving organisation",
            "{ referralCases(first: 100) { edges { node { id referringOrganisation { id } receivingOrganisation { id } } } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(json!([
                    "case A draft from org A to -",
                    "case A-B from org A to org B",
                    "case A-C from org A to org C",
                    "case A-B-C from org A to org C",
                ])),
                seen(json!([
                    "case A-B from org A to org B",
                    "case B-C from org B to org C",
                    "case A-B-C from org A to org C",
                ])),
                seen(json!([
                    "case A draft from org A to -",
                    "case A-B from org A to org B",
                    "case A-C from org A to org C",
                    "case A-B-C from org A to org C",
                ])),
                seen(json!([
                    "case A draft from org A to -",
                    "case A-B from org A to org B",
                    "case A-C from org A to org C",
                    "case B-C from org B to org C",
                    "case A-B-C from org A to org C",
                ])),
                seen(json!([
                    "case A draft from org A to -",
                    "case A-B from org A to org B",
                    "case A-C from org A to org C",
                    "case B-C from org B to org C",
                    "case A-B-C from org A to org C",
                ])),
            ],
        )
        .picking(|data| case_links(&data["referralCases"])),
        case(
            "outgoing referral cases",
            "{ referralCases(first: 100, filter: { direction: OUTGOING }) { totalCount edges { node { id } } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(a_cases.clone()),
                seen(listed(&["case B-C"])),
                seen(a_cases),
                invalid("filter.direction"),
                invalid("filter.direction"),
            ],
        )
        .picking(|data| listing(&data["referralCases"])),
        case(
            "incoming referral cases (a previous receiver's included)",
            "{ referralCases(first: 100, filter: { direction: INCOMING }) { totalCount edges { node { id } } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(none.clone()),
                seen(listed(&["case A-B", "case A-B-C"])),
                seen(none.clone()),
                invalid("filter.direction"),
                invalid("filter.direction"),
            ],
        )
        .picking(|data| listing(&data["referralCases"])),
        case(
            "referral cases awaiting an answer",
            "{ referralCases(first: 100, filter: { status: REFERRED }) { totalCount edges { node { id } } } }",
            json!({}),
            [
                UNAUTHENTICATED,
                seen(listed(&["case A-B", "case A-C", "case A-B-C"])),
                seen(b_cases),
                seen(listed(&["case A-B", "case A-C", "case A-B-C"])),
                seen(listed(&["case A-B", "case A-C", "case B-C", "case A-B-C"])),
                seen(listed(&["case A-B", "case A-C", "case B-C", "case A-B-C"])),
            ],
        )
        .picking(|data| listing(&data["referralCases"])),
        case(
            "a referral case that does not exist",
            "query($id: ID!) { referralCase(id: $id) { id } }",
            id(Uuid::now_v7()),
            [
                UNAUTHENTICATED,
                NOT_FOUND,
                NOT_FOUND,
                NOT_FOUND,
                NOT_FOUND,
                NOT_FOUND,
            ],
        ),
        case(
            "a case A referred to B: its non-identifying fields, for the office too",
            "query($id: ID!) { referralCase(id: $id) { status district survivor { sex ageGroup citizenship } servicesRequested consent { given } } }",
            id(world.case_ab),
            signed_in(json!({
                "status": "REFERRED",
                "district": "Bokhtar",
                "survivor": { "sex": "FEMALE", "ageGroup": "ADULT_25_59", "citizenship": "TJ" },
                "servicesRequested": ["LEGAL_CONSULTATION", "PSYCHOSOCIAL_COUNSELLING"],
                "consent": { "given": true },
            })),
        )
        .picking(|data| data["referralCase"].clone()),
        case(
            "a case A referred to B → identifying: its parties only, never the office",
            IDENTIFYING,
            id(world.case_ab),
            [
                UNAUTHENTICATED,
                seen(secrets_ab.clone()),
                seen(secrets_ab.clone()),
                seen(secrets_ab),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .picking(|data| data["referralCase"]["identifying"].clone()),
        // After the row above: its four reads, and not the office's refused attempts.
        case(
            "a case A referred to B → accessLog: for its parties",
            ACCESS_LOG,
            id(world.case_ab),
            [
                UNAUTHENTICATED,
                seen(reads_ab.clone()),
                seen(reads_ab.clone()),
                seen(reads_ab),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .picking(|data| readers(&data["referralCase"]["accessLog"])),
        case(
            "a case A referred to B → history",
            HISTORY,
            id(world.case_ab),
            signed_in(json!([
                "- -> DRAFT by org A for -",
                "DRAFT -> REFERRED by org A for org B",
            ])),
        )
        .picking(|data| steps(&data["referralCase"]["history"])),
        case(
            "a case B referred onward to C → history: its previous receiver keeps it",
            HISTORY,
            id(world.case_abc),
            signed_in(json!([
                "- -> DRAFT by org A for -",
                "DRAFT -> REFERRED by org A for org B",
                "REFERRED -> ACCEPTED by org B for org B",
                "ACCEPTED -> REFERRED by org B for org C",
            ])),
        )
        .picking(|data| steps(&data["referralCase"]["history"])),
        case(
            "a case B referred onward to C → receiving organisation",
            "query($id: ID!) { referralCase(id: $id) { receivingOrganisation { id } } }",
            id(world.case_abc),
            signed_in(json!("org C")),
        )
        .picking(|data| data["referralCase"]["receivingOrganisation"]["id"].clone()),
        case(
            "a case B referred onward to C → identifying: never its previous receiver",
            IDENTIFYING,
            id(world.case_abc),
            [
                UNAUTHENTICATED,
                seen(secrets_abc.clone()),
                FORBIDDEN,
                seen(secrets_abc),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .picking(|data| data["referralCase"]["identifying"].clone()),
        case(
            "a case B referred onward to C → accessLog: for its current parties",
            ACCESS_LOG,
            id(world.case_abc),
            [
                UNAUTHENTICATED,
                seen(reads_abc.clone()),
                FORBIDDEN,
                seen(reads_abc),
                FORBIDDEN,
                FORBIDDEN,
            ],
        )
        .picking(|data| readers(&data["referralCase"]["accessLog"])),
        // A page with a case whose identifying data the reader may not open (B is the previous
        // receiver of A-B-C) answers with a FORBIDDEN error for that case; the leak scan checks
        // that the rest of such an answer holds no other case's data.
        case(
            "referral cases → identifying",
            "{ referralCases(first: 100) { edges { node { id identifying { survivorName } } } } }",
            json!({}),
            [UNAUTHENTICATED, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN],
        ),
        case(
            "a case whose survivor withdrew consent → identifying: erased",
            IDENTIFYING,
            json!({}),
            [UNAUTHENTICATED, CONFLICT, CONFLICT, CONFLICT, FORBIDDEN, FORBIDDEN],
        )
        .with(Setup::FreshCase(Stage::ConsentWithdrawn)),
        case(
            "a case whose survivor withdrew consent: closed, its identifying data erased",
            "query($id: ID!) { referralCase(id: $id) { status outcome consent { given } } }",
            json!({}),
            signed_in(json!({
                "status": "CLOSED",
                "outcome": "CONSENT_WITHDRAWN",
                "consent": { "given": false },
            })),
        )
        .with(Setup::FreshCase(Stage::ConsentWithdrawn))
        .picking(|data| data["referralCase"].clone()),
    ]
}

/// The accounts of A: its partner and manager, and those disabled and held to a one-time
/// password.
const A_ACCOUNTS: [&str; 4] = [
    "account PA",
    "account MA",
    "account disabled",
    "account restricted",
];

const IDENTIFYING: &str = "query($id: ID!) { referralCase(id: $id) { identifying { survivorName contactPhone address notes } } }";
const ACCESS_LOG: &str =
    "query($id: ID!) { referralCase(id: $id) { accessLog { at accountId organisation { id } } } }";
const HISTORY: &str = "query($id: ID!) { referralCase(id: $id) { history { fromStatus toStatus organisation { id } receivingOrganisation { id } reason at } } }";

/// Each case as `<case> from <referrer> to <receiver>` (labels; `-` for none).
fn case_links(connection: &Value) -> Value {
    Value::Array(
        nodes(connection)
            .into_iter()
            .map(|node| {
                json!(format!(
                    "{} from {} to {}",
                    text(&node["id"]),
                    text(&node["referringOrganisation"]["id"]),
                    text(&node["receivingOrganisation"]["id"])
                ))
            })
            .collect(),
    )
}

/// Each step of a case's history as `<from> -> <to> by <organisation> for <receiver>`.
fn steps(history: &Value) -> Value {
    Value::Array(
        history
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|step| {
                json!(format!(
                    "{} -> {} by {} for {}",
                    text(&step["fromStatus"]),
                    text(&step["toStatus"]),
                    text(&step["organisation"]["id"]),
                    text(&step["receivingOrganisation"]["id"])
                ))
            })
            .collect(),
    )
}

/// How many reads an access log lists, and by which organisations (`-` for none).
fn readers(log: &Value) -> Value {
    let entries = log.as_array().map(Vec::as_slice).unwrap_or_default();
    let by: BTreeSet<&str> = entries
        .iter()
        .map(|entry| text(&entry["organisation"]["id"]))
        .collect();
    json!({ "reads": entries.len(), "by": by })
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// Each event as `<event> in <project> by <organiser>` (labels; `-` for no project).
fn event_links(connection: &Value) -> Value {
    Value::Array(
        nodes(connection)
            .into_iter()
            .map(|node| {
                json!(format!(
                    "{} in {} by {}",
                    text(&node["id"]),
                    text(&node["project"]["id"]),
                    text(&node["organiser"]["id"])
                ))
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// The world every test starts from.

const P_CODE: &str = "PO-2025-GE-01";
/// The budgets of P, IA and IB (cents), each a number found nowhere else.
const P_BUDGET: i64 = 4_100_017;
const IA_BUDGET: i64 = 4_200_029;
const IB_BUDGET: i64 = 4_300_031;
/// The street address of B's shelter and of A's closed centre, and the closed centre's phone.
const SB_ADDRESS: &str = "9 Quiet Courtyard, Bokhtar";
const CX_ADDRESS: &str = "4 Shuttered Lane, Bokhtar";
const CX_PHONE: &str = "+992 37 555 44 33";
/// The contact email and phone of organisations A, B and C.
const CONTACTS: [(&str, &str); 3] = [
    ("office@ngo-a.example.tj", "+992 44 100 00 01"),
    ("office@ngo-b.example.tj", "+992 44 100 00 02"),
    ("desk@hidden-unit.example.tj", "+992 44 100 00 03"),
];
const IA_CODE: &str = "PO-2025-GE-02";
const IB_CODE: &str = "PO-2025-BM-03";

/// Organisations A and B (NGOs) and C (in no public content); a public project P and an
/// internal project IA with A as partner, an internal project IB with B; events of them; an
/// active (CA) and an inactive (CX) centre of A and a shelter (SB) of B, with last month's
/// reports of CA and SB; referral cases between A, B and C (C has no user: it is the third
/// organisation that makes A or B a bystander); and a signed-in user for each principal.
struct World {
    a: Uuid,
    b: Uuid,
    c: Uuid,
    p: Uuid,
    ia: Uuid,
    ib: Uuid,
    /// Published, of P, organised by A.
    event_p: Uuid,
    /// Unpublished, of P, organised by A.
    draft_p: Uuid,
    /// Unpublished, of IA, organised by A.
    draft_ia: Uuid,
    /// Published, of IB, organised by B: hidden from the public as IB is internal.
    event_ib: Uuid,
    ca: Uuid,
    cx: Uuid,
    sb: Uuid,
    /// The month of the world's reports and of the reports the matrix submits: last month.
    month: NaiveDate,
    /// A draft of A's.
    case_draft: Uuid,
    /// Referred by A to B.
    case_ab: Uuid,
    /// Referred by A to C: B is no party to it.
    case_ac: Uuid,
    /// Referred by B to C: A is no party to it.
    case_bc: Uuid,
    /// Referred by A to B, accepted by B and referred onward by B to C: B is its previous
    /// receiver.
    case_abc: Uuid,
    /// The identifying fields of each case above, by its label.
    secrets: HashMap<&'static str, Value>,
    users: HashMap<Principal, User>,
    /// A readable name for each id (and project code) of the world, used in answers before
    /// they are compared.
    labels: HashMap<String, &'static str>,
    /// Secrets of the two-factor enrolments the matrix confirmed, to remove them.
    totp_secrets: HashMap<Principal, Vec<u8>>,
    /// For unique project codes.
    serial: u32,
    /// The fixtures and how they relate: who may read each value follows from it.
    facts: Facts,
}

/// What the world holds and how its objects relate, as written by [`world`]: the leak scan
/// derives from it who may read each value (see [`Facts::values`]).
#[derive(Default)]
struct Facts {
    organisations: Vec<OrganisationFacts>,
    projects: Vec<ProjectFacts>,
    events: Vec<EventFacts>,
    centres: Vec<CentreFacts>,
    /// Each report's id and its centre.
    reports: Vec<(String, Uuid)>,
    cases: Vec<CaseFacts>,
}

struct OrganisationFacts {
    id: Uuid,
    name: &'static str,
    email: &'static str,
    phone: &'static str,
}

struct ProjectFacts {
    id: Uuid,
    code: &'static str,
    title: &'static str,
    budget: i64,
    public: bool,
    partners: Vec<Uuid>,
}

struct EventFacts {
    id: Uuid,
    title: &'static str,
    project: Option<Uuid>,
    organiser: Uuid,
    published: bool,
}

struct CentreFacts {
    id: Uuid,
    name: &'static str,
    address: &'static str,
    phone: &'static str,
    shelter: bool,
    active: bool,
    operator: Uuid,
}

struct CaseFacts {
    id: Uuid,
    code: String,
    label: &'static str,
    referrer: Uuid,
    /// The organisation it is referred to now, if any.
    receiver: Option<Uuid>,
    /// Organisations it was referred to before.
    previous: Vec<Uuid>,
    /// Its identifying fields.
    identifying: Vec<String>,
    /// Its consent scope and the comments of its history.
    free_text: Vec<String>,
}

const SUBMIT_REPORT: &str = r"
mutation($centre: ID!, $month: NaiveDate!, $service: CentreService!) {
  submitCentreReport(centreId: $centre, month: $month, lines: [{ service: $service, female: 9, male: 3 }]) { id }
}";

/// Each login hashes a password; the matrix signs in more often than the default limit per
/// client address allows in a minute.
async fn spawn_matrix_app() -> TestApp {
    spawn_app_with(&[("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "1000")]).await
}

async fn event(
    app: &TestApp,
    title: &str,
    project: Uuid,
    organiser: Uuid,
    published: bool,
) -> Uuid {
    fixtures::event(
        &app.db,
        NewEvent {
            title,
            project_id: Some(project),
            organiser_id: organiser,
            published,
            ..NewEvent::default()
        },
    )
    .await
    .id
}

async fn centre(
    app: &TestApp,
    name: &str,
    kind: CentreKind,
    operator: Uuid,
    active: bool,
    services: &[CentreService],
) -> Uuid {
    fixtures::centre(
        &app.db,
        NewCentre {
            name,
            kind,
            operator_id: operator,
            active,
            services,
            ..NewCentre::default()
        },
    )
    .await
    .id
}

fn new_project<'a>(
    code: &'a str,
    title: &str,
    visibility: Visibility,
    partners: &'a [(Uuid, PartnerRole)],
) -> NewProject<'a> {
    NewProject {
        code,
        title: Localized::en(title),
        visibility,
        partners,
        ..NewProject::default()
    }
}

/// Submits `user`'s organisation's report of `centre`; its id.
async fn submit_report(
    app: &TestApp,
    user: &User,
    centre: Uuid,
    month: NaiveDate,
    service: &str,
) -> String {
    let variables = json!({
        "centre": centre.to_string(), "month": month.to_string(), "service": service,
    });
    let data = app
        .data_as(&user.access_token, SUBMIT_REPORT, variables)
        .await;
    data["submitCentreReport"]["id"]
        .as_str()
        .expect("the report's id")
        .to_owned()
}

// Referral cases, opened and moved through the API as the parties do.

const CREATE_CASE: &str =
    "mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id code } }";
const RECORD_CONSENT: &str = "mutation($id: ID!) { recordCaseConsent(id: $id, scope: \"Referral for legal aid\") { consent { given } } }";
const SEND_CASE: &str = "mutation($id: ID!, $to: ID!) { sendReferralCase(id: $id, receivingOrganisationId: $to) { status } }";
const ACCEPT_CASE: &str = "mutation($id: ID!) { acceptReferralCase(id: $id) { status } }";
const DECLINE_CASE: &str =
    "mutation($id: ID!) { declineReferralCase(id: $id, reason: NO_CAPACITY) { status } }";
const START_SERVICE: &str = "mutation($id: ID!) { startReferralService(id: $id) { status } }";
const CLOSE_CASE: &str =
    "mutation($id: ID!) { closeReferralCase(id: $id, outcome: SERVICES_PROVIDED) { status } }";
const WITHDRAW_CASE: &str = "mutation($id: ID!) { withdrawReferralCase(id: $id) { status } }";
const REFER_ONWARD: &str = "mutation($id: ID!, $to: ID!) { referCaseOnward(id: $id, receivingOrganisationId: $to) { status } }";
const WITHDRAW_CONSENT: &str = "mutation($id: ID!) { withdrawCaseConsent(id: $id) { status } }";
/// A fresh draft is at version 1; a fresh referred case at 2 (opened, then sent).
const UPDATE_CASE_RISK: &str =
    "mutation($id: ID!) { updateReferralCase(id: $id, version: 1, input: { risk: LOW }) { risk } }";
const UPDATE_CASE_PROFILE: &str = "mutation($id: ID!) { updateReferralCase(id: $id, version: 2, input: { survivorHasDisability: true }) { status survivor { hasDisability } } }";
const ADD_NOTE: &str =
    "mutation($id: ID!) { addCaseNote(id: $id, text: \"Called back; all well\") { id } }";
const UNASSIGN_CASE: &str =
    "mutation($id: ID!) { assignReferralCase(id: $id, accountId: null) { status } }";
const DELETE_DRAFT: &str = "mutation($id: ID!) { deleteDraftReferralCase(id: $id) }";
const CASE_RISK: &str = "query($id: ID!) { referralCase(id: $id) { risk } }";
const CASE_DISABILITY: &str =
    "query($id: ID!) { referralCase(id: $id) { survivor { hasDisability } } }";

/// The survivor-identifying fields of the case numbered `number`, tagged `tag`: strings found
/// nowhere else, so that an answer containing one has leaked it. As `identifying` returns them.
fn secrets(number: u32, tag: &str) -> Value {
    json!({
        "survivorName": format!("Zarina Secretova [{tag}]"),
        "contactPhone": format!("+992 93 555 {number:04}"),
        "address": format!("House 7, Hidden Lane, Bokhtar [{tag}]"),
        "notes": format!("Confidential: fled the family home at night [{tag}]"),
    })
}

/// The strings of [`secrets`].
fn secret_strings(secrets: &Value) -> Vec<String> {
    ["survivorName", "contactPhone", "address", "notes"]
        .into_iter()
        .map(|field| text(&secrets[field]).to_owned())
        .collect()
}

/// The consent scope of the case whose identifying fields are `secrets`: free text found
/// nowhere else.
fn consent_scope(secrets: &Value) -> String {
    let name = text(&secrets["survivorName"]);
    let tag = name.split_once('[').map_or(name, |(_, tag)| tag);
    format!("Agreed to a referral for legal aid [scope of {tag}")
}

/// The comment B writes when it refers A-B-C onward: free text found nowhere else.
const ONWARD_COMMENT: &str = "Referred onward: the survivor needs a shelter [comment on A-B-C]";

/// Opens a case for `user`'s organisation with `secrets` as its identifying fields (and
/// consent, if `consent`, within [`consent_scope`]); its id and code.
async fn open_case(app: &TestApp, user: &User, secrets: &Value, consent: bool) -> (Uuid, String) {
    let input = with_changes(
        json!({
            "kind": "DOMESTIC_VIOLENCE",
            "risk": "MEDIUM",
            "survivorSex": "FEMALE",
            "survivorAgeGroup": "ADULT_25_59",
            "survivorCitizenship": "TJ",
            "region": "KHATLON",
            "district": "Bokhtar",
            "servicesRequested": ["LEGAL_CONSULTATION", "PSYCHOSOCIAL_COUNSELLING"],
            "consentGiven": consent,
            "consentScope": consent_scope(secrets),
        }),
        secrets.clone(),
    );
    let data = app
        .data_as(&user.access_token, CREATE_CASE, json!({ "input": input }))
        .await;
    let case = &data["createReferralCase"];
    let id = text(&case["id"]).parse().expect("the case's id");
    (id, text(&case["code"]).to_owned())
}

/// Runs a transition of `case` as `user`, which must succeed; `to` is the receiving
/// organisation, for the transitions that name one.
async fn advance(app: &TestApp, user: &User, document: &str, case: Uuid, to: Option<Uuid>) {
    let mut variables = json!({ "id": case.to_string() });
    if let Some(to) = to {
        variables["to"] = json!(to.to_string());
    }
    app.data_as(&user.access_token, document, variables).await;
}

/// A new case of A's at `stage`.
async fn fresh_case(app: &TestApp, world: &mut World, stage: Stage) -> Uuid {
    let number = 100 + world.serial();
    let secrets = secrets(number, &format!("fresh {number}"));
    let (referrer, receiver) = (&world.users[&PartnerA], &world.users[&PartnerB]);
    let (case, _) = open_case(app, referrer, &secrets, stage != Stage::Unconsented).await;
    if matches!(stage, Stage::Unconsented | Stage::Draft) {
        return case;
    }
    advance(app, referrer, SEND_CASE, case, Some(world.b)).await;
    match stage {
        Stage::Unconsented | Stage::Draft | Stage::Referred => {}
        Stage::Accepted => advance(app, receiver, ACCEPT_CASE, case, None).await,
        Stage::InService => {
            advance(app, receiver, ACCEPT_CASE, case, None).await;
            advance(app, receiver, START_SERVICE, case, None).await;
        }
        Stage::Declined => advance(app, receiver, DECLINE_CASE, case, None).await,
        Stage::Withdrawn => advance(app, referrer, WITHDRAW_CASE, case, None).await,
        Stage::ConsentWithdrawn => advance(app, referrer, WITHDRAW_CONSENT, case, None).await,
    }
    case
}

/// A partner of `organisation` signed in with a one-time password it must change first.
async fn restricted_user(app: &TestApp, organisation: Uuid) -> User {
    let (account, password) = app.account(Role::Partner, Some(organisation)).await;
    let mut restricted = account.into_active_model();
    restricted.must_change_password = Set(true);
    let account = restricted
        .update(&app.db)
        .await
        .expect("a one-time password");
    let response = app.login(&account.email, &password, None).await;
    let session = &response["data"]["login"];
    assert_eq!(session["mustChangePassword"], true, "{response:#}");
    User {
        access_token: text(&session["accessToken"]).to_owned(),
        refresh_token: text(&session["refreshToken"]).to_owned(),
        account,
        password,
    }
}

async fn world(app: &TestApp) -> World {
    let a = fixtures::organisation(&app.db, "NGO A").await.id;
    let b = fixtures::organisation(&app.db, "NGO B").await.id;
    let c = fixtures::organisation(&app.db, "Hidden ministry unit")
        .await
        .id;
    let p = fixtures::project(
        &app.db,
        NewProject {
            budget_minor: P_BUDGET,
            ..new_project(
                P_CODE,
                "Public project of A",
                Visibility::Public,
                &[(a, PartnerRole::Implementing)],
            )
        },
    )
    .await
    .id;
    let ia = fixtures::project(
        &app.db,
        NewProject {
            budget_minor: IA_BUDGET,
            ..new_project(
                IA_CODE,
                "Internal project of A",
                Visibility::Internal,
                &[(a, PartnerRole::Implementing)],
            )
        },
    )
    .await
    .id;
    let ib = fixtures::project(
        &app.db,
        NewProject {
            budget_minor: IB_BUDGET,
            ..new_project(
                IB_CODE,
                "Internal project of B",
                Visibility::Internal,
                &[(b, PartnerRole::Implementing)],
            )
        },
    )
    .await
    .id;
    let event_p = event(app, "Published event of P", p, a, true).await;
    let draft_ia = event(app, "Draft of IA", ia, a, false).await;
    let event_ib = event(app, "Published event of IB", ib, b, true).await;
    let draft_p = event(app, "Draft of P", p, a, false).await;
    let wrc = CentreKind::WomensResourceCentre;
    let wrc_services = [
        CentreService::LegalConsultation,
        CentreService::PsychosocialCounselling,
    ];
    let ca = centre(app, "Centre of A", wrc, a, true, &wrc_services).await;
    let cx = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Closed centre of A",
            operator_id: a,
            active: false,
            services: &wrc_services,
            address: CX_ADDRESS,
            phone: CX_PHONE,
            ..NewCentre::default()
        },
    )
    .await
    .id;
    let shelter_services = [CentreService::Shelter, CentreService::CrisisSupport];
    let sb = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Shelter of B",
            kind: CentreKind::Shelter,
            operator_id: b,
            services: &shelter_services,
            address: SB_ADDRESS,
            ..NewCentre::default()
        },
    )
    .await
    .id;
    // Contact details of each organisation its own, so that a leak of one is told apart.
    for (organisation, (email, phone)) in [a, b, c].into_iter().zip(CONTACTS) {
        let mut contact = entity::organisation::ActiveModel {
            id: Set(organisation),
            ..Default::default()
        };
        contact.contact_email = Set(Some(email.to_owned()));
        contact.contact_phone = Set(Some(phone.to_owned()));
        contact.update(&app.db).await.expect("contact details");
    }

    let mut users = HashMap::new();
    for (principal, role, organisation) in [
        (PartnerA, Role::Partner, Some(a)),
        (PartnerB, Role::Partner, Some(b)),
        (ManagerA, Role::PartnerManager, Some(a)),
        (Staff, Role::Staff, None),
        (Admin, Role::Admin, None),
        (ManagerB, Role::PartnerManager, Some(b)),
        (Disabled, Role::Partner, Some(a)),
    ] {
        users.insert(principal, app.user(role, organisation).await);
    }
    users.insert(Restricted, restricted_user(app, a).await);
    // The disabled account's token worked until its manager disabled the account.
    let disabled = &users[&Disabled];
    app.data_as(&disabled.access_token, "{ me { id } }", json!({}))
        .await;
    app.data_as(
        &users[&ManagerA].access_token,
        "mutation($id: ID!) { disableAccount(id: $id) { status } }",
        json!({ "id": disabled.account.id.to_string() }),
    )
    .await;

    let this_month = Utc::now().date_naive().with_day(1).expect("a first day");
    let month = this_month - Months::new(1);
    // Through the API, as the operators' staff submit them.
    let report_ca = submit_report(app, &users[&PartnerA], ca, month, "LEGAL_CONSULTATION").await;
    let report_sb = submit_report(app, &users[&PartnerB], sb, month, "SHELTER").await;

    // Referral cases, opened and answered through the API by the partners' staff.
    let (pa, pb) = (&users[&PartnerA], &users[&PartnerB]);
    let mut secrets_of = HashMap::new();
    let mut case_labels = Vec::new();
    let mut cases = Vec::new();
    for (number, (user, label)) in [
        (pa, "case A draft"),
        (pa, "case A-B"),
        (pa, "case A-C"),
        (pb, "case B-C"),
        (pa, "case A-B-C"),
    ]
    .into_iter()
    .enumerate()
    {
        let number = u32::try_from(number).expect("a few cases") + 1;
        let secrets = secrets(number, label);
        let (id, code) = open_case(app, user, &secrets, true).await;
        secrets_of.insert(label, secrets);
        case_labels.extend([(id.to_string(), label), (code, label)]);
        cases.push(id);
    }
    let [case_draft, case_ab, case_ac, case_bc, case_abc] = cases[..] else {
        unreachable!("five cases")
    };
    advance(app, pa, SEND_CASE, case_ab, Some(b)).await;
    advance(app, pa, SEND_CASE, case_ac, Some(c)).await;
    advance(app, pb, SEND_CASE, case_bc, Some(c)).await;
    advance(app, pa, SEND_CASE, case_abc, Some(b)).await;
    advance(app, pb, ACCEPT_CASE, case_abc, None).await;
    app.data_as(
        &pb.access_token,
        "mutation($id: ID!, $to: ID!, $comment: String) { referCaseOnward(id: $id, receivingOrganisationId: $to, comment: $comment) { status } }",
        json!({ "id": case_abc.to_string(), "to": c.to_string(), "comment": ONWARD_COMMENT }),
    )
    .await;

    let mut labels: HashMap<String, &'static str> = [
        (a, "org A"),
        (b, "org B"),
        (c, "org C"),
        (p, "P"),
        (ia, "IA"),
        (ib, "IB"),
        (event_p, "P published"),
        (draft_p, "P draft"),
        (draft_ia, "IA draft"),
        (event_ib, "IB published"),
        (ca, "CA"),
        (cx, "CX"),
        (sb, "SB"),
    ]
    .into_iter()
    .map(|(id, label)| (id.to_string(), label))
    .collect();
    labels.extend([
        (P_CODE.to_owned(), "P"),
        (IA_CODE.to_owned(), "IA"),
        (IB_CODE.to_owned(), "IB"),
        (report_ca.clone(), "report CA"),
        (report_sb.clone(), "report SB"),
    ]);
    labels.extend(case_labels.iter().cloned());
    for (principal, label) in [
        (PartnerA, "account PA"),
        (PartnerB, "account PB"),
        (ManagerA, "account MA"),
        (Staff, "account staff"),
        (Admin, "account admin"),
        (ManagerB, "account MB"),
        (Disabled, "account disabled"),
        (Restricted, "account restricted"),
    ] {
        labels.insert(users[&principal].account.id.to_string(), label);
    }

    let event_facts = |id: Uuid, title, project: Uuid, organiser: Uuid, published| EventFacts {
        id,
        title,
        project: Some(project),
        organiser,
        published,
    };
    let centre_facts = |id, name, address, phone, shelter, active, operator| CentreFacts {
        id,
        name,
        address,
        phone,
        shelter,
        active,
        operator,
    };
    let case_facts = |label: &'static str, id: Uuid, referrer, receiver, previous: Vec<Uuid>| {
        let code = case_labels
            .iter()
            .find(|(key, of)| *of == label && *key != id.to_string())
            .map(|(code, _)| code.clone())
            .expect("the case's code");
        let mut free_text = vec![consent_scope(&secrets_of[label])];
        if label == "case A-B-C" {
            free_text.push(ONWARD_COMMENT.to_owned());
        }
        CaseFacts {
            id,
            code,
            label,
            referrer,
            receiver,
            previous,
            identifying: secret_strings(&secrets_of[label]),
            free_text,
        }
    };
    let facts = Facts {
        organisations: [a, b, c]
            .into_iter()
            .zip(["NGO A", "NGO B", "Hidden ministry unit"])
            .zip(CONTACTS)
            .map(|((id, name), (email, phone))| OrganisationFacts {
                id,
                name,
                email,
                phone,
            })
            .collect(),
        projects: vec![
            ProjectFacts {
                id: p,
                code: P_CODE,
                title: "Public project of A",
                budget: P_BUDGET,
                public: true,
                partners: vec![a],
            },
            ProjectFacts {
                id: ia,
                code: IA_CODE,
                title: "Internal project of A",
                budget: IA_BUDGET,
                public: false,
                partners: vec![a],
            },
            ProjectFacts {
                id: ib,
                code: IB_CODE,
                title: "Internal project of B",
                budget: IB_BUDGET,
                public: false,
                partners: vec![b],
            },
        ],
        events: vec![
            event_facts(event_p, "Published event of P", p, a, true),
            event_facts(draft_ia, "Draft of IA", ia, a, false),
            event_facts(event_ib, "Published event of IB", ib, b, true),
            event_facts(draft_p, "Draft of P", p, a, false),
        ],
        centres: vec![
            centre_facts(
                ca,
                "Centre of A",
                "1 Example Street",
                FRESH_CENTRE_PHONE,
                false,
                true,
                a,
            ),
            centre_facts(
                cx,
                "Closed centre of A",
                CX_ADDRESS,
                CX_PHONE,
                false,
                false,
                a,
            ),
            centre_facts(
                sb,
                "Shelter of B",
                SB_ADDRESS,
                FRESH_CENTRE_PHONE,
                true,
                true,
                b,
            ),
        ],
        reports: vec![(report_ca.clone(), ca), (report_sb.clone(), sb)],
        cases: vec![
            case_facts("case A draft", case_draft, a, None, vec![]),
            case_facts("case A-B", case_ab, a, Some(b), vec![]),
            case_facts("case A-C", case_ac, a, Some(c), vec![]),
            case_facts("case B-C", case_bc, b, Some(c), vec![]),
            case_facts("case A-B-C", case_abc, a, Some(c), vec![b]),
        ],
    };

    World {
        facts,
        a,
        b,
        c,
        p,
        ia,
        ib,
        event_p,
        draft_p,
        draft_ia,
        event_ib,
        ca,
        cx,
        sb,
        month,
        case_draft,
        case_ab,
        case_ac,
        case_bc,
        case_abc,
        secrets: secrets_of,
        users,
        labels,
        totp_secrets: HashMap::new(),
        serial: 0,
    }
}

impl World {
    fn token(&self, principal: Principal) -> Option<String> {
        self.users
            .get(&principal)
            .map(|user| user.access_token.clone())
    }

    fn account(&self, principal: Principal) -> Uuid {
        self.users[&principal].account.id
    }

    /// The principal's own user; for the public, a partner of A's, whose credentials anyone
    /// may present.
    fn own_or_partner_a(&self, principal: Principal) -> &User {
        self.users
            .get(&principal)
            .unwrap_or_else(|| &self.users[&PartnerA])
    }

    /// `value` with every id and code of the world replaced by its label.
    fn labelled(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => self
                .labels
                .get(text)
                .map_or_else(|| value.clone(), |label| json!(label)),
            Value::Array(items) => items.iter().map(|item| self.labelled(item)).collect(),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, field)| (key.clone(), self.labelled(field)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn serial(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }
}

/// The variables `setup` adds for `principal`, and the token to use instead of the
/// principal's own, if any.
async fn prepare(
    app: &TestApp,
    world: &mut World,
    principal: Principal,
    setup: &Setup,
) -> (Value, Option<String>) {
    let fresh = |id: Uuid| (json!({ "id": id.to_string() }), None);
    match setup {
        Setup::None => (json!({}), None),
        Setup::Credentials { right } => {
            let user = world.own_or_partner_a(principal);
            let password = if *right {
                user.password.as_str()
            } else {
                "Not-the-password-42"
            };
            (
                json!({ "email": user.account.email, "password": password }),
                None,
            )
        }
        Setup::OwnRefreshToken => {
            let token = world
                .users
                .get(&principal)
                .map_or("a-refresh-token-never-issued", |user| {
                    user.refresh_token.as_str()
                });
            (json!({ "refreshToken": token }), None)
        }
        Setup::SecondSession => {
            let Some(user) = world.users.get(&principal) else {
                return (json!({}), None);
            };
            let login = app.login(&user.account.email, &user.password, None).await;
            let token = login["data"]["login"]["accessToken"]
                .as_str()
                .map(ToOwned::to_owned);
            (json!({}), token)
        }
        // The change would lift the restriction the later rows need: a second account with a
        // one-time password makes it.
        Setup::NewPassword if principal == Restricted => {
            let user = restricted_user(app, world.a).await;
            (
                json!({ "current": user.password, "new": "Granite teapot wanders sideways 7" }),
                Some(user.access_token),
            )
        }
        Setup::NewPassword => {
            let current = world
                .users
                .get(&principal)
                .map_or("Not-the-password-42", |user| user.password.as_str());
            (
                json!({ "current": current, "new": "Granite teapot wanders sideways 7" }),
                None,
            )
        }
        Setup::TotpToConfirm => {
            let unknown = (json!({ "code": "000000" }), None);
            let Some(token) = world.token(principal) else {
                return unknown;
            };
            let enrolment = app
                .graphql_as(&token, "mutation { enrolTotp { secret } }", json!({}))
                .await;
            let Some(secret) = enrolment["data"]["enrolTotp"]["secret"]
                .as_str()
                .and_then(|secret| totp_rs::Secret::try_from_base32(secret).ok())
                .map(|secret| secret.as_bytes().to_vec())
            else {
                return unknown;
            };
            let code = totp::code_at(&secret, Utc::now());
            world.totp_secrets.insert(principal, secret);
            (json!({ "code": code }), None)
        }
        Setup::TotpToRemove => {
            // The confirmation used the current step's code; a code of the next step is one
            // not used yet, and still accepted.
            let code = world.totp_secrets.get(&principal).map_or_else(
                || "000000".to_owned(),
                |secret| totp::code_at(secret, Utc::now() + Duration::seconds(30)),
            );
            (json!({ "code": code }), None)
        }
        Setup::OwnAccountOtherRole => {
            let user = world.own_or_partner_a(principal);
            let role = match user.account.role {
                Role::Partner => "PARTNER_MANAGER",
                Role::PartnerManager | Role::Staff | Role::Admin => "PARTNER",
            };
            (
                json!({ "id": user.account.id.to_string(), "role": role }),
                None,
            )
        }
        Setup::NewEmail => (
            json!({ "email": format!("{}@test.example.tj", Uuid::now_v7().simple()) }),
            None,
        ),
        Setup::NewProjectCode => (
            json!({ "code": format!("PO-2026-MX-{:02}", world.serial()) }),
            None,
        ),
        Setup::FreshAccount { disabled } => {
            let (account, _) = app.account(Role::Partner, Some(world.a)).await;
            let id = account.id;
            if *disabled {
                let mut account = account.into_active_model();
                account.status = Set(AccountStatus::Disabled);
                account.update(&app.db).await.expect("disable the account");
            }
            fresh(id)
        }
        Setup::FreshTwoFactorAccount => {
            let (account, _) = app.account(Role::Partner, Some(world.a)).await;
            let id = account.id;
            let mut account = account.into_active_model();
            // Never decrypted by a reset: any bytes stand for the sealed secret.
            account.totp_secret = Set(Some(vec![7; 48]));
            account.totp_enabled_at = Set(Some(Utc::now()));
            account.update(&app.db).await.expect("turn two-factor on");
            fresh(id)
        }
        Setup::FreshOrganisation { active } => {
            let organisation = fixtures::organisation(&app.db, "Fresh NGO").await;
            let id = organisation.id;
            if !*active {
                let mut organisation = organisation.into_active_model();
                organisation.active = Set(false);
                organisation
                    .update(&app.db)
                    .await
                    .expect("deactivate the organisation");
            }
            fresh(id)
        }
        Setup::FreshProject => {
            let code = format!("PO-2026-FX-{:02}", world.serial());
            let project = fixtures::project(
                &app.db,
                NewProject {
                    code: &code,
                    visibility: Visibility::Internal,
                    partners: &[(world.a, PartnerRole::Implementing)],
                    ..NewProject::default()
                },
            )
            .await;
            fresh(project.id)
        }
        Setup::FreshEvent { project, published } => {
            fresh(event(app, "Fresh event", *project, world.a, *published).await)
        }
        Setup::FreshCase(stage) => fresh(fresh_case(app, world, *stage).await),
        Setup::FreshCentre { active } => fresh(
            centre(
                app,
                "Fresh centre",
                CentreKind::WomensResourceCentre,
                world.a,
                *active,
                &[
                    CentreService::LegalConsultation,
                    CentreService::PsychosocialCounselling,
                ],
            )
            .await,
        ),
        Setup::FreshReport { approved } => {
            let centre = centre(
                app,
                "Fresh reporting centre",
                CentreKind::WomensResourceCentre,
                world.a,
                true,
                &[CentreService::LegalConsultation],
            )
            .await;
            let id = submit_report(
                app,
                &world.users[&PartnerA],
                centre,
                world.month,
                "LEGAL_CONSULTATION",
            )
            .await;
            if *approved {
                let approval = app
                    .data_as(
                        &world.users[&Staff].access_token,
                        "mutation($id: ID!) { approveCentreReport(id: $id) { approval } }",
                        json!({ "id": id }),
                    )
                    .await;
                assert_eq!(approval["approveCentreReport"]["approval"], "APPROVED");
            }
            (json!({ "id": id }), None)
        }
        Setup::FreshIndicator {
            public,
            accountable,
            result,
        } => {
            let code = format!("PO-2026-RF-{:02}", world.serial());
            let role = if *accountable {
                PartnerRole::Accountable
            } else {
                PartnerRole::Implementing
            };
            let project = fixtures::project(
                &app.db,
                NewProject {
                    code: &code,
                    visibility: if *public {
                        Visibility::Public
                    } else {
                        Visibility::Internal
                    },
                    partners: &[(world.a, role)],
                    ..NewProject::default()
                },
            )
            .await;
            let staff = &world.users[&Staff].access_token;
            let created = app
                .data_as(
                    staff,
                    "mutation($project: ID!) { createIndicator(input: { projectId: $project, \
                     title: { en: \"Women trained as trainers\" }, measure: NUMBER }) { id } }",
                    json!({ "project": project.id.to_string() }),
                )
                .await;
            let id = created["createIndicator"]["id"].clone();
            app.data_as(
                staff,
                "mutation($id: ID!) { setIndicatorTarget(indicatorId: $id, year: 2025, target: 40) { id } }",
                json!({ "id": id }),
            )
            .await;
            let mut period = Value::Null;
            if *result != ResultState::Target {
                let reported = app
                    .data_as(
                        &world.users[&PartnerA].access_token,
                        "mutation($id: ID!) { reportIndicatorResult(input: { indicatorId: $id, \
                         year: 2025, value: 31 }) { id } }",
                        json!({ "id": id }),
                    )
                    .await;
                period = reported["reportIndicatorResult"]["id"].clone();
            }
            if *result == ResultState::Approved {
                let approved = app
                    .data_as(
                        staff,
                        "mutation($period: ID!) { approveIndicatorResult(periodId: $period) { approved } }",
                        json!({ "period": period }),
                    )
                    .await;
                assert_eq!(approved["approveIndicatorResult"]["approved"], true);
            }
            (
                json!({ "id": id, "project": project.id.to_string(), "period": period }),
                None,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the rows.

/// Posts a request as `principal` (with `token`, or without one) and checks the answer
/// against the schema's types (every selected field present, `null` only where the schema
/// allows it, every error's path at a `null`); a violation fails the test at once, naming
/// the principal, the request and the path.
async fn ask(
    app: &TestApp,
    principal: Principal,
    token: Option<&str>,
    document: &str,
    variables: Value,
) -> Value {
    let response = match token {
        Some(token) => app.graphql_as(token, document, variables.clone()).await,
        None => app.graphql(document, variables.clone()).await,
    };
    let violations = answers::violations(document, &response);
    assert!(
        violations.is_empty(),
        "the answer to {} breaks the schema's types:\n  {}\nrequest: {document}\nvariables: {variables}\nanswer: {response}",
        principal.name(),
        violations.join("\n  "),
    );
    response
}

/// Runs every case for each of `principals`; what differed from the table, one line each.
/// `production`: the app runs under production rules (see [`Case::expected`]).
async fn run(
    app: &TestApp,
    world: &mut World,
    cases: &[Case],
    principals: &[Principal],
    production: bool,
) -> Vec<String> {
    let mut mismatches = Vec::new();
    for case in cases {
        for &principal in principals {
            let expected = case.expected(principal, production);
            let (extra, token) = prepare(app, world, principal, &case.setup).await;
            let token = token.or_else(|| world.token(principal));
            let variables = with_changes(case.variables.clone(), extra);
            // Under production rules only the effects the caller reads back itself: the admin,
            // who reads back the others, is held to enrolment there.
            let effect = case.effect.as_ref().filter(|effect| {
                !production || matches!(effect, Effect::Own { .. } | Effect::SignsIn)
            });
            let before = match effect {
                Some(Effect::Counted { document, pick }) => {
                    Some(observe(app, world, document, &variables, *pick).await)
                }
                _ => None,
            };
            let response = match case.transport {
                Transport::Http => {
                    ask(
                        app,
                        principal,
                        token.as_deref(),
                        case.document,
                        variables.clone(),
                    )
                    .await
                }
                Transport::WebSocket => {
                    subscribe(app, world, principal, token.as_deref(), case.document).await
                }
            };
            let response = world.labelled(&response);
            let mut problem = mismatch(&expected, &response, case.pick);
            // A refused mutation answers no payload: `data` is null, or its field is.
            let root = root_field(case.document);
            let refused = !matches!(expected, Expect::Ok | Expect::Seen(_));
            if problem.is_none()
                && refused
                && let Some(name) = root.strip_prefix("Mutation.")
                && !response["data"].is_null()
                && !response["data"][name].is_null()
            {
                problem = Some(format!(
                    "a refusal with a payload: {}",
                    response["data"][name]
                ));
            }
            if problem.is_none()
                && let Some(effect) = effect
            {
                let allowed = matches!(expected, Expect::Ok | Expect::Seen(_));
                let caller = Caller {
                    principal,
                    token: token.as_deref(),
                };
                problem = wrong_effect(
                    app, world, effect, &variables, &response, allowed, before, caller,
                )
                .await;
            }
            if let Some(got) = problem {
                mismatches.push(format!(
                    "{} ({}) as {}: expected {}, got {got}",
                    root_field(case.document),
                    case.about,
                    principal.name(),
                    describe(&expected),
                ));
            }
        }
    }
    mismatches
}

/// `document` asked by the admin with `variables`, labelled, and its `pick`.
async fn observe(
    app: &TestApp,
    world: &World,
    document: &str,
    variables: &Value,
    pick: fn(&Value) -> Value,
) -> Value {
    let token = world.token(Admin).expect("the admin's token");
    let response = ask(app, Admin, Some(&token), document, variables.clone()).await;
    pick(&world.labelled(&response)["data"])
}

/// Who sent a mutation, and with which token.
#[derive(Clone, Copy)]
struct Caller<'a> {
    principal: Principal,
    token: Option<&'a str>,
}

/// What is wrong with the effect of a mutation (`response` its answer), if anything.
#[expect(
    clippy::too_many_arguments,
    reason = "the row's request, its answer and what was counted before it"
)]
async fn wrong_effect(
    app: &TestApp,
    world: &World,
    effect: &Effect,
    variables: &Value,
    response: &Value,
    allowed: bool,
    before: Option<Value>,
    caller: Caller<'_>,
) -> Option<String> {
    match effect {
        Effect::SignsIn => {
            let token = response["data"]
                .as_object()
                .and_then(|root| root.values().next())
                .and_then(|session| session["accessToken"].as_str());
            match (allowed, token) {
                (false, None) => None,
                (false, Some(_)) => Some("a token with the refusal".to_owned()),
                (true, None) => Some("no access token".to_owned()),
                (true, Some(token)) => {
                    let me = app.graphql_as(token, "{ me { id } }", json!({})).await;
                    let own = world
                        .own_or_partner_a(caller.principal)
                        .account
                        .id
                        .to_string();
                    (me["data"]["me"]["id"] != own.as_str())
                        .then(|| format!("a token that signs in as {me}, not as its own account"))
                }
            }
        }
        Effect::Own {
            document,
            pick,
            done,
            untouched,
        } => {
            let answer = match caller.token {
                Some(token) => app.graphql_as(token, document, json!({})).await,
                None => app.graphql(document, json!({})).await,
            };
            let seen = pick(&answer["data"]);
            let expected = if allowed { done } else { untouched };
            (seen != *expected).then(|| {
                format!(
                    "{document} read back {seen} as {}, not {expected}",
                    caller.principal.name()
                )
            })
        }
        Effect::Reread {
            document,
            pick,
            payload,
            done,
            untouched,
        } => {
            let seen = observe(app, world, document, variables, *pick).await;
            let paid = payload(&response["data"]);
            if allowed && paid != *done {
                Some(format!("the answer's payload {paid}, not {done}"))
            } else if allowed && seen != *done {
                Some(format!(
                    "the mutation's answer, but read back {seen}, not {done}"
                ))
            } else if !allowed && seen != *untouched {
                Some(format!(
                    "the refusal, but read back {seen}: the mutation took effect"
                ))
            } else {
                None
            }
        }
        Effect::Counted { document, pick } => {
            let after = observe(app, world, document, variables, *pick).await;
            let before = before.and_then(|value| value.as_u64()).unwrap_or(u64::MAX);
            let expected = if allowed { before + 1 } else { before };
            let created = response["data"]
                .as_object()
                .and_then(|root| root.values().next())
                .map(created_id);
            if after.as_u64() != Some(expected) {
                Some(format!(
                    "a count of {after} after the mutation, {before} before it"
                ))
            } else if allowed && created.is_none_or(|id| id.is_empty()) {
                Some("no id of the created thing in the payload".to_owned())
            } else {
                None
            }
        }
    }
}

/// The id a creation's payload carries (`{ id }` or `{ account { id } }`).
fn created_id(payload: &Value) -> String {
    payload["id"]
        .as_str()
        .or_else(|| payload["account"]["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Subscribes over WebSocket as a principal (with `token`, or anonymously); once the
/// subscription runs, a partner of A refers a new case to C and then another to B. The
/// answer: the payload of the first `next` (a delivered event, or the errors that end the
/// subscription), the `error` that refuses it, or the close that refuses the connection.
async fn subscribe(
    app: &TestApp,
    world: &mut World,
    principal: Principal,
    token: Option<&str>,
    document: &str,
) -> Value {
    // The subscriptions of earlier principals end with their connections.
    wait_until_no_subscriber(app).await;
    let payload = token.map_or_else(
        || json!({}),
        |token| json!({ "Authorization": format!("Bearer {token}") }),
    );
    let mut client = match app.ws_init(payload).await {
        Ok(client) => client,
        Err(Refused { code, reason }) => {
            return json!({ "errors": [{
                "message": reason,
                "extensions": { "code": format!("closed {code}") },
            }] });
        }
    };
    client.subscribe("1", document).await;
    // It runs once the server holds it; a refusal comes as a message instead.
    let started = tokio::time::Instant::now();
    while app.case_events.subscriber_count() == 0 {
        if let Some(received) = client.receive(std::time::Duration::from_millis(20)).await {
            return refusal_of_subscription(received);
        }
        assert!(
            started.elapsed() < DELIVERY_TIMEOUT,
            "{}: the subscription neither started nor was refused",
            principal.name()
        );
    }
    let referrer = world.users[&PartnerA].access_token.clone();
    for (to, label) in [(world.c, "new referral A-C"), (world.b, "new referral A-B")] {
        let number = 200 + world.serial();
        let secrets = secrets(number, label);
        let (id, code) = open_case(app, &world.users[&PartnerA], &secrets, true).await;
        world.labels.insert(id.to_string(), label);
        world.labels.insert(code, label);
        let variables = json!({ "id": id.to_string(), "to": to.to_string() });
        app.data_as(&referrer, SEND_CASE, variables).await;
    }
    match client.receive(DELIVERY_TIMEOUT).await {
        Some(Received::Message(message)) if message["type"] == "next" => {
            let response = message["payload"].clone();
            let violations = answers::violations(document, &response);
            assert!(
                violations.is_empty(),
                "the event delivered to {} breaks the schema's types:\n  {}\nanswer: {response}",
                principal.name(),
                violations.join("\n  "),
            );
            response
        }
        other => panic!(
            "{}: expected the first event, got {other:?}",
            principal.name()
        ),
    }
}

/// The answer a refused subscription got, as a response: the errors of its `next` (then
/// `complete`) or of its `error` message, or the close of the connection.
fn refusal_of_subscription(received: Received) -> Value {
    match received {
        Received::Message(message) => match message["type"].as_str() {
            Some("next") => message["payload"].clone(),
            Some("error") => json!({ "errors": message["payload"] }),
            _ => panic!("expected a refusal of the subscription, got {message}"),
        },
        Received::Closed(code, reason) => json!({ "errors": [{
            "message": reason,
            "extensions": { "code": format!("closed {code}") },
        }] }),
    }
}

async fn wait_until_no_subscriber(app: &TestApp) {
    let started = tokio::time::Instant::now();
    while app.case_events.subscriber_count() > 0 {
        assert!(
            started.elapsed() < DELIVERY_TIMEOUT,
            "an earlier subscription did not end with its connection"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// What came back, when it is not what `expected` says.
fn mismatch(expected: &Expect, response: &Value, pick: fn(&Value) -> Value) -> Option<String> {
    let codes = error_codes(response);
    let matches = match expected {
        Expect::Ok => codes.is_empty() && !response["data"].is_null(),
        Expect::Seen(value) => {
            codes.is_empty() && normalised(pick(&response["data"])) == normalised(value.clone())
        }
        Expect::Refused(code) => !codes.is_empty() && codes.iter().all(|got| got == code),
        Expect::Invalid(field) => {
            codes.len() == 1 && codes[0] == "BAD_USER_INPUT" && error_fields(response) == [*field]
        }
        Expect::Held(message) => {
            codes == ["FORBIDDEN"] && response["errors"][0]["message"] == *message
        }
    };
    if matches {
        return None;
    }
    let got = if codes.is_empty() {
        let data = normalised(pick(&response["data"])).to_string();
        let shown: String = data.chars().take(300).collect();
        let more = if shown.len() < data.len() { "…" } else { "" };
        format!("ok {shown}{more}")
    } else {
        let fields = error_fields(response);
        let naming = if fields.is_empty() {
            String::new()
        } else {
            format!(" naming {}", fields.join(", "))
        };
        format!(
            "{}{naming} ({})",
            codes.join(", "),
            response["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
        )
    };
    Some(got)
}

fn describe(expected: &Expect) -> String {
    match expected {
        Expect::Ok => "ok".to_owned(),
        Expect::Seen(value) => format!("ok {}", normalised(value.clone())),
        Expect::Refused(code) => (*code).to_owned(),
        Expect::Invalid(field) => format!("BAD_USER_INPUT naming {field}"),
        Expect::Held(message) => format!("FORBIDDEN saying \"{message}\""),
    }
}

/// `value` with its arrays of strings sorted, so lists compare as sets.
fn normalised(value: Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(normalised).collect();
            if items.iter().all(Value::is_string) {
                items.sort_by(|left, right| left.as_str().cmp(&right.as_str()));
            }
            Value::Array(items)
        }
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, field)| (key, normalised(field)))
                .collect(),
        ),
        other => other,
    }
}

fn report(title: &str, problems: &[String]) -> String {
    format!(
        "{title}: {} problem(s)\n  {}",
        problems.len(),
        problems.join("\n  ")
    )
}

// ---------------------------------------------------------------------------------------------
// The schema's root fields.

/// The root fields of an SDL, as `Query.name`, `Mutation.name` and `Subscription.name`.
/// Descriptions are dropped first, so text in them is never taken for a field.
fn root_fields(sdl: &str) -> BTreeSet<String> {
    let text: Vec<char> = without_strings(sdl).chars().collect();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut fields = BTreeSet::new();
    for root in ["Query", "Mutation", "Subscription"] {
        let header: Vec<char> = format!("type {root} {{").chars().collect();
        let Some(start) = text
            .windows(header.len())
            .position(|window| window == header)
        else {
            continue;
        };
        // A field is a name at the top level of the type's body followed by its arguments or
        // its type; argument lists and default values are nested, directives start with `@`.
        let mut depth = 0_i32;
        let mut index = start + header.len();
        while let Some(&c) = text.get(index) {
            match c {
                '(' | '{' => depth += 1,
                '}' if depth == 0 => break,
                ')' | '}' => depth -= 1,
                c if c.is_ascii_alphabetic() || c == '_' => {
                    let name_start = index;
                    while text.get(index).is_some_and(|&c| is_name(c)) {
                        index += 1;
                    }
                    let directive = text.get(name_start.wrapping_sub(1)) == Some(&'@');
                    let next = text[index..].iter().find(|c| !c.is_whitespace());
                    if depth == 0 && !directive && matches!(next, Some(&('(' | ':'))) {
                        let name: String = text[name_start..index].iter().collect();
                        fields.insert(format!("{root}.{name}"));
                    }
                    continue;
                }
                _ => {}
            }
            index += 1;
        }
    }
    fields
}

/// `sdl` with its block strings (`"""…"""`) and strings (`"…"`) replaced by a space.
fn without_strings(sdl: &str) -> String {
    let mut out = String::with_capacity(sdl.len());
    let mut rest = sdl;
    while let Some(c) = rest.chars().next() {
        if let Some(block) = rest.strip_prefix("\"\"\"") {
            rest = block.find("\"\"\"").map_or("", |end| &block[end + 3..]);
            out.push(' ');
        } else if let Some(string) = rest.strip_prefix('"') {
            let mut escaped = false;
            let end = string.char_indices().find_map(|(index, c)| {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                closes.then_some(index)
            });
            rest = end.map_or("", |end| &string[end + 1..]);
            out.push(' ');
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The root field a document selects first, as `Query.name` or `Mutation.name`.
fn root_field(document: &str) -> String {
    let document = document.trim_start();
    let root = if document.starts_with("mutation") {
        "Mutation"
    } else if document.starts_with("subscription") {
        "Subscription"
    } else {
        "Query"
    };
    let selection = document
        .split_once('{')
        .map_or("", |(_, selection)| selection)
        .trim_start();
    let name: String = selection
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("{root}.{name}")
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn root_fields_are_read_from_the_sdl_and_never_from_descriptions() {
    let sdl = r#"
"""
A type whose description mentions fake(id: ID!): Int and fake: Int.
"""
type Query {
	"""
	Looks like a field: ghost(id: ID!): Int
	"""
	one(id: ID!, "an argument: with(text)" filter: In = { a: 1 }): One!
	two: [Two!]! @deprecated(reason: "no: \"really\" three: Int")
}
type Other { four: Int }
type Mutation {
	five(
		"""
		Nested: six: Int
		"""
		input: [In!]!
	): Int
}
"#;

    let fields: Vec<String> = root_fields(sdl).into_iter().collect();

    assert_eq!(fields, ["Mutation.five", "Query.one", "Query.two"]);
}

#[tokio::test]
async fn every_root_field_answers_each_principal_as_the_access_rules_say() {
    let app = spawn_matrix_app().await;
    let mut world = world(&app).await;
    let cases = matrix(&world);

    // The table covers the schema: a new root field fails here until it has a row.
    let in_schema = root_fields(&api::graphql::sdl());
    let in_table: BTreeSet<String> = cases.iter().map(|case| root_field(case.document)).collect();
    let missing: Vec<&String> = in_schema.difference(&in_table).collect();
    let unknown: Vec<&String> = in_table.difference(&in_schema).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "the matrix needs a row for every root field of the schema and no other;\n\
         missing rows: {missing:?}\nrows for fields the schema does not have: {unknown:?}"
    );
    assert!(
        in_schema.len() > 40,
        "the schema's root fields were not read: {in_schema:?}"
    );

    let mismatches = run(&app, &mut world, &cases, &PRINCIPALS, false).await;

    assert!(
        mismatches.is_empty(),
        "{}",
        report("authorization matrix", &mismatches)
    );
}

/// Production holds an admin without two-factor authentication to enrolment: every root
/// field but those that enrol it (and let it see who it is, and leave) answers
/// `FORBIDDEN` saying to turn it on first, over HTTP and over WebSocket.
#[tokio::test]
async fn every_root_field_holds_an_admin_to_two_factor_enrolment_under_production_rules() {
    let app = spawn_production_app_with(&[("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "1000")]).await;
    let mut world = world(&app).await;
    let login = app
        .login(
            &world.users[&Admin].account.email,
            &world.users[&Admin].password,
            None,
        )
        .await;
    assert_eq!(
        login["data"]["login"]["mustEnrolTwoFactor"], true,
        "production requires the admin's two-factor enrolment: {login:#}"
    );
    let cases = matrix(&world);

    let mismatches = run(&app, &mut world, &cases, &[Admin], true).await;

    assert!(
        mismatches.is_empty(),
        "{}",
        report("authorization matrix under production rules", &mismatches)
    );
}

#[tokio::test]
async fn nested_fields_and_filters_show_each_principal_only_what_it_may_see() {
    let app = spawn_matrix_app().await;
    let mut world = world(&app).await;
    let cases = nested(&world);

    let mismatches = run(&app, &mut world, &cases, &PRINCIPALS, false).await;

    assert!(
        mismatches.is_empty(),
        "{}",
        report("nested fields and filters", &mismatches)
    );
}

/// Every field of a referral case but `identifying` and `accessLog`, with every nested object.
macro_rules! case_fields {
    () => {
        "id code kind status risk survivor { sex ageGroup citizenship hasDisability } region district servicesRequested referringOrganisation { id name } receivingOrganisation { id name } receivingCentre { id name } consent { given scope recordedAt } referredAt responseDueAt overdue firstResponseAt closedAt outcome erasedAt version createdAt history { fromStatus toStatus organisation { id name } receivingOrganisation { id name } reason comment at }"
    };
}

/// Requests that reach every object of the world: every list with its nested lists, every
/// filter by every id, every lookup by every id.
fn battery(world: &World) -> Vec<(&'static str, Value)> {
    let organisations = [world.a, world.b, world.c];
    let projects = [world.p, world.ia, world.ib];
    let centres = [world.ca, world.cx, world.sb];
    let events = [world.event_p, world.draft_p, world.draft_ia, world.event_ib];
    let cases: Vec<Uuid> = world.facts.cases.iter().map(|case| case.id).collect();
    let accounts: Vec<Uuid> = PRINCIPALS
        .into_iter()
        .filter_map(|principal| world.users.get(&principal))
        .map(|user| user.account.id)
        .collect();
    let each = |name: &str, ids: &[Uuid]| -> Vec<Value> {
        ids.iter()
            .map(|id| json!({ name: id.to_string() }))
            .collect()
    };

    let mut battery: Vec<(&'static str, Value)> = vec![
        (
            "{ me { id email organisation { id name contactEmail contactPhone } } }",
            json!({}),
        ),
        (
            "{ organisations(first: 100) { totalCount edges { node { id name contactEmail contactPhone } } } }",
            json!({}),
        ),
        (
            "{ accounts(first: 100) { totalCount edges { node { id email organisation { id } } } } }",
            json!({}),
        ),
        (
            "{ auditLog(first: 100) { edges { node { action entityType entityId actorAccountId actorOrganisationId requestId detail } } } }",
            json!({}),
        ),
    ];
    // Statistics: every dimension, and filtered by every organisation and centre.
    for document in [
        "query($filter: StatisticsFilterInput) { eventStatistics(rows: KIND, filter: $filter) { rows { key events participants } total { events } } }",
        "query($filter: StatisticsFilterInput) { eventStatistics(rows: REGION, filter: $filter) { rows { key events participants } total { events } } }",
        "query($filter: StatisticsFilterInput) { eventStatistics(rows: THEMATIC_AREA, filter: $filter) { rows { key events participants } total { events } } }",
        "query($filter: StatisticsFilterInput) { peopleServedStatistics(rows: SERVICE, filter: $filter) { columns rows { key cells { value suppressed } } total { value } } }",
        "query($filter: StatisticsFilterInput) { peopleServedStatistics(rows: REGION, filter: $filter) { columns rows { key cells { value suppressed } } total { value } } }",
        "query($filter: StatisticsFilterInput) { caseStatistics(rows: KIND, columns: STATUS, filter: $filter) { columns rows { key cells { value suppressed } medianHoursToFirstAnswer } total { value } } }",
        "query($filter: StatisticsFilterInput) { caseStatistics(rows: REGION, filter: $filter) { columns rows { key cells { value suppressed } } total { value } } }",
    ] {
        battery.push((document, json!({ "filter": {} })));
        battery.extend(
            each("organisationId", &organisations)
                .into_iter()
                .chain(each("centreId", &centres))
                .map(|filter| (document, json!({ "filter": filter }))),
        );
    }
    let projects_query = "query($filter: ProjectFilterInput) { projects(first: 100, filter: $filter) { totalCount edges { node { id code title budget { amountMinor } partners { organisation { id } } events(first: 10) { totalCount edges { node { id project { id } organiser { id } } } } } } } }";
    let events_query = "query($filter: EventFilterInput) { events(first: 100, filter: $filter) { totalCount edges { node { id title project { id code } organiser { id } } } } }";
    let centres_query = "query($filter: CentreFilterInput) { resourceCentres(first: 100, filter: $filter) { totalCount edges { node { id name address phone operator { id } } } } }";
    let reports_query = "query($filter: CentreReportFilterInput) { centreReports(first: 100, filter: $filter) { totalCount edges { node { id centre { id name } } } } }";
    let accounts_query = "query($filter: AccountFilterInput) { accounts(first: 100, filter: $filter) { totalCount edges { node { id } } } }";
    let filtered = |document: &'static str, filters: Vec<Value>| {
        filters
            .into_iter()
            .map(move |filter| (document, json!({ "filter": filter })))
    };
    battery.extend(filtered(
        projects_query,
        [
            json!({}),
            json!({ "visibility": "INTERNAL" }),
            json!({ "search": "internal" }),
        ]
        .into_iter()
        .chain(each("partnerId", &organisations))
        .collect(),
    ));
    battery.extend(filtered(
        events_query,
        [json!({}), json!({ "search": "draft" })]
            .into_iter()
            .chain(each("projectId", &projects))
            .chain(each("organiserId", &organisations))
            .collect(),
    ));
    battery.extend(filtered(
        centres_query,
        [json!({}), json!({ "search": "closed" })]
            .into_iter()
            .chain(each("operatorId", &organisations))
            .collect(),
    ));
    battery.extend(filtered(
        reports_query,
        std::iter::once(json!({}))
            .chain(each("centreId", &centres))
            .collect(),
    ));
    battery.extend(filtered(
        accounts_query,
        each("organisationId", &organisations),
    ));
    // Referral cases: every list and every case by id with all their fields, the identifying
    // ones and the access log each in a request of its own (a refusal of either nulls the
    // answer it is in).
    for document in [
        concat!(
            "query($filter: CaseFilterInput) { referralCases(first: 100, filter: $filter) { totalCount edges { node { ",
            case_fields!(),
            " } } } }"
        ),
        "query($filter: CaseFilterInput) { referralCases(first: 100, filter: $filter) { totalCount edges { node { id code identifying { survivorName contactPhone address notes } } } } }",
        "query($filter: CaseFilterInput) { referralCases(first: 100, filter: $filter) { totalCount edges { node { id code accessLog { at accountId organisation { id name } } } } } }",
    ] {
        battery.extend(filtered(
            document,
            vec![
                json!({}),
                json!({ "direction": "INCOMING" }),
                json!({ "direction": "OUTGOING" }),
                json!({ "status": "DRAFT" }),
                json!({ "status": "REFERRED" }),
                json!({ "overdue": false }),
                json!({ "region": "KHATLON" }),
            ],
        ));
    }
    for (document, ids) in [
        (
            concat!(
                "query($id: ID!) { referralCase(id: $id) { ",
                case_fields!(),
                " } }"
            ),
            &cases[..],
        ),
        (
            "query($id: ID!) { referralCase(id: $id) { id code identifying { survivorName contactPhone address notes } } }",
            &cases[..],
        ),
        (
            "query($id: ID!) { referralCase(id: $id) { id code accessLog { at accountId organisation { id name } } } }",
            &cases[..],
        ),
        (
            "query($id: ID!) { organisation(id: $id) { id name contactEmail contactPhone } }",
            &organisations[..],
        ),
        (
            "query($id: ID!) { project(id: $id) { id code title budget { amountMinor } partners { organisation { id } } events(first: 100) { totalCount edges { node { id } } } } }",
            &projects[..],
        ),
        (
            "query($id: ID!) { event(id: $id) { id project { id code } organiser { id } } }",
            &events[..],
        ),
        (
            "query($id: ID!) { resourceCentre(id: $id) { id name address phone operator { id } } }",
            &centres[..],
        ),
        (
            "query($id: ID!) { account(id: $id) { id email organisation { id } } }",
            &accounts[..],
        ),
    ] {
        battery.extend(
            each("id", ids)
                .into_iter()
                .map(|variables| (document, variables)),
        );
    }
    battery
}

/// Who may read a value of the world, as the access rules of DESIGN.md give it for the object
/// the value belongs to.
#[derive(Clone, Debug)]
enum Readers {
    /// Anyone, the public included.
    Everyone,
    /// Every signed-in account.
    SignedIn,
    /// Members of these organisations, and the office.
    Organisations(Vec<Uuid>),
    /// Members of these organisations only (a case's current parties), never the office.
    Parties(Vec<Uuid>),
    /// The account itself, the managers of its organisation, and admins.
    Account {
        id: Uuid,
        organisation: Option<Uuid>,
    },
}

/// A value of the world that an answer must hold only for its readers.
struct Marker {
    text: String,
    /// What it is, for the failure report.
    what: String,
    /// The object it belongs to (an organisation, an account, …).
    subject: Uuid,
    readers: Readers,
}

impl Facts {
    /// Every value the world holds that identifies something (ids, codes, names, titles,
    /// addresses, contact details, budgets, free text), and who may read it, derived from the
    /// fixtures' relationships.
    fn values(&self, world: &World) -> Vec<Marker> {
        let mut markers = Vec::new();
        let mut add = |text: String, what: String, subject: Uuid, readers: &Readers| {
            markers.push(Marker {
                text,
                what,
                subject,
                readers: readers.clone(),
            });
        };
        let public_project = |id: Uuid| self.projects.iter().any(|p| p.id == id && p.public);
        let partners_of = |id: Option<Uuid>| {
            self.projects
                .iter()
                .filter(|project| Some(project.id) == id)
                .flat_map(|project| project.partners.clone())
                .collect::<Vec<_>>()
        };
        let public_event =
            |event: &EventFacts| event.published && event.project.is_none_or(&public_project);
        for project in &self.projects {
            let readers = if project.public {
                Readers::Everyone
            } else {
                Readers::Organisations(project.partners.clone())
            };
            add(
                project.id.to_string(),
                format!("project {}", project.code),
                project.id,
                &readers,
            );
            add(
                project.code.to_owned(),
                format!("the code of {}", project.code),
                project.id,
                &readers,
            );
            add(
                project.title.to_owned(),
                format!("the title of {}", project.code),
                project.id,
                &readers,
            );
            add(
                project.budget.to_string(),
                format!("the budget of {}", project.code),
                project.id,
                &Readers::Organisations(project.partners.clone()),
            );
        }
        for event in &self.events {
            let readers = if public_event(event) {
                Readers::Everyone
            } else {
                let mut organisations = partners_of(event.project);
                organisations.push(event.organiser);
                Readers::Organisations(organisations)
            };
            add(
                event.id.to_string(),
                format!("event {}", event.title),
                event.id,
                &readers,
            );
            add(
                event.title.to_owned(),
                format!("the title of {}", event.title),
                event.id,
                &readers,
            );
        }
        for centre in &self.centres {
            let readers = if centre.active {
                Readers::Everyone
            } else {
                Readers::Organisations(vec![centre.operator])
            };
            let address = match (&readers, centre.shelter) {
                (Readers::Everyone, true) => Readers::SignedIn,
                _ => readers.clone(),
            };
            add(
                centre.id.to_string(),
                format!("centre {}", centre.name),
                centre.id,
                &readers,
            );
            add(
                centre.name.to_owned(),
                format!("the name of {}", centre.name),
                centre.id,
                &readers,
            );
            add(
                centre.phone.to_owned(),
                format!("the phone of {}", centre.name),
                centre.id,
                &readers,
            );
            add(
                centre.address.to_owned(),
                format!("the address of {}", centre.name),
                centre.id,
                &address,
            );
        }
        for (report, centre) in &self.reports {
            let operator = self
                .centres
                .iter()
                .find(|known| known.id == *centre)
                .map(|known| known.operator)
                .expect("the report's centre");
            add(
                report.clone(),
                format!("a report of {}", world.labels[&centre.to_string()]),
                *centre,
                &Readers::Organisations(vec![operator]),
            );
        }
        for organisation in &self.organisations {
            // The public reads an organisation that appears in public content.
            let public = self
                .projects
                .iter()
                .any(|project| project.public && project.partners.contains(&organisation.id))
                || self
                    .events
                    .iter()
                    .any(|event| event.organiser == organisation.id && public_event(event))
                || self
                    .centres
                    .iter()
                    .any(|centre| centre.operator == organisation.id && centre.active);
            let readers = if public {
                Readers::Everyone
            } else {
                Readers::SignedIn
            };
            add(
                organisation.id.to_string(),
                format!("organisation {}", organisation.name),
                organisation.id,
                &readers,
            );
            add(
                organisation.name.to_owned(),
                format!("the name of {}", organisation.name),
                organisation.id,
                &readers,
            );
            add(
                organisation.email.to_owned(),
                format!("the email of {}", organisation.name),
                organisation.id,
                &Readers::SignedIn,
            );
            add(
                organisation.phone.to_owned(),
                format!("the phone of {}", organisation.name),
                organisation.id,
                &Readers::SignedIn,
            );
        }
        for user in world.users.values() {
            let readers = Readers::Account {
                id: user.account.id,
                organisation: user.account.organisation_id,
            };
            let label = world.labels[&user.account.id.to_string()];
            add(
                user.account.id.to_string(),
                label.to_owned(),
                user.account.id,
                &readers,
            );
            add(
                user.account.email.clone(),
                format!("the email of {label}"),
                user.account.id,
                &readers,
            );
        }
        for case in &self.cases {
            let mut parties = vec![case.referrer];
            parties.extend(case.receiver);
            let mut seen_by = parties.clone();
            seen_by.extend(case.previous.iter().copied());
            let readers = Readers::Organisations(seen_by);
            add(
                case.id.to_string(),
                case.label.to_owned(),
                case.id,
                &readers,
            );
            add(
                case.code.clone(),
                format!("the code of {}", case.label),
                case.id,
                &readers,
            );
            for secret in &case.identifying {
                add(
                    secret.clone(),
                    format!("the identifying data of {}", case.label),
                    case.id,
                    &Readers::Parties(parties.clone()),
                );
            }
            // free text: issue 15 part 2 (its current parties only, never the office nor a
            // previous receiver).
            for free in &case.free_text {
                add(
                    free.clone(),
                    format!("the free text of {}", case.label),
                    case.id,
                    &Readers::Parties(parties.clone()),
                );
            }
        }
        markers
    }
}

impl World {
    /// The organisation of a principal's account, if any.
    fn organisation_of(&self, principal: Principal) -> Option<Uuid> {
        self.users
            .get(&principal)
            .and_then(|user| user.account.organisation_id)
    }

    /// Whether `principal` may read `marker`.
    fn may_read(&self, principal: Principal, marker: &Marker) -> bool {
        let own = self.users.get(&principal).map(|user| user.account.id);
        let organisation = self.organisation_of(principal);
        let member =
            |organisations: &[Uuid]| organisation.is_some_and(|id| organisations.contains(&id));
        match principal {
            // Its token is refused, whatever it asks.
            Disabled => false,
            // Only `me` answers: its account and its organisation.
            Restricted => Some(marker.subject) == own || Some(marker.subject) == organisation,
            Anonymous => matches!(marker.readers, Readers::Everyone),
            PartnerA | PartnerB | ManagerA | ManagerB | Staff | Admin => {
                let office = matches!(principal, Staff | Admin);
                match &marker.readers {
                    Readers::Everyone | Readers::SignedIn => true,
                    Readers::Organisations(organisations) => office || member(organisations),
                    Readers::Parties(organisations) => member(organisations),
                    Readers::Account {
                        id,
                        organisation: of,
                    } => {
                        Some(*id) == own
                            || principal == Admin
                            || (matches!(principal, ManagerA | ManagerB)
                                && of.is_some()
                                && *of == organisation)
                    }
                }
            }
        }
    }
}

/// Connections whose `totalCount` differs from the number of their edges (every page of the
/// battery holds all rows): a count that tells of rows the page does not show.
fn miscounted(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let (Some(total), Some(edges)) = (
                fields.get("totalCount").and_then(Value::as_u64),
                fields.get("edges").and_then(Value::as_array),
            ) && total != edges.len() as u64
            {
                found.push(format!("totalCount {total} with {} edges", edges.len()));
            }
            for field in fields.values() {
                miscounted(field, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                miscounted(item, found);
            }
        }
        _ => {}
    }
}

/// `periods` with each `reportedById` replaced by whether it is there (ids differ per run).
fn reported_by_as_flag(periods: &Value) -> Value {
    let mut periods = periods.clone();
    if let Some(periods) = periods.as_array_mut() {
        for period in periods {
            let present = period["reportedById"].is_string();
            period["reportedById"] = json!(present);
        }
    }
    periods
}

/// The downloads, each as every principal asks for it: the CSV files and the public IATI file
/// (the public's file for every principal whose token holds).
const DOWNLOADS: [&str; 8] = [
    "/exports/events.csv",
    "/exports/centre-reports.csv",
    "/exports/statistics/events.csv?rows=REGION",
    "/exports/statistics/people-served.csv?rows=SERVICE",
    "/exports/statistics/cases.csv?rows=KIND&columns=STATUS",
    "/exports/indicators.csv",
    "/exports/indicator-results.csv",
    "/exports/iati/activities.xml",
];

/// The body of a download as `token` gets it (an error's body too).
async fn download(app: &TestApp, path: &str, token: Option<&str>) -> String {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("a download");
    response.text().await.expect("the download's body")
}

/// Mutations whose answers (payloads and refusals) the scan searches too: none of them
/// changes what anyone may read.
fn mutation_battery(world: &World) -> Vec<(&'static str, Value)> {
    let mut battery = vec![(
        "mutation { updateMyProfile(input: { displayName: \"Same person\" }) { id email organisation { id name contactEmail contactPhone } } }",
        json!({}),
    )];
    for centre in &world.facts.centres {
        battery.push((
            "mutation($id: ID!) { markResourceCentreVerified(id: $id) { id name address phone operator { id name contactEmail contactPhone } } }",
            id(centre.id),
        ));
    }
    for case in &world.facts.cases {
        battery.push((
            concat!(
                "mutation($id: ID!) { declineReferralCase(id: $id, reason: OTHER) { ",
                case_fields!(),
                " identifying { survivorName contactPhone address notes } } }"
            ),
            id(case.id),
        ));
    }
    battery
}

/// Each marker of `hidden` found in `text` (what `principal` got from `source`).
fn scan(
    hidden: &[&Marker],
    principal: Principal,
    source: &str,
    text: &str,
    problems: &mut Vec<String>,
) {
    for marker in hidden {
        if text.contains(marker.text.as_str()) {
            problems.push(format!(
                "{} meets {} in the answer to {source}",
                principal.name(),
                marker.what
            ));
        }
    }
}

/// A case A opens and B declines for another reason than those listed, saying why; A then
/// refers it onward to C, so that B is its previous receiver.
async fn declined_case(app: &TestApp, world: &mut World) -> CaseFacts {
    let label = "case A-B declined";
    let secrets = secrets(90, label);
    let (pa, pb) = (&world.users[&PartnerA], &world.users[&PartnerB]);
    let (id, code) = open_case(app, pa, &secrets, true).await;
    advance(app, pa, SEND_CASE, id, Some(world.b)).await;
    let comment = format!("Declined: the survivor asked for another town [comment on {label}]");
    app.data_as(
        &pb.access_token,
        "mutation($id: ID!, $comment: String) { declineReferralCase(id: $id, reason: OTHER, comment: $comment) { status } }",
        json!({ "id": id.to_string(), "comment": comment }),
    )
    .await;
    advance(app, pa, REFER_ONWARD, id, Some(world.c)).await;
    world.labels.insert(id.to_string(), label);
    world.labels.insert(code.clone(), label);
    CaseFacts {
        id,
        code,
        label,
        referrer: world.a,
        receiver: Some(world.c),
        previous: vec![world.b],
        identifying: secret_strings(&secrets),
        free_text: vec![consent_scope(&secrets), comment],
    }
}

/// What `principal` receives over WebSocket while A refers a new case to C and B another to
/// C (each organisation is no party to the other's), until the server falls silent; and the
/// facts of the two cases.
async fn subscription_answers(
    app: &TestApp,
    world: &mut World,
    token: Option<&str>,
) -> (String, Vec<CaseFacts>) {
    wait_until_no_subscriber(app).await;
    let payload = token.map_or_else(
        || json!({}),
        |token| json!({ "Authorization": format!("Bearer {token}") }),
    );
    let mut client = match app.ws_init(payload).await {
        Ok(client) => client,
        Err(Refused { code, reason }) => return (format!("closed {code} {reason}"), Vec::new()),
    };
    client.subscribe("1", REFERRAL_EVENTS).await;
    let started = tokio::time::Instant::now();
    while app.case_events.subscriber_count() == 0 {
        if let Some(received) = client.receive(std::time::Duration::from_millis(20)).await {
            return (format!("{received:?}"), Vec::new());
        }
        assert!(
            started.elapsed() < DELIVERY_TIMEOUT,
            "the subscription neither started nor was refused"
        );
    }
    let mut cases = Vec::new();
    for (referrer, (organisation, label)) in [
        (PartnerA, (world.a, "live case A-C")),
        (PartnerB, (world.b, "live case B-C")),
    ] {
        let number = 300 + world.serial();
        let secrets = secrets(number, label);
        let user = &world.users[&referrer];
        let (id, code) = open_case(app, user, &secrets, true).await;
        advance(app, user, SEND_CASE, id, Some(world.c)).await;
        cases.push(CaseFacts {
            id,
            code,
            label,
            referrer: organisation,
            receiver: Some(world.c),
            previous: Vec::new(),
            identifying: secret_strings(&secrets),
            free_text: vec![consent_scope(&secrets)],
        });
    }
    let mut received = String::new();
    while let Some(message) = client.receive(SILENCE).await {
        received.push_str(&format!("{message:?}\n"));
    }
    (received, cases)
}

#[tokio::test]
async fn nothing_hidden_from_a_principal_appears_in_any_of_its_answers() {
    let app = spawn_matrix_app().await;
    let mut world = world(&app).await;
    // An event B organises under A's internal project: B reads its own event, never the
    // project it belongs to.
    let draft_by_b = event(&app, "Draft by B under IA", world.ia, world.b, false).await;
    world.labels.insert(draft_by_b.to_string(), "IA draft by B");
    world.facts.events.push(EventFacts {
        id: draft_by_b,
        title: "Draft by B under IA",
        project: Some(world.ia),
        organiser: world.b,
        published: false,
    });
    let declined = declined_case(&app, &mut world).await;
    world.facts.cases.push(declined);
    let battery = battery(&world);
    let mutations = mutation_battery(&world);
    let mut markers = world.facts.values(&world);

    let mut problems = Vec::new();
    for principal in PRINCIPALS {
        let token = world.token(principal);
        let mut answers = String::new();
        let hidden: Vec<&Marker> = markers
            .iter()
            .filter(|marker| !world.may_read(principal, marker))
            .collect();
        for (document, variables) in battery.iter().chain(&mutations) {
            let response = ask(
                &app,
                principal,
                token.as_deref(),
                document,
                variables.clone(),
            )
            .await;
            let text = response.to_string();
            let asked = format!("{document} with {}", world.labelled(variables));
            scan(&hidden, principal, &asked, &text, &mut problems);
            let mut counts = Vec::new();
            miscounted(&response, &mut counts);
            for count in counts {
                problems.push(format!(
                    "{}: {count} in the answer to {asked}",
                    principal.name()
                ));
            }
            answers.push_str(&text);
        }
        for path in DOWNLOADS {
            let text = download(&app, path, token.as_deref()).await;
            scan(&hidden, principal, path, &text, &mut problems);
            answers.push_str(&text);
        }
        // The battery reaches everything: each principal is shown every value it may read, so
        // a silent answer proves something.
        for marker in markers
            .iter()
            .filter(|marker| world.may_read(principal, marker))
        {
            if !answers.contains(marker.text.as_str()) {
                problems.push(format!(
                    "the battery never shows {} {}",
                    principal.name(),
                    marker.what
                ));
            }
        }
        // Live events: ids and codes of the cases the principal's organisation is party to,
        // and nothing of any other.
        let (received, live) = subscription_answers(&app, &mut world, token.as_deref()).await;
        let facts = Facts {
            cases: live,
            ..Facts::default()
        };
        let live_markers = facts.values(&world);
        let hidden: Vec<&Marker> = live_markers
            .iter()
            .filter(|marker| !world.may_read(principal, marker))
            .collect();
        scan(
            &hidden,
            principal,
            "referralEvents",
            &received,
            &mut problems,
        );
        for case in &facts.cases {
            let party = world
                .organisation_of(principal)
                .is_some_and(|organisation| organisation == case.referrer)
                && matches!(principal, PartnerA | PartnerB | ManagerA | ManagerB);
            if party && !received.contains(&case.id.to_string()) {
                problems.push(format!(
                    "{} is not told of {}",
                    principal.name(),
                    case.label
                ));
            }
        }
        markers.extend(live_markers);
    }
    let cross = [case(
        "event B organises under A's internal project → project",
        "query($id: ID!) { event(id: $id) { organiser { id } project { id } } }",
        id(draft_by_b),
        [
            NOT_FOUND,
            seen(json!(["org B", "IA"])),
            seen(json!(["org B", null])),
            seen(json!(["org B", "IA"])),
            seen(json!(["org B", "IA"])),
            seen(json!(["org B", "IA"])),
        ],
    )
    .picking(|data| {
        json!([
            data["event"]["organiser"]["id"],
            data["event"]["project"]["id"]
        ])
    })];
    problems.extend(run(&app, &mut world, &cross, &PRINCIPALS, false).await);

    assert!(
        problems.is_empty(),
        "{}",
        report("hidden objects in answers", &problems)
    );
}

/// Found by the check of the matrix's answers against the schema: async-graphql answers an
/// object whose every selected field is refused with `null`, so the public's
/// `organisation(id) { contactEmail contactPhone }` lost the whole (non-null) organisation
/// and nulled `data`. The refused fields are `null`, the object stays.
#[tokio::test]
async fn an_object_whose_every_field_is_refused_keeps_its_place() {
    let app = spawn_app_with_demo().await;
    let listed = app
        .data(
            "{ organisations(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let organisation = nodes(&listed["organisations"])[0]["id"].clone();

    let document = "query($id: ID!) { organisation(id: $id) { contactEmail contactPhone } }";
    let alone = app.graphql(document, json!({ "id": organisation })).await;
    let nested_document = "{ events(first: 1) { edges { node { organiser { contactEmail } } } } }";
    let nested = app.graphql(nested_document, json!({})).await;

    assert_eq!(
        alone["data"],
        json!({ "organisation": { "contactEmail": null, "contactPhone": null } }),
        "{alone:#}"
    );
    assert_eq!(error_codes(&alone), ["FORBIDDEN", "FORBIDDEN"]);
    assert_eq!(
        nested["data"]["events"]["edges"][0]["node"]["organiser"],
        json!({ "contactEmail": null }),
        "{nested:#}"
    );
    assert_eq!(error_codes(&nested), ["FORBIDDEN"]);
    for (document, response) in [(document, &alone), (nested_document, &nested)] {
        assert_eq!(
            answers::violations(document, response),
            Vec::<String>::new()
        );
    }
}
