//! Photos and clips people upload to their album (C5): what kind of file
//! it really is, judged by its bytes rather than its claimed type, and
//! removing where it was taken (C4) before it is stored.
//!
//! Location is removed in place wherever that keeps the file valid:
//! - JPEG: the GPS directory of the Exif segment is emptied (its entries
//!   and their values zeroed, its count set to 0), so the other Exif data
//!   (date, orientation) stays; an XMP segment that names a GPS position
//!   is dropped.
//! - PNG: an `eXIf` chunk with a GPS directory, and text chunks that name
//!   a GPS position, are dropped (chunks stand alone, so nothing shifts).
//! - MP4: `©xyz` and `loci` boxes anywhere under `moov` become `free`
//!   boxes of the same size with their content zeroed, so no sample offset
//!   moves.
//! - HEIC/HEIF: the GPS directory of each Exif item is emptied the same
//!   way, and an XMP item that names a GPS position becomes an empty
//!   packet padded with spaces; both are overwritten in place, so the
//!   `iloc` offsets stay true. An Exif or XMP item whose bytes cannot be
//!   reached (protected, in another file, built from other items) makes
//!   [`strip_location`] refuse the photo.

mod heic;
mod samples;

pub use heic::heic_with_gps_exif;
pub use samples::{holds_sample_latitude, with_gps_exif, SAMPLE_LATITUDE};

use thiserror::Error;

/// What an album file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlbumKind {
    /// A JPEG photo.
    Jpeg,
    /// A PNG picture.
    Png,
    /// A HEIC/HEIF photo.
    Heic,
    /// An MP4 or QuickTime clip.
    Mp4,
}

impl AlbumKind {
    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            AlbumKind::Jpeg => "image/jpeg",
            AlbumKind::Png => "image/png",
            AlbumKind::Heic => "image/heic",
            AlbumKind::Mp4 => "video/mp4",
        }
    }

    /// Photo or clip.
    pub fn is_clip(self) -> bool {
        self == AlbumKind::Mp4
    }
}

/// Why a file cannot be taken.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AlbumError {
    /// The bytes are none of the supported kinds.
    #[error("not a JPEG, PNG, HEIC or MP4 file")]
    Unsupported,
    /// The file claims one kind and is another.
    #[error("the file is {actual}, not {claimed}")]
    Mismatch {
        /// The claimed media type.
        claimed: String,
        /// What the bytes are.
        actual: &'static str,
    },
    /// The structure is broken where location would be.
    #[error("damaged {0} file")]
    Damaged(&'static str),
    /// Location cannot be removed from this kind of file.
    #[error("the place this {0} was taken cannot be removed from it")]
    Unremovable(&'static str),
}

/// The kind the bytes are, if supported.
pub fn sniff(bytes: &[u8]) -> Option<AlbumKind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(AlbumKind::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(AlbumKind::Png);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        return match brand {
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis" | b"avif" => {
                Some(AlbumKind::Heic)
            }
            _ => Some(AlbumKind::Mp4),
        };
    }
    None
}

/// Checks the bytes are what `claimed` (a media type) says.
pub fn check(bytes: &[u8], claimed: &str) -> Result<AlbumKind, AlbumError> {
    let kind = sniff(bytes).ok_or(AlbumError::Unsupported)?;
    let claimed = claimed
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let fits = match kind {
        AlbumKind::Jpeg => claimed == "image/jpeg",
        AlbumKind::Png => claimed == "image/png",
        AlbumKind::Heic => claimed == "image/heic" || claimed == "image/heif",
        AlbumKind::Mp4 => claimed == "video/mp4" || claimed == "video/quicktime",
    };
    if !fits {
        return Err(AlbumError::Mismatch {
            claimed,
            actual: kind.media_type(),
        });
    }
    Ok(kind)
}

/// Removes the place from `bytes` of `kind`; true when there was one.
pub fn strip_location(kind: AlbumKind, bytes: &mut Vec<u8>) -> Result<bool, AlbumError> {
    match kind {
        AlbumKind::Jpeg => strip_jpeg(bytes),
        AlbumKind::Png => strip_png(bytes),
        AlbumKind::Mp4 => strip_mp4(bytes),
        AlbumKind::Heic => heic::strip(bytes),
    }
}

fn mentions_gps(text: &[u8]) -> bool {
    text.windows(11).any(|w| w == b"GPSLatitude") || text.windows(12).any(|w| w == b"GPSLongitude")
}

// ---- JPEG ----

fn strip_jpeg(bytes: &mut Vec<u8>) -> Result<bool, AlbumError> {
    let damaged = || AlbumError::Damaged("JPEG");
    let mut removed = false;
    let mut at = 2;
    let mut drop: Vec<(usize, usize)> = Vec::new();
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return Err(damaged());
        }
        let marker = bytes[at + 1];
        // Start of scan: entropy-coded data follows, no more metadata.
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        let end = at + 2 + len;
        if len < 2 || end > bytes.len() {
            return Err(damaged());
        }
        let body = at + 4..end;
        if marker == 0xE1 && bytes[body.clone()].starts_with(b"Exif\0\0") {
            let tiff = body.start + 6;
            removed |= empty_gps_ifd(&mut bytes[tiff..end]).ok_or_else(damaged)?;
        } else if marker == 0xE1
            && bytes[body.clone()].starts_with(b"http://ns.adobe.com/xap/1.0/")
            && mentions_gps(&bytes[body])
        {
            drop.push((at, end));
            removed = true;
        }
        at = end;
    }
    for (from, to) in drop.into_iter().rev() {
        bytes.drain(from..to);
    }
    Ok(removed)
}

/// Empties the GPS directory of a TIFF (Exif) block in place; true when it
/// held entries. None when the block is malformed.
fn empty_gps_ifd(tiff: &mut [u8]) -> Option<bool> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |t: &[u8], i: usize| -> Option<u16> {
        let b = [*t.get(i)?, *t.get(i + 1)?];
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |t: &[u8], i: usize| -> Option<u32> {
        let b = [*t.get(i)?, *t.get(i + 1)?, *t.get(i + 2)?, *t.get(i + 3)?];
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd0 = u32_at(tiff, 4)? as usize;
    let count = u16_at(tiff, ifd0)? as usize;
    let mut gps = None;
    for i in 0..count {
        let entry = ifd0 + 2 + i * 12;
        if u16_at(tiff, entry)? == 0x8825 {
            gps = Some(u32_at(tiff, entry + 8)? as usize);
        }
    }
    let Some(gps) = gps else {
        return Some(false);
    };
    let entries = u16_at(tiff, gps)? as usize;
    for i in 0..entries {
        let entry = gps + 2 + i * 12;
        let kind = u16_at(tiff, entry + 2)?;
        let n = u32_at(tiff, entry + 4)? as usize;
        let unit: usize = match kind {
            1 | 2 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 11 => 4,
            5 | 10 | 12 => 8,
            _ => 0,
        };
        let size = unit.checked_mul(n)?;
        if size > 4 {
            let at = u32_at(tiff, entry + 8)? as usize;
            tiff.get_mut(at..at.checked_add(size)?)?.fill(0);
        }
        tiff.get_mut(entry..entry + 12)?.fill(0);
    }
    tiff.get_mut(gps..gps + 2)?.fill(0);
    Some(entries > 0)
}

// ---- PNG ----

fn strip_png(bytes: &mut Vec<u8>) -> Result<bool, AlbumError> {
    let damaged = || AlbumError::Damaged("PNG");
    let mut at = 8;
    let mut drop = Vec::new();
    while at + 12 <= bytes.len() {
        let len =
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let end = at
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= bytes.len())
            .ok_or_else(damaged)?;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        let located = match kind {
            b"eXIf" => {
                let mut copy = data.to_vec();
                empty_gps_ifd(&mut copy).ok_or_else(damaged)?
            }
            b"tEXt" | b"iTXt" | b"zTXt" => mentions_gps(data),
            _ => false,
        };
        if located {
            drop.push((at, end));
        }
        if kind == b"IEND" {
            break;
        }
        at = end;
    }
    let removed = !drop.is_empty();
    for (from, to) in drop.into_iter().rev() {
        bytes.drain(from..to);
    }
    Ok(removed)
}

// ---- MP4 ----

/// Boxes whose payload is more boxes (`meta` after its 4 version bytes).
const CONTAINERS: [&[u8; 4]; 6] = [b"moov", b"trak", b"udta", b"meta", b"mdia", b"minf"];

fn strip_mp4(bytes: &mut [u8]) -> Result<bool, AlbumError> {
    let len = bytes.len();
    walk_mp4(bytes, 0, len, 0)
}

fn walk_mp4(bytes: &mut [u8], from: usize, to: usize, depth: u8) -> Result<bool, AlbumError> {
    let damaged = || AlbumError::Damaged("MP4");
    if depth > 8 {
        return Err(damaged());
    }
    let mut removed = false;
    let mut at = from;
    while at + 8 <= to {
        let size32 = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let kind: [u8; 4] = [bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]];
        let (header, size) = match size32 {
            0 => (8, to - at),
            1 => {
                let b = bytes.get(at + 8..at + 16).ok_or_else(damaged)?;
                let mut s = [0u8; 8];
                s.copy_from_slice(b);
                (
                    16,
                    usize::try_from(u64::from_be_bytes(s)).map_err(|_| damaged())?,
                )
            }
            n => (8, n as usize),
        };
        let end = at
            .checked_add(size)
            .filter(|&e| e <= to && size >= header)
            .ok_or_else(damaged)?;
        if &kind == b"\xa9xyz" || &kind == b"loci" {
            bytes[at + 4..at + 8].copy_from_slice(b"free");
            bytes[at + header..end].fill(0);
            removed = true;
        } else if CONTAINERS.contains(&&kind) {
            let inner = if &kind == b"meta" {
                at + header + 4
            } else {
                at + header
            };
            if inner <= end {
                removed |= walk_mp4(bytes, inner, end, depth + 1)?;
            }
        }
        at = end;
    }
    Ok(removed)
}

/// Longest side of a thumbnail, pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

/// A JPEG thumbnail of a JPEG or PNG photo, at most [`THUMBNAIL_SIDE`]
/// pixels on its longest side; None for clips, HEIC and pictures that do
/// not decode. Made from pixels only, so it carries no metadata at all.
pub fn thumbnail(kind: AlbumKind, bytes: &[u8]) -> Option<Vec<u8>> {
    let format = match kind {
        AlbumKind::Jpeg => image::ImageFormat::Jpeg,
        AlbumKind::Png => image::ImageFormat::Png,
        AlbumKind::Heic | AlbumKind::Mp4 => return None,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // A small file can claim a huge picture: bound what decoding may take.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let small = picture.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    image::DynamicImage::ImageRgb8(small)
        .write_with_encoder(encoder)
        .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small JPEG with an Exif segment whose IFD0 points at a GPS directory.
    pub(crate) fn jpeg_with_gps() -> Vec<u8> {
        with_gps_exif(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x11, 0x22, 0xFF, 0xD9])
    }

    #[test]
    fn kinds_are_judged_by_their_bytes() {
        assert_eq!(sniff(&jpeg_with_gps()), Some(AlbumKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(AlbumKind::Png));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(AlbumKind::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), Some(AlbumKind::Mp4));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(check(b"hello", "image/jpeg"), Err(AlbumError::Unsupported));
        assert!(matches!(
            check(&jpeg_with_gps(), "image/png"),
            Err(AlbumError::Mismatch { .. })
        ));
        assert_eq!(
            check(&jpeg_with_gps(), "image/jpeg; q=1"),
            Ok(AlbumKind::Jpeg)
        );
    }

    #[test]
    fn a_jpeg_loses_its_gps_values_and_keeps_its_length() {
        let mut jpeg = jpeg_with_gps();
        let before = jpeg.clone();
        assert!(strip_location(AlbumKind::Jpeg, &mut jpeg).unwrap());
        assert_eq!(jpeg.len(), before.len());
        assert!(holds_sample_latitude(&before));
        assert!(!holds_sample_latitude(&jpeg));
        // Stripping again finds nothing; damage is an error, not a panic.
        assert!(!strip_location(AlbumKind::Jpeg, &mut jpeg).unwrap());
        let mut cut = before[..20].to_vec();
        assert!(strip_location(AlbumKind::Jpeg, &mut cut).is_err());
    }

    #[test]
    fn an_mp4_location_box_becomes_free_space_of_the_same_size() {
        let xyz = b"\0\0\0\x14\xa9xyz\0\x0c\x15\xc7+48.85+002.29/".to_vec();
        let mut udta = (8 + xyz.len() as u32).to_be_bytes().to_vec();
        udta.extend_from_slice(b"udta");
        udta.extend_from_slice(&xyz[..]);
        let mut moov = (8 + udta.len() as u32).to_be_bytes().to_vec();
        moov.extend_from_slice(b"moov");
        moov.extend_from_slice(&udta);
        let mut clip = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
        clip.extend_from_slice(&moov);
        clip.extend_from_slice(b"\0\0\0\x0cmdat\x01\x02\x03\x04");
        let before = clip.clone();
        assert!(strip_location(AlbumKind::Mp4, &mut clip).unwrap());
        assert_eq!(clip.len(), before.len());
        assert!(!clip.windows(6).any(|w| w == b"+48.85"));
        assert!(clip.ends_with(b"mdat\x01\x02\x03\x04"));
    }

    #[test]
    fn cut_or_flipped_files_are_refused_or_stripped_never_a_panic() {
        let jpeg = jpeg_with_gps();
        for kind in [
            AlbumKind::Jpeg,
            AlbumKind::Png,
            AlbumKind::Heic,
            AlbumKind::Mp4,
        ] {
            for cut in 0..jpeg.len() {
                let _ = strip_location(kind, &mut jpeg[..cut].to_vec());
            }
            for at in 0..jpeg.len() {
                for bit in [0x01, 0x80, 0xFF] {
                    let mut flipped = jpeg.clone();
                    flipped[at] ^= bit;
                    let _ = strip_location(kind, &mut flipped);
                }
            }
        }
    }

    #[test]
    fn thumbnails_are_small_plain_jpegs_and_bad_pictures_have_none() {
        let mut picture = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1280,
            720,
            image::Rgb([200, 30, 30]),
        ))
        .write_to(
            &mut std::io::Cursor::new(&mut picture),
            image::ImageFormat::Png,
        )
        .unwrap();
        let thumb = thumbnail(AlbumKind::Png, &picture).unwrap();
        let small = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((small.width(), small.height()), (320, 180));
        assert!(!thumb.windows(4).any(|w| w == b"Exif"));
        assert_eq!(
            thumbnail(AlbumKind::Jpeg, &jpeg_with_gps()),
            None,
            "no pixels"
        );
        assert_eq!(thumbnail(AlbumKind::Mp4, &picture), None);
    }

    #[test]
    fn a_png_drops_a_text_chunk_naming_a_position() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\0<exif:GPSLatitude>48,51N</exif:GPSLatitude>",
        ));
        png.extend(chunk(b"IEND", b""));
        assert!(strip_location(AlbumKind::Png, &mut png).unwrap());
        assert!(!png.windows(11).any(|w| w == b"GPSLatitude"));
        assert!(png.windows(4).any(|w| w == b"IEND"));
    }
}
