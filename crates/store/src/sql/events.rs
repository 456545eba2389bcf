//! Events, alert preferences and the delivery log, both backends.

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::events::motion::MotionSettings;
use domain::events::prefs::{AlertSettings, Delivery};
use domain::events::search::EventQuery;
use domain::events::{Event, Region};
use domain::ids::{AccountId, CameraId};
use domain::ports::EventStore;
use domain::Result;

use super::{storage, SqlStore};

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    camera_id: i64,
    account_id: i64,
    kind: String,
    at_ms: i64,
    score_milli: Option<i64>,
    region: Option<String>,
    labels: String,
    snapshot_key: Option<String>,
    snapshot_width: Option<i64>,
    snapshot_height: Option<i64>,
    alerted: i64,
    created_at: i64,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            camera_id: CameraId(r.camera_id),
            account_id: AccountId(r.account_id),
            kind: r.kind,
            at: Timestamp(r.at_ms),
            score: r.score_milli.map(|m| m as f64 / 1000.0),
            // Written by this code from a Region; unreadable only loses the box.
            region: r
                .region
                .and_then(|j| serde_json::from_str::<Region>(&j).ok()),
            labels: r.labels.split_whitespace().map(str::to_owned).collect(),
            snapshot_key: r.snapshot_key,
            snapshot_size: match (r.snapshot_width, r.snapshot_height) {
                (Some(w), Some(h)) => Some((w as u32, h as u32)),
                _ => None,
            },
            alerted: r.alerted != 0,
            created_at: Timestamp(r.created_at),
        }
    }
}

pub(super) const EVENT_COLUMNS: &str =
    "id, camera_id, account_id, kind, at_ms, score_milli, region, labels, \
     snapshot_key, snapshot_width, snapshot_height, alerted, created_at";

#[async_trait]
impl EventStore for SqlStore {
    async fn insert_event(&self, e: &Event) -> Result<i64> {
        let region = e
            .region
            .map(|r| serde_json::to_string(&r))
            .transpose()
            .map_err(storage)?;
        on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO events (camera_id, account_id, kind, at_ms, score_milli, region, labels, \
                 snapshot_key, snapshot_width, snapshot_height, alerted, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(e.camera_id.0)
            .bind(e.account_id.0)
            .bind(&e.kind)
            .bind(e.at.ms())
            .bind(e.score.map(|s| (s * 1000.0).round() as i64))
            .bind(region)
            .bind(e.labels.join(" "))
            .bind(&e.snapshot_key)
            .bind(e.snapshot_size.map(|(w, _)| i64::from(w)))
            .bind(e.snapshot_size.map(|(_, h)| i64::from(h)))
            .bind(i64::from(e.alerted))
            .bind(e.created_at.ms())
            .fetch_one(p)
            .await
            .map_err(storage))
    }

    async fn event(&self, id: i64) -> Result<Option<Event>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1");
        let row: Option<EventRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(Event::from))
    }

    async fn events_between(
        &self,
        camera: CameraId,
        account: AccountId,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE camera_id = $1 AND account_id = $2 \
             AND at_ms >= $3 AND at_ms < $4 ORDER BY at_ms DESC, id DESC LIMIT $5"
        );
        let rows: Vec<EventRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(account.0)
            .bind(from.ms())
            .bind(to.ms())
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Event::from).collect())
    }

    async fn set_alerted(&self, id: i64) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE events SET alerted = 1 WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn last_alert_at(&self, camera: CameraId) -> Result<Option<Timestamp>> {
        // ORDER BY … LIMIT 1 walks the partial index from its end.
        let at: Option<i64> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT created_at FROM events WHERE camera_id = $1 AND alerted = 1 \
                 ORDER BY created_at DESC LIMIT 1")
            .bind(camera.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(at.map(Timestamp))
    }

    async fn preferences(
        &self,
        account: AccountId,
        camera: CameraId,
    ) -> Result<Vec<(String, bool)>> {
        let rows: Vec<(String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT channel, enabled FROM alert_preferences WHERE account_id = $1 AND camera_id = $2")
            .bind(account.0)
            .bind(camera.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(|(c, e)| (c, e != 0)).collect())
    }

    async fn camera_preferences(&self, camera: CameraId) -> Result<Vec<(AccountId, String, bool)>> {
        let rows: Vec<(i64, String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT account_id, channel, enabled FROM alert_preferences WHERE camera_id = $1")
            .bind(camera.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(a, c, e)| (AccountId(a), c, e != 0))
            .collect())
    }

    async fn set_preference(
        &self,
        account: AccountId,
        camera: CameraId,
        channel: &str,
        enabled: bool,
    ) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO alert_preferences (account_id, camera_id, channel, enabled) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, camera_id, channel) DO UPDATE SET enabled = excluded.enabled")
            .bind(account.0)
            .bind(camera.0)
            .bind(channel)
            .bind(i64::from(enabled))
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn alert_settings(&self, account: AccountId) -> Result<Option<AlertSettings>> {
        type Row = (Option<String>, Option<String>, Option<String>, i64);
        let row: Option<Row> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT quiet_start, quiet_end, time_zone, snapshot_in_email FROM alert_settings WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(row.map(|(s, e, tz, snap)| AlertSettings {
            quiet_start: s,
            quiet_end: e,
            time_zone: tz,
            snapshot_in_email: snap != 0,
        }))
    }

    async fn save_alert_settings(&self, account: AccountId, a: &AlertSettings) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO alert_settings (account_id, quiet_start, quiet_end, time_zone, snapshot_in_email) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
                 quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, \
                 time_zone = excluded.time_zone, snapshot_in_email = excluded.snapshot_in_email")
            .bind(account.0)
            .bind(&a.quiet_start)
            .bind(&a.quiet_end)
            .bind(&a.time_zone)
            .bind(i64::from(a.snapshot_in_email))
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn log_delivery(&self, d: &Delivery) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO alert_deliveries (event_id, account_id, channel, status, detail, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(d.event_id)
            .bind(d.account_id.0)
            .bind(&d.channel)
            .bind(&d.status)
            .bind(&d.detail)
            .bind(d.at.ms())
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn cameras_with_events(&self) -> Result<Vec<(CameraId, Option<i64>)>> {
        let rows: Vec<(i64, Option<i64>)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT DISTINCT e.camera_id, c.retention_days FROM events e \
                 JOIN cameras c ON c.id = e.camera_id ORDER BY e.camera_id")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(|(c, d)| (CameraId(c), d)).collect())
    }

    async fn events_before(
        &self,
        camera: CameraId,
        before: Timestamp,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE camera_id = $1 AND at_ms < $2 \
             ORDER BY at_ms, id LIMIT $3"
        );
        let rows: Vec<EventRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(before.ms())
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(Event::from).collect())
    }

    async fn delete_events(&self, ids: &[i64]) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            for id in ids {
                sqlx::query("DELETE FROM events WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)
        })
    }

    async fn search_events(&self, q: &EventQuery) -> Result<Vec<Event>> {
        if q.scope.is_empty() {
            return Ok(Vec::new());
        }
        // Built from placeholders only: every value is bound, never spliced.
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE (");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let scope: Vec<String> = q
            .scope
            .iter()
            .map(|_| format!("(camera_id = {} AND account_id = {})", next(), next()))
            .collect();
        sql.push_str(&scope.join(" OR "));
        sql.push_str(&format!(") AND at_ms >= {} AND at_ms < {}", next(), next()));
        if !q.kinds.is_empty() {
            let kinds: Vec<String> = q.kinds.iter().map(|_| next()).collect();
            sql.push_str(&format!(" AND kind IN ({})", kinds.join(", ")));
        }
        if q.label.is_some() {
            // Labels are space-separated; pad so only whole words match.
            sql.push_str(&format!(" AND (' ' || labels || ' ') LIKE {}", next()));
        }
        if q.text.is_some() {
            let mut alts = vec![format!("labels LIKE {}", next())];
            if !q.named.is_empty() {
                let named: Vec<String> = q.named.iter().map(|_| next()).collect();
                alts.push(format!("camera_id IN ({})", named.join(", ")));
            }
            sql.push_str(&format!(" AND ({})", alts.join(" OR ")));
        }
        if q.before.is_some() {
            let (a, b, c) = (next(), next(), next());
            sql.push_str(&format!(" AND (at_ms < {a} OR (at_ms = {b} AND id < {c}))"));
        }
        sql.push_str(&format!(" ORDER BY at_ms DESC, id DESC LIMIT {}", next()));
        let like = |t: &str| {
            let escaped = t.replace(['%', '_'], " ");
            format!("%{escaped}%")
        };
        let rows: Vec<EventRow> = on_db!(&self.db, p => {
            let mut query = sqlx::query_as(&sql);
            for (c, a) in &q.scope {
                query = query.bind(c.0).bind(a.0);
            }
            query = query.bind(q.from.ms()).bind(q.to.ms());
            for k in &q.kinds {
                query = query.bind(k);
            }
            if let Some(l) = &q.label {
                query = query.bind(format!("% {} %", l.replace(['%', '_'], " ")));
            }
            if let Some(t) = &q.text {
                query = query.bind(like(t));
                for c in &q.named {
                    query = query.bind(c.0);
                }
            }
            if let Some((at, id)) = q.before {
                query = query.bind(at).bind(at).bind(id);
            }
            query.bind(q.limit).fetch_all(p).await.map_err(storage)?
        });
        Ok(rows.into_iter().map(Event::from).collect())
    }

    async fn add_search(&self, account: AccountId, text: &str, now: Timestamp) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query("DELETE FROM search_history WHERE account_id = $1 AND query = $2")
                .bind(account.0)
                .bind(text)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            sqlx::query("INSERT INTO search_history (account_id, query, created_at) VALUES ($1, $2, $3)")
                .bind(account.0)
                .bind(text)
                .bind(now.ms())
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            // Only the newest 50 are ever offered; keep no more.
            sqlx::query(
                "DELETE FROM search_history WHERE account_id = $1 AND id NOT IN \
                 (SELECT id FROM search_history WHERE account_id = $2 ORDER BY id DESC LIMIT 50)")
                .bind(account.0)
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)
        })
    }

    async fn recent_searches(&self, account: AccountId, limit: i64) -> Result<Vec<String>> {
        on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT query FROM search_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(account.0)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage))
    }

    async fn clear_searches(&self, account: AccountId) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("DELETE FROM search_history WHERE account_id = $1")
            .bind(account.0)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn search_history_enabled(&self, account: AccountId) -> Result<bool> {
        let v: Option<i64> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT history_enabled FROM search_settings WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        Ok(v.is_none_or(|v| v != 0))
    }

    async fn set_search_history(&self, account: AccountId, enabled: bool) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO search_settings (account_id, history_enabled) VALUES ($1, $2) \
                 ON CONFLICT (account_id) DO UPDATE SET history_enabled = excluded.history_enabled")
            .bind(account.0)
            .bind(i64::from(enabled))
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn motion_settings(&self, camera: CameraId) -> Result<Option<MotionSettings>> {
        let row: Option<(i64, i64, String)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT enabled, sensitivity, masked_zones FROM motion_settings WHERE camera_id = $1")
            .bind(camera.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(|(enabled, sensitivity, zones)| {
            Ok(MotionSettings {
                enabled: enabled != 0,
                sensitivity: u8::try_from(sensitivity).map_err(|_| {
                    domain::Error::Storage("motion sensitivity out of range".into())
                })?,
                masked_zones: serde_json::from_str(&zones)
                    .map_err(|e| domain::Error::Storage(format!("masked zones: {e}")))?,
            })
        })
        .transpose()
    }

    async fn save_motion_settings(&self, camera: CameraId, m: &MotionSettings) -> Result<()> {
        let zones = serde_json::to_string(&m.masked_zones)
            .map_err(|e| domain::Error::Storage(format!("masked zones: {e}")))?;
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO motion_settings (camera_id, enabled, sensitivity, masked_zones) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (camera_id) DO UPDATE SET \
                 enabled = excluded.enabled, sensitivity = excluded.sensitivity, \
                 masked_zones = excluded.masked_zones")
            .bind(camera.0)
            .bind(i64::from(m.enabled))
            .bind(i64::from(m.sensitivity))
            .bind(&zones)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn deliveries(&self, account: AccountId, limit: i64) -> Result<Vec<Delivery>> {
        type Row = (i64, i64, String, String, Option<String>, i64);
        let rows: Vec<Row> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT event_id, account_id, channel, status, detail, created_at FROM alert_deliveries \
                 WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(account.0)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(event_id, a, channel, status, detail, at)| Delivery {
                event_id,
                account_id: AccountId(a),
                channel,
                status,
                detail,
                at: Timestamp(at),
            })
            .collect())
    }
}
