//! The hand-written ISO-BMFF box walker and a bounds-checked field reader.
//!
//! Nothing here indexes a slice directly or does unchecked arithmetic: every
//! read goes through `get`/`checked_*` and turns a short buffer into
//! [`Fmp4Error::Truncated`]. Offsets are absolute (from the start of the bytes
//! handed to the public parser) so errors point at the right byte.

use super::{Fmp4Error, FourCc, MAX_BOXES};

/// Counts boxes across one parse so a hostile input cannot make us walk
/// millions of tiny boxes.
#[derive(Debug)]
pub(crate) struct Budget {
    boxes: usize,
}

impl Budget {
    pub(crate) fn new() -> Self {
        Budget { boxes: 0 }
    }

    fn take_box(&mut self) -> Result<(), Fmp4Error> {
        self.boxes = self.boxes.saturating_add(1);
        if self.boxes > MAX_BOXES {
            return Err(Fmp4Error::TooManyBoxes { limit: MAX_BOXES });
        }
        Ok(())
    }
}

/// One box: its type, where it starts, and its payload (after the header).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mp4Box<'a> {
    pub(crate) kind: FourCc,
    /// Absolute offset of the first header byte.
    pub(crate) offset: u64,
    /// Absolute offset of the first payload byte.
    pub(crate) payload_offset: u64,
    pub(crate) payload: &'a [u8],
}

impl<'a> Mp4Box<'a> {
    /// A reader over the payload, naming this box in truncation errors.
    pub(crate) fn reader(&self, context: &'static str) -> Reader<'a> {
        Reader::new(self.payload, self.payload_offset, context)
    }

    /// Iterates the child boxes of a container box.
    pub(crate) fn children(&self) -> BoxIter<'a> {
        BoxIter::new(self.payload, self.payload_offset)
    }
}

/// Walks the boxes laid end to end in `data`.
#[derive(Debug)]
pub(crate) struct BoxIter<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> BoxIter<'a> {
    /// `base` is the absolute offset of `data[0]`.
    pub(crate) fn new(data: &'a [u8], base: u64) -> Self {
        BoxIter { data, pos: 0, base }
    }

    fn abs(&self, pos: usize) -> u64 {
        self.base.saturating_add(pos as u64)
    }

    /// The next box, `None` at the end of the data.
    pub(crate) fn next_box(
        &mut self,
        budget: &mut Budget,
    ) -> Result<Option<Mp4Box<'a>>, Fmp4Error> {
        let rest = match self.data.get(self.pos..) {
            Some(r) if !r.is_empty() => r,
            _ => return Ok(None),
        };
        budget.take_box()?;
        let offset = self.abs(self.pos);
        let mut r = Reader::new(rest, offset, "box header");
        let size32 = r.u32()?;
        let kind = FourCc(r.array4()?);
        let (size, mut header_len): (u64, u64) = match size32 {
            0 => (rest.len() as u64, 8),
            1 => {
                let large = r.u64()?;
                if large < 16 {
                    return Err(Fmp4Error::BadBoxSize {
                        kind,
                        offset,
                        size: large,
                    });
                }
                (large, 16)
            }
            s if s < 8 => {
                return Err(Fmp4Error::BadBoxSize {
                    kind,
                    offset,
                    size: u64::from(s),
                })
            }
            s => (u64::from(s), 8),
        };
        if kind == FourCc(*b"uuid") {
            r.skip(16)?;
            header_len = header_len.saturating_add(16);
            if size < header_len {
                return Err(Fmp4Error::BadBoxSize { kind, offset, size });
            }
        }
        let available = rest.len() as u64;
        if size > available {
            return Err(Fmp4Error::BoxPastEnd {
                kind,
                offset,
                size,
                available,
            });
        }
        // size <= rest.len() so both fit in usize.
        let size_usize = usize::try_from(size).map_err(|_| Fmp4Error::BoxPastEnd {
            kind,
            offset,
            size,
            available,
        })?;
        let header_usize = usize::try_from(header_len).unwrap_or(usize::MAX);
        let payload = rest
            .get(header_usize..size_usize)
            .ok_or(Fmp4Error::BadBoxSize { kind, offset, size })?;
        self.pos = self.pos.saturating_add(size_usize);
        Ok(Some(Mp4Box {
            kind,
            offset,
            payload_offset: offset.saturating_add(header_len),
            payload,
        }))
    }
}

/// Reads big-endian fields from a slice, failing with
/// [`Fmp4Error::Truncated`] instead of panicking.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    context: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], base: u64, context: &'static str) -> Self {
        Reader {
            data,
            pos: 0,
            base,
            context,
        }
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Absolute offset of the next byte.
    pub(crate) fn position(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    /// The unread rest of the data.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Fmp4Error> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.data.get(self.pos..end)) {
            Some(s) => {
                self.pos = self.pos.saturating_add(n);
                Ok(s)
            }
            None => Err(Fmp4Error::Truncated {
                context: self.context,
                offset: self.position(),
                needed: n as u64,
                available: self.remaining() as u64,
            }),
        }
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), Fmp4Error> {
        self.bytes(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Fmp4Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn array4(&mut self) -> Result<[u8; 4], Fmp4Error> {
        self.array::<4>()
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Fmp4Error> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Fmp4Error> {
        Ok(u16::from_be_bytes(self.array::<2>()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Fmp4Error> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, Fmp4Error> {
        Ok(i32::from_be_bytes(self.array::<4>()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Fmp4Error> {
        Ok(u64::from_be_bytes(self.array::<8>()?))
    }

    /// A full box's version and 24-bit flags.
    pub(crate) fn full_box(&mut self) -> Result<(u8, u32), Fmp4Error> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }
}

// ------------------------------------------------- helpers for box rewriting
//
// Shared by the modules that rewrite segments (strip, split, retime): they
// copy most boxes verbatim and rebuild a few, and must turn every size or
// offset that no longer fits into an error instead of a wrap-around.

/// The error for a rebuilt box or offset that does not fit its field.
pub(crate) fn rewrite_overflow() -> Fmp4Error {
    Fmp4Error::Invalid {
        field: "rewritten segment",
        reason: "size or offset overflows",
    }
}

/// Converts an offset or length to `usize`, failing instead of truncating.
pub(crate) fn to_usize(v: u64) -> Result<usize, Fmp4Error> {
    usize::try_from(v).map_err(|_| rewrite_overflow())
}

/// The whole box (header included) as it appears in `bytes`.
pub(crate) fn raw<'a>(bytes: &'a [u8], b: &Mp4Box<'_>) -> Result<&'a [u8], Fmp4Error> {
    let start = to_usize(b.offset)?;
    let end = to_usize(
        b.payload_offset
            .checked_add(b.payload.len() as u64)
            .ok_or_else(rewrite_overflow)?,
    )?;
    bytes.get(start..end).ok_or_else(rewrite_overflow)
}

/// Length of a box's header as it was read (8, 16, or more for `uuid`).
pub(crate) fn header_size(b: &Mp4Box<'_>) -> Result<usize, Fmp4Error> {
    to_usize(
        b.payload_offset
            .checked_sub(b.offset)
            .ok_or_else(rewrite_overflow)?,
    )
}

/// Header length of a box with a payload of `payload_len` bytes as
/// [`write_box`] writes it.
pub(crate) fn header_len(payload_len: usize) -> usize {
    let fits = payload_len
        .checked_add(8)
        .is_some_and(|n| u32::try_from(n).is_ok());
    if fits {
        8
    } else {
        16
    }
}

/// Appends a box: a 32-bit size when it fits, a 64-bit `largesize` if not.
pub(crate) fn write_box(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    payload: &[u8],
) -> Result<(), Fmp4Error> {
    let hl = header_len(payload.len());
    let size = payload.len().checked_add(hl).ok_or_else(rewrite_overflow)?;
    if hl == 8 {
        let size = u32::try_from(size).map_err(|_| rewrite_overflow())?;
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(kind);
    } else {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(kind);
        let size = u64::try_from(size).map_err(|_| rewrite_overflow())?;
        out.extend_from_slice(&size.to_be_bytes());
    }
    out.extend_from_slice(payload);
    Ok(())
}

/// All boxes laid end to end in `data` (whose first byte is at `base`).
pub(crate) fn collect<'a>(
    data: &'a [u8],
    base: u64,
    budget: &mut Budget,
) -> Result<Vec<Mp4Box<'a>>, Fmp4Error> {
    let mut it = BoxIter::new(data, base);
    let mut out = Vec::new();
    while let Some(b) = it.next_box(budget)? {
        out.push(b);
    }
    Ok(out)
}

/// Overwrites `field.len()` bytes of `out` at `at`, failing if they are not
/// all inside it.
pub(crate) fn patch(out: &mut [u8], at: usize, field: &[u8]) -> Result<(), Fmp4Error> {
    let end = at.checked_add(field.len()).ok_or_else(rewrite_overflow)?;
    out.get_mut(at..end)
        .ok_or_else(rewrite_overflow)?
        .copy_from_slice(field);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_boxes_get_a_64_bit_header() {
        assert_eq!(header_len(0), 8);
        assert_eq!(header_len(usize::MAX), 16);
        let mut out = Vec::new();
        assert!(write_box(&mut out, b"free", b"ab").is_ok());
        assert_eq!(out, b"\0\0\0\x0afreeab");
    }

    #[test]
    fn patch_refuses_to_write_past_the_end() {
        let mut b = [0u8; 4];
        assert!(patch(&mut b, 2, &[1, 2]).is_ok());
        assert_eq!(b, [0, 0, 1, 2]);
        assert!(patch(&mut b, 3, &[1, 2]).is_err());
        assert!(patch(&mut b, usize::MAX, &[1]).is_err());
    }
}
