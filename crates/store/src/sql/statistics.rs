//! Counts: the administrators' aggregate statistics, and a person's rows per table.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::privacy::statistics::{RawCounts, StatisticsStore};
use domain::Result;

use super::{storage, SqlStore};

const DAY_MS: i64 = 86_400_000;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl StatisticsStore for SqlStore {
    async fn raw_counts(&self, events_since: Timestamp) -> Result<RawCounts> {
        let (accounts, bound, stored): (i64, i64, i64) = on_db!(&self.db, p => sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM accounts), \
                        (SELECT COUNT(*) FROM cameras WHERE owner_id IS NOT NULL), \
                        (SELECT CAST(COALESCE(SUM(stored_bytes), 0) AS BIGINT) FROM recording_segments)")
            .fetch_one(p)
            .await
            .map_err(storage)?);
        let models: Vec<(String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT model, COUNT(*) FROM cameras GROUP BY model ORDER BY model")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        let firmware: Vec<(String, Option<String>, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT model, firmware_version, COUNT(*) FROM cameras \
                 GROUP BY model, firmware_version ORDER BY model, firmware_version")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        let days: Vec<(i64, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT day, COUNT(*) FROM \
                 (SELECT (at_ms / $1) * $1 AS day FROM events WHERE at_ms >= $2) d \
                 GROUP BY day ORDER BY day")
            .bind(DAY_MS)
            .bind(events_since.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(RawCounts {
            accounts: count(accounts),
            bound_cameras: count(bound),
            cameras_by_model: models.into_iter().map(|(m, n)| (m, count(n))).collect(),
            cameras_by_firmware: firmware
                .into_iter()
                .map(|(m, v, n)| (m, v, count(n)))
                .collect(),
            stored_bytes: count(stored),
            events_per_day: days.into_iter().map(|(d, n)| (d, count(n))).collect(),
        })
    }
}

#[async_trait]
impl domain::privacy::held::HeldStore for SqlStore {
    async fn count_rows(&self, table: &str, column: &str, account: AccountId) -> Result<u64> {
        // The names are the inventory's constants; refuse anything else
        // rather than build SQL from it.
        let plain =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if !plain(table) || !plain(column) {
            return Err(domain::Error::Storage(format!(
                "not a table or column name: {table}.{column}"
            )));
        }
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
        let n: i64 = on_db!(&self.db, p => sqlx::query_scalar(&sql)
            .bind(account.0)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n as u64)
    }
}
