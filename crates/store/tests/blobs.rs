//! The blob-store contract, run on every backend: the local filesystem
//! always, and an S3-compatible server when `CAMVAULT_TEST_S3_ENDPOINT`
//! names one (the test command starts `moto` for it; with `CI=true` its
//! absence is a failure, elsewhere the S3 half is skipped with a reason).

#![allow(clippy::unwrap_used)]

use domain::ports::BlobStore;
use store::{ObjectBlobStore, S3Settings};

/// Checks everything recordings, the album and exports rely on.
async fn keeps_the_contract(store: &dyn BlobStore) {
    store.check().await.unwrap();

    // Whole blobs.
    store.put("a/b/one", b"hello".to_vec()).await.unwrap();
    assert_eq!(store.get("a/b/one").await.unwrap().unwrap(), b"hello");
    store.put("a/b/one", b"again".to_vec()).await.unwrap();
    assert_eq!(store.get("a/b/one").await.unwrap().unwrap(), b"again");
    assert_eq!(store.get("a/b/none").await.unwrap(), None);

    // Ranges, clamped to the blob's end as playback's header read needs.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    store.put("media/1/seg", data.clone()).await.unwrap();
    let range = |a: u64, b: u64| store.get_range("media/1/seg", a, b);
    assert_eq!(range(10, 20).await.unwrap().unwrap(), &data[10..20]);
    assert_eq!(
        range(99_990, 101_024).await.unwrap().unwrap(),
        &data[99_990..]
    );
    assert_eq!(range(0, 1024).await.unwrap().unwrap(), &data[..1024]);
    assert!(range(5, 5).await.unwrap().unwrap().is_empty());
    assert_eq!(store.get_range("media/1/none", 0, 10).await.unwrap(), None);
    store.put("small", b"tiny".to_vec()).await.unwrap();
    assert_eq!(
        store.get_range("small", 0, 1024).await.unwrap().unwrap(),
        b"tiny"
    );

    // Listing by prefix, with sizes; a prefix matches whole path segments.
    store.put("media/1/other", vec![7; 3]).await.unwrap();
    store.put("media/10/x", vec![1]).await.unwrap();
    let mut listed = store.list("media/1/").await.unwrap();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("media/1/other".to_string(), 3),
            ("media/1/seg".to_string(), 100_000)
        ]
    );

    // Parts: nothing visible until finished; an aborted one leaves nothing.
    let mut w = store.put_parts("big/one").await.unwrap();
    let mut expected = Vec::new();
    for i in 0..5u8 {
        let part = vec![i; 3 * 1024 * 1024 + 7];
        expected.extend_from_slice(&part);
        w.write(part).await.unwrap();
    }
    assert_eq!(store.get("big/one").await.unwrap(), None);
    w.finish().await.unwrap();
    assert_eq!(store.get("big/one").await.unwrap().unwrap(), expected);
    assert_eq!(
        store
            .get_range("big/one", 6 * 1024 * 1024, 6 * 1024 * 1024 + 4)
            .await
            .unwrap()
            .unwrap(),
        &expected[6 * 1024 * 1024..6 * 1024 * 1024 + 4]
    );
    let mut w = store.put_parts("big/two").await.unwrap();
    w.write(vec![1; 10]).await.unwrap();
    w.abort().await.unwrap();
    assert_eq!(store.get("big/two").await.unwrap(), None);
    assert_eq!(store.list("big/").await.unwrap().len(), 1);

    // Deleting, twice: the second is no error.
    for key in [
        "a/b/one",
        "media/1/seg",
        "media/1/other",
        "media/10/x",
        "small",
        "big/one",
    ] {
        store.delete(key).await.unwrap();
        store.delete(key).await.unwrap();
        assert_eq!(store.get(key).await.unwrap(), None);
    }
    assert!(store.list("media/").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_local_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectBlobStore::local(&dir.path().join("blobs")).unwrap();
    keeps_the_contract(&store).await;
}

#[tokio::test]
async fn an_s3_bucket_keeps_the_same_contract() {
    let Some((endpoint, bucket)) = testkit::s3::fresh_bucket("contract").await else {
        return;
    };
    let settings = S3Settings {
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        path_style: true,
        allow_http: true,
    };
    let store = ObjectBlobStore::s3(&settings, &bucket).unwrap();
    keeps_the_contract(&store).await;
}
