//! Storage for camvault: the domain's ports implemented on SQLite and
//! PostgreSQL (sqlx) and on blob stores (object_store).
//!
//! Both SQL backends share one implementation per aggregate: each method's
//! body is written once and compiled for each pool type by [`on_db!`], so
//! the two backends cannot drift apart. Dialect differences live only in the
//! migration folders.

#[macro_use]
mod macros;

pub mod blob;
pub mod sql;
pub mod vault;

pub use blob::object::ObjectBlobStore;
pub use blob::regional::RegionalBlobStore;
pub use blob::s3::S3Settings;
pub use sql::SqlStore;
pub use vault::FileKeyVault;
