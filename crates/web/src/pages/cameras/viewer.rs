//! The video parts of the camera pages: the live tile of the cameras grid
//! and the camera page's viewer (live, day timeline, playback, download).
//! `assets/player.js` drives them; without script they show a note.

use domain::cameras::Camera;
use maud::{html, Markup};

/// The scripts the viewer and tiles need, once per page.
pub(super) fn scripts() -> Markup {
    html! {
        script src="/assets/vendor/hls.light.min.js" defer {}
        script src="/assets/player.js" defer {}
    }
}

/// A live tile for the cameras grid.
pub(super) fn tile(c: &Camera) -> Markup {
    html! {
        div.tile {
            @if c.settings.privacy {
                div.tile-off { "Privacy mode" }
            } @else {
                video muted autoplay playsinline data-live-camera=(c.id) aria-label={ "Live: " (c.settings.name) } {}
                span.tile-status { "Connecting…" }
            }
        }
    }
}

/// The camera page's viewer; `codec` is the one the camera sent last.
pub(super) fn viewer(c: &Camera, codec: Option<&str>) -> Markup {
    html! {
        section.card #viewer data-camera=(c.id) data-mode="live" data-codec=[codec] {
            div.player {
                video #video muted playsinline controls {}
                p #player-message .error role="alert" hidden {}
            }
            p.player-bar {
                span #player-status role="status" { "Live view needs JavaScript." }
                " "
                button #go-live type="button" { "Live" }
            }
            h2 { "Recordings" }
            p {
                label for="day" { "Day " }
                input #day type="date";
            }
            div #timeline .timeline role="group" aria-label="Recorded stretches of the day; click to play" {}
            div.timeline-hours aria-hidden="true" {
                span { "00:00" } span { "06:00" } span { "12:00" } span { "18:00" } span { "24:00" }
            }
            p #timeline-summary .muted {}
            h3 { "Download" }
            p.download {
                label { "From " input #download-from type="datetime-local" step="1"; }
                " "
                label { "to " input #download-to type="datetime-local" step="1"; }
                " "
                a #download .button download aria-disabled="true" { "Download MP4" }
            }
        }
    }
}
