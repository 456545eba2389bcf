//! The S3-compatible test server (`moto`, started by the test command and
//! named by `CAMVAULT_TEST_S3_ENDPOINT`): a fresh bucket per test.

/// The endpoint and a new empty bucket on it, or None when no server is
/// named (a printed skip; with `CI=true` a failure instead).
pub async fn fresh_bucket(tag: &str) -> Option<(String, String)> {
    let endpoint = match std::env::var("CAMVAULT_TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CAMVAULT_TEST_S3_ENDPOINT is required when CI=true")
        }
        _ => {
            println!("SKIP: CAMVAULT_TEST_S3_ENDPOINT is not set (scripts/test.sh starts moto)");
            return None;
        }
    };
    let bucket = format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    // moto takes an unsigned bucket creation.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 test server answers");
    assert!(
        made.status().is_success(),
        "creating {bucket}: {}",
        made.status()
    );
    Some((endpoint, bucket))
}
