//! Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, …), through
//! object_store's S3 backend: multipart uploads for large blobs, ranged
//! reads for playback. One bucket per region keeps each region's data in
//! its own place (F11).

use std::sync::Arc;

use domain::Result;
use object_store::aws::AmazonS3Builder;
use object_store::RetryConfig;

use super::object::{storage, ObjectBlobStore};

/// How to reach the S3-compatible service; the bucket is given per store.
#[derive(Clone, Default)]
pub struct S3Settings {
    /// Endpoint URL (`https://s3.example.net`); AWS when absent.
    pub endpoint: Option<String>,
    /// Region name the service expects (`us-east-1` when absent).
    pub region: Option<String>,
    /// Access key id; the `AWS_ACCESS_KEY_ID` environment when absent.
    pub access_key_id: Option<String>,
    /// Secret access key; the `AWS_SECRET_ACCESS_KEY` environment when absent.
    pub secret_access_key: Option<String>,
    /// Bucket in the path (`endpoint/bucket/key`) rather than the host
    /// name: what most self-hosted services want.
    pub path_style: bool,
    /// Allows a plain-HTTP endpoint (a service on the same host or LAN).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.access_key_id.as_ref().map(|_| "[set]"),
            )
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .field("path_style", &self.path_style)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl ObjectBlobStore {
    /// A blob store in `bucket` of the service `settings` describe. Nothing
    /// is contacted yet; [`domain::ports::BlobStore::check`] does.
    pub fn s3(settings: &S3Settings, bucket: &str) -> Result<Self> {
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid {
            return Err(domain::Error::Storage(format!(
                "S3 bucket name {bucket:?}: 3-63 of a-z, 0-9, '-' and '.'"
            )));
        }
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(settings.region.as_deref().unwrap_or("us-east-1"))
            .with_virtual_hosted_style_request(!settings.path_style)
            .with_allow_http(settings.allow_http)
            // A few quick retries: a request that keeps failing should
            // reach the uploader (who retries) rather than hold it.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: std::time::Duration::from_secs(30),
                ..RetryConfig::default()
            });
        if let Some(e) = &settings.endpoint {
            b = b.with_endpoint(e);
        }
        if let Some(k) = &settings.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = &settings.secret_access_key {
            b = b.with_secret_access_key(k);
        }
        Ok(ObjectBlobStore::new(Arc::new(b.build().map_err(storage)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_show_their_secrets() {
        let s = S3Settings {
            access_key_id: Some("AKIAEXAMPLE".into()),
            secret_access_key: Some("wJalrXUtnFEMI/K7MDENG".into()),
            ..S3Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("AKIAEXAMPLE") && !shown.contains("wJalr"),
            "{shown}"
        );
        assert!(ObjectBlobStore::s3(&s, "media-test").is_ok());
        assert!(ObjectBlobStore::s3(&s, "").is_err());
        assert!(ObjectBlobStore::s3(&s, "Media_Test").is_err());
    }
}
