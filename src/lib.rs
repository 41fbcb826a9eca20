//! Augenblick: a wearable camera that films the moments its wearer misses
//! while blinking.
//!
//! # How data flows
//!
//! ```text
//!  ADC (EMG envelope) --samples--> detector --events--> recorder --keep/drop--> session folder
//!  camera --frames--> pre-roll ring buffer ----------------^                       |
//!                                                                                   v
//!                                            film export (blinks / negative cut) <--+
//! ```
//!
//! - [`trace`]: the CSV formats for EMG traces and their labels.
//! - [`detector`]: the sans-IO blink detector (samples in, closures out).
//! - [`synth`]: labelled synthetic traces for every scenario we care about.
//! - [`tune`]: scoring a detector against labels, sweeps and plots.
//! - [`clock`] and [`devices`]: time and hardware behind small traits, each
//!   with a simulated implementation and a real one on the Pi.
//! - [`button`]: the pure debouncer.
//! - [`config`]: the appliance's TOML config.
//! - [`appliance`]: sampler, camera, recorder and writer, joined by channels.
//! - [`session`]: the session folder on disk, written crash-safely.
//! - `film`: stitching a session's clips into one film (feature `film`).
//! - [`stamp`]: capture times drawn into simulated frames, read back from films.
//! - [`check`]: testing the wiring on the Pi.
//! - [`cli`]: the command line; `main` only parses and reports.

pub mod appliance;
pub mod button;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod detector;
pub mod devices;
#[cfg(feature = "film")]
pub mod film;
pub mod session;
pub mod stamp;
pub mod synth;
pub mod trace;
pub mod tune;
