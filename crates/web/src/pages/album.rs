//! Album pages (C5): the grid with the upload form, one photo or clip, and
//! deleting. The form works without script (a multipart POST); with
//! `/assets/album.js` it sends the file to the API and shows its progress.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::auth::CsrfForm;
use super::failure;
use super::layout::{error_box, page};
use crate::error::ApiError;
use crate::extract::{AppForm, AppPath, PageUser};
use crate::state::AppState;
use crate::time_fmt::rfc3339;

fn media(id: i64, media_type: &str, class: &str) -> Markup {
    let src = format!("/api/v1/me/album/{id}");
    html! {
        @if media_type.starts_with("video/") {
            video class=(class) src=(src) controls preload="metadata" {}
        } @else {
            img class=(class) src=(src) alt="" loading="lazy";
        }
    }
}

async fn grid(state: &AppState, user: &PageUser, error: Option<&str>) -> Result<Markup, ApiError> {
    let items = state.album.list(user.0.account.id).await?;
    Ok(page(
        "Album",
        Some(user),
        html! {
            h1 { "Album" }
            (error_box(error))
            form.card #album-upload method="post" action="/album/upload" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(user.csrf());
                label { "Photo or clip (JPEG, PNG, HEIC or MP4): choose one, or drop it here"
                    input #album-file type="file" name="file" required
                        accept="image/jpeg,image/png,image/heic,video/mp4,video/quicktime"; }
                progress #album-progress value="0" max="100" hidden {}
                p #album-status role="status" {}
                button type="submit" { "Upload" }
            }
            p.muted { "Where a photo was taken is removed before it is stored, unless you turned on location tags in the "
                a href="/privacy-center" { "privacy center" } "." }
            @if items.is_empty() { p #album-empty { "Nothing here yet." } }
            ul.album-grid #album-grid {
                @for i in &items {
                    li.album-item data-id=(i.id) {
                        a href=(format!("/album/{}", i.id)) {
                            @if i.thumb_key.is_some() {
                                img.thumb src=(format!("/api/v1/me/album/{}/thumbnail.jpg", i.id)) alt="" loading="lazy";
                            } @else {
                                (media(i.id, &i.media_type, "thumb"))
                            }
                        }
                        span.muted { (i.name.clone().unwrap_or_default()) }
                    }
                }
            }
            script src="/assets/album.js" defer {}
        },
    ))
}

/// `GET /album`.
pub async fn album_get(State(state): State<AppState>, user: PageUser) -> Result<Markup, ApiError> {
    grid(&state, &user, None).await
}

/// `POST /album/upload`: the form without script (multipart, one file).
pub async fn upload_post(
    State(state): State<AppState>,
    user: PageUser,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let mut csrf = None;
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("file") => {
                let media_type = field.content_type().unwrap_or("").to_string();
                let name = field.file_name().map(str::to_string);
                let bytes = field.bytes().await.map_err(|e| {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text())
                })?;
                file = Some((media_type, name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    user.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let Some((media_type, name, bytes)) = file else {
        let page = grid(&state, &user, Some("Choose a file first.")).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    match state
        .album
        .add(user.0.account.id, &media_type, name.as_deref(), bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to("/album").into_response()),
        Err(e) => {
            let (status, text) = failure(e);
            Ok((status, grid(&state, &user, Some(&text)).await?).into_response())
        }
    }
}

/// `GET /album/{id}`: one photo or clip, large, with download and delete.
pub async fn item_get(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(id): AppPath<i64>,
) -> Result<Markup, ApiError> {
    let item = state
        .album
        .list(user.0.account.id)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(ApiError::from(domain::Error::NotFound("album item")))?;
    let name = item.name.clone().unwrap_or_else(|| format!("album-{id}"));
    Ok(page(
        "Album",
        Some(&user),
        html! {
            h1 { (name) }
            figure #album-viewer { (media(id, &item.media_type, "full")) }
            p { (item.bytes) " bytes · uploaded " (rfc3339(item.created_at))
                @if item.location_kept { " · location kept (you consented)" } }
            p { a href=(format!("/api/v1/me/album/{id}")) download=(name) { "Download" } }
            form method="post" action=(format!("/album/{id}/delete")) {
                input type="hidden" name="csrf" value=(user.csrf());
                button type="submit" { "Delete" }
            }
            p { a href="/album" { "Back to the album" } }
        },
    ))
}

/// `POST /album/{id}/delete`.
pub async fn delete_post(
    State(state): State<AppState>,
    user: PageUser,
    AppPath(id): AppPath<i64>,
    AppForm(form): AppForm<CsrfForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(form.csrf())?;
    state.album.delete(user.0.account.id, id).await?;
    Ok(Redirect::to("/album").into_response())
}
