//! Cameras and device tokens, both backends.

use async_trait::async_trait;
use domain::cameras::firmware::Manifest;
use domain::cameras::network::Sample;
use domain::cameras::{Camera, CameraKind, CameraSettings, DeviceFacts, RecordingMode};
use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::{CameraStore, NewDevice};
use domain::Result;

use super::{storage, taken_or_storage, SqlStore};

#[derive(sqlx::FromRow)]
struct CameraRow {
    id: i64,
    kind: String,
    source_url: Option<String>,
    serial: String,
    model: String,
    code_hash: String,
    secret_hash: String,
    owner_id: Option<i64>,
    name: Option<String>,
    recording_mode: String,
    audio: i64,
    alerts: i64,
    privacy: i64,
    schedule: String,
    settings_version: i64,
    firmware_version: Option<String>,
    time_zone: Option<String>,
    language: Option<String>,
    uptime_secs: Option<i64>,
    signal_dbm: Option<i64>,
    upload_kbps: Option<i64>,
    last_error: Option<String>,
    last_seen_at: Option<i64>,
    bound_at: Option<i64>,
}

impl TryFrom<CameraRow> for Camera {
    type Error = domain::Error;
    fn try_from(r: CameraRow) -> Result<Self> {
        let schedule = serde_json::from_str(&r.schedule).map_err(storage)?;
        Ok(Camera {
            id: CameraId(r.id),
            kind: if r.kind == "rtsp" {
                CameraKind::Rtsp
            } else {
                CameraKind::Cloud
            },
            source_url: r.source_url,
            settings: CameraSettings {
                name: r.name.unwrap_or_else(|| r.serial.clone()),
                recording_mode: RecordingMode::parse(&r.recording_mode)?,
                audio: r.audio != 0,
                alerts: r.alerts != 0,
                privacy: r.privacy != 0,
                schedule,
            },
            serial: r.serial,
            model: r.model,
            code_hash: r.code_hash,
            secret_hash: r.secret_hash,
            owner: r.owner_id.map(AccountId),
            settings_version: r.settings_version,
            facts: DeviceFacts {
                firmware_version: r.firmware_version,
                time_zone: r.time_zone,
                language: r.language,
                uptime_secs: r.uptime_secs,
                signal_dbm: r.signal_dbm,
                upload_kbps: r.upload_kbps,
                last_error: r.last_error,
                last_seen_at: r.last_seen_at.map(Timestamp),
            },
            bound_at: r.bound_at.map(Timestamp),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ManifestRow {
    model: String,
    version: String,
    url: String,
    sha256: String,
    notes: String,
    published_at: i64,
}

impl From<ManifestRow> for Manifest {
    fn from(r: ManifestRow) -> Self {
        Manifest {
            model: r.model,
            version: r.version,
            url: r.url,
            sha256: r.sha256,
            notes: r.notes,
            published_at: Timestamp(r.published_at),
        }
    }
}

const COLUMNS: &str =
    "id, kind, source_url, serial, model, code_hash, secret_hash, owner_id, name, recording_mode, \
     audio, alerts, privacy, schedule, settings_version, firmware_version, time_zone, language, \
     uptime_secs, signal_dbm, upload_kbps, last_error, last_seen_at, bound_at";

fn cameras_from(rows: Vec<CameraRow>) -> Result<Vec<Camera>> {
    rows.into_iter().map(Camera::try_from).collect()
}

#[async_trait]
impl CameraStore for SqlStore {
    async fn existing_serials(&self, serials: &[String]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        // Chunks keep the bind count under SQLite's parameter limit.
        for chunk in serials.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT serial FROM cameras WHERE serial IN ({})",
                marks.join(", ")
            );
            let rows: Vec<String> = on_db!(&self.db, p => {
                let mut q = sqlx::query_scalar(&sql);
                for s in chunk {
                    q = q.bind(s);
                }
                q.fetch_all(p).await.map_err(storage)?
            });
            found.extend(rows);
        }
        Ok(found)
    }

    async fn provision(&self, devices: &[NewDevice], update: bool, now: Timestamp) -> Result<u64> {
        let sql = if update {
            "INSERT INTO cameras (serial, model, code_hash, secret_hash, provisioned_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial) DO UPDATE SET model = excluded.model, \
             code_hash = excluded.code_hash, secret_hash = excluded.secret_hash"
        } else {
            "INSERT INTO cameras (serial, model, code_hash, secret_hash, provisioned_at) \
             VALUES ($1, $2, $3, $4, $5)"
        };
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let mut n = 0;
            for d in devices {
                n += sqlx::query(sql)
                    .bind(&d.serial)
                    .bind(&d.model)
                    .bind(&d.code_hash)
                    .bind(&d.secret_hash)
                    .bind(now.ms())
                    .execute(&mut *tx)
                    .await
                    .map_err(taken_or_storage("serial"))?
                    .rows_affected();
            }
            tx.commit().await.map_err(storage)?;
            Ok(n)
        })
    }

    async fn camera(&self, id: CameraId) -> Result<Option<Camera>> {
        let sql = format!("SELECT {COLUMNS} FROM cameras WHERE id = $1");
        let row: Option<CameraRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(Camera::try_from).transpose()
    }

    async fn camera_by_serial(&self, serial: &str) -> Result<Option<Camera>> {
        let sql = format!("SELECT {COLUMNS} FROM cameras WHERE serial = $1");
        let row: Option<CameraRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(serial)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(Camera::try_from).transpose()
    }

    async fn cameras_of_owner(&self, owner: AccountId) -> Result<Vec<Camera>> {
        let sql = format!("SELECT {COLUMNS} FROM cameras WHERE owner_id = $1 ORDER BY id");
        let rows: Vec<CameraRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(owner.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        cameras_from(rows)
    }

    async fn all_cameras(&self, limit: i64, offset: i64) -> Result<Vec<Camera>> {
        let sql = format!("SELECT {COLUMNS} FROM cameras ORDER BY id DESC LIMIT $1 OFFSET $2");
        let rows: Vec<CameraRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        cameras_from(rows)
    }

    async fn bind(
        &self,
        id: CameraId,
        owner: AccountId,
        name: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_db_write!(&self.db, p => sqlx::query(
                "UPDATE cameras SET owner_id = $1, name = $2, bound_at = $3 \
                 WHERE id = $4 AND owner_id IS NULL")
            .bind(owner.0)
            .bind(name)
            .bind(now.ms())
            .bind(id.0)
            .execute(p)
            .await
            .map_err(storage)?
            .rows_affected());
        Ok(n == 1)
    }

    async fn unbind(&self, id: CameraId, owner: AccountId) -> Result<bool> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            // Settings go back to factory defaults and every share and
            // invitation ends: the next owner starts clean.
            let n = sqlx::query(
                "UPDATE cameras SET owner_id = NULL, name = NULL, bound_at = NULL, \
                 recording_mode = 'continuous', audio = 1, alerts = 1, privacy = 0, schedule = '[]', \
                 settings_version = settings_version + 1 WHERE id = $1 AND owner_id = $2")
                .bind(id.0)
                .bind(owner.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?
                .rows_affected();
            if n == 1 {
                for sql in [
                    "DELETE FROM camera_shares WHERE camera_id = $1",
                    "DELETE FROM share_invitations WHERE camera_id = $1",
                    // An RTSP camera exists only as its owner's entry: it goes entirely.
                    "DELETE FROM cameras WHERE id = $1 AND kind = 'rtsp'",
                ] {
                    sqlx::query(sql)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(storage)?;
                }
            }
            tx.commit().await.map_err(storage)?;
            Ok(n == 1)
        })
    }

    async fn save_settings(&self, id: CameraId, s: &CameraSettings) -> Result<i64> {
        let schedule = serde_json::to_string(&s.schedule).map_err(storage)?;
        let v: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "UPDATE cameras SET name = $1, recording_mode = $2, audio = $3, alerts = $4, \
                 privacy = $5, schedule = $6, settings_version = settings_version + 1 \
                 WHERE id = $7 RETURNING settings_version")
            .bind(&s.name)
            .bind(s.recording_mode.as_str())
            .bind(i64::from(s.audio))
            .bind(i64::from(s.alerts))
            .bind(i64::from(s.privacy))
            .bind(&schedule)
            .bind(id.0)
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(v)
    }

    async fn save_facts(&self, id: CameraId, f: &DeviceFacts, keep_after: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query(
                "UPDATE cameras SET firmware_version = $1, time_zone = $2, language = $3, \
                 uptime_secs = $4, signal_dbm = $5, upload_kbps = $6, last_error = $7, \
                 last_seen_at = $8 WHERE id = $9")
                .bind(&f.firmware_version)
                .bind(&f.time_zone)
                .bind(&f.language)
                .bind(f.uptime_secs)
                .bind(f.signal_dbm)
                .bind(f.upload_kbps)
                .bind(&f.last_error)
                .bind(f.last_seen_at.map(|t| t.ms()))
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            sqlx::query(
                "INSERT INTO camera_heartbeats (camera_id, at, signal_dbm, upload_kbps) \
                 VALUES ($1, $2, $3, $4)")
                .bind(id.0)
                .bind(f.last_seen_at.map(|t| t.ms()).unwrap_or_default())
                .bind(f.signal_dbm)
                .bind(f.upload_kbps)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            // Samples live 24 hours: trimmed as new ones arrive.
            sqlx::query("DELETE FROM camera_heartbeats WHERE camera_id = $1 AND at < $2")
                .bind(id.0)
                .bind(keep_after.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(())
        })
    }

    async fn samples(&self, id: CameraId, since: Timestamp) -> Result<Vec<Sample>> {
        let rows: Vec<(i64, Option<i64>, Option<i64>)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT at, signal_dbm, upload_kbps FROM camera_heartbeats \
                 WHERE camera_id = $1 AND at >= $2 ORDER BY at, id")
            .bind(id.0)
            .bind(since.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(at, signal_dbm, upload_kbps)| Sample {
                at: Timestamp(at),
                signal_dbm,
                upload_kbps,
            })
            .collect())
    }

    async fn publish_firmware(&self, m: &Manifest) -> Result<i64> {
        let id: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO firmware_manifests (model, version, url, sha256, notes, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(&m.model)
            .bind(&m.version)
            .bind(&m.url)
            .bind(&m.sha256)
            .bind(&m.notes)
            .bind(m.published_at.ms())
            .fetch_one(p)
            .await
            .map_err(taken_or_storage("firmware version"))?);
        Ok(id)
    }

    async fn firmware_manifests(&self) -> Result<Vec<Manifest>> {
        let rows: Vec<ManifestRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT model, version, url, sha256, notes, published_at FROM firmware_manifests \
                 ORDER BY published_at DESC, id DESC")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Manifest::from).collect())
    }

    async fn firmware_for_model(&self, model: &str) -> Result<Vec<Manifest>> {
        let rows: Vec<ManifestRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT model, version, url, sha256, notes, published_at FROM firmware_manifests \
                 WHERE model = $1")
            .bind(model)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Manifest::from).collect())
    }

    async fn add_rtsp_cameras(
        &self,
        owner: AccountId,
        cameras: &[(String, String, String, Vec<u8>)],
        now: Timestamp,
    ) -> Result<Vec<CameraId>> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let mut ids = Vec::new();
            for (serial, name, url, sealed) in cameras {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cameras (kind, serial, model, code_hash, secret_hash, owner_id, name, \
                     source_url, source_sealed, provisioned_at, bound_at) \
                     VALUES ('rtsp', $1, 'RTSP camera', '', '', $2, $3, $4, $5, $6, $6) RETURNING id")
                    .bind(serial)
                    .bind(owner.0)
                    .bind(name)
                    .bind(url)
                    .bind(sealed)
                    .bind(now.ms())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(taken_or_storage("serial"))?;
                ids.push(CameraId(id));
            }
            tx.commit().await.map_err(storage)?;
            Ok(ids)
        })
    }

    async fn rtsp_source(&self, id: CameraId) -> Result<Option<Vec<u8>>> {
        let v: Option<Option<Vec<u8>>> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT source_sealed FROM cameras WHERE id = $1 AND kind = 'rtsp'")
            .bind(id.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(v.flatten())
    }

    async fn set_rtsp_source(&self, id: CameraId, url: &str, sealed: &[u8]) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "UPDATE cameras SET source_url = $1, source_sealed = $2 WHERE id = $3 AND kind = 'rtsp'")
            .bind(url)
            .bind(sealed)
            .bind(id.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn create_device_token(
        &self,
        id: CameraId,
        token_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            // Expired tokens of this camera go as new ones come: no sweeper needed.
            sqlx::query("DELETE FROM device_tokens WHERE camera_id = $1 AND expires_at <= $2")
                .bind(id.0)
                .bind(now.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            sqlx::query(
                "INSERT INTO device_tokens (camera_id, token_hash, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4)")
                .bind(id.0)
                .bind(token_hash)
                .bind(expires_at.ms())
                .bind(now.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(())
        })
    }

    async fn device_token(&self, token_hash: &str) -> Result<Option<(CameraId, Timestamp)>> {
        let row: Option<(i64, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT camera_id, expires_at FROM device_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|(c, e)| (CameraId(c), Timestamp(e))))
    }
}
