//! One RTSP connection of a pull: DESCRIBE, SETUP and PLAY over TCP, then
//! video frames into the segmenter until something fails.

use futures_util::StreamExt;
use retina::client::{
    Demuxed, PlayOptions, Session, SessionOptions, SetupOptions, Stream, TcpTransportOptions,
    Transport,
};
use retina::codec::{CodecItem, FrameFormat, ParametersRef, VideoParametersCodec};
use tokio::sync::mpsc;
use tokio::time::{timeout, timeout_at, Instant};

use super::segmenter::{Frame, Segmenter};
use super::{Failure, PullEvent, CONNECT_TIMEOUT, FRAME_TIMEOUT, TIMESCALE};
use crate::mux::Muxer;
use crate::rtsp::{classify, ProbeError, Target, SUPPORTED_CODECS};

/// Runs one connection: reports `Status { connected: true }` once playing
/// (setting `connected_at`), feeds every frame of the chosen stream to
/// `segmenter`, and returns why it ended.
pub(super) async fn run(
    target: &Target,
    segmenter: &mut Segmenter,
    events: &mpsc::Sender<PullEvent>,
    now_ms: &(dyn Fn() -> i64 + Send + Sync),
    connected_at: &mut Option<Instant>,
) -> Failure {
    let (index, h265, mut frames) = match timeout(CONNECT_TIMEOUT, connect(target)).await {
        Ok(Ok(playing)) => playing,
        Ok(Err(failure)) => return failure,
        Err(_elapsed) => return Failure::Probe(ProbeError::Timeout),
    };
    *connected_at = Some(Instant::now());
    let up = PullEvent::Status {
        connected: true,
        reason: None,
        detail: None,
    };
    if events.send(up).await.is_err() {
        return Failure::ReceiverGone;
    }

    // Only video frames count as life: RTCP reports alone keep no recording.
    let mut deadline = Instant::now() + FRAME_TIMEOUT;
    loop {
        let item = match timeout_at(deadline, frames.next()).await {
            Err(_elapsed) => return Failure::Probe(ProbeError::Timeout),
            Ok(None) => return Failure::Ended,
            Ok(Some(Err(e))) => return Failure::Probe(classify(e)),
            Ok(Some(Ok(item))) => item,
        };
        let CodecItem::VideoFrame(frame) = item else {
            continue;
        };
        if frame.stream_id() != index {
            continue;
        }
        deadline = Instant::now() + FRAME_TIMEOUT;
        let new_muxer = if frame.has_new_parameters() || !segmenter.has_muxer() {
            match muxer_for(frames.streams().get(index)) {
                Ok(m) => m,
                Err(failure) => return failure,
            }
        } else {
            None
        };
        // retina counts only IDR pictures as random access points; for
        // H.265 a CRA (which x265 and many cameras use after the first
        // keyframe) starts a segment as well.
        let keyframe = frame.is_random_access_point() || (h265 && h265_irap(frame.data()));
        let frame = Frame {
            ts: to_ticks(frame.timestamp()),
            keyframe,
            data: frame.into_data(),
        };
        match segmenter.push(frame, new_muxer, now_ms) {
            Ok(out) => {
                for event in out {
                    if events.send(event).await.is_err() {
                        return Failure::ReceiverGone;
                    }
                }
            }
            Err(failure) => return failure,
        }
    }
}

/// DESCRIBE, then SETUP and PLAY the first H.264/H.265 video stream over
/// TCP with MP4 framing (4-byte NAL lengths, parameter sets kept out of the
/// frames). Returns the stream's index, whether it is H.265, and its frames.
async fn connect(target: &Target) -> Result<(usize, bool, Demuxed), Failure> {
    let fail = |e| Failure::Probe(classify(e));
    let options = SessionOptions::default()
        .creds(target.creds.clone())
        .user_agent(concat!("camvault/", env!("CARGO_PKG_VERSION")).to_owned());
    let mut session = Session::describe(target.url.clone(), options)
        .await
        .map_err(fail)?;
    let streams = session.streams();
    let Some(index) = streams
        .iter()
        .position(|s| s.media() == "video" && SUPPORTED_CODECS.contains(&s.encoding_name()))
    else {
        let offered = streams
            .iter()
            .find(|s| s.media() == "video")
            .map_or("no video stream", |s| s.encoding_name());
        return Err(Failure::Probe(ProbeError::UnsupportedCodec(
            offered.to_owned(),
        )));
    };
    let h265 = streams
        .get(index)
        .is_some_and(|s| s.encoding_name() == "h265");
    let setup = SetupOptions::default()
        .transport(Transport::Tcp(TcpTransportOptions::default()))
        .frame_format(FrameFormat::MP4);
    session.setup(index, setup).await.map_err(fail)?;
    let frames = session
        .play(PlayOptions::default())
        .await
        .map_err(fail)?
        .demuxed()
        .map_err(fail)?;
    Ok((index, h265, frames))
}

/// A muxer for the stream's current parameters (`None` if it has none yet).
fn muxer_for(stream: Option<&Stream>) -> Result<Option<Muxer>, Failure> {
    let Some(ParametersRef::Video(v)) = stream.and_then(Stream::parameters) else {
        return Ok(None);
    };
    let (width, height) = v.pixel_dimensions();
    let muxer = match v.codec_params() {
        VideoParametersCodec::H264 { sps, pps } => {
            Muxer::new_h264(sps, pps, width, height, TIMESCALE)
        }
        // With MP4 framing retina's extra data is the hvcC record.
        VideoParametersCodec::H265 { .. } => {
            Muxer::new_h265(v.extra_data(), width, height, TIMESCALE)
        }
        _ => {
            return Err(Failure::Probe(ProbeError::UnsupportedCodec(
                v.rfc6381_codec().to_owned(),
            )))
        }
    };
    muxer.map(Some).map_err(Failure::Mux)
}

/// A timestamp in [`TIMESCALE`] ticks (RTP video is 90 kHz already).
fn to_ticks(ts: retina::Timestamp) -> i64 {
    let clock = ts.clock_rate().get();
    if clock == TIMESCALE {
        return ts.timestamp();
    }
    let scaled = i128::from(ts.timestamp()) * i128::from(TIMESCALE) / i128::from(clock);
    i64::try_from(scaled).unwrap_or(if scaled < 0 { i64::MIN } else { i64::MAX })
}

/// Whether an H.265 access unit (4-byte length-prefixed NAL units) is an
/// IRAP picture: its first VCL NAL unit is a BLA, IDR or CRA (types 16–23).
fn h265_irap(mut data: &[u8]) -> bool {
    while let Some((len, rest)) = data.split_first_chunk::<4>() {
        let Some(&header) = rest.first() else {
            return false;
        };
        let unit_type = (header >> 1) & 0x3f;
        if unit_type < 32 {
            return (16..=23).contains(&unit_type);
        }
        let len = usize::try_from(u32::from_be_bytes(*len)).unwrap_or(usize::MAX);
        data = rest.get(len..).unwrap_or(&[]);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h265_irap_looks_at_the_first_picture_nal_unit() {
        // AUD (35), then a CRA (21) / a TRAIL_R (1) / an IDR_W_RADL (19).
        let au = |t: u8| {
            [
                &[0, 0, 0, 3, 35 << 1, 1, 0x50][..],
                &[0, 0, 0, 2, t << 1, 1],
            ]
            .concat()
        };
        assert!(h265_irap(&au(21)));
        assert!(h265_irap(&au(19)));
        assert!(!h265_irap(&au(1)));
        assert!(!h265_irap(&[]));
        assert!(!h265_irap(&[0, 0, 0, 9]));
        assert!(!h265_irap(&[0, 0, 0, 9, 35 << 1, 1]));
    }
}
