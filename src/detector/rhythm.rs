//! Chewing and speech (step 5 of the module docs): the rhythm of the bursts
//! before a candidate, which raises its bar, and the verdict on a closure
//! judged with no rhythm behind it, which may have been the first chew of a
//! meal or the first syllable of speech.

use super::*;

/// A regular rhythm (chewing) has a period in this range (chewing runs at
/// 1-2 Hz; spontaneous blinks come 1.2 s apart several times over now and
/// then, as tall as each other, and up to 1.3 s synth's drift lost four
/// such in a row to it) ...
const RHYTHM_PERIOD_MS: (f64, f64) = (400.0, 1150.0);
/// ... and its intervals differ by at most this share of their mean.
const RHYTHM_JITTER: f64 = 0.25;
/// Bursts remembered for the rhythm test.
pub(super) const RHYTHM_KEPT: usize = 8;
// `BlinkDetector::plateaus` has a bit per remembered burst.
const _: () = assert!(RHYTHM_KEPT <= 8);
/// A closure with no rhythm behind it began one (it was the first chew of
/// a meal) if the next two bursts follow it on a regular beat no slower
/// than this (chewing runs at 1-2 Hz; blinks a second apart three times
/// over are rarer than that, and slower), and, unless it stood well below
/// the wearer's blinks, a third follows them as soon (a flurry of blinks
/// stops at three; a meal goes on) ...
pub(super) const FIRST_BEAT_PERIOD_MS: f64 = 1100.0;
/// ... and it stood less than this many times as tall as they did, on
/// average. A blink at the start of a meal stands out of the chews after it.
pub(super) const FIRST_BEAT_RATIO: f64 = 1.1;
/// ... or less than this share of the wearer's typical blink: chews vary
/// in height, and a first chew a little taller than the two after it is
/// still well below a blink. The same holds for the first syllable of
/// speech (below).
pub(super) const FIRST_BEAT_TYPICAL: f64 = 0.8;
/// The next two bursts' heights are known when they fall; one still up
/// this long after its onset is no chew.
const FIRST_BEAT_WAIT_MS: f64 = 400.0;
/// Longest interval from the held closure's burst to the next that can
/// still start such a beat: the intervals differ by at most `RHYTHM_JITTER`
/// of their mean, which is at most `FIRST_BEAT_PERIOD_MS`.
const FIRST_BEAT_MAX_I1: f64 = FIRST_BEAT_PERIOD_MS * (1.0 + 0.5 * RHYTHM_JITTER);
/// Shortest such interval (the mean is at least `RHYTHM_PERIOD_MS.0`): a
/// burst sooner than this (a double blink) settles it at once.
const FIRST_BEAT_MIN_I1: f64 = RHYTHM_PERIOD_MS.0 * (1.0 - 0.5 * RHYTHM_JITTER);
/// Two intervals on the beat a first chew's verdict looks for: within
/// `RHYTHM_JITTER` of their mean, which is at least `RHYTHM_PERIOD_MS.0`
/// and at most `FIRST_BEAT_PERIOD_MS`.
fn first_beat_regular(a: f64, b: f64) -> bool {
    let mean = 0.5 * (a + b);
    (RHYTHM_PERIOD_MS.0..=FIRST_BEAT_PERIOD_MS).contains(&mean)
        && (a - b).abs() <= RHYTHM_JITTER * mean
}

/// A closure with no rhythm behind it was the first syllable of speech if
/// the next three bursts come within this long of it (speech runs at 3-6
/// syllables a second; blinks come seconds apart) ...
pub(super) const FIRST_SYLLABLE_MS: f64 = 1500.0;
/// ... and it stood less than this many times as tall as their median (or
/// less than `FIRST_BEAT_TYPICAL` of the wearer's typical blink).
pub(super) const FIRST_SYLLABLE_RATIO: f64 = 1.2;
/// A narrow blink followed by a spike this soon was the first tug of a run
/// (and a one-sample burst this soon after a narrow blink is a spike): the
/// steps of a walk come 0.45-0.7 s apart.
pub(super) const NARROW_RUN_MS: f64 = 1500.0;
/// The longest a closure's event can wait for the verdict on the first
/// beat, after its burst was announced. The chew test: the next burst
/// within `FIRST_BEAT_MAX_I1`, the one after within twice the period of
/// the first, its fall within `FIRST_BEAT_WAIT_MS`, and a third burst
/// within twice the period of the first of those two. The speech test:
/// its window, and the fall of a burst at its end. A recorder keeps this
/// much more pre-roll, so the blinks whose events waited still have their
/// frames.
pub const MAX_VERDICT_DELAY_MS: f64 = 3.0 * FIRST_BEAT_PERIOD_MS + FIRST_BEAT_WAIT_MS;

const _: () = assert!(FIRST_SYLLABLE_MS + FIRST_BEAT_WAIT_MS <= MAX_VERDICT_DELAY_MS);
const _: () = assert!(NARROW_RUN_MS + FIRST_BEAT_WAIT_MS <= MAX_VERDICT_DELAY_MS);

/// A closure judged with no rhythm behind it, as the verdict on the first
/// beat needs it: when its burst was announced, and its height, as
/// `bursts` holds them; and whether it was a narrow blink, one sample wide
/// (see `NARROW_BLINK_QUIET_MS`), which may have been the first tug of a run.
#[derive(Debug, Clone, Copy)]
pub(super) struct FirstBeat {
    pub(super) burst_t: f64,
    pub(super) height: f64,
    pub(super) narrow: bool,
}

/// A closure whose event waits for the verdict on the first beat.
#[derive(Debug, Clone, Copy)]
pub(super) struct Held {
    pub(super) closure: Closure,
    pub(super) first: FirstBeat,
}

/// The median of three heights (never NaN).
pub(super) fn median3(a: f64, b: f64, c: f64) -> f64 {
    baseline::fmax(
        baseline::fmin(a, b),
        baseline::fmin(baseline::fmax(a, b), c),
    )
}

impl BlinkDetector {
    /// Median height of the bursts that make `t` part of a rhythm, else 0;
    /// and whether `t` came between the beats of a regular rhythm.
    ///
    /// Two kinds of rhythm. *Regular* (chewing: 1-2 Hz, each chew much like
    /// the last): the latest bursts evenly spaced at a period between
    /// `RHYTHM_PERIOD_MS`; a burst on the beat is one more chew, a burst
    /// between beats is something else (a blink) and is judged on its own.
    /// *Dense* (speech: syllables at 3-6 Hz, irregular): at least
    /// `rhythm_bursts` bursts within `rhythm_ms` before `t`. Spontaneous
    /// blinks are neither: seconds apart, irregular.
    pub(super) fn rhythm_context(&self, t: f64) -> (f64, bool) {
        let since = t - self.cfg.rhythm_ms;
        let mut heights = [0.0; RHYTHM_KEPT];
        let mut n = 0;
        // The three latest bursts before t, latest first. The ring holds
        // them in the order they were announced: walked back from the
        // newest, the first three found are the latest.
        let mut latest = [(f64::NEG_INFINITY, 0.0); 3];
        let mut found = 0;
        for k in 1..=RHYTHM_KEPT {
            let (bt, h) = self.bursts[(self.bursts_next + RHYTHM_KEPT - k) % RHYTHM_KEPT];
            if bt < t && h > 0.0 {
                if bt >= since {
                    heights[n] = h;
                    n += 1;
                }
                if found < 3 {
                    latest[found] = (bt, h);
                    found += 1;
                }
            }
        }
        let [p3, p2, p1] = latest;
        let regular = |a: f64, b: f64| {
            let mean = 0.5 * (a + b);
            (RHYTHM_PERIOD_MS.0..=RHYTHM_PERIOD_MS.1).contains(&mean)
                && (a - b).abs() <= RHYTHM_JITTER * mean
        };
        let (i1, i2, now) = (p2.0 - p1.0, p3.0 - p2.0, t - p3.0);
        if regular(i1, i2) {
            let beat = now / (0.5 * (i1 + i2));
            if (1.0 - RHYTHM_JITTER..=1.0 + RHYTHM_JITTER).contains(&beat) {
                return (median3(p1.1, p2.1, p3.1), false);
            }
            if beat < 1.0 {
                // Between beats: not one of them.
                return (0.0, true);
            }
        }
        if regular(i2, now) {
            // The third burst on the beat of the two before: a rhythm starts.
            return (0.5 * (p2.1 + p3.1), false);
        }
        if n > 0 && (n as f64) >= self.cfg.rhythm_bursts {
            return (baseline::median_in_place(&mut heights[..n]), false);
        }
        (0.0, false)
    }

    /// Gives the verdict on the held closure if it is known by `now` (or,
    /// `closing`, with the bursts there are), releases the events behind
    /// it, and goes on with the next closure that waits; else sets when to
    /// look again.
    #[cold]
    #[inline(never)]
    pub(super) fn settle_held(&mut self, now: f64, closing: bool) {
        while let Some(first) = self.held.as_ref().map(|h| h.first) {
            let Some(began_rhythm) = self.first_beat(&first, now, closing) else {
                self.refresh_due();
                return;
            };
            let Some(h) = self.held.take() else { return };
            self.held_due = f64::INFINITY;
            if began_rhythm {
                self.memory.forget(first.burst_t);
                self.refresh_pair_bar();
                self.events.push_back(Event::Retracted {
                    onset_ms: h.closure.onset_ms,
                    t_ms: now.max(self.calibrated_ms),
                });
            } else {
                self.events.push_back(Event::Closure(h.closure));
            }
            while let Some((e, first)) = self.queued.pop_front() {
                match (e, first) {
                    (Event::Closure(closure), Some(first)) => {
                        self.held = Some(Held { closure, first });
                        break;
                    }
                    (e, _) => self.events.push_back(e),
                }
            }
        }
        self.refresh_due();
    }

    /// Whether the closure `f` began a rhythm, a meal's or speech: `None`
    /// while the bursts after it cannot tell yet (and `held_due` says until
    /// when at most).
    fn first_beat(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        if f.narrow {
            match self.first_tug(f, now, closing) {
                Some(false) => {}
                tug => return tug,
            }
        }
        match self.first_chew(f, now, closing) {
            Some(false) => self.first_syllable(f, now, closing),
            None => {
                // A wait for time alone ends in "no meal", and then the
                // speech test's window must be over too: one look then, not
                // two (bursts meanwhile are looked at anyway).
                self.held_due = self.held_due.max(f.burst_t + FIRST_SYLLABLE_MS);
                None
            }
            chew => chew,
        }
    }

    /// A narrow blink (one sample wide) was the first tug of a run if a
    /// spike follows it within `NARROW_RUN_MS`: tugs come a step apart
    /// while walking, blinks seconds apart.
    #[cold]
    #[inline(never)]
    fn first_tug(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        let end = f.burst_t + NARROW_RUN_MS;
        let spike_after = self
            .bursts
            .iter()
            .any(|&(bt, h)| bt > f.burst_t && bt <= end && h < 0.0);
        if spike_after {
            return Some(true);
        }
        self.wait_for(end, now, closing)
    }

    /// The first syllable of speech: the next three bursts come within
    /// `FIRST_SYLLABLE_MS`, and it stood less than `FIRST_SYLLABLE_RATIO`
    /// times as tall as their median, or well below the wearer's typical
    /// blink. Judged as soon as their heights are known (they fell), or
    /// once the window is over with fewer. Not for a closure between the
    /// beats of a meal: the chews after it would pass.
    #[cold]
    #[inline(never)]
    fn first_syllable(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        let end = f.burst_t + FIRST_SYLLABLE_MS;
        // The three bursts after it within the window.
        let (first, n, _) = self.bursts_after::<3>(f.burst_t, end);
        if n < first.len() {
            if now < end && !closing {
                self.held_due = end;
                return None;
            }
            return Some(false);
        }
        if let Some(&(bt, _)) = first.iter().find(|b| b.1 == 0.0) {
            if !closing && now < bt + FIRST_BEAT_WAIT_MS {
                // Still rising.
                self.held_due = bt + FIRST_BEAT_WAIT_MS;
                return None;
            }
        }
        let median = median3(first[0].1, first[1].1, first[2].1);
        // Not between the beats of a meal, as the ring shows it now (if
        // more than four bursts followed, it no longer holds the three
        // before: that was speech, not a meal).
        Some(
            (f.height < FIRST_SYLLABLE_RATIO * median || self.well_below_typical(f.height))
                && !self.rhythm_context(f.burst_t).1,
        )
    }

    /// The first chew of a meal: the next two bursts follow it on a regular
    /// beat, and it stood well below the wearer's typical blink, or no
    /// taller than they did and a third burst follows as soon.
    fn first_chew(&mut self, f: &FirstBeat, now: f64, closing: bool) -> Option<bool> {
        // Only the three bursts after it matter.
        let (after, n, reached) = self.bursts_after::<3>(f.burst_t, f64::INFINITY);
        let jitter = RHYTHM_JITTER;
        // Every remembered burst came after it: the next ones may be lost.
        if !reached {
            return Some(false);
        }
        let below = self.well_below_typical(f.height);
        if n == 0 {
            return self.wait_for(f.burst_t + FIRST_BEAT_MAX_I1, now, closing);
        }
        let (t1, h1) = after[0];
        let i1 = t1 - f.burst_t;
        if !(FIRST_BEAT_MIN_I1..=FIRST_BEAT_MAX_I1).contains(&i1) {
            return Some(false);
        }
        // The second chew of a meal: on the beat of the burst before it and
        // the one after, and well below the wearer's blinks (blinks come in
        // threes a second apart too), or no taller than those two before
        // the wearer's blinks are known. The first chew had too little
        // behind it to set a rhythm, and a blink soon after breaks the beat
        // of the two after. Not for a burst between the beats of a rhythm
        // before it: a blink amid chews.
        if let Some((t0, h0)) = self.burst_before(f.burst_t) {
            if first_beat_regular(f.burst_t - t0, i1) && !self.rhythm_context(f.burst_t).1 {
                if h1 == 0.0 {
                    // Still rising.
                    return self.wait_for(t1 + FIRST_BEAT_WAIT_MS, now, closing);
                }
                let unknown = self.memory.typical().is_none();
                if below || (unknown && f.height < FIRST_BEAT_RATIO * 0.5 * (h0 + h1)) {
                    return Some(true);
                }
            }
        }
        if n == 1 {
            let i2_max = (i1 * (1.0 + 0.5 * jitter) / (1.0 - 0.5 * jitter))
                .min(2.0 * FIRST_BEAT_PERIOD_MS - i1);
            return self.wait_for(t1 + i2_max, now, closing);
        }
        let (t2, h2) = after[1];
        if !first_beat_regular(i1, t2 - t1) {
            return Some(false);
        }
        if h1 == 0.0 || h2 == 0.0 {
            // Still rising.
            return self.wait_for(t2 + FIRST_BEAT_WAIT_MS, now, closing);
        }
        if below {
            return Some(true);
        }
        if f.height >= FIRST_BEAT_RATIO * 0.5 * (h1 + h2) {
            return Some(false);
        }
        // As tall as the wearer's blinks (or before they are known), and
        // no taller than the two bursts after it: a meal's first chew, or
        // the first of a flurry of blinks (three about a second apart, as
        // tall as each other). A meal goes on, and a third burst follows
        // soon; a flurry stops there (`first_beat_waits_for_a_third_burst`).
        let i2 = t2 - t1;
        let i3_max =
            (i2 * (1.0 + 0.5 * jitter) / (1.0 - 0.5 * jitter)).min(2.0 * FIRST_BEAT_PERIOD_MS - i2);
        if n == 2 {
            return self.wait_for(t2 + i3_max, now, closing);
        }
        Some(after[2].0 - t2 <= i3_max)
    }

    /// The first beat's verdict waits for bursts until `until`: none if
    /// that is over (or the stream is `closing`), else looked at again then.
    fn wait_for(&mut self, until: f64, now: f64, closing: bool) -> Option<bool> {
        if closing || now >= until {
            Some(false)
        } else {
            self.held_due = until;
            None
        }
    }

    /// The first `N` bursts announced after `t` and no later than `until`,
    /// spikes and plateaus left out, earliest first; how many such bursts
    /// there are; and whether the ring reaches back to `t` (if not, the
    /// next ones may be lost). The ring holds the bursts in the order they
    /// were announced: it is walked back from the newest to `t`, keeping
    /// the last `N` found.
    fn bursts_after<const N: usize>(&self, t: f64, until: f64) -> ([(f64, f64); N], usize, bool) {
        let mut first = [(0.0, 0.0); N];
        let mut n = 0;
        for k in 1..=RHYTHM_KEPT {
            let i = (self.bursts_next + RHYTHM_KEPT - k) % RHYTHM_KEPT;
            let (bt, h) = self.bursts[i];
            if bt <= t {
                return (first, n, true);
            }
            if bt <= until && h >= 0.0 && self.plateaus & (1 << i) == 0 {
                first.copy_within(0..N - 1, 1);
                first[0] = (bt, h);
                n += 1;
            }
        }
        (first, n, false)
    }

    /// The latest burst announced before `t` that has fallen, spikes and
    /// plateaus left out, if the ring still holds one.
    #[cold]
    #[inline(never)]
    fn burst_before(&self, t: f64) -> Option<(f64, f64)> {
        (1..=RHYTHM_KEPT)
            .map(|k| (self.bursts_next + RHYTHM_KEPT - k) % RHYTHM_KEPT)
            .find(|&i| {
                self.bursts[i].0 < t && self.bursts[i].1 > 0.0 && self.plateaus & (1 << i) == 0
            })
            .map(|i| self.bursts[i])
    }

    /// A first beat this much lower than the wearer's blinks is no blink
    /// (`FIRST_BEAT_TYPICAL`; never, before the typical height is known).
    fn well_below_typical(&self, height: f64) -> bool {
        height < FIRST_BEAT_TYPICAL * self.memory.typical().unwrap_or(0.0)
    }
}
