//! The SQL store: connection, migrations and error mapping.

mod accounts;
mod album;
mod audit;
mod billing;
mod breach;
mod cameras;
mod claims;
mod closures;
mod cluster;
mod codes;
mod consents;
mod events;
mod exports;
mod external_identities;
mod guardians;
mod job_leases;
mod keys;
mod push;
mod recordings;
mod regions;
mod request_counts;
mod requests;
mod second_factor;
mod service_log;
mod sessions;
mod settings;
mod sharing;
mod statistics;
mod support;
mod throttles;
mod usage;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use domain::ports::IdentityStore;
use domain::Error;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite (WAL, foreign keys on): many readers, one writer.
    Sqlite {
        /// Read-only connections.
        read: SqlitePool,
        /// The single connection every write goes through.
        write: SqlitePool,
    },
    /// PostgreSQL.
    Postgres(PgPool),
}

/// The SQL implementation of every domain storage port.
#[derive(Clone, Debug)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    /// Moves everything written into the main database file (SQLite's
    /// write-ahead log is emptied), so a copy of the file is complete and
    /// nothing erased lingers in the log. PostgreSQL needs nothing.
    pub async fn checkpoint(&self) -> Result<(), Error> {
        if let Db::Sqlite { write, .. } = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(write)
                .await
                .map_err(storage)?;
        }
        Ok(())
    }

    /// Each connection pool: (name, connections open, idle), for metrics.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        match &self.db {
            Db::Sqlite { read, write } => vec![
                ("read", read.size(), read.num_idle()),
                ("write", write.size(), write.num_idle()),
            ],
            Db::Postgres(p) => vec![("main", p.size(), p.num_idle())],
        }
    }

    /// Whether this store is SQLite (one file) rather than PostgreSQL.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.db, Db::Sqlite { .. })
    }

    /// Connects to `url` (`sqlite://path` or `postgres://…`) and runs the
    /// migrations of that dialect.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(storage)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable in WAL mode except for the last commit
                // on power loss, which the WAL design accepts.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Erased rows must not linger in free pages of the file (F9).
                .pragma("secure_delete", "on")
                .busy_timeout(Duration::from_secs(5));
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts.clone())
                .await
                .map_err(storage)?;
            SQLITE_MIGRATIONS.run(&write).await.map_err(storage)?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts.read_only(true))
                .await
                .map_err(storage)?;
            Db::Sqlite { read, write }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(storage)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(storage)?;
            POSTGRES_MIGRATIONS.run(&pool).await.map_err(storage)?;
            Db::Postgres(pool)
        } else {
            return Err(Error::Storage(
                "database URL must start with sqlite: or postgres:".into(),
            ));
        };
        Ok(SqlStore { db })
    }

    /// Which backend this is ("sqlite" or "postgres").
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Every (table, column) of the schema, without the migration
    /// bookkeeping: what the data inventory must describe.
    pub async fn schema_columns(&self) -> domain::Result<Vec<(String, String)>> {
        let sql = match self.db {
            Db::Sqlite { .. } => {
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                 ORDER BY m.name, p.cid"
            }
            Db::Postgres(_) => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
                 ORDER BY table_name, ordinal_position"
            }
        };
        on_db!(&self.db, p => sqlx::query_as(sql).fetch_all(p).await.map_err(storage))
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        if let Db::Sqlite { read, .. } = &self.db {
            read.close().await;
        }
        on_db_write!(&self.db, p => p.close().await)
    }
}

#[async_trait]
impl IdentityStore for SqlStore {
    async fn ping(&self) -> domain::Result<()> {
        on_db!(&self.db, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()).map_err(storage))
    }
}

/// Maps a backend error; never includes bound values, so no personal data.
pub(crate) fn storage(e: impl std::fmt::Display) -> Error {
    let text = e.to_string();
    // PostgreSQL refuses NUL in text (SQLite stores it): whatever input
    // carried one is bad input, not a server fault.
    if text.contains("invalid byte sequence for encoding") {
        return Error::invalid("text", "must not contain NUL characters");
    }
    Error::Storage(text)
}

/// Maps a unique-constraint violation to `Taken(what)`, anything else to storage.
pub(crate) fn taken_or_storage(what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| match e.as_database_error() {
        Some(d) if d.is_unique_violation() => Error::Taken(what),
        _ => storage(e),
    }
}
