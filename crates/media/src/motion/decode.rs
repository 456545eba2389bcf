//! Keyframes of H.264 fMP4 segments to pictures, with OpenH264.
//!
//! A media segment stores each sample as length-prefixed NAL units (the
//! `avcC` says how long the prefixes are) and the parameter sets live in
//! the init segment's `avcC`. OpenH264 wants an Annex B byte stream, so
//! each keyframe is rewritten as start-code-prefixed SPS, PPS and the
//! frame's own NAL units, and decoded alone.

use openh264::decoder::{DecodeOptions, Decoder, Flush};
use openh264::formats::YUVSource;

use super::GreyFrame;
use crate::fmp4::{parse_init, parse_media, Codec, Fmp4Error, TrackKind};

const START: [u8; 4] = [0, 0, 0, 1];

/// Why a picture could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The segment or init is not valid fMP4.
    #[error("{0}")]
    Fmp4(#[from] Fmp4Error),
    /// The `avcC` box is unreadable.
    #[error("the H.264 configuration (avcC) is malformed")]
    BadConfig,
    /// A sample's NAL lengths run past its end.
    #[error("a keyframe's NAL units are malformed")]
    BadSample,
    /// OpenH264 refused the bitstream.
    #[error("H.264 decoding failed: {0}")]
    Decoder(String),
}

/// One decoded keyframe.
#[derive(Debug, Clone)]
pub struct Picture {
    /// Its decode time from the segment's start, in milliseconds.
    pub offset_ms: i64,
    /// The small grey version the detector compares.
    pub grey: GreyFrame,
    /// Half-size RGB (3 bytes a pixel), only when asked for.
    pub rgb: Option<(usize, usize, Vec<u8>)>,
}

/// Decodes the keyframes of one camera's H.264 track.
pub struct KeyframeDecoder {
    decoder: Decoder,
    init: crate::fmp4::InitSegment,
    track_id: u32,
    timescale: u32,
    length_size: usize,
    parameter_sets: Vec<u8>,
}

impl std::fmt::Debug for KeyframeDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyframeDecoder")
            .field("track_id", &self.track_id)
            .finish()
    }
}

impl KeyframeDecoder {
    /// A decoder for the init segment's H.264 track; None when it has no
    /// H.264 video (H.265 is not decoded here).
    pub fn new(init_bytes: &[u8]) -> Result<Option<Self>, DecodeError> {
        let init = parse_init(init_bytes)?;
        let Some(track) = init
            .tracks
            .iter()
            .find(|t| t.kind == TrackKind::Video && t.codec == Codec::H264)
        else {
            return Ok(None);
        };
        let (length_size, parameter_sets) = annex_b_parameter_sets(&track.decoder_config)?;
        let decoder = Decoder::new().map_err(|e| DecodeError::Decoder(e.to_string()))?;
        Ok(Some(KeyframeDecoder {
            decoder,
            track_id: track.track_id,
            timescale: track.timescale,
            length_size,
            parameter_sets,
            init,
        }))
    }

    /// The segment's keyframes at least `min_gap_ms` apart, decoded; with
    /// `rgb`, each also as a half-size RGB picture.
    pub fn pictures(
        &mut self,
        segment: &[u8],
        min_gap_ms: i64,
        rgb: bool,
    ) -> Result<Vec<Picture>, DecodeError> {
        let parsed = parse_media(segment, &self.init)?;
        let start = parsed
            .track(self.track_id)
            .map(|t| t.start)
            .unwrap_or_default();
        let mut out: Vec<Picture> = Vec::new();
        let track_id = self.track_id;
        for fragment in &parsed.fragments {
            for traf in fragment.tracks.iter().filter(|t| t.track_id == track_id) {
                for sample in traf.samples.iter().filter(|s| s.is_sync) {
                    let offset_ms =
                        ticks_to_ms(sample.decode_time.saturating_sub(start), self.timescale);
                    if out
                        .last()
                        .is_some_and(|p| offset_ms - p.offset_ms < min_gap_ms)
                    {
                        continue;
                    }
                    let (from, len) = (sample.offset as usize, sample.size as usize);
                    // parse_media checked every sample lies inside its mdat.
                    let data = segment
                        .get(from..from + len)
                        .ok_or(DecodeError::BadSample)?;
                    if let Some(picture) = self.decode(data, offset_ms, rgb)? {
                        out.push(picture);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every video frame of the segment decoded in order, as a detector
    /// that looked at all frames would; returns how many came out. This
    /// is what keyframe-only detection saves (the benchmark's baseline).
    pub fn decode_every_frame(&mut self, segment: &[u8]) -> Result<usize, DecodeError> {
        let parsed = parse_media(segment, &self.init)?;
        let mut frames = 0;
        let track_id = self.track_id;
        for fragment in &parsed.fragments {
            for traf in fragment.tracks.iter().filter(|t| t.track_id == track_id) {
                for sample in &traf.samples {
                    let (from, len) = (sample.offset as usize, sample.size as usize);
                    let data = segment
                        .get(from..from + len)
                        .ok_or(DecodeError::BadSample)?;
                    let stream = self.annex_b(data, sample.is_sync)?;
                    // Flushing after every frame breaks B-frame reordering.
                    let picture = self
                        .decoder
                        .decode_with_options(
                            &stream,
                            DecodeOptions::new().flush_after_decode(Flush::NoFlush),
                        )
                        .map_err(|e| DecodeError::Decoder(e.to_string()))?;
                    frames += usize::from(picture.is_some());
                }
            }
        }
        // Frames held back for reordering come out with the next segment's.
        Ok(frames)
    }

    /// A sample as an Annex B stream, after the parameter sets when asked.
    fn annex_b(&self, sample: &[u8], with_parameter_sets: bool) -> Result<Vec<u8>, DecodeError> {
        let mut stream = if with_parameter_sets {
            self.parameter_sets.clone()
        } else {
            Vec::with_capacity(sample.len() + 16)
        };
        let mut rest = sample;
        while !rest.is_empty() {
            let (len, tail) = read_length(rest, self.length_size).ok_or(DecodeError::BadSample)?;
            let nal = tail.get(..len).ok_or(DecodeError::BadSample)?;
            stream.extend_from_slice(&START);
            stream.extend_from_slice(nal);
            rest = &tail[len..];
        }
        Ok(stream)
    }

    fn decode(
        &mut self,
        sample: &[u8],
        offset_ms: i64,
        rgb: bool,
    ) -> Result<Option<Picture>, DecodeError> {
        let stream = self.annex_b(sample, true)?;
        let decoded = self
            .decoder
            .decode_with_options(
                &stream,
                DecodeOptions::new().flush_after_decode(Flush::Flush),
            )
            .map_err(|e| DecodeError::Decoder(e.to_string()))?;
        let Some(yuv) = decoded else {
            return Ok(None);
        };
        let (w, h) = yuv.dimensions();
        let (ys, us, _) = yuv.strides();
        let Some(grey) = GreyFrame::from_luma(yuv.y(), w, h, ys) else {
            return Ok(None);
        };
        let rgb = rgb.then(|| half_rgb(yuv.y(), yuv.u(), yuv.v(), (w, h), (ys, us)));
        Ok(Some(Picture {
            offset_ms,
            grey,
            rgb,
        }))
    }
}

impl Picture {
    /// The RGB picture as a JPEG, for an event's snapshot.
    pub fn jpeg(&self) -> Option<Vec<u8>> {
        let (w, h, rgb) = self.rgb.as_ref()?;
        let (w, h) = (u16::try_from(*w).ok()?, u16::try_from(*h).ok()?);
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .ok()?;
        Some(out)
    }
}

fn ticks_to_ms(ticks: u64, timescale: u32) -> i64 {
    i64::try_from(u128::from(ticks) * 1000 / u128::from(timescale.max(1))).unwrap_or(i64::MAX)
}

fn read_length(bytes: &[u8], size: usize) -> Option<(usize, &[u8])> {
    let head = bytes.get(..size)?;
    let len = head
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((len, &bytes[size..]))
}

/// NAL length size and the SPS/PPS as Annex B, from an `avcC` payload
/// (ISO/IEC 14496-15 5.3.3.1).
fn annex_b_parameter_sets(avcc: &[u8]) -> Result<(usize, Vec<u8>), DecodeError> {
    let bad = || DecodeError::BadConfig;
    let length_size = usize::from(avcc.get(4).ok_or_else(bad)? & 0x03) + 1;
    let mut out = Vec::new();
    let mut pos = 5;
    for count_mask in [0x1f_u8, 0xff] {
        let count = avcc.get(pos).ok_or_else(bad)? & count_mask;
        pos += 1;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([
                *avcc.get(pos).ok_or_else(bad)?,
                *avcc.get(pos + 1).ok_or_else(bad)?,
            ]));
            let nal = avcc.get(pos + 2..pos + 2 + len).ok_or_else(bad)?;
            out.extend_from_slice(&START);
            out.extend_from_slice(nal);
            pos += 2 + len;
        }
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok((length_size, out))
}

/// Half-size RGB from 4:2:0 planes: each 2×2 block's mean luma with the
/// block's own chroma sample (BT.601, limited range), so no scaling pass.
fn half_rgb(
    y: &[u8],
    u: &[u8],
    v: &[u8],
    (w, h): (usize, usize),
    (ys, cs): (usize, usize),
) -> (usize, usize, Vec<u8>) {
    let (hw, hh) = (w / 2, h / 2);
    let mut out = Vec::with_capacity(hw * hh * 3);
    for by in 0..hh {
        for bx in 0..hw {
            let at =
                |row: usize, col: usize| f32::from(y.get(row * ys + col).copied().unwrap_or(16));
            let l = (at(2 * by, 2 * bx)
                + at(2 * by, 2 * bx + 1)
                + at(2 * by + 1, 2 * bx)
                + at(2 * by + 1, 2 * bx + 1))
                / 4.0;
            let cb = f32::from(u.get(by * cs + bx).copied().unwrap_or(128)) - 128.0;
            let cr = f32::from(v.get(by * cs + bx).copied().unwrap_or(128)) - 128.0;
            let l = 1.164 * (l - 16.0);
            // Clamped to 0–255 first, so the cast cannot wrap.
            let px = |x: f32| x.clamp(0.0, 255.0) as u8;
            out.push(px(l + 1.596 * cr));
            out.push(px(l - 0.392 * cb - 0.813 * cr));
            out.push(px(l + 2.017 * cb));
        }
    }
    (hw, hh, out)
}
