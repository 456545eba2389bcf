//! Administrators' statistics (F3): counts with every group smaller than k
//! suppressed, and nothing that identifies anyone.

use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

// promise: F3
#[tokio::test]
async fn statistics_show_counts_only_and_suppress_groups_under_k() {
    // k = 3 keeps the test small; the default is 10.
    let app = TestApp::spawn_with(|c| c.stats_min_group = 3).await;
    assert_eq!(camvault::config::Config::default().stats_min_group, 10);
    let admin = app.person("statsadmin", Role::Admin).await;
    let csv = "serial,model,verification_code,device_secret\n\
               CUBE-0001,Cube 2,CODE0001,secret-secret-0001\n\
               CUBE-0002,Cube 2,CODE0002,secret-secret-0002\n\
               CUBE-0003,Cube 2,CODE0003,secret-secret-0003\n\
               CUBE-0004,Cube 2,CODE0004,secret-secret-0004\n\
               DOME-0001,Dome 1,CODE0005,secret-secret-0005\n";
    assert_eq!(
        admin.post_csv("/api/v1/admin/devices", csv).await.status(),
        StatusCode::CREATED
    );

    // One account so far: too few to show.
    let r: Value = admin
        .get("/api/v1/admin/statistics")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["k"], 3);
    assert_eq!(r["accounts"], Value::Null);
    assert_eq!(r["stored_bytes"], Value::Null);
    assert_eq!(
        r["cameras_by_model"]["groups"],
        json!([{"label": "Cube 2", "count": 4}])
    );
    // The single Dome is hidden, and too alone to form an "other" line.
    assert_eq!(r["cameras_by_model"]["other"], Value::Null);
    assert_eq!(r["cameras_by_model"]["suppressed_groups"], 1);

    let ann = app.person("ann-statistics", Role::User).await;
    app.person("bob-statistics", Role::User).await;
    // Ann's camera reports three events today.
    let resp = ann
        .post(
            "/api/v1/cameras",
            json!({"serial": "CUBE-0001", "verification_code": "CODE0001"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let token: Value = reqwest::Client::new()
        .post(app.url("/api/v1/device/token"))
        .json(&json!({"serial": "CUBE-0001", "secret": "secret-secret-0001"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for i in 0..3 {
        let resp = reqwest::Client::new()
            .post(app.url("/api/v1/device/events"))
            .bearer_auth(token["token"].as_str().unwrap())
            .json(&json!({"type": "motion", "at_ms": app.now_ms() - i * 1000}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let r: Value = admin
        .get("/api/v1/admin/statistics")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["accounts"], 3);
    assert!(r["stored_bytes"].is_u64());
    assert_eq!(
        r["bound_cameras"],
        Value::Null,
        "one bound camera is one person"
    );
    let days = r["events_per_day"]["groups"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{r}");
    assert_eq!(days[0]["count"], 3);
    let text = r.to_string();
    for secret in ["CUBE-0001", "DOME-0001", "ann-statistics", "statsadmin"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // Administrators only.
    assert_eq!(
        ann.get("/api/v1/admin/statistics").await.status(),
        StatusCode::FORBIDDEN
    );
    let page = admin.text("/admin/statistics").await;
    assert!(
        page.contains("Cube 2") && !page.contains("Dome 1"),
        "{page}"
    );
    let resp = ann.get("/admin/statistics").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
