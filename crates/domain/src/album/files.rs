//! An upload's pieces read as one file, a range at a time, so a clip far
//! larger than memory is put together without ever being held whole.

use std::sync::Arc;

use crate::ports::BlobStore;
pub use crate::sealed::SealedFile;
use crate::{Error, Result};

/// How much plaintext is read, sealed or sent at once when a file is
/// handled in windows.
pub const WINDOW: u64 = 4 * 1024 * 1024;

/// The pieces of an upload read as one file.
pub(crate) struct Pieces {
    /// Each piece with the offset of its first byte, in order.
    parts: Vec<(u64, SealedFile)>,
    len: u64,
}

impl Pieces {
    /// Opens `keys` (sorted by offset) and checks they follow each other
    /// without gap or overlap from offset 0 to `len`.
    pub(crate) async fn open(
        blobs: &Arc<dyn BlobStore>,
        keys: &[String],
        kek: [u8; 32],
        len: u64,
    ) -> Result<Pieces> {
        let mut parts = Vec::with_capacity(keys.len());
        let mut at = 0;
        for key in keys {
            let file = SealedFile::open(blobs.clone(), key, kek, "album file").await?;
            let next = at + file.len();
            parts.push((at, file));
            at = next;
        }
        if at != len {
            return Err(Error::Storage(format!(
                "upload pieces hold {at} bytes, {len} were announced"
            )));
        }
        Ok(Pieces { parts, len })
    }

    /// The whole length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Plaintext `start..end` across the pieces.
    pub(crate) async fn read(&self, start: u64, end: u64) -> Result<Vec<u8>> {
        if start > end || end > self.len {
            return Err(Error::invalid("range", "outside the file"));
        }
        let mut out = Vec::with_capacity((end - start) as usize);
        for (offset, file) in &self.parts {
            let (from, to) = (start.max(*offset), end.min(offset + file.len()));
            if from < to {
                out.extend(file.read(from - offset, to - offset).await?);
            }
        }
        Ok(out)
    }
}

/// Copies `patches` (offset, bytes) over `window`, the file's bytes from
/// `at`, where they overlap.
pub(crate) fn apply_patches(patches: &[(u64, Vec<u8>)], at: u64, window: &mut [u8]) {
    let end = at + window.len() as u64;
    for (start, bytes) in patches {
        let (from, to) = ((*start).max(at), (start + bytes.len() as u64).min(end));
        if from < to {
            window[(from - at) as usize..(to - at) as usize]
                .copy_from_slice(&bytes[(from - start) as usize..(to - start) as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_land_only_where_they_overlap_the_window() {
        let patches = vec![(2, b"ab".to_vec()), (9, b"xyz".to_vec())];
        let mut w = *b"0123456789";
        apply_patches(&patches, 0, &mut w);
        assert_eq!(&w, b"01ab45678x");
        let mut w = *b"0123";
        apply_patches(&patches, 8, &mut w);
        assert_eq!(&w, b"0xyz");
        let mut w = *b"01";
        apply_patches(&patches, 12, &mut w);
        assert_eq!(&w, b"01");
        let mut w = *b"0";
        apply_patches(&patches, 3, &mut w);
        assert_eq!(&w, b"b");
    }
}
