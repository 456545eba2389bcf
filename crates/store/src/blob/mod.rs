//! Blob stores: where encrypted media lives, behind `domain::ports::BlobStore`.

pub mod local;
pub mod object;
pub mod regional;
pub mod s3;
