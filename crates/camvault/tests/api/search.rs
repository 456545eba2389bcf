//! Search over events and recordings, and the search history (C7).

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};
use crate::recordings::{demo, put_init, put_segment};

async fn event(app: &TestApp, token: &str, kind: &str, at_ms: i64, labels: &[&str]) {
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(token)
        .json(&json!({"type": kind, "at_ms": at_ms, "labels": labels}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

async fn search(p: &Person, query: &str) -> Value {
    let resp = p.get(&format!("/api/v1/search?{query}")).await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().await.unwrap()
}

fn kinds(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["camera_id"], e["type"].as_str().unwrap()))
        .collect()
}

// promise: C7
#[tokio::test]
async fn search_finds_events_and_recordings_by_camera_time_type_label_and_text() {
    let app = TestApp::spawn().await;
    app.provision(3).await;
    let owner = app.person("owner", Role::User).await;
    let front = owner.bind(1).await;
    let garden = owner.bind(2).await;
    owner
        .patch(
            &format!("/api/v1/cameras/{front}"),
            json!({"name": "Front door"}),
        )
        .await;
    owner
        .patch(
            &format!("/api/v1/cameras/{garden}"),
            json!({"name": "Garden"}),
        )
        .await;
    let stranger = app.person("stranger", Role::User).await;
    let theirs = stranger.bind(3).await;
    let (t1, t2, t3) = (
        app.device_token(1).await,
        app.device_token(2).await,
        app.device_token(3).await,
    );
    let now = app.now_ms();
    event(&app, &t1, "person", now - 5_000, &["parcel"]).await;
    event(&app, &t1, "doorbell", now - 4_000, &[]).await;
    event(&app, &t2, "motion", now - 3_000, &["cat"]).await;
    event(&app, &t2, "animal", now - 2_000, &["cat", "bird"]).await;
    event(&app, &t3, "person", now - 1_000, &["parcel"]).await;
    // The garden camera also records.
    let init = put_init(&app, &t2, &demo().0)
        .await
        .json::<Value>()
        .await
        .unwrap()["init_id"]
        .as_i64()
        .unwrap();
    put_segment(&app, &t2, "g0", init, now - 10_000, &demo().1[0]).await;

    let range = format!("from={}&to={}", now - 60_000, now + 60_000);
    let all = search(&owner, &range).await;
    assert_eq!(
        kinds(&all),
        [
            format!("{garden}:animal"),
            format!("{garden}:motion"),
            format!("{front}:doorbell"),
            format!("{front}:person")
        ],
        "newest first, never the stranger's camera"
    );
    assert_eq!(all["recordings"].as_array().unwrap().len(), 1);
    assert_eq!(all["recordings"][0]["camera_name"], "Garden");

    // Text matches camera names…
    let by_name = search(&owner, &format!("{range}&q=garden")).await;
    assert_eq!(
        kinds(&by_name),
        [format!("{garden}:animal"), format!("{garden}:motion")]
    );
    assert_eq!(by_name["recordings"][0]["camera_id"], garden);
    // …and labels, case-insensitively.
    assert_eq!(
        kinds(&search(&owner, &format!("{range}&q=PARCEL")).await),
        [format!("{front}:person")]
    );
    assert!(
        search(&owner, &format!("{range}&q=parcel")).await["recordings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Type, label, camera and time filters.
    assert_eq!(
        kinds(&search(&owner, &format!("{range}&types=person,doorbell")).await).len(),
        2
    );
    assert_eq!(
        kinds(&search(&owner, &format!("{range}&label=cat")).await).len(),
        2
    );
    assert_eq!(
        kinds(&search(&owner, &format!("{range}&label=ca")).await).len(),
        0,
        "whole labels only"
    );
    assert_eq!(
        kinds(&search(&owner, &format!("{range}&cameras={front}")).await).len(),
        2
    );
    let narrow = format!("from={}&to={}", now - 3_500, now - 1_500);
    assert_eq!(
        kinds(&search(&owner, &narrow).await),
        [format!("{garden}:animal"), format!("{garden}:motion")]
    );
    // Someone else's camera is as unknown as a missing one.
    assert_error(
        owner
            .get(&format!("/api/v1/search?{range}&cameras={theirs}"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        owner
            .get(&format!("/api/v1/search?{range}&types=Bad!"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_error(
        owner.get("/api/v1/search?from=5&to=1").await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_error(
        owner.get("/api/v1/search?q=x").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

// promise: C7
#[tokio::test]
async fn results_page_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    owner.bind(1).await;
    let token = app.device_token(1).await;
    let now = app.now_ms();
    // Two events at the same instant test the id tie-break of the cursor.
    for (i, at) in [
        now - 5_000,
        now - 4_000,
        now - 4_000,
        now - 2_000,
        now - 1_000,
    ]
    .iter()
    .enumerate()
    {
        event(&app, &token, "motion", *at, &[&format!("n{i}")]).await;
    }
    let range = format!("from={}&to={}", now - 60_000, now + 60_000);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..5 {
        let page = search(&owner, &format!("{range}&limit=2{cursor}")).await;
        for e in page["events"].as_array().unwrap() {
            seen.push(e["id"].as_i64().unwrap());
        }
        match page["next"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(sorted.len(), 5, "no repeats: {seen:?}");
    assert_error(
        owner
            .get(&format!("/api/v1/search?{range}&cursor=nonsense"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
}

// promise: C7
#[tokio::test]
async fn search_history_is_kept_only_to_offer_it_and_can_be_cleared_or_switched_off() {
    let app = TestApp::spawn().await;
    let p = app.person("searcher", Role::User).await;
    let now = app.now_ms();
    let range = format!("from={}&to={}", now - 60_000, now);
    search(&p, &format!("{range}&q=garden")).await;
    search(&p, &format!("{range}&q=Parcel")).await;
    search(&p, &format!("{range}&q=garden")).await;
    let h: Value = p.get("/api/v1/me/searches").await.json().await.unwrap();
    assert_eq!(h, json!({"enabled": true, "recent": ["garden", "parcel"]}));

    let resp = p.delete("/api/v1/me/searches").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let h: Value = p.get("/api/v1/me/searches").await.json().await.unwrap();
    assert_eq!(h["recent"], json!([]));

    search(&p, &format!("{range}&q=shed")).await;
    let resp = p
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/search-settings",
            Some(json!({"history": false})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    search(&p, &format!("{range}&q=garage")).await;
    let h: Value = p.get("/api/v1/me/searches").await.json().await.unwrap();
    assert_eq!(
        h,
        json!({"enabled": false, "recent": []}),
        "switching off forgets, and keeps nothing new"
    );
}

#[tokio::test]
async fn the_search_page_finds_events_and_manages_history() {
    let app = TestApp::spawn().await;
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    owner
        .patch(&format!("/api/v1/cameras/{id}"), json!({"name": "Garden"}))
        .await;
    let token = app.device_token(1).await;
    event(&app, &token, "animal", app.now_ms() - 1_000, &["fox"]).await;

    let page = owner.text("/search?q=fox&days=1").await;
    crate::helpers::assert_no_inline_script("/search", &page);
    assert!(page.contains("id=\"search-results\""), "{page}");
    assert!(
        page.contains(">Garden</a>") && page.contains("<strong>animal</strong>"),
        "{page}"
    );
    let page = owner.text("/search").await;
    assert!(
        page.contains("<option value=\"fox\">"),
        "recent searches are offered: {page}"
    );

    let resp = owner.submit_form(&page, "/search/history/off", &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = owner.text("/search").await;
    assert!(!page.contains("<option value=\"fox\">"));
    assert!(page.contains("Your searches are not kept."));
    let h: Value = owner.get("/api/v1/me/searches").await.json().await.unwrap();
    assert_eq!(h, json!({"enabled": false, "recent": []}));
}
