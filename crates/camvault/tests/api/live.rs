//! Live view: segments reach viewers' sockets as they arrive; losing
//! access closes the socket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::TestApp;
use crate::recordings::{demo, put_segment, recording_camera, share_with_grandma, Cam};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(
    app: &TestApp,
    cam: &Cam,
    token: &str,
    origin: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "{}{}",
        app.base.replace("http://", "ws://"),
        cam.path("/live")
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

pub async fn next(socket: &mut Socket) -> Message {
    tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("a message within 10 s")
        .expect("socket open")
        .unwrap()
}

/// Expects the init description, the init and one segment.
pub async fn expect_segment(socket: &mut Socket, init: bool) -> Vec<u8> {
    if init {
        let Message::Text(text) = next(socket).await else {
            panic!("init description first")
        };
        let d: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(d["type"], "init");
        assert_eq!(d["codec"], "h264");
        let mime = d["mime"].as_str().unwrap();
        assert!(mime.starts_with("video/mp4; codecs=\"avc1.4d"), "{mime}");
        assert!(mime.contains("mp4a.40.2"), "{mime}");
        let Message::Binary(init) = next(socket).await else {
            panic!("init bytes")
        };
        assert_eq!(&init[..], &demo().0[..]);
    }
    let Message::Binary(seg) = next(socket).await else {
        panic!("segment bytes")
    };
    seg.to_vec()
}

#[tokio::test]
async fn a_viewer_gets_the_newest_segment_then_each_new_one() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let (_, segments) = demo();
    let token = cam.owner.api_token("live").await;
    let now = app.now_ms();
    let resp = put_segment(&app, &cam.token, "l0", cam.init_id, now, &segments[0]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // Joining later starts at the newest segment, which begins with a keyframe.
    let mut socket = connect(&app, &cam, &token, None).await.unwrap();
    assert_eq!(expect_segment(&mut socket, true).await, segments[0]);
    for (i, seg) in segments.iter().enumerate().skip(1).take(3) {
        let resp = put_segment(
            &app,
            &cam.token,
            &format!("l{i}"),
            cam.init_id,
            now + 2_000 * i as i64,
            seg,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        assert_eq!(&expect_segment(&mut socket, false).await, seg);
    }
    // A retried upload is stored once and not sent twice.
    let resp = put_segment(
        &app,
        &cam.token,
        "l3",
        cam.init_id,
        now + 6_000,
        &segments[3],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = put_segment(
        &app,
        &cam.token,
        "l4",
        cam.init_id,
        now + 8_000,
        &segments[4],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(expect_segment(&mut socket, false).await, segments[4]);
    socket.close(None).await.unwrap();
}

#[tokio::test]
async fn revoking_a_share_closes_the_viewers_live_stream() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let grandma = share_with_grandma(&app, &cam).await;
    let token = grandma.api_token("live").await;
    let mut socket = connect(&app, &cam, &token, None).await.unwrap();
    let resp = put_segment(
        &app,
        &cam.token,
        "v0",
        cam.init_id,
        app.now_ms(),
        &demo().1[0],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    expect_segment(&mut socket, true).await;

    let me: Value = grandma.get("/api/v1/me").await.json().await.unwrap();
    let resp = cam
        .owner
        .delete(&cam.path(&format!("/shares/{}", me["id"])))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    // The server re-checks access every 400 ms; allow for a slow machine.
    match next(&mut socket).await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 4403),
        other => panic!("expected a close, got {other:?}"),
    }
    // And she cannot reconnect.
    let err = connect(&app, &cam, &token, None).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
}

#[tokio::test]
async fn privacy_mode_ends_live_view() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let token = cam.owner.api_token("live").await;
    let mut socket = connect(&app, &cam, &token, None).await.unwrap();
    let resp = cam
        .owner
        .patch(&cam.path(""), json!({"privacy": true}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    match next(&mut socket).await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 4403),
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn strangers_anonymous_and_other_sites_get_no_socket() {
    let app = TestApp::spawn().await;
    let cam = recording_camera(&app).await;
    let stranger = app.person("stranger", domain::ports::Role::User).await;
    let token = stranger.api_token("live").await;
    let err = connect(&app, &cam, &token, None).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let err = connect(&app, &cam, "cvt_nope", None).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    // A page on another site cannot open the owner's socket with their cookies.
    let owner = cam.owner.api_token("live").await;
    let err = connect(&app, &cam, &owner, Some("http://evil.example"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    let mut ok = connect(&app, &cam, &owner, Some(&app.base)).await.unwrap();
    ok.send(Message::Close(None)).await.unwrap();
}
