//! A clip put together from its uploaded pieces without holding it whole:
//! its top-level boxes are walked a header at a time, only those that may
//! carry a place are read and cleaned, and the file is then sealed and
//! stored a window at a time with the cleaned boxes copied over it.

use media::album::{self, AlbumKind};
use media::mp4_layout::{self, MAX_HELD_BOX};

use super::files::{apply_patches, Pieces, WINDOW};
use super::{invalid_media, Album, AlbumItem, ACCOUNT_KEY, LOCATION_TAGS};
use crate::ids::AccountId;
use crate::ports::BlobWriter;
use crate::{Error, Result};

/// Bytes at the start a clip's kind is judged by.
const SNIFF: u64 = 64 * 1024;

fn sealing(e: crypto::Error) -> Error {
    Error::Storage(format!("sealing an album file: {e}"))
}

impl Album {
    /// Stores the clip the upload's pieces hold as one sealed file.
    pub(super) async fn add_clip_from(
        &self,
        who: AccountId,
        media_type: &str,
        name: Option<&str>,
        source: &Pieces,
        key: &[u8; 32],
    ) -> Result<AlbumItem> {
        let size = source.len();
        self.check_size(media_type, size)?;
        let head = source.read(0, size.min(SNIFF)).await?;
        let kind = album::check(&head, media_type).map_err(invalid_media)?;
        let keep = self.consents.allows(who, LOCATION_TAGS).await?;
        let patches = if keep {
            Vec::new()
        } else {
            location_patches(kind, source).await?
        };
        let base = self.new_blob_base(who).await?;
        let blob_key = format!("{base}.cvb");
        let mut sealer =
            crypto::blob::Sealer::new(key, ACCOUNT_KEY, crypto::blob::DEFAULT_CHUNK_LOG2, size)
                .map_err(sealing)?;
        let mut writer = self.blobs.put_parts(&blob_key).await?;
        let copied = copy_sealed(source, &patches, &mut sealer, writer.as_mut()).await;
        let finished = match copied {
            Ok(()) => match sealer.finish() {
                Ok(tail) => match writer.write(tail).await {
                    Ok(()) => writer.finish().await,
                    Err(e) => abort(writer, e).await,
                },
                Err(e) => abort(writer, sealing(e)).await,
            },
            Err(e) => abort(writer, e).await,
        };
        finished?;
        self.store_item(AlbumItem {
            id: 0,
            account_id: who,
            media_type: kind.media_type().to_string(),
            name: super::clean_name(name),
            bytes: size as i64,
            blob_key,
            thumb_key: None,
            location_kept: keep,
            created_at: self.clock.now(),
        })
        .await
    }
}

/// Gives up a half-written blob and returns the error that stopped it.
async fn abort(writer: Box<dyn BlobWriter>, e: Error) -> Result<()> {
    if let Err(failed) = writer.abort().await {
        tracing::warn!(error = %failed, "a half-written album file was not removed");
    }
    Err(e)
}

/// Seals the source a window at a time into `writer`.
async fn copy_sealed(
    source: &Pieces,
    patches: &[(u64, Vec<u8>)],
    sealer: &mut crypto::blob::Sealer,
    writer: &mut dyn BlobWriter,
) -> Result<()> {
    writer.write(sealer.header().to_vec()).await?;
    let mut at = 0;
    while at < source.len() {
        let end = (at + WINDOW).min(source.len());
        let mut plain = source.read(at, end).await?;
        apply_patches(patches, at, &mut plain);
        writer.write(sealer.push(&plain).map_err(sealing)?).await?;
        at = end;
    }
    Ok(())
}

/// The top-level boxes that carried a place, cleaned: (offset, new bytes).
/// Cleaning never changes a box's size, so nothing else in the file moves.
async fn location_patches(kind: AlbumKind, source: &Pieces) -> Result<Vec<(u64, Vec<u8>)>> {
    let size = source.len();
    let mut patches = Vec::new();
    let mut at = 0;
    // Fewer than 8 bytes cannot be a box; the whole-file path ignores them too.
    while size - at >= 8 {
        let head = source
            .read(at, (at + mp4_layout::HEADER_READ).min(size))
            .await?;
        let top = mp4_layout::top_box(&head, at, size).map_err(invalid_media)?;
        if top.may_hold_location() {
            if top.size > MAX_HELD_BOX {
                return Err(Error::InvalidMedia(format!(
                    "a {} box of {} bytes is too large to check for a location",
                    String::from_utf8_lossy(&top.kind),
                    top.size
                )));
            }
            let mut bytes = source.read(top.start, top.end()).await?;
            if album::strip_location(kind, &mut bytes).map_err(invalid_media)? {
                patches.push((top.start, bytes));
            }
        }
        at = top.end();
    }
    Ok(patches)
}
