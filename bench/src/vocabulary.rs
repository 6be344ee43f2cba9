//! Words the generated rows are made of: the Programme Office's fields of work, the names
//! partner organisations and centres go by. The districts are the demo's
//! (`api/data/districts.toml`, read by `api::demo::districts`).

use entity::enums::ThematicArea;

/// Names of partner organisations (English transliteration, Russian).
pub const ORGANISATION_NAMES: &[(&str, &str)] = &[
    ("Gulrukhsor", "Гулрухсор"),
    ("Oksana", "Оксана"),
    ("Nasl", "Насл"),
    ("Dilafruz", "Дилафруз"),
    ("Chashma", "Чашма"),
    ("Bonuvoni Fardo", "Бонувони Фардо"),
    ("Ghamkhori", "Гамхори"),
    ("Mehr", "Меҳр"),
    ("Umed", "Умед"),
    ("Sitora", "Ситора"),
    ("Nilufar", "Нилуфар"),
    ("Zanon va Jomea", "Занон ва Ҷомеа"),
    ("Khoma", "Хома"),
    ("Shukufa", "Шукуфа"),
    ("Madina", "Мадина"),
    ("Ozodagon", "Озодагон"),
];

/// Project themes (English, Russian).
pub const PROJECT_TOPICS: &[(&str, &str)] = &[
    (
        "Women's resource centres and legal aid",
        "Ресурсные центры для женщин и правовая помощь",
    ),
    (
        "Preventing domestic violence",
        "Предупреждение домашнего насилия",
    ),
    (
        "Community policing and trust",
        "Общественная полиция и доверие",
    ),
    (
        "Border security and management",
        "Безопасность и управление границами",
    ),
    (
        "Combating trafficking in human beings",
        "Противодействие торговле людьми",
    ),
    (
        "Aarhus centres and environmental dialogue",
        "Орхусские центры и экологический диалог",
    ),
    (
        "Water governance in the Syrdarya basin",
        "Управление водными ресурсами бассейна Сырдарьи",
    ),
    (
        "Disaster risk reduction in mountain districts",
        "Снижение риска бедствий в горных районах",
    ),
    (
        "Youth leadership and civic participation",
        "Лидерство молодёжи и гражданское участие",
    ),
    (
        "Media freedom and journalists' safety",
        "Свобода СМИ и безопасность журналистов",
    ),
    (
        "Rule of law and judicial independence",
        "Верховенство права и независимость судей",
    ),
    (
        "Small arms and ammunition stockpile safety",
        "Безопасность запасов стрелкового оружия и боеприпасов",
    ),
    (
        "Good governance and anti-corruption",
        "Надлежащее управление и противодействие коррупции",
    ),
    (
        "Economic empowerment of women",
        "Экономическое расширение прав женщин",
    ),
    (
        "Preventing violent extremism",
        "Предупреждение насильственного экстремизма",
    ),
    (
        "Human rights education",
        "Образование в области прав человека",
    ),
];

/// Event subjects (English, Russian).
pub const EVENT_TOPICS: &[(&str, &str)] = &[
    (
        "referral mechanisms for survivors",
        "механизмы перенаправления пострадавших",
    ),
    (
        "the law on prevention of violence in the family",
        "закон о предупреждении насилия в семье",
    ),
    (
        "gender-sensitive policing",
        "гендерно-чувствительная работа полиции",
    ),
    (
        "identification of victims of trafficking",
        "выявление жертв торговли людьми",
    ),
    (
        "early warning of floods and mudflows",
        "раннее оповещение о паводках и селях",
    ),
    (
        "transboundary water cooperation",
        "трансграничное водное сотрудничество",
    ),
    ("access to legal aid", "доступ к правовой помощи"),
    (
        "countering hate speech online",
        "противодействие языку вражды в интернете",
    ),
    (
        "border crossing point procedures",
        "процедуры пунктов пропуска",
    ),
    ("women's entrepreneurship", "женское предпринимательство"),
    ("psychosocial support", "психосоциальная поддержка"),
    ("youth volunteering", "молодёжное волонтёрство"),
];

/// Names of the kinds of centres (English, Russian), in the order of `CentreKind`.
pub const CENTRE_NAMES: &[(&str, &str)] = &[
    ("Women's Resource Centre", "Ресурсный центр для женщин"),
    ("Shelter", "Приют"),
    ("Aarhus Centre", "Орхусский центр"),
    ("Police gender unit", "Гендерное подразделение милиции"),
    ("Legal aid centre", "Центр правовой помощи"),
    ("Counselling point", "Консультационный пункт"),
];

/// Two letters of a thematic area for project codes (`PO-2025-GE-00017`).
pub fn area_code(area: ThematicArea) -> &'static str {
    match area {
        ThematicArea::ArmsControl => "AC",
        ThematicArea::BorderManagement => "BM",
        ThematicArea::CounteringTerrorism => "CT",
        ThematicArea::Policing => "PL",
        ThematicArea::EconomicActivities => "EA",
        ThematicArea::EnvironmentalActivities => "EN",
        ThematicArea::DisasterRiskReduction => "DR",
        ThematicArea::WaterAndEnergy => "WE",
        ThematicArea::GoodGovernance => "GG",
        ThematicArea::HumanRights => "HR",
        ThematicArea::MediaFreedom => "MF",
        ThematicArea::RuleOfLaw => "RL",
        ThematicArea::CombatingTrafficking => "TH",
        ThematicArea::GenderEquality => "GE",
        ThematicArea::DomesticViolence => "DV",
        ThematicArea::Youth => "YO",
    }
}
