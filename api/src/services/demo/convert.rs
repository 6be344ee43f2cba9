//! TEMPORARY: prints the statics as TOML (removed once the data files exist).
#![allow(clippy::all, clippy::unwrap_used)]

use std::fmt::Write;

use super::{
    cases::{Act, CASES, Party},
    centres::CENTRES,
    data::{DISTRICTS, ORGANISATIONS, Text},
    events::EVENTS,
    projects::PROJECTS,
    accounts::DEMO_LOGINS,
};

fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn code<T: sea_orm::ActiveEnum<Value = String>>(value: &T) -> String {
    q(&value.to_value())
}

fn codes<T: sea_orm::ActiveEnum<Value = String>>(values: &[T]) -> String {
    format!("[{}]", values.iter().map(code).collect::<Vec<_>>().join(", "))
}

fn text(out: &mut String, name: &str, t: &Text) {
    writeln!(out, "{name}.en = {}", q(t.en)).unwrap();
    writeln!(out, "{name}.ru = {}", q(t.ru)).unwrap();
    if let Some(tg) = t.tg {
        writeln!(out, "{name}.tg = {}", q(tg)).unwrap();
    }
}

fn after(hours: u32) -> String {
    if hours % 24 == 0 {
        q(&format!("{}d", hours / 24))
    } else {
        q(&format!("{hours}h"))
    }
}

fn num(n: i64) -> String {
    let s = n.to_string();
    if s.len() <= 4 {
        return s;
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

#[test]
#[ignore]
fn convert() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    std::fs::create_dir_all(dir.join("demo")).unwrap();

    let mut out = String::new();
    for (name, region) in DISTRICTS {
        writeln!(out, "\n[[district]]\nname = {}\nregion = {}", q(name), code(region)).unwrap();
        if name.starts_with("Sarajevo") {
            writeln!(out, "abroad = true").unwrap();
        }
    }
    std::fs::write(dir.join("districts.toml"), out).unwrap();

    let mut out = String::new();
    for (key, kind, acronym, name, active) in ORGANISATIONS {
        writeln!(out, "\n[[organisation]]\nkey = {}\nkind = {}", q(key), code(kind)).unwrap();
        if let Some(acronym) = acronym {
            writeln!(out, "acronym = {}", q(acronym)).unwrap();
        }
        if !active {
            writeln!(out, "active = false").unwrap();
        }
        text(&mut out, "name", name);
    }
    std::fs::write(dir.join("demo/organisations.toml"), out).unwrap();

    let mut out = String::new();
    for row in PROJECTS {
        writeln!(out, "\n[[project]]\ncode = {}\nstatus = {}\nstart = {}", q(row.code), code(&row.status), row.start).unwrap();
        if let Some(end) = row.end {
            writeln!(out, "end = {end}").unwrap();
        }
        if let Some(budget) = row.budget_eur {
            writeln!(out, "budget_eur = {}", num(budget)).unwrap();
        }
        if row.internal {
            writeln!(out, "internal = true").unwrap();
        }
        writeln!(out, "areas = {}\nregions = {}", codes(row.areas), codes(row.regions)).unwrap();
        writeln!(out, "partners = [").unwrap();
        for (org, role) in row.partners {
            writeln!(out, "  {{ organisation = {}, role = {} }},", q(org), code(role)).unwrap();
        }
        writeln!(out, "]").unwrap();
        text(&mut out, "title", &row.title);
        text(&mut out, "summary", &row.summary);
    }
    std::fs::write(dir.join("demo/projects.toml"), out).unwrap();

    let mut out = String::new();
    for row in EVENTS {
        writeln!(out, "\n[[event]]\nkey = {}", q(row.key)).unwrap();
        if let Some(project) = row.project {
            writeln!(out, "project = {}", q(project)).unwrap();
        }
        writeln!(out, "kind = {}\nstarts = {}\nends = {}\ndistrict = {}", code(&row.kind), row.starts, row.ends, q(row.district)).unwrap();
        if let Some(venue) = row.venue {
            writeln!(out, "venue = {}", q(venue)).unwrap();
        }
        let (f, m, u) = row.people;
        writeln!(out, "organiser = {}\nparticipants = {{ female = {f}, male = {m}, undisclosed = {u} }}", q(row.organiser)).unwrap();
        if !row.published {
            writeln!(out, "published = false").unwrap();
        }
        text(&mut out, "title", &row.title);
        text(&mut out, "summary", &row.summary);
    }
    std::fs::write(dir.join("demo/events.toml"), out).unwrap();

    let mut out = String::new();
    for row in CENTRES {
        writeln!(out, "\n[[centre]]\nkey = {}\nkind = {}\noperator = {}\ndistrict = {}\nphone = {}", q(row.key), code(&row.kind), q(row.operator), q(row.district), q(row.phone)).unwrap();
        writeln!(out, "languages = [{}]", row.languages.iter().map(|l| q(l)).collect::<Vec<_>>().join(", ")).unwrap();
        writeln!(out, "services = {}", codes(row.services)).unwrap();
        if let Some(capacity) = row.shelter_capacity {
            writeln!(out, "shelter_capacity = {capacity}").unwrap();
        }
        if !row.accepting_referrals {
            writeln!(out, "accepting_referrals = false").unwrap();
        }
        if let Some(verified) = row.verified {
            writeln!(out, "verified = {verified}").unwrap();
        }
        if !row.active {
            writeln!(out, "active = false").unwrap();
        }
        text(&mut out, "name", &row.name);
        text(&mut out, "address", &row.address);
        text(&mut out, "hours", &row.hours);
    }
    std::fs::write(dir.join("demo/centres.toml"), out).unwrap();

    let mut out = String::new();
    for login in DEMO_LOGINS {
        writeln!(out, "\n[[login]]\nrole = {}\nemail = {}\npassword = {}", q(login.role), q(login.email), q(login.password)).unwrap();
        if let Some(org) = login.organisation {
            writeln!(out, "organisation = {}", q(org)).unwrap();
        }
        writeln!(out, "display_name = {}", q(login.display_name)).unwrap();
    }
    std::fs::write(dir.join("demo/accounts.toml"), out).unwrap();

    let mut out = String::new();
    writeln!(out, "\n[consent_scope]").unwrap();
    for kind in [entity::enums::CaseKind::DomesticViolence, entity::enums::CaseKind::TraffickingSexual, entity::enums::CaseKind::TraffickingLabour, entity::enums::CaseKind::OtherGbv] {
        writeln!(out, "{} = {}", sea_orm::ActiveEnum::to_value(&kind), q(super::cases::consent_scope(kind))).unwrap();
    }
    for row in CASES {
        writeln!(out, "\n[[case]]\nkey = {}\nopened = {}T{:02}:00:00\nreferrer = {}\nkind = {}\nrisk = {}\ndistrict = {}", q(row.key), row.opened.0, row.opened.1, q(row.referrer), code(&row.kind), code(&row.risk), q(row.district)).unwrap();
        let (sex, age, citizenship, disability) = row.survivor;
        let citizenship = citizenship.map(|c| format!(", citizenship = {}", q(c))).unwrap_or_default();
        writeln!(out, "survivor = {{ sex = {}, age = {}{citizenship}, disability = {disability} }}", code(&sex), code(&age)).unwrap();
        writeln!(out, "services = {}", codes(row.services)).unwrap();
        if !row.consent {
            writeln!(out, "consent = false").unwrap();
        }
        if row.steps.is_empty() {
            writeln!(out, "steps = []").unwrap();
            continue;
        }
        writeln!(out, "steps = [").unwrap();
        for (hours, act) in row.steps {
            let opt = |name: &str, value: Option<&str>| value.map(|v| format!(", {name} = {}", q(v))).unwrap_or_default();
            let body = match *act {
                Act::Refer(to, centre) => format!("act = \"send\", to = {}{}", q(to), opt("centre", centre)),
                Act::Accept => "act = \"accept\"".to_owned(),
                Act::Decline(reason, note) => format!("act = \"decline\", reason = {}{}", code(&reason), opt("comment", note)),
                Act::StartService => "act = \"start_service\"".to_owned(),
                Act::Close(outcome, note) => format!("act = \"close\", outcome = {}{}", code(&outcome), opt("comment", note)),
                Act::Withdraw(note) => format!("act = \"withdraw\"{}", opt("comment", note)),
                Act::Onward(to, centre, note) => format!("act = \"refer_onward\", to = {}{}{}", q(to), opt("centre", centre), opt("comment", note)),
                Act::WithdrawConsent(party) => format!("act = \"withdraw_consent\", by = {}", q(match party { Party::Referrer => "referrer", Party::Receiver => "receiver" })),
            };
            writeln!(out, "  {{ after = {}, {body} }},", after(*hours)).unwrap();
        }
        writeln!(out, "]").unwrap();
    }
    std::fs::write(dir.join("demo/cases.toml"), out).unwrap();
}
