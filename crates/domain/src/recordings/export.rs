//! Reading an account's own media for its data export (F13): whole
//! segments decrypted and re-timed into one MP4 per recording span. The
//! export job asks on the account's behalf, so there is no access check
//! here; the job writes one audit entry for the whole export.

use std::sync::Arc;

use media::fmp4;

use super::{Recordings, SegmentRecord};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// The init that heads an exported file, as bytes and parsed.
#[derive(Debug, Clone)]
pub struct ExportInit {
    /// The playable init segment (audio kept or not, as the segments).
    pub bytes: Arc<Vec<u8>>,
    /// The same, parsed: re-timing segments needs its time scales.
    pub parsed: Arc<fmp4::InitSegment>,
}

impl Recordings {
    /// The cameras `account` has recordings of (as their owner then).
    pub(crate) async fn cameras_recorded_for(&self, account: AccountId) -> Result<Vec<CameraId>> {
        let mut cameras: Vec<CameraId> = self
            .index
            .cameras_with_recordings()
            .await?
            .into_iter()
            .filter(|(_, owner, _)| *owner == account)
            .map(|(camera, _, _)| camera)
            .collect();
        cameras.dedup();
        Ok(cameras)
    }

    /// The init of segments recorded with `init_id`, with or without audio.
    pub(crate) async fn export_init(&self, init_id: i64, with_audio: bool) -> Result<ExportInit> {
        let init = self
            .index
            .init(init_id)
            .await?
            .ok_or(Error::NotFound("init"))?;
        let bytes = self.playable_init(&init, with_audio).await?.bytes;
        let parsed = fmp4::parse_init(&bytes).map_err(|e| Error::InvalidMedia(e.to_string()))?;
        Ok(ExportInit {
            bytes,
            parsed: Arc::new(parsed),
        })
    }

    /// A segment's plaintext, as stored.
    pub(crate) async fn export_plaintext(&self, seg: &SegmentRecord) -> Result<Vec<u8>> {
        Ok(self.read_segment(seg, None).await?.2)
    }
}

/// A segment's plaintext re-timed to start where it falls after `base`,
/// the start of its file (real gaps are kept).
pub(crate) fn retime(
    plain: &[u8],
    seg: &SegmentRecord,
    init: &ExportInit,
    base: Timestamp,
) -> Result<Vec<u8>> {
    let offset = (seg.segment.start.ms() - base.ms()) as f64 / 1000.0;
    fmp4::set_start(plain, &init.parsed, offset).map_err(|e| Error::InvalidMedia(e.to_string()))
}
