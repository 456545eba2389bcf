//! The macro that writes a method body once for both SQL backends.

/// Runs `$body` with `$pool` bound to the concrete pool of whichever backend
/// `$db` is. The body is compiled twice, once per pool type, which is what
/// lets one text serve SQLite and PostgreSQL (sqlx maps `$1` on both).
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::sql::Db::Sqlite($pool) => $body,
            $crate::sql::Db::Postgres($pool) => $body,
        }
    };
}
