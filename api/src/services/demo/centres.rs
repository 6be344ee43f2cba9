//! The demo resource centres: the Women's Resource Centres in 14 districts, shelters, police
//! units for domestic violence, Aarhus Centres and legal aid offices.
//!
//! Districts and operators follow the texts; street addresses and phone numbers are invented
//! (`+992 37 000 ..` numbers are fictional). Shelter addresses are withheld, as shelters do to
//! keep survivors safe.

use entity::enums::CentreKind::{
    self, AarhusCentre, LegalAid, PoliceGenderUnit, Shelter, WomensResourceCentre,
};
use entity::enums::CentreService::{
    self, AwarenessRaising, CrisisSupport, EconomicEmpowerment, LegalConsultation, MedicalReferral,
    PsychosocialCounselling,
};

use super::data::{Text, t, t3};

/// One centre; `key` is its stable id seed.
pub(super) struct CentreRow {
    pub key: &'static str,
    pub kind: CentreKind,
    /// The operating organisation's key.
    pub operator: &'static str,
    pub district: &'static str,
    pub name: Text,
    pub address: Text,
    pub hours: Text,
    pub phone: &'static str,
    pub languages: &'static [&'static str],
    pub services: &'static [CentreService],
    pub shelter_capacity: Option<i32>,
    pub accepting_referrals: bool,
    /// Date of the last check of the directory entry, if any.
    pub verified: Option<&'static str>,
    pub active: bool,
}

/// A Women's Resource Centre: office hours, accepting referrals, active.
#[allow(clippy::too_many_arguments)]
const fn wrc(
    key: &'static str,
    operator: &'static str,
    district: &'static str,
    phone: &'static str,
    languages: &'static [&'static str],
    services: &'static [CentreService],
    verified: Option<&'static str>,
    name: Text,
    address: Text,
) -> CentreRow {
    CentreRow {
        key,
        kind: WomensResourceCentre,
        operator,
        district,
        name,
        address,
        hours: WEEKDAYS,
        phone,
        languages,
        services,
        shelter_capacity: None,
        accepting_referrals: true,
        verified,
        active: true,
    }
}

impl CentreRow {
    /// The same centre, not taking referrals for now.
    const fn not_accepting(self) -> Self {
        Self {
            accepting_referrals: false,
            ..self
        }
    }
}

const WEEKDAYS: Text = t3(
    "Mon–Fri 08:00–17:00",
    "Пн–Пт 08:00–17:00",
    "Душанбе–Ҷумъа 08:00–17:00",
);
const AROUND_THE_CLOCK: Text = t3(
    "24 hours, 7 days a week",
    "Круглосуточно, без выходных",
    "Шабонарӯзӣ, бе рӯзи истироҳат",
);
const AARHUS_HOURS: Text = t3(
    "Mon–Fri 09:00–18:00, Sat 10:00–14:00",
    "Пн–Пт 09:00–18:00, Сб 10:00–14:00",
    "Душанбе–Ҷумъа 09:00–18:00, Шанбе 10:00–14:00",
);
const CONFIDENTIAL: Text = t3(
    "Address confidential: call the phone number",
    "Адрес не разглашается: звоните по телефону",
    "Суроға махфӣ аст: ба телефон занг занед",
);

/// Every centre helps with rights and referral; some also give crisis support or refer to
/// medical care.
const WRC_BASIC: &[CentreService] = &[
    LegalConsultation,
    PsychosocialCounselling,
    EconomicEmpowerment,
    AwarenessRaising,
];
const WRC_CRISIS: &[CentreService] = &[
    LegalConsultation,
    PsychosocialCounselling,
    CrisisSupport,
    EconomicEmpowerment,
    AwarenessRaising,
];
const WRC_FULL: &[CentreService] = &[
    LegalConsultation,
    PsychosocialCounselling,
    CrisisSupport,
    MedicalReferral,
    EconomicEmpowerment,
    AwarenessRaising,
];
const SHELTER_SERVICES: &[CentreService] = &[
    CentreService::Shelter,
    CrisisSupport,
    PsychosocialCounselling,
    LegalConsultation,
    MedicalReferral,
];
const POLICE_SERVICES: &[CentreService] = &[CrisisSupport, LegalConsultation, MedicalReferral];
const AARHUS_SERVICES: &[CentreService] = &[LegalConsultation, AwarenessRaising];
const LEGAL_AID_SERVICES: &[CentreService] = &[LegalConsultation];

const TG_RU: &[&str] = &["tg", "ru"];
const TG_RU_UZ: &[&str] = &["tg", "ru", "uz"];
const TG_RU_EN: &[&str] = &["tg", "ru", "en"];

pub(super) const CENTRES: &[CentreRow] = &[
    // The eleven districts named in the texts (older names in brackets).
    wrc(
        "wrc-bokhtar",
        "oksana",
        "Bokhtar",
        "+992 37 000 11 01",
        TG_RU,
        WRC_FULL,
        Some("2026-09-15"),
        t3(
            "Women's Resource Centre Bokhtar (Kurgan-Tyube)",
            "Ресурсный центр для женщин, Бохтар (Курган-Тюбе)",
            "Маркази захиравии занон, Бохтар",
        ),
        t3(
            "14 Vahdat Street, Bokhtar",
            "ул. Вахдат, 14, Бохтар",
            "кӯчаи Ваҳдат 14, Бохтар",
        ),
    ),
    wrc(
        "wrc-jomi",
        "ngo-nuri-jomi",
        "Jomi",
        "+992 37 000 11 02",
        TG_RU,
        WRC_CRISIS,
        Some("2026-08-20"),
        t3(
            "Women's Resource Centre Jomi",
            "Ресурсный центр для женщин, Джами",
            "Маркази захиравии занон, Ҷомӣ",
        ),
        t3(
            "3 Navruz Street, Jomi",
            "ул. Навруз, 3, Джами",
            "кӯчаи Наврӯз 3, Ҷомӣ",
        ),
    ),
    wrc(
        "wrc-balkhi",
        "ngo-zanoni-balkh",
        "Jaloliddin Balkhi",
        "+992 37 000 11 03",
        TG_RU,
        WRC_BASIC,
        Some("2026-06-11"),
        t3(
            "Women's Resource Centre Jaloliddin Balkhi (Rumi)",
            "Ресурсный центр для женщин, Джалолиддини Балхи (Руми)",
            "Маркази захиравии занон, Ҷалолиддини Балхӣ",
        ),
        t3(
            "22 Somoni Street, Balkh",
            "ул. Сомони, 22, Балх",
            "кӯчаи Сомонӣ 22, Балх",
        ),
    ),
    wrc(
        "wrc-jayhun",
        "ngo-sarchashma",
        "Jayhun",
        "+992 37 000 11 04",
        TG_RU_UZ,
        WRC_CRISIS,
        Some("2026-10-02"),
        t3(
            "Women's Resource Centre Jayhun (Kumsangir)",
            "Ресурсный центр для женщин, Джайхун (Кумсангир)",
            "Маркази захиравии занон, Ҷайҳун",
        ),
        t3(
            "7 Istiqlol Street, Dusti town",
            "ул. Истиклол, 7, пос. Дусти",
            "кӯчаи Истиқлол 7, шаҳраки Дӯстӣ",
        ),
    ),
    wrc(
        "wrc-dusti",
        "ngo-sarchashma",
        "Dusti",
        "+992 37 000 11 05",
        TG_RU_UZ,
        WRC_BASIC,
        Some("2026-10-02"),
        t3(
            "Women's Resource Centre Dusti (Jilikul)",
            "Ресурсный центр для женщин, Дусти (Джиликуль)",
            "Маркази захиравии занон, Дӯстӣ",
        ),
        t3(
            "11 Rudaki Street, Dusti district centre",
            "ул. Рудаки, 11, районный центр Дусти",
            "кӯчаи Рӯдакӣ 11, маркази ноҳияи Дӯстӣ",
        ),
    ),
    wrc(
        "wrc-khuroson",
        "ngo-mehri-khuroson",
        "Khuroson",
        "+992 37 000 11 06",
        TG_RU,
        WRC_BASIC,
        None,
        t3(
            "Women's Resource Centre Khuroson",
            "Ресурсный центр для женщин, Хуросон",
            "Маркази захиравии занон, Хуросон",
        ),
        t3(
            "5 Firdavsi Street, Obikiik",
            "ул. Фирдавси, 5, Обикиик",
            "кӯчаи Фирдавсӣ 5, Обикиик",
        ),
    ),
    wrc(
        "wrc-kabodiyon",
        "ngo-bonuvoni-kabodiyon",
        "Kabodiyon",
        "+992 37 000 11 07",
        TG_RU_UZ,
        WRC_CRISIS,
        Some("2026-07-08"),
        t3(
            "Women's Resource Centre Kabodiyon",
            "Ресурсный центр для женщин, Кабодиён",
            "Маркази захиравии занон, Қубодиён",
        ),
        t3(
            "9 Borbad Street, Kabodiyon",
            "ул. Борбад, 9, Кабодиён",
            "кӯчаи Борбад 9, Қубодиён",
        ),
    ),
    wrc(
        "wrc-kulob",
        "ngo-zan-va-jomea",
        "Kulob",
        "+992 37 000 11 08",
        TG_RU,
        WRC_FULL,
        Some("2026-09-29"),
        t3(
            "Women's Resource Centre Kulob (Kulyab)",
            "Ресурсный центр для женщин, Куляб",
            "Маркази захиравии занон, Кӯлоб",
        ),
        t3(
            "31 Mir Sayyid Ali Hamadoni Street, Kulob",
            "ул. Мир Сайид Али Хамадони, 31, Куляб",
            "кӯчаи Мир Сайид Алии Ҳамадонӣ 31, Кӯлоб",
        ),
    ),
    wrc(
        "wrc-garm",
        "ngo-nilufari-rasht",
        "Rasht",
        "+992 37 000 11 09",
        TG_RU,
        WRC_BASIC,
        Some("2026-05-19"),
        t3(
            "Women's Resource Centre Garm (Rasht)",
            "Ресурсный центр для женщин, Гарм (Рашт)",
            "Маркази захиравии занон, Ғарм",
        ),
        t3(
            "2 Nurobod Street, Garm",
            "ул. Нуробод, 2, Гарм",
            "кӯчаи Нуробод 2, Ғарм",
        ),
    ),
    wrc(
        "wrc-istaravshan",
        "ngo-chashmai-umed",
        "Istaravshan",
        "+992 37 000 11 10",
        TG_RU_UZ,
        WRC_CRISIS,
        Some("2026-10-14"),
        t3(
            "Women's Resource Centre Istaravshan",
            "Ресурсный центр для женщин, Истаравшан",
            "Маркази захиравии занон, Истаравшан",
        ),
        t3(
            "18 Kurushi Kabir Street, Istaravshan",
            "ул. Куруши Кабир, 18, Истаравшан",
            "кӯчаи Куруши Кабир 18, Истаравшан",
        ),
    ),
    wrc(
        "wrc-penjikent",
        "ngo-zanoni-zarafshon",
        "Penjikent",
        "+992 37 000 11 11",
        TG_RU_UZ,
        WRC_BASIC,
        Some("2026-04-23"),
        t3(
            "Women's Resource Centre Penjikent",
            "Ресурсный центр для женщин, Пенджикент",
            "Маркази захиравии занон, Панҷакент",
        ),
        t3(
            "6 Rudaki Avenue, Penjikent",
            "пр. Рудаки, 6, Пенджикент",
            "хиёбони Рӯдакӣ 6, Панҷакент",
        ),
    ),
    // Three further districts of the network of 14, placed by the demo.
    wrc(
        "wrc-farkhor",
        "ngo-zan-va-jomea",
        "Farkhor",
        "+992 37 000 11 12",
        TG_RU,
        WRC_BASIC,
        Some("2026-03-03"),
        t3(
            "Women's Resource Centre Farkhor",
            "Ресурсный центр для женщин, Фархор",
            "Маркази захиравии занон, Фархор",
        ),
        t3(
            "4 Dehqon Street, Farkhor",
            "ул. Дехкон, 4, Фархор",
            "кӯчаи Деҳқон 4, Фархор",
        ),
    )
    // A staff vacancy: the centre runs its activities but takes no new referrals.
    .not_accepting(),
    wrc(
        "wrc-vahdat",
        "ngo-mehrubon",
        "Vahdat",
        "+992 37 000 11 13",
        TG_RU,
        WRC_CRISIS,
        Some("2026-09-01"),
        t3(
            "Women's Resource Centre Vahdat",
            "Ресурсный центр для женщин, Вахдат",
            "Маркази захиравии занон, Ваҳдат",
        ),
        t3(
            "27 Ayni Street, Vahdat",
            "ул. Айни, 27, Вахдат",
            "кӯчаи Айнӣ 27, Ваҳдат",
        ),
    ),
    wrc(
        "wrc-isfara",
        "gulrukhsor",
        "Isfara",
        "+992 37 000 11 14",
        TG_RU_UZ,
        WRC_BASIC,
        None,
        t3(
            "Women's Resource Centre Isfara",
            "Ресурсный центр для женщин, Исфара",
            "Маркази захиравии занон, Исфара",
        ),
        t3(
            "12 Ismoili Somoni Street, Isfara",
            "ул. Исмоили Сомони, 12, Исфара",
            "кӯчаи Исмоили Сомонӣ 12, Исфара",
        ),
    ),
    // Shelters. Khujand's descends from the country's first shelter (supported since 2005; a
    // larger building, run by Gulrukhsor, since February 2010); the other two are the demo's.
    CentreRow {
        key: "shelter-khujand",
        kind: Shelter,
        operator: "gulrukhsor",
        district: "Khujand",
        name: t3(
            "Gulrukhsor shelter for women and children, Khujand",
            "Приют «Гулрухсор» для женщин и детей, Худжанд",
            "Паноҳгоҳи «Гулрухсор» барои занон ва кӯдакон, Хуҷанд",
        ),
        address: CONFIDENTIAL,
        hours: AROUND_THE_CLOCK,
        phone: "+992 37 000 21 01",
        languages: TG_RU_UZ,
        services: SHELTER_SERVICES,
        shelter_capacity: Some(30),
        accepting_referrals: true,
        verified: Some("2026-10-20"),
        active: true,
    },
    CentreRow {
        key: "shelter-dushanbe",
        kind: Shelter,
        operator: "ngo-mehrubon",
        district: "Dushanbe",
        name: t3(
            "Mehrubon crisis shelter, Dushanbe",
            "Кризисный приют «Мехрубон», Душанбе",
            "Паноҳгоҳи бӯҳронии «Меҳрубон», Душанбе",
        ),
        address: CONFIDENTIAL,
        hours: AROUND_THE_CLOCK,
        phone: "+992 37 000 21 02",
        languages: TG_RU,
        services: SHELTER_SERVICES,
        shelter_capacity: Some(20),
        accepting_referrals: true,
        verified: Some("2026-10-05"),
        active: true,
    },
    CentreRow {
        key: "shelter-kulob",
        kind: Shelter,
        operator: "ngo-zan-va-jomea",
        district: "Kulob",
        name: t3(
            "Crisis shelter, Kulob",
            "Кризисный приют, Куляб",
            "Паноҳгоҳи бӯҳронӣ, Кӯлоб",
        ),
        address: CONFIDENTIAL,
        hours: AROUND_THE_CLOCK,
        phone: "+992 37 000 21 03",
        languages: TG_RU,
        services: SHELTER_SERVICES,
        shelter_capacity: Some(12),
        accepting_referrals: true,
        verified: Some("2026-07-30"),
        active: true,
    },
    // The five police units equipped for domestic violence cases: two in Dushanbe, one each in
    // Kurgan-Tyube (Bokhtar), Kulyab (Kulob) and Khujand.
    police(
        "police-dushanbe-sino",
        "Dushanbe",
        "+992 37 000 31 01",
        t3(
            "Police domestic violence unit, Sino district, Dushanbe",
            "Отдел милиции по делам о насилии в семье, район Сино, Душанбе",
            "Шуъбаи милитсия оид ба зӯроварӣ дар оила, ноҳияи Сино, Душанбе",
        ),
        t3(
            "Police department of Sino district, Dushanbe",
            "ОВД района Сино, Душанбе",
            "Шуъбаи корҳои дохилии ноҳияи Сино, Душанбе",
        ),
    ),
    police(
        "police-dushanbe-firdavsi",
        "Dushanbe",
        "+992 37 000 31 02",
        t3(
            "Police domestic violence unit, Firdavsi district, Dushanbe",
            "Отдел милиции по делам о насилии в семье, район Фирдавси, Душанбе",
            "Шуъбаи милитсия оид ба зӯроварӣ дар оила, ноҳияи Фирдавсӣ, Душанбе",
        ),
        t3(
            "Police department of Firdavsi district, Dushanbe",
            "ОВД района Фирдавси, Душанбе",
            "Шуъбаи корҳои дохилии ноҳияи Фирдавсӣ, Душанбе",
        ),
    ),
    police(
        "police-bokhtar",
        "Bokhtar",
        "+992 37 000 31 03",
        t3(
            "Police domestic violence unit, Bokhtar",
            "Отдел милиции по делам о насилии в семье, Бохтар",
            "Шуъбаи милитсия оид ба зӯроварӣ дар оила, Бохтар",
        ),
        t3(
            "City police department, Bokhtar",
            "ОВД города Бохтар",
            "Шуъбаи корҳои дохилии шаҳри Бохтар",
        ),
    ),
    police(
        "police-kulob",
        "Kulob",
        "+992 37 000 31 04",
        t3(
            "Police domestic violence unit, Kulob",
            "Отдел милиции по делам о насилии в семье, Куляб",
            "Шуъбаи милитсия оид ба зӯроварӣ дар оила, Кӯлоб",
        ),
        t3(
            "City police department, Kulob",
            "ОВД города Куляб",
            "Шуъбаи корҳои дохилии шаҳри Кӯлоб",
        ),
    ),
    police(
        "police-khujand",
        "Khujand",
        "+992 37 000 31 05",
        t3(
            "Police domestic violence unit, Khujand",
            "Отдел милиции по делам о насилии в семье, Худжанд",
            "Шуъбаи милитсия оид ба зӯроварӣ дар оила, Хуҷанд",
        ),
        t3(
            "City police department, Khujand",
            "УВД города Худжанд",
            "Раёсати корҳои дохилии шаҳри Хуҷанд",
        ),
    ),
    // The five Aarhus Centres.
    aarhus(
        "aarhus-dushanbe",
        "Dushanbe",
        "+992 37 000 41 01",
        TG_RU_EN,
        Some("2026-02-10"),
        t3(
            "Aarhus Centre Dushanbe",
            "Орхусский центр Душанбе",
            "Маркази Орхуси Душанбе",
        ),
        t3(
            "40 Bokhtar Street, Dushanbe",
            "ул. Бохтар, 40, Душанбе",
            "кӯчаи Бохтар 40, Душанбе",
        ),
    ),
    aarhus(
        "aarhus-khujand",
        "Khujand",
        "+992 37 000 41 02",
        TG_RU_UZ,
        Some("2026-02-12"),
        t3(
            "Aarhus Centre Khujand",
            "Орхусский центр Худжанд",
            "Маркази Орхуси Хуҷанд",
        ),
        t3(
            "8 Lenin Street, Khujand",
            "ул. Ленина, 8, Худжанд",
            "кӯчаи Ленин 8, Хуҷанд",
        ),
    ),
    aarhus(
        "aarhus-bokhtar",
        "Bokhtar",
        "+992 37 000 41 03",
        TG_RU,
        None,
        t3(
            "Aarhus Centre Bokhtar",
            "Орхусский центр Бохтар",
            "Маркази Орхуси Бохтар",
        ),
        t3(
            "25 Aini Street, Bokhtar",
            "ул. Айни, 25, Бохтар",
            "кӯчаи Айнӣ 25, Бохтар",
        ),
    ),
    aarhus(
        "aarhus-khorog",
        "Khorog",
        "+992 37 000 41 04",
        TG_RU_EN,
        Some("2026-05-06"),
        t3(
            "Aarhus Centre Khorog",
            "Орхусский центр Хорог",
            "Маркази Орхуси Хоруғ",
        ),
        t3(
            "3 Lenin Street, Khorog",
            "ул. Ленина, 3, Хорог",
            "кӯчаи Ленин 3, Хоруғ",
        ),
    ),
    aarhus(
        "aarhus-kulob",
        "Kulob",
        "+992 37 000 41 05",
        TG_RU,
        None,
        t3(
            "Aarhus Centre Kulob",
            "Орхусский центр Куляб",
            "Маркази Орхуси Кӯлоб",
        ),
        t3(
            "16 Somoni Street, Kulob",
            "ул. Сомони, 16, Куляб",
            "кӯчаи Сомонӣ 16, Кӯлоб",
        ),
    ),
    // Legal aid offices of the State Legal Aid Centre; the Khorog office is closed.
    CentreRow {
        key: "legal-aid-dushanbe",
        kind: LegalAid,
        operator: "legal-aid-centre",
        district: "Dushanbe",
        name: t3(
            "Free legal aid office, Dushanbe",
            "Бюро бесплатной юридической помощи, Душанбе",
            "Бюрои ёрии ройгони ҳуқуқӣ, Душанбе",
        ),
        address: t3(
            "55 Rudaki Avenue, Dushanbe",
            "пр. Рудаки, 55, Душанбе",
            "хиёбони Рӯдакӣ 55, Душанбе",
        ),
        hours: WEEKDAYS,
        phone: "+992 37 000 51 01",
        languages: TG_RU,
        services: LEGAL_AID_SERVICES,
        shelter_capacity: None,
        accepting_referrals: true,
        verified: Some("2026-06-30"),
        active: true,
    },
    CentreRow {
        key: "legal-aid-khorog",
        kind: LegalAid,
        operator: "legal-aid-centre",
        district: "Khorog",
        name: t(
            "Free legal aid office, Khorog",
            "Бюро бесплатной юридической помощи, Хорог",
        ),
        address: t("10 Lenin Street, Khorog", "ул. Ленина, 10, Хорог"),
        hours: WEEKDAYS,
        phone: "+992 37 000 51 02",
        languages: TG_RU,
        services: LEGAL_AID_SERVICES,
        shelter_capacity: None,
        accepting_referrals: false,
        verified: Some("2026-01-20"),
        active: false,
    },
];

/// A police unit for domestic violence cases, run by the Ministry of Internal Affairs.
const fn police(
    key: &'static str,
    district: &'static str,
    phone: &'static str,
    name: Text,
    address: Text,
) -> CentreRow {
    CentreRow {
        key,
        kind: PoliceGenderUnit,
        operator: "moia",
        district,
        name,
        address,
        hours: AROUND_THE_CLOCK,
        phone,
        languages: TG_RU,
        services: POLICE_SERVICES,
        shelter_capacity: None,
        accepting_referrals: true,
        verified: Some("2026-03-31"),
        active: true,
    }
}

/// An Aarhus Centre: environmental information and legal advice, not a referral service.
const fn aarhus(
    key: &'static str,
    district: &'static str,
    phone: &'static str,
    languages: &'static [&'static str],
    verified: Option<&'static str>,
    name: Text,
    address: Text,
) -> CentreRow {
    CentreRow {
        key,
        kind: AarhusCentre,
        operator: "aarhus-association",
        district,
        name,
        address,
        hours: AARHUS_HOURS,
        phone,
        languages,
        services: AARHUS_SERVICES,
        shelter_capacity: None,
        accepting_referrals: false,
        verified,
        active: true,
    }
}
