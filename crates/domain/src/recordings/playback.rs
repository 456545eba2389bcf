//! Playback (C2): timeline, HLS playlists, ranged segment decryption and
//! MP4 downloads, for the owner and the people a camera is shared with.
//! Every playlist and download is an audit entry.

use std::sync::Arc;
use std::time::Duration;

use media::fmp4;

use super::{slots, Recordings, SegmentRecord, Span};
use crate::audit::AuditEntry;
use crate::cameras::{Access, Camera};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::sealed::SealedFile;
use crate::{Error, Result};

/// The longest range one playlist, timeline or download may cover.
pub const MAX_RANGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// A camera's newest segment older than this is history, not live.
const LIVE_STALE: Duration = Duration::from_secs(30);
/// Ranges spanning more days than this read the index directly, so a long
/// search does not push the days people are watching out of the cache.
const MAX_CACHED_DAYS: i64 = 3;

/// A planned MP4 download: one init and the segments that play with it.
#[derive(Debug, Clone)]
pub struct Download {
    /// The init segment, first in the file.
    pub init: Arc<Vec<u8>>,
    parsed_init: Arc<fmp4::InitSegment>,
    /// The segments, in time order.
    pub segments: Vec<SegmentRecord>,
    base: Timestamp,
}

/// The audit role name of an access level.
pub fn access_name(access: Access) -> &'static str {
    match access {
        Access::Owner => "owner",
        Access::Operator => "operator",
        Access::Viewer => "viewer",
    }
}

fn check_range(from: Timestamp, to: Timestamp) -> Result<()> {
    if to <= from {
        return Err(Error::invalid("to", "must be after from"));
    }
    if to.ms() - from.ms() > MAX_RANGE.as_millis() as i64 {
        return Err(Error::invalid("to", "ranges cover at most 7 days"));
    }
    Ok(())
}

impl Recordings {
    /// The camera and its current owner, if `who` may watch it. Recordings
    /// of an earlier owner stay theirs: only the current owner's are shown.
    async fn watchable(&self, who: AccountId, id: CameraId) -> Result<(Camera, Access, AccountId)> {
        let (camera, access) = self.cameras.access(who, id).await?;
        let owner = camera.owner.ok_or(Error::NotFound("camera"))?;
        Ok((camera, access, owner))
    }

    async fn audit_access(
        &self,
        who: AccountId,
        access: Access,
        owner: AccountId,
        action: &str,
        object: String,
    ) -> Result<()> {
        self.audit
            .append(&AuditEntry {
                actor: Some(who),
                role: access_name(access).into(),
                subject: Some(owner),
                action: action.into(),
                object,
                reason: None,
                at: self.clock.now(),
            })
            .await
    }

    async fn playable_segments(
        &self,
        camera: CameraId,
        owner: AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SegmentRecord>> {
        check_range(from, to)?;
        let mut segments = self.index.segments_between(camera, owner, from, to).await?;
        segments.retain(|s| !s.missing);
        Ok(segments)
    }

    async fn playable_slots(
        &self,
        camera: CameraId,
        owner: AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<super::SegmentSlot>> {
        check_range(from, to)?;
        // A segment is at most an hour long, so one starting up to an hour
        // before `from` may still reach into the range (as the index query).
        let earliest = from.ms() - 3_600_000;
        let (first, last) = (slots::day_of(earliest), slots::day_of(to.ms() - 1));
        if last - first > MAX_CACHED_DAYS {
            return self
                .index
                .segment_slots_between(camera, owner, from, to)
                .await;
        }
        let today = slots::day_of(self.clock.now().ms());
        let mut out = Vec::new();
        for day in first..=last {
            let (cached, stamp) = self.slots.get(camera, owner, day);
            let kept = match cached {
                Some(kept) => kept,
                None => {
                    let start = Timestamp(day * slots::DAY_MS);
                    let end = Timestamp((day + 1) * slots::DAY_MS);
                    let mut read = self
                        .index
                        .segment_slots_between(camera, owner, start, end)
                        .await?;
                    read.retain(|s| s.start >= start);
                    let read = Arc::new(read);
                    self.slots
                        .put(camera, owner, day, stamp, read.clone(), day >= today);
                    read
                }
            };
            out.extend(
                kept.iter()
                    .filter(|s| s.start < to && s.end > from && s.start.ms() > earliest)
                    .cloned(),
            );
        }
        Ok(out)
    }

    /// Recorded spans between `from` and `to`, gaps under the tolerance merged.
    pub async fn timeline(
        &self,
        who: AccountId,
        camera: CameraId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Span>> {
        let (_, _, owner) = self.watchable(who, camera).await?;
        let tolerance = self.config.gap_tolerance.as_millis() as i64;
        let mut spans: Vec<Span> = Vec::new();
        for s in self.playable_slots(camera, owner, from, to).await? {
            let (start, end) = (s.start.ms(), s.end.ms());
            match spans.last_mut() {
                Some(last) if start <= last.end_ms + tolerance => {
                    last.end_ms = last.end_ms.max(end)
                }
                _ => spans.push(Span {
                    start_ms: start,
                    end_ms: end,
                }),
            }
        }
        Ok(spans)
    }

    /// An HLS VOD playlist of `from..to`, with segment and init URIs
    /// relative to `…/cameras/{id}/recordings/`.
    pub async fn playlist(
        &self,
        who: AccountId,
        camera: CameraId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<String> {
        let (_, access, owner) = self.watchable(who, camera).await?;
        let segments = self.playable_slots(camera, owner, from, to).await?;
        let items: Vec<media::hls::HlsSegment> = segments
            .iter()
            .map(|s| media::hls::HlsSegment {
                uri: format!("recordings/segments/{}.m4s", s.id),
                init_uri: format!(
                    "recordings/inits/{}{}.mp4",
                    s.init_id,
                    if s.has_audio { "" } else { "-noaudio" }
                ),
                start_ms: s.start.ms(),
                duration_ms: s.end.ms() - s.start.ms(),
            })
            .collect();
        let playlist =
            media::hls::media_playlist(&items, self.config.gap_tolerance.as_millis() as i64)
                .map_err(|e| Error::Storage(e.to_string()))?;
        self.audit_access(
            who,
            access,
            owner,
            "recording.playback",
            format!("camera:{camera} {}..{}", from.ms(), to.ms()),
        )
        .await?;
        Ok(playlist)
    }

    /// The video codec (`h264`, `h265`) the camera sent last, if any: the
    /// page warns browsers that cannot play it.
    pub async fn latest_codec(&self, who: AccountId, camera: CameraId) -> Result<Option<String>> {
        self.cameras.access(who, camera).await?;
        Ok(self.index.latest_init(camera).await?.map(|i| i.video_codec))
    }

    /// Starts watching a camera live: the newest segment to begin with (from
    /// memory, or from storage when nobody was watching) and the stream of
    /// later ones. A newest segment older than `LIVE_STALE` is not live.
    pub async fn watch_live(
        &self,
        camera: CameraId,
    ) -> Result<(
        Option<Arc<super::live::LiveSegment>>,
        tokio::sync::broadcast::Receiver<Arc<super::live::LiveSegment>>,
    )> {
        // Subscribe first, so nothing arriving meanwhile is missed.
        let (held, rx) = self.live.subscribe(camera);
        if let Some(cluster) = self.cluster.get() {
            // The camera may upload to another instance: have it name its
            // segments from now on rather than at the next announcement.
            cluster
                .send(&crate::cluster::Message::Watching {
                    cameras: vec![camera.0],
                })
                .await;
        }
        if held.is_some() {
            return Ok((held, rx));
        }
        let Some(seg) = self.index.latest_segment(camera).await? else {
            return Ok((None, rx));
        };
        Ok((
            self.live_from_storage(camera, &seg).await?.map(Arc::new),
            rx,
        ))
    }

    /// Feeds this instance's viewers of `camera` with stored segment
    /// `segment`, which another instance received (see [`crate::cluster`]).
    pub async fn relay_live(&self, camera: CameraId, segment: i64) -> Result<()> {
        let Some(seg) = self.index.segment(segment).await? else {
            // Purged or never committed: nothing to show.
            return Ok(());
        };
        if seg.segment.camera_id != camera {
            return Ok(());
        }
        if let Some(live) = self.live_from_storage(camera, &seg).await? {
            self.live.publish(camera, live);
        }
        Ok(())
    }

    /// A stored segment as live view shows it, or None when it must not
    /// show: missing, recorded for an earlier owner, or too old.
    async fn live_from_storage(
        &self,
        camera: CameraId,
        seg: &SegmentRecord,
    ) -> Result<Option<super::live::LiveSegment>> {
        let owner = self.cameras.get(camera).await?.and_then(|c| c.owner);
        // An earlier owner's video never shows, not even as a live picture.
        if seg.missing
            || Some(seg.segment.account_id) != owner
            || seg.segment.end < self.clock.now().minus(LIVE_STALE)
        {
            return Ok(None);
        }
        let init = self
            .index
            .init(seg.segment.init_id)
            .await?
            .ok_or(Error::NotFound("init"))?;
        let playable = self.playable_init(&init, seg.segment.has_audio).await?;
        let (_, _, data) = self.read_segment(seg, None).await?;
        Ok(Some(super::live::LiveSegment {
            init_key: (init.id, seg.segment.has_audio),
            init: playable.bytes,
            mime: playable.mime,
            codec: Arc::from(init.video_codec.as_str()),
            data,
            start: seg.segment.start,
            arrived: std::time::Instant::now(),
        }))
    }

    /// Entries of the audit trail about `who`'s data, newest first.
    pub async fn access_log(&self, who: AccountId, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit.entries_about(who, limit).await
    }

    /// An init segment for playback, with or without its audio track.
    pub async fn playback_init(
        &self,
        who: AccountId,
        camera: CameraId,
        init_id: i64,
        with_audio: bool,
    ) -> Result<Arc<Vec<u8>>> {
        let (_, _, owner) = self.watchable(who, camera).await?;
        let init = self
            .index
            .init(init_id)
            .await?
            .filter(|i| i.camera_id == camera && i.account_id == owner)
            .ok_or(Error::NotFound("init"))?;
        Ok(self
            .playable_init(&init, with_audio && init.has_audio)
            .await?
            .bytes)
    }

    /// Decrypts bytes `start..end` (None = all) of a segment, reading only
    /// the chunks that cover them. Returns the plaintext length, the range
    /// served and its bytes.
    pub async fn segment_bytes(
        &self,
        who: AccountId,
        camera: CameraId,
        segment: i64,
        range: Option<(u64, u64)>,
    ) -> Result<(u64, (u64, u64), Vec<u8>)> {
        let (_, _, owner) = self.watchable(who, camera).await?;
        let seg = self
            .index
            .segment(segment)
            .await?
            .filter(|s| {
                s.segment.camera_id == camera && s.segment.account_id == owner && !s.missing
            })
            .ok_or(Error::NotFound("segment"))?;
        self.read_segment(&seg, range).await
    }

    pub(super) async fn read_segment(
        &self,
        seg: &SegmentRecord,
        range: Option<(u64, u64)>,
    ) -> Result<(u64, (u64, u64), Vec<u8>)> {
        let key = &seg.segment.blob_key;
        let header = SealedFile::header(&self.blobs, key, "segment").await?;
        let kek = self.keys.media_key_by_id(&header.key_id).await?;
        let file = SealedFile::with_header(self.blobs.clone(), key, header, kek, "segment");
        let total = file.len();
        let (start, end) = range.unwrap_or((0, total));
        let plain = file.read(start, end).await?;
        Ok((total, (start, end), plain))
    }

    /// Plans an MP4 download of `from..to`: the first init's segments in
    /// that range (a camera restart with new settings ends the file there).
    pub async fn download(
        &self,
        who: AccountId,
        camera: CameraId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Download> {
        let (_, access, owner) = self.watchable(who, camera).await?;
        let mut segments = self.playable_segments(camera, owner, from, to).await?;
        let first = segments
            .first()
            .ok_or(Error::NotFound("recording in that range"))?
            .segment
            .clone();
        segments.retain(|s| {
            s.segment.init_id == first.init_id && s.segment.has_audio == first.has_audio
        });
        let init = self
            .index
            .init(first.init_id)
            .await?
            .ok_or(Error::NotFound("init"))?;
        let init_bytes = self.playable_init(&init, first.has_audio).await?.bytes;
        let parsed_init = Arc::new(
            fmp4::parse_init(&init_bytes).map_err(|e| Error::InvalidMedia(e.to_string()))?,
        );
        self.audit_access(
            who,
            access,
            owner,
            "recording.download",
            format!("camera:{camera} {}..{}", from.ms(), to.ms()),
        )
        .await?;
        Ok(Download {
            init: init_bytes,
            parsed_init,
            segments,
            base: first.start,
        })
    }

    /// The `index`th segment of a download, decrypted and re-timed so the
    /// file's timeline runs from zero with real gaps kept.
    pub async fn download_part(&self, download: &Download, index: usize) -> Result<Vec<u8>> {
        let seg = download
            .segments
            .get(index)
            .ok_or(Error::NotFound("segment"))?;
        let (_, _, plain) = self.read_segment(seg, None).await?;
        let offset = (seg.segment.start.ms() - download.base.ms()) as f64 / 1000.0;
        fmp4::set_start(&plain, &download.parsed_init, offset)
            .map_err(|e| Error::InvalidMedia(e.to_string()))
    }
}
