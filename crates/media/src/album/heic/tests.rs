//! HEIC location removal, on sample files built in code.

use super::sample::{build, exif_item_data, Item, SAMPLE_FRAME};
use super::EMPTY_XMP;
use crate::album::samples::gps_tiff;
use crate::album::{
    check, heic_with_gps_exif, holds_sample_latitude, sniff, strip_location, AlbumError, AlbumKind,
};

const XMP: &[u8] = br#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4917N" exif:GPSLongitude="2,17.4667E"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;

fn strip(bytes: &mut Vec<u8>) -> Result<bool, AlbumError> {
    strip_location(AlbumKind::Heic, bytes)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn frame() -> Item<'static> {
    Item::new(b"hvc1", SAMPLE_FRAME)
}

/// `file` with its Exif extent `(offset, length)` in `iloc` replaced.
fn with_extent(mut file: Vec<u8>, from: (u32, u32), to: (u32, u32)) -> Vec<u8> {
    let pair = |(o, l): (u32, u32)| [o.to_be_bytes(), l.to_be_bytes()].concat();
    let at = find(&file, &pair(from)).unwrap();
    file[at..at + 8].copy_from_slice(&pair(to));
    file
}

/// Strips `file`: its place goes, its length and its picture stay, and a
/// second pass finds nothing.
fn assert_stripped(mut file: Vec<u8>) {
    let before = file.clone();
    assert!(holds_sample_latitude(&before));
    assert_eq!(strip(&mut file), Ok(true));
    assert_eq!(file.len(), before.len());
    assert!(!holds_sample_latitude(&file));
    assert!(find(&file, SAMPLE_FRAME).is_some(), "the picture changed");
    assert_eq!(strip(&mut file), Ok(false));
}

#[test]
fn a_heic_loses_its_gps_values_and_nothing_else() {
    let heic = heic_with_gps_exif();
    assert_eq!(sniff(&heic), Some(AlbumKind::Heic));
    assert_eq!(check(&heic, "image/heic"), Ok(AlbumKind::Heic));
    assert_eq!(check(&heic, "image/heif"), Ok(AlbumKind::Heic));
    let mut file = heic.clone();
    assert_eq!(strip(&mut file), Ok(true));
    assert_eq!(file.len(), heic.len());
    assert!(!holds_sample_latitude(&file));
    // Only the GPS directory changed: boxes, offsets, IFD0 and picture did not.
    let tiff = find(&heic, &gps_tiff()).unwrap();
    let gps = tiff + 26..tiff + gps_tiff().len();
    for (i, (a, b)) in heic.iter().zip(&file).enumerate() {
        assert!(a == b || gps.contains(&i), "byte {i} changed");
    }
    assert!(file[gps].iter().all(|&b| b == 0));
    assert_stripped(heic);
}

#[test]
fn exif_in_pieces_in_idat_or_under_wide_ids_loses_its_place_too() {
    let exif = exif_item_data();
    let item = |f: fn(Item) -> Item| f(Item::new(b"Exif", &exif));
    assert_stripped(build(&[frame(), item(|i| Item { pieces: 3, ..i })], true));
    assert_stripped(build(&[frame(), item(|i| Item { pieces: 2, ..i })], false));
    assert_stripped(build(&[frame(), item(|i| Item { method: 1, ..i })], false));
    // Data reference 1 is a `url ` entry flagged as this very file.
    assert_stripped(build(
        &[frame(), item(|i| Item { reference: 1, ..i })],
        false,
    ));
    // A TIFF block right after the offset, or a marker the offset left out.
    let mut bare = 0u32.to_be_bytes().to_vec();
    bare.extend(gps_tiff());
    assert_stripped(build(&[frame(), Item::new(b"Exif", &bare)], false));
    let mut marked = exif.clone();
    marked[..4].fill(0);
    assert_stripped(build(&[frame(), Item::new(b"Exif", &marked)], false));
    // An extent length of 0 runs to the end of the file, where the Exif is.
    let at = SAMPLE_FRAME.len() as u32;
    let whole = (at, exif.len() as u32);
    assert_stripped(with_extent(heic_with_gps_exif(), whole, (at, 0)));
}

#[test]
fn a_heic_without_a_place_has_nothing_to_remove() {
    let mut empty_ifd0 = 0u32.to_be_bytes().to_vec();
    empty_ifd0.extend_from_slice(b"II*\0\x08\0\0\0\0\0\0\0\0\0");
    let plain_xmp = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>"#;
    let text = b"exif:GPSLatitude=48,51N";
    for items in [
        vec![frame()],
        vec![frame(), Item::new(b"Exif", &empty_ifd0)],
        vec![
            frame(),
            Item {
                content_type: "application/rdf+xml",
                ..Item::new(b"mime", plain_xmp)
            },
        ],
        // Only XMP packets are searched for a place, not every MIME item.
        vec![
            frame(),
            Item {
                content_type: "text/plain",
                ..Item::new(b"mime", text)
            },
        ],
    ] {
        let mut file = build(&items, false);
        let before = file.clone();
        assert_eq!(strip(&mut file), Ok(false));
        assert_eq!(file, before);
    }
}

#[test]
fn an_xmp_item_naming_a_place_becomes_an_empty_packet_of_the_same_size() {
    let xmp = Item {
        content_type: "application/rdf+xml",
        ..Item::new(b"mime", XMP)
    };
    let mut file = build(&[frame(), xmp], false);
    let at = find(&file, XMP).unwrap();
    assert_eq!(strip(&mut file), Ok(true));
    let mut blank = EMPTY_XMP.to_vec();
    blank.resize(XMP.len(), b' ');
    assert_eq!(&file[at..at + XMP.len()], &blank[..]);
    assert_eq!(strip(&mut file), Ok(false));
    // Compressed, it cannot be searched, so it goes whatever it says.
    let packed = b"x\x9c\x03\0\0\0\0\x01";
    let item = Item {
        content_type: "application/rdf+xml\0deflate",
        ..Item::new(b"mime", packed)
    };
    let mut file = build(&[frame(), item], false);
    let at = find(&file, packed).unwrap();
    assert_eq!(strip(&mut file), Ok(true));
    assert_eq!(&file[at..at + packed.len()], b"        ");
    assert_eq!(strip(&mut file), Ok(false));
}

#[test]
fn exif_out_of_reach_is_unremovable_and_broken_boxes_are_damaged() {
    let exif = exif_item_data();
    let strip_with = |f: fn(Item) -> Item| {
        let mut file = build(&[frame(), f(Item::new(b"Exif", &exif))], false);
        strip(&mut file)
    };
    let unremovable = Err(AlbumError::Unremovable("HEIC photo"));
    let damaged = Err(AlbumError::Damaged("HEIC"));
    assert_eq!(
        strip_with(|i| Item {
            protected: true,
            ..i
        }),
        unremovable
    );
    // Data reference 2 is a URL: the bytes are in another file.
    assert_eq!(strip_with(|i| Item { reference: 2, ..i }), unremovable);
    assert_eq!(strip_with(|i| Item { method: 2, ..i }), unremovable);
    assert_eq!(strip_with(|i| Item { method: 3, ..i }), damaged);
    assert_eq!(strip_with(|i| Item { reference: 3, ..i }), damaged);
    // A file with neither `meta` nor `moov` holds no picture.
    let mut bare = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    assert_eq!(strip(&mut bare), damaged);
    // An extent past the end of the file.
    let at = SAMPLE_FRAME.len() as u32;
    let whole = (at, exif.len() as u32);
    let mut far = with_extent(heic_with_gps_exif(), whole, (at, 0xFFFF_FF00));
    assert_eq!(strip(&mut far), damaged);
    // Two extents over the same bytes: writing the second back would undo
    // the first, so the file is refused rather than half stripped.
    let half = exif.len().div_ceil(2) as u32;
    let file = build(
        &[
            frame(),
            Item {
                pieces: 2,
                ..Item::new(b"Exif", &exif)
            },
        ],
        false,
    );
    let mut twice = with_extent(file, (at, half), (at + half, half));
    assert_eq!(strip(&mut twice), damaged);
}

#[test]
fn an_image_sequence_loses_the_location_box_of_its_clip() {
    let mut xyz = 26u32.to_be_bytes().to_vec();
    xyz.extend_from_slice(b"\xa9xyz\0\x0e\x15\xc7+48.85+002.29/");
    let mut udta = (8 + xyz.len() as u32).to_be_bytes().to_vec();
    udta.extend_from_slice(b"udta");
    udta.extend_from_slice(&xyz);
    let mut moov = (8 + udta.len() as u32).to_be_bytes().to_vec();
    moov.extend_from_slice(b"moov");
    moov.extend_from_slice(&udta);
    let mut file = b"\0\0\0\x14ftypmsf1\0\0\0\0msf1".to_vec();
    file.extend_from_slice(&moov);
    file.extend_from_slice(b"\0\0\0\x0cmdat\x01\x02\x03\x04");
    assert_eq!(sniff(&file), Some(AlbumKind::Heic));
    assert_eq!(strip(&mut file), Ok(true));
    assert!(find(&file, b"+48.85").is_none());
}

#[test]
fn cut_or_flipped_heic_files_are_refused_or_stripped_never_a_panic() {
    let heic = heic_with_gps_exif();
    let kinds = [
        AlbumKind::Jpeg,
        AlbumKind::Png,
        AlbumKind::Heic,
        AlbumKind::Mp4,
    ];
    for cut in 0..heic.len() {
        assert!(strip(&mut heic[..cut].to_vec()).is_err(), "cut at {cut}");
        for kind in kinds {
            let _ = strip_location(kind, &mut heic[..cut].to_vec());
        }
    }
    let start = find(&heic, SAMPLE_FRAME).unwrap();
    let frame = start..start + SAMPLE_FRAME.len();
    for at in 0..heic.len() {
        for bit in [0x01, 0x80, 0xFF] {
            let mut flipped = heic.clone();
            flipped[at] ^= bit;
            for kind in kinds {
                let _ = strip_location(kind, &mut flipped.clone());
            }
            // The picture's bytes are no part of the structure.
            if frame.contains(&at) {
                assert_eq!(strip(&mut flipped), Ok(true));
                assert!(!holds_sample_latitude(&flipped));
            }
        }
    }
}
