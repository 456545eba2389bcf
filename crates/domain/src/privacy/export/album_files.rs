//! The album's photos and clips in an export (C5, F13): each file as it is
//! stored (its place already removed unless the person consented).

use std::io::Write;

use super::archive::{media_options, zip_err, Zip};
use super::parts::PartWriter;
use super::{schema, ExportsDeps};
use crate::album::files::WINDOW;
use crate::ids::AccountId;
use crate::Result;

fn extension(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/heic" => "heic",
        _ => "mp4",
    }
}

/// Writes every album item under `album/`; returns their entries.
pub(super) async fn write(
    deps: &ExportsDeps,
    who: AccountId,
    zip: &mut Zip,
    out: &mut PartWriter,
) -> Result<Vec<schema::AlbumEntry>> {
    let mut written = Vec::new();
    for item in deps.album.list(who).await? {
        let (item, file) = match deps.album.open_file(who, item.id).await {
            Ok(found) => found,
            // Deleted since it was listed.
            Err(crate::Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let path = format!("album/{}.{}", item.id, extension(&item.media_type));
        zip.start_file(path.as_str(), media_options())
            .map_err(zip_err)?;
        // A window at a time: a long clip is never held whole.
        let mut at = 0;
        while at < file.len() {
            let end = (at + WINDOW).min(file.len());
            zip.write_all(&file.read(at, end).await?).map_err(zip_err)?;
            out.drain(false).await?;
            at = end;
        }
        written.push(schema::AlbumEntry {
            path,
            name: item.name,
            media_type: item.media_type,
            location_kept: item.location_kept,
            uploaded_at: crate::privacy::export::schema::time(item.created_at),
        });
    }
    Ok(written)
}
