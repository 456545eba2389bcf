//! The RTSP "test connection" probe against real RTSP peers on 127.0.0.1.
//!
//! Most tests run `scripts/rtsp-test-camera.py` (GStreamer's RTSP server) as a
//! fake camera. Outside CI they print `SKIP rtsp: …` when its Python/GStreamer
//! packages are missing; in CI (`CI=true`) that is a failure. The tests that
//! need no camera (closed port, silent server, bad URL, in-band parameters via
//! a scripted RTSP server) always run.

// Tests may unwrap: a panic here is a failed test with its message.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use media::rtsp::{probe, ProbeError, StreamInfo};

const TIMEOUT: Duration = Duration::from_secs(10);

use testkit::rtsp::{free_port, start as camera};

fn assert_640x360_at_10(info: &StreamInfo, codec: &str) {
    assert_eq!(info.codec, codec);
    assert_eq!(
        (info.width, info.height),
        (Some(640), Some(360)),
        "{info:?}"
    );
    assert_eq!(info.fps, Some(10.0), "{info:?}");
    assert!(!info.has_audio, "{info:?}");
}

// promise: B7
#[tokio::test]
async fn h264_camera_reports_codec_size_and_rate() {
    let Some(cam) = camera(&["--codec", "h264"]) else {
        return;
    };
    let info = probe(&cam.url, None, None, TIMEOUT).await.unwrap();
    assert_640x360_at_10(&info, "h264");
}

// promise: B7
#[tokio::test]
async fn h265_camera_reports_codec_and_size() {
    let Some(cam) = camera(&["--codec", "h265"]) else {
        return;
    };
    let info = probe(&cam.url, None, None, TIMEOUT).await.unwrap();
    assert_eq!(info.codec, "h265");
    assert_eq!(
        (info.width, info.height),
        (Some(640), Some(360)),
        "{info:?}"
    );
}

// promise: B7
#[tokio::test]
async fn protected_camera_needs_the_right_credentials() {
    const PASSWORD: &str = "Corr3ct-Horse";
    const WRONG: &str = "Wr0ng-Battery";
    for auth in ["basic", "digest"] {
        let Some(cam) = camera(&["--user", "viewer", "--password", PASSWORD, "--auth", auth])
        else {
            return;
        };

        let info = probe(&cam.url, Some("viewer"), Some(PASSWORD), TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{auth}: right credentials refused: {e}"));
        assert_640x360_at_10(&info, "h264");

        // Credentials inside the URL work too.
        let with_creds = cam
            .url
            .replace("rtsp://", &format!("rtsp://viewer:{PASSWORD}@"));
        probe(&with_creds, None, None, TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{auth}: credentials in the URL refused: {e}"));

        for (user, password) in [(Some("viewer"), Some(WRONG)), (None, None)] {
            let err = probe(&cam.url, user, password, TIMEOUT).await.unwrap_err();
            assert!(
                matches!(err, ProbeError::AuthFailed),
                "{auth}: {err:?} for {user:?}"
            );
            assert_eq!(err.code(), "auth_failed");
            let text = format!("{err} {err:?}");
            assert!(!text.contains(WRONG) && !text.contains(PASSWORD), "{text}");
        }

        // A wrong password in the URL: still no password in the answer.
        let wrong_in_url = cam
            .url
            .replace("rtsp://", &format!("rtsp://viewer:{WRONG}@"));
        let err = probe(&wrong_in_url, None, None, TIMEOUT).await.unwrap_err();
        assert!(matches!(err, ProbeError::AuthFailed), "{auth}: {err:?}");
        assert!(!format!("{err} {err:?}").contains(WRONG));
    }
}

// promise: B7
#[tokio::test]
async fn mjpeg_camera_is_an_unsupported_codec() {
    let Some(cam) = camera(&["--codec", "mjpeg"]) else {
        return;
    };
    let err = probe(&cam.url, None, None, TIMEOUT).await.unwrap_err();
    match &err {
        ProbeError::UnsupportedCodec(codec) => assert_eq!(codec, "jpeg"),
        other => panic!("expected UnsupportedCodec, got {other:?}"),
    }
    assert_eq!(err.code(), "unsupported_codec");
}

// promise: B7
#[tokio::test]
async fn unknown_path_is_a_protocol_error() {
    let Some(cam) = camera(&[]) else {
        return;
    };
    let url = cam.url.replace("/cam", "/nope");
    let err = probe(&url, None, None, TIMEOUT).await.unwrap_err();
    assert_eq!(err.code(), "protocol", "{err:?}");
    assert!(err.to_string().contains("404"), "{err}");
}

// promise: B7
#[tokio::test]
async fn closed_port_is_unreachable() {
    let url = format!("rtsp://127.0.0.1:{}/cam", free_port());
    let err = probe(&url, Some("u"), Some("s3cret-pw"), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Unreachable(_)), "{err:?}");
    assert_eq!(err.code(), "unreachable");
    assert!(!format!("{err} {err:?}").contains("s3cret-pw"));
}

// promise: B7
#[tokio::test]
async fn silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("rtsp://u:s3cret-pw@{}/cam", listener.local_addr().unwrap());
    // Accepts and never answers; the thread ends with the test process.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let err = probe(&url, None, None, Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Timeout), "{err:?}");
    assert_eq!(err.code(), "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

// promise: B7
#[tokio::test]
async fn non_rtsp_url_is_invalid() {
    for url in ["http://x", "x", "rtsp://", "rtsp:///path"] {
        let err = probe(url, None, None, TIMEOUT).await.unwrap_err();
        assert!(matches!(err, ProbeError::InvalidUrl(_)), "{url}: {err:?}");
        assert_eq!(err.code(), "invalid_url");
    }
    let err = probe("http://admin:pw-in-url@x/", None, None, TIMEOUT)
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("pw-in-url"), "{err}");
}

/// SPS and PPS of a 640x360 H.264 stream at 10 fps (x264, Baseline), as
/// GStreamer's test camera sends them.
const SPS: &[u8] = &[
    0x67, 0x42, 0xc0, 0x16, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x5a, 0x83, 0x03, 0x03, 0x52, 0x80,
    0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0a, 0x47, 0x8b, 0x17, 0x50,
];
const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];

/// Some cameras leave the parameters out of the SDP and send them only with
/// the video; the probe must then SETUP, PLAY and read the first frame. A
/// scripted RTSP server plays that camera.
// promise: B7
#[tokio::test]
async fn parameters_sent_only_in_band_are_read_from_the_first_frame() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        serve_in_band_camera(stream);
    });
    let url = format!("rtsp://{addr}/live");
    let info = probe(&url, None, None, TIMEOUT).await.unwrap();
    assert_eq!(info.codec, "h264");
    assert_eq!(
        (info.width, info.height),
        (Some(640), Some(360)),
        "{info:?}"
    );
    // No a=framerate in this SDP: the rate comes from the SPS timing info.
    assert_eq!(info.fps, Some(10.0), "{info:?}");
    assert!(info.has_audio, "{info:?}");
    // The server ends once the probe's session hangs up (after its TEARDOWN,
    // sent by a task on this runtime: so wait without blocking it).
    tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
}

/// Answers DESCRIBE (SDP without sprop-parameter-sets), SETUP and PLAY, then
/// sends one access unit (SPS, PPS, IDR slice) as interleaved RTP on channel 0.
fn serve_in_band_camera(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return; // client closed
            }
            if line == "\r\n" {
                break;
            }
            head.push(line);
        }
        let method = head[0].split(' ').next().unwrap().to_owned();
        let cseq = head
            .iter()
            .find_map(|h| h.strip_prefix("CSeq: "))
            .unwrap()
            .trim()
            .to_owned();
        let length: usize = head
            .iter()
            .find_map(|h| h.strip_prefix("Content-Length: "))
            .map_or(0, |v| v.trim().parse().unwrap());
        reader.read_exact(&mut vec![0; length]).unwrap();

        let (headers, body) = match method.as_str() {
            "DESCRIBE" => {
                let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\n\
                           m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
                           a=fmtp:96 packetization-mode=1\r\na=control:track1\r\n\
                           m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n\
                           a=control:track2\r\n";
                (
                    "Content-Type: application/sdp\r\n".to_owned(),
                    sdp.to_owned(),
                )
            }
            "SETUP" => (
                "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0000abcd\r\n\
                 Session: 42;timeout=60\r\n"
                    .to_owned(),
                String::new(),
            ),
            "PLAY" | "TEARDOWN" => ("Session: 42\r\n".to_owned(), String::new()),
            _ => (String::new(), String::new()),
        };
        let response = format!(
            "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{headers}Content-Base: rtsp://127.0.0.1/live/\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        if method == "PLAY" {
            let idr: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x33, 0xff];
            for (seq, (nal, marker)) in [(SPS, false), (PPS, false), (idr, true)]
                .into_iter()
                .enumerate()
            {
                let mut rtp = vec![0x80, if marker { 0x80 | 96 } else { 96 }];
                rtp.extend_from_slice(&(seq as u16).to_be_bytes());
                rtp.extend_from_slice(&0u32.to_be_bytes()); // timestamp
                rtp.extend_from_slice(&0xabcdu32.to_be_bytes()); // ssrc
                rtp.extend_from_slice(nal);
                let mut frame = vec![b'$', 0];
                frame.extend_from_slice(&(rtp.len() as u16).to_be_bytes());
                frame.extend_from_slice(&rtp);
                stream.write_all(&frame).unwrap();
            }
        }
    }
}
