//! The recording index: inits, segments and event windows, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::RecordingStore;
use domain::recordings::uploads::UploadTally;
use domain::recordings::{EventWindow, InitRecord, NewSegment, SegmentRecord, SegmentSlot};
use domain::Result;

use super::{storage, taken_or_storage, SqlStore};

#[derive(sqlx::FromRow)]
struct InitRow {
    id: i64,
    camera_id: i64,
    account_id: i64,
    sha256: String,
    has_audio: i64,
    video_codec: String,
    width: Option<i64>,
    height: Option<i64>,
    blob_key: String,
    key_id: String,
    created_at: i64,
}

impl From<InitRow> for InitRecord {
    fn from(r: InitRow) -> Self {
        InitRecord {
            id: r.id,
            camera_id: CameraId(r.camera_id),
            account_id: AccountId(r.account_id),
            sha256: r.sha256,
            has_audio: r.has_audio != 0,
            video_codec: r.video_codec,
            width: r.width,
            height: r.height,
            blob_key: r.blob_key,
            key_id: r.key_id,
            created_at: Timestamp(r.created_at),
        }
    }
}

const INIT_COLUMNS: &str = "id, camera_id, account_id, sha256, has_audio, video_codec, width, \
     height, blob_key, key_id, created_at";

#[derive(sqlx::FromRow)]
pub(super) struct SegmentRow {
    id: i64,
    camera_id: i64,
    account_id: i64,
    init_id: i64,
    device_id: String,
    start_ms: i64,
    end_ms: i64,
    bytes: i64,
    stored_bytes: i64,
    keyframes: String,
    has_audio: i64,
    blob_key: String,
    key_id: String,
    missing: i64,
    created_at: i64,
}

impl From<SegmentRow> for SegmentRecord {
    fn from(r: SegmentRow) -> Self {
        SegmentRecord {
            id: r.id,
            segment: NewSegment {
                camera_id: CameraId(r.camera_id),
                account_id: AccountId(r.account_id),
                init_id: r.init_id,
                device_id: r.device_id,
                start: Timestamp(r.start_ms),
                end: Timestamp(r.end_ms),
                bytes: r.bytes,
                stored_bytes: r.stored_bytes,
                // Written by this code from a Vec<(i64, i64)>; an unreadable
                // value only loses seek hints, never the recording.
                keyframes: serde_json::from_str(&r.keyframes).unwrap_or_default(),
                has_audio: r.has_audio != 0,
                blob_key: r.blob_key,
                key_id: r.key_id,
                created_at: Timestamp(r.created_at),
            },
            missing: r.missing != 0,
        }
    }
}

pub(super) const SEGMENT_COLUMNS: &str =
    "id, camera_id, account_id, init_id, device_id, start_ms, end_ms, \
     bytes, stored_bytes, keyframes, has_audio, blob_key, key_id, missing, created_at";

pub(super) fn segments(rows: Vec<SegmentRow>) -> Vec<SegmentRecord> {
    rows.into_iter().map(SegmentRecord::from).collect()
}

#[async_trait]
impl RecordingStore for SqlStore {
    async fn insert_init(&self, i: &InitRecord) -> Result<i64> {
        on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO recording_inits (camera_id, account_id, sha256, has_audio, video_codec, \
                 width, height, blob_key, key_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
            .bind(i.camera_id.0)
            .bind(i.account_id.0)
            .bind(&i.sha256)
            .bind(i64::from(i.has_audio))
            .bind(&i.video_codec)
            .bind(i.width)
            .bind(i.height)
            .bind(&i.blob_key)
            .bind(&i.key_id)
            .bind(i.created_at.ms())
            .fetch_one(p)
            .await
            .map_err(taken_or_storage("init")))
    }

    async fn init_by_hash(
        &self,
        camera: CameraId,
        sha256: &str,
        has_audio: bool,
    ) -> Result<Option<InitRecord>> {
        let sql = format!(
            "SELECT {INIT_COLUMNS} FROM recording_inits WHERE camera_id = $1 AND sha256 = $2 AND has_audio = $3"
        );
        let row: Option<InitRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(sha256)
            .bind(i64::from(has_audio))
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(InitRecord::from))
    }

    async fn init(&self, id: i64) -> Result<Option<InitRecord>> {
        let sql = format!("SELECT {INIT_COLUMNS} FROM recording_inits WHERE id = $1");
        let row: Option<InitRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(InitRecord::from))
    }

    async fn latest_init(&self, camera: CameraId) -> Result<Option<InitRecord>> {
        let sql = format!(
            "SELECT {INIT_COLUMNS} FROM recording_inits WHERE camera_id = $1 ORDER BY id DESC LIMIT 1"
        );
        let row: Option<InitRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(InitRecord::from))
    }

    async fn insert_segment(&self, s: &NewSegment) -> Result<i64> {
        let keyframes = serde_json::to_string(&s.keyframes).map_err(storage)?;
        on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO recording_segments (camera_id, account_id, init_id, device_id, start_ms, \
                 end_ms, bytes, stored_bytes, keyframes, has_audio, blob_key, key_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(s.camera_id.0)
            .bind(s.account_id.0)
            .bind(s.init_id)
            .bind(&s.device_id)
            .bind(s.start.ms())
            .bind(s.end.ms())
            .bind(s.bytes)
            .bind(s.stored_bytes)
            .bind(&keyframes)
            .bind(i64::from(s.has_audio))
            .bind(&s.blob_key)
            .bind(&s.key_id)
            .bind(s.created_at.ms())
            .fetch_one(p)
            .await
            .map_err(taken_or_storage("segment")))
    }

    async fn segment_by_device_id(
        &self,
        camera: CameraId,
        device_id: &str,
    ) -> Result<Option<SegmentRecord>> {
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE camera_id = $1 AND device_id = $2"
        );
        let row: Option<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(device_id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(SegmentRecord::from))
    }

    async fn segment(&self, id: i64) -> Result<Option<SegmentRecord>> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE id = $1");
        let row: Option<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(SegmentRecord::from))
    }

    async fn latest_segment(&self, camera: CameraId) -> Result<Option<SegmentRecord>> {
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE camera_id = $1 \
             ORDER BY start_ms DESC, id DESC LIMIT 1"
        );
        let row: Option<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(SegmentRecord::from))
    }

    async fn segments_between(
        &self,
        camera: CameraId,
        account: AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SegmentRecord>> {
        // start_ms > from - 1 h lets the time index bound the scan: no
        // segment lasts longer than a few seconds.
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE camera_id = $1 AND account_id = $2 \
             AND start_ms < $3 AND end_ms > $4 AND start_ms > $5 ORDER BY start_ms, id"
        );
        let rows: Vec<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(account.0)
            .bind(to.ms())
            .bind(from.ms())
            .bind(from.ms() - 3_600_000)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(segments(rows))
    }

    async fn segment_slots_between(
        &self,
        camera: CameraId,
        account: AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SegmentSlot>> {
        let rows: Vec<(i64, i64, i64, i64, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, init_id, has_audio, start_ms, end_ms FROM recording_segments \
                 WHERE camera_id = $1 AND account_id = $2 AND start_ms < $3 AND end_ms > $4 \
                 AND start_ms > $5 AND missing = 0 ORDER BY start_ms, id")
            .bind(camera.0)
            .bind(account.0)
            .bind(to.ms())
            .bind(from.ms())
            .bind(from.ms() - 3_600_000)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(id, init_id, audio, start, end)| SegmentSlot {
                id,
                init_id,
                has_audio: audio != 0,
                start: Timestamp(start),
                end: Timestamp(end),
            })
            .collect())
    }

    async fn segments_before(
        &self,
        camera: CameraId,
        before: Timestamp,
        limit: i64,
    ) -> Result<Vec<SegmentRecord>> {
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE camera_id = $1 AND start_ms < $2 \
             ORDER BY start_ms, id LIMIT $3"
        );
        let rows: Vec<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(before.ms())
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(segments(rows))
    }

    async fn oldest_segments_of_account(
        &self,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<SegmentRecord>> {
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM recording_segments WHERE account_id = $1 \
             ORDER BY start_ms, id LIMIT $2"
        );
        let rows: Vec<SegmentRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(account.0)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(segments(rows))
    }

    async fn delete_segments(&self, ids: &[i64]) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for id in ids {
                sqlx::query("DELETE FROM recording_segments WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }

    async fn account_usage(&self, account: AccountId) -> Result<u64> {
        let n: Option<i64> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT CAST(SUM(stored_bytes) AS BIGINT) FROM recording_segments WHERE account_id = $1")
            .bind(account.0)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    async fn indexed_blob_keys(&self) -> Result<Vec<String>> {
        on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT blob_key FROM recording_segments UNION ALL SELECT blob_key FROM recording_inits")
            .fetch_all(p)
            .await
            .map_err(storage))
    }

    async fn flag_missing(&self, blob_keys: &[String]) -> Result<u64> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let mut n = 0;
            for key in blob_keys {
                n += sqlx::query("UPDATE recording_segments SET missing = 1 WHERE blob_key = $1 AND missing = 0")
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?
                    .rows_affected();
            }
            tx.commit().await.map_err(storage)?;
            Ok(n)
        })
    }

    async fn insert_event_window(&self, w: &EventWindow) -> Result<i64> {
        on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO event_windows (camera_id, start_ms, end_ms) \
                 VALUES ($1, $2, $3) RETURNING id")
            .bind(w.camera_id.0)
            .bind(w.start.ms())
            .bind(w.end.ms())
            .fetch_one(p)
            .await
            .map_err(storage))
    }

    async fn event_windows(
        &self,
        camera: CameraId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<EventWindow>> {
        let rows: Vec<(i64, i64, i64, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, camera_id, start_ms, end_ms FROM event_windows \
                 WHERE camera_id = $1 AND start_ms < $2 AND end_ms > $3 ORDER BY start_ms")
            .bind(camera.0)
            .bind(to.ms())
            .bind(from.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(id, c, s, e)| EventWindow {
                id,
                camera_id: CameraId(c),
                start: Timestamp(s),
                end: Timestamp(e),
            })
            .collect())
    }

    async fn cameras_with_recordings(&self) -> Result<Vec<(CameraId, AccountId, Option<i64>)>> {
        let rows: Vec<(i64, i64, Option<i64>)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT DISTINCT s.camera_id, s.account_id, c.retention_days FROM recording_segments s \
                 JOIN cameras c ON c.id = s.camera_id ORDER BY s.camera_id")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(c, a, d)| (CameraId(c), AccountId(a), d))
            .collect())
    }

    async fn accounts_with_recordings(&self) -> Result<Vec<AccountId>> {
        let rows: Vec<i64> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT DISTINCT account_id FROM recording_segments ORDER BY account_id")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(AccountId).collect())
    }

    async fn add_upload_stats(&self, tallies: &[(CameraId, i64, UploadTally)]) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for (camera, hour, t) in tallies {
                sqlx::query(
                    "INSERT INTO upload_stats (camera_id, hour_ms, uploads, failures, refused, \
                     latency_ms_sum, latency_ms_max) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (camera_id, hour_ms) DO UPDATE SET \
                     uploads = upload_stats.uploads + excluded.uploads, \
                     failures = upload_stats.failures + excluded.failures, \
                     refused = upload_stats.refused + excluded.refused, \
                     latency_ms_sum = upload_stats.latency_ms_sum + excluded.latency_ms_sum, \
                     latency_ms_max = CASE WHEN excluded.latency_ms_max > upload_stats.latency_ms_max \
                         THEN excluded.latency_ms_max ELSE upload_stats.latency_ms_max END")
                    .bind(camera.0)
                    .bind(hour)
                    .bind(t.uploads)
                    .bind(t.failures)
                    .bind(t.refused)
                    .bind(t.latency_ms_sum)
                    .bind(t.latency_ms_max)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }

    async fn upload_stats(
        &self,
        camera: CameraId,
        since: Timestamp,
    ) -> Result<Vec<(i64, UploadTally)>> {
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT hour_ms, uploads, failures, refused, latency_ms_sum, latency_ms_max \
                 FROM upload_stats WHERE camera_id = $1 AND hour_ms >= $2 ORDER BY hour_ms")
            .bind(camera.0)
            .bind(since.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(h, uploads, failures, refused, sum, max)| {
                (
                    h,
                    UploadTally {
                        uploads,
                        failures,
                        refused,
                        latency_ms_sum: sum,
                        latency_ms_max: max,
                    },
                )
            })
            .collect())
    }

    async fn prune_upload_stats(&self, before: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM upload_stats WHERE hour_ms < $1")
            .bind(before.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn set_retention(&self, camera: CameraId, days: Option<i64>) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE cameras SET retention_days = $1 WHERE id = $2")
            .bind(days)
            .bind(camera.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }
}
