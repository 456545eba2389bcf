//! Storage plans and orders (E1) with pluggable payment (E2): the order
//! state machine, the plan's retention applied to recordings, and the
//! signed-webhook provider's callbacks, refused when unsigned or replayed.

use std::time::Duration;

use domain::billing::webhook::sign;
use domain::ports::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Person, TestApp};
use crate::recordings::{recording_camera, upload_demo};

const DAY: Duration = Duration::from_secs(86_400);
const SECRET: &str = "provider-shared-secret";

fn plan(name: &str, price: &str, retention_days: i64) -> Value {
    plan_for(name, price, retention_days, 30)
}

fn plan_for(name: &str, price: &str, retention_days: i64, period_days: i64) -> Value {
    json!({"name": name, "price": price, "currency": "EUR", "period_days": period_days,
           "retention_days": retention_days, "mode": "continuous", "cameras": 2, "quota_mb": 0})
}

async fn create_plan(admin: &Person, body: Value) -> i64 {
    let resp = admin.post("/api/v1/admin/plans", body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn order(p: &Person, plan: i64, method: &str) -> Value {
    let resp = p
        .post(
            "/api/v1/orders",
            json!({"plan_id": plan, "payment_method": method}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn my_plan(p: &Person) -> Value {
    p.get("/api/v1/me/plan").await.json().await.unwrap()
}

// promise: E1
#[tokio::test]
async fn a_plan_is_ordered_paid_by_hand_activated_refunded_and_bad_plans_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.person("boss", Role::Admin).await;
    let ann = app.verified_person("ann", "ann@example.com").await;

    // Prices are exact in a real currency; everything else is in range.
    for (bad, code) in [
        (json!({"currency": "EURO"}), "invalid_input"),
        (json!({"currency": "XAU"}), "invalid_input"),
        (json!({"price": "4.999"}), "invalid_input"),
        (json!({"price": "-1"}), "invalid_input"),
        (json!({"retention_days": 0}), "invalid_input"),
        (json!({"mode": "sometimes"}), "invalid_input"),
    ] {
        let mut body = plan("Bad", "4.99", 30);
        for (k, v) in bad.as_object().unwrap() {
            body[k] = v.clone();
        }
        let resp = admin.post("/api/v1/admin/plans", body).await;
        assert_error(resp, StatusCode::BAD_REQUEST, code).await;
    }
    let plus = create_plan(&admin, plan("Plus", "4.99", 60)).await;
    let resp = admin
        .post("/api/v1/admin/plans", plan("Plus", "1", 1))
        .await;
    assert_error(resp, StatusCode::CONFLICT, "plan_name_taken").await;
    let plans: Value = ann.get("/api/v1/plans").await.json().await.unwrap();
    assert_eq!(plans[0]["price"], "4.99 EUR");
    assert_eq!(plans[0]["price_minor"], 499);

    // Ordering: a pending order with a number, and how to pay it.
    let placed = order(&ann, plus, "manual").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("CV-20"), "{number}");
    assert_eq!(placed["order"]["status"], "pending");
    assert_eq!(placed["order"]["amount"], "4.99 EUR");
    assert_eq!(placed["order"]["payment_method"], "manual");
    assert_eq!(placed["checkout"]["kind"], "instructions");
    assert!(placed["checkout"]["text"]
        .as_str()
        .unwrap()
        .contains(&number));
    let resp = ann
        .post(
            "/api/v1/orders",
            json!({"plan_id": plus, "payment_method": "cash"}),
        )
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(my_plan(&ann).await["plan"].is_null(), "not paid yet");

    // Only an administrator marks it paid; then it is active for 30 days.
    let resp = ann
        .post(&format!("/api/v1/admin/orders/{number}/paid"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = admin
        .post(&format!("/api/v1/admin/orders/{number}/paid"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let paid: Value = resp.json().await.unwrap();
    assert_eq!(paid["status"], "active");
    assert!(paid["paid_at"].is_string() && paid["active_until"].is_string());
    let mine = my_plan(&ann).await;
    assert_eq!(mine["plan"]["name"], "Plus");
    assert_eq!(mine["order"]["number"], number.as_str());
    // Paying twice is not a move the state machine has.
    let resp = admin
        .post(&format!("/api/v1/admin/orders/{number}/paid"), json!({}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;

    // A second, unpaid order can be cancelled once; a paid one cannot.
    let second = order(&ann, plus, "manual").await;
    let n2 = second["order"]["number"].as_str().unwrap().to_string();
    let resp = ann
        .post(&format!("/api/v1/me/orders/{n2}/cancel"), json!({}))
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "cancelled");
    let resp = ann
        .post(&format!("/api/v1/me/orders/{n2}/cancel"), json!({}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    let resp = ann
        .post(&format!("/api/v1/me/orders/{number}/cancel"), json!({}))
        .await;
    assert_error(resp, StatusCode::BAD_REQUEST, "invalid_input").await;
    // Someone else's order is not found.
    let bob = app.verified_person("bob", "bob@example.com").await;
    let resp = bob
        .post(&format!("/api/v1/me/orders/{number}/cancel"), json!({}))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;

    let orders: Vec<Value> = ann.get("/api/v1/me/orders").await.json().await.unwrap();
    let states: Vec<&str> = orders
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["cancelled", "active"]);

    // A refund ends the plan at once.
    let resp = admin
        .post(&format!("/api/v1/admin/orders/{number}/refund"), json!({}))
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "refunded");
    assert!(my_plan(&ann).await["plan"].is_null());

    // A withdrawn plan cannot be ordered.
    let resp = admin
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/plans/{plus}/offered"),
            Some(json!({"offered": false})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = ann
        .post(
            "/api/v1/orders",
            json!({"plan_id": plus, "payment_method": "manual"}),
        )
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "not_found").await;
}

// promise: E1
#[tokio::test]
async fn the_plan_sets_retention_and_a_downgrade_waits_for_the_paid_period_and_says_what_goes() {
    // Sessions outlive the weeks this test skips over.
    let app = TestApp::spawn_with(|c| c.session_idle_days = 365).await;
    let admin = app.person("boss", Role::Admin).await;
    let short = create_plan(&admin, plan("Week", "1.00", 7)).await;
    let long = create_plan(&admin, plan_for("Quarter", "9.00", 90, 90)).await;
    let cam = recording_camera(&app).await;
    upload_demo(&app, &cam, "plan").await;

    // The 90-day plan keeps the video past the instance's 30 days.
    let n = order(&cam.owner, long, "manual").await["order"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    admin
        .post(&format!("/api/v1/admin/orders/{n}/paid"), json!({}))
        .await;
    app.advance(8 * DAY);
    app.core.billing.roll_periods().await.unwrap();
    assert_eq!(app.recordings.purge().await.unwrap().expired, 0);

    // Buying the 7-day plan now is a downgrade: it waits for the end of
    // the paid quarter, and the person is told what goes, and when.
    let n = order(&cam.owner, short, "manual").await["order"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = admin
        .post(&format!("/api/v1/admin/orders/{n}/paid"), json!({}))
        .await;
    let queued: Value = resp.json().await.unwrap();
    assert_eq!(queued["status"], "paid");
    let mine = my_plan(&cam.owner).await;
    assert_eq!(mine["plan"]["name"], "Quarter");
    assert_eq!(mine["upcoming"]["name"], "Week");
    let notice = &mine["downgrade"];
    assert_eq!(notice["retention_days_now"], 90);
    assert_eq!(notice["retention_days_then"], 7);
    assert_eq!(notice["from"], mine["order"]["active_until"]);
    assert!(notice["message"]
        .as_str()
        .unwrap()
        .contains("older than 7 days"));
    app.advance(30 * DAY);
    assert_eq!(app.core.billing.roll_periods().await.unwrap(), 0);
    assert_eq!(
        app.recordings.purge().await.unwrap().expired,
        0,
        "38 days old: past the instance's 30, within the plan's 90"
    );

    // At the end of the quarter the week plan starts, and the purge keeps 7 days.
    app.advance(53 * DAY);
    assert_eq!(
        app.core.billing.roll_periods().await.unwrap(),
        2,
        "one ended, one started"
    );
    let mine = my_plan(&cam.owner).await;
    assert_eq!(mine["plan"]["name"], "Week");
    assert!(mine["downgrade"].is_null());
    assert_eq!(
        app.recordings.purge().await.unwrap().expired,
        6,
        "91 days old, over 7"
    );
    let left = app.blob_keys("media").await.len();
    assert_eq!(left, 1, "only the init is left");
}

fn signed(app: &TestApp, body: &Value, secret: &str, skew_secs: i64) -> (String, String) {
    let text = body.to_string();
    let t = app.now_ms() / 1000 + skew_secs;
    (text.clone(), sign(secret.as_bytes(), t, text.as_bytes()))
}

async fn callback(app: &TestApp, body: String, signature: Option<String>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/payments/webhook"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        req = req.header("camvault-signature", s);
    }
    req.send().await.unwrap()
}

// promise: E2
#[tokio::test]
async fn the_webhook_provider_is_told_only_the_order_and_its_signed_callbacks_apply_once() {
    let app = TestApp::spawn_with(|c| {
        c.payment_methods = vec!["manual".into(), "webhook".into()];
        c.payment_webhook_checkout_url = Some("https://pay.example.test/checkout".into());
        c.payment_webhook_secret = Some(SECRET.into());
    })
    .await;
    let admin = app.person("boss", Role::Admin).await;
    let id = create_plan(&admin, plan("Plus", "4.99", 60)).await;
    let ann = app.verified_person("ann", "ann@example.com").await;
    let placed = order(&ann, id, "webhook").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();

    // The provider learns the order number, amount, currency and what is
    // bought — not who buys it.
    assert_eq!(placed["checkout"]["kind"], "redirect");
    let url = url::Url::parse(placed["checkout"]["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("pay.example.test"));
    let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(keys, ["order", "amount_minor", "currency", "description"]);
    let query = url.query().unwrap();
    for private in ["ann", "example.com"] {
        assert!(
            !query.contains(private),
            "{private} sent to the provider: {query}"
        );
    }

    let paid = json!({"event_id": "evt-1", "order_number": number, "status": "paid",
                      "amount_minor": 499, "currency": "EUR"});
    // Unsigned, signed with another secret, or signed long ago: refused.
    let (body, _) = signed(&app, &paid, SECRET, 0);
    assert_error(
        callback(&app, body.clone(), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let (_, wrong) = signed(&app, &paid, "guessed", 0);
    assert_error(
        callback(&app, body.clone(), Some(wrong)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let (_, stale) = signed(&app, &paid, SECRET, -600);
    assert_error(
        callback(&app, body.clone(), Some(stale)).await,
        StatusCode::UNAUTHORIZED,
        "signature_expired",
    )
    .await;
    // A signature over another body does not carry over.
    let (_, other) = signed(&app, &json!({"event_id": "x"}), SECRET, 0);
    assert_error(
        callback(&app, body.clone(), Some(other)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // The amount must be the order's.
    let cheap = json!({"event_id": "evt-0", "order_number": number, "status": "paid",
                       "amount_minor": 1, "currency": "EUR"});
    let (b, s) = signed(&app, &cheap, SECRET, 0);
    assert_error(
        callback(&app, b, Some(s)).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(
        my_plan(&ann).await["plan"],
        Value::Null,
        "nothing refused applied"
    );

    // Signed right: applied, once.
    let (b, s) = signed(&app, &paid, SECRET, 0);
    let resp = callback(&app, b.clone(), Some(s.clone())).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(my_plan(&ann).await["plan"]["name"], "Plus");
    assert_error(
        callback(&app, b, Some(s)).await,
        StatusCode::CONFLICT,
        "replayed_callback",
    )
    .await;

    // A callback that cannot apply (a bad status) is refused, and its event
    // id stays usable for the provider's corrected retry.
    let odd = json!({"event_id": "evt-2", "order_number": number, "status": "charged",
                     "amount_minor": 499, "currency": "EUR"});
    let (b, s) = signed(&app, &odd, SECRET, 0);
    assert_error(
        callback(&app, b, Some(s)).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;

    // A refund callback ends it.
    let refund = json!({"event_id": "evt-2", "order_number": number, "status": "refunded",
                        "amount_minor": 499, "currency": "EUR"});
    let (b, s) = signed(&app, &refund, SECRET, 0);
    assert_eq!(
        callback(&app, b, Some(s)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(my_plan(&ann).await["plan"].is_null());

    // Three failed payments in a day flag the account for administrators.
    let next = order(&ann, id, "webhook").await["order"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..3 {
        let failed = json!({"event_id": format!("fail-{i}"), "order_number": next,
                            "status": "failed", "amount_minor": 499, "currency": "EUR"});
        let (b, s) = signed(&app, &failed, SECRET, 0);
        assert_eq!(
            callback(&app, b, Some(s)).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let flags: Vec<Value> = admin
        .get("/api/v1/admin/billing-flags")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["kind"], "failed_payments");
}

// promise: E1
#[tokio::test]
async fn the_pages_order_a_plan_an_administrator_marks_it_paid_and_the_invoice_prints() {
    let app = TestApp::spawn().await;
    let admin = app.person("boss", Role::Admin).await;
    let ann = app.verified_person("ann", "ann@example.com").await;

    // The administrator adds a plan on the billing page; a bad price is refused there.
    let resp = admin
        .submit_form(
            &admin.text("/admin/billing").await,
            "/admin/billing/plans",
            &[
                ("name", "Family"),
                ("price", "4.999"),
                ("currency", "EUR"),
                ("period_days", "30"),
                ("retention_days", "60"),
                ("mode", "continuous"),
                ("cameras", "4"),
                ("quota_mb", "0"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("decimal places"));
    let resp = admin
        .submit_form(
            &admin.text("/admin/billing").await,
            "/admin/billing/plans",
            &[
                ("name", "Family"),
                ("price", "4.99"),
                ("currency", "EUR"),
                ("period_days", "30"),
                ("retention_days", "60"),
                ("mode", "continuous"),
                ("cameras", "4"),
                ("quota_mb", "0"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // People who are not administrators do not see the billing page.
    assert_eq!(
        ann.get("/admin/billing").await.status(),
        StatusCode::FORBIDDEN
    );

    // Ann orders it on the plans page and is told how to pay.
    let page = ann.text("/plans").await;
    assert!(page.contains("4.99 EUR for 30 days"), "{page}");
    let plan_id = page
        .split("name=\"plan_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let resp = ann
        .submit_form(
            &page,
            "/plans/order",
            &[("plan_id", &plan_id), ("payment_method", "manual")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let order_page = crate::helpers::location(&resp).to_string();
    let number = order_page.rsplit('/').next().unwrap().to_string();
    let page = ann.text(&order_page).await;
    assert!(page.contains(&format!("quoting {number}")), "{page}");
    // No invoice before payment.
    let resp = ann.get(&format!("/orders/{number}/invoice")).await;
    assert_error(resp, StatusCode::CONFLICT, "not_paid").await;

    // The administrator marks it paid; ann's account shows the plan.
    let resp = admin
        .submit_form(
            &admin.text("/admin/billing").await,
            &format!("/admin/billing/orders/{number}/paid"),
            &[],
        )
        .await;
    assert!(resp.text().await.unwrap().contains("is active now"));
    assert!(ann
        .text("/account")
        .await
        .contains("plan <strong>Family</strong>"));
    let page = ann.text("/account/orders").await;
    assert!(
        page.contains("Plan <strong>Family</strong> is active until"),
        "{page}"
    );

    // The invoice: number, buyer, amount; not someone else's.
    let invoice = ann.text(&format!("/orders/{number}/invoice")).await;
    for part in [
        number.as_str(),
        "ann",
        "ann@example.com",
        "4.99 EUR",
        "Family",
    ] {
        assert!(invoice.contains(part), "{part} missing from the invoice");
    }
    crate::helpers::assert_no_inline_script("invoice", &invoice);
    let bob = app.verified_person("bob", "bob@example.com").await;
    let resp = bob.get(&format!("/orders/{number}/invoice")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        admin
            .get(&format!("/orders/{number}/invoice"))
            .await
            .status(),
        StatusCode::OK
    );
}
