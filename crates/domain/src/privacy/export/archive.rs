//! Writing one export's ZIP: the JSON files, then the snapshots, then one
//! MP4 per stretch of continuous recording, then the manifest. Every list
//! that can grow with time (events, segments) is read page by page.

use std::io::Write;

use futures_util::StreamExt;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::parts::{Buffer, PartWriter};
use super::schema::{self, maybe_time, time};
use super::{parts_prefix, ExportRecord, ExportsConfig, ExportsDeps};
use crate::audit::AuditEntry;
use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::recordings::export::{retime, ExportInit};
use crate::recordings::{utc_day, SegmentRecord};
use crate::{Error, Result};

/// Rows read per query.
const PAGE: i64 = 500;
/// Segments read ahead of the one being written. Each is at most one
/// upload's size, so this bounds the memory they take.
const PREFETCH: usize = 3;
/// Access-log entries exported at most (the log keeps fewer).
const ACCESS_LOG_MAX: i64 = 100_000;

pub(super) type Zip = ZipWriter<zip::write::StreamWriter<Buffer>>;

/// What the job wrote.
pub(super) struct Written {
    pub bytes: u64,
    pub parts: u64,
    pub media_files: u64,
}

pub(super) fn zip_err(e: impl std::fmt::Display) -> Error {
    Error::Storage(format!("writing the export archive: {e}"))
}

fn json_options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// Video and JPEG do not compress; a file may pass 4 GiB.
pub(super) fn media_options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true)
}

fn put_json<T: serde::Serialize>(zip: &mut Zip, name: &str, value: &T) -> Result<()> {
    zip.start_file(name, json_options()).map_err(zip_err)?;
    serde_json::to_writer_pretty(&mut *zip, value).map_err(zip_err)
}

/// `2026-11-26T08-00-00Z`: an instant usable in file names everywhere.
fn file_time(t: Timestamp) -> String {
    let mut s = time(t);
    if let Some(dot) = s.find('.') {
        s.truncate(dot);
        s.push('Z');
    }
    s.replace(':', "-")
}

/// Writes the archive of `export` and returns its size.
pub(super) async fn write(
    deps: &ExportsDeps,
    config: &ExportsConfig,
    export: &ExportRecord,
) -> Result<Written> {
    let who = export.account_id;
    let kek = deps.recordings.keys().account_key(who).await?;
    let region = deps.recordings.blob_prefix(who).await?;
    let mut out = PartWriter::new(
        deps.blobs.clone(),
        format!("{region}{}", parts_prefix(&export.id)),
        kek,
        format!("export {}", export.id),
        config.part_bytes,
    );
    // Logged first, so the export's own access log shows it.
    deps.audit
        .append(&AuditEntry {
            actor: Some(who),
            role: "owner".into(),
            subject: Some(who),
            action: "privacy.export".into(),
            object: format!("export:{}", export.id),
            reason: None,
            at: deps.clock.now(),
        })
        .await?;
    let mut zip = ZipWriter::new_stream(out.buffer());
    put_json(&mut zip, "account.json", &account(deps, who).await?)?;
    put_json(&mut zip, "cameras.json", &cameras(deps, who).await?)?;
    put_json(&mut zip, "consents.json", &consents(deps, who).await?)?;
    put_json(&mut zip, "requests.json", &requests(deps, who).await?)?;
    put_json(&mut zip, "access-log.json", &access_log(deps, who).await?)?;
    out.drain(false).await?;
    events(deps, who, &mut zip, &mut out).await?;
    let snapshots = snapshots(deps, who, &mut zip, &mut out).await?;
    let album = super::album_files::write(deps, who, &mut zip, &mut out).await?;
    let media = media(deps, who, &mut zip, &mut out).await?;
    let media_files = media.len() as u64;
    let manifest = schema::Manifest {
        format: schema::FORMAT,
        export_id: export.id.clone(),
        account_id: who.0,
        created_at: time(deps.clock.now()),
        media,
        snapshots,
        album,
    };
    put_json(&mut zip, "manifest.json", &manifest)?;
    zip.finish().map_err(zip_err)?;
    out.drain(true).await?;
    Ok(Written {
        bytes: out.bytes,
        parts: out.parts,
        media_files,
    })
}

async fn account(deps: &ExportsDeps, who: AccountId) -> Result<schema::AccountFile> {
    let profile = deps.accounts.profile(who).await?;
    let a = &profile.account;
    Ok(schema::AccountFile {
        format: schema::FORMAT,
        id: a.id.0,
        username: a.username.clone(),
        role: a.role.as_str().into(),
        created_at: time(a.created_at),
        contacts: profile
            .contacts
            .iter()
            .map(|c| schema::ContactEntry {
                kind: c.address.kind().as_str().into(),
                address: c.address.expose().into(),
                state: c.state.as_str().into(),
                verified_at: maybe_time(c.verified_at),
            })
            .collect(),
        sessions: deps
            .accounts
            .sessions(who)
            .await?
            .into_iter()
            .map(|s| schema::SessionEntry {
                created_at: time(s.created_at),
                last_seen_at: time(s.last_seen_at),
                user_agent: s.user_agent,
            })
            .collect(),
        api_tokens: deps
            .accounts
            .api_tokens(who)
            .await?
            .into_iter()
            .map(|t| schema::TokenEntry {
                name: t.name,
                created_at: time(t.created_at),
                last_used_at: maybe_time(t.last_used_at),
            })
            .collect(),
        alert_settings: deps.events.alert_settings(who).await?,
        push_subscriptions: deps
            .events
            .push_subscriptions(who)
            .await?
            .into_iter()
            .map(|p| schema::PushEntry {
                service: p.masked_endpoint(),
                created_at: time(p.created_at),
            })
            .collect(),
        recent_searches: deps.events.recent_searches(who).await?,
        alert_deliveries: deps
            .events
            .deliveries(who, 500)
            .await?
            .into_iter()
            .map(|d| schema::DeliveryEntry {
                event_id: d.event_id,
                channel: d.channel,
                status: d.status,
                at: time(d.at),
            })
            .collect(),
        activity: deps
            .accounts
            .activity(who)
            .await?
            .into_iter()
            .map(|e| schema::ActivityEntry {
                at: time(e.at),
                kind: e.kind,
                ip: e.ip,
                user_agent: e.user_agent,
            })
            .collect(),
    })
}

async fn cameras(deps: &ExportsDeps, who: AccountId) -> Result<Vec<schema::CameraEntry>> {
    let mut out = Vec::new();
    for (camera, access) in deps.cameras.list(who).await? {
        let shared_with = if access == crate::cameras::Access::Owner {
            let (shares, _) = deps.cameras.shares(who, camera.id).await?;
            shares
                .into_iter()
                .map(|s| schema::ShareEntry {
                    username: s.username,
                    role: s.role.as_str().into(),
                    since: time(s.since),
                })
                .collect()
        } else {
            Vec::new()
        };
        out.push(schema::CameraEntry {
            id: camera.id.0,
            access: crate::recordings::playback::access_name(access).into(),
            kind: camera.kind.as_str().into(),
            serial: camera.serial,
            model: camera.model,
            source_url: camera.source_url,
            bound_at: maybe_time(camera.bound_at),
            settings: camera.settings,
            facts: camera.facts,
            shared_with,
        });
    }
    Ok(out)
}

async fn consents(deps: &ExportsDeps, who: AccountId) -> Result<schema::ConsentsFile> {
    Ok(schema::ConsentsFile {
        format: schema::FORMAT,
        current: deps
            .consents
            .choices(who)
            .await?
            .into_iter()
            .map(|c| schema::ChoiceEntry {
                purpose: c.purpose.into(),
                granted: c.granted,
            })
            .collect(),
        history: deps
            .consents
            .history(who)
            .await?
            .into_iter()
            .map(|c| schema::ConsentEntry {
                purpose: c.purpose,
                granted: c.granted,
                policy_version: c.policy_version,
                channel: c.channel,
                at: time(c.at),
            })
            .collect(),
    })
}

async fn requests(deps: &ExportsDeps, who: AccountId) -> Result<Vec<schema::RequestEntry>> {
    let mut out = Vec::new();
    for r in deps.requests.mine(who).await? {
        let steps = deps.requests.steps(r.id).await?;
        out.push(schema::RequestEntry {
            id: r.id,
            kind: r.kind.as_str().into(),
            details: r.details,
            state: r.state.as_str().into(),
            reason: r.reason,
            due_at: time(r.due_at),
            repeat_of: r.repeat_of,
            created_at: time(r.created_at),
            steps: steps
                .into_iter()
                .map(|s| schema::StepEntry {
                    state: s.state.as_str().into(),
                    reason: s.reason,
                    at: time(s.at),
                })
                .collect(),
        });
    }
    Ok(out)
}

async fn access_log(deps: &ExportsDeps, who: AccountId) -> Result<Vec<schema::AccessEntry>> {
    Ok(deps
        .recordings
        .access_log(who, ACCESS_LOG_MAX)
        .await?
        .into_iter()
        .map(|e| schema::AccessEntry {
            at: time(e.at),
            actor_id: e.actor.map(|a| a.0),
            role: e.role,
            action: e.action,
            object: e.object,
            reason: e.reason,
        })
        .collect())
}

fn snapshot_path(camera: i64, event: i64) -> String {
    format!("snapshots/camera-{camera}/event-{event}.jpg")
}

/// `events.json`, written as a stream of pages.
async fn events(
    deps: &ExportsDeps,
    who: AccountId,
    zip: &mut Zip,
    out: &mut PartWriter,
) -> Result<()> {
    zip.start_file("events.json", json_options())
        .map_err(zip_err)?;
    zip.write_all(b"[").map_err(zip_err)?;
    let (mut after, mut first) = ((Timestamp(i64::MIN), 0), true);
    loop {
        let page = deps.store.events_after(who, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = (last.at, last.id);
        for e in page {
            let entry = schema::EventEntry {
                id: e.id,
                camera_id: e.camera_id.0,
                snapshot: e
                    .snapshot_key
                    .as_ref()
                    .map(|_| snapshot_path(e.camera_id.0, e.id)),
                kind: e.kind,
                at: time(e.at),
                score: e.score,
                region: e.region,
                labels: e.labels,
            };
            zip.write_all(if first { b"\n" } else { b",\n" })
                .map_err(zip_err)?;
            first = false;
            serde_json::to_writer(&mut *zip, &entry).map_err(zip_err)?;
        }
        out.drain(false).await?;
    }
    zip.write_all(b"\n]\n").map_err(zip_err)
}

/// Every event snapshot still stored, as JPEG files.
async fn snapshots(
    deps: &ExportsDeps,
    who: AccountId,
    zip: &mut Zip,
    out: &mut PartWriter,
) -> Result<Vec<schema::SnapshotEntry>> {
    let mut written = Vec::new();
    let mut after = (Timestamp(i64::MIN), 0);
    loop {
        let page = deps.store.events_after(who, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = (last.at, last.id);
        for e in page {
            let Some(key) = &e.snapshot_key else { continue };
            let Some(jpeg) =
                crate::events::integration::open_sealed(&*deps.blobs, &deps.recordings, key)
                    .await?
            else {
                continue; // purged since the event was read
            };
            let path = snapshot_path(e.camera_id.0, e.id);
            zip.start_file(path.as_str(), media_options())
                .map_err(zip_err)?;
            zip.write_all(&jpeg).map_err(zip_err)?;
            out.drain(false).await?;
            written.push(schema::SnapshotEntry {
                path,
                event_id: e.id,
            });
        }
    }
    Ok(written)
}

/// The MP4 file being written.
struct OpenFile {
    entry: schema::MediaEntry,
    init: ExportInit,
    init_id: i64,
    has_audio: bool,
    base: Timestamp,
    end: Timestamp,
    day: String,
}

impl OpenFile {
    /// Whether `seg` continues this file: same stream set-up, no gap
    /// longer than the tolerance, same UTC day (files stay a day at most).
    fn takes(&self, seg: &SegmentRecord, tolerance_ms: i64) -> bool {
        let s = &seg.segment;
        s.init_id == self.init_id
            && s.has_audio == self.has_audio
            && s.start.ms() <= self.end.ms() + tolerance_ms
            && s.start >= self.base
            && utc_day(s.start) == self.day
    }
}

/// One MP4 per recording span of every camera the person recorded.
async fn media(
    deps: &ExportsDeps,
    who: AccountId,
    zip: &mut Zip,
    out: &mut PartWriter,
) -> Result<Vec<schema::MediaEntry>> {
    let tolerance = deps.recordings.config().gap_tolerance.as_millis() as i64;
    let mut files = Vec::new();
    for camera in deps.recordings.cameras_recorded_for(who).await? {
        let mut open: Option<OpenFile> = None;
        let mut after = (Timestamp(i64::MIN), 0);
        loop {
            let page = deps.store.segments_after(camera, who, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = (last.segment.start, last.id);
            // The next few segments are read and decrypted on other tasks
            // while this one is written: the archive is written in order,
            // the reading need not wait for it.
            let recordings = deps.recordings.clone();
            let mut fetched = futures_util::stream::iter(page.into_iter().filter(|s| !s.missing))
                .map(move |seg| {
                    let recordings = recordings.clone();
                    tokio::spawn(async move {
                        let plain = recordings.export_plaintext(&seg).await;
                        (seg, plain)
                    })
                })
                .buffered(PREFETCH);
            while let Some(joined) = fetched.next().await {
                let (seg, plain) = joined
                    .map_err(|e| Error::Storage(format!("reading a segment to export: {e}")))?;
                let plain = match plain {
                    Ok(plain) => plain,
                    // Purged by retention since the page was read.
                    Err(Error::NotFound(_)) => continue,
                    Err(e) => return Err(e),
                };
                if !open.as_ref().is_some_and(|f| f.takes(&seg, tolerance)) {
                    if let Some(done) = open.take() {
                        files.push(done.entry);
                    }
                    let s = &seg.segment;
                    let init = deps.recordings.export_init(s.init_id, s.has_audio).await?;
                    let path = format!("media/camera-{}/{}.mp4", camera.0, file_time(s.start));
                    zip.start_file(path.as_str(), media_options())
                        .map_err(zip_err)?;
                    zip.write_all(&init.bytes).map_err(zip_err)?;
                    open = Some(OpenFile {
                        entry: schema::MediaEntry {
                            path,
                            camera_id: camera.0,
                            start: time(s.start),
                            end: time(s.end),
                            segments: 0,
                            bytes: init.bytes.len() as u64,
                        },
                        init,
                        init_id: s.init_id,
                        has_audio: s.has_audio,
                        base: s.start,
                        end: s.end,
                        day: utc_day(s.start),
                    });
                }
                let Some(file) = open.as_mut() else {
                    continue; // just opened above
                };
                let data = retime(&plain, &seg, &file.init, file.base)?;
                zip.write_all(&data).map_err(zip_err)?;
                file.end = file.end.max(seg.segment.end);
                file.entry.end = time(file.end);
                file.entry.segments += 1;
                file.entry.bytes += data.len() as u64;
                out.drain(false).await?;
            }
        }
        if let Some(done) = open.take() {
            files.push(done.entry);
        }
    }
    Ok(files)
}
