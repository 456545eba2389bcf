//! The data inventory (G5) describes exactly the schema: a migration that
//! adds a column the inventory does not describe, or drops one it still
//! lists, fails here, on SQLite always and on PostgreSQL when
//! `CAMVAULT_TEST_DATABASE_URL` is set (always in CI).

use std::collections::BTreeSet;

use domain::privacy::inventory::{self, DataClass};
use store::SqlStore;

// promise: G5
#[tokio::test]
async fn every_column_of_the_schema_is_in_the_inventory_and_nothing_else_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = testkit::test_database_url(dir.path()).await;
    let store = SqlStore::connect(&url).await.expect("connect");
    let schema: BTreeSet<(String, String)> = store
        .schema_columns()
        .await
        .expect("schema")
        .into_iter()
        .collect();
    assert!(
        schema.len() > 100,
        "the schema was read ({} columns)",
        schema.len()
    );
    let described: BTreeSet<(String, String)> = inventory::tables()
        .flat_map(|t| {
            t.columns
                .iter()
                .map(|c| (t.name.to_string(), c.name.to_string()))
        })
        .collect();
    let undescribed: Vec<_> = schema.difference(&described).collect();
    assert!(
        undescribed.is_empty(),
        "columns the inventory (crates/domain/src/privacy/inventory/) does not describe: {undescribed:?}"
    );
    let stale: Vec<_> = described.difference(&schema).collect();
    assert!(
        stale.is_empty(),
        "inventory entries with no column: {stale:?}"
    );
}

// promise: F1
#[test]
fn personal_data_always_has_a_purpose_a_basis_and_a_retention_rule() {
    for t in inventory::tables() {
        let personal = t.columns.iter().any(|c| c.class != DataClass::NotPersonal);
        if personal {
            assert!(
                !t.retention.trim().is_empty(),
                "{}: no retention rule",
                t.name
            );
            assert!(!t.purpose.describe().is_empty(), "{}: no purpose", t.name);
            assert!(!t.basis.describe().is_empty(), "{}: no basis", t.name);
        }
    }
    for b in inventory::blob_kinds() {
        assert!(
            !b.retention.trim().is_empty(),
            "{}: no retention rule",
            b.prefix
        );
    }
}
