//! Two server instances on one database (and one master key and key
//! vault, as a provider runs them): the purge job runs on exactly one of
//! them at a time, and the other takes it over when that one stops.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::TestApp;

const TOKEN: &str = "scrape-instances-42";

/// Purge rounds an instance ran so far.
async fn rounds(app: &TestApp) -> f64 {
    let resp = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("camvault_job_runs_total{job=\"recording_purge\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn of_two_instances_one_runs_the_purge_and_the_other_takes_over() {
    let first = TestApp::spawn_with(|c| {
        c.purge_interval_secs = 1;
        c.metrics_token = Some(TOKEN.into());
    })
    .await;
    let (db, key, vault) = (
        first.config.database_url(),
        first.config.data_dir.join("master.key"),
        first.config.key_vault_dir(),
    );
    let second = TestApp::spawn_with(move |c| {
        c.purge_interval_secs = 1;
        c.metrics_token = Some(TOKEN.into());
        c.database_url = Some(db);
        c.master_key_file = Some(key);
        c.key_vault_dir = Some(vault);
    })
    .await;

    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let (a, b) = (rounds(&first).await, rounds(&second).await);
    assert!(a + b >= 2.0, "rounds: {a} and {b}");
    assert!(a == 0.0 || b == 0.0, "both ran the purge: {a} and {b}");

    // The holder stops (giving the lease up); the other goes on with it.
    let (holder, other) = if a > 0.0 {
        (first, second)
    } else {
        (second, first)
    };
    drop(holder);
    let before = rounds(&other).await;
    for _ in 0..50 {
        if rounds(&other).await > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the remaining instance never took the purge over");
}
