//! Camera shares and invitations, both backends.

use async_trait::async_trait;
use domain::accounts::contact::{Address, ContactKind};
use domain::cameras::sharing::{Invitation, Share, ShareRole};
use domain::cameras::Camera;
use domain::clock::Timestamp;
use domain::ids::{AccountId, CameraId};
use domain::ports::ShareStore;
use domain::Result;

use super::{storage, SqlStore};

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: i64,
    camera_id: i64,
    kind: String,
    value: String,
    role: String,
    expires_at: i64,
    created_at: i64,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = domain::Error;
    fn try_from(r: InvitationRow) -> Result<Self> {
        Ok(Invitation {
            id: r.id,
            camera_id: CameraId(r.camera_id),
            address: Address::from_stored(ContactKind::parse(&r.kind)?, r.value),
            role: ShareRole::parse(&r.role)?,
            expires_at: Timestamp(r.expires_at),
            created_at: Timestamp(r.created_at),
        })
    }
}

const INVITATION_COLUMNS: &str = "id, camera_id, kind, value, role, expires_at, created_at";

#[async_trait]
impl ShareStore for SqlStore {
    async fn share_role(&self, camera: CameraId, account: AccountId) -> Result<Option<ShareRole>> {
        let role: Option<String> = on_db!(&self.db, p => sqlx::query_scalar(
                "SELECT role FROM camera_shares WHERE camera_id = $1 AND account_id = $2")
            .bind(camera.0)
            .bind(account.0)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        role.map(|r| ShareRole::parse(&r)).transpose()
    }

    async fn shared_with(&self, account: AccountId) -> Result<Vec<(Camera, ShareRole)>> {
        let rows: Vec<(i64, String)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT s.camera_id, s.role FROM camera_shares s JOIN cameras c ON c.id = s.camera_id \
                 WHERE s.account_id = $1 AND c.owner_id IS NOT NULL ORDER BY s.camera_id")
            .bind(account.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        let mut out = Vec::new();
        for (camera_id, role) in rows {
            if let Some(camera) =
                domain::ports::CameraStore::camera(self, CameraId(camera_id)).await?
            {
                out.push((camera, ShareRole::parse(&role)?));
            }
        }
        Ok(out)
    }

    async fn shares_of(&self, camera: CameraId) -> Result<Vec<Share>> {
        let rows: Vec<(i64, String, String, i64)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT s.account_id, a.username, s.role, s.created_at FROM camera_shares s \
                 JOIN accounts a ON a.id = s.account_id WHERE s.camera_id = $1 ORDER BY s.created_at")
            .bind(camera.0)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter()
            .map(|(account_id, username, role, since)| {
                Ok(Share {
                    account_id: AccountId(account_id),
                    username,
                    role: ShareRole::parse(&role)?,
                    since: Timestamp(since),
                })
            })
            .collect()
    }

    async fn accept_invitation(
        &self,
        invitation: i64,
        account: AccountId,
        now: Timestamp,
    ) -> Result<()> {
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            sqlx::query(
                "INSERT INTO camera_shares (camera_id, account_id, role, created_at) \
                 SELECT camera_id, $1, role, $2 FROM share_invitations WHERE id = $3 \
                 ON CONFLICT (camera_id, account_id) DO UPDATE SET role = excluded.role")
                .bind(account.0)
                .bind(now.ms())
                .bind(invitation)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            sqlx::query("DELETE FROM share_invitations WHERE id = $1")
                .bind(invitation)
                .execute(&mut *tx)
                .await
                .map_err(storage)?;
            tx.commit().await.map_err(storage)?;
            Ok(())
        })
    }

    async fn delete_share(&self, camera: CameraId, account: AccountId) -> Result<bool> {
        let n = on_db_write!(&self.db, p => sqlx::query(
                "DELETE FROM camera_shares WHERE camera_id = $1 AND account_id = $2")
            .bind(camera.0)
            .bind(account.0)
            .execute(p)
            .await
            .map_err(storage)?
            .rows_affected());
        Ok(n > 0)
    }

    async fn create_invitation(&self, inv: &Invitation) -> Result<i64> {
        let id: i64 = on_db_write!(&self.db, p => sqlx::query_scalar(
                "INSERT INTO share_invitations (camera_id, kind, value, role, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(inv.camera_id.0)
            .bind(inv.address.kind().as_str())
            .bind(inv.address.expose())
            .bind(inv.role.as_str())
            .bind(inv.expires_at.ms())
            .bind(inv.created_at.ms())
            .fetch_one(p)
            .await
            .map_err(storage)?);
        Ok(id)
    }

    async fn invitation(&self, id: i64) -> Result<Option<Invitation>> {
        let sql = format!("SELECT {INVITATION_COLUMNS} FROM share_invitations WHERE id = $1");
        let row: Option<InvitationRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await
            .map_err(storage)?);
        row.map(Invitation::try_from).transpose()
    }

    async fn invitations_of(&self, camera: CameraId, now: Timestamp) -> Result<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM share_invitations \
             WHERE camera_id = $1 AND expires_at > $2 ORDER BY id"
        );
        let rows: Vec<InvitationRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(camera.0)
            .bind(now.ms())
            .fetch_all(p)
            .await
            .map_err(storage)?);
        rows.into_iter().map(Invitation::try_from).collect()
    }

    async fn invitations_to(
        &self,
        addresses: &[Address],
        now: Timestamp,
    ) -> Result<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM share_invitations \
             WHERE kind = $1 AND value = $2 AND expires_at > $3 ORDER BY id"
        );
        let mut out = Vec::new();
        for a in addresses {
            let rows: Vec<InvitationRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
                .bind(a.kind().as_str())
                .bind(a.expose())
                .bind(now.ms())
                .fetch_all(p)
                .await
                .map_err(storage)?);
            for r in rows {
                out.push(Invitation::try_from(r)?);
            }
        }
        Ok(out)
    }

    async fn delete_invitation(&self, id: i64) -> Result<bool> {
        let n = on_db_write!(&self.db, p => sqlx::query("DELETE FROM share_invitations WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map_err(storage)?
            .rows_affected());
        Ok(n > 0)
    }
}
