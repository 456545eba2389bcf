//! Sign-in through an external OpenID Connect provider (A3): authorization
//! code with PKCE against a real provider on loopback; only the subject id
//! and a verified email are kept, and the person sees exactly that.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, browser, csrf_in, location, TestApp};
use crate::oidc_provider::{Fault, Provider, User, CLIENT_ID, CLIENT_SECRET};

async fn app_with(provider: &Provider, age_check: bool) -> TestApp {
    let issuer = provider.issuer.clone();
    TestApp::spawn_with(move |c| {
        c.oidc_issuer = Some(issuer);
        c.oidc_client_id = Some(CLIENT_ID.into());
        c.oidc_client_secret = Some(CLIENT_SECRET.into());
        c.oidc_label = "Example ID".into();
        c.age_check = age_check;
    })
    .await
}

fn user(subject: &str, email: Option<&str>, verified: bool) -> User {
    User {
        subject: subject.into(),
        email: email.map(String::from),
        email_verified: verified,
    }
}

/// Leaves for the provider from `start` and comes back: the provider's
/// redirect (the callback URL) and camvault's answer to it.
async fn round_trip(
    app: &TestApp,
    b: &reqwest::Client,
    start: &str,
) -> (String, reqwest::Response) {
    let resp = b.get(app.url(start)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "start");
    let to_provider = location(&resp).to_string();
    let resp = b.get(&to_provider).send().await.unwrap();
    assert!(
        resp.status().is_redirection(),
        "provider: {}",
        resp.status()
    );
    let callback = location(&resp).to_string();
    assert!(callback.starts_with(&app.base), "{callback}");
    let answer = b.get(&callback).send().await.unwrap();
    (callback, answer)
}

/// GET `path` in browser `b`; asserts 200 and returns the JSON.
async fn get_json(b: &reqwest::Client, app: &TestApp, path: &str) -> Value {
    let resp = b.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.json().await.unwrap()
}

async fn me(b: &reqwest::Client, app: &TestApp) -> Value {
    get_json(b, app, "/api/v1/me").await
}

// promise: A3
#[tokio::test]
async fn a_new_person_signs_in_through_the_provider_and_only_sub_and_verified_email_are_kept() {
    let provider = Provider::start().await;
    let app = app_with(&provider, false).await;

    // The sign-in page offers the provider.
    let page = app.get("/signin").await.text().await.unwrap();
    assert!(page.contains("Sign in with Example ID"), "{page}");

    provider.sign_in_as(user("u-123", Some("ann.lee@example.org"), true));
    let b = browser();
    let (_, answer) = round_trip(&app, &b, "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(
        !location(&answer).starts_with("/signin"),
        "{}",
        location(&answer)
    );
    let cookies: Vec<_> = answer.headers().get_all("set-cookie").iter().collect();
    assert!(cookies
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("camvault_session=")));

    // Authorization code with PKCE (S256), asking for no more than it keeps.
    let auth = provider.last_authorization();
    assert_eq!(auth["code_challenge_method"], "S256");
    assert_eq!(auth["code_challenge"].len(), 43);
    assert_eq!(auth["scope"], "openid email");
    assert_eq!(auth["redirect_uri"], app.url("/auth/oidc/callback"));
    assert!(provider.refusals().is_empty(), "{:?}", provider.refusals());

    let who = me(&b, &app).await;
    let username = who["username"].as_str().unwrap().to_string();
    assert!(username.starts_with("annlee-"), "{username}");

    // Kept: the subject and the verified email — and nothing of the name,
    // phone number, birth date or picture the provider also sent.
    let linked = get_json(&b, &app, "/api/v1/me/external-identities").await;
    assert_eq!(linked.as_array().unwrap().len(), 1, "{linked}");
    assert_eq!(linked[0]["issuer"], provider.issuer.as_str());
    assert_eq!(linked[0]["subject"], "u-123");
    assert_eq!(linked[0]["email"], "ann.lee@example.org");
    let kept = linked[0]["kept_claims"].to_string();
    assert!(kept.contains("sub") && kept.contains("email"), "{kept}");
    let identity = domain::ports::ExternalIdentityStore::external_identity(
        &app.core.store,
        &provider.issuer,
        "u-123",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(identity.email.as_deref(), Some("ann.lee@example.org"));
    let profile = app.accounts.profile(identity.account_id).await.unwrap();
    assert_eq!(profile.contacts.len(), 1);
    assert!(
        profile.contacts[0].is_deliverable(),
        "the provider verified it"
    );

    // The person sees it on their account page.
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("u-123") && page.contains("ann.lee@example.org"),
        "{page}"
    );
    for never in [
        "Provider Fullname",
        "+15550100999",
        "1990-04-01",
        "picture.png",
    ] {
        assert!(!page.contains(never), "{never} reached the account page");
    }

    // Signing in again reaches the same account, from another browser.
    let other = browser();
    let (_, answer) = round_trip(&app, &other, "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&other, &app).await["username"], username.as_str());
}

// promise: A3
#[tokio::test]
async fn forged_replayed_or_foreign_callbacks_sign_nobody_in() {
    let provider = Provider::start().await;
    let app = app_with(&provider, false).await;
    provider.sign_in_as(user("u-9", Some("nine@example.org"), true));

    // Each faulty ID token is refused and creates nothing.
    for fault in [
        Fault::WrongNonce,
        Fault::ForeignKey,
        Fault::WrongAudience,
        Fault::Expired,
        Fault::WrongIssuer,
    ] {
        provider.fault(fault);
        let b = browser();
        let (_, answer) = round_trip(&app, &b, "/auth/oidc/start").await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{fault:?}");
        let page = answer.text().await.unwrap();
        assert!(page.contains("does not verify"), "{fault:?}: {page}");
        let resp = b.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{fault:?}");
    }
    provider.fault(Fault::None);
    let none = domain::ports::ExternalIdentityStore::external_identity(
        &app.core.store,
        &provider.issuer,
        "u-9",
    )
    .await
    .unwrap();
    assert!(none.is_none(), "a refused sign-in linked something");

    // A good sign-in, then the same callback again: the state is spent.
    let b = browser();
    let (callback, answer) = round_trip(&app, &b, "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let again = browser().get(&callback).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    // A callback made for another browser (login CSRF) is refused there,
    // and the code is never redeemed.
    let victim = browser();
    let attacker = browser();
    let resp = attacker
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    let resp = attacker.get(location(&resp)).send().await.unwrap();
    let planted = location(&resp).to_string();
    let resp = victim.get(&planted).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = victim.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // The provider saying no, and a callback without its code.
    let resp = b
        .get(app.url("/auth/oidc/callback?error=access_denied&state=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = b.get(app.url("/auth/oidc/callback")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // A started sign-in expires after ten minutes.
    let late = browser();
    let resp = late.get(app.url("/auth/oidc/start")).send().await.unwrap();
    let resp = late.get(location(&resp)).send().await.unwrap();
    let callback = location(&resp).to_string();
    app.advance(std::time::Duration::from_secs(11 * 60));
    let resp = late.get(&callback).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Sign-ins started and abandoned are deleted by the retention rules.
    browser()
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    app.advance(std::time::Duration::from_secs(11 * 60));
    let abandoned = |items: Vec<domain::privacy::retention::RetentionItem>| {
        items
            .into_iter()
            .find(|i| i.class == "external_sign_ins")
            .unwrap()
            .count
    };
    assert_eq!(abandoned(app.core.retention.run(true).await.unwrap()), 1);
    app.core.retention.run(false).await.unwrap();
    assert_eq!(abandoned(app.core.retention.run(true).await.unwrap()), 0);

    // The provider never saw a wrong verifier or redirect URL.
    assert!(provider.refusals().is_empty(), "{:?}", provider.refusals());
}

// promise: A3
#[tokio::test]
async fn an_existing_account_links_the_provider_and_is_never_taken_over_by_email() {
    let provider = Provider::start().await;
    let app = app_with(&provider, false).await;
    let bob = app.verified_person("bob", "bob@example.org").await;

    // The provider vouches for bob's address, but that does not open
    // bob's account, nor make a second one with his address.
    provider.sign_in_as(user("p-bob", Some("bob@example.org"), true));
    let b = browser();
    let (_, answer) = round_trip(&app, &b, "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    let resp = b.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Bob, signed in, links it himself.
    let (_, answer) = round_trip(&app, &bob.client, "/auth/oidc/start?link=1").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/account#external-sign-in");
    let linked: Value = bob
        .get("/api/v1/me/external-identities")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(linked[0]["subject"], "p-bob");

    // From now on the provider signs in to bob's account.
    let fresh = browser();
    let (_, answer) = round_trip(&app, &fresh, "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&fresh, &app).await["username"], "bob");

    // Linking a provider account that belongs to someone else is refused.
    let carol = app.verified_person("carol", "carol@example.org").await;
    let (_, answer) = round_trip(&app, &carol.client, "/auth/oidc/start?link=1").await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);

    // Unlinking: then the provider no longer opens bob's account.
    let issuer: String = url::form_urlencoded::byte_serialize(provider.issuer.as_bytes()).collect();
    let resp = bob
        .delete(&format!("/api/v1/me/external-identities?issuer={issuer}"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = bob
        .delete(&format!("/api/v1/me/external-identities?issuer={issuer}"))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let (_, answer) = round_trip(&app, &browser(), "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);

    // An unverified email is not kept at all: it could not sign anyone in.
    provider.sign_in_as(user("p-eve", Some("eve@example.org"), false));
    let eve = browser();
    let (_, answer) = round_trip(&app, &eve, "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let linked = get_json(&eve, &app, "/api/v1/me/external-identities").await;
    assert_eq!(linked[0]["subject"], "p-eve");
    assert!(linked[0]["email"].is_null(), "{linked}");
    assert!(me(&eve, &app).await["username"]
        .as_str()
        .unwrap()
        .starts_with("member-"));
    // With no verified contact, unlinking would lock eve out: refused.
    let page = eve
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = eve
        .delete(app.url(&format!("/api/v1/me/external-identities?issuer={issuer}")))
        .header("x-csrf-token", csrf_in(&page))
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
}

// promise: A3
#[tokio::test]
async fn with_the_age_check_on_new_accounts_come_through_the_form_and_the_switch_is_off_by_default()
{
    let provider = Provider::start().await;
    let app = app_with(&provider, true).await;
    provider.sign_in_as(user("u-kid", Some("kid@example.org"), true));
    let (_, answer) = round_trip(&app, &browser(), "/auth/oidc/start").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.text().await.unwrap().contains("birth date"));

    // Without an issuer configured there is no button and no route.
    let plain = TestApp::spawn().await;
    let page = plain.get("/signin").await.text().await.unwrap();
    assert!(!page.contains("/auth/oidc/start"), "{page}");
    let resp = plain.get("/auth/oidc/start").await;
    assert_error(resp, StatusCode::NOT_FOUND, "external_sign_in_off").await;
}
