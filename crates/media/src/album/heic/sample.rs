//! Sample HEIC files built in code, for tests and demonstrations of C4.

use crate::album::samples::gps_tiff;

/// Stands for the coded picture of a sample file: tests check it is untouched.
pub(super) const SAMPLE_FRAME: &[u8] = b"\0\0\0\x20(coded HEVC picture, untouched)";

/// A small HEIC photo laid out as a phone writes one (`ftyp` heic, `meta`
/// with `hdlr` pict, `dinf`, `pitm`, `iinf`, `iloc`, then `mdat`) whose
/// Exif item holds [`SAMPLE_LATITUDE`](crate::album::SAMPLE_LATITUDE): for tests and
/// demonstrations of C4.
pub fn heic_with_gps_exif() -> Vec<u8> {
    build(
        &[
            Item::new(b"hvc1", SAMPLE_FRAME),
            Item::new(b"Exif", &exif_item_data()),
        ],
        false,
    )
}

/// An Exif item's data: the offset of its TIFF block, the JPEG marker, the block.
pub(super) fn exif_item_data() -> Vec<u8> {
    let mut data = 6u32.to_be_bytes().to_vec();
    data.extend_from_slice(b"Exif\0\0");
    data.extend_from_slice(&gps_tiff());
    data
}

/// One item of a sample file.
pub(super) struct Item<'a> {
    pub(super) kind: &'a [u8; 4],
    /// For `mime` items; "type\0encoding" also writes a content encoding.
    pub(super) content_type: &'a str,
    pub(super) data: &'a [u8],
    /// 0: in `mdat`, 1: in `idat`, others written as they are.
    pub(super) method: u16,
    pub(super) reference: u16,
    pub(super) protected: bool,
    /// Extents the data is cut into, stored last first.
    pub(super) pieces: usize,
}

impl<'a> Item<'a> {
    pub(super) fn new(kind: &'a [u8; 4], data: &'a [u8]) -> Self {
        Item {
            kind,
            content_type: "",
            data,
            method: 0,
            reference: 0,
            protected: false,
            pieces: 1,
        }
    }
}

fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((8 + body.len()) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    b.extend_from_slice(body);
    bmff(kind, &b)
}

/// A sample file of `items`; `wide` writes 32-bit item ids (`infe` v3,
/// `iloc` v2) where a phone writes 16-bit ones (`infe` v2, `iloc` v1).
pub(super) fn build(items: &[Item], wide: bool) -> Vec<u8> {
    let id = |i: usize| -> Vec<u8> {
        if wide {
            (0x1_0000 + i as u32).to_be_bytes().to_vec()
        } else {
            (1 + i as u16).to_be_bytes().to_vec()
        }
    };
    // Each item's extents as (offset, length) within `mdat` or `idat`.
    let (mut mdat, mut idat, mut extents) = (Vec::new(), Vec::new(), Vec::new());
    for item in items {
        let store = if item.method == 1 {
            &mut idat
        } else {
            &mut mdat
        };
        let size = item.data.len().div_ceil(item.pieces.max(1)).max(1);
        let mut places: Vec<(u32, u32)> = Vec::new();
        for piece in item.data.chunks(size).rev() {
            places.insert(0, (store.len() as u32, piece.len() as u32));
            store.extend_from_slice(piece);
        }
        extents.push(places);
    }
    let ftyp = bmff(b"ftyp", b"heic\0\0\0\0mif1heic");
    let meta = |mdat_at: u32| -> Vec<u8> {
        let mut body = full(b"hdlr", 0, 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0");
        let mut dref = 2u32.to_be_bytes().to_vec();
        dref.extend(full(b"url ", 0, 1, b""));
        dref.extend(full(b"url ", 0, 0, b"https://example.com/elsewhere\0"));
        body.extend(bmff(b"dinf", &full(b"dref", 0, 0, &dref)));
        body.extend(full(b"pitm", u8::from(wide), 0, &id(0)));
        let mut iinf = if wide {
            (items.len() as u32).to_be_bytes().to_vec()
        } else {
            (items.len() as u16).to_be_bytes().to_vec()
        };
        // Offsets and lengths of 4 bytes, a base offset of 4, no index.
        let mut iloc = vec![0x44, 0x40];
        iloc.extend(&iinf);
        for (i, item) in items.iter().enumerate() {
            let mut infe = id(i);
            infe.extend_from_slice(&u16::from(item.protected).to_be_bytes());
            infe.extend_from_slice(item.kind);
            infe.push(0);
            if item.kind == b"mime" {
                infe.extend_from_slice(item.content_type.as_bytes());
                infe.push(0);
            }
            iinf.extend(full(b"infe", if wide { 3 } else { 2 }, 0, &infe));
            iloc.extend(id(i));
            iloc.extend_from_slice(&item.method.to_be_bytes());
            iloc.extend_from_slice(&item.reference.to_be_bytes());
            let base = if item.method == 1 { 0 } else { mdat_at };
            iloc.extend_from_slice(&base.to_be_bytes());
            iloc.extend_from_slice(&(extents[i].len() as u16).to_be_bytes());
            for (offset, length) in &extents[i] {
                iloc.extend_from_slice(&offset.to_be_bytes());
                iloc.extend_from_slice(&length.to_be_bytes());
            }
        }
        body.extend(full(b"iinf", u8::from(wide), 0, &iinf));
        body.extend(full(b"iloc", if wide { 2 } else { 1 }, 0, &iloc));
        if !idat.is_empty() {
            body.extend(bmff(b"idat", &idat));
        }
        full(b"meta", 0, 0, &body)
    };
    let mdat_at = (ftyp.len() + meta(0).len() + 8) as u32;
    let mut out = ftyp;
    out.extend(meta(mdat_at));
    out.extend(bmff(b"mdat", &mdat));
    out
}
