//! Storage plans, orders and payment (E1, E2): what people buy and pay,
//! what administrators offer and confirm, and the payment provider's
//! signed callback.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use domain::billing::webhook::SIGNATURE_HEADER;
use domain::billing::{Order, Plan, PlanInput};
use domain::ids::PlanId;
use domain::ports::Checkout;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AdminUser, AppJson, AppPath, CurrentUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

/// A plan as offered.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Price, e.g. `4.99 EUR`.
    pub price: String,
    /// Price in the currency's minor unit.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Days one payment covers.
    pub period_days: i64,
    /// Days recordings are kept.
    pub retention_days: i64,
    /// `continuous` or `events_only`.
    pub mode: String,
    /// Cameras covered.
    pub cameras: i64,
    /// Storage in MiB (0: no limit).
    pub quota_mb: i64,
    /// Can be ordered now.
    pub offered: bool,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> Self {
        PlanView {
            id: p.id.0,
            name: p.terms.name.clone(),
            price: p.price_text(),
            price_minor: p.terms.price_minor,
            currency: p.terms.currency.clone(),
            period_days: p.terms.period_days,
            retention_days: p.terms.retention_days,
            mode: p.terms.mode.as_str().into(),
            cameras: p.terms.cameras,
            quota_mb: p.terms.quota_mb,
            offered: p.offered,
        }
    }
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// Order number, e.g. `CV-2026-000042`.
    pub number: String,
    /// The plan's id.
    pub plan_id: i64,
    /// Amount, e.g. `4.99 EUR`.
    pub amount: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Payment method.
    pub payment_method: String,
    /// `pending`, `paid`, `active`, `expired`, `refunded` or `cancelled`.
    pub status: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Paid (RFC 3339).
    pub paid_at: Option<String>,
    /// The plan applies from (RFC 3339).
    pub active_from: Option<String>,
    /// The plan applies until (RFC 3339).
    pub active_until: Option<String>,
    /// Ended (RFC 3339).
    pub closed_at: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        OrderView {
            number: o.number.clone(),
            plan_id: o.plan_id.0,
            amount: o.amount_text(),
            amount_minor: o.amount_minor,
            currency: o.currency.clone(),
            payment_method: o.method.clone(),
            status: o.status.as_str().into(),
            created_at: rfc3339(o.created_at),
            paid_at: o.paid_at.map(rfc3339),
            active_from: o.active_from.map(rfc3339),
            active_until: o.active_until.map(rfc3339),
            closed_at: o.closed_at.map(rfc3339),
        }
    }
}

/// The plans that can be ordered.
#[utoipa::path(get, path = "/api/v1/plans", tag = "billing",
    responses((status = 200, body = [PlanView]), (status = 401, body = ErrorBody)))]
pub async fn offered(
    State(state): State<AppState>,
    _who: CurrentUser,
) -> ApiResult<Json<Vec<PlanView>>> {
    let plans = state.billing.plans(true).await?;
    Ok(Json(plans.iter().map(PlanView::from).collect()))
}

/// An order to place.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderRequest {
    /// The plan.
    pub plan_id: i64,
    /// A payment method the server offers (`manual`, `webhook`).
    pub payment_method: String,
}

/// How to pay a placed order.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    /// `instructions` (pay as the text says) or `redirect` (go to `url`).
    pub kind: String,
    /// What to do, for `instructions`.
    pub text: Option<String>,
    /// The provider's page, for `redirect`.
    pub url: Option<String>,
}

/// A placed order and how to pay it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedView {
    /// The order, pending.
    pub order: OrderView,
    /// How to pay.
    pub checkout: CheckoutView,
}

/// Orders a plan; answers how to pay.
#[utoipa::path(post, path = "/api/v1/orders", tag = "billing", request_body = OrderRequest,
    responses((status = 201, body = PlacedView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppJson(req): AppJson<OrderRequest>,
) -> ApiResult<(StatusCode, Json<PlacedView>)> {
    let placed = state
        .billing
        .order(who.account.id, PlanId(req.plan_id), &req.payment_method)
        .await?;
    let checkout = match placed.checkout {
        Checkout::Instructions(text) => CheckoutView {
            kind: "instructions".into(),
            text: Some(text),
            url: None,
        },
        Checkout::Redirect(url) => CheckoutView {
            kind: "redirect".into(),
            text: None,
            url: Some(url),
        },
    };
    let view = PlacedView {
        order: OrderView::from(&placed.order),
        checkout,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/me/orders", tag = "billing",
    responses((status = 200, body = [OrderView]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<Vec<OrderView>>> {
    let orders = state.billing.orders_of(who.account.id).await?;
    Ok(Json(orders.iter().map(OrderView::from).collect()))
}

/// Cancels one of the caller's unpaid orders.
#[utoipa::path(post, path = "/api/v1/me/orders/{number}/cancel", tag = "billing",
    params(("number" = String, Path, description = "order number")),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(number): AppPath<String>,
) -> ApiResult<Json<OrderView>> {
    let order = state.billing.cancel(who.account.id, &number).await?;
    Ok(Json(OrderView::from(&order)))
}

/// A coming downgrade, in numbers and words.
#[derive(Debug, Serialize, ToSchema)]
pub struct DowngradeView {
    /// When the smaller plan starts (RFC 3339).
    pub from: String,
    /// Retention now.
    pub retention_days_now: i64,
    /// Retention then.
    pub retention_days_then: i64,
    /// Cameras covered now.
    pub cameras_now: i64,
    /// Cameras covered then.
    pub cameras_then: i64,
    /// Only event video is kept then.
    pub events_only: bool,
    /// What will be removed, and when.
    pub message: String,
}

/// The caller's plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// The plan running now; none is the free tier.
    pub plan: Option<PlanView>,
    /// Its order.
    pub order: Option<OrderView>,
    /// A paid plan that starts when this one ends.
    pub upcoming: Option<PlanView>,
    /// What the upcoming plan will remove.
    pub downgrade: Option<DowngradeView>,
    /// The free tier's retention cap in days, if it has one.
    pub free_retention_days: Option<i64>,
}

/// The caller's plan now, and what a paid downgrade will take away, when.
#[utoipa::path(get, path = "/api/v1/me/plan", tag = "billing",
    responses((status = 200, body = CoverageView), (status = 401, body = ErrorBody)))]
pub async fn my_plan(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
) -> ApiResult<Json<CoverageView>> {
    let c = state.billing.coverage(who.account.id).await?;
    let downgrade = c.downgrade().map(|d| {
        let from = rfc3339(d.from);
        let mut message = format!(
            "From {from}, recordings are kept {} days instead of {}: video older than {} days will then be deleted.",
            d.retention_days.1, d.retention_days.0, d.retention_days.1
        );
        if d.cameras.1 < d.cameras.0 {
            message.push_str(&format!(
                " The plan covers {} cameras instead of {}; the others get the free tier.",
                d.cameras.1, d.cameras.0
            ));
        }
        if d.events_only {
            message.push_str(" Only the video around events is kept from then on.");
        }
        DowngradeView {
            from,
            retention_days_now: d.retention_days.0,
            retention_days_then: d.retention_days.1,
            cameras_now: d.cameras.0,
            cameras_then: d.cameras.1,
            events_only: d.events_only,
            message,
        }
    });
    Ok(Json(CoverageView {
        plan: c.running.as_ref().map(|(_, p)| PlanView::from(p)),
        order: c.running.as_ref().map(|(o, _)| OrderView::from(o)),
        upcoming: c.upcoming.as_ref().map(|(_, p)| PlanView::from(p)),
        downgrade,
        free_retention_days: c.free_retention_days,
    }))
}

/// A plan as an administrator writes it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanRequest {
    /// Name, 1–60 characters.
    pub name: String,
    /// Price such as `4.99`, exact in the currency's minor unit.
    pub price: String,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Days one payment covers.
    pub period_days: i64,
    /// Days recordings are kept.
    pub retention_days: i64,
    /// `continuous` or `events_only`.
    pub mode: String,
    /// Cameras covered.
    pub cameras: i64,
    /// Storage in MiB (0: no limit).
    pub quota_mb: i64,
}

/// Every plan, offered or withdrawn.
#[utoipa::path(get, path = "/api/v1/admin/plans", tag = "billing",
    responses((status = 200, body = [PlanView]), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn all_plans(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<PlanView>>> {
    let plans = state.billing.plans(false).await?;
    Ok(Json(plans.iter().map(PlanView::from).collect()))
}

/// Adds a plan.
#[utoipa::path(post, path = "/api/v1/admin/plans", tag = "billing", request_body = PlanRequest,
    responses((status = 201, body = PlanView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn create_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppJson(r): AppJson<PlanRequest>,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let plan = state
        .billing
        .create_plan(&PlanInput {
            name: r.name,
            price: r.price,
            currency: r.currency,
            period_days: r.period_days,
            retention_days: r.retention_days,
            mode: r.mode,
            cameras: r.cameras,
            quota_mb: r.quota_mb,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(PlanView::from(&plan))))
}

/// Whether a plan is on offer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Offered {
    /// True to offer it, false to withdraw it.
    pub offered: bool,
}

/// Offers or withdraws a plan; orders for it stay as they are.
#[utoipa::path(put, path = "/api/v1/admin/plans/{id}/offered", tag = "billing",
    params(("id" = i64, Path, description = "plan id")), request_body = Offered,
    responses((status = 200, body = PlanView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_offered(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppPath(id): AppPath<i64>,
    AppJson(r): AppJson<Offered>,
) -> ApiResult<Json<PlanView>> {
    let plan = state.billing.set_offered(PlanId(id), r.offered).await?;
    Ok(Json(PlanView::from(&plan)))
}

/// An order as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminOrderView {
    /// The order.
    #[serde(flatten)]
    pub order: OrderView,
    /// Who ordered.
    pub account_id: i64,
}

/// Every order, newest first.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "billing",
    responses((status = 200, body = [AdminOrderView]), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn all_orders(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<AdminOrderView>>> {
    let orders = state.billing.all_orders().await?;
    Ok(Json(
        orders
            .iter()
            .map(|o| AdminOrderView {
                order: OrderView::from(o),
                account_id: o.account_id.0,
            })
            .collect(),
    ))
}

/// Marks a pending order paid (a manual payment arrived).
#[utoipa::path(post, path = "/api/v1/admin/orders/{number}/paid", tag = "billing",
    params(("number" = String, Path, description = "order number")),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn mark_paid(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppPath(number): AppPath<String>,
) -> ApiResult<Json<OrderView>> {
    let order = state.billing.mark_paid(&number).await?;
    Ok(Json(OrderView::from(&order)))
}

/// Refunds a paid or active order; its plan stops at once.
#[utoipa::path(post, path = "/api/v1/admin/orders/{number}/refund", tag = "billing",
    params(("number" = String, Path, description = "order number")),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    _admin: AdminUser,
    AppPath(number): AppPath<String>,
) -> ApiResult<Json<OrderView>> {
    let order = state.billing.refund(&number).await?;
    Ok(Json(OrderView::from(&order)))
}

/// An unusual pattern.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    /// The account.
    pub account_id: i64,
    /// `failed_payments` or `many_orders`.
    pub kind: String,
    /// What was seen.
    pub detail: String,
    /// When (RFC 3339).
    pub raised_at: String,
}

/// Unusual payment patterns, newest first.
#[utoipa::path(get, path = "/api/v1/admin/billing-flags", tag = "billing",
    responses((status = 200, body = [FlagView]), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn flags(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<FlagView>>> {
    let flags = state.billing.flags().await?;
    Ok(Json(
        flags
            .into_iter()
            .map(|(a, kind, detail, at)| FlagView {
                account_id: a.0,
                kind,
                detail,
                raised_at: rfc3339(at),
            })
            .collect(),
    ))
}

/// The payment provider's callback, signed in the `Camvault-Signature`
/// header; each event id is applied once.
#[utoipa::path(post, path = "/api/v1/payments/webhook", tag = "billing",
    request_body(content = String, content_type = "application/json",
                 description = "{event_id, order_number, status: paid|failed|refunded, amount_minor, currency}"),
    responses((status = 204, description = "applied"), (status = 400, body = ErrorBody),
              (status = 401, description = "unsigned, signed wrong or too old", body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "replayed_callback", body = ErrorBody)))]
pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match state.billing.webhook(signature, &body).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(domain::Error::Taken("payment_event")) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "replayed_callback",
            "this callback was applied already",
        )),
        Err(domain::Error::Expired("signature")) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signature_expired",
            "the callback was signed more than five minutes from now",
        )),
        Err(e) => Err(e.into()),
    }
}
