//! The demo data's shared row types, the district list and the organisations.
//!
//! Facts come from the public texts in `shared/context/`. Where a text does not name something
//! (most of the NGOs running Women's Resource Centres, street addresses, phone numbers), the demo
//! invents it and says so in a comment; no row names a person.

use entity::{
    Localized,
    enums::{OrganisationKind, Region},
};

/// A text in English and Russian, and in Tajik where the demo has a translation.
#[derive(Clone, Copy, Debug)]
pub(super) struct Text {
    pub en: &'static str,
    pub ru: &'static str,
    pub tg: Option<&'static str>,
}

impl Text {
    /// The stored form of the text.
    pub fn localized(&self) -> Localized {
        Localized {
            en: Some(self.en.to_owned()),
            ru: Some(self.ru.to_owned()),
            tg: self.tg.map(str::to_owned),
        }
    }
}

/// English and Russian.
pub(super) const fn t(en: &'static str, ru: &'static str) -> Text {
    Text { en, ru, tg: None }
}

/// English, Russian and Tajik.
pub(super) const fn t3(en: &'static str, ru: &'static str, tg: &'static str) -> Text {
    Text {
        en,
        ru,
        tg: Some(tg),
    }
}

/// Every district (or city) the demo places a centre or an event in, with its region, so that a
/// row names only its district and can never contradict its region.
///
/// Current official names are used (Bokhtar, not Kurgan-Tyube; Jayhun, not Kumsangir; Dusti, not
/// Jilikul; Jaloliddin Balkhi, not Rumi; Rasht, whose centre is Garm); the centre names keep the
/// older names the texts use. Nurek and Baljuvon are in Khatlon; Safed-Dara is in Varzob (DRS).
pub(super) const DISTRICTS: &[(&str, Region)] = &[
    ("Dushanbe", Region::Dushanbe),
    ("Khujand", Region::Sughd),
    ("Istaravshan", Region::Sughd),
    ("Penjikent", Region::Sughd),
    ("Ayni", Region::Sughd),
    ("Isfara", Region::Sughd),
    ("Spitamen", Region::Sughd),
    ("Mastchoh", Region::Sughd),
    ("Bokhtar", Region::Khatlon),
    ("Kulob", Region::Khatlon),
    ("Jomi", Region::Khatlon),
    ("Jaloliddin Balkhi", Region::Khatlon),
    ("Jayhun", Region::Khatlon),
    ("Dusti", Region::Khatlon),
    ("Khuroson", Region::Khatlon),
    ("Kabodiyon", Region::Khatlon),
    ("Farkhor", Region::Khatlon),
    ("Hamadoni", Region::Khatlon),
    ("Shamsiddin Shohin", Region::Khatlon),
    ("Vose", Region::Khatlon),
    ("Baljuvon", Region::Khatlon),
    ("Nurek", Region::Khatlon),
    ("Muminobod", Region::Khatlon),
    ("Panj", Region::Khatlon),
    ("Vahdat", Region::Drs),
    ("Rasht", Region::Drs),
    ("Varzob", Region::Drs),
    ("Shahrinav", Region::Drs),
    ("Tursunzoda", Region::Drs),
    ("Tojikobod", Region::Drs),
    ("Lakhsh", Region::Drs),
    ("Khorog", Region::Gbao),
    ("Ishkoshim", Region::Gbao),
    ("Darvoz", Region::Gbao),
    ("Rushan", Region::Gbao),
    ("Vanj", Region::Gbao),
    // A study visit abroad: the region enum has no "abroad", and the visit served the whole
    // country, so it is filed as nationwide.
    ("Sarajevo (Bosnia and Herzegovina)", Region::Nationwide),
];

/// One organisation: key (stable, also the id seed), kind, acronym, name, active.
pub(super) type OrgRow = (
    &'static str,
    OrganisationKind,
    Option<&'static str>,
    Text,
    bool,
);

use OrganisationKind::{Academic, Donor, Government, International, Ngo, Private};

/// The organisations. E-mail addresses and phone numbers are derived from the key by the loader
/// (example domains, fictional `+992 37 000 ..` numbers).
pub(super) const ORGANISATIONS: &[OrgRow] = &[
    // The Programme Office and other OSCE structures.
    (
        "osce-po",
        International,
        None,
        t3(
            "OSCE Programme Office in Dushanbe",
            "Программный офис ОБСЕ в Душанбе",
            "Дафтари барномавии САҲА дар Душанбе",
        ),
        true,
    ),
    (
        "osce-bih",
        International,
        None,
        t(
            "OSCE Mission to Bosnia and Herzegovina",
            "Миссия ОБСЕ в Боснии и Герцеговине",
        ),
        true,
    ),
    (
        "bmsc",
        Academic,
        Some("BMSC"),
        t3(
            "OSCE Border Management Staff College",
            "Колледж ОБСЕ по вопросам управления границами",
            "Коллеҷи САҲА оид ба идоракунии сарҳад",
        ),
        true,
    ),
    // International partners named in the counter-terrorism and rule-of-law texts.
    (
        "unoct",
        International,
        Some("UNOCT"),
        t(
            "United Nations Office of Counter-Terrorism",
            "Контртеррористическое управление Организации Объединённых Наций",
        ),
        true,
    ),
    (
        "unodc",
        International,
        Some("UNODC"),
        t(
            "United Nations Office on Drugs and Crime",
            "Управление Организации Объединённых Наций по наркотикам и преступности",
        ),
        true,
    ),
    (
        "cted",
        International,
        Some("CTED"),
        t(
            "UN Counter-Terrorism Committee Executive Directorate",
            "Исполнительный директорат Контртеррористического комитета ООН",
        ),
        true,
    ),
    (
        "interpol",
        International,
        Some("INTERPOL"),
        t(
            "International Criminal Police Organization",
            "Международная организация уголовной полиции",
        ),
        true,
    ),
    (
        "icj",
        International,
        Some("ICJ"),
        t(
            "International Commission of Jurists",
            "Международная комиссия юристов",
        ),
        true,
    ),
    (
        "unrcca",
        International,
        Some("UNRCCA"),
        t(
            "UN Regional Centre for Preventive Diplomacy for Central Asia",
            "Региональный центр ООН по превентивной дипломатии для Центральной Азии",
        ),
        true,
    ),
    // Donors. Finland funded the Khujand shelter in 2008-11 only, hence inactive.
    (
        "norway",
        Donor,
        None,
        t3(
            "Government of Norway",
            "Правительство Норвегии",
            "Ҳукумати Норвегия",
        ),
        true,
    ),
    (
        "finland",
        Donor,
        None,
        t3(
            "Government of Finland",
            "Правительство Финляндии",
            "Ҳукумати Финляндия",
        ),
        false,
    ),
    (
        "united-states",
        Donor,
        Some("USA"),
        t3(
            "Government of the United States of America",
            "Правительство Соединённых Штатов Америки",
            "Ҳукумати Иёлоти Муттаҳидаи Амрико",
        ),
        true,
    ),
    (
        "qatar",
        Donor,
        None,
        t3("State of Qatar", "Государство Катар", "Давлати Қатар"),
        true,
    ),
    // Ministries and agencies.
    (
        "moia",
        Government,
        Some("MIA"),
        t3(
            "Ministry of Internal Affairs of the Republic of Tajikistan",
            "Министерство внутренних дел Республики Таджикистан",
            "Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "moia-academy",
        Academic,
        None,
        t3(
            "Academy of the Ministry of Internal Affairs",
            "Академия Министерства внутренних дел Республики Таджикистан",
            "Академияи Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "cthb",
        Government,
        None,
        t3(
            "Centre for Countering Trafficking in Human Beings of the Ministry of Internal Affairs",
            "Центр по противодействию торговле людьми Министерства внутренних дел",
            "Маркази муқовимат ба хариду фурӯши одамони Вазорати корҳои дохилӣ",
        ),
        true,
    ),
    (
        "main-prison-department",
        Government,
        None,
        t3(
            "Main Prison Department of the Ministry of Justice",
            "Главное управление исполнения уголовных наказаний Министерства юстиции",
            "Сарраёсати иҷрои ҷазоҳои ҷиноятии Вазорати адлия",
        ),
        true,
    ),
    (
        "mfa",
        Government,
        Some("MFA"),
        t3(
            "Ministry of Foreign Affairs of the Republic of Tajikistan",
            "Министерство иностранных дел Республики Таджикистан",
            "Вазорати корҳои хориҷии Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "cwfa",
        Government,
        None,
        t3(
            "Committee for Women and Family Affairs",
            "Комитет по делам женщин и семьи при Правительстве Республики Таджикистан",
            "Кумитаи кор бо занон ва оилаи назди Ҳукумати Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "coes",
        Government,
        Some("CoESCD"),
        t3(
            "Committee of Emergency Situations and Civil Defence",
            "Комитет по чрезвычайным ситуациям и гражданской обороне при Правительстве Республики Таджикистан",
            "Кумитаи ҳолатҳои фавқулодда ва мудофиаи граждании назди Ҳукумати Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "cep",
        Government,
        None,
        t3(
            "Committee for Environmental Protection",
            "Комитет по охране окружающей среды при Правительстве Республики Таджикистан",
            "Кумитаи ҳифзи муҳити зисти назди Ҳукумати Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "anti-corruption-agency",
        Government,
        None,
        t3(
            "Anti-Corruption Agency",
            "Агентство по государственному финансовому контролю и борьбе с коррупцией",
            "Агентии назорати молиявии давлатӣ ва мубориза бо коррупсия",
        ),
        true,
    ),
    (
        "ombudsman",
        Government,
        None,
        t3(
            "Office of the Human Rights Commissioner (Ombudsman)",
            "Аппарат Уполномоченного по правам человека в Республике Таджикистан",
            "Дастгоҳи Ваколатдор оид ба ҳуқуқи инсон дар Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "mes",
        Government,
        None,
        t3(
            "Ministry of Education and Science",
            "Министерство образования и науки Республики Таджикистан",
            "Вазорати маориф ва илми Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "border-troops",
        Government,
        None,
        t3(
            "Border Troops of the State Committee for National Security",
            "Пограничные войска Государственного комитета национальной безопасности",
            "Қӯшунҳои сарҳадии Кумитаи давлатии амнияти миллӣ",
        ),
        true,
    ),
    (
        "fmd",
        Government,
        Some("FMD"),
        t3(
            "Financial Monitoring Department of the National Bank of Tajikistan",
            "Департамент финансового мониторинга при Национальном банке Таджикистана",
            "Департаменти мониторинги молиявии назди Бонки миллии Тоҷикистон",
        ),
        true,
    ),
    (
        "supreme-court-tc",
        Government,
        None,
        t3(
            "Training Centre of the Supreme Court",
            "Учебный центр Верховного суда Республики Таджикистан",
            "Маркази таълимии Суди Олии Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "prosecutor-general",
        Government,
        None,
        t3(
            "Office of the Prosecutor General",
            "Генеральная прокуратура Республики Таджикистан",
            "Прокуратураи генералии Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "medt",
        Government,
        Some("MEDT"),
        t3(
            "Ministry of Economic Development and Trade",
            "Министерство экономического развития и торговли Республики Таджикистан",
            "Вазорати рушди иқтисод ва савдои Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "mewr",
        Government,
        Some("MEWR"),
        t3(
            "Ministry of Energy and Water Resources",
            "Министерство энергетики и водных ресурсов Республики Таджикистан",
            "Вазорати энергетика ва захираҳои оби Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    (
        "legal-aid-centre",
        Government,
        None,
        t3(
            "State Legal Aid Centre of the Ministry of Justice",
            "Государственное учреждение «Центр юридической помощи» Министерства юстиции",
            "Муассисаи давлатии «Маркази ёрии ҳуқуқӣ»-и Вазорати адлия",
        ),
        true,
    ),
    (
        "apa",
        Academic,
        None,
        t3(
            "Academy of Public Administration under the President of the Republic of Tajikistan",
            "Академия государственного управления при Президенте Республики Таджикистан",
            "Академияи идоракунии давлатии назди Президенти Ҷумҳурии Тоҷикистон",
        ),
        true,
    ),
    // Civil society named in the texts.
    (
        "red-crescent",
        Ngo,
        Some("RCST"),
        t3(
            "Tajik Red Crescent Society",
            "Общество Красного Полумесяца Таджикистана",
            "Ҷамъияти Ҳилоли Аҳмари Тоҷикистон",
        ),
        true,
    ),
    (
        "anti-corruption-coalition",
        Ngo,
        None,
        t3(
            "Coalition of Civil Society Organizations for Transparency and Combating Corruption",
            "Коалиция организаций гражданского общества за прозрачность и противодействие коррупции",
            "Эътилофи созмонҳои ҷомеаи шаҳрвандӣ барои шаффофият ва мубориза бо коррупсия",
        ),
        true,
    ),
    (
        "union-women-judges",
        Ngo,
        None,
        t3(
            "Union of Women Judges",
            "Союз женщин-судей",
            "Иттифоқи занони судя",
        ),
        true,
    ),
    (
        "youth-network-dv",
        Ngo,
        None,
        t3(
            "Youth Network on Prevention of Domestic Violence",
            "Молодёжная сеть по предотвращению насилия в семье",
            "Шабакаи ҷавонон оид ба пешгирии зӯроварӣ дар оила",
        ),
        true,
    ),
    // Operates the Khujand shelter (named in the texts); in the demo also the Isfara centre.
    (
        "gulrukhsor",
        Ngo,
        None,
        t3(
            "Gulrukhsor Public Organisation",
            "Общественная организация «Гулрухсор»",
            "Ташкилоти ҷамъиятии «Гулрухсор»",
        ),
        true,
    ),
    // Named in the texts with the Women's Resource Centre network, without its district: the
    // demo has it run the Bokhtar (Kurgan-Tyube) centre.
    (
        "oksana",
        Ngo,
        None,
        t3(
            "Oksana Public Organisation",
            "Общественная организация «Оксана»",
            "Ташкилоти ҷамъиятии «Оксана»",
        ),
        true,
    ),
    // INVENTED: the texts say ten NGOs run the centres in eleven districts but name none of the
    // others. These names are made up for the demo; one of them runs two neighbouring districts.
    (
        "ngo-nuri-jomi",
        Ngo,
        None,
        t3(
            "Nuri Jomi Public Organisation",
            "Общественная организация «Нури Джами»",
            "Ташкилоти ҷамъиятии «Нури Ҷомӣ»",
        ),
        true,
    ),
    (
        "ngo-zanoni-balkh",
        Ngo,
        None,
        t3(
            "Zanoni Balkh Public Organisation",
            "Общественная организация «Занони Балх»",
            "Ташкилоти ҷамъиятии «Занони Балх»",
        ),
        true,
    ),
    (
        "ngo-sarchashma",
        Ngo,
        None,
        t3(
            "Sarchashma Public Organisation",
            "Общественная организация «Сарчашма»",
            "Ташкилоти ҷамъиятии «Сарчашма»",
        ),
        true,
    ),
    (
        "ngo-mehri-khuroson",
        Ngo,
        None,
        t3(
            "Mehri Khuroson Public Organisation",
            "Общественная организация «Мехри Хуросон»",
            "Ташкилоти ҷамъиятии «Меҳри Хуросон»",
        ),
        true,
    ),
    (
        "ngo-bonuvoni-kabodiyon",
        Ngo,
        None,
        t3(
            "Bonuvoni Kabodiyon Public Organisation",
            "Общественная организация «Бонувони Кабодиён»",
            "Ташкилоти ҷамъиятии «Бонувони Қубодиён»",
        ),
        true,
    ),
    (
        "ngo-zan-va-jomea",
        Ngo,
        None,
        t3(
            "Zan va Jomea Public Organisation",
            "Общественная организация «Зан ва Джомеа»",
            "Ташкилоти ҷамъиятии «Зан ва ҷомеа»",
        ),
        true,
    ),
    (
        "ngo-nilufari-rasht",
        Ngo,
        None,
        t3(
            "Nilufari Rasht Public Organisation",
            "Общественная организация «Нилуфари Рашт»",
            "Ташкилоти ҷамъиятии «Нилуфари Рашт»",
        ),
        true,
    ),
    (
        "ngo-chashmai-umed",
        Ngo,
        None,
        t3(
            "Chashmai Umed Public Organisation",
            "Общественная организация «Чашмаи Умед»",
            "Ташкилоти ҷамъиятии «Чашмаи Умед»",
        ),
        true,
    ),
    (
        "ngo-zanoni-zarafshon",
        Ngo,
        None,
        t3(
            "Zanoni Zarafshon Public Organisation",
            "Общественная организация «Занони Зарафшон»",
            "Ташкилоти ҷамъиятии «Занони Зарафшон»",
        ),
        true,
    ),
    // INVENTED: operator of the demo's Dushanbe shelter and Vahdat centre.
    (
        "ngo-mehrubon",
        Ngo,
        None,
        t3(
            "Mehrubon Public Organisation",
            "Общественная организация «Мехрубон»",
            "Ташкилоти ҷамъиятии «Меҳрубон»",
        ),
        true,
    ),
    // INVENTED: the texts name the five Aarhus Centres' work, not who runs them.
    (
        "aarhus-association",
        Ngo,
        None,
        t3(
            "Association of Aarhus Centres of Tajikistan",
            "Ассоциация Орхусских центров Таджикистана",
            "Ассотсиатсияи марказҳои Орхуси Тоҷикистон",
        ),
        true,
    ),
    // INVENTED: the contractor of the energy projects; inactive since they ended.
    (
        "energiyai-sabz",
        Private,
        None,
        t3(
            "Energiyai Sabz LLC",
            "ООО «Энергияи Сабз»",
            "ҶДММ «Энергияи сабз»",
        ),
        false,
    ),
];

/// The key of the Programme Office itself: accountable for every project.
pub(super) const PROGRAMME_OFFICE: &str = "osce-po";
