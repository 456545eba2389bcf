//! Data exports, and the paged reads of a person's segments and events
//! their export job makes.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::events::Event;
use domain::ids::{AccountId, CameraId};
use domain::privacy::export::{ExportRecord, ExportState, ExportStore};
use domain::recordings::SegmentRecord;
use domain::Result;

use super::events::{EventRow, EVENT_COLUMNS};
use super::recordings::{segments, SegmentRow, SEGMENT_COLUMNS};
use super::{storage, SqlStore};

const COLUMNS: &str = "id, account_id, state, requested_at, finished_at, expires_at, bytes, \
     parts, media_files, error";

type Row = (
    String,
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    Option<String>,
);

fn export(
    (id, account, state, requested, finished, expires, bytes, parts, media_files, error): Row,
) -> Result<ExportRecord> {
    Ok(ExportRecord {
        id,
        account_id: AccountId(account),
        state: ExportState::parse(&state)?,
        requested_at: Timestamp(requested),
        finished_at: finished.map(Timestamp),
        expires_at: expires.map(Timestamp),
        bytes,
        parts,
        media_files,
        error,
    })
}

#[async_trait]
impl ExportStore for SqlStore {
    async fn insert_export(&self, e: &ExportRecord) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO exports (id, account_id, state, requested_at, finished_at, expires_at, \
                 bytes, parts, media_files, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&e.id)
            .bind(e.account_id.0)
            .bind(e.state.as_str())
            .bind(e.requested_at.ms())
            .bind(e.finished_at.map(|t| t.ms()))
            .bind(e.expires_at.map(|t| t.ms()))
            .bind(e.bytes)
            .bind(e.parts)
            .bind(e.media_files)
            .bind(&e.error)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn export(&self, id: &str) -> Result<Option<ExportRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = $1");
        let row: Option<Row> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(export).transpose()
    }

    async fn exports_of(&self, account: AccountId) -> Result<Vec<ExportRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM exports WHERE account_id = $1 ORDER BY requested_at DESC, id"
        );
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter().map(export).collect()
    }

    async fn claim_export(
        &self,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Option<ExportRecord>> {
        const CLAIMABLE: &str = "(state = 'pending' OR (state = 'running' \
             AND (lease_until IS NULL OR lease_until <= $2)))";
        // PostgreSQL: instances racing skip a row another is claiming and
        // take the next; the outer condition re-checks the row once locked.
        // SQLite has one writer, so the statement alone is enough.
        let lock = if self.is_sqlite() {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "UPDATE exports SET state = 'running', claimed_by = $1, lease_until = $3 \
             WHERE id = (SELECT id FROM exports WHERE {CLAIMABLE} \
               ORDER BY requested_at, id LIMIT 1{lock}) AND {CLAIMABLE} \
             RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db_write!(&self.db, p => sqlx::query_as(&sql)
            .bind(holder)
            .bind(now.ms())
            .bind(until.ms())
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(export).transpose()
    }

    async fn renew_export_lease(&self, id: &str, holder: &str, until: Timestamp) -> Result<bool> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE exports SET lease_until = $1 \
                 WHERE id = $2 AND claimed_by = $3 AND state = 'running'")
            .bind(until.ms())
            .bind(id)
            .bind(holder)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn release_export(&self, id: &str, holder: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE exports SET state = 'pending', claimed_by = NULL, lease_until = NULL \
                 WHERE id = $1 AND claimed_by = $2 AND state = 'running'")
            .bind(id)
            .bind(holder)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn finish_export(&self, e: &ExportRecord, holder: &str) -> Result<bool> {
        Ok(self.write_export(e, Some(holder)).await? == 1)
    }

    async fn update_export(&self, e: &ExportRecord) -> Result<()> {
        self.write_export(e, None).await.map(|_| ())
    }

    async fn exports_to_expire(
        &self,
        now: Timestamp,
        failed_before: Timestamp,
    ) -> Result<Vec<ExportRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM exports WHERE (state = 'ready' AND expires_at <= $1) \
             OR (state = 'failed' AND finished_at < $2) ORDER BY requested_at, id"
        );
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(now.ms())
            .bind(failed_before.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter().map(export).collect()
    }

    async fn segments_after(
        &self,
        camera: CameraId,
        account: AccountId,
        after: (Timestamp, i64),
        limit: i64,
    ) -> Result<Vec<SegmentRecord>> {
        // start_ms >= $3 first lets the (camera_id, start_ms) index bound the scan.
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE camera_id = $1 \
             AND account_id = $2 AND start_ms >= $3 AND (start_ms > $3 OR id > $4) \
             ORDER BY start_ms, id LIMIT $5"
        );
        let rows: Vec<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(account.0)
            .bind(after.0.ms())
            .bind(after.1)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(segments(rows))
    }

    async fn events_after(
        &self,
        account: AccountId,
        after: (Timestamp, i64),
        limit: i64,
    ) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 \
             AND at_ms >= $2 AND (at_ms > $2 OR id > $3) ORDER BY at_ms, id LIMIT $4"
        );
        let rows: Vec<EventRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(account.0)
            .bind(after.0.ms())
            .bind(after.1)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Event::from).collect())
    }
}

impl SqlStore {
    /// Writes an export's outcome; with a `holder`, only while it is that
    /// holder's running export (then its lease ends). Returns rows written.
    async fn write_export(&self, e: &ExportRecord, holder: Option<&str>) -> Result<u64> {
        let sql = format!(
            "UPDATE exports SET state = $1, finished_at = $2, expires_at = $3, bytes = $4, \
             parts = $5, media_files = $6, error = $7{} WHERE id = $8{}",
            if holder.is_some() {
                ", lease_until = NULL"
            } else {
                ""
            },
            if holder.is_some() {
                " AND claimed_by = $9 AND state = 'running'"
            } else {
                ""
            },
        );
        on_db_write!(&self.db, p => {
            let q = sqlx::query(&sql)
                .bind(e.state.as_str())
                .bind(e.finished_at.map(|t| t.ms()))
                .bind(e.expires_at.map(|t| t.ms()))
                .bind(e.bytes)
                .bind(e.parts)
                .bind(e.media_files)
                .bind(&e.error)
                .bind(&e.id);
            let q = match holder {
                Some(h) => q.bind(h),
                None => q,
            };
            q.execute(p).await.map(|r| r.rows_affected()).map_err(storage)
        })
    }
}
