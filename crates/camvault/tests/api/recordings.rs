//! Recording: a camera pushes segments over the device API; the owner and
//! the people it is shared with play them back; nothing else does.

use domain::ports::Role;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};

/// The demo clip as an init and 2-second segments.
pub fn demo() -> (Vec<u8>, Vec<Vec<u8>>) {
    media::demo::demo_segments().unwrap()
}

/// A bound camera with a device token and its uploaded init.
pub struct Cam {
    /// Camera id.
    pub id: i64,
    /// Device token.
    pub token: String,
    /// The owner, signed in.
    pub owner: Person,
    /// The init id from the upload.
    pub init_id: i64,
}

impl Cam {
    /// `/api/v1/cameras/{id}` plus `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/cameras/{}{rest}", self.id)
    }
}

/// Uploads an init segment as the device holding `token`.
pub async fn put_init(app: &TestApp, token: &str, bytes: &[u8]) -> Response {
    reqwest::Client::new()
        .put(app.url("/api/v1/device/init"))
        .bearer_auth(token)
        .header("content-type", "video/mp4")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// Uploads a media segment as the device holding `token`.
pub async fn put_segment(
    app: &TestApp,
    token: &str,
    id: &str,
    init_id: i64,
    start_ms: i64,
    bytes: &[u8],
) -> Response {
    reqwest::Client::new()
        .put(app.url(&format!(
            "/api/v1/device/segments/{id}?init_id={init_id}&start_ms={start_ms}"
        )))
        .bearer_auth(token)
        .header("content-type", "video/iso.segment")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// Provisions and binds CAM-0001 to "owner", uploads the demo init.
pub async fn recording_camera(app: &TestApp) -> Cam {
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    let token = app.device_token(1).await;
    let resp = put_init(app, &token, &demo().0).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let init_id = resp.json::<Value>().await.unwrap()["init_id"]
        .as_i64()
        .unwrap();
    Cam {
        id,
        token,
        owner,
        init_id,
    }
}

/// Uploads the demo segments back to back from the server's now; returns
/// (first start, end) in ms.
pub async fn upload_demo(app: &TestApp, cam: &Cam, prefix: &str) -> (i64, i64) {
    let spans = upload_demo_spans(app, cam, prefix).await;
    (spans[0].0, spans[spans.len() - 1].1)
}

/// Like [`upload_demo`], returning each segment's (start, end).
pub async fn upload_demo_spans(app: &TestApp, cam: &Cam, prefix: &str) -> Vec<(i64, i64)> {
    let (_, segments) = demo();
    let mut t = app.now_ms();
    let mut spans = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let resp = put_segment(
            app,
            &cam.token,
            &format!("{prefix}-{i}"),
            cam.init_id,
            t,
            seg,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "segment {i}");
        let ack: Value = resp.json().await.unwrap();
        let end = ack["end_ms"].as_i64().unwrap();
        spans.push((t, end));
        t = end;
    }
    spans
}

/// Checks with ffprobe (when present, always in CI) that `mp4` is a file
/// it reads without an error, lasting as long as the demo clip.
pub fn assert_plays_as_the_demo(what: &str, mp4: &[u8]) {
    if !testkit::ffprobe::available(what) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probe.mp4");
    std::fs::write(&file, mp4).unwrap();
    let probe = testkit::ffprobe::probe(&file.display().to_string(), &[]);
    assert!(
        probe.success && probe.errors.is_empty(),
        "{what}: {}",
        probe.errors
    );
    let secs: f64 = probe.json["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((11.0..13.0).contains(&secs), "{what}: duration {secs}");
}

/// Shares the camera with a new verified person "grandma" as a viewer;
/// returns her, signed in, with the invitation accepted.
pub async fn share_with_grandma(app: &TestApp, cam: &Cam) -> Person {
    let grandma = app.verified_person("grandma", "grandma@example.com").await;
    let resp = cam
        .owner
        .post(
            &cam.path("/invitations"),
            json!({"contact": "grandma@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        grandma.accept_first_invitation().await.status(),
        StatusCode::OK
    );
    grandma
}

/// Keys of the stored media blobs.
async fn blob_files(app: &TestApp) -> Vec<String> {
    app.blob_keys("media").await
}

// promise: C2
#[tokio::test]
async fn the_owner_plays_back_an_hls_playlist_that_ffprobe_accepts() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "a").await;
    assert!((11_500..=12_500).contains(&(to - from)), "{}", to - from);

    let timeline: Value = cam
        .owner
        .get(&cam.path(&format!(
            "/recordings/timeline?from={}&to={}",
            from - 60_000,
            to + 60_000
        )))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(timeline["spans"], json!([{"start_ms": from, "end_ms": to}]));

    let query = format!("?from={from}&to={to}");
    let resp = cam
        .owner
        .get(&cam.path(&format!("/recordings.m3u8{query}")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let playlist = resp.text().await.unwrap();
    assert_eq!(playlist.matches("#EXTINF:").count(), 6, "{playlist}");
    assert!(playlist.contains("#EXT-X-PROGRAM-DATE-TIME:"));
    assert!(playlist.contains("#EXT-X-ENDLIST"));

    if testkit::ffprobe::available("hls playback") {
        let token = cam.owner.api_token("ffprobe").await;
        let url = app.url(&cam.path(&format!("/recordings.m3u8{query}")));
        let auth = format!("Authorization: Bearer {token}");
        let probe = tokio::task::spawn_blocking(move || testkit::ffprobe::probe(&url, &[&auth]))
            .await
            .unwrap();
        assert!(probe.success && probe.errors.is_empty(), "{}", probe.errors);
        let secs: f64 = probe.json["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((11.0..13.0).contains(&secs), "duration {secs}");
        let codecs: Vec<&str> = probe.json["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["codec_name"].as_str().unwrap())
            .collect();
        assert!(
            codecs.contains(&"h264") && codecs.contains(&"aac"),
            "{codecs:?}"
        );
    }

    // Each playback is in the owner's access log.
    let log: Vec<Value> = cam
        .owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e["action"] == "recording.playback" && e["role"] == "owner"));
}

// promise: C2
#[tokio::test]
async fn a_download_is_one_mp4_that_ffprobe_accepts() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "d").await;
    let resp = cam
        .owner
        .get(&cam.path(&format!("/recordings/download.mp4?from={from}&to={to}")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let bytes = resp.bytes().await.unwrap();
    let (init, segments) = demo();
    assert_eq!(
        bytes.len(),
        init.len() + segments.iter().map(Vec::len).sum::<usize>()
    );
    let parsed = media::fmp4::parse_init(&bytes[..init.len()]).unwrap();
    assert_eq!(parsed.tracks.len(), 2);

    assert_plays_as_the_demo("mp4 download", &bytes);
    let log: Vec<Value> = cam
        .owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log.iter().any(|e| e["action"] == "recording.download"));
}

#[tokio::test]
async fn segments_honour_byte_ranges() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "r").await;
    let playlist = cam
        .owner
        .text(&cam.path(&format!("/recordings.m3u8?from={from}&to={to}")))
        .await;
    let first = playlist.lines().find(|l| l.ends_with(".m4s")).unwrap();
    let url = cam.path(&format!("/{first}"));
    let whole = cam.owner.get(&url).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let whole = whole.bytes().await.unwrap();
    assert_eq!(&whole[..], &demo().1[0][..]);

    for (range, want) in [
        ("bytes=100-199", 100..200),
        ("bytes=70000-140000", 70_000..140_001),
        (
            &*format!("bytes={}-", whole.len() - 10),
            whole.len() - 10..whole.len(),
        ),
        ("bytes=-5", whole.len() - 5..whole.len()),
    ] {
        let resp = cam
            .owner
            .client
            .get(app.url(&url))
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let cr = resp.headers()["content-range"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            cr,
            format!("bytes {}-{}/{}", want.start, want.end - 1, whole.len())
        );
        assert_eq!(&resp.bytes().await.unwrap()[..], &whole[want], "{range}");
    }
    let resp = cam
        .owner
        .client
        .get(app.url(&url))
        .header("range", format!("bytes={}-", whole.len() + 5))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes */{}", whole.len()).as_str()
    );
    assert_error(
        resp,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
    )
    .await;
}

// promise: C1
#[tokio::test]
async fn stored_media_is_encrypted_at_rest() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    upload_demo(&app, &cam, "e").await;
    let (init, segments) = demo();
    let files = blob_files(&app).await;
    assert_eq!(files.len(), 1 + segments.len());
    for file in files {
        let stored = app.blob(&file).await;
        assert!(stored.starts_with(b"CVB1"), "{file}");
        // No 32-byte window of any plaintext appears in any stored file.
        for plain in std::iter::once(&init).chain(segments.iter()) {
            for window in plain.chunks(4096).map(|c| &c[..c.len().min(32)]) {
                if window.len() == 32 {
                    assert!(
                        !stored.windows(32).any(|w| w == window),
                        "plaintext found in {file}"
                    );
                }
            }
        }
        for marker in [&b"ftyp"[..], b"moof", b"mdat", b"avcC"] {
            assert!(!stored.windows(4).any(|w| w == marker));
        }
    }
}

// promise: C2
#[tokio::test]
async fn only_the_owner_and_shared_people_play_recordings() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (from, to) = upload_demo(&app, &cam, "s").await;
    let q = format!("?from={from}&to={to}");
    let stranger = app.person("stranger", Role::User).await;
    let seg = cam
        .owner
        .text(&cam.path(&format!("/recordings.m3u8{q}")))
        .await
        .lines()
        .find(|l| l.ends_with(".m4s"))
        .unwrap()
        .to_string();
    for path in [
        format!("/recordings.m3u8{q}"),
        format!("/recordings/timeline{q}"),
        format!("/recordings/download.mp4{q}"),
        format!("/{seg}"),
        format!("/recordings/inits/{}.mp4", cam.init_id),
    ] {
        assert_error(
            stranger.get(&cam.path(&path)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let anon = reqwest::get(app.url(&cam.path(&path))).await.unwrap();
        assert_error(anon, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        // The device's own token is not a person's credential.
        let dev = reqwest::Client::new()
            .get(app.url(&cam.path(&path)))
            .bearer_auth(&cam.token)
            .send()
            .await
            .unwrap();
        assert_eq!(dev.status(), StatusCode::UNAUTHORIZED, "{path}");
    }

    // A viewer the camera is shared with plays it; the owner sees that in
    // their access log; after revocation the viewer gets nothing.
    let grandma = share_with_grandma(&app, &cam).await;
    let resp = grandma
        .get(&cam.path(&format!("/recordings.m3u8{q}")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        grandma.get(&cam.path(&format!("/{seg}"))).await.status(),
        StatusCode::OK
    );
    let me: Value = grandma.get("/api/v1/me").await.json().await.unwrap();
    let log: Vec<Value> = cam
        .owner
        .get("/api/v1/me/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert!(log.iter().any(|e| e["actor_id"] == me["id"]
        && e["role"] == "viewer"
        && e["action"] == "recording.playback"));
    let resp = cam
        .owner
        .delete(&cam.path(&format!("/shares/{}", me["id"])))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        grandma.get(&cam.path(&format!("/{seg}"))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_retried_segment_is_stored_once() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (_, segments) = demo();
    let now = app.now_ms();
    let first = put_segment(&app, &cam.token, "same", cam.init_id, now, &segments[0]).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = put_segment(&app, &cam.token, "same", cam.init_id, now, &segments[0]).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(blob_files(&app).await.len(), 2, "one init and one segment");
    // The same init again is recognised too.
    let resp = put_init(&app, &cam.token, &demo().0).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["init_id"], cam.init_id);
    assert_eq!(blob_files(&app).await.len(), 2);
}
