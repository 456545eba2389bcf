//! The message stream between instances: a table read from the last id
//! seen, woken by NOTIFY on PostgreSQL and polled on SQLite.

use std::time::Duration;

use async_trait::async_trait;
use domain::clock::Timestamp;
use domain::ports::{ClusterStore, StoredMessage};
use domain::Result;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use super::{storage, Db, SqlStore};

/// Serialises senders on PostgreSQL, so ids commit in the order they are
/// drawn and a reader past id `n` never misses a later-committing `n - 1`.
const SEND_LOCK: i64 = 0x6361_6d63_6c75_7374; // "camclust"

/// The NOTIFY channel that wakes readers.
const CHANNEL: &str = "camvault_cluster";

#[async_trait]
impl ClusterStore for SqlStore {
    async fn send_message(&self, origin: &str, body: &str, at: Timestamp) -> Result<()> {
        const INSERT: &str =
            "INSERT INTO cluster_messages (origin, body, created_at) VALUES ($1, $2, $3)";
        match &self.db {
            // One writer at a time: ids are drawn and committed in order.
            Db::Sqlite { write, .. } => {
                sqlx::query(INSERT)
                    .bind(origin)
                    .bind(body)
                    .bind(at.ms())
                    .execute(write)
                    .await
                    .map_err(storage)?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(storage)?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(SEND_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
                sqlx::query(INSERT)
                    .bind(origin)
                    .bind(body)
                    .bind(at.ms())
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
                // Delivered at commit, after the row is visible.
                sqlx::query("SELECT pg_notify($1, '')")
                    .bind(CHANNEL)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
                tx.commit().await.map_err(storage)?;
            }
        }
        Ok(())
    }

    async fn newest_message(&self) -> Result<i64> {
        on_db!(&self.db, p => sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(id) FROM cluster_messages")
            .fetch_one(p)
            .await
            .map(|n| n.unwrap_or(0))
            .map_err(storage))
    }

    async fn messages_after(&self, after: i64, limit: i64) -> Result<Vec<StoredMessage>> {
        let rows: Vec<(i64, String, String)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, origin, body FROM cluster_messages WHERE id > $1 \
                 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(id, origin, body)| StoredMessage { id, origin, body })
            .collect())
    }

    async fn prune_messages(&self, before: Timestamp) -> Result<u64> {
        on_db_write!(&self.db, p => sqlx::query(
                "DELETE FROM cluster_messages WHERE created_at < $1")
            .bind(before.ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            .map_err(storage))
    }

    async fn message_wakeups(&self) -> Result<Option<mpsc::Receiver<()>>> {
        let Db::Postgres(pool) = &self.db else {
            return Ok(None);
        };
        let pool = pool.clone();
        let mut listener = PgListener::connect_with(&pool).await.map_err(storage)?;
        listener.listen(CHANNEL).await.map_err(storage)?;
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    // A full channel already holds a wake-up: nothing is lost.
                    Ok(Some(_)) => {
                        if tx.is_closed() {
                            return;
                        }
                        let _ = tx.try_send(());
                    }
                    // The connection dropped; the next try_recv reconnects
                    // and listens again. Messages meanwhile stay in the
                    // table, so one wake-up catches up on them.
                    Ok(None) => {
                        if tx.try_send(()).is_err() && tx.is_closed() {
                            return;
                        }
                    }
                    Err(e) => {
                        // Closing the pool (the server stopping) ends it quietly.
                        if tx.is_closed() || pool.is_closed() {
                            return;
                        }
                        tracing::warn!(error = %e, "cluster listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Some(rx))
    }
}
