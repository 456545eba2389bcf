//! Storage plans, orders and payment (E1, E2).

use super::DataClass::{Identity, NotPersonal, Technical};
use super::LegalBasis::{Contract, LegitimateInterest};
use super::Purpose::{Billing, Security};
use super::Recipient::PaymentProvider;
use super::{col, Table};

pub(super) const TABLES: &[Table] = &[
    Table {
        name: "plans",
        holds: "the storage plans on offer: name, price, period, retention, recording mode, cameras and storage",
        purpose: Billing,
        basis: Contract,
        retention: "while the plan exists",
        recipients: &[],
        columns: &[
            col("id", NotPersonal),
            col("name", NotPersonal),
            col("price_minor", NotPersonal),
            col("currency", NotPersonal),
            col("period_days", NotPersonal),
            col("retention_days", NotPersonal),
            col("mode", NotPersonal),
            col("cameras", NotPersonal),
            col("quota_mb", NotPersonal),
            col("offered", NotPersonal),
            col("created_at", NotPersonal),
        ],
    },
    Table {
        name: "orders",
        holds: "your orders: number, plan, amount, currency, payment method, where each stands and when it was paid and applies; the payment service is told only the number, amount, currency and plan name",
        purpose: Billing,
        basis: Contract,
        retention: "while the account exists",
        recipients: &[PaymentProvider],
        columns: &[
            col("id", Technical),
            col("number", Technical),
            col("account_id", Identity),
            col("plan_id", Technical),
            col("amount_minor", Technical),
            col("currency", Technical),
            col("method", Technical),
            col("status", Technical),
            col("created_at", Technical),
            col("paid_at", Technical),
            col("active_from", Technical),
            col("active_until", Technical),
            col("closed_at", Technical),
        ],
    },
    Table {
        name: "payment_events",
        holds: "the ids of the payment service's messages about your orders, so none is applied twice",
        purpose: Billing,
        basis: Contract,
        retention: "while the order exists",
        recipients: &[],
        columns: &[
            col("event_id", Technical),
            col("order_id", Technical),
            col("received_at", Technical),
        ],
    },
    Table {
        name: "payment_failures",
        holds: "when a payment for one of your orders failed",
        purpose: Security,
        basis: LegitimateInterest,
        retention: "while the order exists",
        recipients: &[],
        columns: &[
            col("order_id", Technical),
            col("account_id", Identity),
            col("at", Technical),
        ],
    },
    Table {
        name: "billing_flags",
        holds: "unusual patterns administrators are shown: many failed payments, or many orders in a short time",
        purpose: Security,
        basis: LegitimateInterest,
        retention: "while the account exists",
        recipients: &[],
        columns: &[
            col("account_id", Identity),
            col("kind", Technical),
            col("detail", Technical),
            col("day", Technical),
            col("raised_at", Technical),
        ],
    },
];
