//! Self-service access (F6): everything held about a person, listed from
//! the data inventory — each table that links rows to a person, what a row
//! is, why and how long it is kept, and how many rows are theirs. Because
//! it is generated from the inventory, a new table shows up here as soon
//! as the inventory describes it (and the inventory test makes sure it does).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use super::inventory::{self, Table};
use crate::ids::AccountId;
use crate::Result;

/// Counting a person's rows.
#[async_trait]
pub trait HeldStore: Send + Sync {
    /// Rows of `table` whose `column` is `account`. Both names come from
    /// the inventory, never from a request.
    async fn count_rows(&self, table: &str, column: &str, account: AccountId) -> Result<u64>;
}

/// One table's share of a person's data.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    /// The inventory entry.
    pub table: &'static Table,
    /// Rows that are theirs.
    pub rows: u64,
}

/// The column that links a table's rows to a person, if any.
pub fn person_column(table: &Table) -> Option<&'static str> {
    if table.name == "accounts" {
        return Some("id");
    }
    ["account_id", "owner_id", "claimant_id"]
        .into_iter()
        .find(|c| table.columns.iter().any(|col| col.name == *c))
}

/// The holdings service.
pub struct Holdings {
    store: Arc<dyn HeldStore>,
}

impl Holdings {
    /// Wires the service.
    pub fn new(store: Arc<dyn HeldStore>) -> Self {
        Holdings { store }
    }

    /// Every table holding rows about `who`, with their count; tables with
    /// none are left out.
    pub async fn about(&self, who: AccountId) -> Result<Vec<Held>> {
        let mut out = Vec::new();
        for table in inventory::tables() {
            let Some(column) = person_column(table) else {
                continue;
            };
            let rows = self.store.count_rows(table.name, column, who).await?;
            if rows > 0 {
                out.push(Held { table, rows });
            }
        }
        out.sort_by_key(|h| h.table.name);
        Ok(out)
    }
}
