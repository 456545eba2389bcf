//! Live view over a WebSocket: fMP4 segments for the browser's MediaSource.
//!
//! Protocol, server to client: a text message
//! `{"type":"init","mime":"video/mp4; codecs=\"…\"","codec":"h264"}`, then the
//! init segment as a binary message, then each media segment as a binary
//! message as it arrives. A new init (camera restarted, audio switched)
//! repeats the pair. The socket closes with code 4403 when the viewer loses
//! access (share revoked, camera unbound) or the camera enters privacy
//! mode, checked twice a second.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::ids::{AccountId, CameraId};
use domain::recordings::live::LiveSegment;
use tokio::sync::broadcast::error::RecvError;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppPath, CurrentUser};
use crate::router::origin_is_host;
use crate::state::AppState;

/// How often a viewer's access is re-checked.
const ACCESS_CHECK: Duration = Duration::from_millis(400);
/// Close code for "you may no longer watch this".
const CLOSE_FORBIDDEN: u16 = 4403;

/// Opens a live stream of a camera (WebSocket upgrade).
#[utoipa::path(get, path = "/api/v1/cameras/{id}/live", tag = "recordings",
    params(("id" = i64, Path, description = "camera id")),
    responses((status = 101, description = "WebSocket: an init description, the init segment, then media segments"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 426, description = "websocket_required: not a WebSocket request", body = ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    CurrentUser(who): CurrentUser,
    AppPath(id): AppPath<i64>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    // Browsers send cookies with cross-site socket requests; only the
    // Origin header tells them apart.
    if !origin_is_host(&headers) {
        return Err(ApiError::csrf());
    }
    let camera = CameraId(id);
    let who = who.account.id;
    state.cameras.access(who, camera).await?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "websocket_required",
            "open this endpoint as a WebSocket",
        )
    })?;
    Ok(upgrade.on_upgrade(move |socket| async move {
        let _counted = crate::metrics::ViewerGuard::new(&state.metrics);
        stream(state, who, camera, socket).await
    }))
}

/// Whether `who` may still watch: access kept and privacy mode off.
async fn may_watch(state: &AppState, who: AccountId, camera: CameraId) -> bool {
    matches!(state.cameras.access(who, camera).await, Ok((c, _)) if !c.settings.privacy)
}

async fn send(
    socket: &mut WebSocket,
    state: &AppState,
    current: &mut Option<(i64, bool)>,
    seg: &LiveSegment,
) -> Result<(), axum::Error> {
    if *current != Some(seg.init_key) {
        let describe = serde_json::json!({
            "type": "init",
            "mime": seg.mime.as_ref(),
            "codec": seg.codec.as_ref(),
        });
        socket
            .send(Message::Text(describe.to_string().into()))
            .await?;
        socket
            .send(Message::Binary(seg.init.as_ref().clone().into()))
            .await?;
        *current = Some(seg.init_key);
    }
    socket
        .send(Message::Binary(seg.data.clone().into()))
        .await?;
    state.recordings.live().delivered(seg.arrived);
    Ok(())
}

async fn close(mut socket: WebSocket, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: CLOSE_FORBIDDEN,
            reason: reason.into(),
        })))
        .await;
}

async fn stream(state: AppState, who: AccountId, camera: CameraId, mut socket: WebSocket) {
    if !may_watch(&state, who, camera).await {
        return close(socket, "not available").await;
    }
    let Ok((newest, mut rx)) = state.recordings.watch_live(camera).await else {
        return close(socket, "not available").await;
    };
    let mut current = None;
    if let Some(seg) = newest {
        if send(&mut socket, &state, &mut current, &seg).await.is_err() {
            return;
        }
    }
    let mut check = tokio::time::interval(ACCESS_CHECK);
    loop {
        tokio::select! {
            next = rx.recv() => match next {
                Ok(seg) => {
                    let seg: Arc<LiveSegment> = seg;
                    if send(&mut socket, &state, &mut current, &seg).await.is_err() {
                        return;
                    }
                }
                // A slow viewer skipped segments; every segment starts with
                // a keyframe, so the next one plays on its own.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            _ = check.tick() => {
                if !may_watch(&state, who, camera).await {
                    return close(socket, "access ended").await;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // Pings are answered by the library; nothing else is expected.
                Some(Ok(_)) => {}
            },
        }
    }
}
