//! Motion detection for cameras that report no events of their own (RTSP
//! cameras): small grey frames compared with a running background.
//!
//! [`decode::KeyframeDecoder`] turns the keyframes of H.264 media segments
//! into [`GreyFrame`]s of about 64 pixels across (and, on request, a
//! half-size RGB picture for the event's snapshot). [`Detector`] keeps a
//! running average of the scene per camera and reports [`Motion`] when
//! enough unmasked cells differ from it by more than the sensitivity allows.
//!
//! Only keyframes are decoded: an intra frame decodes on its own, so the
//! cost is one picture per keyframe interval (typically 1–2 s) rather than
//! every frame, at the price of noticing motion up to one interval late.
//! Whole-frame changes (lights switched on, the camera's night mode) move
//! every cell at once; they reset the background instead of counting as
//! motion. The algorithm is written here because it is twenty lines of
//! arithmetic; the decoding is Cisco's OpenH264 through the `openh264` crate.

pub mod decode;

/// Width of the grey frames the detector compares, in cells.
pub const GRID_WIDTH: usize = 64;

/// A small greyscale picture, row-major, one byte per cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyFrame {
    /// Cells across.
    pub width: usize,
    /// Cells down.
    pub height: usize,
    /// `width * height` luma values.
    pub cells: Vec<u8>,
}

impl GreyFrame {
    /// Box-averages a luma plane (`stride` bytes per row) down to
    /// [`GRID_WIDTH`] cells across, keeping the aspect ratio.
    pub fn from_luma(luma: &[u8], width: usize, height: usize, stride: usize) -> Option<Self> {
        if width == 0 || height == 0 || stride < width || luma.len() < stride * (height - 1) + width
        {
            return None;
        }
        let gw = GRID_WIDTH.min(width);
        let gh = (height * gw / width).max(1);
        let mut cells = Vec::with_capacity(gw * gh);
        for gy in 0..gh {
            let (y0, y1) = (
                gy * height / gh,
                ((gy + 1) * height / gh).max(gy * height / gh + 1),
            );
            for gx in 0..gw {
                let (x0, x1) = (
                    gx * width / gw,
                    ((gx + 1) * width / gw).max(gx * width / gw + 1),
                );
                let mut sum = 0u64;
                for row in luma[y0 * stride..].chunks(stride).take(y1 - y0) {
                    sum += row[x0..x1].iter().map(|&v| u64::from(v)).sum::<u64>();
                }
                let n = ((y1 - y0) * (x1 - x0)) as u64;
                // An average of bytes is a byte.
                cells.push((sum / n) as u8);
            }
        }
        Some(GreyFrame {
            width: gw,
            height: gh,
            cells,
        })
    }
}

/// A rectangle in fractions of the picture (0–1), as events carry them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Area {
    fn contains(&self, fx: f64, fy: f64) -> bool {
        fx >= self.x && fx < self.x + self.w && fy >= self.y && fy < self.y + self.h
    }
}

/// Per-camera tuning.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// 1 (only large, strong changes) to 100 (the smallest ones).
    pub sensitivity: u8,
    /// Parts of the picture to ignore (a street, a tree, a neighbour's window).
    pub masked: Vec<Area>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            sensitivity: 50,
            masked: Vec::new(),
        }
    }
}

impl Tuning {
    /// Grey levels a cell must move by to count as changed.
    fn cell_threshold(&self) -> f32 {
        10.0 + f32::from(100 - self.sensitivity.clamp(1, 100)) * 0.4
    }

    /// Share of the unmasked cells that must change to count as motion.
    fn area_threshold(&self) -> f32 {
        0.002 + f32::from(100 - self.sensitivity.clamp(1, 100)) * 0.0003
    }
}

/// What the detector saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Motion {
    /// How much of the unmasked picture changed, scaled so a quarter is 1.0.
    pub score: f64,
    /// Bounding box of the changed cells.
    pub region: Area,
}

/// Share of cells whose change means the whole scene changed (lighting).
const SCENE_CHANGE: f32 = 0.7;
/// How fast the background follows the scene, per frame.
const LEARN_RATE: f32 = 0.25;

/// The running background of one camera.
#[derive(Debug, Default)]
pub struct Detector {
    background: Vec<f32>,
    size: (usize, usize),
}

impl Detector {
    /// Compares `frame` with the background, then learns from it.
    pub fn feed(&mut self, frame: &GreyFrame, tuning: &Tuning) -> Option<Motion> {
        if self.size != (frame.width, frame.height) || self.background.is_empty() {
            // First frame, or the camera changed resolution: start over.
            self.size = (frame.width, frame.height);
            self.background = frame.cells.iter().map(|&v| f32::from(v)).collect();
            return None;
        }
        let (w, h) = self.size;
        let live: Vec<bool> = (0..w * h)
            .map(|i| {
                let fx = ((i % w) as f64 + 0.5) / w as f64;
                let fy = ((i / w) as f64 + 0.5) / h as f64;
                !tuning.masked.iter().any(|m| m.contains(fx, fy))
            })
            .collect();
        let counted = live.iter().filter(|&&l| l).count();
        // Auto-exposure shifts every cell a little: compare against the shift.
        let shift = if counted == 0 {
            0.0
        } else {
            frame
                .cells
                .iter()
                .zip(&self.background)
                .zip(&live)
                .filter(|(_, &l)| l)
                .map(|((&v, &b), _)| f32::from(v) - b)
                .sum::<f32>()
                / counted as f32
        };
        let threshold = tuning.cell_threshold();
        let (mut changed, mut x0, mut y0, mut x1, mut y1) = (0usize, w, h, 0, 0);
        for (i, (&v, &b)) in frame.cells.iter().zip(&self.background).enumerate() {
            if live[i] && (f32::from(v) - b - shift).abs() > threshold {
                changed += 1;
                let (x, y) = (i % w, i / w);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
        let share = if counted == 0 {
            0.0
        } else {
            changed as f32 / counted as f32
        };
        if share > SCENE_CHANGE {
            self.background = frame.cells.iter().map(|&v| f32::from(v)).collect();
            return None;
        }
        for (b, &v) in self.background.iter_mut().zip(&frame.cells) {
            *b += (f32::from(v) - *b) * LEARN_RATE;
        }
        (share >= tuning.area_threshold() && changed > 0).then(|| Motion {
            score: f64::from((share * 4.0).min(1.0)),
            region: Area {
                x: x0 as f64 / w as f64,
                y: y0 as f64 / h as f64,
                w: (x1 - x0) as f64 / w as f64,
                h: (y1 - y0) as f64 / h as f64,
            },
        })
    }
}

#[cfg(test)]
mod tests;
