//! HEIC/HEIF (and AVIF, the same box layout): removing where a photo was
//! taken. Exif and XMP are items of the file-level `meta` box: `iinf` says
//! what each item is and `iloc` where its bytes lie, as absolute file
//! offsets or offsets into `idat`. Every change here is made in place and
//! keeps every length, so those offsets and the picture data they point at
//! stay exactly as they were.
//!
//! - Exif: the GPS directory of the item's TIFF block is emptied as in a
//!   JPEG, so the date and orientation stay.
//! - XMP (`mime` items of type `application/rdf+xml`): one that names a
//!   GPS position becomes an empty packet padded with spaces, still
//!   well-formed XML of the same size; one stored compressed cannot be
//!   searched, so it is blanked whatever it says.
//! - An image sequence's `moov` is walked like a clip's.
//!
//! An Exif or XMP item whose bytes cannot be reached here (protected, kept
//! in another file, or built from other items' bytes) is refused as
//! [`AlbumError::Unremovable`]; any other broken structure is
//! [`AlbumError::Damaged`].

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::{empty_gps_ifd, mentions_gps, strip_mp4, AlbumError};

mod sample;

pub use sample::heic_with_gps_exif;

fn damaged() -> AlbumError {
    AlbumError::Damaged("HEIC")
}

fn unremovable() -> AlbumError {
    AlbumError::Unremovable("HEIC photo")
}

/// Most Exif and XMP extents one `meta` may list: phones write one of
/// each, and a bound keeps a hostile list from costing memory.
const MAX_EXTENTS: usize = 1024;

/// What a located XMP packet starts with once blanked; the spaces that pad
/// it to its old size are whitespace XML allows after the root element.
const EMPTY_XMP: &[u8] = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"/>"#;

/// Removes the place from a HEIC/HEIF file in place; true when there was one.
pub(super) fn strip(bytes: &mut [u8]) -> Result<bool, AlbumError> {
    let top = children(bytes, 0..bytes.len())?;
    let mut removed = false;
    let mut found = false;
    for meta in top.iter().filter(|b| &b.kind == b"meta") {
        found = true;
        removed |= strip_meta(bytes, meta)?;
    }
    if top.iter().any(|b| &b.kind == b"moov") {
        found = true;
        removed |= strip_mp4(bytes).map_err(|_| damaged())?;
    }
    // A HEIF file keeps its pictures in one or the other.
    if !found {
        return Err(damaged());
    }
    Ok(removed)
}

/// A box: its type and the bytes after its header.
struct BoxAt {
    kind: [u8; 4],
    body: Range<usize>,
}

/// The boxes laid end to end in `within`; fewer than 8 bytes left at the
/// end are padding, as in MP4.
fn children(bytes: &[u8], within: Range<usize>) -> Result<Vec<BoxAt>, AlbumError> {
    let mut out = Vec::new();
    let mut at = within.start;
    while within.end.saturating_sub(at) >= 8 {
        let mut c = Cursor::new(bytes, at..within.end)?;
        let size32 = c.u32()?;
        let kind = c.fourcc()?;
        let size = match size32 {
            0 => within.end - at,
            1 => usize::try_from(c.uint(8)?).map_err(|_| damaged())?,
            n => usize::try_from(n).map_err(|_| damaged())?,
        };
        let end = at
            .checked_add(size)
            .filter(|&e| e <= within.end && e >= c.at)
            .ok_or_else(damaged)?;
        out.push(BoxAt {
            kind,
            body: c.at..end,
        });
        at = end;
    }
    Ok(out)
}

/// Reads big-endian fields inside one range, never past it.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], range: Range<usize>) -> Result<Self, AlbumError> {
        if range.start > range.end || range.end > bytes.len() {
            return Err(damaged());
        }
        Ok(Cursor {
            bytes,
            at: range.start,
            end: range.end,
        })
    }

    fn left(&self) -> usize {
        self.end - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], AlbumError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.end)
            .ok_or_else(damaged)?;
        let out = self.bytes.get(self.at..end).ok_or_else(damaged)?;
        self.at = end;
        Ok(out)
    }

    /// An unsigned field of `n` bytes (0 to 8; 0 reads as 0).
    fn uint(&mut self, n: u8) -> Result<u64, AlbumError> {
        if n > 8 {
            return Err(damaged());
        }
        let b = self.take(usize::from(n))?;
        Ok(b.iter().fold(0, |v, &x| (v << 8) | u64::from(x)))
    }

    fn u8(&mut self) -> Result<u8, AlbumError> {
        self.uint(1).map(|v| v as u8)
    }

    fn u16(&mut self) -> Result<u16, AlbumError> {
        self.uint(2).map(|v| v as u16)
    }

    fn u32(&mut self) -> Result<u32, AlbumError> {
        self.uint(4).map(|v| v as u32)
    }

    fn fourcc(&mut self) -> Result<[u8; 4], AlbumError> {
        let b = self.take(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    /// A NUL-terminated string; a missing terminator ends it at the box end.
    fn string(&mut self) -> Result<&'a [u8], AlbumError> {
        let rest = self.bytes.get(self.at..self.end).ok_or_else(damaged)?;
        if rest.is_empty() {
            return Err(damaged());
        }
        let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        self.at += (len + 1).min(rest.len());
        Ok(&rest[..len])
    }

    /// A FullBox header: version and flags.
    fn full_box(&mut self) -> Result<(u8, u32), AlbumError> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00FF_FFFF))
    }
}

/// An item whose bytes may say where the photo was taken.
#[derive(Debug, Clone, Copy)]
enum Tagged {
    Exif,
    Xmp { compressed: bool },
}

fn strip_meta(bytes: &mut [u8], meta: &BoxAt) -> Result<bool, AlbumError> {
    let mut c = Cursor::new(bytes, meta.body.clone())?;
    c.full_box()?;
    let boxes = children(bytes, c.at..meta.body.end)?;
    let mut tagged = HashMap::new();
    let mut ids = HashSet::new();
    for iinf in boxes.iter().filter(|b| &b.kind == b"iinf") {
        read_iinf(bytes, iinf, &mut ids, &mut tagged)?;
    }
    if tagged.is_empty() {
        return Ok(false);
    }
    let space = Space {
        file: bytes.len(),
        idat: boxes
            .iter()
            .find(|b| &b.kind == b"idat")
            .map(|b| b.body.clone()),
        local: local_references(bytes, &boxes)?,
    };
    let mut budget = Budget {
        bytes: bytes.len(),
        extents: MAX_EXTENTS,
    };
    let mut items = Vec::new();
    for iloc in boxes.iter().filter(|b| &b.kind == b"iloc") {
        read_iloc(bytes, iloc, &tagged, &space, &mut budget, &mut items)?;
    }
    let mut removed = false;
    for (tag, ranges) in items {
        let mut data = gather(bytes, &ranges)?;
        let changed = match tag {
            Tagged::Exif => empty_exif(&mut data)?,
            Tagged::Xmp { compressed } => blank_xmp(&mut data, compressed),
        };
        if changed {
            scatter(bytes, &ranges, &data)?;
            // Overlapping extents would write back what an earlier one removed.
            if gather(bytes, &ranges)? != data {
                return Err(damaged());
            }
            removed = true;
        }
    }
    Ok(removed)
}

fn read_iinf(
    bytes: &[u8],
    iinf: &BoxAt,
    ids: &mut HashSet<u32>,
    tagged: &mut HashMap<u32, Tagged>,
) -> Result<(), AlbumError> {
    let mut c = Cursor::new(bytes, iinf.body.clone())?;
    let (version, _) = c.full_box()?;
    c.take(if version == 0 { 2 } else { 4 })?;
    for infe in children(bytes, c.at..iinf.body.end)? {
        if &infe.kind != b"infe" {
            continue;
        }
        let Some((id, tag)) = read_infe(bytes, &infe)? else {
            continue;
        };
        // With two entries for one id, readers would disagree on what it is.
        if !ids.insert(id) {
            return Err(damaged());
        }
        if let Some(tag) = tag {
            tagged.insert(id, tag);
        }
    }
    Ok(())
}

/// An item's id and, if it may hold a place, what it is; None for an
/// entry version no reader knows, which names nothing a viewer would show.
fn read_infe(bytes: &[u8], infe: &BoxAt) -> Result<Option<(u32, Option<Tagged>)>, AlbumError> {
    let mut c = Cursor::new(bytes, infe.body.clone())?;
    let (version, _) = c.full_box()?;
    let (id, protected, item_type) = match version {
        // Before version 2 an item had only a MIME type.
        0 | 1 => (u32::from(c.u16()?), c.u16()? != 0, *b"mime"),
        2 => (u32::from(c.u16()?), c.u16()? != 0, c.fourcc()?),
        3 => (c.u32()?, c.u16()? != 0, c.fourcc()?),
        _ => return Ok(None),
    };
    // The item's name: some writers leave out even its terminator.
    if c.left() > 0 {
        c.string()?;
    }
    let tag = match &item_type {
        b"Exif" => Some(Tagged::Exif),
        b"mime" => {
            let content_type = c.string()?;
            let encoding = if c.left() > 0 { c.string()? } else { &[] };
            content_type
                .eq_ignore_ascii_case(b"application/rdf+xml")
                .then_some(Tagged::Xmp {
                    compressed: !encoding.is_empty(),
                })
        }
        _ => None,
    };
    // Encrypted metadata cannot be searched or edited.
    if tag.is_some() && protected {
        return Err(unremovable());
    }
    Ok(Some((id, tag)))
}

/// Which data references (`dref` entries, from 1) are this file itself.
fn local_references(bytes: &[u8], boxes: &[BoxAt]) -> Result<Vec<bool>, AlbumError> {
    let mut local = Vec::new();
    for dinf in boxes.iter().filter(|b| &b.kind == b"dinf") {
        for dref in children(bytes, dinf.body.clone())? {
            if &dref.kind != b"dref" {
                continue;
            }
            let mut c = Cursor::new(bytes, dref.body.clone())?;
            c.full_box()?;
            c.u32()?;
            for entry in children(bytes, c.at..dref.body.end)? {
                let (_, flags) = Cursor::new(bytes, entry.body)?.full_box()?;
                local.push(flags & 1 == 1);
            }
        }
    }
    Ok(local)
}

/// Where items' bytes may lie.
struct Space {
    file: usize,
    idat: Option<Range<usize>>,
    local: Vec<bool>,
}

impl Space {
    /// The bytes an item's offsets count from and must stay within.
    fn region(&self, method: u16, reference: u16) -> Result<Range<usize>, AlbumError> {
        match method {
            0 if reference == 0 => Ok(0..self.file),
            0 => match self.local.get(usize::from(reference) - 1) {
                Some(true) => Ok(0..self.file),
                Some(false) => Err(unremovable()),
                None => Err(damaged()),
            },
            1 => self.idat.clone().ok_or_else(damaged),
            // Made of other items' bytes, which the pictures share.
            2 => Err(unremovable()),
            _ => Err(damaged()),
        }
    }
}

/// What the extents of located items may still add up to.
struct Budget {
    bytes: usize,
    extents: usize,
}

impl Budget {
    fn spend(&mut self, extent: &Range<usize>) -> Result<(), AlbumError> {
        self.extents = self.extents.checked_sub(1).ok_or_else(damaged)?;
        self.bytes = self.bytes.checked_sub(extent.len()).ok_or_else(damaged)?;
        Ok(())
    }
}

/// Adds to `items` the extents of each tagged item `iloc` lists.
fn read_iloc(
    bytes: &[u8],
    iloc: &BoxAt,
    tagged: &HashMap<u32, Tagged>,
    space: &Space,
    budget: &mut Budget,
    items: &mut Vec<(Tagged, Vec<Range<usize>>)>,
) -> Result<(), AlbumError> {
    let mut c = Cursor::new(bytes, iloc.body.clone())?;
    let (version, _) = c.full_box()?;
    if version > 2 {
        return Err(damaged());
    }
    let sizes = c.u8()?;
    let more = c.u8()?;
    let (offset_size, length_size, base_size) = (sizes >> 4, sizes & 0x0F, more >> 4);
    let index_size = if version == 0 { 0 } else { more & 0x0F };
    if [offset_size, length_size, base_size, index_size]
        .iter()
        .any(|s| ![0, 4, 8].contains(s))
    {
        return Err(damaged());
    }
    let per_extent = usize::from(index_size + offset_size + length_size);
    let count = if version < 2 {
        u32::from(c.u16()?)
    } else {
        c.u32()?
    };
    for _ in 0..count {
        let id = if version < 2 {
            u32::from(c.u16()?)
        } else {
            c.u32()?
        };
        let method = if version == 0 { 0 } else { c.u16()? & 0x0F };
        let reference = c.u16()?;
        let base = c.uint(base_size)?;
        let extents = usize::from(c.u16()?);
        let Some(&tag) = tagged.get(&id) else {
            c.take(per_extent * extents)?;
            continue;
        };
        let region = space.region(method, reference)?;
        let mut ranges = Vec::new();
        for _ in 0..extents {
            c.uint(index_size)?;
            let offset = c.uint(offset_size)?;
            let length = c.uint(length_size)?;
            let range = extent(&region, base, offset, length)?;
            budget.spend(&range)?;
            ranges.push(range);
        }
        items.push((tag, ranges));
    }
    Ok(())
}

/// An extent's bytes; a length of 0 means up to the end of `region`.
fn extent(
    region: &Range<usize>,
    base: u64,
    offset: u64,
    length: u64,
) -> Result<Range<usize>, AlbumError> {
    let from = base
        .checked_add(offset)
        .and_then(|o| usize::try_from(o).ok())
        .and_then(|o| region.start.checked_add(o))
        .filter(|&f| f <= region.end)
        .ok_or_else(damaged)?;
    let to = if length == 0 {
        region.end
    } else {
        usize::try_from(length)
            .ok()
            .and_then(|l| from.checked_add(l))
            .filter(|&t| t <= region.end)
            .ok_or_else(damaged)?
    };
    Ok(from..to)
}

fn gather(bytes: &[u8], ranges: &[Range<usize>]) -> Result<Vec<u8>, AlbumError> {
    let mut out = Vec::new();
    for r in ranges {
        out.extend_from_slice(bytes.get(r.clone()).ok_or_else(damaged)?);
    }
    Ok(out)
}

fn scatter(bytes: &mut [u8], ranges: &[Range<usize>], data: &[u8]) -> Result<(), AlbumError> {
    let mut rest = data;
    for r in ranges {
        let (piece, after) = rest.split_at_checked(r.len()).ok_or_else(damaged)?;
        bytes
            .get_mut(r.clone())
            .ok_or_else(damaged)?
            .copy_from_slice(piece);
        rest = after;
    }
    Ok(())
}

/// Empties the GPS directory of an Exif item's data; true when it held entries.
fn empty_exif(data: &mut [u8]) -> Result<bool, AlbumError> {
    let head: [u8; 4] = data
        .get(..4)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(damaged)?;
    let mut tiff = usize::try_from(u32::from_be_bytes(head))
        .ok()
        .and_then(|skip| skip.checked_add(4))
        .ok_or_else(damaged)?;
    // Some writers leave the offset at 0 and still put the JPEG marker first.
    if data.get(tiff..).is_some_and(|t| t.starts_with(b"Exif\0\0")) {
        tiff += 6;
    }
    empty_gps_ifd(data.get_mut(tiff..).ok_or_else(damaged)?).ok_or_else(damaged)
}

/// Blanks an XMP item's data that names a place (or cannot be searched);
/// true when it changed.
fn blank_xmp(data: &mut [u8], compressed: bool) -> bool {
    let mut blank = vec![b' '; data.len()];
    if let Some(head) = blank.get_mut(..EMPTY_XMP.len()) {
        head.copy_from_slice(EMPTY_XMP);
    }
    if data == blank.as_slice() || (!compressed && !mentions_gps(data)) {
        return false;
    }
    data.copy_from_slice(&blank);
    true
}

#[cfg(test)]
mod tests;
