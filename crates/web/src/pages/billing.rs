//! Plan pages (E1): choosing and ordering a plan, one's orders and the
//! printable invoice, and the administrators' plans and orders.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::billing::{Order, OrderStatus, Plan, PlanInput};
use domain::ids::PlanId;
use domain::ports::Checkout;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::CsrfForm;
use super::failure;
use super::layout::{error_box, notice_box, page};
use crate::error::ApiError;
use crate::extract::{AppForm, AppPath, PageUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

fn plan_terms(p: &Plan) -> Markup {
    let t = &p.terms;
    html! {
        (p.price_text()) " for " (t.period_days) " days · recordings kept " (t.retention_days) " days · "
        (if t.mode == domain::billing::PlanMode::EventsOnly { "events only" } else { "continuous" })
        " · " (t.cameras) " camera(s)"
        @if t.quota_mb > 0 { " · " (t.quota_mb) " MiB" }
    }
}

/// `GET /plans`: the plans on offer, each with its order form.
pub async fn plans_get(State(state): State<AppState>, user: PageUser) -> Result<Markup, ApiError> {
    plans_page(&state, &user, None).await
}

async fn plans_page(
    state: &AppState,
    user: &PageUser,
    error: Option<&str>,
) -> Result<Markup, ApiError> {
    let plans = state.billing.plans(true).await?;
    let methods = state.billing.methods();
    let coverage = state.billing.coverage(user.0.account.id).await?;
    Ok(page(
        "Plans",
        Some(user),
        html! {
            h1 { "Storage plans" }
            (error_box(error))
            p #current-plan {
                @match &coverage.running {
                    Some((o, p)) => { "Your plan: " strong { (p.terms.name) } ", until "
                        (o.active_until.map(rfc3339).unwrap_or_default()) "." }
                    None => { "You are on the free tier." }
                }
                " " a href="/account/orders" { "Your orders" }
            }
            @if plans.is_empty() { p { "No plans are on offer yet." } }
            @for p in &plans {
                section.card.plan {
                    h2 { (p.terms.name) }
                    p { (plan_terms(p)) }
                    form method="post" action="/plans/order" {
                        input type="hidden" name="csrf" value=(user.csrf());
                        input type="hidden" name="plan_id" value=(p.id.0);
                        label { "Pay by"
                            select name="payment_method" {
                                @for m in &methods {
                                    option value=(m) { (if *m == "manual" { "bank transfer" } else { "card (payment service)" }) }
                                }
                            }
                        }
                        button type="submit" { "Order " (p.terms.name) }
                    }
                }
            }
        },
    ))
}

/// The order form.
#[derive(Debug, Deserialize)]
pub struct OrderForm {
    csrf: String,
    plan_id: i64,
    payment_method: String,
}

/// `POST /plans/order`: places the order, then to its page or the provider.
pub async fn order_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(form): AppForm<OrderForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let placed = state
        .billing
        .order(
            user.0.account.id,
            PlanId(form.plan_id),
            &form.payment_method,
        )
        .await;
    Ok(match placed {
        Ok(p) => match p.checkout {
            Checkout::Redirect(url) => Redirect::to(&url).into_response(),
            Checkout::Instructions(_) => {
                Redirect::to(&format!("/account/orders/{}", p.order.number)).into_response()
            }
        },
        Err(e) => {
            let (status, text) = failure(e);
            (status, plans_page(&state, &user, Some(&text)).await?).into_response()
        }
    })
}

fn status_badge(o: &Order) -> Markup {
    html! { span.badge class=(format!("status-{}", o.status.as_str())) { (o.status.as_str()) } }
}

/// `GET /account/orders`: the person's plan, what a downgrade will remove,
/// and every order.
pub async fn orders_get(State(state): State<AppState>, user: PageUser) -> Result<Markup, ApiError> {
    let id = user.0.account.id;
    let orders = state.billing.orders_of(id).await?;
    let coverage = state.billing.coverage(id).await?;
    let names = plan_names(&state).await?;
    Ok(page(
        "Orders",
        Some(&user),
        html! {
            h1 { "Your plan and orders" }
            section.card #plan {
                @match &coverage.running {
                    Some((o, p)) => { p { "Plan " strong { (p.terms.name) } " is active until "
                        (o.active_until.map(rfc3339).unwrap_or_default()) ": " (plan_terms(p)) "." } }
                    None => { p { "You are on the free tier. " a href="/plans" { "See the plans" } } }
                }
                @if let Some(d) = coverage.downgrade() {
                    p.notice #downgrade { "From " (rfc3339(d.from)) ", recordings are kept "
                        (d.retention_days.1) " days instead of " (d.retention_days.0)
                        ": video older than " (d.retention_days.1) " days will then be deleted." }
                }
            }
            table #orders {
                thead { tr { th { "Order" } th { "Plan" } th { "Amount" } th { "Status" } th { "Created" } } }
                tbody {
                    @for o in &orders {
                        tr {
                            td { a href=(format!("/account/orders/{}", o.number)) { (o.number) } }
                            td { (names.get(&o.plan_id.0).cloned().unwrap_or_default()) }
                            td { (o.amount_text()) }
                            td { (status_badge(o)) }
                            td { (rfc3339(o.created_at)) }
                        }
                    }
                }
            }
        },
    ))
}

async fn plan_names(state: &AppState) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    Ok(state
        .billing
        .plans(false)
        .await?
        .into_iter()
        .map(|p| (p.id.0, p.terms.name))
        .collect())
}

/// `GET /account/orders/{number}`: one order, how to pay it, its invoice.
pub async fn order_get(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(number): AppPath<String>,
) -> Result<Markup, ApiError> {
    let order = state.billing.my_order(user.0.account.id, &number).await?;
    let plan = state.billing.plan(order.plan_id).await?;
    let checkout = state.billing.checkout_for(&order).await?;
    Ok(page(
        &format!("Order {}", order.number),
        Some(&user),
        html! {
            h1 { "Order " (order.number) }
            p { (plan.terms.name) ": " (plan_terms(&plan)) }
            p { "Status: " (status_badge(&order)) }
            @if let Some(Checkout::Instructions(text)) = &checkout {
                p.notice #how-to-pay { (text) }
            }
            @if let Some(Checkout::Redirect(url)) = &checkout {
                p { a.button href=(url) { "Pay with the payment service" } }
            }
            @if order.status == OrderStatus::Pending {
                form method="post" action=(format!("/account/orders/{}/cancel", order.number)) {
                    input type="hidden" name="csrf" value=(user.csrf());
                    button type="submit" { "Cancel this order" }
                }
            }
            @if order.paid_at.is_some() {
                p { a href=(format!("/orders/{}/invoice", order.number)) { "Invoice" } }
            }
            p { a href="/account/orders" { "All orders" } }
        },
    ))
}

/// `POST /account/orders/{number}/cancel`.
pub async fn cancel_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(number): AppPath<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    state.billing.cancel(user.0.account.id, &number).await?;
    Ok(Redirect::to("/account/orders").into_response())
}

/// `GET /orders/{number}/invoice`: a printable invoice of a paid order, for
/// its buyer or an administrator.
pub async fn invoice_get(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(number): AppPath<String>,
) -> Result<Response, ApiError> {
    let admin = user.0.account.role == domain::ports::Role::Admin;
    let order = if admin {
        state.billing.order_by_number(&number).await?
    } else {
        state.billing.my_order(user.0.account.id, &number).await?
    };
    let Some(paid_at) = order.paid_at else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_paid",
            "an invoice exists once the order is paid",
        ));
    };
    let plan = state.billing.plan(order.plan_id).await?;
    let buyer = state.accounts.profile(order.account_id).await?;
    Ok(page(
        &format!("Invoice {}", order.number),
        Some(&user),
        html! {
            article.invoice #invoice {
                h1 { "Invoice " (order.number) }
                p { "Date: " (rfc3339(paid_at)) }
                p { "Billed to: " (buyer.account.username)
                    @for c in buyer.contacts.iter().filter(|c| c.is_deliverable() && c.address.kind() == domain::accounts::contact::ContactKind::Email) {
                        ", " (c.address.expose())
                    }
                }
                table {
                    thead { tr { th { "Item" } th { "Period" } th { "Amount" } } }
                    tbody { tr {
                        td { "camvault " (plan.terms.name) " (" (plan.terms.retention_days) "-day recordings, "
                            (plan.terms.cameras) " camera(s))" }
                        td { (order.active_from.map(rfc3339).unwrap_or_default()) " – "
                            (order.active_until.map(rfc3339).unwrap_or_default()) }
                        td { (order.amount_text()) }
                    } }
                }
                p { "Paid by " (order.method) ". Status: " (order.status.as_str()) "." }
                @if order.status == OrderStatus::Refunded { p.notice { "This order was refunded." } }
            }
        },
    )
    .into_response())
}

/// `GET /admin/billing`: plans, with the form to add one, orders and flags.
pub async fn admin_get(
    State(state): State<AppState>,
    user: PageUser,
) -> Result<Response, ApiError> {
    admin_page(&state, &user, None, None).await
}

async fn admin_page(
    state: &AppState,
    user: &PageUser,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    if let Some(refused) = super::cameras::not_admin(state, user, "Billing").await {
        return Ok(refused);
    }
    let plans = state.billing.plans(false).await?;
    let orders = state.billing.all_orders().await?;
    let flags = state.billing.flags().await?;
    let csrf = user.csrf();
    Ok(page(
        "Billing",
        Some(user),
        html! {
            h1 { "Plans and orders" }
            (error_box(error))
            (notice_box(notice))
            section.card #plans {
                h2 { "Plans" }
                ul { @for p in &plans { li { strong { (p.terms.name) } ": " (plan_terms(p))
                    @if !p.offered { " (withdrawn)" } } } }
                form method="post" action="/admin/billing/plans" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Name" input name="name" required maxlength="60"; }
                    label { "Price" input name="price" required placeholder="4.99"; }
                    label { "Currency" input name="currency" required value="EUR" maxlength="3"; }
                    label { "Period (days)" input name="period_days" type="number" value="30" min="1"; }
                    label { "Retention (days)" input name="retention_days" type="number" value="30" min="1"; }
                    label { "Recording" select name="mode" {
                        option value="continuous" { "continuous" } option value="events_only" { "events only" } } }
                    label { "Cameras" input name="cameras" type="number" value="1" min="1"; }
                    label { "Storage (MiB, 0 = no limit)" input name="quota_mb" type="number" value="0" min="0"; }
                    button type="submit" { "Add plan" }
                }
            }
            section.card #orders {
                h2 { "Orders" }
                table {
                    thead { tr { th { "Order" } th { "Account" } th { "Amount" } th { "Method" } th { "Status" } th {} } }
                    tbody { @for o in &orders { tr {
                        td { (o.number) }
                        td { (o.account_id) }
                        td { (o.amount_text()) }
                        td { (o.method) }
                        td { (status_badge(o)) }
                        td {
                            @if o.status == OrderStatus::Pending {
                                form.inline method="post" action=(format!("/admin/billing/orders/{}/paid", o.number)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "Mark paid" }
                                }
                            }
                            @if matches!(o.status, OrderStatus::Paid | OrderStatus::Active) {
                                form.inline method="post" action=(format!("/admin/billing/orders/{}/refund", o.number)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "Refund" }
                                }
                            }
                        }
                    } } }
                }
            }
            section.card #flags {
                h2 { "Unusual patterns" }
                @if flags.is_empty() { p { "None." } }
                ul { @for (a, kind, detail, at) in &flags { li { "Account " (a) ": " (kind) " — " (detail) " (" (rfc3339(*at)) ")" } } }
            }
        },
    )
    .into_response())
}

/// The add-plan form.
#[derive(Debug, Deserialize)]
pub struct PlanForm {
    csrf: String,
    name: String,
    price: String,
    currency: String,
    period_days: i64,
    retention_days: i64,
    mode: String,
    cameras: i64,
    quota_mb: i64,
}

/// `POST /admin/billing/plans`.
pub async fn admin_plan_post(
    State(state): State<AppState>,
    user: PageUser,
    AppForm(f): AppForm<PlanForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&f.csrf)?;
    if let Some(refused) = super::cameras::not_admin(&state, &user, "Billing").await {
        return Ok(refused);
    }
    let input = PlanInput {
        name: f.name,
        price: f.price,
        currency: f.currency,
        period_days: f.period_days,
        retention_days: f.retention_days,
        mode: f.mode,
        cameras: f.cameras,
        quota_mb: f.quota_mb,
    };
    match state.billing.create_plan(&input).await {
        Ok(p) => {
            admin_page(
                &state,
                &user,
                None,
                Some(&format!("Plan {} added.", p.terms.name)),
            )
            .await
        }
        Err(e) => {
            let (status, text) = failure(e);
            let mut resp = admin_page(&state, &user, Some(&text), None).await?;
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

async fn admin_order_action(
    state: &AppState,
    user: &PageUser,
    form: &CsrfForm,
    number: &str,
    refund: bool,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    if let Some(refused) = super::cameras::not_admin(state, user, "Billing").await {
        return Ok(refused);
    }
    let result = if refund {
        state.billing.refund(number).await
    } else {
        state.billing.mark_paid(number).await
    };
    match result {
        Ok(o) => {
            let text = format!("Order {} is {} now.", o.number, o.status.as_str());
            admin_page(state, user, None, Some(&text)).await
        }
        Err(e) => {
            let (status, text) = failure(e);
            let mut resp = admin_page(state, user, Some(&text), None).await?;
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

/// `POST /admin/billing/orders/{number}/paid`.
pub async fn admin_paid_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(number): AppPath<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    admin_order_action(&state, &user, &form, &number, false).await
}

/// `POST /admin/billing/orders/{number}/refund`.
pub async fn admin_refund_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(number): AppPath<String>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    admin_order_action(&state, &user, &form, &number, true).await
}
