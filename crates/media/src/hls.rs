//! HLS media playlists (RFC 8216, version 7) for recorded fMP4 segments.
//!
//! [`media_playlist`] turns a recording's segment list into a finished
//! (VOD) playlist: one `EXT-X-MAP` per init segment, a discontinuity
//! wherever the recording has a hole or switches init segment, and an
//! `EXT-X-PROGRAM-DATE-TIME` after each so players can show wall-clock
//! times. It is pure string building: no I/O, no clock.

/// One fMP4 media segment to list in a playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlsSegment {
    /// The segment's URI as it should appear in the playlist.
    pub uri: String,
    /// URI of the init segment this media segment needs.
    pub init_uri: String,
    /// Wall-clock start, in milliseconds since the Unix epoch (UTC).
    pub start_ms: i64,
    /// Duration in milliseconds (more than 0).
    pub duration_ms: i64,
}

/// Why a playlist could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlsError {
    /// A URI is empty, starts with `#` (a player would read it as a
    /// comment) or holds `"`, CR or LF (which would break the playlist).
    #[error(
        "segment {index}: {field} {uri:?} is empty, starts with '#', or contains '\"', CR or LF"
    )]
    BadUri {
        /// Index of the segment in the input.
        index: usize,
        /// `uri` or `init_uri`.
        field: &'static str,
        /// The rejected URI.
        uri: String,
    },
    /// A segment's duration is zero or negative.
    #[error("segment {index}: duration {duration_ms} ms is not positive")]
    BadDuration {
        /// Index of the segment in the input.
        index: usize,
        /// The duration given.
        duration_ms: i64,
    },
    /// Segments are not sorted by start.
    #[error(
        "segment {index} starts at {start_ms} ms, before the previous one ({previous_start_ms} ms)"
    )]
    Unsorted {
        /// Index of the segment in the input.
        index: usize,
        /// Its start.
        start_ms: i64,
        /// The previous segment's start.
        previous_start_ms: i64,
    },
    /// A start time to be written as a date is outside years 0000–9999.
    #[error("segment {index}: start {start_ms} ms is outside the years 0000-9999")]
    DateOutOfRange {
        /// Index of the segment in the input.
        index: usize,
        /// Its start.
        start_ms: i64,
    },
    /// The gap tolerance is negative.
    #[error("gap tolerance {0} ms is negative")]
    NegativeTolerance(i64),
}

/// Builds a VOD media playlist listing `segments` (sorted by start).
///
/// A segment gets `EXT-X-DISCONTINUITY` when its init differs from the
/// previous one's or its start is more than `gap_tolerance_ms` away from
/// where the previous one ended (a gap, or an overlap a clock jump left); it
/// then also gets `EXT-X-PROGRAM-DATE-TIME`, as does the first segment.
/// `EXT-X-MAP` is written before the first segment and on every init
/// change. `EXT-X-INDEPENDENT-SEGMENTS` is declared, so every segment must
/// open on a keyframe. No input gives a valid playlist with no segments.
pub fn media_playlist(segments: &[HlsSegment], gap_tolerance_ms: i64) -> Result<String, HlsError> {
    if gap_tolerance_ms < 0 {
        return Err(HlsError::NegativeTolerance(gap_tolerance_ms));
    }
    let (longest_ms, capacity) = measure(segments, gap_tolerance_ms)?;
    let mut out = String::with_capacity(capacity);
    out.push_str("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:");
    let target = longest_ms / 1000 + i64::from(longest_ms % 1000 != 0);
    push_num(&mut out, unsigned(target.max(1)), 1);
    out.push_str(
        "\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n",
    );
    let mut prev: Option<&HlsSegment> = None;
    for s in segments {
        let brk = Break::between(prev, s, gap_tolerance_ms);
        if brk.discontinuity && prev.is_some() {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        if brk.new_init {
            out.push_str("#EXT-X-MAP:URI=\"");
            out.push_str(&s.init_uri);
            out.push_str("\"\n");
        }
        if brk.discontinuity {
            out.push_str("#EXT-X-PROGRAM-DATE-TIME:");
            // Checked in the first pass; a miss would only drop the date.
            if let Some(dt) = civil_date_time(s.start_ms) {
                dt.push_rfc3339(&mut out);
            }
            out.push('\n');
        }
        out.push_str("#EXTINF:");
        push_num(&mut out, unsigned(s.duration_ms / 1000), 1);
        out.push('.');
        push_num(&mut out, unsigned(s.duration_ms % 1000), 3);
        out.push_str(",\n");
        out.push_str(&s.uri);
        out.push('\n');
        prev = Some(s);
    }
    out.push_str("#EXT-X-ENDLIST\n");
    Ok(out)
}

/// Validates the input and returns the longest duration and how many bytes
/// the playlist needs at most, so it is written into one allocation.
fn measure(segments: &[HlsSegment], gap_tolerance_ms: i64) -> Result<(i64, usize), HlsError> {
    let mut longest_ms = 0i64;
    // The fixed header and footer.
    let mut capacity = 160usize;
    let mut prev: Option<&HlsSegment> = None;
    for (index, s) in segments.iter().enumerate() {
        for (field, uri) in [("uri", &s.uri), ("init_uri", &s.init_uri)] {
            if uri.is_empty() || uri.starts_with('#') || uri.contains(['"', '\r', '\n']) {
                return Err(HlsError::BadUri {
                    index,
                    field,
                    uri: uri.clone(),
                });
            }
        }
        if s.duration_ms <= 0 {
            return Err(HlsError::BadDuration {
                index,
                duration_ms: s.duration_ms,
            });
        }
        if let Some(p) = prev.filter(|p| s.start_ms < p.start_ms) {
            return Err(HlsError::Unsorted {
                index,
                start_ms: s.start_ms,
                previous_start_ms: p.start_ms,
            });
        }
        let brk = Break::between(prev, s, gap_tolerance_ms);
        if brk.discontinuity && civil_date_time(s.start_ms).is_none() {
            return Err(HlsError::DateOutOfRange {
                index,
                start_ms: s.start_ms,
            });
        }
        // "#EXTINF:" + up to 16 digits + ".000,\n", the URI and a newline.
        capacity = capacity.saturating_add(s.uri.len().saturating_add(31));
        if brk.new_init {
            // "#EXT-X-MAP:URI=\"" + URI + "\"\n".
            capacity = capacity.saturating_add(s.init_uri.len().saturating_add(18));
        }
        if brk.discontinuity {
            // The discontinuity and date lines.
            capacity = capacity.saturating_add(72);
        }
        longest_ms = longest_ms.max(s.duration_ms);
        prev = Some(s);
    }
    Ok((longest_ms, capacity))
}

/// Formats Unix milliseconds as RFC 3339 UTC with milliseconds, e.g.
/// `2026-11-26T09:55:53.123Z`; `None` outside the years 0000–9999.
pub fn format_program_date_time(unix_ms: i64) -> Option<String> {
    let dt = civil_date_time(unix_ms)?;
    let mut out = String::with_capacity(24);
    dt.push_rfc3339(&mut out);
    Some(out)
}

/// What sets a segment apart from the one before it.
struct Break {
    /// It needs an `EXT-X-MAP` (first segment, or its init changed).
    new_init: bool,
    /// It starts a new continuous run (first segment, init change, or its
    /// start is off the previous end by more than the tolerance).
    discontinuity: bool,
}

impl Break {
    fn between(prev: Option<&HlsSegment>, s: &HlsSegment, tolerance_ms: i64) -> Break {
        let Some(p) = prev else {
            return Break {
                new_init: true,
                discontinuity: true,
            };
        };
        let new_init = p.init_uri != s.init_uri;
        let prev_end = p.start_ms.saturating_add(p.duration_ms);
        let off = i128::from(s.start_ms) - i128::from(prev_end);
        Break {
            new_init,
            discontinuity: new_init || off.abs() > i128::from(tolerance_ms),
        }
    }
}

/// A UTC date and time, split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateTime {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
    milli: u64,
}

impl DateTime {
    fn push_rfc3339(&self, out: &mut String) {
        push_num(out, self.year, 4);
        out.push('-');
        push_num(out, self.month, 2);
        out.push('-');
        push_num(out, self.day, 2);
        out.push('T');
        push_num(out, self.hour, 2);
        out.push(':');
        push_num(out, self.minute, 2);
        out.push(':');
        push_num(out, self.second, 2);
        out.push('.');
        push_num(out, self.milli, 3);
        out.push('Z');
    }
}

/// Splits Unix milliseconds into UTC fields; `None` outside 0000–9999.
fn civil_date_time(unix_ms: i64) -> Option<DateTime> {
    const MS_PER_DAY: i64 = 86_400_000;
    let days = unix_ms.div_euclid(MS_PER_DAY);
    let ms = unsigned(unix_ms.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    Some(DateTime {
        year: unsigned(year),
        month,
        day,
        hour: ms / 3_600_000,
        minute: ms / 60_000 % 60,
        second: ms / 1000 % 60,
        milli: ms % 1000,
    })
}

/// Proleptic Gregorian (year, month, day) of a day count from 1970-01-01.
///
/// Counts in 400-year eras of 146,097 days, with years starting on 1 March
/// so the leap day falls at the end of a year; `days` is at most ±1.1e11
/// for any `i64` of milliseconds, far from overflowing.
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    // 719,468 days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Month index from March = 0, in 153-day five-month cycles.
    let march_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, unsigned(month), unsigned(day))
}

/// A value known to be non-negative as `u64` (0 if it somehow is not).
fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Appends `n` in decimal, zero-padded to at least `width` digits, without
/// the per-call allocation of `to_string` (43,200 segments per day).
fn push_num(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut len = 0usize;
    loop {
        if let Some(d) = digits.get_mut(len) {
            // n % 10 < 10, so the byte is an ASCII digit.
            *d = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push('0');
    }
    for &d in digits.iter().take(len).rev() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests;
