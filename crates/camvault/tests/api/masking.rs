//! Promise F4 end to end: the real `camvault` binary, sending codes through a
//! real SMTP conversation and a real SMS webhook, never writes raw contacts,
//! passwords, one-time codes or tokens to its output, even at `RUST_LOG=debug`.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::distributions::Alphanumeric;
use rand::Rng;
use regex::Regex;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use testkit::sinks::{SmsSink, SmtpSink};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// Lines of text shared between a reader task and the test.
type Lines = Arc<Mutex<Vec<String>>>;

/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a one-time code may take to reach a sink.
const CODE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may take to exit after SIGTERM.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// A random lowercase alphanumeric string of `n` characters.
fn random_tag(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect()
}

/// `n` random decimal digits.
fn random_digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Waits (polling every 50 ms, up to 10 s) until `bodies` returns more than
/// `seen` messages, then returns the first six-digit word of the newest one.
async fn wait_for_code(what: &str, seen: usize, bodies: impl Fn() -> Vec<String>) -> String {
    let six_digits = Regex::new(r"\b\d{6}\b").unwrap();
    let deadline = Instant::now() + CODE_TIMEOUT;
    loop {
        let all = bodies();
        if all.len() > seen {
            let newest = all.last().unwrap();
            let code = six_digits
                .find(newest)
                .unwrap_or_else(|| panic!("no six-digit code in the {what} message: {newest:?}"));
            return code.as_str().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no new {what} message within {CODE_TIMEOUT:?} ({} so far)",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------

/// The `camvault serve` child; killed with SIGKILL if the test ends (or
/// panics) while it is still running.
struct ServerProcess {
    /// The child process.
    child: Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.start_kill();
        }
    }
}

/// Copies every line of `stream` into `lines` until EOF.
fn collect_lines(stream: impl AsyncRead + Unpin + Send + 'static, lines: Lines) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.lock().unwrap().push(line);
        }
    })
}

/// All collected output so far, stdout then stderr.
fn all_output(stdout: &Lines, stderr: &Lines) -> String {
    let mut text = stdout.lock().unwrap().join("\n");
    text.push('\n');
    text.push_str(&stderr.lock().unwrap().join("\n"));
    text
}

/// Waits for `camvault: listening on http://…` and returns the base URL.
async fn wait_until_listening(
    server: &mut ServerProcess,
    stdout: &Lines,
    stderr: &Lines,
) -> String {
    const READY: &str = "camvault: listening on ";
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let found = stdout
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix(READY).map(|u| u.trim().to_string()));
        if let Some(url) = found {
            return url;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            // Let the readers drain what the dying process wrote.
            tokio::time::sleep(Duration::from_millis(200)).await;
            panic!(
                "camvault exited ({status}) before listening:\n{}",
                all_output(stdout, stderr)
            );
        }
        assert!(
            Instant::now() < deadline,
            "camvault did not print its listening line within {STARTUP_TIMEOUT:?}:\n{}",
            all_output(stdout, stderr)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------
// HTTP client side
// ---------------------------------------------------------------------------

/// A new cookie-keeping client (one browser).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends a request with an optional CSRF token and JSON body.
async fn call(
    client: &reqwest::Client,
    method: Method,
    url: String,
    csrf: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut req = client.request(method, url);
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// Asserts the status, then returns the JSON body (`Null` when empty).
async fn expect(resp: Response, status: StatusCode, what: &str) -> Value {
    let got = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "{what}: body {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
    }
}

/// The values the output must never contain, each with its kind.
#[derive(Default)]
struct SecretList(Vec<(&'static str, String)>);

impl SecretList {
    /// Adds one secret.
    fn add(&mut self, kind: &'static str, value: impl Into<String>) {
        let value = value.into();
        assert!(!value.is_empty(), "empty {kind}");
        self.0.push((kind, value));
    }

    /// Adds the `camvault_session` value of every `Set-Cookie` in `resp`.
    fn add_session_cookies(&mut self, resp: &Response) {
        for header in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let header = header.to_str().unwrap();
            if let Some(rest) = header.strip_prefix("camvault_session=") {
                let value = rest.split(';').next().unwrap_or("");
                if !value.is_empty() {
                    self.add("session cookie", value);
                }
            }
        }
    }

    /// Adds the `csrf_token` of a sign-in answer and returns it.
    fn add_csrf(&mut self, body: &Value) -> String {
        let csrf = body["csrf_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no csrf_token in {body}"))
            .to_string();
        self.add("CSRF token", csrf.clone());
        csrf
    }
}

/// Whether `code` appears in `logs` as a number of its own. Runs inside
/// longer digit strings and fractional parts (`12:34:56.123456Z`
/// timestamps, `1.234567ms` durations) are chance matches, not leaks: a
/// plain `contains` of six random digits would make this test flaky.
fn contains_code(logs: &str, code: &str) -> bool {
    let is_digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    logs.match_indices(code).any(|(i, _)| {
        let before = logs[..i].chars().next_back();
        let after = logs[i + code.len()..].chars().next();
        !is_digit(before) && !is_digit(after) && before != Some('.')
    })
}

/// The lines of `logs` that contain `needle`, for failure messages.
fn lines_with<'a>(logs: &'a str, needle: &str) -> Vec<&'a str> {
    logs.lines().filter(|l| l.contains(needle)).collect()
}

/// Registers, verifies, signs in every way, changes contacts and password,
/// then checks that nothing secret reached stdout or stderr.
// promise: F4
// promise: A2
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_contacts_passwords_codes_or_tokens() {
    let mut secrets = SecretList::default();

    let tag = random_tag(8);
    let password = format!("Lantern-Meadow-{}-Quiet", random_tag(6));
    let new_password = format!("Harbor-Thistle-{}-Bright", random_tag(6));
    let wrong_password = "wrong-password-xyz";
    let email = format!("jane.{tag}@example.com");
    let new_email = format!("new.{tag}@example.org");
    let national = format!("13{}", random_digits(9));
    let phone = format!("+86{national}");
    let phone_typed = format!(
        "+86 {}-{}-{}",
        &national[..3],
        &national[3..7],
        &national[7..]
    );
    let gateway_secret = format!("gw-secret-{}", random_tag(16));
    secrets.add("password", password.clone());
    secrets.add("new password", new_password.clone());
    secrets.add("wrong password", wrong_password);
    secrets.add("email address", email.clone());
    secrets.add("new email address", new_email.clone());
    secrets.add("phone number (normalised)", phone.clone());
    secrets.add("phone number (as typed)", phone_typed.clone());
    secrets.add("phone number (national digits)", national.clone());
    secrets.add("SMS gateway secret", gateway_secret.clone());
    let mut codes: Vec<(&'static str, String)> = Vec::new();

    // Peers.
    let mail = SmtpSink::start().await;
    let sms = SmsSink::start().await;

    // The real binary.
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::test_database_url(dir.path()).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_camvault"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        // No stray ./camvault.toml may change the settings.
        .current_dir(dir.path())
        .env("CAMVAULT_DATABASE_URL", &database_url)
        .env("CAMVAULT_DELIVERY_EMAIL", "smtp")
        .env(
            "CAMVAULT_SMTP_URL",
            format!("smtp://127.0.0.1:{}", mail.port),
        )
        .env("CAMVAULT_SMTP_FROM", "camvault <noreply@camvault.test>")
        .env("CAMVAULT_DELIVERY_SMS", "webhook")
        .env(
            "CAMVAULT_SMS_WEBHOOK_URL",
            format!("http://127.0.0.1:{}/sms", sms.port),
        )
        .env(
            "CAMVAULT_SMS_WEBHOOK_HEADER",
            format!("Authorization: Bearer {gateway_secret}"),
        )
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout: Lines = Arc::default();
    let stderr: Lines = Arc::default();
    let stdout_reader = collect_lines(child.stdout.take().unwrap(), stdout.clone());
    let stderr_reader = collect_lines(child.stderr.take().unwrap(), stderr.clone());
    let mut server = ServerProcess { child };
    let base = wait_until_listening(&mut server, &stdout, &stderr).await;
    let url = |path: &str| format!("{base}{path}");

    // 1. Register with an email address and a phone number as typed.
    let alice = browser();
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/accounts"),
        None,
        Some(json!({
            "username": format!("maskuser{tag}"),
            "password": password,
            "email": email,
            "phone": phone_typed,
        })),
    )
    .await;
    secrets.add_session_cookies(&resp);
    let body = expect(resp, StatusCode::CREATED, "register").await;
    let csrf = secrets.add_csrf(&body);
    assert!(body["session_id"].is_i64(), "{body}");

    // 2. One code by SMTP, one by the webhook; verify both.
    let email_code = wait_for_code("verification email", 0, || mail.emails_to(&email)).await;
    codes.push(("email verification code", email_code.clone()));
    let phone_code = wait_for_code("verification SMS", 0, || {
        sms.to(&phone).into_iter().map(|s| s.body).collect()
    })
    .await;
    codes.push(("phone verification code", phone_code.clone()));
    let expected_auth = format!("Bearer {gateway_secret}");
    for s in sms.all().iter() {
        assert_eq!(
            s.authorization.as_deref(),
            Some(expected_auth.as_str()),
            "the SMS gateway header was not sent"
        );
    }
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/me/contacts/email/verify"),
        Some(&csrf),
        Some(json!({"code": email_code})),
    )
    .await;
    expect(resp, StatusCode::OK, "verify email").await;
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/me/contacts/phone/verify"),
        Some(&csrf),
        Some(json!({"code": phone_code})),
    )
    .await;
    expect(resp, StatusCode::OK, "verify phone").await;

    // 3. Sign out.
    let resp = call(
        &alice,
        Method::DELETE,
        url("/api/v1/sessions/current"),
        Some(&csrf),
        None,
    )
    .await;
    expect(resp, StatusCode::NO_CONTENT, "sign out").await;

    // 4. A wrong password once.
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/sessions"),
        None,
        Some(json!({"login": email, "password": wrong_password})),
    )
    .await;
    let body = expect(resp, StatusCode::UNAUTHORIZED, "wrong password").await;
    assert!(body["error"]["code"].is_string(), "{body}");

    // 5. The right password.
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/sessions"),
        None,
        Some(json!({"login": email, "password": password})),
    )
    .await;
    secrets.add_session_cookies(&resp);
    let body = expect(resp, StatusCode::CREATED, "password sign-in").await;
    let csrf = secrets.add_csrf(&body);

    // 6. Code sign-in by SMS in a second browser.
    let seen = sms.to(&phone).len();
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/login-codes"),
        None,
        Some(json!({"contact": phone})),
    )
    .await;
    expect(resp, StatusCode::ACCEPTED, "request sign-in code").await;
    let login_code = wait_for_code("sign-in SMS", seen, || {
        sms.to(&phone).into_iter().map(|s| s.body).collect()
    })
    .await;
    codes.push(("sign-in code", login_code.clone()));
    let bob = browser();
    let resp = call(
        &bob,
        Method::POST,
        url("/api/v1/sessions/by-code"),
        None,
        Some(json!({"contact": phone, "code": login_code})),
    )
    .await;
    secrets.add_session_cookies(&resp);
    let body = expect(resp, StatusCode::CREATED, "code sign-in").await;
    secrets.add_csrf(&body);

    // 7. Change the email address; the code goes to the new one.
    let resp = call(
        &alice,
        Method::PUT,
        url("/api/v1/me/contacts/email"),
        Some(&csrf),
        Some(json!({"value": new_email})),
    )
    .await;
    expect(resp, StatusCode::ACCEPTED, "change email").await;
    let change_code = wait_for_code("new-address email", 0, || mail.emails_to(&new_email)).await;
    codes.push(("email change code", change_code.clone()));
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/me/contacts/email/verify"),
        Some(&csrf),
        Some(json!({"code": change_code})),
    )
    .await;
    expect(resp, StatusCode::OK, "verify new email").await;
    let resp = call(&alice, Method::GET, url("/api/v1/me"), None, None).await;
    let me = expect(resp, StatusCode::OK, "me").await;
    let contacts = me["contacts"].as_array().unwrap();
    assert!(
        contacts
            .iter()
            .any(|c| c["kind"] == "email" && c["address"] == "n***@example.org"),
        "the new email is not shown masked: {me}"
    );
    assert!(!me.to_string().contains(&new_email), "raw email in {me}");

    // 8. A personal API token, used without cookies.
    let resp = call(
        &alice,
        Method::POST,
        url("/api/v1/me/tokens"),
        Some(&csrf),
        Some(json!({"name": "script"})),
    )
    .await;
    let body = expect(resp, StatusCode::CREATED, "create token").await;
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("cvt_"), "token {token}");
    secrets.add("API token", token.clone());
    let resp = reqwest::Client::new()
        .get(url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect(resp, StatusCode::OK, "me by API token").await;

    // 9. Change the password.
    let resp = call(
        &alice,
        Method::PUT,
        url("/api/v1/me/password"),
        Some(&csrf),
        Some(json!({"current_password": password, "new_password": new_password})),
    )
    .await;
    expect(resp, StatusCode::OK, "change password").await;

    // Stop the server gracefully and collect everything it wrote.
    drop(alice);
    drop(bob);
    let pid = server.child.id().unwrap();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success(), "kill -TERM {pid} failed");
    let status = tokio::time::timeout(SHUTDOWN_TIMEOUT, server.child.wait())
        .await
        .unwrap_or_else(|_| panic!("camvault did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM"))
        .unwrap();
    for reader in [stdout_reader, stderr_reader] {
        tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .expect("an output reader did not finish")
            .unwrap();
    }
    let logs = all_output(&stdout, &stderr);
    assert!(
        status.success(),
        "camvault exited with {status}; output:\n{logs}"
    );

    // The verdict.
    assert!(
        !stderr.lock().unwrap().is_empty(),
        "no log lines at all: nothing was checked"
    );
    let masked_email = format!("{}***@example.com", &email[..1]);
    assert!(
        logs.contains(&masked_email),
        "the logs never mention {masked_email}: masking not exercised"
    );
    let masked_phone = format!(
        "{}****{}",
        &phone[..phone.len() - 8],
        &phone[phone.len() - 4..]
    );
    assert!(
        logs.contains(&masked_phone),
        "the logs never mention {masked_phone}: masking not exercised"
    );
    for (kind, secret) in &secrets.0 {
        assert!(
            !logs.contains(secret.as_str()),
            "a {kind} leaked into the output ({secret}):\n{}",
            lines_with(&logs, secret).join("\n")
        );
    }
    for (kind, code) in &codes {
        assert!(
            !contains_code(&logs, code),
            "a {kind} leaked into the output ({code}):\n{}",
            lines_with(&logs, code).join("\n")
        );
    }
}
