//! Whether a weekly recording schedule allows an instant, in the camera's
//! own time zone (B3, C3).

use super::ScheduleWindow;
use crate::clock::Timestamp;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn minutes(hhmm: &str) -> Option<i32> {
    let (h, m) = hhmm.split_once(':')?;
    Some(h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?)
}

/// True when `windows` is empty (always record) or one window covers `at`
/// in `time_zone` (an IANA name; unknown or absent means UTC, the camera
/// having told us nothing better).
pub fn allows(windows: &[ScheduleWindow], time_zone: Option<&str>, at: Timestamp) -> bool {
    if windows.is_empty() {
        return true;
    }
    let tz = time_zone
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(ts) = jiff::Timestamp::from_millisecond(at.ms()) else {
        return false;
    };
    let local = ts.to_zoned(tz);
    let day = DAYS[local.weekday().to_monday_zero_offset() as usize];
    let now = i32::from(local.hour()) * 60 + i32::from(local.minute());
    windows.iter().any(|w| {
        w.days.iter().any(|d| d == day)
            && matches!((minutes(&w.start), minutes(&w.end)), (Some(s), Some(e)) if s <= now && now < e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[&str], start: &str, end: &str) -> ScheduleWindow {
        ScheduleWindow {
            days: days.iter().map(|d| (*d).to_owned()).collect(),
            start: start.into(),
            end: end.into(),
        }
    }

    // 2026-11-26 is a Thursday; 09:30 UTC is 10:30 in Berlin (CET, +1).
    const THU_0930_UTC: Timestamp = Timestamp(1_795_685_400_000);

    #[test]
    fn empty_schedule_always_allows() {
        assert!(allows(&[], None, THU_0930_UTC));
    }

    #[test]
    fn windows_apply_in_the_cameras_time_zone() {
        let w = [window(&["thu"], "10:00", "11:00")];
        assert!(!allows(&w, None, THU_0930_UTC));
        assert!(!allows(&w, Some("UTC"), THU_0930_UTC));
        assert!(allows(&w, Some("Europe/Berlin"), THU_0930_UTC));
        assert!(!allows(&w, Some("Asia/Tokyo"), THU_0930_UTC));
        assert!(!allows(
            &[window(&["fri"], "00:00", "24:00")],
            None,
            THU_0930_UTC
        ));
        assert!(allows(
            &[window(&["thu"], "09:30", "09:31")],
            None,
            THU_0930_UTC
        ));
        assert!(!allows(
            &[window(&["thu"], "09:00", "09:30")],
            None,
            THU_0930_UTC
        ));
    }

    #[test]
    fn unknown_zone_falls_back_to_utc() {
        let w = [window(&["thu"], "09:00", "10:00")];
        assert!(allows(&w, Some("Mars/Olympus"), THU_0930_UTC));
    }
}
