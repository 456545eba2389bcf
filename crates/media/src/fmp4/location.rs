//! Removing where a recording was made (product promise C4): the
//! QuickTime `©xyz` box (an ISO 6709 position) and the 3GPP `loci` box,
//! wherever a `udta` of the `moov` or of a `trak` holds them. Everything
//! else is copied byte for byte; only the enclosing boxes' sizes change.

use super::boxes::{collect, raw, write_box, Budget, Mp4Box};
use super::{parse_init, Fmp4Error};

/// The box types that carry a place.
const LOCATION: [[u8; 4]; 2] = [*b"\xa9xyz", *b"loci"];

fn is_location(b: &Mp4Box<'_>) -> bool {
    LOCATION.contains(&b.kind.0)
}

/// Copies a container's children into `out`, with `udta` children filtered
/// and, when `into_traks`, `trak` children rebuilt the same way. Returns
/// whether anything was removed.
fn filter_children(
    bytes: &[u8],
    parent: &Mp4Box<'_>,
    into_traks: bool,
    out: &mut Vec<u8>,
    budget: &mut Budget,
) -> Result<bool, Fmp4Error> {
    let mut removed = false;
    for child in collect(parent.payload, parent.payload_offset, budget)? {
        match &child.kind.0 {
            b"udta" => {
                let mut udta = Vec::with_capacity(child.payload.len());
                for c in collect(child.payload, child.payload_offset, budget)? {
                    if is_location(&c) {
                        removed = true;
                    } else {
                        udta.extend_from_slice(raw(bytes, &c)?);
                    }
                }
                write_box(out, b"udta", &udta)?;
            }
            b"trak" if into_traks => {
                let mut trak = Vec::with_capacity(child.payload.len());
                removed |= filter_children(bytes, &child, false, &mut trak, budget)?;
                write_box(out, b"trak", &trak)?;
            }
            _ => out.extend_from_slice(raw(bytes, &child)?),
        }
    }
    Ok(removed)
}

/// Returns `init_bytes` without location boxes, and whether there were any.
/// Malformed input returns the error [`parse_init`] gives.
pub fn strip_location_init(init_bytes: &[u8]) -> Result<(Vec<u8>, bool), Fmp4Error> {
    parse_init(init_bytes)?;
    let mut budget = Budget::new();
    let mut out = Vec::with_capacity(init_bytes.len());
    let mut removed = false;
    for b in collect(init_bytes, 0, &mut budget)? {
        if &b.kind.0 == b"moov" {
            let mut moov = Vec::with_capacity(b.payload.len());
            removed |= filter_children(init_bytes, &b, true, &mut moov, &mut budget)?;
            write_box(&mut out, b"moov", &moov)?;
        } else {
            out.extend_from_slice(raw(init_bytes, &b)?);
        }
    }
    if !removed {
        return Ok((init_bytes.to_vec(), false));
    }
    Ok((out, true))
}

/// `init_bytes` with a `udta` holding a `©xyz` box for `iso6709` (e.g.
/// `+48.8577+002.2950/`) appended to its `moov`: what a camera with a GPS
/// would send. For tests and the demo tools.
pub fn with_location(init_bytes: &[u8], iso6709: &str) -> Result<Vec<u8>, Fmp4Error> {
    let mut budget = Budget::new();
    let mut xyz = Vec::new();
    // QuickTime user-data text: 16-bit length, 16-bit language, the text.
    xyz.extend_from_slice(&(iso6709.len() as u16).to_be_bytes());
    xyz.extend_from_slice(&0x15c7u16.to_be_bytes());
    xyz.extend_from_slice(iso6709.as_bytes());
    let mut udta = Vec::new();
    write_box(&mut udta, b"\xa9xyz", &xyz)?;
    let mut out = Vec::with_capacity(init_bytes.len() + udta.len() + 8);
    for b in collect(init_bytes, 0, &mut budget)? {
        if &b.kind.0 == b"moov" {
            let mut moov = b.payload.to_vec();
            write_box(&mut moov, b"udta", &udta)?;
            write_box(&mut out, b"moov", &moov)?;
        } else {
            out.extend_from_slice(raw(init_bytes, &b)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(bytes: &[u8], needle: &[u8]) -> bool {
        bytes.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn location_boxes_go_and_everything_else_stays() {
        let (init, _) = crate::demo::demo_segments().unwrap();
        let tagged = with_location(&init, "+48.8577+002.2950/").unwrap();
        assert!(has(&tagged, b"+48.8577+002.2950/"));
        let parsed = parse_init(&tagged).unwrap();
        let (clean, removed) = strip_location_init(&tagged).unwrap();
        assert!(removed);
        assert!(!has(&clean, b"\xa9xyz") && !has(&clean, b"+48.8577"));
        assert_eq!(parse_init(&clean).unwrap(), parsed);
        // Without location the bytes come back as they were.
        assert_eq!(strip_location_init(&init).unwrap(), (init.clone(), false));
        assert!(strip_location_init(&tagged[..tagged.len() - 3]).is_err());
    }
}
