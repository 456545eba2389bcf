//! Sample files carrying a place, for tests and demonstrations of C4.

/// The latitude [`with_gps_exif`] writes, as its six little-endian u32s
/// (48/1, 51/1, 2950/100: 48°51′29.50″).
pub const SAMPLE_LATITUDE: [u32; 6] = [48, 1, 51, 1, 2950, 100];

/// `jpeg` with the Exif block a phone writes for a photo taken at a place
/// (IFD0 pointing at a GPS directory holding [`SAMPLE_LATITUDE`]) inserted
/// after its start marker: for tests and demonstrations of C4.
pub fn with_gps_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&gps_tiff());
    let mut out = jpeg[..2.min(jpeg.len())].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    out
}

/// The TIFF block of a phone's Exif: IFD0 pointing at a GPS directory that
/// holds [`SAMPLE_LATITUDE`].
pub(crate) fn gps_tiff() -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 at 8
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry: the GPS pointer
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes()); // GPS IFD at 26
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one GPS entry
    tiff.extend_from_slice(&2u16.to_le_bytes()); // GPSLatitude
    tiff.extend_from_slice(&5u16.to_le_bytes()); // RATIONAL
    tiff.extend_from_slice(&3u32.to_le_bytes());
    tiff.extend_from_slice(&44u32.to_le_bytes()); // its values at 44
    tiff.extend_from_slice(&0u32.to_le_bytes());
    for v in SAMPLE_LATITUDE {
        tiff.extend_from_slice(&v.to_le_bytes());
    }
    tiff
}

/// Whether `bytes` hold [`SAMPLE_LATITUDE`].
pub fn holds_sample_latitude(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = SAMPLE_LATITUDE
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}
