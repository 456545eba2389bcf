//! The public privacy page (`/privacy`) and its machine-readable twin
//! (`/privacy.json`), both generated from the data inventory: what is
//! collected, why, on what basis, for how long and who receives it. Nothing
//! here is written by hand, so the page cannot drift from the schema.

use std::collections::BTreeSet;

use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::privacy::inventory::{self, BlobKind, DataClass, Purpose, Recipient, Table};
use maud::{html, Markup};
use serde::Serialize;

use crate::pages::layout::page;

/// Every purpose, in the order the page shows them.
const PURPOSES: [Purpose; 11] = [
    Purpose::Account,
    Purpose::Security,
    Purpose::Cameras,
    Purpose::Recording,
    Purpose::Alerts,
    Purpose::Search,
    Purpose::Integrations,
    Purpose::Claims,
    Purpose::Rights,
    Purpose::Billing,
    Purpose::Album,
];

fn personal_classes(t: &Table) -> BTreeSet<DataClass> {
    t.columns
        .iter()
        .map(|c| c.class)
        .filter(|c| *c != DataClass::NotPersonal)
        .collect()
}

/// One stored thing as the JSON lists it.
#[derive(Serialize)]
struct Item {
    kind: &'static str,
    name: &'static str,
    holds: &'static str,
    classes: Vec<DataClass>,
    legal_basis: inventory::LegalBasis,
    legal_basis_text: &'static str,
    retention: &'static str,
    recipients: Vec<Recipient>,
    columns: Vec<inventory::Column>,
}

#[derive(Serialize)]
struct PurposeView {
    purpose: Purpose,
    description: &'static str,
    data: Vec<Item>,
}

#[derive(Serialize)]
struct RecipientView {
    recipient: Recipient,
    description: &'static str,
    /// What it receives: the stored things that list it.
    receives: Vec<&'static str>,
}

/// The whole document.
#[derive(Serialize)]
struct Notice {
    source: &'static str,
    purposes: Vec<PurposeView>,
    recipients: Vec<RecipientView>,
}

fn table_item(t: &Table) -> Item {
    Item {
        kind: "table",
        name: t.name,
        holds: t.holds,
        classes: personal_classes(t).into_iter().collect(),
        legal_basis: t.basis,
        legal_basis_text: t.basis.describe(),
        retention: t.retention,
        recipients: t.recipients.to_vec(),
        columns: t.columns.to_vec(),
    }
}

fn blob_item(b: &BlobKind) -> Item {
    Item {
        kind: "files",
        name: b.prefix,
        holds: b.holds,
        classes: vec![b.class],
        legal_basis: b.basis,
        legal_basis_text: b.basis.describe(),
        retention: b.retention,
        recipients: b.recipients.to_vec(),
        columns: Vec::new(),
    }
}

fn notice() -> Notice {
    let purposes = PURPOSES
        .iter()
        .map(|&p| PurposeView {
            purpose: p,
            description: p.describe(),
            data: inventory::tables()
                .filter(|t| t.purpose == p && !personal_classes(t).is_empty())
                .map(table_item)
                .chain(
                    inventory::blob_kinds()
                        .iter()
                        .filter(|b| b.purpose == p)
                        .map(blob_item),
                )
                .collect(),
        })
        .filter(|p| !p.data.is_empty())
        .collect();
    let recipients: BTreeSet<Recipient> = inventory::tables()
        .flat_map(|t| t.recipients.iter().copied())
        .chain(
            inventory::blob_kinds()
                .iter()
                .flat_map(|b| b.recipients.iter().copied()),
        )
        .collect();
    Notice {
        source: "generated from camvault's data inventory, which tests keep equal to the database schema",
        purposes,
        recipients: recipients
            .into_iter()
            .map(|r| RecipientView {
                recipient: r,
                description: r.describe(),
                receives: inventory::tables()
                    .filter(|t| t.recipients.contains(&r))
                    .map(|t| t.holds)
                    .chain(
                        inventory::blob_kinds()
                            .iter()
                            .filter(|b| b.recipients.contains(&r))
                            .map(|b| b.holds),
                    )
                    .collect(),
            })
            .collect(),
    }
}

fn item_markup(i: &Item) -> Markup {
    let classes: Vec<&str> = i.classes.iter().map(|c| c.describe()).collect();
    html! {
        li.inventory-item {
            p { strong { (i.holds) } }
            dl {
                dt { "Kind of data" } dd { (classes.join(", ")) }
                dt { "Legal basis" } dd { (i.legal_basis_text) }
                dt { "Kept" } dd { (i.retention) }
                dt { "Also received by" }
                dd {
                    @if i.recipients.is_empty() { "nobody outside this server" }
                    @else {
                        (i.recipients.iter().map(|r| r.describe()).collect::<Vec<_>>().join("; "))
                    }
                }
            }
        }
    }
}

/// `GET /privacy`: open to everyone, signed in or not.
pub async fn privacy_get() -> Response {
    let n = notice();
    let body = html! {
        h1 { "What this camvault server keeps about you" }
        p { "This page is generated from the server's data inventory, which its tests keep equal to the database: every column and every kind of stored file is described here. The same in machine-readable form: " a href="/privacy.json" { "/privacy.json" } "." }
        p { "Recordings and snapshots are encrypted with keys of your account; the people running this server do not view them." }
        @for p in &n.purposes {
            section.card {
                h2 { "To " (p.description.trim_start_matches("to ")) }
                ul.plain { @for i in &p.data { (item_markup(i)) } }
            }
        }
        section.card {
            h2 { "Who else receives data" }
            ul {
                @for r in &n.recipients {
                    li {
                        (r.description) ", which receives parts of: "
                        (r.receives.join("; "))
                    }
                }
            }
            p.muted { "Nothing else leaves this server, and nothing is sold or used for advertising." }
        }
    };
    page("Privacy", None, body).into_response()
}

/// `GET /privacy.json`.
pub async fn privacy_json() -> Response {
    Json(notice()).into_response()
}
