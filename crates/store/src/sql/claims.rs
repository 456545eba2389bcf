//! Ownership claims, both backends.

use async_trait::async_trait;
use domain::cameras::claims::{Claim, ClaimStatus};
use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::ClaimStore;
use domain::Result;

use super::{storage, taken_or_storage, SqlStore};

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    camera_id: i64,
    claimant_id: i64,
    note: String,
    evidence_key: Option<String>,
    evidence_type: String,
    status: String,
    reason: Option<String>,
    decided_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<ClaimRow> for Claim {
    type Error = domain::Error;
    fn try_from(r: ClaimRow) -> Result<Self> {
        let evidence_type = match r.evidence_type.as_str() {
            "image/jpeg" => "image/jpeg",
            "image/png" => "image/png",
            _ => "application/pdf",
        };
        Ok(Claim {
            id: r.id,
            camera_id: CameraId(r.camera_id),
            claimant: AccountId(r.claimant_id),
            note: r.note,
            evidence_key: r.evidence_key,
            evidence_type,
            status: ClaimStatus::parse(&r.status)?,
            reason: r.reason,
            decided_at: r.decided_at.map(Timestamp),
            created_at: Timestamp(r.created_at),
        })
    }
}

const COLUMNS: &str = "id, camera_id, claimant_id, note, evidence_key, evidence_type, status, \
     reason, decided_at, created_at";

fn claims_from(rows: Vec<ClaimRow>) -> Result<Vec<Claim>> {
    rows.into_iter().map(Claim::try_from).collect()
}

#[async_trait]
impl ClaimStore for SqlStore {
    async fn create_claim(&self, c: &Claim) -> Result<i64> {
        let id: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO ownership_claims (camera_id, claimant_id, note, evidence_type, status, created_at) \
                 VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id")
            .bind(c.camera_id.0)
            .bind(c.claimant.0)
            .bind(&c.note)
            .bind(c.evidence_type)
            .bind(c.created_at.ms())
            .fetch_one(p)
            .await
            .map_err(taken_or_storage("claim"))?);
        Ok(id)
    }

    async fn set_evidence_key(&self, id: i64, key: &str) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query("UPDATE ownership_claims SET evidence_key = $1 WHERE id = $2")
            .bind(key)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage)?);
        Ok(())
    }

    async fn claim(&self, id: i64) -> Result<Option<Claim>> {
        let sql = format!("SELECT {COLUMNS} FROM ownership_claims WHERE id = $1");
        let row: Option<ClaimRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(Claim::try_from).transpose()
    }

    async fn claims_with_status(&self, status: ClaimStatus) -> Result<Vec<Claim>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM ownership_claims WHERE status = $1 ORDER BY created_at, id"
        );
        let rows: Vec<ClaimRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(status.as_str())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        claims_from(rows)
    }

    async fn claims_of(&self, claimant: AccountId) -> Result<Vec<Claim>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM ownership_claims WHERE claimant_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<ClaimRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(claimant.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        claims_from(rows)
    }

    async fn decide_claim(
        &self,
        id: i64,
        approve: bool,
        reason: &str,
        admin: AccountId,
        camera_name: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let status = if approve { "approved" } else { "refused" };
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            let target: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE ownership_claims SET status = $1, reason = $2, decided_by = $3, decided_at = $4, \
                 evidence_key = NULL WHERE id = $5 AND status = 'pending' RETURNING camera_id, claimant_id")
                .bind(status)
                .bind(reason)
                .bind(admin.0)
                .bind(now.ms())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(storage)?;
            let Some((camera, claimant)) = target else {
                return Ok(false);
            };
            if approve {
                // The camera moves with factory settings and without the
                // previous owner's shares, invitations or device tokens.
                sqlx::query(
                    "UPDATE cameras SET owner_id = $1, name = $2, bound_at = $3, \
                     recording_mode = 'continuous', audio = 1, alerts = 1, privacy = 0, schedule = '[]', \
                     settings_version = settings_version + 1 WHERE id = $4")
                    .bind(claimant)
                    .bind(camera_name)
                    .bind(now.ms())
                    .bind(camera)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
                for sql in [
                    "DELETE FROM camera_shares WHERE camera_id = $1",
                    "DELETE FROM share_invitations WHERE camera_id = $1",
                    "DELETE FROM device_tokens WHERE camera_id = $1",
                ] {
                    sqlx::query(sql).bind(camera).execute(&mut *tx).await.map_err(storage)?;
                }
            }
            tx.commit().await.map_err(storage)?;
            Ok(true)
        })
    }
}
