//! `TestApp`: the real server on a random loopback port with its own data
//! directory and database, a recording sender and a manual clock.
//!
//! Blobs live in the data directory, or with `CAMVAULT_TEST_BLOBS=s3` in a
//! fresh bucket on the S3-compatible test server; tests look at them
//! through the server's own blob store ([`TestApp::blob_keys`] and
//! friends), so they mean the same on either.

use std::sync::Arc;
use std::time::Duration;

use camvault::app::{App, Deps};
use camvault::config::Config;
use domain::clock::{ManualClock, Timestamp};
use domain::ports::{Message, Sender};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use store::S3Settings;
use testkit::MemorySender;

/// Sends every message to two senders: the outbox and a real one.
struct Tee(Arc<MemorySender>, Arc<dyn Sender>);

#[async_trait::async_trait]
impl Sender for Tee {
    async fn send(&self, message: &Message) -> domain::Result<()> {
        self.0.send(message).await?;
        self.1.send(message).await
    }
}

/// A strong password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running server and a cookie-keeping client.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Client with a cookie store (one browser).
    pub client: reqwest::Client,
    /// The server's clock.
    pub clock: Arc<ManualClock>,
    /// Every email and SMS the server sent.
    pub outbox: Arc<MemorySender>,
    /// The server's accounts service, for set-up steps the API does not offer.
    pub accounts: Arc<domain::accounts::Accounts>,
    /// The recording service (purge, reconciliation, keys).
    pub recordings: Arc<domain::recordings::Recordings>,
    /// The events service (purge).
    pub events: Arc<domain::events::Events>,
    /// Every service of the running server (jobs a test runs at once).
    pub core: camvault::app::Core,
    /// The configuration the server runs with.
    pub config: Config,
    /// CSRF token of the client's current session.
    pub csrf: std::sync::Mutex<Option<String>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A new cookie-keeping client (a second browser).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// Starts a server with default settings.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_inner(adjust, None).await
    }

    /// Starts a server whose email also goes to `mail` (a real SMTP
    /// sender), while the outbox keeps a copy for verification codes.
    pub async fn spawn_with_mail(mail: Arc<dyn Sender>) -> TestApp {
        Self::spawn_inner(|_| {}, Some(mail)).await
    }

    async fn spawn_inner(
        adjust: impl FnOnce(&mut Config),
        mail: Option<Arc<dyn Sender>>,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            database_url: Some(testkit::test_database_url(dir.path()).await),
            key_vault_dir: Some(dir.path().join("keys")),
            ..Config::default()
        };
        // Before `adjust`, so a test's own blob settings win.
        use_test_blobs(&mut config).await;
        adjust(&mut config);
        let clock = Arc::new(ManualClock::new(Timestamp(1_790_000_000_000)));
        let outbox = Arc::new(MemorySender::default());
        let app = App::build(
            &config,
            Deps {
                clock: clock.clone(),
                email: Some(match mail {
                    None => outbox.clone(),
                    Some(mail) => Arc::new(Tee(outbox.clone(), mail)),
                }),
                sms: Some(outbox.clone()),
                recordings_audit: None,
            },
        )
        .await
        .unwrap();
        let base = format!("http://{}", app.local_addr());
        let accounts = app.core().accounts.clone();
        let recordings = app.core().recordings.clone();
        let events = app.core().events.clone();
        let core = app.core().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            app.run(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            base,
            client: browser(),
            clock,
            outbox,
            accounts,
            recordings,
            events,
            core,
            config,
            csrf: std::sync::Mutex::new(None),
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    /// Full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's time, Unix ms.
    pub fn now_ms(&self) -> i64 {
        domain::clock::Clock::now(&*self.clock).ms()
    }

    /// Moves the server's clock.
    pub fn advance(&self, d: Duration) {
        self.clock.advance(d);
    }

    fn remember_csrf(&self, body: &Value) {
        if let Some(t) = body["csrf_token"].as_str() {
            *self.csrf.lock().unwrap() = Some(t.to_string());
        }
    }

    /// POST JSON with this client's cookies and CSRF token.
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// PUT JSON with cookies and CSRF token.
    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// DELETE with cookies and CSRF token.
    pub async fn delete(&self, path: &str) -> Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// GET with cookies.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = self.csrf.lock().unwrap().clone() {
            req = req.header("x-csrf-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// Registers `username` with an email address; returns the response body.
    pub async fn register(&self, username: &str, email: &str) -> Value {
        let resp = self
            .post(
                "/api/v1/accounts",
                json!({"username": username, "password": PASSWORD, "email": email}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "register {username}");
        let body: Value = resp.json().await.unwrap();
        self.remember_csrf(&body);
        body
    }

    /// Registers and verifies the email with the code from the outbox.
    pub async fn register_verified(&self, username: &str, email: &str) -> Value {
        self.register(username, email).await;
        let code = self.outbox.last_code(email).expect("a verification code");
        let resp = self
            .post("/api/v1/me/contacts/email/verify", json!({"code": code}))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "verify {email}");
        resp.json().await.unwrap()
    }

    /// Signs in by password; returns status and body, remembering the CSRF token.
    pub async fn sign_in(&self, login: &str, password: &str) -> (StatusCode, Value) {
        let resp = self
            .post(
                "/api/v1/sessions",
                json!({"login": login, "password": password}),
            )
            .await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        self.remember_csrf(&body);
        (status, body)
    }

    /// Forgets this client's CSRF token (e.g. after signing out).
    pub fn forget_csrf(&self) {
        *self.csrf.lock().unwrap() = None;
    }

    /// Key and size of every blob under `prefix` (whole key segments:
    /// `"album"` is not `"album-uploads"`; `""` is every blob), sorted by
    /// key, as the server's own blob store lists them: its directory or
    /// its bucket alike. Another region's blobs are named
    /// `regions/<name>/<key>`.
    pub async fn blob_sizes(&self, prefix: &str) -> Vec<(String, u64)> {
        let mut listed = self.core.blobs.list(prefix).await.unwrap();
        listed.sort();
        listed
    }

    /// The keys of every blob under `prefix` (see [`TestApp::blob_sizes`]).
    pub async fn blob_keys(&self, prefix: &str) -> Vec<String> {
        let sizes = self.blob_sizes(prefix).await;
        sizes.into_iter().map(|(key, _)| key).collect()
    }

    /// The stored (sealed) bytes of blob `key`, or None when there is none.
    pub async fn find_blob(&self, key: &str) -> Option<Vec<u8>> {
        self.core.blobs.get(key).await.unwrap()
    }

    /// The stored (sealed) bytes of blob `key`, which must exist.
    pub async fn blob(&self, key: &str) -> Vec<u8> {
        self.find_blob(key)
            .await
            .unwrap_or_else(|| panic!("no blob {key}"))
    }

    /// The stored bytes of every blob under `prefix`, in key order.
    pub async fn blobs_under(&self, prefix: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for key in self.blob_keys(prefix).await {
            out.push(self.blob(&key).await);
        }
        out
    }
}

/// Settings that reach the S3-compatible test server (it takes any
/// credentials).
pub fn s3_settings(endpoint: &str) -> S3Settings {
    S3Settings {
        endpoint: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        path_style: true,
        allow_http: true,
    }
}

/// Points `config`'s home blobs at `bucket` on the S3-compatible test
/// server at `endpoint`.
pub fn use_bucket(config: &mut Config, endpoint: &str, bucket: &str) {
    let s = s3_settings(endpoint);
    config.blob_bucket = Some(bucket.to_string());
    config.s3_endpoint = s.endpoint;
    config.s3_region = s.region;
    config.s3_access_key_id = s.access_key_id;
    config.s3_secret_access_key = s.secret_access_key;
    config.s3_path_style = s.path_style;
    config.s3_allow_http = s.allow_http;
}

/// With `CAMVAULT_TEST_BLOBS=s3`, gives `config` a fresh bucket for its
/// blobs; otherwise leaves them in the blob directory.
pub async fn use_test_blobs(config: &mut Config) {
    if let Some((endpoint, bucket)) = testkit::s3::blobs_bucket("blobs").await {
        use_bucket(config, &endpoint, &bucket);
    }
}

/// With `CAMVAULT_TEST_BLOBS=s3`, a fresh bucket on the S3-compatible test
/// server for another region's blobs, as a `Config::regions` value
/// (`s3://…`); None when a test's regions keep their blobs in directories.
pub async fn region_bucket() -> Option<std::path::PathBuf> {
    let (_, bucket) = testkit::s3::blobs_bucket("region").await?;
    Some(format!("s3://{bucket}").into())
}

/// The blob store `config` names (home region only), for a test that runs
/// the server in another process.
pub fn blob_store_of(config: &Config) -> store::ObjectBlobStore {
    match &config.blob_bucket {
        Some(bucket) => store::ObjectBlobStore::s3(&config.s3_settings(), bucket).unwrap(),
        None => store::ObjectBlobStore::local(&config.blob_dir()).unwrap(),
    }
}

/// Asserts status and error code of an error response.
pub async fn assert_error(resp: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(resp.status(), status, "status for expected {code}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"].is_string());
    body
}

/// A signed-in client of some account, with its CSRF token attached to
/// every state-changing call.
pub struct Person {
    /// Cookie-keeping client.
    pub client: reqwest::Client,
    /// CSRF token of its session.
    pub csrf: String,
    /// Server base URL.
    pub base: String,
}

impl Person {
    /// Sends `method path` with an optional JSON body.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Response {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// PATCH JSON.
    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Response {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// Grants or withdraws an optional consent purpose.
    pub async fn consent(&self, purpose: &str, granted: bool) {
        let body = json!({"purpose": purpose, "granted": granted});
        let resp = self
            .call(reqwest::Method::PUT, "/api/v1/me/consents", Some(body))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "consent {purpose} {granted}");
    }

    /// The body of a GET as text.
    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// The body of a GET as bytes.
    pub async fn bytes(&self, path: &str) -> Vec<u8> {
        self.get(path).await.bytes().await.unwrap().to_vec()
    }

    /// A new personal API token (for clients that cannot hold the cookie).
    pub async fn api_token(&self, name: &str) -> String {
        let resp = self.post("/api/v1/me/tokens", json!({"name": name})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Binds provisioned device `i` (serial `CAM-000i`, label code
    /// `CODE000i`); asserts it was created and returns the camera.
    pub async fn bind_camera(&self, i: usize) -> Value {
        let resp = self
            .post(
                "/api/v1/cameras",
                json!({"serial": format!("CAM-{i:04}"), "verification_code": format!("CODE{i:04}")}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "bind CAM-{i:04}");
        resp.json().await.unwrap()
    }

    /// Binds provisioned device `i` like [`Person::bind_camera`]; returns its id.
    pub async fn bind(&self, i: usize) -> i64 {
        self.bind_camera(i).await["id"].as_i64().unwrap()
    }

    /// Accepts the first invitation waiting for this person; returns the answer.
    pub async fn accept_first_invitation(&self) -> Response {
        let incoming: Vec<Value> = self.get("/api/v1/invitations").await.json().await.unwrap();
        self.post(
            &format!("/api/v1/invitations/{}/accept", incoming[0]["id"]),
            json!({}),
        )
        .await
    }

    /// POSTs an HTML form as-is (the fields carry any CSRF token).
    pub async fn post_form(&self, action: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{action}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// POSTs an HTML form to `action` with the CSRF token read from `page`.
    pub async fn submit_form(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = csrf_in(page);
        let mut body = vec![("csrf", csrf.as_str())];
        body.extend_from_slice(fields);
        self.post_form(action, &body).await
    }

    /// POST a CSV body.
    pub async fn post_csv(&self, path: &str, csv: &str) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Creates an account with `role` directly and signs it in on a new client.
    pub async fn person(&self, username: &str, role: domain::ports::Role) -> Person {
        self.accounts
            .create_user(
                username,
                &domain::accounts::password::Password::new(PASSWORD),
                None,
                role,
            )
            .await
            .unwrap();
        let client = browser();
        let resp = client
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"login": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "sign in {username}");
        let body: Value = resp.json().await.unwrap();
        let p = Person {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
            base: self.base.clone(),
        };
        // Staff cannot act without a second factor (A5).
        if role != domain::ports::Role::User {
            self.enroll_second_factor(&p).await;
        }
        p
    }

    /// Turns on two-step sign-in for `p` with an authenticator code made
    /// at the server's (manual) time; returns the secret and recovery codes.
    pub async fn enroll_second_factor(&self, p: &Person) -> (Vec<u8>, Vec<String>) {
        let resp = p.post("/api/v1/me/second-factor/totp", json!({})).await;
        assert_eq!(resp.status(), StatusCode::OK, "begin second factor");
        let setup: Value = resp.json().await.unwrap();
        let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string())
            .to_bytes()
            .unwrap();
        let code = self.totp_code(&secret);
        let resp = p
            .post(
                "/api/v1/me/second-factor/totp/confirm",
                json!({ "code": code }),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "confirm second factor");
        let body: Value = resp.json().await.unwrap();
        let codes = body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        (secret, codes)
    }

    /// The authenticator code for `secret` at the server's time.
    pub fn totp_code(&self, secret: &[u8]) -> String {
        let t = totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            secret.to_vec(),
            None,
            String::new(),
        );
        t.generate((self.now_ms() / 1000) as u64)
    }

    /// Creates a user and verifies `email` as their address with the code
    /// from the outbox; the person stays signed in.
    pub async fn verified_person(&self, username: &str, email: &str) -> Person {
        self.verified_person_as(username, email, domain::ports::Role::User)
            .await
    }

    /// Like [`TestApp::verified_person`], with a role.
    pub async fn verified_person_as(
        &self,
        username: &str,
        email: &str,
        role: domain::ports::Role,
    ) -> Person {
        let p = self.person(username, role).await;
        let resp = p
            .call(
                reqwest::Method::PUT,
                "/api/v1/me/contacts/email",
                Some(json!({"value": email})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED, "add {email}");
        let code = self.outbox.last_code(email).unwrap();
        let resp = p
            .post("/api/v1/me/contacts/email/verify", json!({"code": code}))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "verify {email}");
        p
    }

    /// Sends a heartbeat with `body` as the device holding `token`.
    pub async fn heartbeat(&self, token: &str, body: Value) -> Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/device/heartbeat"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Provisions devices `CAM-0001`… with code `CODE0001`… and secret
    /// `secret-secret-0001`…, through the admin API.
    pub async fn provision(&self, n: usize) {
        let admin = self.person("provisioner", domain::ports::Role::Admin).await;
        let mut csv = String::from("serial,model,verification_code,device_secret\n");
        for i in 1..=n {
            csv.push_str(&format!(
                "CAM-{i:04},Cube 2,CODE{i:04},secret-secret-{i:04}\n"
            ));
        }
        let resp = admin.post_csv("/api/v1/admin/devices", &csv).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }

    /// A device token for provisioned device number `i`.
    pub async fn device_token(&self, i: usize) -> String {
        let resp = reqwest::Client::new()
            .post(self.url("/api/v1/device/token"))
            .json(&json!({"serial": format!("CAM-{i:04}"), "secret": format!("secret-secret-{i:04}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The CSRF token embedded in a page's forms.
pub fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a form with a csrf field")
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// The `location` header of a redirect.
pub fn location(resp: &Response) -> &str {
    resp.headers()["location"].to_str().unwrap()
}

/// A tiny but real JPEG header followed by bytes a test can recognise: the
/// evidence of an ownership claim.
pub fn jpeg() -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    v.extend_from_slice(b"RECEIPT-FOR-CAM-0001-PAID-IN-FULL");
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// Fails unless every `<script>` in `page` loads a file from `/assets/`
/// and has no body: the CSP forbids inline script, and pages must work
/// forms-first with script only for video.
pub fn assert_no_inline_script(what: &str, page: &str) {
    let re = regex::Regex::new(r"(?s)<script([^>]*)>(.*?)</script>").unwrap();
    for m in re.captures_iter(page) {
        assert!(
            m[1].contains("src=\"/assets/") && m[2].trim().is_empty(),
            "{what} has an inline script: {}",
            &m[0][..m[0].len().min(120)]
        );
    }
    assert_eq!(
        page.matches("<script").count(),
        re.captures_iter(page).count(),
        "{what} has an unclosed script tag"
    );
}

/// Every file below `dir` (none if it does not exist).
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
