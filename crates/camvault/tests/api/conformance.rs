//! API conformance: schemathesis (PyPI) generates requests from the served
//! `/api/openapi.json` and sends them to the real server, signed in as a
//! user (with a bound camera) and as a device. It fails on any server
//! error and on any response whose status, content type or body the
//! document does not describe.
//!
//! The `st` command is `$SCHEMATHESIS`, else `st` on the PATH. Outside CI a
//! missing one skips with a printed reason; with `CI=true` it fails.

use std::process::Command;

use domain::ports::Role;

use crate::helpers::TestApp;

/// One worker: with threads, the Python 3.11 parser that Hypothesis uses to
/// describe its strategies can fail ("AST constructor recursion depth
/// mismatch"), a fault of the tool, not of the server.
///
/// Requests schemathesis makes per operation and mode.
const EXAMPLES: &str = "25";

fn schemathesis() -> Option<String> {
    let st = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "st".into());
    match Command::new(&st).arg("--version").output() {
        Ok(out) if out.status.success() => Some(st),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "schemathesis ({st}) must be present in CI: pip install schemathesis"
            );
            println!("SKIP conformance: {st} not found (pip install schemathesis)");
            None
        }
    }
}

/// Runs schemathesis over the operations `filter` selects, authorised by
/// `bearer`; panics with its report when a check fails.
fn run(st: &str, app: &TestApp, who: &str, bearer: &str, filter: &[&str]) {
    let report = tempfile::tempdir().unwrap();
    let out = Command::new(st)
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .args(["--url", &app.base])
        .args(["-H", &format!("Authorization: Bearer {bearer}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", EXAMPLES, "--seed", "7", "--workers", "1"])
        .args(["--no-color", "--generation-database", "none", "--report", "junit"])
        .arg("--report-dir")
        .arg(report.path())
        .args(filter)
        .env(
            "SCHEMATHESIS_HOOKS",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/data/schemathesis_hooks.py"),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| l.len() < 160)
        .filter(|l| l.contains("passed") || l.contains("failed") || l.contains("generated"))
        .collect();
    println!("schemathesis as {who}: {}", summary.join(" | "));
    assert!(
        out.status.success(),
        "schemathesis as {who} found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_as_documented_and_never_with_a_server_error() {
    let Some(st) = schemathesis() else {
        return;
    };
    // The rate limits would answer most generated requests with 429.
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_per_minute = 0;
        c.auth_rate_limit_per_minute = 0;
    })
    .await;
    app.provision(2).await;
    let user = app.person("stuser", Role::User).await;
    user.bind_camera(1).await;
    let user_token = user.api_token("schemathesis").await;
    let device_token = app.device_token(2).await;
    let support = app.person("stsupport", Role::Support).await;
    let support_token = support.api_token("schemathesis").await;
    let admin = app.person("stadmin", Role::Admin).await;
    let admin_token = admin.api_token("schemathesis").await;
    let staff = "^/api/v1/(admin|support)/";
    // schemathesis blocks; on its own thread the server keeps serving.
    tokio::task::block_in_place(|| {
        let user_ops = ["--exclude-tag", "device", "--exclude-path-regex", staff];
        run(&st, &app, "a user", &user_token, &user_ops);
        let device_ops = ["--include-tag", "device"];
        run(&st, &app, "a device", &device_token, &device_ops);
        let support_ops = ["--include-path-regex", "^/api/v1/support/"];
        run(&st, &app, "support staff", &support_token, &support_ops);
        // Last: an administrator's generated requests may erase accounts.
        let admin_ops = ["--include-path-regex", "^/api/v1/admin/"];
        run(&st, &app, "an administrator", &admin_token, &admin_ops);
    });
}
