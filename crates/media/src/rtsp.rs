//! RTSP "test connection": ask an IP camera what its stream offers.
//!
//! [`probe`] sends `DESCRIBE` (with Basic or Digest credentials when the
//! camera asks for them) and reads the first H.264 or H.265 video stream from
//! the answer. Most cameras put the codec parameters (SPS/PPS) in that answer;
//! for those that send them only in-band, the probe goes on to `SETUP` and
//! `PLAY` over TCP and reads the first video frame. Everything is bounded by
//! the caller's timeout.
//!
//! No error text ever holds the password: `user:pass@` is stripped from any URL
//! in it ([`redact_url`]) and any literal occurrence of the password is masked.

use std::time::Duration;

use futures_util::StreamExt;
use retina::client::{Credentials, PlayOptions, Session, SessionOptions, SetupOptions};
use retina::codec::{CodecItem, ParametersRef, VideoParameters};
use url::Url;

/// Video encodings camvault can record, as RTP encoding names (lowercase).
pub(crate) const SUPPORTED_CODECS: [&str; 2] = ["h264", "h265"];

/// What a camera's stream offers.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// The video codec as its RTP encoding name: `"h264"` or `"h265"`.
    pub codec: String,
    /// Displayed width in pixels, when the camera told it.
    pub width: Option<u32>,
    /// Displayed height in pixels, when the camera told it.
    pub height: Option<u32>,
    /// Frames per second, from the SDP `a=framerate` or else the codec's
    /// timing information (a maximum, for variable-rate streams).
    pub fps: Option<f64>,
    /// Whether the camera also offers an audio stream.
    pub has_audio: bool,
}

/// Why a probe failed, as a stable kind plus a human sentence (never
/// containing the password).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No TCP connection could be made: refused, no route, or the host name
    /// does not resolve.
    #[error("cannot reach the camera: {0}")]
    Unreachable(String),
    /// The camera refused the credentials (RTSP 401 or 403), or asked for
    /// some when none were given.
    #[error("the camera rejected the username or password")]
    AuthFailed,
    /// The camera answered, but offers no H.264 or H.265 video; holds the
    /// encoding it offers instead (e.g. `"jpeg"`), or a note that there is no video.
    #[error("unsupported video: {0} (camvault records H.264 or H.265)")]
    UnsupportedCodec(String),
    /// The camera did not finish answering within the timeout.
    #[error("the camera did not answer in time")]
    Timeout,
    /// The camera answered with something unusable: an error status, a
    /// malformed message, or a stream that ended early.
    #[error("the camera's RTSP answer was unusable: {0}")]
    Protocol(String),
    /// The URL is not an `rtsp://host[:port]/path` URL.
    #[error("invalid camera URL: {0}")]
    InvalidUrl(String),
}

impl ProbeError {
    /// The stable machine-readable kind: `"unreachable"`, `"auth_failed"`,
    /// `"unsupported_codec"`, `"timeout"`, `"protocol"` or `"invalid_url"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "unreachable",
            Self::AuthFailed => "auth_failed",
            Self::UnsupportedCodec(_) => "unsupported_codec",
            Self::Timeout => "timeout",
            Self::Protocol(_) => "protocol",
            Self::InvalidUrl(_) => "invalid_url",
        }
    }

    /// Applies [`redact_url`] to the detail text and masks any literal
    /// occurrence of `password`.
    pub(crate) fn scrubbed(self, password: Option<&str>) -> Self {
        let clean = |text: String| {
            let text = redact_url(&text);
            match password {
                Some(p) if !p.is_empty() => text.replace(p, "***"),
                _ => text,
            }
        };
        match self {
            Self::Unreachable(s) => Self::Unreachable(clean(s)),
            Self::UnsupportedCodec(s) => Self::UnsupportedCodec(clean(s)),
            Self::Protocol(s) => Self::Protocol(clean(s)),
            Self::InvalidUrl(s) => Self::InvalidUrl(clean(s)),
            other @ (Self::AuthFailed | Self::Timeout) => other,
        }
    }
}

/// Runs RTSP DESCRIBE against `url` with optional credentials and reports the
/// first video stream.
///
/// `url` must be `rtsp://host[:port]/path` (port 554 by default). The user
/// name and password each come from the argument when it is non-empty, else
/// from a `user:pass@` in the URL (percent-decoded); with neither, no
/// credentials are sent. Prefers the first H.264/H.265 video stream; if the
/// camera offers only other video, fails with [`ProbeError::UnsupportedCodec`].
/// The whole exchange, including a `SETUP`/`PLAY` when the codec parameters
/// are sent only in-band, is bounded by `timeout`.
///
/// Must be called from within a tokio runtime.
pub async fn probe(
    url: &str,
    username: Option<&str>,
    password: Option<&str>,
    timeout: Duration,
) -> Result<StreamInfo, ProbeError> {
    let target = match Target::parse(url, username, password) {
        Ok(t) => t,
        Err(e) => return Err(e.scrubbed(password)),
    };
    let secret = target.creds.as_ref().map(|c| c.password.clone());
    let secret = secret.as_deref().or(password);
    match tokio::time::timeout(timeout, describe(target.url, target.creds)).await {
        Ok(Ok(info)) => Ok(info),
        Ok(Err(e)) => Err(e.scrubbed(secret)),
        Err(_elapsed) => Err(ProbeError::Timeout),
    }
}

/// A validated URL without credentials, and the credentials to use.
pub(crate) struct Target {
    pub(crate) url: Url,
    pub(crate) creds: Option<Credentials>,
}

impl Target {
    pub(crate) fn parse(
        raw: &str,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<Self, ProbeError> {
        let mut url = Url::parse(raw.trim()).map_err(|e| ProbeError::InvalidUrl(e.to_string()))?;
        if url.scheme() != "rtsp" {
            return Err(ProbeError::InvalidUrl(format!(
                "the URL must start with rtsp://, not {}://",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ProbeError::InvalidUrl("the URL has no host".to_owned()));
        }
        // Each of the user name and password comes from the arguments when
        // given there (non-empty), else from the URL's `user:pass@`.
        let pick = |given: Option<&str>, in_url: &str| match given {
            Some(g) if !g.is_empty() => g.to_owned(),
            _ => percent_decode(in_url),
        };
        let username = pick(username, url.username());
        let password = pick(password, url.password().unwrap_or(""));
        let creds = (!username.is_empty() || !password.is_empty())
            .then_some(Credentials { username, password });
        // retina refuses URLs carrying credentials; they travel in `creds`.
        url.set_username("")
            .and_then(|()| url.set_password(None))
            .map_err(|()| ProbeError::InvalidUrl("the URL cannot hold a host".to_owned()))?;
        Ok(Self { url, creds })
    }
}

/// Decodes `%XX` escapes (as in a URL's user info); invalid escapes stay as they are.
fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes.get(i).copied().unwrap_or_default());
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// DESCRIBE, and if needed SETUP + PLAY until the first video frame.
async fn describe(url: Url, creds: Option<Credentials>) -> Result<StreamInfo, ProbeError> {
    let options = SessionOptions::default()
        .creds(creds)
        .user_agent(concat!("camvault/", env!("CARGO_PKG_VERSION")).to_owned());
    let mut session = Session::describe(url, options).await.map_err(classify)?;

    let streams = session.streams();
    let has_audio = streams.iter().any(|s| s.media() == "audio");
    let Some(index) = streams
        .iter()
        .position(|s| s.media() == "video" && SUPPORTED_CODECS.contains(&s.encoding_name()))
    else {
        let offered = streams
            .iter()
            .find(|s| s.media() == "video")
            .map_or("no video stream", |s| s.encoding_name());
        return Err(ProbeError::UnsupportedCodec(offered.to_owned()));
    };
    let (codec, sdp_fps, described) = match streams.get(index) {
        Some(s) => (
            s.encoding_name().to_owned(),
            s.framerate().map(f64::from),
            video_parameters(s.parameters()).map(|v| info_from(v, s.encoding_name())),
        ),
        None => return Err(ProbeError::Protocol("stream list changed".to_owned())),
    };
    if let Some(mut info) = described {
        info.fps = sdp_fps.or(info.fps);
        info.has_audio = has_audio;
        return Ok(info);
    }

    // Parameters only in-band: play until the first frame of that stream.
    session
        .setup(index, SetupOptions::default())
        .await
        .map_err(classify)?;
    let mut frames = session
        .play(PlayOptions::default())
        .await
        .map_err(classify)?
        .demuxed()
        .map_err(classify)?;
    loop {
        match frames.next().await {
            Some(Ok(CodecItem::VideoFrame(frame))) if frame.stream_id() == index => {
                let params = frames.streams().get(index).and_then(|s| s.parameters());
                if let Some(v) = video_parameters(params) {
                    let mut info = info_from(v, &codec);
                    info.fps = sdp_fps.or(info.fps);
                    info.has_audio = has_audio;
                    return Ok(info);
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(classify(e)),
            None => {
                return Err(ProbeError::Protocol(
                    "the camera ended the stream before sending a video frame".to_owned(),
                ))
            }
        }
    }
}

fn video_parameters(params: Option<ParametersRef<'_>>) -> Option<&VideoParameters> {
    match params {
        Some(ParametersRef::Video(v)) => Some(v),
        _ => None,
    }
}

fn info_from(v: &VideoParameters, codec: &str) -> StreamInfo {
    let (width, height) = v.pixel_dimensions();
    // retina gives the frame duration in seconds as (numerator, denominator).
    let fps = v
        .frame_rate()
        .filter(|&(num, den)| num > 0 && den > 0)
        .map(|(num, den)| f64::from(den) / f64::from(num));
    StreamInfo {
        codec: codec.to_owned(),
        width: Some(width),
        height: Some(height),
        fps,
        has_audio: false,
    }
}

/// Sorts a retina error into a [`ProbeError`], keeping only its first line
/// (the rest is connection and packet context meant for debugging).
pub(crate) fn classify(e: retina::Error) -> ProbeError {
    match e.status_code() {
        Some(401 | 403) => return ProbeError::AuthFailed,
        Some(404) => {
            return ProbeError::Protocol(
                "RTSP 404 Not Found: the camera has no stream at this path".to_owned(),
            )
        }
        _ => {}
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim().to_owned();
    // retina's `ConnectError`: "Unable to connect to RTSP server: <io error>".
    match first.strip_prefix("Unable to connect to RTSP server:") {
        Some(reason) => ProbeError::Unreachable(reason.trim().to_owned()),
        None => ProbeError::Protocol(first),
    }
}

/// Strips `user:pass@` from every URL in `text` (`scheme://user:pass@host/…`
/// becomes `scheme://host/…`), so the result is safe to show or log.
///
/// Works on bare URLs and on sentences that contain URLs.
pub fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>')
            })
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        match authority.rsplit_once('@') {
            Some((_userinfo, host)) => out.push_str(host),
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    #[test]
    fn redact_url_strips_user_info() {
        assert_eq!(
            redact_url("rtsp://admin:s3cret@10.0.0.5:554/Streaming/101"),
            "rtsp://10.0.0.5:554/Streaming/101"
        );
        assert_eq!(redact_url("rtsp://admin@cam"), "rtsp://cam");
        assert_eq!(
            redact_url("Bad URL rtsp://u:p%40ss@cam/x; only rtsp, see http://a:b@c?d"),
            "Bad URL rtsp://cam/x; only rtsp, see http://c?d"
        );
        // Nothing to strip: unchanged, including an @ in the path or query.
        for s in [
            "rtsp://cam/a@b",
            "rtsp://cam?x=a@b",
            "no url here",
            "",
            "x://",
        ] {
            assert_eq!(redact_url(s), s);
        }
    }

    #[test]
    fn codes_are_stable() {
        let all = [
            (ProbeError::Unreachable(String::new()), "unreachable"),
            (ProbeError::AuthFailed, "auth_failed"),
            (
                ProbeError::UnsupportedCodec(String::new()),
                "unsupported_codec",
            ),
            (ProbeError::Timeout, "timeout"),
            (ProbeError::Protocol(String::new()), "protocol"),
            (ProbeError::InvalidUrl(String::new()), "invalid_url"),
        ];
        for (e, code) in all {
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn scrubbing_masks_password_everywhere() {
        let e = ProbeError::Protocol("rtsp://u:hunter2@cam/ said hunter2".to_owned());
        let text = e.scrubbed(Some("hunter2")).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("rtsp://cam/"), "{text}");
    }

    #[test]
    fn target_takes_credentials_from_url_or_arguments() {
        let t = Target::parse("rtsp://ad%3Amin:p%40ss@cam:8554/live", None, None).unwrap();
        assert_eq!(t.url.as_str(), "rtsp://cam:8554/live");
        let c = t.creds.unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("ad:min", "p@ss")
        );

        let t = Target::parse("rtsp://x:y@cam/live", Some("u"), Some("p")).unwrap();
        let c = t.creds.unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p"));
        assert_eq!(t.url.as_str(), "rtsp://cam/live");

        // Empty form fields mean "take it from the URL", or no credentials.
        let t = Target::parse("rtsp://admin@cam/live", Some(""), Some("pw")).unwrap();
        let c = t.creds.unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("admin", "pw"));
        let t = Target::parse("rtsp://cam/live", Some(""), Some("")).unwrap();
        assert!(t.creds.is_none());
    }

    #[test]
    fn target_rejects_non_rtsp_urls_without_leaking() {
        for (url, needle) in [
            ("http://x", "rtsp://"),
            ("rtsp://", "host"),
            ("not a url", "relative URL"),
            ("rtsps://u:pw1234@cam/", "rtsp://"),
        ] {
            let e = match Target::parse(url, None, Some("pw1234")) {
                Ok(_) => panic!("{url} accepted"),
                Err(e) => e.scrubbed(Some("pw1234")),
            };
            assert_eq!(e.code(), "invalid_url", "{url}");
            let text = e.to_string();
            assert!(text.contains(needle), "{url}: {text}");
            assert!(!text.contains("pw1234"), "{url}: {text}");
        }
    }

    #[test]
    fn percent_decode_handles_bad_escapes() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
