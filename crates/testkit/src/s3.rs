//! The S3-compatible test server (`moto`, started by the test command and
//! named by `CAMVAULT_TEST_S3_ENDPOINT`): a fresh bucket per test.
//!
//! With `CAMVAULT_TEST_BLOBS=s3` every test server keeps its blobs in such
//! a bucket instead of its data directory ([`blobs_bucket`]), so the whole
//! suite runs on the S3 blob store too.

/// The variable naming the S3-compatible test server.
pub const S3_ENV: &str = "CAMVAULT_TEST_S3_ENDPOINT";

/// The variable choosing where test servers keep their blobs: `s3` for a
/// bucket on the [`S3_ENV`] server, unset (or `local`) for a directory.
pub const BLOBS_ENV: &str = "CAMVAULT_TEST_BLOBS";

fn endpoint() -> Option<String> {
    std::env::var(S3_ENV).ok().filter(|url| !url.is_empty())
}

/// Whether test servers keep their blobs in S3 (`CAMVAULT_TEST_BLOBS=s3`).
pub fn blobs_in_s3() -> bool {
    match std::env::var(BLOBS_ENV).as_deref() {
        Ok("s3") => true,
        Ok("" | "local") | Err(_) => false,
        Ok(other) => panic!("{BLOBS_ENV}={other:?}: use \"s3\" or \"local\""),
    }
}

/// The endpoint and a new empty bucket on it, or None when no server is
/// named (a printed skip; with `CI=true` a failure instead).
pub async fn fresh_bucket(tag: &str) -> Option<(String, String)> {
    let endpoint = match endpoint() {
        Some(url) => url,
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{S3_ENV} is required when CI=true")
        }
        None => {
            println!("SKIP: {S3_ENV} is not set (scripts/test.sh starts moto)");
            return None;
        }
    };
    let bucket = make_bucket(&endpoint, tag).await;
    Some((endpoint, bucket))
}

/// With `CAMVAULT_TEST_BLOBS=s3`, the endpoint and a new empty bucket for
/// one test server's blobs; None when blobs stay in a directory. Panics
/// when S3 is asked for but no server is named.
pub async fn blobs_bucket(tag: &str) -> Option<(String, String)> {
    if !blobs_in_s3() {
        return None;
    }
    let endpoint = endpoint().unwrap_or_else(|| {
        panic!(
            "{BLOBS_ENV}=s3 needs {S3_ENV}: the URL of an S3-compatible test server \
             (`scripts/s3-throwaway.sh start STATEFILE` prints one)"
        )
    });
    let bucket = make_bucket(&endpoint, tag).await;
    Some((endpoint, bucket))
}

/// Creates `<tag>-<random>` on `endpoint`; returns its name.
async fn make_bucket(endpoint: &str, tag: &str) -> String {
    let bucket = format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    // moto takes an unsigned bucket creation.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the S3 test server at {endpoint} does not answer: {e}"));
    assert!(
        made.status().is_success(),
        "creating {bucket}: {}",
        made.status()
    );
    bucket
}
