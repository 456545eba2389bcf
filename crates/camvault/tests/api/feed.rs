//! The events feed page: every camera's events, newest first, filtered by
//! camera and type, in pages linked from one to the next.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_no_inline_script, TestApp};

async fn report(app: &TestApp, token: &str, kind: &str, at_ms: i64) {
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(token)
        .json(&json!({"type": kind, "at_ms": at_ms}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

/// The `href` of the "Older events" link, if the page has one.
fn more_link(page: &str) -> Option<String> {
    let at = page.find("id=\"feed-more\"")?;
    let href = page[at..].split("href=\"").nth(1)?;
    Some(href[..href.find('"')?].replace("&amp;", "&"))
}

#[tokio::test]
async fn the_feed_pages_through_every_cameras_events_and_filters_them() {
    let app = TestApp::spawn().await;
    app.provision(2).await;
    let owner = app.person("feeder", Role::User).await;
    let hall = owner.bind(1).await;
    let yard = owner.bind(2).await;
    let (t1, t2) = (app.device_token(1).await, app.device_token(2).await);
    let now = app.now_ms();
    for i in 0..35 {
        report(&app, &t1, "motion", now - 60_000 - i * 1_000).await;
    }
    report(&app, &t2, "person", now - 30_000).await;

    let first = owner.text("/events").await;
    assert_no_inline_script(&first, "/events");
    assert_eq!(first.matches("<li class=\"event\"").count(), 30);
    // Newest first: the yard's person opens the list.
    let top = first.find("<li class=\"event\"").unwrap();
    assert!(first[top..].starts_with(&format!("<li class=\"event\" data-at=\"{}\"", now - 30_000)));
    assert!(first.contains(&format!("/cameras/{yard}?play={}", now - 30_000)));
    let next = more_link(&first).expect("a link to older events");
    let second = owner.text(&next).await;
    assert_eq!(second.matches("<li class=\"event\"").count(), 6);
    assert_eq!(more_link(&second), None);
    assert!(second.contains(&format!("data-at=\"{}\"", now - 60_000 - 34_000)));

    let only_yard = owner.text(&format!("/events?camera={yard}")).await;
    assert_eq!(only_yard.matches("<li class=\"event\"").count(), 1);
    let people = owner.text("/events?type=person").await;
    assert_eq!(people.matches("<li class=\"event\"").count(), 1);
    let hall_page = owner
        .text(&format!("/events?camera={hall}&type=motion"))
        .await;
    assert_eq!(hall_page.matches("<li class=\"event\"").count(), 30);
    let next = more_link(&hall_page).unwrap();
    assert!(
        next.contains(&format!("camera={hall}")) && next.contains("type=motion"),
        "{next}"
    );

    // Someone else sees none of them, whatever they ask for.
    let stranger = app.person("stranger", Role::User).await;
    let theirs = stranger.text(&format!("/events?camera={hall}")).await;
    assert_eq!(theirs.matches("<li class=\"event\"").count(), 0);
    // A garbled cursor is the first page, not an error.
    let garbled = owner.get("/events?before=yesterday").await;
    assert_eq!(garbled.status(), StatusCode::OK);
    // The script is served.
    let js = owner.get("/assets/feed.js").await;
    assert_eq!(js.status(), StatusCode::OK);
}
