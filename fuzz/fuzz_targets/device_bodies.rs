//! Fuzzes the request bodies of the device API as the server reads them:
//! the event report (multipart with `event` and `snapshot` parts, or JSON)
//! through `web::api::events::read_event_body`, and the JSON of the token
//! and heartbeat requests through the same `AppJson` extractor the routes
//! use; whatever parses is then checked by the domain rules that need no
//! storage. The first byte picks the body kind. A refusal is fine; a panic
//! is a bug.
#![no_main]

use std::time::Duration;

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{header, Request};
use domain::cameras::device::Heartbeat;
use domain::clock::Timestamp;
use domain::events::ingest::check_jpeg;
use libfuzzer_sys::fuzz_target;
use web::api::device::DeviceLogin;
use web::api::events::read_event_body;
use web::extract::AppJson;

const BOUNDARY: &str = "camvault-fuzz-boundary";
const NOW: Timestamp = Timestamp(1_790_000_000_000);

fn request(content_type: &str, body: &[u8]) -> Request<Body> {
    Request::post("/")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .expect("a valid request")
}

async fn event(content_type: &str, body: &[u8]) {
    if let Ok((input, snapshot)) = read_event_body(request(content_type, body)).await {
        let _ = input.check(NOW, Duration::from_secs(86_400));
        if let Some(jpeg) = snapshot {
            let _ = check_jpeg(&jpeg, 2 << 20);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((kind, body)) = data.split_first() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        match kind % 4 {
            0 => event(&format!("multipart/form-data; boundary={BOUNDARY}"), body).await,
            1 => event("application/json", body).await,
            2 => {
                let _ =
                    AppJson::<DeviceLogin>::from_request(request("application/json", body), &())
                        .await;
            }
            _ => {
                let parsed =
                    AppJson::<Heartbeat>::from_request(request("application/json", body), &())
                        .await;
                if let Ok(AppJson(beat)) = parsed {
                    let _ = beat.facts("CV-100", NOW);
                }
            }
        }
    });
});
