//! The demo referral cases: some sixty cases over the eighteen months before the demo's "now",
//! each with its full history, as the referral workflow of `services::cases` would have
//! written them.
//!
//! Every step of a case's history names the account that acted (`referral_transition`
//! requires one, and a case requires the account that opened it), and the demo has accounts
//! for two partner organisations only: Gulrukhsor (the Khujand shelter and the Isfara centre)
//! and Oksana (the Bokhtar centre). So every case is opened by one of them, and the cases that
//! were answered (accepted, declined, in service, closed) run between the two; a referral to any
//! other organisation is still unanswered, was withdrawn, or came there by onward referral.
//! A survivor sent from Khatlon to the Khujand shelter, or back home to Khatlon from Sughd, is
//! how the two meet.
//!
//! The survivor-identifying columns (`survivor_name`, `contact_phone`, `address`, `notes`) stay
//! NULL: they hold ciphertext under the data key from the server's configuration, which the
//! demo loader does not have (and demo rows must be the same in every database). Comments and
//! consent scopes are non-identifying, as the API requires.
//!
//! Deadlines are the defaults of [`CaseDeadlines`] (72 hours, 24 for `HIGH` risk). Codes are
//! numbered per year in the order the cases were opened, and the per-year counters end at the
//! last number, so a case opened through the API afterwards gets the next one. No audit
//! entries are written.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use entity::{
    case_code_counter,
    enums::{
        AgeGroup, CaseKind, CaseOutcome, CaseStatus, CentreService, DeclineReason, RiskLevel, Sex,
    },
    localized::CodeList,
    referral_case, referral_transition,
};
use sea_orm::DbErr;
use uuid::Uuid;

use super::{
    accounts::member_of, at, bad_data, centre_id, centres::CENTRES, data::ORGANISATIONS, date,
    demo_id, lookup, region_of,
};
use crate::services::cases::CaseDeadlines;

use AgeGroup::{Adolescent1217, Adult1824, Adult2559, Older60Plus};
use CaseKind::{DomesticViolence, OtherGbv, TraffickingLabour, TraffickingSexual};
use CaseOutcome::{Other as OtherOutcome, ReferredElsewhere, ServicesProvided, SurvivorDisengaged};
use CentreService::{
    CrisisSupport, EconomicEmpowerment, LegalConsultation, MedicalReferral,
    PsychosocialCounselling, Shelter,
};
use DeclineReason::{ConflictOfInterest, NoCapacity, OutsideArea, ServiceNotOffered};
use RiskLevel::{High, Low, Medium};
use Sex::{Female, Male};

/// The two organisations with demo accounts.
const GULRUKHSOR: &str = "gulrukhsor";
const OKSANA: &str = "oksana";
const KHUJAND_SHELTER: Option<&str> = Some("shelter-khujand");
const BOKHTAR_CENTRE: Option<&str> = Some("wrc-bokhtar");

/// Hours in a day, for the steps' delays.
const DAY: u32 = 24;

/// The survivor's profile: sex, age group, citizenship (ISO 3166 alpha-2), disability.
type Survivor = (Sex, AgeGroup, Option<&'static str>, bool);

const WOMAN: Survivor = (Female, Adult2559, Some("TJ"), false);
const YOUNG_WOMAN: Survivor = (Female, Adult1824, Some("TJ"), false);
const GIRL: Survivor = (Female, Adolescent1217, Some("TJ"), false);
const MAN: Survivor = (Male, Adult2559, Some("TJ"), false);
const YOUNG_MAN: Survivor = (Male, Adult1824, Some("TJ"), false);

/// Which side of a case acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Party {
    Referrer,
    Receiver,
}

/// One step of a case's history after it was opened, with the workflow's names.
#[derive(Clone, Copy, Debug)]
pub(super) enum Act {
    /// Send the draft to an organisation (by key), optionally one of its centres.
    Refer(&'static str, Option<&'static str>),
    Accept,
    /// Decline with a coded reason and a comment (required for `OTHER`).
    Decline(DeclineReason, Option<&'static str>),
    StartService,
    Close(CaseOutcome, Option<&'static str>),
    Withdraw(Option<&'static str>),
    /// Refer onward (after a decline: the referrer; after acceptance: the receiver).
    Onward(&'static str, Option<&'static str>, Option<&'static str>),
    /// The survivor withdrew consent, as told to this party.
    WithdrawConsent(Party),
}

use Act::{Accept, Close, Decline, Onward, Refer, StartService, Withdraw, WithdrawConsent};

/// One demo case.
pub(super) struct CaseRow {
    /// Stable id seed; never shown.
    pub key: &'static str,
    /// Day and hour (UTC) the draft was opened.
    pub opened: (&'static str, u32),
    /// The referring organisation's key.
    pub referrer: &'static str,
    pub kind: CaseKind,
    pub risk: RiskLevel,
    /// Where the survivor lives; the region follows from it.
    pub district: &'static str,
    pub survivor: Survivor,
    pub services: &'static [CentreService],
    /// Whether consent was recorded when the draft was opened (only a draft may lack it).
    pub consent: bool,
    /// The steps after opening, each with its delay in hours after the previous one.
    pub steps: &'static [(u32, Act)],
}

/// The demo cases, oldest first: 21 closed, 10 in service, 6 accepted, 7 declined, 8 referred
/// (3 of them onward), 6 withdrawn and 3 drafts.
pub(super) const CASES: &[CaseRow] = &[
    // ---- 2025 ----
    CaseRow {
        key: "bokhtar-dv-shelter-2505",
        opened: ("2025-05-06", 10),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Bokhtar",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport, PsychosocialCounselling],
        consent: true,
        steps: &[
            (2, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (3, Accept),
            (18, StartService),
            (
                62 * DAY,
                Close(
                    ServicesProvided,
                    Some("Moved to relatives; follow-up by the referring centre."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "khujand-labour-returnee-2505",
        opened: ("2025-05-19", 9),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Khujand",
        survivor: MAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (4, Refer(OKSANA, BOKHTAR_CENTRE)),
            (30, Accept),
            (48, StartService),
            (35 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "jomi-dv-legal-2506",
        opened: ("2025-06-03", 11),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Jomi",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, None)),
            (26, Decline(OutsideArea, None)),
            (
                3 * DAY,
                Close(
                    ReferredElsewhere,
                    Some("Referred to the Jomi centre directly."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "vahdat-sexual-shelter-2506",
        opened: ("2025-06-24", 15),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: High,
        district: "Vahdat",
        survivor: YOUNG_WOMAN,
        services: &[Shelter, MedicalReferral, CrisisSupport],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (4, Accept),
            (10, StartService),
            (90 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "istaravshan-dv-legal-2507",
        opened: ("2025-07-08", 10),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Low,
        district: "Istaravshan",
        survivor: WOMAN,
        services: &[LegalConsultation],
        consent: true,
        steps: &[
            (20, Refer(OKSANA, BOKHTAR_CENTRE)),
            (70, Accept),
            (5 * DAY, StartService),
            (
                40 * DAY,
                Close(
                    SurvivorDisengaged,
                    Some("No contact after two missed appointments."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "kulob-gbv-adolescent-2507",
        opened: ("2025-07-21", 9),
        referrer: OKSANA,
        kind: OtherGbv,
        risk: High,
        district: "Kulob",
        survivor: GIRL,
        services: &[CrisisSupport, PsychosocialCounselling, MedicalReferral],
        consent: true,
        steps: &[
            (3, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (6, Accept),
            (16, StartService),
            (45 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "khujand-dv-withdrawn-2507",
        opened: ("2025-07-29", 10),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Medium,
        district: "Khujand",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (4, Refer(OKSANA, BOKHTAR_CENTRE)),
            (
                20,
                Withdraw(Some("The survivor asked to pause the referral.")),
            ),
        ],
    },
    CaseRow {
        key: "penjikent-labour-2508",
        opened: ("2025-08-12", 13),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Low,
        district: "Penjikent",
        survivor: MAN,
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[
            (6, Refer(OKSANA, None)),
            (52, Accept),
            (7 * DAY, StartService),
            (60 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "khuroson-dv-shelter-2509",
        opened: ("2025-09-02", 11),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Khuroson",
        survivor: (Female, Adult2559, Some("TJ"), true),
        services: &[Shelter, LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (2, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (20, Accept),
            (30, StartService),
            (75 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "khujand-gbv-declined-2509",
        opened: ("2025-09-23", 16),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Khujand",
        survivor: YOUNG_WOMAN,
        services: &[PsychosocialCounselling, LegalConsultation],
        consent: true,
        steps: &[
            (18, Refer(OKSANA, BOKHTAR_CENTRE)),
            (40, Decline(NoCapacity, None)),
            (
                2 * DAY,
                Close(
                    OtherOutcome,
                    Some("Counselling continues at the Isfara centre instead."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "dusti-dv-consent-2510",
        opened: ("2025-10-07", 10),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Dusti",
        survivor: (Female, Adult2559, Some("AF"), false),
        services: &[Shelter, CrisisSupport, MedicalReferral],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (2, Accept),
            (9, StartService),
            (12 * DAY, WithdrawConsent(Party::Referrer)),
        ],
    },
    CaseRow {
        key: "isfara-sexual-2510",
        opened: ("2025-10-28", 12),
        referrer: GULRUKHSOR,
        kind: TraffickingSexual,
        risk: Medium,
        district: "Isfara",
        survivor: YOUNG_WOMAN,
        services: &[
            PsychosocialCounselling,
            LegalConsultation,
            EconomicEmpowerment,
        ],
        consent: true,
        steps: &[
            (5, Refer(OKSANA, BOKHTAR_CENTRE)),
            (28, Accept),
            (4 * DAY, StartService),
            (80 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "jayhun-labour-2511",
        opened: ("2025-11-18", 9),
        referrer: OKSANA,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Jayhun",
        survivor: MAN,
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[
            (3, Refer(GULRUKHSOR, None)),
            (44, Accept),
            (3 * DAY, StartService),
            (50 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "bokhtar-dv-shelter-2512",
        opened: ("2025-12-09", 14),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Bokhtar",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport, LegalConsultation],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (5, Accept),
            (14, StartService),
            (
                20 * DAY,
                Close(
                    SurvivorDisengaged,
                    Some("Left the shelter and returned home."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "jayhun-labour-withdrawn-2512",
        opened: ("2025-12-16", 11),
        referrer: OKSANA,
        kind: TraffickingLabour,
        risk: Low,
        district: "Jayhun",
        survivor: YOUNG_MAN,
        services: &[EconomicEmpowerment],
        consent: true,
        steps: &[
            (6, Refer("ngo-sarchashma", Some("wrc-jayhun"))),
            (
                30,
                Withdraw(Some("Found work and no longer needs the service.")),
            ),
        ],
    },
    // ---- 2026 ----
    CaseRow {
        key: "spitamen-dv-2601",
        opened: ("2026-01-13", 10),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Medium,
        district: "Spitamen",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (8, Refer(OKSANA, BOKHTAR_CENTRE)),
            (36, Accept),
            (4 * DAY, StartService),
            (55 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "kabodiyon-gbv-older-2601",
        opened: ("2026-01-27", 11),
        referrer: OKSANA,
        kind: OtherGbv,
        risk: Low,
        district: "Kabodiyon",
        survivor: (Female, Older60Plus, Some("TJ"), false),
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[
            (24, Refer(GULRUKHSOR, Some("wrc-isfara"))),
            (90, Accept),
            (5 * DAY, StartService),
            (30 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "khujand-labour-2602",
        opened: ("2026-02-17", 9),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: High,
        district: "Khujand",
        survivor: (Male, Adult1824, Some("UZ"), false),
        services: &[CrisisSupport, MedicalReferral, LegalConsultation],
        consent: true,
        steps: &[
            (2, Refer(OKSANA, BOKHTAR_CENTRE)),
            (8, Accept),
            (20, StartService),
            (40 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "vose-dv-consent-2603",
        opened: ("2026-03-10", 15),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Vose",
        survivor: WOMAN,
        services: &[Shelter, PsychosocialCounselling],
        consent: true,
        steps: &[
            (3, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (26, Accept),
            (40, StartService),
            (18 * DAY, WithdrawConsent(Party::Receiver)),
        ],
    },
    CaseRow {
        key: "isfara-gbv-withdrawn-2603",
        opened: ("2026-03-17", 10),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Isfara",
        survivor: WOMAN,
        services: &[PsychosocialCounselling],
        consent: true,
        steps: &[
            (3, Refer("ngo-zanoni-zarafshon", Some("wrc-penjikent"))),
            (50, Withdraw(None)),
        ],
    },
    CaseRow {
        key: "dushanbe-sexual-adolescent-2603",
        opened: ("2026-03-31", 10),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: High,
        district: "Dushanbe",
        survivor: GIRL,
        services: &[
            Shelter,
            CrisisSupport,
            PsychosocialCounselling,
            MedicalReferral,
        ],
        consent: true,
        steps: &[
            (2, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (3, Accept),
            (12, StartService),
            (120 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "kulob-dv-declined-2604",
        opened: ("2026-04-14", 10),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Kulob",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport],
        consent: true,
        steps: &[
            (2, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (
                20,
                Decline(NoCapacity, Some("The shelter is full this month.")),
            ),
        ],
    },
    CaseRow {
        key: "isfara-gbv-2604",
        opened: ("2026-04-21", 13),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Isfara",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (4, Refer(OKSANA, BOKHTAR_CENTRE)),
            (31, Accept),
            (3 * DAY, StartService),
            (60 * DAY, Close(SurvivorDisengaged, None)),
        ],
    },
    CaseRow {
        key: "balkhi-dv-shelter-2605",
        opened: ("2026-05-05", 9),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Jaloliddin Balkhi",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport, LegalConsultation],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (3, Accept),
            (12, StartService),
        ],
    },
    CaseRow {
        key: "mastchoh-dv-2605",
        opened: ("2026-05-12", 10),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Low,
        district: "Mastchoh",
        survivor: WOMAN,
        services: &[LegalConsultation],
        consent: true,
        steps: &[
            (30, Refer(OKSANA, None)),
            (60, Decline(OutsideArea, None)),
            (
                4 * DAY,
                Close(
                    ReferredElsewhere,
                    Some("Referred to the State Legal Aid Centre directly."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "vahdat-dv-withdrawn-2605",
        opened: ("2026-05-26", 11),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Vahdat",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport],
        consent: true,
        steps: &[
            (1, Refer("ngo-mehrubon", Some("shelter-dushanbe"))),
            (
                8,
                Withdraw(Some(
                    "Placed in a shelter through the police unit meanwhile.",
                )),
            ),
        ],
    },
    CaseRow {
        key: "isfara-dv-declined-2606",
        opened: ("2026-06-02", 10),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: High,
        district: "Isfara",
        survivor: WOMAN,
        services: &[CrisisSupport, LegalConsultation],
        consent: true,
        steps: &[
            (1, Refer(OKSANA, BOKHTAR_CENTRE)),
            (
                5,
                Decline(
                    ConflictOfInterest,
                    Some("A staff member is related to the family."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "rushan-labour-2606",
        opened: ("2026-06-09", 11),
        referrer: OKSANA,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Rushan",
        survivor: MAN,
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[
            (6, Refer(GULRUKHSOR, None)),
            (40, Accept),
            (5 * DAY, StartService),
            (100 * DAY, Close(ServicesProvided, None)),
        ],
    },
    CaseRow {
        key: "khujand-labour-2606",
        opened: ("2026-06-23", 14),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Khujand",
        survivor: MAN,
        services: &[
            LegalConsultation,
            PsychosocialCounselling,
            EconomicEmpowerment,
        ],
        consent: true,
        steps: &[
            (5, Refer(OKSANA, BOKHTAR_CENTRE)),
            (22, Accept),
            (4 * DAY, StartService),
        ],
    },
    CaseRow {
        key: "bokhtar-sexual-shelter-2607",
        opened: ("2026-07-14", 10),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: High,
        district: "Bokhtar",
        survivor: YOUNG_WOMAN,
        services: &[Shelter, MedicalReferral, PsychosocialCounselling],
        consent: true,
        steps: &[
            (2, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (5, Accept),
            (15, StartService),
        ],
    },
    CaseRow {
        key: "khorog-sexual-withdrawn-2607",
        opened: ("2026-07-28", 10),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: Medium,
        district: "Khorog",
        survivor: YOUNG_WOMAN,
        services: &[PsychosocialCounselling, MedicalReferral],
        consent: true,
        steps: &[(5, Refer(GULRUKHSOR, None)), (30, Withdraw(None))],
    },
    CaseRow {
        key: "istaravshan-dv-2608",
        opened: ("2026-08-04", 11),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Medium,
        district: "Istaravshan",
        survivor: (Female, Adult2559, Some("TJ"), true),
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (3, Refer(OKSANA, None)),
            (50, Accept),
            (3 * DAY, StartService),
        ],
    },
    CaseRow {
        key: "khujand-gbv-declined-2608",
        opened: ("2026-08-18", 12),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Low,
        district: "Khujand",
        survivor: WOMAN,
        services: &[EconomicEmpowerment],
        consent: true,
        steps: &[
            (10, Refer(OKSANA, None)),
            (50, Decline(ServiceNotOffered, None)),
        ],
    },
    CaseRow {
        key: "panj-gbv-2608",
        opened: ("2026-08-25", 16),
        referrer: OKSANA,
        kind: OtherGbv,
        risk: Medium,
        district: "Panj",
        survivor: (Female, Adult1824, Some("AF"), false),
        services: &[PsychosocialCounselling, LegalConsultation],
        consent: true,
        steps: &[
            (4, Refer(GULRUKHSOR, Some("wrc-isfara"))),
            (28, Accept),
            (2 * DAY, StartService),
        ],
    },
    CaseRow {
        key: "bokhtar-sexual-declined-2609",
        opened: ("2026-09-08", 9),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: Medium,
        district: "Bokhtar",
        survivor: YOUNG_WOMAN,
        services: &[PsychosocialCounselling, LegalConsultation],
        consent: true,
        steps: &[
            (6, Refer(GULRUKHSOR, None)),
            (
                22,
                Decline(
                    DeclineReason::Other,
                    Some("The survivor asked for support closer to home."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "ayni-sexual-adolescent-2609",
        opened: ("2026-09-15", 9),
        referrer: GULRUKHSOR,
        kind: TraffickingSexual,
        risk: Medium,
        district: "Ayni",
        survivor: GIRL,
        services: &[
            PsychosocialCounselling,
            LegalConsultation,
            EconomicEmpowerment,
        ],
        consent: true,
        steps: &[
            (6, Refer(OKSANA, BOKHTAR_CENTRE)),
            (34, Accept),
            (5 * DAY, StartService),
        ],
    },
    CaseRow {
        key: "bokhtar-sexual-onward-2609",
        opened: ("2026-09-21", 11),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: High,
        district: "Bokhtar",
        survivor: YOUNG_WOMAN,
        services: &[Shelter, CrisisSupport, PsychosocialCounselling],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (3, Accept),
            (10, StartService),
            (
                20 * DAY,
                Onward(
                    "ngo-mehrubon",
                    Some("shelter-dushanbe"),
                    Some("The survivor is moving to Dushanbe."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "bokhtar-dv-2609",
        opened: ("2026-09-29", 10),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Low,
        district: "Bokhtar",
        survivor: WOMAN,
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[
            (20, Refer(GULRUKHSOR, None)),
            (66, Accept),
            (6 * DAY, StartService),
        ],
    },
    CaseRow {
        key: "vahdat-labour-declined-2610",
        opened: ("2026-10-06", 14),
        referrer: OKSANA,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Vahdat",
        survivor: MAN,
        services: &[LegalConsultation],
        consent: true,
        steps: &[
            (3, Refer(GULRUKHSOR, None)),
            (30, Decline(OutsideArea, None)),
        ],
    },
    CaseRow {
        key: "ayni-labour-withdrawn-2610",
        opened: ("2026-10-06", 10),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Ayni",
        survivor: MAN,
        services: &[LegalConsultation],
        consent: true,
        steps: &[
            (4, Refer("legal-aid-centre", Some("legal-aid-dushanbe"))),
            (40, Withdraw(None)),
        ],
    },
    CaseRow {
        key: "tursunzoda-labour-2610",
        opened: ("2026-10-13", 13),
        referrer: OKSANA,
        kind: TraffickingLabour,
        risk: High,
        district: "Tursunzoda",
        survivor: YOUNG_MAN,
        services: &[CrisisSupport, MedicalReferral, LegalConsultation],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, None)),
            (6, Accept),
            (20, StartService),
        ],
    },
    CaseRow {
        key: "isfara-dv-accepted-2610",
        opened: ("2026-10-20", 11),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Medium,
        district: "Isfara",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[(3, Refer(OKSANA, BOKHTAR_CENTRE)), (40, Accept)],
    },
    CaseRow {
        key: "isfara-gbv-declined-2610",
        opened: ("2026-10-20", 15),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Isfara",
        survivor: WOMAN,
        services: &[CrisisSupport, PsychosocialCounselling],
        consent: true,
        steps: &[
            (2, Refer(OKSANA, BOKHTAR_CENTRE)),
            (9, Decline(NoCapacity, None)),
        ],
    },
    CaseRow {
        key: "kabodiyon-dv-onward-2610",
        opened: ("2026-10-26", 10),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Kabodiyon",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[
            (3, Refer(GULRUKHSOR, Some("wrc-isfara"))),
            (20, Decline(OutsideArea, None)),
            (
                2 * DAY,
                Onward("ngo-bonuvoni-kabodiyon", Some("wrc-kabodiyon"), None),
            ),
        ],
    },
    CaseRow {
        key: "khujand-gbv-2610",
        opened: ("2026-10-27", 10),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Khujand",
        survivor: WOMAN,
        services: &[PsychosocialCounselling, LegalConsultation],
        consent: true,
        steps: &[
            (2, Refer(OKSANA, None)),
            (19, Accept),
            (3 * DAY, StartService),
        ],
    },
    CaseRow {
        key: "shahrinav-sexual-2611",
        opened: ("2026-11-02", 10),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: Medium,
        district: "Shahrinav",
        survivor: YOUNG_WOMAN,
        services: &[PsychosocialCounselling, MedicalReferral],
        consent: true,
        steps: &[(4, Refer(GULRUKHSOR, None)), (26, Accept)],
    },
    CaseRow {
        key: "kulob-dv-shelter-2611",
        opened: ("2026-11-03", 9),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Kulob",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport],
        consent: true,
        steps: &[
            (1, Refer(GULRUKHSOR, KHUJAND_SHELTER)),
            (2, Accept),
            (8, StartService),
        ],
    },
    CaseRow {
        key: "khujand-labour-onward-2611",
        opened: ("2026-11-03", 14),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Khujand",
        survivor: MAN,
        services: &[MedicalReferral, EconomicEmpowerment],
        consent: true,
        steps: &[
            (5, Refer(OKSANA, None)),
            (30, Decline(ServiceNotOffered, None)),
            (
                DAY,
                Onward(
                    "red-crescent",
                    None,
                    Some("Returnee support programme of the Red Crescent."),
                ),
            ),
        ],
    },
    CaseRow {
        key: "penjikent-labour-accepted-2611",
        opened: ("2026-11-05", 15),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Low,
        district: "Penjikent",
        survivor: MAN,
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[(18, Refer(OKSANA, BOKHTAR_CENTRE)), (60, Accept)],
    },
    CaseRow {
        key: "jomi-dv-accepted-2611",
        opened: ("2026-11-09", 9),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: High,
        district: "Jomi",
        survivor: WOMAN,
        services: &[Shelter, CrisisSupport, MedicalReferral],
        consent: true,
        steps: &[(1, Refer(GULRUKHSOR, KHUJAND_SHELTER)), (3, Accept)],
    },
    CaseRow {
        key: "jomi-sexual-referred-2611",
        opened: ("2026-11-10", 10),
        referrer: OKSANA,
        kind: TraffickingSexual,
        risk: Medium,
        district: "Jomi",
        survivor: YOUNG_WOMAN,
        services: &[Shelter, PsychosocialCounselling],
        consent: true,
        steps: &[(4, Refer("ngo-mehrubon", Some("shelter-dushanbe")))],
    },
    CaseRow {
        key: "spitamen-gbv-declined-2611",
        opened: ("2026-11-10", 13),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Spitamen",
        survivor: WOMAN,
        services: &[PsychosocialCounselling, LegalConsultation],
        consent: true,
        steps: &[(4, Refer(OKSANA, None)), (26, Decline(NoCapacity, None))],
    },
    CaseRow {
        key: "khujand-gbv-accepted-2611",
        opened: ("2026-11-11", 12),
        referrer: GULRUKHSOR,
        kind: OtherGbv,
        risk: Medium,
        district: "Khujand",
        survivor: WOMAN,
        services: &[PsychosocialCounselling],
        consent: true,
        steps: &[(2, Refer(OKSANA, None)), (30, Accept)],
    },
    CaseRow {
        key: "bokhtar-dv-referred-2611",
        opened: ("2026-11-12", 10),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Bokhtar",
        survivor: WOMAN,
        services: &[Shelter, LegalConsultation],
        consent: true,
        steps: &[(2, Refer(GULRUKHSOR, KHUJAND_SHELTER))],
    },
    CaseRow {
        key: "khujand-labour-referred-2611",
        opened: ("2026-11-13", 15),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Khujand",
        survivor: MAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[(3, Refer(OKSANA, BOKHTAR_CENTRE))],
    },
    CaseRow {
        key: "bokhtar-labour-accepted-2611",
        opened: ("2026-11-13", 10),
        referrer: OKSANA,
        kind: TraffickingLabour,
        risk: Medium,
        district: "Bokhtar",
        survivor: MAN,
        services: &[LegalConsultation],
        consent: true,
        steps: &[(5, Refer(GULRUKHSOR, None)), (20, Accept)],
    },
    CaseRow {
        key: "bokhtar-dv-draft-2611",
        opened: ("2026-11-13", 16),
        referrer: OKSANA,
        kind: DomesticViolence,
        risk: Medium,
        district: "Bokhtar",
        survivor: WOMAN,
        services: &[LegalConsultation, PsychosocialCounselling],
        consent: true,
        steps: &[],
    },
    CaseRow {
        key: "dusti-gbv-referred-2611",
        opened: ("2026-11-14", 9),
        referrer: OKSANA,
        kind: OtherGbv,
        risk: High,
        district: "Dusti",
        survivor: WOMAN,
        services: &[CrisisSupport, PsychosocialCounselling],
        consent: true,
        steps: &[(1, Refer(GULRUKHSOR, None))],
    },
    CaseRow {
        key: "khujand-labour-draft-2611",
        opened: ("2026-11-14", 10),
        referrer: GULRUKHSOR,
        kind: TraffickingLabour,
        risk: Low,
        district: "Khujand",
        survivor: (Male, Adult2559, None, false),
        services: &[LegalConsultation],
        // Consent not yet recorded: the draft cannot be sent.
        consent: false,
        steps: &[],
    },
    CaseRow {
        key: "isfara-dv-referred-2611",
        opened: ("2026-11-15", 11),
        referrer: GULRUKHSOR,
        kind: DomesticViolence,
        risk: Low,
        district: "Isfara",
        survivor: WOMAN,
        services: &[LegalConsultation, EconomicEmpowerment],
        consent: true,
        steps: &[(2, Refer("ngo-chashmai-umed", Some("wrc-istaravshan")))],
    },
    CaseRow {
        key: "jayhun-gbv-draft-2611",
        opened: ("2026-11-15", 14),
        referrer: OKSANA,
        kind: OtherGbv,
        risk: Medium,
        district: "Jayhun",
        survivor: (Female, Adult2559, Some("TJ"), true),
        services: &[PsychosocialCounselling],
        consent: true,
        steps: &[],
    },
];

/// The consent scope recorded with a case: what the survivor agreed to, without naming anyone.
pub(super) fn consent_scope(kind: CaseKind) -> &'static str {
    match kind {
        DomesticViolence => {
            "Referral for the services requested; details shared with the receiving organisation only."
        }
        TraffickingSexual | TraffickingLabour => {
            "Referral under the National Referral Mechanism for the services requested; no contact with law enforcement without further consent."
        }
        OtherGbv => {
            "Referral for counselling and legal advice; details shared with the receiving organisation only."
        }
    }
}

/// The demo's referral cases, their histories and the per-year code counters.
#[derive(Debug, Default)]
pub(super) struct DemoCases {
    pub cases: Vec<referral_case::Model>,
    pub transitions: Vec<referral_transition::Model>,
    pub counters: Vec<case_code_counter::Model>,
}

/// Builds the cases of [`CASES`]: each case's steps are played through the workflow's rules
/// (who acts when, what each step sets), so a row contradicting them is an error, not a row.
/// `accounts_created` is when the demo accounts were made (their ids depend on it); no step
/// may come after `as_of` nor a case be opened before `first_day`.
pub(super) fn build(
    orgs: &HashMap<&'static str, Uuid>,
    accounts_created: DateTime<Utc>,
    first_day: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Result<DemoCases, DbErr> {
    let mut built = Vec::with_capacity(CASES.len());
    for row in CASES {
        let case = play(row, orgs, accounts_created)?;
        let (first, last) = (case.0.created_at, case.0.updated_at);
        if first < first_day || last > as_of {
            return Err(bad_data(format!(
                "case {}: outside the demo's eighteen months",
                row.key
            )));
        }
        built.push(case);
    }
    // Numbers per year, in the order the cases were opened (as `next_code` hands them out).
    built.sort_by_key(|(case, _)| (case.created_at, case.id));
    let mut last_of_year: Vec<(i32, i32)> = Vec::new();
    let mut demo = DemoCases::default();
    for (mut case, history) in built {
        let year = case.created_at.year();
        let number = match last_of_year.last_mut() {
            Some((last_year, number)) if *last_year == year => {
                *number += 1;
                *number
            }
            _ => {
                last_of_year.push((year, 1));
                1
            }
        };
        case.code = format!("RC-{year}-{number:06}");
        demo.cases.push(case);
        demo.transitions.extend(history);
    }
    demo.counters = last_of_year
        .into_iter()
        .map(|(year, last_value)| case_code_counter::Model { year, last_value })
        .collect();
    Ok(demo)
}

/// The account acting for the organisation `key`: its demo account, or an error for a row that
/// has another organisation act.
fn actor(key: &str, case: &str, accounts_created: DateTime<Utc>) -> Result<Uuid, DbErr> {
    member_of(key, accounts_created)?.ok_or_else(|| {
        bad_data(format!(
            "case {case}: {key} has no demo account to act with"
        ))
    })
}

/// The party acting and the status reached when `act` is done on a case in `from`, as the
/// steps of `services::cases` allow; `None` when the workflow does not allow it.
fn turn(from: CaseStatus, act: Act) -> Option<(Party, CaseStatus)> {
    use CaseStatus::{Accepted, Closed, Declined, Draft, InService, Referred, Withdrawn};
    match (act, from) {
        (Refer(..), Draft) => Some((Party::Referrer, Referred)),
        (Accept, Referred) => Some((Party::Receiver, Accepted)),
        (Decline(..), Referred) => Some((Party::Receiver, Declined)),
        (StartService, Accepted) => Some((Party::Receiver, InService)),
        (Close(..), InService) => Some((Party::Receiver, Closed)),
        (Close(..), Declined) => Some((Party::Referrer, Closed)),
        (Withdraw(_), Referred) => Some((Party::Referrer, Withdrawn)),
        (Onward(..), Declined) => Some((Party::Referrer, Referred)),
        (Onward(..), Accepted | InService) => Some((Party::Receiver, Referred)),
        (WithdrawConsent(Party::Referrer), Draft | Referred | Accepted | InService | Declined) => {
            Some((Party::Referrer, Closed))
        }
        (WithdrawConsent(Party::Receiver), Referred | Accepted | InService | Declined) => {
            Some((Party::Receiver, Closed))
        }
        _ => None,
    }
}

/// Checks a receiver as `Cases::check_receiver` does: an active organisation not yet party to
/// the case, and optionally an active centre of it that takes referrals.
fn check_receiver(
    case: &str,
    referrer: &str,
    current: Option<&str>,
    to: &str,
    centre: Option<&str>,
) -> Result<(), DbErr> {
    if to == referrer || Some(to) == current {
        return Err(bad_data(format!(
            "case {case}: referred to {to}, already a party"
        )));
    }
    let active = ORGANISATIONS
        .iter()
        .any(|&(key, _, _, _, active)| key == to && active);
    if !active {
        return Err(bad_data(format!(
            "case {case}: {to} is not an active organisation"
        )));
    }
    if let Some(centre) = centre {
        let fits = CENTRES.iter().any(|row| {
            row.key == centre && row.operator == to && row.active && row.accepting_referrals
        });
        if !fits {
            return Err(bad_data(format!(
                "case {case}: {centre} is not a centre of {to} taking referrals"
            )));
        }
    }
    Ok(())
}

/// Plays one case's steps; returns the case (without its code) and its history.
fn play(
    row: &CaseRow,
    orgs: &HashMap<&'static str, Uuid>,
    accounts_created: DateTime<Utc>,
) -> Result<(referral_case::Model, Vec<referral_transition::Model>), DbErr> {
    let key = row.key;
    let opened = at(date(row.opened.0)?, row.opened.1);
    let id = demo_id(&format!("case:{key}"), opened)?;
    let referrer = lookup(orgs, "organisation", row.referrer)?;
    let creator = actor(row.referrer, key, accounts_created)?;
    let deadline = {
        let deadlines = CaseDeadlines::default();
        match row.risk {
            High => deadlines.high_risk,
            Low | Medium => deadlines.standard,
        }
    };
    let (survivor_sex, survivor_age_group, citizenship, survivor_has_disability) = row.survivor;
    let mut services: Vec<String> = row
        .services
        .iter()
        .map(sea_orm::ActiveEnum::to_value)
        .collect();
    services.sort();
    services.dedup();
    let mut case = referral_case::Model {
        id,
        code: String::new(),
        kind: row.kind,
        status: CaseStatus::Draft,
        risk: row.risk,
        survivor_sex,
        survivor_age_group,
        survivor_citizenship: citizenship.map(str::to_owned),
        survivor_has_disability,
        region: region_of(row.district)?,
        district: row.district.to_owned(),
        services_requested: CodeList(services),
        referring_organisation_id: referrer,
        receiving_organisation_id: None,
        receiving_centre_id: None,
        consent_given: row.consent,
        // Sealed with the case's own key by the loader, before it commits.
        legacy_consent_scope: row.consent.then(|| consent_scope(row.kind).to_owned()),
        consent_scope_sealed: None,
        consent_recorded_at: row.consent.then_some(opened),
        consent_recorded_by_id: row.consent.then_some(creator),
        referred_at: None,
        response_due_at: None,
        first_response_at: None,
        closed_at: None,
        outcome: None,
        // Identifying: ciphertext under the configured data key, which the demo does not have.
        survivor_name: None,
        contact_phone: None,
        address: None,
        notes: None,
        data_key: None,
        erased_at: None,
        created_by_id: creator,
        version: 1,
        created_at: opened,
        updated_at: opened,
    };
    let step_id = |index: usize, when: DateTime<Utc>| demo_id(&format!("case:{key}:{index}"), when);
    let mut history = vec![referral_transition::Model {
        id: step_id(0, opened)?,
        case_id: id,
        from_status: None,
        to_status: CaseStatus::Draft,
        actor_account_id: creator,
        actor_organisation_id: Some(referrer),
        receiving_organisation_id: None,
        reason: None,
        legacy_comment: None,
        comment_sealed: None,
        at: opened,
    }];
    let mut receiver: Option<&'static str> = None;
    let mut now = opened;
    for (index, &(hours, act)) in row.steps.iter().enumerate() {
        now += Duration::hours(i64::from(hours));
        let from = case.status;
        let (party, to) = turn(from, act)
            .ok_or_else(|| bad_data(format!("case {key}: {act:?} is not allowed {from:?}")))?;
        let acting = match party {
            Party::Referrer => row.referrer,
            Party::Receiver => receiver
                .ok_or_else(|| bad_data(format!("case {key}: {act:?} without a receiver")))?,
        };
        let (mut reason, mut comment) = (None, None);
        match act {
            Refer(org, centre) | Onward(org, centre, _) => {
                if !case.consent_given {
                    return Err(bad_data(format!("case {key}: referred without consent")));
                }
                check_receiver(key, row.referrer, receiver, org, centre)?;
                receiver = Some(org);
                case.receiving_organisation_id = Some(lookup(orgs, "organisation", org)?);
                case.receiving_centre_id = centre.map(centre_id).transpose()?;
                case.referred_at = Some(now);
                case.response_due_at = Some(now + deadline);
                if let Onward(_, _, note) = act {
                    // As `Cases::refer_onward`: the new receiver has not answered yet.
                    case.first_response_at = None;
                    comment = note;
                }
            }
            Accept => {
                case.first_response_at.get_or_insert(now);
            }
            Decline(why, note) => {
                if why == DeclineReason::Other && note.is_none() {
                    return Err(bad_data(format!("case {key}: OTHER without a comment")));
                }
                case.first_response_at.get_or_insert(now);
                reason = Some(why);
                comment = note;
            }
            StartService => {}
            Close(outcome, note) => {
                if outcome == CaseOutcome::ConsentWithdrawn {
                    return Err(bad_data(format!(
                        "case {key}: consent withdrawal is its own step"
                    )));
                }
                case.closed_at = Some(now);
                case.outcome = Some(outcome);
                comment = note;
            }
            Withdraw(note) => {
                case.closed_at = Some(now);
                comment = note;
            }
            WithdrawConsent(_) => {
                case.erased_at = Some(now);
                case.consent_given = false;
                case.closed_at = Some(now);
                case.outcome = Some(CaseOutcome::ConsentWithdrawn);
            }
        }
        case.status = to;
        case.version += 1;
        case.updated_at = now;
        history.push(referral_transition::Model {
            id: step_id(index + 1, now)?,
            case_id: id,
            from_status: Some(from),
            to_status: to,
            actor_account_id: actor(acting, key, accounts_created)?,
            actor_organisation_id: Some(lookup(orgs, "organisation", acting)?),
            receiving_organisation_id: case.receiving_organisation_id,
            reason,
            legacy_comment: comment.map(str::to_owned),
            comment_sealed: None,
            at: now,
        });
    }
    Ok((case, history))
}
