//! The top-level boxes of a whole MP4 file, read one header at a time, so a
//! clip far larger than memory can be walked by reading a few bytes at each
//! box and only the boxes that may hold a place are read whole.

use crate::album::AlbumError;

/// Bytes to read at a box's start to parse its header (a 64-bit size
/// included).
pub const HEADER_READ: u64 = 16;

/// Largest box read whole to remove a place from it: `moov` of a long
/// non-fragmented clip (its sample tables) stays far below this.
pub const MAX_HELD_BOX: u64 = 64 * 1024 * 1024;

/// One top-level box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopBox {
    /// Its four-character type.
    pub kind: [u8; 4],
    /// Offset of its first byte in the file.
    pub start: u64,
    /// Its whole size, header included.
    pub size: u64,
}

impl TopBox {
    /// Offset just past it.
    pub fn end(&self) -> u64 {
        self.start + self.size
    }

    /// Whether the box can carry where the clip was taken (`©xyz`, `loci`,
    /// or a container of them): only those need reading whole.
    pub fn may_hold_location(&self) -> bool {
        matches!(
            &self.kind,
            b"moov" | b"udta" | b"meta" | b"\xa9xyz" | b"loci"
        )
    }
}

/// Parses the header of the box at `start` from `head` (the file's bytes
/// from `start`, at least [`HEADER_READ`] of them unless the file ends
/// first); `file_len` bounds it.
pub fn top_box(head: &[u8], start: u64, file_len: u64) -> Result<TopBox, AlbumError> {
    let damaged = || AlbumError::Damaged("MP4");
    let room = file_len.checked_sub(start).ok_or_else(damaged)?;
    if head.len() < 8 {
        return Err(damaged());
    }
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let kind = [head[4], head[5], head[6], head[7]];
    let (header, size) = match size32 {
        0 => (8, room),
        1 => {
            let b: [u8; 8] = head
                .get(8..16)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(damaged)?;
            (16, u64::from_be_bytes(b))
        }
        n => (8, u64::from(n)),
    };
    if size < header || size > room {
        return Err(damaged());
    }
    Ok(TopBox { kind, start, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_size_form_are_read_and_bounded() {
        let b = top_box(b"\0\0\0\x10ftypisom\0\0\0\0", 0, 100).unwrap();
        assert_eq!((b.kind, b.size, b.end()), (*b"ftyp", 16, 16));
        assert!(!b.may_hold_location());
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&40u64.to_be_bytes());
        assert_eq!(top_box(&large, 10, 50).unwrap().size, 40);
        assert!(top_box(&large, 11, 50).is_err());
        let to_end = top_box(b"\0\0\0\0moov", 20, 70).unwrap();
        assert_eq!(to_end.size, 50);
        assert!(to_end.may_hold_location());
        assert!(top_box(b"\0\0\0\x04free", 0, 100).is_err());
        assert!(top_box(b"\0\0\0\x01mdat\0\0", 0, 100).is_err());
        assert!(top_box(b"\0\0", 0, 100).is_err());
        assert!(top_box(b"\0\0\0\x10ftyp", 200, 100).is_err());
    }
}
