//! The album (C5).

use super::DataClass::{Content, Identity, Technical};
use super::LegalBasis::Contract;
use super::Purpose::Album;
use super::{col, Table};

pub(super) const TABLES: &[Table] = &[
    Table {
        name: "album_items",
        holds: "each photo and clip in your album: its type, the file name it came with, its size, where its encrypted file is, and whether its location was kept",
        purpose: Album,
        basis: Contract,
        retention: "until you delete it, or the account is erased",
        recipients: &[],
        columns: &[
            col("id", Technical),
            col("account_id", Identity),
            col("media_type", Technical),
            col("name", Content),
            col("bytes", Technical),
            col("blob_key", Technical),
            col("thumb_key", Technical),
            col("location_kept", Technical),
            col("created_at", Technical),
        ],
    },
    Table {
        name: "album_uploads",
        holds: "a large album upload under way: its type, file name, size and how much has arrived",
        purpose: Album,
        basis: Contract,
        retention: "until the upload completes, or a day after its last piece if it never does",
        recipients: &[],
        columns: &[
            col("id", Technical),
            col("account_id", Identity),
            col("media_type", Technical),
            col("name", Content),
            col("size", Technical),
            col("received", Technical),
            col("created_at", Technical),
            col("updated_at", Technical),
        ],
    },
];
