//! The audit chain and its checkpoints, both backends.

use async_trait::async_trait;
use domain::audit::{AuditEntry, ChainedEntry, Checkpoint};
use domain::clock::Timestamp;
use domain::ids::AccountId;
use domain::ports::{AuditChainStore, Sealer};
use domain::Result;

use super::{storage, SqlStore};

/// Serialises appends across instances on PostgreSQL (any fixed number
/// that no other lock of this database uses).
const APPEND_LOCK: i64 = 0x6361_6d61_7564_6974; // "camaudit"

const COLUMNS: &str = "seq, actor_id, role, subject_id, action, object, reason, created_at, \
     actor_salt, actor_digest, body_salt, body_digest, prev_hash, entry_hash";

type ChainRow = (
    i64,
    Option<i64>,
    String,
    Option<i64>,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    String,
);

fn chained(r: ChainRow) -> ChainedEntry {
    let (
        seq,
        actor,
        role,
        subject,
        action,
        object,
        reason,
        at,
        a_salt,
        a_dig,
        b_salt,
        b_dig,
        prev,
        hash,
    ) = r;
    ChainedEntry {
        seq,
        entry: AuditEntry {
            actor: actor.map(AccountId),
            role,
            subject: subject.map(AccountId),
            action,
            object,
            reason,
            at: Timestamp(at),
        },
        actor_salt: a_salt,
        actor_digest: a_dig,
        body_salt: b_salt,
        body_digest: b_dig,
        prev_hash: prev,
        entry_hash: hash,
    }
}

type EntryRow = (
    Option<i64>,
    String,
    Option<i64>,
    String,
    String,
    Option<String>,
    i64,
);

fn entry(r: EntryRow) -> AuditEntry {
    let (actor, role, subject, action, object, reason, at) = r;
    AuditEntry {
        actor: actor.map(AccountId),
        role,
        subject: subject.map(AccountId),
        action,
        object,
        reason,
        at: Timestamp(at),
    }
}

const HEAD: &str = "SELECT seq, entry_hash FROM audit_entries WHERE seq IS NOT NULL \
     ORDER BY seq DESC LIMIT 1";

impl SqlStore {
    /// Reads the chain's head and writes what `seal` makes of it, as a new
    /// row or (`row`) into a row from before the chain, in one transaction
    /// that no other append can interleave with.
    async fn write_link(&self, row: Option<i64>, seal: Sealer<'_>) -> Result<i64> {
        let postgres = !self.is_sqlite();
        on_db_write!(&self.db, p => {
            let mut tx = p.begin().await.map_err(storage)?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(APPEND_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(storage)?;
            }
            let head: Option<(i64, String)> = sqlx::query_as(HEAD)
                .fetch_optional(&mut *tx)
                .await
                .map_err(storage)?;
            let c = seal(head);
            match row {
                None => {
                    let e = &c.entry;
                    sqlx::query(&format!(
                        "INSERT INTO audit_entries ({COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
                        .bind(c.seq)
                        .bind(e.actor.map(|a| a.0))
                        .bind(&e.role)
                        .bind(e.subject.map(|a| a.0))
                        .bind(&e.action)
                        .bind(&e.object)
                        .bind(&e.reason)
                        .bind(e.at.ms())
                        .bind(&c.actor_salt)
                        .bind(&c.actor_digest)
                        .bind(&c.body_salt)
                        .bind(&c.body_digest)
                        .bind(&c.prev_hash)
                        .bind(&c.entry_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(storage)?;
                }
                Some(id) => {
                    sqlx::query(
                        "UPDATE audit_entries SET seq = $1, actor_salt = $2, actor_digest = $3, \
                         body_salt = $4, body_digest = $5, prev_hash = $6, entry_hash = $7 \
                         WHERE id = $8 AND seq IS NULL")
                        .bind(c.seq)
                        .bind(&c.actor_salt)
                        .bind(&c.actor_digest)
                        .bind(&c.body_salt)
                        .bind(&c.body_digest)
                        .bind(&c.prev_hash)
                        .bind(&c.entry_hash)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(storage)?;
                }
            }
            tx.commit().await.map_err(storage)?;
            Ok(c.seq)
        })
    }
}

#[async_trait]
impl AuditChainStore for SqlStore {
    async fn append_chained(&self, seal: Sealer<'_>) -> Result<i64> {
        self.write_link(None, seal).await
    }

    async fn entries_about(&self, subject: AccountId, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<EntryRow> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT actor_id, role, subject_id, action, object, reason, created_at \
                 FROM audit_entries WHERE subject_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(subject.0)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(entry).collect())
    }

    async fn chain_after(&self, after: i64, limit: i64) -> Result<Vec<ChainedEntry>> {
        let sql =
            format!("SELECT {COLUMNS} FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows: Vec<ChainRow> = on_db!(&self.db, p => sqlx::query_as(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows.into_iter().map(chained).collect())
    }

    async fn unchained(&self, limit: i64) -> Result<Vec<(i64, AuditEntry)>> {
        let rows: Vec<(
            i64,
            Option<i64>,
            String,
            Option<i64>,
            String,
            String,
            Option<String>,
            i64,
        )> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT id, actor_id, role, subject_id, action, object, reason, created_at \
                 FROM audit_entries WHERE seq IS NULL ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(id, a, r, s, ac, o, re, at)| (id, entry((a, r, s, ac, o, re, at))))
            .collect())
    }

    async fn chain_row(&self, id: i64, seal: Sealer<'_>) -> Result<()> {
        self.write_link(Some(id), seal).await.map(|_| ())
    }

    async fn head(&self) -> Result<Option<(i64, String)>> {
        on_db!(&self.db, p => sqlx::query_as(HEAD)
            .fetch_optional(p)
            .await
            .map_err(storage))
    }

    async fn insert_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        on_db_write!(&self.db, p => sqlx::query(
                "INSERT INTO audit_checkpoints (seq, entry_hash, signed_at, public_key, signature) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING")
            .bind(c.seq)
            .bind(&c.entry_hash)
            .bind(c.signed_at.ms())
            .bind(&c.public_key)
            .bind(&c.signature)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(storage))
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows: Vec<(i64, String, i64, String, String)> = on_db!(&self.db, p => sqlx::query_as(
                "SELECT seq, entry_hash, signed_at, public_key, signature \
                 FROM audit_checkpoints ORDER BY seq")
            .fetch_all(p)
            .await
            .map_err(storage)?);
        Ok(rows
            .into_iter()
            .map(|(seq, entry_hash, at, public_key, signature)| Checkpoint {
                seq,
                entry_hash,
                signed_at: Timestamp(at),
                public_key,
                signature,
            })
            .collect())
    }
}
