//! Web Push: the test plays both the browser (its own P-256 key pair and
//! auth secret) and the push service (an HTTP server on loopback), and
//! decrypts what camvault posts with the subscription's keys (RFC 8291),
//! written here independently of the server's code. People who turned
//! push or all alerts off for a camera get nothing pushed (D1).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::ports::Role;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{assert_error, Person, TestApp};
use crate::recordings::Cam;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// One request the push service received.
#[derive(Debug, Clone)]
struct Posted {
    id: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

type Inbox = Arc<Mutex<Vec<Posted>>>;

/// A push service on loopback: records every POST to `/push/{id}` and
/// answers 201, or 410 for ids starting with `gone`.
struct PushService {
    origin: String,
    inbox: Inbox,
}

async fn receive(
    State(inbox): State<Inbox>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let gone = id.starts_with("gone");
    inbox.lock().unwrap().push(Posted {
        id,
        headers,
        body: body.to_vec(),
    });
    if gone {
        axum::http::StatusCode::GONE
    } else {
        axum::http::StatusCode::CREATED
    }
}

impl PushService {
    async fn start() -> PushService {
        let inbox: Inbox = Arc::default();
        let app = axum::Router::new()
            .route("/push/{id}", axum::routing::post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        PushService { origin, inbox }
    }

    fn posted(&self) -> Vec<Posted> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits up to 5 s for at least `n` requests.
    async fn wait_for(&self, n: usize) -> Vec<Posted> {
        for _ in 0..100 {
            if self.posted().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.posted()
    }

    /// A browser subscribed at this service under `/push/{id}`.
    fn browser(&self, id: &str) -> Browser {
        let secret = SecretKey::random(&mut rand::rngs::OsRng);
        let public = secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        Browser {
            endpoint: format!("{}/push/{id}", self.origin),
            secret,
            public,
            auth: rand::random(),
        }
    }
}

/// What a browser keeps of its subscription.
struct Browser {
    endpoint: String,
    secret: SecretKey,
    public: Vec<u8>,
    auth: [u8; 16],
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HKDF-SHA-256 (RFC 5869) for outputs of at most one block.
fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let prk = hmac_sha256(salt, &[ikm]);
    hmac_sha256(&prk, &[info, &[1]])[..len].to_vec()
}

impl Browser {
    /// The JSON of its `PushSubscription`, as `toJSON()` gives it.
    fn subscription(&self) -> Value {
        json!({"endpoint": self.endpoint, "expirationTime": null,
               "keys": {"p256dh": b64(&self.public), "auth": b64(&self.auth)}})
    }

    /// Decrypts an `aes128gcm` push message as the browser does (RFC 8291).
    fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        let salt = &body[..16];
        let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
        let id_len = body[20] as usize;
        assert_eq!(id_len, 65, "keyid is the server's uncompressed public key");
        let server_key = &body[21..21 + id_len];
        let ciphertext = &body[21 + id_len..];
        assert!(ciphertext.len() <= record_size, "one record");
        let server = PublicKey::from_sec1_bytes(server_key).unwrap();
        let shared =
            p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), server.as_affine());
        let key_info = [b"WebPush: info\0".as_slice(), &self.public, server_key].concat();
        let ikm = hkdf(&self.auth, shared.raw_secret_bytes(), &key_info, 32);
        let cek = hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", 16);
        let nonce = hkdf(salt, &ikm, b"Content-Encoding: nonce\0", 12);
        let mut plain = aes_gcm::Aes128Gcm::new_from_slice(&cek)
            .unwrap()
            .decrypt(nonce.as_slice().into(), ciphertext)
            .expect("the message decrypts with the subscription's keys");
        while plain.last() == Some(&0) {
            plain.pop();
        }
        assert_eq!(plain.pop(), Some(2), "the last record's delimiter");
        plain
    }
}

/// A bound camera of "owner" (events need no recording).
async fn camera(app: &TestApp) -> Cam {
    app.provision(1).await;
    let owner = app.person("owner", Role::User).await;
    let id = owner.bind(1).await;
    Cam {
        id,
        token: app.device_token(1).await,
        owner,
        init_id: 0,
    }
}

async fn report(app: &TestApp, cam: &Cam, kind: &str) -> Value {
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/device/events"))
        .bearer_auth(&cam.token)
        .json(&json!({"type": kind, "at_ms": app.now_ms()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn subscribe(p: &Person, browser: &Browser) -> Value {
    let resp = p
        .post("/api/v1/me/push-subscriptions", browser.subscription())
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn listed(p: &Person) -> Vec<Value> {
    let resp = p.get("/api/v1/me/push-subscriptions").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn set_preferences(cam: &Cam, change: Value) {
    let resp = cam
        .owner
        .call(
            reqwest::Method::PUT,
            &cam.path("/alert-preferences"),
            Some(change),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The owner's push deliveries, newest first, once there are `n` (5 s at most).
async fn push_deliveries(cam: &Cam, n: usize) -> Vec<Value> {
    let mut found = Vec::new();
    for _ in 0..100 {
        let all: Vec<Value> = cam
            .owner
            .get("/api/v1/me/alert-deliveries")
            .await
            .json()
            .await
            .unwrap();
        found = all.into_iter().filter(|d| d["channel"] == "push").collect();
        if found.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    found
}

async fn push_app() -> TestApp {
    TestApp::spawn_with(|c| c.push_allow_insecure_endpoints = true).await
}

/// The `t` and `k` of a `vapid` Authorization header.
fn vapid_parts(headers: &HeaderMap) -> (String, String) {
    let value = headers["authorization"].to_str().unwrap();
    let params = value.strip_prefix("vapid ").expect("the vapid scheme");
    let get = |name: &str| {
        let found = params.split(',').find_map(|p| p.trim().strip_prefix(name));
        found.expect(name).to_string()
    };
    (get("t="), get("k="))
}

// promise: D1
#[tokio::test]
async fn an_alert_is_pushed_encrypted_for_the_browser_and_signed_as_the_server() {
    let app = push_app().await;
    let service = PushService::start().await;
    let cam = camera(&app).await;

    let served: Value = reqwest::get(app.url("/api/v1/push/vapid-public-key"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let server_key = unb64(served["public_key"].as_str().unwrap());
    assert!(PublicKey::from_sec1_bytes(&server_key).is_ok() && server_key.len() == 65);
    // Derived from the master key: the same after a restart.
    let again = camvault::app::Core::build(&app.config, camvault::app::Deps::default())
        .await
        .unwrap();
    assert_eq!(again.events.push_public_key(), served["public_key"]);

    let browser = service.browser("phone");
    let view = subscribe(&cam.owner, &browser).await;
    // Scheme and host only: the path is the secret.
    assert_eq!(view["endpoint"], "http://127.0.0.1/…");
    let listed = listed(&cam.owner).await;
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].to_string().contains("phone"), "endpoint masked");

    let event = report(&app, &cam, "person").await;
    let posted = service.wait_for(1).await;
    assert_eq!(posted.len(), 1, "one push");
    let push = &posted[0];
    assert_eq!(push.id, "phone");
    assert_eq!(push.headers["content-encoding"], "aes128gcm");
    let ttl: u64 = push.headers["ttl"].to_str().unwrap().parse().unwrap();
    assert!(ttl > 0 && ttl <= 24 * 3600, "TTL {ttl}");

    // VAPID: a JWT signed with the served key, for this push service.
    let (token, k) = vapid_parts(&push.headers);
    assert_eq!(unb64(&k), server_key);
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let (header, claims) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&unb64(header)).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: Value = serde_json::from_slice(&unb64(claims)).unwrap();
    assert_eq!(claims["aud"], service.origin);
    assert_eq!(claims["sub"], "mailto:admin@localhost");
    let now = app.now_ms() / 1000;
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600, "exp {exp}");
    let signature = Signature::from_slice(&unb64(signature)).unwrap();
    VerifyingKey::from_sec1_bytes(&server_key)
        .unwrap()
        .verify(signed.as_bytes(), &signature)
        .expect("the VAPID token verifies with the served key");

    // The body opens with the browser's keys only.
    let payload: Value = serde_json::from_slice(&browser.decrypt(&push.body)).unwrap();
    assert_eq!(
        payload,
        json!({"event_id": event["id"], "camera_id": cam.id, "camera_name": "Cube 2 0001",
               "type": "person", "at_ms": event["at_ms"]})
    );
    assert!(!push.body.windows(6).any(|w| w == b"person"));
    let log = push_deliveries(&cam, 1).await;
    assert_eq!(log[0]["status"], "sent", "{log:?}");
}

// promise: D1
#[tokio::test]
async fn nothing_is_pushed_to_a_person_who_turned_push_or_all_alerts_off() {
    let app = push_app().await;
    let service = PushService::start().await;
    let cam = camera(&app).await;
    subscribe(&cam.owner, &service.browser("phone")).await;

    set_preferences(&cam, json!({"push": false})).await;
    report(&app, &cam, "motion").await;
    set_preferences(&cam, json!({"push": true, "all": false})).await;
    report(&app, &cam, "motion").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(service.posted().is_empty(), "{:?}", service.posted());
    assert!(push_deliveries(&cam, 0).await.is_empty());

    // Switched back on, the same camera pushes again.
    set_preferences(&cam, json!({"all": true})).await;
    report(&app, &cam, "motion").await;
    assert_eq!(service.wait_for(1).await.len(), 1);
}

#[tokio::test]
async fn quiet_hours_and_the_cooldown_hold_pushes_back() {
    let app = push_app().await;
    let service = PushService::start().await;
    let cam = camera(&app).await;
    subscribe(&cam.owner, &service.browser("phone")).await;
    let quiet = |on: bool| {
        let body = if on {
            json!({"quiet_start": "00:00", "quiet_end": "23:59", "time_zone": "UTC"})
        } else {
            json!({})
        };
        cam.owner.call(
            reqwest::Method::PUT,
            "/api/v1/me/alert-settings",
            Some(body),
        )
    };

    assert_eq!(quiet(true).await.status(), StatusCode::OK);
    report(&app, &cam, "motion").await;
    let log = push_deliveries(&cam, 1).await;
    assert_eq!(log[0]["status"], "skipped_quiet_hours", "{log:?}");

    assert_eq!(quiet(false).await.status(), StatusCode::OK);
    report(&app, &cam, "motion").await;
    assert_eq!(push_deliveries(&cam, 2).await[0]["status"], "sent");
    // Within the 30 s cooldown after that alert: held back.
    app.advance(Duration::from_secs(10));
    report(&app, &cam, "motion").await;
    assert_eq!(
        push_deliveries(&cam, 3).await[0]["status"],
        "skipped_cooldown"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(service.posted().len(), 1, "only the one outside both");
}

#[tokio::test]
async fn a_subscription_the_push_service_calls_gone_is_removed() {
    let app = push_app().await;
    let service = PushService::start().await;
    let cam = camera(&app).await;
    subscribe(&cam.owner, &service.browser("gone-1")).await;
    subscribe(&cam.owner, &service.browser("laptop")).await;

    report(&app, &cam, "doorbell").await;
    assert_eq!(service.wait_for(2).await.len(), 2);
    let log = push_deliveries(&cam, 2).await;
    let mut statuses: Vec<&str> = log.iter().map(|d| d["status"].as_str().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, ["expired", "sent"]);
    assert_eq!(listed(&cam.owner).await.len(), 1);

    // The next alert goes to the remaining browser only.
    app.advance(Duration::from_secs(60));
    report(&app, &cam, "doorbell").await;
    let posted = service.wait_for(3).await;
    assert_eq!(posted.len(), 3);
    assert_eq!(posted[2].id, "laptop");
}

#[tokio::test]
async fn bad_subscriptions_are_refused_and_only_their_owner_removes_them() {
    let app = push_app().await;
    let service = PushService::start().await;
    let me = app.person("myself", Role::User).await;
    let browser = service.browser("phone");
    let good = browser.subscription();
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let mut at = &mut body;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let compressed = browser.secret.public_key().to_encoded_point(true);
    let mut off_curve = vec![4u8];
    off_curve.extend_from_slice(&[0u8; 64]);
    let bad = [
        with(&["keys", "p256dh"], json!(b64(&off_curve))),
        with(&["keys", "p256dh"], json!(b64(compressed.as_bytes()))),
        with(&["keys", "p256dh"], json!("not base64!")),
        with(&["keys", "auth"], json!(b64(&[1u8; 15]))),
        with(&["keys", "auth"], json!(b64(&[1u8; 32]))),
        with(&["endpoint"], json!("http://push.example.com/push/1")),
        with(&["endpoint"], json!("javascript:alert(1)")),
    ];
    for body in bad {
        let resp = me.post("/api/v1/me/push-subscriptions", body.clone()).await;
        assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    // Without the test flag, even loopback http endpoints are refused.
    let strict = TestApp::spawn().await;
    let someone = strict.person("someone", Role::User).await;
    let resp = someone
        .post("/api/v1/me/push-subscriptions", good.clone())
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let https = with(
        &["endpoint"],
        json!("https://push.example.com/wpush/v2/abc"),
    );
    let resp = someone.post("/api/v1/me/push-subscriptions", https).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // The same endpoint replaces; at most 20 browsers.
    let first = subscribe(&me, &browser).await;
    let again = subscribe(&me, &browser).await;
    assert_eq!(first["id"], again["id"]);
    for i in 1..20 {
        subscribe(&me, &service.browser(&format!("b{i}"))).await;
    }
    let resp = me
        .post(
            "/api/v1/me/push-subscriptions",
            service.browser("b20").subscription(),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(subscribe(&me, &browser).await["id"], first["id"]);

    // Others cannot remove mine; I can.
    let other = app.person("other", Role::User).await;
    let path = format!("/api/v1/me/push-subscriptions/{}", first["id"]);
    assert_error(
        other.delete(&path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(me.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_error(me.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(listed(&me).await.len(), 19);
}

#[tokio::test]
async fn the_alerts_page_offers_push_and_the_service_worker_is_served() {
    let app = push_app().await;
    let me = app.person("myself", Role::User).await;
    let page = me.text("/alerts").await;
    crate::helpers::assert_no_inline_script("/alerts", &page);
    assert!(page.contains("Turn on push notifications in this browser"));
    assert!(page.contains("src=\"/assets/push.js\""));
    assert!(page.contains("name=\"csrf\""));

    let resp = reqwest::get(app.url("/sw.js")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["service-worker-allowed"], "/");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let sw = resp.text().await.unwrap();
    assert!(sw.contains("showNotification") && sw.contains("notificationclick"));
    let js = reqwest::get(app.url("/assets/push.js")).await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    let js = js.text().await.unwrap();
    assert!(js.contains("x-csrf-token") && js.contains("applicationServerKey"));
}
