//! What the resting signal looks like: its level, its noise, and its recent floor.
//!
//! Three small trackers, each O(1) per sample and free of allocation:
//!
//! - [`Calibration`]: the first seconds of a session (and after every fault),
//!   summarised robustly by median and MAD of a thinned set of samples, so a
//!   blink during calibration does not spoil the estimate.
//! - [`Level`]: the running baseline and noise. The baseline is a clipped
//!   (Huber-like) tracker, frozen while a burst is watched; its steps up are
//!   clipped harder than its steps down, because muscle activity only ever
//!   adds to the envelope: what lies far below the baseline is evidence about
//!   the baseline, what lies far above may be a blink. The noise is a tracked mean
//!   absolute deviation over samples near the baseline only, so blinks,
//!   smiles and steps do not inflate it.
//! - [`Window`]: minimum and maximum over the last few hundred milliseconds
//!   in 50 ms buckets. Its minimum is the *floor* a blink must rise above
//!   quickly (a smile's slow rise drags the floor along; a blink's fast rise
//!   does not), and its range tells a flat signal.

/// The smallest noise level believed, in counts: the ADS1115 cannot resolve
/// less than one count, so a quieter-looking signal is quantisation.
pub(crate) const MIN_SIGMA: f64 = 0.5;

/// Mean absolute deviation of a normal distribution truncated at 3 sigma,
/// over sigma: converts the tracked MAD to a standard deviation.
const MAD_TO_SIGMA: f64 = 1.0 / 0.7805;

/// Width of one bucket of the [`Window`].
pub(crate) const BUCKET_MS: f64 = 50.0;
/// Buckets kept: 8 x 50 ms = 400 ms of history.
pub(crate) const RING: usize = 8;

/// The lesser of two numbers that are never NaN (samples come from
/// integers): one `minsd`, where `f64::min` also has to handle NaN.
#[inline(always)]
pub(crate) fn fmin(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// The greater of two numbers that are never NaN (see [`fmin`]).
#[inline(always)]
pub(crate) fn fmax(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// The halves of a calibration agree to within this many noise units ...
const SETTLED_SIGMA: f64 = 2.0;
/// ... or the window slides on, at most this many times.
const MAX_SLIDES: u32 = 4;

/// Robust first estimate of baseline and noise.
#[derive(Debug, Clone)]
pub(crate) struct Calibration {
    start_ms: f64,
    /// One kept sample per slice of the calibration time (the first in it),
    /// and its time.
    kept: [f64; Self::SLOTS],
    kept_t: [f64; Self::SLOTS],
    len: usize,
    slice_ms: f64,
    next_slice_ms: f64,
    /// Times the window moved on because the signal was still settling.
    slides: u32,
}

impl Calibration {
    const SLOTS: usize = 128;

    /// A calibration from `start_ms`. `settle`: the signal may still be
    /// settling (a pad just pressed back on), so wait for it (see
    /// [`Self::settled`]).
    pub(crate) fn new(start_ms: f64, calibration_ms: f64, settle: bool) -> Self {
        // At least 20 ms per slice, so 25 Hz fills a slice with one sample
        // and 860 Hz is thinned to the same effective rate.
        let slice_ms = (calibration_ms / Self::SLOTS as f64).max(20.0);
        Calibration {
            start_ms,
            kept: [0.0; Self::SLOTS],
            kept_t: [0.0; Self::SLOTS],
            len: 0,
            slice_ms,
            next_slice_ms: start_ms,
            slides: if settle { 0 } else { MAX_SLIDES },
        }
    }

    /// Whether the signal held one level over the calibration: the medians
    /// of its two halves lie within `SETTLED_SIGMA` noise units of each
    /// other, the noise measured from the steps between neighbouring kept
    /// samples (a trend inflates a deviation from the median, hardly a
    /// step). A pad just pressed back on settles over a second or two;
    /// calibrating on that decay would learn a noise level many times too
    /// wide. After `MAX_SLIDES` tries the signal is taken as it is.
    pub(crate) fn settled(&self) -> bool {
        if self.len < 8 || self.slides >= MAX_SLIDES {
            return true;
        }
        let v = &self.kept[..self.len];
        let mut a = [0.0; Self::SLOTS];
        let half = self.len / 2;
        a[..half].copy_from_slice(&v[..half]);
        let m1 = median_in_place(&mut a[..half]);
        a[..self.len - half].copy_from_slice(&v[half..]);
        let m2 = median_in_place(&mut a[..self.len - half]);
        for (d, w) in a.iter_mut().zip(v.windows(2)) {
            *d = (w[1] - w[0]).abs();
        }
        let sigma = (1.4826 * median_in_place(&mut a[..self.len - 1]) / std::f64::consts::SQRT_2)
            .max(MIN_SIGMA);
        (m1 - m2).abs() <= SETTLED_SIGMA * sigma
    }

    /// Drops the first half of the window: calibration goes on from the
    /// second half's start.
    pub(crate) fn slide(&mut self) {
        let half = self.len / 2;
        self.kept.copy_within(half..self.len, 0);
        self.kept_t.copy_within(half..self.len, 0);
        self.len -= half;
        self.start_ms = self.kept_t[0];
        self.slides += 1;
    }

    pub(crate) fn start_ms(&self) -> f64 {
        self.start_ms
    }

    pub(crate) fn push(&mut self, t_ms: f64, x: f64) {
        if t_ms >= self.next_slice_ms && self.len < Self::SLOTS {
            self.kept[self.len] = x;
            self.kept_t[self.len] = t_ms;
            self.len += 1;
            self.next_slice_ms = t_ms + self.slice_ms;
        }
    }

    /// Median and noise (1.4826 MAD, at least [`MIN_SIGMA`]). Sorts at most
    /// 128 values once per calibration, never per sample.
    ///
    /// Samples at or below `ground` are clipped (see
    /// [`super::front::GROUND_COUNTS`]): they only say the signal was no
    /// higher. If any is, the noise is measured from the upper half alone,
    /// how far the samples above the median lie above it, which clipping
    /// leaves whole as long as the median is above the ground. (A median
    /// at the ground leaves only the top of the noise above it, or only
    /// blinks: the noise then comes out too narrow, or as wide as a blink,
    /// and nothing in the samples can tell which.)
    pub(crate) fn estimate(&self, ground: f64) -> Option<(f64, f64)> {
        if self.len == 0 {
            return None;
        }
        let mut v = self.kept;
        let v = &mut v[..self.len];
        let clipped = v.iter().any(|&x| x <= ground);
        let median = median_in_place(v);
        if clipped {
            let mut above = [0.0; Self::SLOTS];
            let mut n = 0;
            for &x in v.iter() {
                if x > median {
                    above[n] = x - median;
                    n += 1;
                }
            }
            // The lowest third of those: a burst in the calibration (a
            // third of the samples above a clipped median, at most) leaves
            // it alone. A normal's upper half reaches a third of the way up
            // at 0.4307 of its standard deviation.
            let third = if n == 0 {
                0.0
            } else {
                *above[..n].select_nth_unstable_by(n / 3, f64::total_cmp).1
            };
            return Some((median, (third / 0.4307).max(MIN_SIGMA)));
        }
        for x in v.iter_mut() {
            *x = (*x - median).abs();
        }
        let mad = median_in_place(v);
        Some((median, (1.4826 * mad).max(MIN_SIGMA)))
    }
}

/// A fresh look at the resting signal over one calibration time, kept as
/// running sums (no sorting): one sample per `SLICE_MS`, so every rate
/// weighs alike, each half of the window apart.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fresh {
    start_ms: f64,
    half_ms: f64,
    next_ms: f64,
    /// Count, sum and sum of squares of each half.
    n: [f64; 2],
    sum: [f64; 2],
    sq: [f64; 2],
    lo: f64,
    hi: f64,
    /// The last kept sample, and the sum of squared steps between kept
    /// neighbours (a noise that a step inside the window hardly moves).
    last: f64,
    steps_sq: f64,
}

impl Fresh {
    const SLICE_MS: f64 = 20.0;

    pub(crate) fn new(start_ms: f64, window_ms: f64) -> Self {
        Fresh {
            start_ms,
            half_ms: 0.5 * window_ms,
            next_ms: start_ms,
            n: [0.0; 2],
            sum: [0.0; 2],
            sq: [0.0; 2],
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            last: f64::NAN,
            steps_sq: 0.0,
        }
    }

    /// Learns a sample; true once the window is full.
    pub(crate) fn push(&mut self, t_ms: f64, x: f64) -> bool {
        if t_ms >= self.next_ms {
            self.next_ms = t_ms + Self::SLICE_MS;
            let h = usize::from(t_ms - self.start_ms >= self.half_ms);
            self.n[h] += 1.0;
            self.sum[h] += x;
            self.sq[h] += x * x;
            self.lo = fmin(self.lo, x);
            self.hi = fmax(self.hi, x);
            if !self.last.is_nan() {
                self.steps_sq += (x - self.last) * (x - self.last);
            }
            self.last = x;
        }
        t_ms - self.start_ms >= 2.0 * self.half_ms
    }

    /// The window's mean and standard deviation, whether it held one level
    /// (the means of its halves within `SETTLED_SIGMA` noise units, the
    /// noise measured from the steps between neighbours: no step inside
    /// it) and whether it was quiet (no sample more than `quiet`
    /// deviations from the mean: no burst, however sparse). None if too
    /// few samples.
    pub(crate) fn summary(&self, quiet: f64, ground: f64) -> Option<FreshSummary> {
        if self.n[0] < 4.0 || self.n[1] < 4.0 {
            return None;
        }
        let n = self.n[0] + self.n[1];
        let mean = (self.sum[0] + self.sum[1]) / n;
        let var = (self.sq[0] + self.sq[1]) / n - mean * mean;
        let sd = var.max(0.0).sqrt().max(MIN_SIGMA);
        let halves = (self.sum[0] / self.n[0] - self.sum[1] / self.n[1]).abs();
        let step_sd = (self.steps_sq / (2.0 * (n - 1.0))).sqrt().max(MIN_SIGMA);
        Some(FreshSummary {
            mean,
            sd,
            settled: halves <= SETTLED_SIGMA * step_sd,
            quiet: self.hi - mean <= quiet * sd && mean - self.lo <= quiet * sd,
            whole: self.lo > ground,
        })
    }
}

/// What a [`Fresh`] look found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FreshSummary {
    pub(crate) mean: f64,
    pub(crate) sd: f64,
    pub(crate) settled: bool,
    pub(crate) quiet: bool,
    /// No sample at the ground: the whole noise was seen (see
    /// [`Level::update`]).
    pub(crate) whole: bool,
}

/// Median of a slice, in [`f64::total_cmp`]'s order (reorders it: sorts
/// it when it holds at most 16 values, beyond that only partly).
pub(crate) fn median_in_place(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    // The detector takes a median on every accepted blink (at most 16
    // heights). Sorted as the integers `f64::total_cmp` compares, they take
    // the standard library's branch-free small sort; same order, same median.
    const SMALL: usize = 16;
    if v.len() <= SMALL {
        let mut keys = [0i64; SMALL];
        let keys = &mut keys[..v.len()];
        for (k, x) in keys.iter_mut().zip(v.iter()) {
            *k = total_order_key(x.to_bits() as i64);
        }
        keys.sort_unstable();
        for (x, k) in v.iter_mut().zip(keys.iter()) {
            *x = f64::from_bits(total_order_key(*k) as u64);
        }
    } else {
        // A calibration's (up to 128 values): selecting the middle is
        // linear where a sort is not; the same values come out.
        let n = v.len();
        let (left, mid, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
        let mid = *mid;
        return if n % 2 == 1 {
            mid
        } else {
            let below = left.iter().copied().max_by(f64::total_cmp).unwrap_or(mid);
            0.5 * (below + mid)
        };
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The integer whose order is [`f64::total_cmp`]'s, from an f64's bits (as
/// in its implementation: negative numbers have their magnitude bits
/// flipped). Its own inverse.
#[inline]
fn total_order_key(bits: i64) -> i64 {
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// Running baseline and noise of the resting signal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    pub(crate) base: f64,
    mad: f64,
    sigma: f64,
    /// 1 / time constant of the baseline and noise, per ms.
    up_per_ms: f64,
}

impl Level {
    pub(crate) fn new(base: f64, sigma: f64, baseline_ms: f64) -> Self {
        let tau = baseline_ms.max(1.0);
        Level {
            base,
            mad: sigma / MAD_TO_SIGMA,
            sigma: sigma.max(MIN_SIGMA),
            up_per_ms: 1.0 / tau,
        }
    }

    pub(crate) fn sigma(&self) -> f64 {
        self.sigma
    }

    /// Learns from a sample believed to be rest (no candidate open).
    /// `whole`: the signal is clear of the ground. While it touches the
    /// ground, clipping hides the lower half of the noise (from what is
    /// left the noise would shrink towards nothing, and every ripple above
    /// the ground would become a burst), so the noise holds what it learned
    /// (at the last calibration or while the signal was clear); the
    /// baseline goes on learning. Learning from the upper half alone
    /// instead (twice how far a sample lies above the baseline) did no
    /// better on the traces of `scripts/ground-report`, and worse where
    /// half the samples sit at the ground, where the baseline is too high.
    #[inline]
    pub(crate) fn update(&mut self, x: f64, dt_ms: f64, whole: bool) {
        let s = self.sigma;
        let dev = x - self.base;
        let a = fmin(dt_ms * self.up_per_ms, 1.0);
        // A Huber-like step: within +-2 sigma the baseline settles on the
        // middle of the noise; a plateau above it moves it by at most 2 sigma
        // per time constant, a drop below by up to 6 (only the baseline
        // itself can pull the envelope down, so a drop is trustworthy).
        if dev < -3.0 * s {
            // Far below: the baseline has dropped (a pad shift, a step);
            // follow it eight times faster.
            self.base += fmin(8.0 * a, 1.0) * fmax(dev, -6.0 * s);
        } else {
            self.base += a * fmin(dev, 2.0 * s);
        }
        let d = dev.abs();
        if d < 3.0 * s && whole {
            self.mad += a * (d - self.mad);
            self.sigma = fmax(self.mad * MAD_TO_SIGMA, MIN_SIGMA);
        }
    }

    /// Moves the baseline to `x` at once (after a step that stayed).
    pub(crate) fn reseed(&mut self, x: f64) {
        self.base = x;
    }
}

/// How busy the face is: the spread of the signal over its floor lately.
///
/// Talking and chewing leak bursts into the envelope that mostly stay below
/// the onset level, yet they make the height over the floor spread wider
/// than at rest. This tracks the standard deviation of that height over
/// about the last `SPREAD_MS`, clipped at `SPREAD_CLIP` noise units so a
/// cable tug counts for little, and measured from the floor, so a step or
/// a smile's slow rise counts for little too.
#[derive(Debug, Clone)]
pub(crate) struct Spread {
    mean: f64,
    var: f64,
    /// The variance it was primed with (NaN: never primed), to tell a
    /// spread that has not learned anything yet.
    primed: f64,
}

/// Time constant of the spread.
const SPREAD_MS: f64 = 1000.0;
/// Heights over the floor count up to this many noise units.
const SPREAD_CLIP: f64 = 6.0;

impl Spread {
    pub(crate) fn new() -> Self {
        Spread {
            mean: 0.0,
            var: 0.0,
            primed: f64::NAN,
        }
    }

    /// Starts the spread at rest for noise `sigma`, unless it has learned
    /// from a sample since it was last primed. Called when a calibration
    /// ends, off the per-sample path: a test per sample for a first sample
    /// sat on the chain of the running mean.
    pub(crate) fn prime(&mut self, sigma: f64) {
        if self.primed.is_nan() || (self.mean == 0.0 && self.var == self.primed) {
            self.var = 0.5 * sigma * sigma;
            self.primed = self.var;
        }
    }

    /// Learns from one sample `excess` over the floor, outside any burst
    /// (once primed).
    #[inline]
    pub(crate) fn update(&mut self, excess: f64, sigma: f64, dt_ms: f64) {
        let e = fmin(fmax(excess, 0.0), SPREAD_CLIP * sigma);
        let a = fmin(dt_ms * (1.0 / SPREAD_MS), 1.0);
        let d = e - self.mean;
        self.mean += a * d;
        self.var += a * (d * d - self.var);
    }

    /// The spread, in counts.
    pub(crate) fn sd(&self) -> f64 {
        self.var.sqrt()
    }

    /// The spread squared.
    pub(crate) fn var(&self) -> f64 {
        self.var
    }
}

/// Minimum (of the smoothed signal) and maximum (of the raw one) over the
/// last few hundred ms, in time buckets: see [`Window::push`].
///
/// At 25 Hz a bucket closes on four samples in five, and each close needs
/// the floor (a minimum over `n_floor` buckets) and the flat range (minimum
/// and maximum over `n_flat` buckets): after the baseline, this is the
/// busiest code of the detector. So every closed bucket is written twice, at
/// `i` and `i + RING`: the last `RING` buckets, newest first, are then
/// always the contiguous run starting at `newest`, and a window is a plain
/// slice of it, read without modulo arithmetic or a test per bucket.
#[derive(Debug, Clone)]
#[repr(C)]
pub(crate) struct Window {
    mins: [f64; 2 * RING],
    maxs: [f64; 2 * RING],
    /// Where the newest closed bucket sits (in `0..RING`).
    newest: usize,
    /// Bit k set: the bucket closed k buckets ago had a sample.
    occupied: u32,
    /// The current bucket's extremes, apart: side by side, the compiler
    /// updates them as one vector, which takes three times the instructions.
    cur_min: f64,
    bucket_end: f64,
    cur_max: f64,
    /// Closed buckets that make up the floor window (besides the current one).
    n_floor: usize,
    /// Closed buckets that make up the flat window.
    n_flat: usize,
    /// `occupied` bits of the flat window.
    flat_bits: u32,
    closed_min: f64,
    /// Bit k set: at least k + 1 buckets have closed (a shift register:
    /// cheaper per close than a capped count).
    stored: u32,
}

// `first_n` is written out for eight buckets.
const _: () = assert!(RING == 8);

/// `pick` (the lesser or the greater) folded over the first `n` of `v`;
/// `none` if `n` is 0. Written out for each `n` (a window's length is fixed
/// per config, so the branch is always predicted) as a shallow tree: a few
/// instructions where a loop costs a counter and a test per element.
#[inline(always)]
fn first_n(v: &[f64; RING], n: usize, pick: fn(f64, f64) -> f64, none: f64) -> f64 {
    let p = pick;
    match n {
        0 => none,
        1 => v[0],
        2 => p(v[0], v[1]),
        3 => p(p(v[0], v[1]), v[2]),
        4 => p(p(v[0], v[1]), p(v[2], v[3])),
        5 => p(p(p(v[0], v[1]), p(v[2], v[3])), v[4]),
        6 => p(p(p(v[0], v[1]), p(v[2], v[3])), p(v[4], v[5])),
        7 => p(p(p(v[0], v[1]), p(v[2], v[3])), p(p(v[4], v[5]), v[6])),
        _ => p(
            p(p(v[0], v[1]), p(v[2], v[3])),
            p(p(v[4], v[5]), p(v[6], v[7])),
        ),
    }
}

impl Window {
    pub(crate) fn new(floor_ms: f64, flat_ms: f64) -> Self {
        let n = |ms: f64| ((ms / BUCKET_MS).ceil() as usize).clamp(1, RING);
        let n_flat = n(flat_ms);
        Window {
            mins: [f64::INFINITY; 2 * RING],
            maxs: [f64::NEG_INFINITY; 2 * RING],
            newest: 0,
            occupied: 0,
            bucket_end: f64::NEG_INFINITY,
            cur_min: f64::INFINITY,
            cur_max: f64::NEG_INFINITY,
            n_floor: n(floor_ms).saturating_sub(1),
            n_flat,
            flat_bits: (1u32 << n_flat) - 1,
            closed_min: f64::INFINITY,
            stored: 0,
        }
    }

    /// Adds a sample: `x` as read and `low`, the same sample smoothed
    /// (equal to `x` at 25 and 50 Hz). The buckets keep the lowest `low`
    /// (the floor is a minimum of the smoothed signal: over hundreds of raw
    /// samples a minimum sinks to the bottom of the noise) and the highest
    /// `x`. So the flat window's range runs from the lowest smoothed value
    /// to the highest raw one: the raw range wherever samples come 15 ms or
    /// more apart, a little less above that (a smoothed range alone is so
    /// much narrower at 860 Hz that noisy rest passed for a flat pad), and
    /// zero for a stuck signal at any rate. Returns true when a bucket
    /// closed (the flat range and the floor of the closed buckets were
    /// recomputed).
    #[inline]
    pub(crate) fn push(&mut self, t_ms: f64, x: f64, low: f64) -> bool {
        let mut closed = false;
        if t_ms >= self.bucket_end {
            closed = if t_ms < self.bucket_end + BUCKET_MS {
                self.close_one()
            } else {
                self.close(t_ms)
            };
        }
        self.cur_min = fmin(self.cur_min, low);
        self.cur_max = fmax(self.cur_max, x);
        closed
    }

    /// Stores the current bucket as the newest closed one and starts an empty one.
    #[inline(always)]
    fn store(&mut self) {
        // Masked, so the compiler sees `i < RING` and checks no bounds.
        let i = (self.newest + RING - 1) % RING;
        self.newest = i;
        self.mins[i] = self.cur_min;
        self.mins[i + RING] = self.cur_min;
        self.maxs[i] = self.cur_max;
        self.maxs[i + RING] = self.cur_max;
        self.occupied = (self.occupied << 1) | u32::from(self.cur_min <= self.cur_max);
        self.stored = (self.stored << 1) | 1;
        self.cur_min = f64::INFINITY;
        self.cur_max = f64::NEG_INFINITY;
    }

    /// The common case (no gap): one bucket ends and the next begins.
    #[inline]
    fn close_one(&mut self) -> bool {
        self.store();
        self.bucket_end += BUCKET_MS;
        self.recompute();
        true
    }

    #[cold]
    fn close(&mut self, t_ms: f64) -> bool {
        let first = self.bucket_end == f64::NEG_INFINITY;
        if !first {
            // Store the finished bucket, then empty ones for any gap.
            let mut end = self.bucket_end;
            let mut steps = 0;
            loop {
                self.store();
                end += BUCKET_MS;
                steps += 1;
                if t_ms < end || steps >= RING {
                    break;
                }
            }
            self.bucket_end = if t_ms < end { end } else { t_ms + BUCKET_MS };
        } else {
            self.bucket_end = t_ms + BUCKET_MS;
        }
        self.recompute();
        !first
    }

    /// The last `RING` closed minima (or maxima), newest first.
    #[inline(always)]
    fn recent(v: &[f64; 2 * RING], newest: usize) -> &[f64; RING] {
        // `newest` is always below RING; masked, the compiler sees it too.
        let i = newest % RING;
        v[i..i + RING].try_into().expect("i < RING")
    }

    /// Floor over the closed buckets (the flat range is computed only when
    /// asked for). Buckets never filled hold +infinity and change nothing.
    #[inline]
    fn recompute(&mut self) {
        self.closed_min = first_n(
            Self::recent(&self.mins, self.newest),
            self.n_floor,
            fmin,
            f64::INFINITY,
        );
    }

    /// Max minus min of the bucket that closed last (-infinity if empty):
    /// a lower bound of the flat window's range, enough to tell it is not flat.
    #[inline]
    pub(crate) fn newest_range(&self) -> f64 {
        let i = self.newest % RING;
        self.maxs[i] - self.mins[i]
    }

    /// The lowest value over the floor window, the current sample included.
    #[inline]
    pub(crate) fn floor(&self) -> f64 {
        fmin(self.closed_min, self.cur_min)
    }

    /// Max minus min over the flat window (closed buckets), when known:
    /// once the window has filled and at least three of its buckets (or
    /// all, if it has fewer) had a sample. Empty buckets hold +infinity as
    /// minimum and -infinity as maximum, so they change neither extreme.
    #[inline]
    pub(crate) fn flat_extremes(&self) -> Option<(f64, f64)> {
        let occupied = self.occupied & self.flat_bits;
        // Nearly always every bucket had a sample (and so the window has
        // filled): one test.
        if occupied != self.flat_bits
            && (self.stored & self.flat_bits != self.flat_bits
                || (occupied.count_ones() as usize) < 3.min(self.n_flat))
        {
            return None;
        }
        let lo = first_n(
            Self::recent(&self.mins, self.newest),
            self.n_flat,
            fmin,
            f64::INFINITY,
        );
        let hi = first_n(
            Self::recent(&self.maxs, self.newest),
            self.n_flat,
            fmax,
            f64::NEG_INFINITY,
        );
        Some((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `Spread` 20 s at 25 Hz of `f(i)`, the height over the floor
    /// of sample i, with noise 1; returns the spread in noise units.
    fn spread_of(f: impl Fn(usize) -> f64) -> f64 {
        let mut s = Spread::new();
        for i in 0..500 {
            s.update(f(i), 1.0, 40.0);
        }
        s.sd()
    }

    /// Something like rest over the floor: 0 to 3 noise units, irregular.
    fn rest(i: usize) -> f64 {
        ((i * 7919) % 13) as f64 * 0.25
    }

    #[test]
    fn spread_is_small_at_rest_and_large_while_talking() {
        let quiet = spread_of(rest);
        assert!(quiet < 1.3, "{quiet}");
        // Syllables: 3 to 5 units over the floor, about 4 a second.
        let talking = spread_of(|i| {
            rest(i)
                + if i % 6 < 3 {
                    3.0 + (i % 5) as f64 * 0.5
                } else {
                    0.0
                }
        });
        assert!(
            talking > 1.5 * quiet && talking > 2.0,
            "{talking} vs {quiet}"
        );
    }

    #[test]
    fn spread_counts_a_cable_tug_for_little() {
        let quiet = spread_of(rest);
        // A tug of 200 noise units once a second counts as 6.
        let tugs = spread_of(|i| if i % 25 == 0 { 200.0 } else { rest(i) });
        assert!(tugs < quiet + 1.5, "{tugs} vs {quiet}");
        let clipped = spread_of(|i| if i % 25 == 0 { SPREAD_CLIP } else { rest(i) });
        assert!((tugs - clipped).abs() < 1e-12, "{tugs} vs {clipped}");
    }

    #[test]
    fn median_sorts_as_total_cmp() {
        let mut v = [
            3.5,
            -0.0,
            0.0,
            -7.25,
            1e300,
            -1e-300,
            3.5,
            2.0,
            f64::INFINITY,
        ];
        let mut want = v;
        want.sort_by(f64::total_cmp);
        assert_eq!(median_in_place(&mut v), 2.0);
        assert_eq!(v.map(f64::to_bits), want.map(f64::to_bits));
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        let mut big: Vec<f64> = (0..40).map(|i| ((i * 7919) % 40) as f64).collect();
        assert_eq!(median_in_place(&mut big), 19.5);
    }

    #[test]
    fn calibration_ignores_a_blink() {
        let mut c = Calibration::new(0.0, 1000.0, false);
        for i in 0..25 {
            let t = i as f64 * 40.0;
            // A blink of +200 counts over 3 samples amid +-2 count noise.
            let x = 500.0
                + [2.0, -2.0, 1.0, -1.0][i % 4]
                + if (10..13).contains(&i) { 200.0 } else { 0.0 };
            c.push(t, x);
        }
        let (base, sigma) = c.estimate(0.5).unwrap();
        assert!((base - 500.0).abs() <= 2.0, "base {base}");
        assert!(sigma < 4.0, "sigma {sigma}");
    }

    /// A resting noise of 20 counts whose median lies `median` counts over
    /// the ground, clipped there, 128 samples (one per slice); with a
    /// blink of +300 over 4 of them if `blink`.
    fn clipped_calibration(median: f64, blink: bool) -> Calibration {
        let mut c = Calibration::new(0.0, 2560.0, false);
        let mut seed = 11u64;
        for i in 0..128 {
            // A standard normal from twelve uniforms (Irwin-Hall).
            let z: f64 = (0..12)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 11) as f64 / (1u64 << 53) as f64
                })
                .sum::<f64>()
                - 6.0;
            let burst = if blink && (60..64).contains(&i) {
                300.0
            } else {
                0.0
            };
            c.push(
                i as f64 * 20.0,
                (median + 20.0 * z + burst).round().max(0.0),
            );
        }
        c
    }

    #[test]
    fn calibration_measures_a_noise_clipped_at_the_ground_from_above() {
        for median in [40.0, 20.0, 10.0, 0.0] {
            for blink in [false, true] {
                let (base, sigma) = clipped_calibration(median, blink).estimate(0.5).unwrap();
                assert!(
                    (14.0..28.0).contains(&sigma),
                    "median {median}, blink {blink}: sigma {sigma}"
                );
                assert!((base - median).abs() < 8.0, "median {median}: base {base}");
            }
        }
        // Clipping is what asks for it: read as if nothing were clipped, a
        // median at the ground gives a noise of a few counts.
        let (_, naive) = clipped_calibration(0.0, false).estimate(-1.0).unwrap();
        assert!(naive < 8.0, "{naive}");
    }

    #[test]
    fn the_noise_holds_while_the_signal_touches_the_ground() {
        let mut held = Level::new(10.0, 20.0, 4000.0);
        let mut whole = Level::new(10.0, 20.0, 4000.0);
        for i in 0..250 {
            // Ten seconds at the ground, with a ripple now and then.
            let x = if i % 10 == 0 { 15.0 } else { 0.0 };
            held.update(x, 40.0, false);
            whole.update(x, 40.0, true);
        }
        assert_eq!(held.sigma(), 20.0);
        assert!(whole.sigma() < 10.0, "{}", whole.sigma());
        // The baseline follows either way.
        assert!(held.base < 5.0, "{}", held.base);
    }

    #[test]
    fn calibration_waits_for_a_decay_to_settle_but_not_for_ever() {
        let fill = |c: &mut Calibration, from: usize, f: &dyn Fn(f64) -> f64| {
            for i in from..from + 38 {
                let t = i as f64 * 40.0;
                c.push(t, f(t) + [2.0, -2.0, 1.0, -1.0][i % 4]);
            }
        };
        // Steady, with a blink in it: settled.
        let mut c = Calibration::new(0.0, 1500.0, true);
        fill(&mut c, 0, &|t| {
            if (600.0..700.0).contains(&t) {
                200.0
            } else {
                500.0
            }
        });
        assert!(c.settled());
        // A pad pressed back on: 300 counts decaying with 1 s time constant.
        let decay = |t: f64| 500.0 + 300.0 * (-t / 1000.0).exp();
        let mut c = Calibration::new(0.0, 1500.0, true);
        fill(&mut c, 0, &decay);
        assert!(!c.settled());
        let (_, wide) = c.estimate(0.5).unwrap();
        assert!(wide > 50.0, "{wide}");
        c.slide();
        assert_eq!((c.start_ms(), c.len), (760.0, 19));
        // The window slides on; after MAX_SLIDES it is taken as it is.
        let mut from = 38;
        while !c.settled() {
            c.slide();
            fill(&mut c, from, &decay);
            from += 19;
        }
        assert!((2..=MAX_SLIDES).contains(&c.slides), "{}", c.slides);
        let (_, sigma) = c.estimate(0.5).unwrap();
        assert!(sigma < 0.25 * wide, "{sigma} vs {wide}");
        // A signal that keeps drifting is calibrated after MAX_SLIDES tries.
        let ramp = |t: f64| 500.0 + 0.2 * t;
        let mut c = Calibration::new(0.0, 1500.0, true);
        fill(&mut c, 0, &ramp);
        let mut from = 38;
        while !c.settled() {
            c.slide();
            fill(&mut c, from, &ramp);
            from += 19;
        }
        assert_eq!(c.slides, MAX_SLIDES);
    }

    #[test]
    fn level_follows_drops_faster_than_plateaus() {
        let mut down = Level::new(100.0, 2.0, 4000.0);
        let mut up = Level::new(100.0, 2.0, 4000.0);
        for _ in 0..250 {
            down.update(50.0, 40.0, true); // ten seconds 25 sigma below
            up.update(150.0, 40.0, true); // ... or above
        }
        assert!(down.base < 55.0, "fell to {}", down.base);
        assert!(up.base < 115.0, "rose to {}", up.base);
    }

    /// The window as first written: buckets in a plain ring, every
    /// extreme recomputed by a loop. The branch-free layout must agree.
    struct RingModel {
        mins: [f64; RING],
        maxs: [f64; RING],
        head: usize,
        filled: usize,
        bucket_end: f64,
        cur: (f64, f64),
        n_floor: usize,
        n_flat: usize,
    }

    impl RingModel {
        fn new(floor_ms: f64, flat_ms: f64) -> Self {
            let n = |ms: f64| ((ms / BUCKET_MS).ceil() as usize).clamp(1, RING);
            RingModel {
                mins: [f64::INFINITY; RING],
                maxs: [f64::NEG_INFINITY; RING],
                head: 0,
                filled: 0,
                bucket_end: f64::NEG_INFINITY,
                cur: (f64::INFINITY, f64::NEG_INFINITY),
                n_floor: n(floor_ms).saturating_sub(1),
                n_flat: n(flat_ms),
            }
        }

        fn push(&mut self, t: f64, x: f64) -> bool {
            let mut closed = false;
            if t >= self.bucket_end {
                if self.bucket_end == f64::NEG_INFINITY {
                    self.bucket_end = t + BUCKET_MS;
                } else {
                    closed = true;
                    let mut end = self.bucket_end;
                    for _ in 0..RING {
                        self.mins[self.head] = self.cur.0;
                        self.maxs[self.head] = self.cur.1;
                        self.head = (self.head + 1) % RING;
                        self.filled = (self.filled + 1).min(RING);
                        self.cur = (f64::INFINITY, f64::NEG_INFINITY);
                        end += BUCKET_MS;
                        if t < end {
                            break;
                        }
                    }
                    self.bucket_end = if t < end { end } else { t + BUCKET_MS };
                }
            }
            self.cur = (self.cur.0.min(x), self.cur.1.max(x));
            closed
        }

        fn recent(&self, k: usize) -> (f64, f64) {
            let i = (self.head + RING - 1 - k) % RING;
            (self.mins[i], self.maxs[i])
        }

        fn floor(&self) -> f64 {
            (0..self.n_floor).fold(self.cur.0, |m, k| m.min(self.recent(k).0))
        }

        fn flat_extremes(&self) -> Option<(f64, f64)> {
            if self.filled < self.n_flat {
                return None;
            }
            let full: Vec<(f64, f64)> = (0..self.n_flat)
                .map(|k| self.recent(k))
                .filter(|(mn, mx)| mn <= mx)
                .collect();
            let lo = full.iter().fold(f64::INFINITY, |m, b| m.min(b.0));
            let hi = full.iter().fold(f64::NEG_INFINITY, |m, b| m.max(b.1));
            (full.len() >= 3.min(self.n_flat)).then_some((lo, hi))
        }
    }

    #[test]
    fn window_agrees_with_a_plain_ring() {
        // Jittered 25 to 100 Hz sampling with pauses of every length.
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for floor_ms in [10.0, 50.0, 120.0, 250.0, 400.0] {
            for flat_ms in [10.0, 100.0, 300.0, 400.0] {
                let (mut w, mut m) = (
                    Window::new(floor_ms, flat_ms),
                    RingModel::new(floor_ms, flat_ms),
                );
                let mut t = 0.0;
                for i in 0..5000 {
                    t += match i % 500 {
                        499 => 30.0 + 600.0 * next(),
                        _ => 10.0 + 35.0 * next(),
                    };
                    let x = (100.0 * next()).round();
                    let closed = w.push(t, x, x);
                    assert_eq!(closed, m.push(t, x), "closed at {t}");
                    assert_eq!(w.floor(), m.floor(), "floor at {t}");
                    assert_eq!(w.flat_extremes(), m.flat_extremes(), "flat window at {t}");
                    if closed {
                        let (mn, mx) = m.recent(0);
                        assert_eq!(w.newest_range(), mx - mn, "newest at {t}");
                    }
                }
            }
        }
    }

    #[test]
    fn window_floor_forgets_after_its_length() {
        let mut w = Window::new(200.0, 300.0);
        let mut t = 0.0;
        w.push(t, 10.0, 10.0);
        for _ in 0..40 {
            t += 10.0;
            w.push(t, 50.0, 50.0);
        }
        assert_eq!(w.floor(), 50.0);
        assert_eq!(w.flat_extremes(), Some((50.0, 50.0)));
        w.push(t + 10.0, 40.0, 40.0);
        assert_eq!(w.floor(), 40.0);
    }

    /// 1.5 s at 25 Hz of `f(i)` into a fresh look.
    fn fresh_of(f: impl Fn(usize) -> f64) -> Option<FreshSummary> {
        let mut fresh = Fresh::new(0.0, 1500.0);
        let mut full = false;
        for i in 0..=38 {
            full = fresh.push(i as f64 * 40.0, f(i));
        }
        assert!(full);
        fresh.summary(4.0, 0.5)
    }

    #[test]
    fn a_fresh_look_tells_a_still_window_from_a_step_and_a_burst() {
        let wobble = |i: usize| [1.0, -1.0, 2.0, -2.0, 0.0][i % 5];
        let still = fresh_of(|i| 100.0 + wobble(i)).unwrap();
        assert!(still.settled && still.quiet, "{still:?}");
        assert!((still.mean - 100.0).abs() < 0.5, "{still:?}");
        assert!(still.sd > 1.0 && still.sd < 2.0, "{still:?}");
        // A step half way: the halves disagree.
        let step = fresh_of(|i| if i < 19 { 100.0 } else { 110.0 } + wobble(i)).unwrap();
        assert!(!step.settled, "{step:?}");
        // One burst sample among still ones: not quiet.
        let burst = fresh_of(|i| if i == 10 { 130.0 } else { 100.0 } + wobble(i)).unwrap();
        assert!(burst.settled && !burst.quiet, "{burst:?}");
    }
}
