//! IP cameras and NVR channels reached over RTSP (B7).
//!
//! The owner gives a URL and credentials; they are sealed (AES-256-GCM,
//! bound to the camera's serial) before storage, never returned by the API,
//! and only the URL without credentials is shown or logged. "Test
//! connection" runs an RTSP DESCRIBE and reports what the stream offers, or
//! a clear reason why it could not.

use std::time::Duration;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{Access, Camera, Cameras};
use crate::ids::{AccountId, CameraId};
use crate::{Error, Result};

/// How long a connection test may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Placeholder an NVR URL pattern uses for the channel number.
pub const CHANNEL: &str = "{channel}";

/// What the owner types to add RTSP cameras.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtspInput {
    /// Display name; NVR channels get " 1", " 2"… appended.
    pub name: String,
    /// `rtsp://host[:port]/path`; may contain `{channel}` for an NVR.
    pub url: String,
    /// Username, if the camera needs one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password, if the camera needs one.
    #[serde(default)]
    pub password: Option<String>,
    /// Number of NVR channels (with `{channel}` in the URL).
    #[serde(default)]
    pub channels: Option<u32>,
}

/// Where and how the server pulls an RTSP camera (credentials included).
#[derive(Clone)]
pub struct PullSource {
    /// `rtsp://host[:port]/path` without credentials.
    pub url: String,
    /// Username, if the camera needs one.
    pub username: Option<String>,
    /// Password, if the camera needs one.
    pub password: Option<String>,
}

// Credentials must never reach a log line through a stray `{:?}`.
impl std::fmt::Debug for PullSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullSource")
            .field("url", &self.url)
            .field("username", &self.username.as_ref().map(|_| "[set]"))
            .field("password", &self.password.as_ref().map(|_| "[set]"))
            .finish()
    }
}

/// The sealed part: never leaves the server.
#[derive(Serialize, Deserialize)]
struct Source {
    url: String,
    username: Option<String>,
    password: Option<String>,
}

/// The outcome of a connection test.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeOutcome {
    /// Whether a playable stream answered.
    pub ok: bool,
    /// Codec (`h264`, `h265`) when ok.
    pub codec: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Stable reason code when not ok: unreachable, auth_failed,
    /// unsupported_codec, timeout, protocol, invalid_url.
    pub reason: Option<&'static str>,
    /// A sentence for people.
    pub message: String,
}

fn check_url(url: &str) -> Result<url::Url> {
    let parsed = url::Url::parse(url).map_err(|_| Error::invalid("url", "is not a URL"))?;
    if parsed.scheme() != "rtsp" && parsed.scheme() != "rtsps" {
        return Err(Error::invalid("url", "must start with rtsp:// or rtsps://"));
    }
    if parsed.host_str().is_none_or(str::is_empty) || url.len() > 1024 {
        return Err(Error::invalid("url", "needs a host"));
    }
    Ok(parsed)
}

/// The URL without credentials, for display and logs.
fn redacted(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

fn short(field: &'static str, v: Option<String>) -> Result<Option<String>> {
    match v.filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 256 => Err(Error::invalid(field, "at most 256 characters")),
        other => Ok(other),
    }
}

impl Cameras {
    fn seal_source(&self, serial: &str, source: &Source) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(source).map_err(|e| Error::Storage(e.to_string()))?;
        Ok(crypto::seal(
            &self.credentials_key,
            serial.as_bytes(),
            &json,
        ))
    }

    /// Adds one RTSP camera, or one per NVR channel.
    pub async fn add_rtsp(&self, who: AccountId, input: RtspInput) -> Result<Vec<Camera>> {
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Error::invalid("name", "must be 1 to 60 characters"));
        }
        let username = short("username", input.username)?;
        let password = short("password", input.password)?;
        let pattern = input.url.contains(CHANNEL);
        let channels = match (pattern, input.channels) {
            (true, Some(n @ 1..=64)) => n,
            (true, _) => {
                return Err(Error::invalid(
                    "channels",
                    "give 1 to 64 channels for a {channel} URL",
                ))
            }
            (false, None | Some(1)) => 1,
            (false, Some(_)) => {
                return Err(Error::invalid(
                    "channels",
                    "the URL needs {channel} for several channels",
                ))
            }
        };
        let mut entries = Vec::new();
        for ch in 1..=channels {
            let url = input.url.replace(CHANNEL, &ch.to_string());
            let parsed = check_url(&url)?;
            // Credentials typed into the URL are moved into the sealed fields.
            let user = username
                .clone()
                .or_else(|| Some(parsed.username().to_string()).filter(|u| !u.is_empty()));
            let pass = password
                .clone()
                .or_else(|| parsed.password().map(str::to_string));
            let mut serial_bytes = [0u8; 6];
            rand::rngs::OsRng.fill_bytes(&mut serial_bytes);
            let serial = format!("RTSP-{}", hex::encode_upper(serial_bytes));
            let display = if pattern {
                format!("{name} {ch}")
            } else {
                name.clone()
            };
            let source = Source {
                url: redacted(&parsed),
                username: user,
                password: pass,
            };
            let sealed = self.seal_source(&serial, &source)?;
            entries.push((serial, display, source.url, sealed));
        }
        let ids = self
            .store
            .add_rtsp_cameras(who, &entries, self.clock.now())
            .await?;
        tracing::info!(account = %who, cameras = ids.len(), "RTSP cameras added");
        let mut out = Vec::new();
        for id in ids {
            out.push(
                self.store
                    .camera(id)
                    .await?
                    .ok_or(Error::NotFound("camera"))?,
            );
        }
        Ok(out)
    }

    /// RTSP cameras the server should be pulling now: bound, not in
    /// privacy mode, recording not off. In privacy mode the camera is not
    /// even contacted.
    pub async fn cameras_to_pull(&self) -> Result<Vec<Camera>> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.store.all_cameras(500, offset).await?;
            let n = page.len();
            out.extend(page.into_iter().filter(|c| {
                c.kind == super::CameraKind::Rtsp
                    && c.owner.is_some()
                    && !c.settings.privacy
                    && c.settings.recording_mode != super::RecordingMode::Off
            }));
            if n < 500 {
                return Ok(out);
            }
            offset += 500;
        }
    }

    /// The stream URL and credentials of an RTSP camera, for the server's
    /// own puller only: never returned by the API or logged.
    pub async fn pull_source(&self, camera: &Camera) -> Result<PullSource> {
        let source = self.open_source(camera).await?;
        Ok(PullSource {
            url: source.url,
            username: source.username,
            password: source.password,
        })
    }

    async fn open_source(&self, camera: &Camera) -> Result<Source> {
        let sealed = self
            .store
            .rtsp_source(camera.id)
            .await?
            .ok_or(Error::NotFound("camera source"))?;
        let json = crypto::open(&self.credentials_key, camera.serial.as_bytes(), &sealed)
            .map_err(|e| Error::Storage(format!("camera source: {e}")))?;
        serde_json::from_slice(&json).map_err(|e| Error::Storage(e.to_string()))
    }

    async fn rtsp_camera(&self, who: AccountId, id: CameraId) -> Result<(Camera, Access, Source)> {
        let (camera, access) = self.access(who, id).await?;
        if access < Access::Operator {
            return Err(Error::Forbidden);
        }
        if camera.kind != super::CameraKind::Rtsp {
            return Err(Error::invalid("camera", "is not an RTSP camera"));
        }
        let source = self.open_source(&camera).await?;
        Ok((camera, access, source))
    }

    /// Replaces the URL and/or credentials of an RTSP camera (owner or operator).
    pub async fn update_rtsp(
        &self,
        who: AccountId,
        id: CameraId,
        url: Option<String>,
        username: Option<String>,
        password: Option<String>,
    ) -> Result<(Camera, Access)> {
        let (camera, access, mut source) = self.rtsp_camera(who, id).await?;
        if let Some(url) = url {
            let parsed = check_url(&url)?;
            source.url = redacted(&parsed);
        }
        if username.is_some() {
            source.username = short("username", username)?;
        }
        if password.is_some() {
            source.password = short("password", password)?;
        }
        let sealed = self.seal_source(&camera.serial, &source)?;
        self.store.set_rtsp_source(id, &source.url, &sealed).await?;
        let camera = self
            .store
            .camera(id)
            .await?
            .ok_or(Error::NotFound("camera"))?;
        Ok((camera, access))
    }

    /// Runs RTSP DESCRIBE against the camera and reports the stream or why not.
    pub async fn test_connection(&self, who: AccountId, id: CameraId) -> Result<ProbeOutcome> {
        let (_, _, source) = self.rtsp_camera(who, id).await?;
        let result = media::rtsp::probe(
            &source.url,
            source.username.as_deref(),
            source.password.as_deref(),
            PROBE_TIMEOUT,
        )
        .await;
        Ok(match result {
            Ok(info) => ProbeOutcome {
                ok: true,
                message: format!("{} stream found", info.codec.to_uppercase()),
                codec: Some(info.codec),
                width: info.width,
                height: info.height,
                fps: info.fps,
                reason: None,
            },
            Err(e) => {
                let mut message = e.to_string();
                // The probe already strips credentials; this is belt and braces.
                if let Some(p) = source.password.as_deref().filter(|p| p.len() >= 4) {
                    message = message.replace(p, "***");
                }
                ProbeOutcome {
                    ok: false,
                    codec: None,
                    width: None,
                    height: None,
                    fps: None,
                    reason: Some(e.code()),
                    message,
                }
            }
        })
    }
}
