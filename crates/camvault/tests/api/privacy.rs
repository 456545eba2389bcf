//! The public privacy page and its JSON are generated from the data
//! inventory: everything stored that is personal appears, with its purpose,
//! legal basis, retention and recipients.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_no_inline_script, TestApp};

// promise: G5
// promise: F5
#[tokio::test]
async fn the_privacy_page_and_json_are_the_inventory_for_everyone() {
    let app = TestApp::spawn().await;
    // Nobody is signed in.
    let anon = reqwest::Client::new();
    let resp = anon.get(app.url("/privacy")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert_no_inline_script(&page, "/privacy");
    let json: Value = anon
        .get(app.url("/privacy.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let listed: Vec<&Value> = json["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap())
        .collect();
    for t in domain::privacy::inventory::tables() {
        let personal = t
            .columns
            .iter()
            .any(|c| c.class != domain::privacy::inventory::DataClass::NotPersonal);
        let found = listed.iter().find(|i| i["name"] == t.name);
        assert_eq!(
            found.is_some(),
            personal,
            "{} on the page iff personal",
            t.name
        );
        if let Some(i) = found {
            assert_eq!(i["retention"], t.retention);
            assert!(i["legal_basis"].is_string());
            let html_holds = t.holds.replace('\'', "&#39;");
            assert!(
                page.contains(&html_holds) || page.contains(t.holds),
                "{} on the page",
                t.name
            );
        }
    }
    for b in domain::privacy::inventory::blob_kinds() {
        assert!(listed.iter().any(|i| i["name"] == b.prefix), "{}", b.prefix);
    }
    // The contact table names the mail relay and SMS gateway that receive it.
    let contacts = listed.iter().find(|i| i["name"] == "contacts").unwrap();
    assert_eq!(
        contacts["classes"],
        serde_json::json!(["contact", "identity", "technical"])
    );
    let recipients = contacts["recipients"].as_array().unwrap();
    assert!(recipients.contains(&Value::from("email_relay")));
    assert!(recipients.contains(&Value::from("sms_gateway")));
    // F5: each processor, with what it receives.
    let relay = json["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recipient"] == "email_relay")
        .unwrap();
    assert!(relay["receives"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("email addresses")));
    assert!(page.contains("the email relay this server sends mail through"));
    // Pages link to it.
    let signin = anon
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(signin.contains("href=\"/privacy\""));
}

// promise: F6
#[tokio::test]
async fn a_person_sees_everything_held_about_them_per_table_of_the_inventory() {
    let app = TestApp::spawn().await;
    let cam = crate::recordings::recording_camera(&app).await;
    crate::recordings::upload_demo(&app, &cam, "a").await;
    let other = app.person("other", domain::ports::Role::User).await;
    let held: Vec<Value> = cam.owner.get("/api/v1/me/data").await.json().await.unwrap();
    let rows = |table: &str| {
        held.iter()
            .find(|h| h["table"] == table)
            .map(|h| h["rows"].as_u64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(rows("accounts"), 1);
    assert_eq!(rows("cameras"), 1);
    assert_eq!(
        rows("recording_segments"),
        crate::recordings::demo().1.len() as u64
    );
    assert_eq!(rows("recording_inits"), 1);
    assert!(rows("sessions") >= 1);
    assert!(held
        .iter()
        .all(|h| !h["holds"].as_str().unwrap().is_empty()));
    // Someone else's view holds only their own rows.
    let theirs: Vec<Value> = other.get("/api/v1/me/data").await.json().await.unwrap();
    assert!(theirs.iter().all(|h| h["table"] != "recording_segments"));
    let page = cam.owner.text("/privacy-center").await;
    assert!(page.contains("Everything we hold about you"));
}
