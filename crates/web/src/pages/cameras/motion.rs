//! The camera page's motion-detection form, for cameras the server watches
//! itself (RTSP): on or off, sensitivity, and masked zones written one per
//! line as percentages of the picture.

use axum::extract::{Path, State};
use axum::response::Response;
use domain::cameras::Camera;
use domain::events::motion::MotionSettings;
use domain::events::Region;
use maud::{html, Markup};
use serde::Deserialize;

use super::settings::{refused, saved};
use super::{camera_id, problem};
use crate::error::ApiError;
use crate::extract::{AppForm, PageUser};
use crate::state::AppState;

/// A zone as the form shows it: `x y w h` in percent.
fn zone_line(z: &Region) -> String {
    let p = |v: f64| format!("{}", (v * 1000.0).round() / 10.0);
    format!("{} {} {} {}", p(z.x), p(z.y), p(z.w), p(z.h))
}

/// The form, for people who may change the camera.
pub(super) fn section(user: &PageUser, c: &Camera, m: &MotionSettings) -> Markup {
    let zones: Vec<String> = m.masked_zones.iter().map(zone_line).collect();
    html! {
        form.card #motion method="post" action={ "/cameras/" (c.id) "/motion" } {
            h2 { "Motion detection" }
            p.muted { "This camera sends no events of its own, so camvault looks for motion in its video and raises motion events with a snapshot." }
            input type="hidden" name="csrf" value=(user.csrf());
            label.check { input type="checkbox" name="enabled" value="on" checked[m.enabled]; "Detect motion" }
            label for="sensitivity" { "Sensitivity (1 = only large changes, 100 = the smallest)" }
            input #sensitivity type="number" name="sensitivity" min="1" max="100" value=(m.sensitivity) required;
            label for="zones" { "Ignored zones: one per line, as left top width height in % of the picture (e.g. " code { "0 0 100 20" } " for the top fifth)" }
            textarea #zones name="zones" rows="3" { (zones.join("\n")) }
            button type="submit" { "Save motion settings" }
        }
    }
}

/// The form's fields.
#[derive(Debug, Deserialize)]
pub struct MotionForm {
    csrf: String,
    #[serde(default)]
    enabled: Option<String>,
    sensitivity: String,
    #[serde(default)]
    zones: String,
}

/// Reads the zone lines; each is four numbers in percent.
fn parse_zones(text: &str) -> domain::Result<Vec<Region>> {
    let bad = || {
        domain::Error::invalid(
            "masked_zones",
            "write each zone as four numbers: left top width height, in percent",
        )
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let n: Vec<f64> = line
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|p| !p.is_empty())
                .map(|p| p.trim_end_matches('%').parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad())?;
            match n[..] {
                [x, y, w, h] => Ok(Region {
                    x: x / 100.0,
                    y: y / 100.0,
                    w: w / 100.0,
                    h: h / 100.0,
                }),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// `POST /cameras/{id}/motion`.
pub async fn motion_post(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
    AppForm(form): AppForm<MotionForm>,
) -> Result<Response, ApiError> {
    user.check_csrf(&form.csrf)?;
    let id = match camera_id(&raw) {
        Ok(id) => id,
        Err(e) => return Ok(problem(&user, e)),
    };
    let sensitivity = form
        .sensitivity
        .trim()
        .parse::<u8>()
        .map_err(|_| domain::Error::invalid("sensitivity", "between 1 and 100"));
    let settings = sensitivity.and_then(|sensitivity| {
        Ok(MotionSettings {
            enabled: form.enabled.is_some(),
            sensitivity,
            masked_zones: parse_zones(&form.zones)?,
        })
    });
    let saved_or = match settings {
        Ok(s) => {
            state
                .events
                .set_motion_settings(user.0.account.id, id, &s)
                .await
        }
        Err(e) => Err(e),
    };
    Ok(match saved_or {
        Ok(_) => saved(id, "motion"),
        Err(e) => refused(&state, &user, id, e).await,
    })
}
