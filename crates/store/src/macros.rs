//! The macros that write a method body once for both SQL backends.

/// Runs `$body` with `$pool` bound to the concrete pool of whichever backend
/// `$db` is, for reads. The body is compiled twice, once per pool type, which
/// is what lets one text serve SQLite and PostgreSQL (sqlx maps `$1` on both).
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::sql::Db::Sqlite { read: $pool, .. } => $body,
            $crate::sql::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_db!`] for statements that write. SQLite allows one writer at a
/// time; sending every write through a single-connection pool queues them in
/// the process instead of letting them collide on the database lock, whose
/// busy-retry sleeps would otherwise dominate write latency under load.
macro_rules! on_db_write {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::sql::Db::Sqlite { write: $pool, .. } => $body,
            $crate::sql::Db::Postgres($pool) => $body,
        }
    };
}
