//! The inventory is internally consistent (the schema comparison lives in
//! the store crate, which can open databases).

use std::collections::HashSet;

use super::{blob_kinds, tables};

#[test]
fn names_are_unique_and_every_table_has_columns() {
    let mut seen = HashSet::new();
    for t in tables() {
        assert!(seen.insert(t.name), "table {} listed twice", t.name);
        assert!(!t.columns.is_empty(), "{} has no columns", t.name);
        let mut cols = HashSet::new();
        for c in t.columns {
            assert!(cols.insert(c.name), "{}.{} listed twice", t.name, c.name);
        }
        assert!(
            !t.holds.is_empty() && !t.retention.is_empty(),
            "{} lacks words",
            t.name
        );
    }
    let mut prefixes = HashSet::new();
    for b in blob_kinds() {
        assert!(b.prefix.ends_with('/'), "{}", b.prefix);
        assert!(prefixes.insert(b.prefix), "{} twice", b.prefix);
    }
}
