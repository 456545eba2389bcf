//! Album items and uploads in progress, both backends.

use async_trait::async_trait;
use domain::album::uploads::{Upload, UploadStore};
use domain::album::{AlbumItem, AlbumStore};
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::Result;

use super::{storage, taken_or_storage, SqlStore};

type ItemRow = (
    i64,
    i64,
    String,
    Option<String>,
    i64,
    String,
    Option<String>,
    bool,
    i64,
);

const ITEM_COLUMNS: &str =
    "id, account_id, media_type, name, bytes, blob_key, thumb_key, location_kept, created_at";

fn item(r: ItemRow) -> AlbumItem {
    AlbumItem {
        id: r.0,
        account_id: AccountId(r.1),
        media_type: r.2,
        name: r.3,
        bytes: r.4,
        blob_key: r.5,
        thumb_key: r.6,
        location_kept: r.7,
        created_at: Timestamp(r.8),
    }
}

#[async_trait]
impl AlbumStore for SqlStore {
    async fn insert_album_item(&self, i: &AlbumItem) -> Result<i64> {
        on_db_write!(&self.db, db => sqlx::query_scalar(
                "INSERT INTO album_items (account_id, media_type, name, bytes, blob_key, \
                 thumb_key, location_kept, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING id")
            .bind(i.account_id.0)
            .bind(&i.media_type)
            .bind(&i.name)
            .bind(i.bytes)
            .bind(&i.blob_key)
            .bind(&i.thumb_key)
            .bind(i.location_kept)
            .bind(i.created_at.ms())
            .fetch_one(db)
            .await
            .map_err(storage))
    }

    async fn album_items(&self, account: AccountId) -> Result<Vec<AlbumItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM album_items WHERE account_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<ItemRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(account.0)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(item).collect())
    }

    async fn album_item(&self, account: AccountId, id: i64) -> Result<Option<AlbumItem>> {
        let sql =
            format!("SELECT {ITEM_COLUMNS} FROM album_items WHERE account_id = $1 AND id = $2");
        let row: Option<ItemRow> = on_db!(&self.db, db => sqlx::query_as(&sql)
            .bind(account.0)
            .bind(id)
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.map(item))
    }

    async fn delete_album_item(&self, account: AccountId, id: i64) -> Result<bool> {
        on_db_write!(&self.db, db => sqlx::query(
                "DELETE FROM album_items WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .execute(db)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }
}

type UploadRow = (String, i64, String, Option<String>, i64, i64, i64);

#[async_trait]
impl UploadStore for SqlStore {
    async fn insert_upload(&self, u: &Upload) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query(
                "INSERT INTO album_uploads (id, account_id, media_type, name, size, received, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
            .bind(&u.id)
            .bind(u.account_id.0)
            .bind(&u.media_type)
            .bind(&u.name)
            .bind(u.size)
            .bind(u.received)
            .bind(u.created_at.ms())
            .execute(db)
            .await
            .map(|_| ())
            .map_err(taken_or_storage("upload")))
    }

    async fn upload(&self, account: AccountId, id: &str) -> Result<Option<Upload>> {
        let row: Option<UploadRow> = on_db!(&self.db, db => sqlx::query_as(
                "SELECT id, account_id, media_type, name, size, received, created_at \
                 FROM album_uploads WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .fetch_optional(db)
            .await
            .map_err(storage)?);
        Ok(row.map(upload_of))
    }

    async fn advance_upload(&self, id: &str, from: i64, to: i64, now: Timestamp) -> Result<bool> {
        on_db_write!(&self.db, db => sqlx::query(
                "UPDATE album_uploads SET received = $1, updated_at = $2 \
                 WHERE id = $3 AND received = $4")
            .bind(to)
            .bind(now.ms())
            .bind(id)
            .bind(from)
            .execute(db)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(storage))
    }

    async fn idle_uploads(&self, before: Timestamp, limit: i64) -> Result<Vec<Upload>> {
        let rows: Vec<UploadRow> = on_db!(&self.db, db => sqlx::query_as(
                "SELECT id, account_id, media_type, name, size, received, created_at \
                 FROM album_uploads WHERE updated_at < $1 ORDER BY updated_at LIMIT $2")
            .bind(before.ms())
            .bind(limit)
            .fetch_all(db)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(upload_of).collect())
    }

    async fn delete_upload(&self, id: &str) -> Result<()> {
        on_db_write!(&self.db, db => sqlx::query("DELETE FROM album_uploads WHERE id = $1")
            .bind(id)
            .execute(db)
            .await
            .map(|_| ())
            .map_err(storage))
    }
}

fn upload_of(r: UploadRow) -> Upload {
    Upload {
        id: r.0,
        account_id: AccountId(r.1),
        media_type: r.2,
        name: r.3,
        size: r.4,
        received: r.5,
        created_at: Timestamp(r.6),
    }
}
