//! What the server writes to its log, read from the built binary's output: one access line
//! per request, and never a password, a token, a request body or a case's identifying data, at
//! any level (`RUST_LOG=trace`, which shows every library's lines too).

use serde_json::{Value, json};

use crate::helpers::{
    binary::{self, PASSWORD, create_admin, migrate, portal},
    fresh_config, links,
};

/// What a request answered, and the access line it must leave: method, route, status.
type Seen = (String, String, u16);

/// A client of the binary that keeps the access line each request must leave.
struct Client {
    http: reqwest::Client,
    base: String,
    expected: Vec<Seen>,
}

impl Client {
    /// `POST /graphql`, with `token` as a bearer token when given; the JSON answer.
    async fn graphql(&mut self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, text) = self.post(token, body).await;
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
    }

    /// `POST /graphql` with `body` as it is; the status and the answer's text.
    async fn post(&mut self, token: Option<&str>, body: String) -> (u16, String) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.expect("POST /graphql");
        let status = answer.status().as_u16();
        self.expected
            .push(("POST".to_owned(), "/graphql".to_owned(), status));
        (status, answer.text().await.expect("the answer"))
    }

    /// `GET path`, whose access line names `route`; the status.
    async fn get(&mut self, token: Option<&str>, path: &str, route: &str) -> u16 {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let status = request.send().await.expect("GET").status().as_u16();
        self.expected
            .push(("GET".to_owned(), route.to_owned(), status));
        status
    }
}

/// The value of `field` in `data`, a string the test needs.
fn text(data: &Value, pointer: &str) -> String {
    data.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {data:#}"))
        .to_owned()
}

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, \
                     password: $password) { accessToken refreshToken } }";

/// The identifying fields of the case the test opens, and other values that must stay out
/// of the log. Each is unlike anything the server writes by itself.
const SURVIVOR_NAME: &str = "Gulnora Zzlogova";
const CONTACT_PHONE: &str = "+992 93 417 28 56";
const ADDRESS: &str = "Rudaki avenue 917, flat 44";
const NOTES: &str = "Zz-notes: afraid of her husband's brother";
const COMMENT: &str = "Zz-comment: moved to her aunt in Kulob";
const WRONG_PASSWORD: &str = "Wrong-Zz-Password-2026-x";
const NEW_PASSWORD: &str = "Khujand-Zz-Istaravshan-2026";
const FORGED_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6emZvcmdlZCJ9.zzforgedsignature";
const BODY_MARKER: &str = "zz-body-that-is-not-json";
const SEARCH_MARKER: &str = "zzsearchzz";

/// The whole life of a partner's session and a referral case, with failures on the way,
/// served by the binary at `RUST_LOG=trace`: every request has its one access line, and no
/// secret appears anywhere in what the process printed.
#[tokio::test]
async fn the_log_at_every_level_holds_one_line_per_request_and_no_secret() {
    // The configuration is only for its fresh database (SQLite or PostgreSQL).
    let (config, _database) = fresh_config(&[]).await;
    let database = config.database.url.clone();
    assert!(migrate(&database, &[]).success);
    let admin_email = "first@portal.example.tj";
    assert!(create_admin(&database, admin_email).success);
    let mail = tempfile::tempdir().expect("a mail directory");
    let mut command = portal(&database);
    command
        .env("PORTAL_LOG_FORMAT", "json")
        .env("PORTAL_MAIL_DIR", mail.path())
        .env("RUST_LOG", "trace");
    let server = binary::serve(command, &binary::free_address());
    drop(server.connection().await);
    let mut client = Client {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.address),
        // The `/health` of `connection`.
        expected: vec![("GET".to_owned(), "/health".to_owned(), 200)],
    };

    // The admin signs in (once wrongly), sets up an organisation and its manager.
    let wrong = client
        .graphql(
            None,
            LOGIN,
            json!({ "email": admin_email, "password": WRONG_PASSWORD }),
        )
        .await;
    assert!(wrong["errors"].is_array(), "{wrong:#}");
    let admin = client
        .graphql(
            None,
            LOGIN,
            json!({ "email": admin_email, "password": PASSWORD }),
        )
        .await;
    let admin_token = text(&admin, "/data/login/accessToken");
    let admin_refresh = text(&admin, "/data/login/refreshToken");
    let organisation = client
        .graphql(
            Some(&admin_token),
            "mutation { createOrganisation(input: { name: { en: \"Zz Shelter\" }, kind: NGO }) \
             { id } }",
            json!({}),
        )
        .await;
    let organisation_id = text(&organisation, "/data/createOrganisation/id");
    let manager_email = "manager@shelter.example.tj";
    let created = client
        .graphql(
            Some(&admin_token),
            "mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }",
            json!({ "input": {
                "email": manager_email, "displayName": "Shelter manager",
                "role": "PARTNER_MANAGER", "organisationId": organisation_id,
            } }),
        )
        .await;
    assert!(created["errors"].is_null(), "{created:#}");
    let invitation = links::link_in_mail_dir(mail.path(), manager_email).await;
    let enrolment = client
        .graphql(
            Some(&admin_token),
            "mutation { enrolTotp { secret provisioningUri } }",
            json!({}),
        )
        .await;
    let totp_secret = text(&enrolment, "/data/enrolTotp/secret");
    let provisioning_uri = text(&enrolment, "/data/enrolTotp/provisioningUri");
    // The admin turns two-factor on, gets its recovery codes and signs in with one.
    let secret = totp_rs::Secret::try_from_base32(&totp_secret)
        .expect("a base32 secret")
        .as_bytes()
        .to_vec();
    let confirmed = client
        .graphql(
            Some(&admin_token),
            "mutation($code: String!) { confirmTotp(code: $code) { recoveryCodes } }",
            json!({ "code": api::auth::totp::code_at(&secret, chrono::Utc::now()) }),
        )
        .await;
    let recovery_codes: Vec<String> = confirmed["data"]["confirmTotp"]["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("recovery codes: {confirmed:#}"))
        .iter()
        .map(|code| code.as_str().unwrap_or_default().to_owned())
        .collect();
    let recovered = client
        .graphql(
            None,
            "mutation($email: String!, $password: String!, $code: String) { login(email: \
             $email, password: $password, recoveryCode: $code) { accessToken } }",
            json!({ "email": admin_email, "password": PASSWORD, "code": recovery_codes[0] }),
        )
        .await;
    let recovered_token = text(&recovered, "/data/login/accessToken");

    // The manager accepts the invitation with a password of their own, and signs in.
    let accepted = client
        .graphql(
            None,
            "mutation($token: String!, $password: String!) { acceptInvitation(token: $token, \
             password: $password) }",
            json!({ "token": invitation, "password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(accepted["data"]["acceptInvitation"], true, "{accepted:#}");
    let manager = client
        .graphql(
            None,
            LOGIN,
            json!({ "email": manager_email, "password": NEW_PASSWORD }),
        )
        .await;
    let manager_token = text(&manager, "/data/login/accessToken");
    let manager_refresh = text(&manager, "/data/login/refreshToken");

    // A case with identifying data: refused once (a bad district), then opened, read back,
    // withdrawn with a comment.
    let mut input = json!({
        "kind": "DOMESTIC_VIOLENCE", "risk": "HIGH", "survivorSex": "FEMALE",
        "survivorAgeGroup": "ADULT_25_59", "region": "KHATLON", "district": "",
        "servicesRequested": ["SHELTER"], "survivorName": SURVIVOR_NAME,
        "contactPhone": CONTACT_PHONE, "address": ADDRESS, "notes": NOTES,
        "consentGiven": true,
    });
    const CREATE: &str = "mutation($input: CreateCaseInput!) { createReferralCase(input: \
                          $input) { id } }";
    let refused = client
        .graphql(Some(&manager_token), CREATE, json!({ "input": input }))
        .await;
    assert!(refused["errors"].is_array(), "{refused:#}");
    input["district"] = json!("Bokhtar");
    let case = client
        .graphql(Some(&manager_token), CREATE, json!({ "input": input }))
        .await;
    let case_id = text(&case, "/data/createReferralCase/id");
    let read = client
        .graphql(
            Some(&manager_token),
            "query($id: ID!) { referralCase(id: $id) { identifying { survivorName \
             contactPhone address notes } } }",
            json!({ "id": case_id }),
        )
        .await;
    assert_eq!(
        read["data"]["referralCase"]["identifying"]["survivorName"], SURVIVOR_NAME,
        "{read:#}"
    );
    // The same values inline in the document, as a careless client would send them (refused:
    // no district).
    let inline = client
        .graphql(
            Some(&manager_token),
            &format!(
                "mutation {{ createReferralCase(input: {{ kind: DOMESTIC_VIOLENCE, risk: HIGH, \
                 survivorSex: FEMALE, survivorAgeGroup: ADULT_25_59, region: KHATLON, \
                 district: \"\", servicesRequested: [SHELTER], survivorName: \"{SURVIVOR_NAME}\", \
                 contactPhone: \"{CONTACT_PHONE}\", address: \"{ADDRESS}\", notes: \"{NOTES}\" }}) \
                 {{ id }} }}"
            ),
            json!({}),
        )
        .await;
    assert!(inline["errors"].is_array(), "{inline:#}");
    // Closing a draft is refused; the comment came with it.
    let closed = client
        .graphql(
            Some(&manager_token),
            "mutation($id: ID!, $comment: String) { closeReferralCase(id: $id, outcome: \
             OTHER, comment: $comment) { id } }",
            json!({ "id": case_id, "comment": COMMENT }),
        )
        .await;
    assert!(closed["errors"].is_array(), "{closed:#}");
    let erased = client
        .graphql(
            Some(&manager_token),
            "mutation($id: ID!) { withdrawCaseConsent(id: $id) { status } }",
            json!({ "id": case_id }),
        )
        .await;
    assert_eq!(erased["data"]["withdrawCaseConsent"]["status"], "CLOSED");

    // Failures: a forged token, a body that is not JSON, an export with a search, an unknown
    // path with a token in its query string, a refresh token used twice.
    let forged = client
        .graphql(Some(FORGED_TOKEN), "{ me { id } }", json!({}))
        .await;
    assert!(forged["errors"].is_array(), "{forged:#}");
    let (status, _) = client
        .post(None, format!("{{\"query\": \"{BODY_MARKER}"))
        .await;
    assert_eq!(status / 100, 4);
    client
        .get(
            Some(&admin_token),
            &format!("/exports/events.csv?search={SEARCH_MARKER}"),
            "/exports/events.csv",
        )
        .await;
    // A refused token is logged (a warning, inside the request's span): the line must not
    // carry the raw path and query string.
    client
        .get(
            Some(FORGED_TOKEN),
            &format!("/exports/events.csv?search={SEARCH_MARKER}"),
            "/exports/events.csv",
        )
        .await;
    assert_eq!(
        client
            .get(
                None,
                &format!("/accounts/{SEARCH_MARKER}?token={manager_token}"),
                "unmatched",
            )
            .await,
        404
    );
    const REFRESH: &str = "mutation($token: String!) { refreshSession(refreshToken: $token) \
                           { accessToken refreshToken } }";
    let refreshed = client
        .graphql(None, REFRESH, json!({ "token": manager_refresh }))
        .await;
    let refreshed_token = text(&refreshed, "/data/refreshSession/accessToken");
    let refreshed_refresh = text(&refreshed, "/data/refreshSession/refreshToken");
    let reused = client
        .graphql(None, REFRESH, json!({ "token": manager_refresh }))
        .await;
    assert!(reused["errors"].is_array(), "{reused:#}");
    let after_reuse = client
        .graphql(Some(&refreshed_token), "{ me { id } }", json!({}))
        .await;
    assert!(after_reuse["errors"].is_array(), "{after_reuse:#}");
    let logout = client
        .graphql(
            Some(&admin_token),
            "mutation { logout { sessionsEnded } }",
            json!({}),
        )
        .await;
    assert!(logout.is_object(), "{logout:#}");

    server.signal("TERM");
    let (exited, log, errors) = server.exit_with_errors().await;

    assert!(exited.is_some_and(|status| status.success()), "{errors}");
    let lines: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("a line that is not JSON: {line}"))
        })
        .collect();
    assert!(
        lines.iter().any(|line| line["level"] == "TRACE"),
        "the log is at trace level"
    );
    let seen: Vec<Seen> = lines
        .iter()
        .filter(|line| line["target"] == "portal::access")
        .map(|line| {
            (
                line["method"].as_str().unwrap_or_default().to_owned(),
                line["route"].as_str().unwrap_or_default().to_owned(),
                line["status"]
                    .as_u64()
                    .and_then(|status| u16::try_from(status).ok())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(seen, client.expected, "one access line per request");
    // A warning inside a request carries that request's id (and its route, not its raw
    // target): the two forged tokens were refused with a warning each.
    let request_ids: Vec<&str> = lines
        .iter()
        .filter(|line| line["target"] == "portal::access")
        .filter_map(|line| line["request_id"].as_str())
        .collect();
    let refusals: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "access token refused")
        .collect();
    assert_eq!(refusals.len(), 2, "{refusals:#?}");
    for refusal in refusals {
        let id = refusal["span"]["request_id"].as_str().unwrap_or_default();
        assert!(request_ids.contains(&id), "{refusal}");
        assert!(refusal["span"]["http.route"].is_string(), "{refusal}");
    }
    let everything = format!("{log}\n{errors}");
    let secrets = [
        PASSWORD,
        WRONG_PASSWORD,
        NEW_PASSWORD,
        &invitation,
        &admin_token,
        &admin_refresh,
        &manager_token,
        &manager_refresh,
        &refreshed_token,
        &refreshed_refresh,
        &totp_secret,
        &provisioning_uri,
        &recovered_token,
        FORGED_TOKEN,
        "zzforgedsignature",
        SURVIVOR_NAME,
        "Zzlogova",
        CONTACT_PHONE,
        "417 28 56",
        ADDRESS,
        "Rudaki avenue 917",
        NOTES,
        "husband's brother",
        COMMENT,
        "aunt in Kulob",
        BODY_MARKER,
        SEARCH_MARKER,
        "Bearer",
    ];
    let secrets = secrets
        .into_iter()
        .chain(recovery_codes.iter().map(String::as_str));
    for secret in secrets {
        if let Some(at) = everything.find(secret) {
            let line_start = everything[..at].rfind('\n').map_or(0, |start| start + 1);
            let line_end = everything[at..]
                .find('\n')
                .map_or(everything.len(), |end| at + end);
            panic!(
                "`{secret}` is in the log:\n{}",
                &everything[line_start..line_end]
            );
        }
    }
}
