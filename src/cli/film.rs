//! `augenblick film` and `augenblick sheet`: the artist's commands.

use std::path::PathBuf;

use clap::ValueEnum;

/// How the clips are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// The blinks back to back, each frame for as long as it really lasted.
    Blinks,
    /// Real time over the whole session, black (or --still) while the eyes were open.
    Negative,
}

/// What goes between blinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeparatorArg {
    /// A few black frames.
    Black,
    /// A few white frames.
    Flash,
}

/// The video codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecArg {
    /// H.264 in MP4 (plays in browsers and on phones).
    H264,
    /// The camera's JPEGs untouched, in Matroska (lossless and fast).
    Copy,
}

/// Stitch sessions' clips into one film.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  augenblick film sessions/2026-11-23T15-43-46 -o blinks.mp4
  augenblick film sessions/* --negative --still poster.png -o negative.mp4
  augenblick film SESSION --separator flash --burn-in --crf 18 -o blinks.mp4
  augenblick film SESSION --codec copy -o blinks.mkv")]
pub struct FilmArgs {
    /// Session folders; several are put in time order into one film.
    #[arg(required = true, value_name = "SESSION")]
    pub sessions: Vec<PathBuf>,
    /// The film to write (replaced only once complete).
    #[arg(short, long, value_name = "OUT", default_value = "film.mp4")]
    pub output: PathBuf,
    /// Which film: the blinks back to back, or the negative cut.
    #[arg(long, value_enum, default_value_t = ModeArg::Blinks)]
    pub mode: ModeArg,
    /// The negative cut: the same as `--mode negative`.
    #[arg(long, conflicts_with = "mode")]
    pub negative: bool,
    /// How the film is stored: encoded as H.264, or the camera's JPEGs as they are.
    #[arg(long, value_enum, default_value_t = CodecArg::H264)]
    pub codec: CodecArg,
    /// Frame rate, e.g. 30 or 30000/1001 [default: the camera's, from the clips].
    #[arg(long, value_parser = parse_fps)]
    pub fps: Option<(u32, u32)>,
    /// Picture size WxH, e.g. 1280x720 [default: the camera's].
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// x264 preset: ultrafast .. veryslow; faster is bigger.
    #[arg(long, default_value = "medium")]
    pub preset: String,
    /// x264 quality, 0..51: lower is better and bigger; 18 looks lossless.
    #[arg(long, default_value_t = 23, value_parser = clap::value_parser!(u8).range(0..=51))]
    pub crf: u8,
    /// Encoder by FFmpeg name (libx264, mpeg4...) [default: libx264, else a fallback].
    #[arg(long)]
    pub encoder: Option<String>,
    /// Separator between blinks (blinks mode).
    #[arg(long, value_enum)]
    pub separator: Option<SeparatorArg>,
    /// Separator length in ms.
    #[arg(long, default_value_t = 200)]
    pub separator_ms: u32,
    /// Draw each blink's time (mm:ss.mmm into its session) on its frames.
    #[arg(long)]
    pub burn_in: bool,
    /// Picture shown while the eyes were open in the negative cut [default: black].
    #[arg(long, value_name = "IMAGE")]
    pub still: Option<PathBuf>,
}

/// Draw a contact sheet: one thumbnail per blink.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  augenblick sheet sessions/2026-11-23T15-43-46 -o sheet.png
  augenblick sheet SESSION --columns 8 --thumb-width 160 -o sheet.png")]
pub struct SheetArgs {
    /// The session folder.
    #[arg(value_name = "SESSION")]
    pub session: PathBuf,
    /// The PNG to write.
    #[arg(short, long, value_name = "OUT", default_value = "sheet.png")]
    pub output: PathBuf,
    /// Thumbnails per row.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub columns: u32,
    /// Thumbnail width in pixels (height keeps the camera's aspect).
    #[arg(long, default_value_t = 240, value_parser = clap::value_parser!(u32).range(16..=4096))]
    pub thumb_width: u32,
}

fn parse_fps(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?}: expected a frame rate like 30 or 30000/1001");
    let (n, d) = match s.split_once('/') {
        Some((n, d)) => (
            n.trim().parse().map_err(|_| bad())?,
            d.trim().parse().map_err(|_| bad())?,
        ),
        None => match s.trim().parse::<u32>() {
            Ok(n) => (n, 1),
            Err(_) => {
                let f: f64 = s.trim().parse().map_err(|_| bad())?;
                ((f * 1000.0).round() as u32, 1000)
            }
        },
    };
    if n == 0 || d == 0 || n / d > 240 {
        return Err(bad());
    }
    Ok((n, d))
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?}: expected WIDTHxHEIGHT like 640x480");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    if !(16..=8192).contains(&w) || !(16..=8192).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

#[cfg(feature = "film")]
mod run {
    use std::io::IsTerminal;

    use anyhow::Context;
    use indicatif::{ProgressBar, ProgressStyle};

    use super::*;
    use crate::film::{export, sheet, Codec, FilmOptions, Mode, Progress, Separator};
    use crate::session::read;

    /// A progress bar on a terminal; nothing otherwise.
    struct Bar(Option<ProgressBar>);

    impl Progress for Bar {
        fn start(&mut self, frames: u64) {
            if std::io::stderr().is_terminal() {
                let bar = crate::cli::progress().add(ProgressBar::new(frames));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} frames  {per_sec}  ETA {eta}",
                    )
                    .expect("valid template"),
                );
                self.0 = Some(bar);
            }
        }
        fn advance(&mut self, frames: u64) {
            if let Some(b) = &self.0 {
                b.inc(frames);
            }
        }
    }

    pub fn film(args: FilmArgs) -> anyhow::Result<()> {
        // `sessions/*` may catch a stray file (a film made earlier, say);
        // `sessions/* sessions/2026-12-02T10-00-00` names one twice: it is
        // filmed once.
        let mut seen = std::collections::HashSet::new();
        let dirs: Vec<PathBuf> = args
            .sessions
            .iter()
            .filter(|d| {
                if !d.is_dir() {
                    log::warn!("{}: not a session folder; left out", d.display());
                    return false;
                }
                let fresh = seen.insert(d.canonicalize().unwrap_or_else(|_| d.to_path_buf()));
                if !fresh {
                    log::warn!("{}: given more than once; filmed once", d.display());
                }
                fresh
            })
            .cloned()
            .collect();
        if dirs.is_empty() {
            anyhow::bail!("no session folder given (a session folder holds frames.csv and clips/)");
        }
        let sessions = read::read_sessions(&dirs).context("reading the sessions")?;
        let mut opts = FilmOptions {
            mode: match args.mode {
                _ if args.negative => Mode::Negative,
                ModeArg::Blinks => Mode::Blinks,
                ModeArg::Negative => Mode::Negative,
            },
            codec: match args.codec {
                CodecArg::H264 => Codec::H264,
                CodecArg::Copy => Codec::Copy,
            },
            fps: args.fps,
            size: args.size,
            separator: args.separator.map(|s| match s {
                SeparatorArg::Black => Separator::Black,
                SeparatorArg::Flash => Separator::Flash,
            }),
            separator_ms: args.separator_ms as f64,
            burn_in: args.burn_in,
            still: args.still,
            ..FilmOptions::default()
        };
        opts.encoder.name = args.encoder;
        opts.encoder.preset = args.preset;
        opts.encoder.crf = args.crf;
        let mut bar = Bar(None);
        let started = std::time::Instant::now();
        let result = export(&sessions, &args.output, &opts, &mut bar);
        if let Some(b) = &bar.0 {
            b.finish_and_clear();
        }
        let s = result.with_context(|| format!("exporting {}", args.output.display()))?;
        let took = started.elapsed().as_secs_f64();
        eprintln!(
            "{}: {:.1} s, {} frames ({} camera frames{}), {} in {:.1} s ({:.0} frames/s)",
            args.output.display(),
            s.seconds,
            s.frames,
            s.shown,
            if s.corrupt > 0 {
                format!(", {} corrupt skipped", s.corrupt)
            } else {
                String::new()
            },
            s.encoder,
            took,
            s.frames as f64 / took.max(1e-9),
        );
        Ok(())
    }

    pub fn sheet(args: SheetArgs) -> anyhow::Result<()> {
        let png = args
            .output
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if !png {
            log::warn!(
                "a contact sheet is a PNG; {} will be a PNG whatever its name",
                args.output.display()
            );
        }
        let session = read::read_session(&args.session).context("reading the session")?;
        let n = sheet::write_sheet(
            &session,
            &args.output,
            sheet::SheetOptions {
                columns: args.columns,
                thumb_width: args.thumb_width,
            },
        )
        .with_context(|| format!("drawing {}", args.output.display()))?;
        eprintln!("{}: {n} blinks", args.output.display());
        Ok(())
    }
}

#[cfg(feature = "film")]
pub use run::{film, sheet};

/// The program that runs `film` and `sheet`, installed beside `augenblick`.
///
/// FFmpeg's libraries (and the hundred-odd libraries they pull in) take
/// about 25 MB of a process's memory once mapped. A session never needs
/// them, so `augenblick` itself does not link them: `augenblick film` and
/// `augenblick sheet` hand over to this program, which does.
pub const FILM_PROGRAM: &str = "augenblick-film";

/// Runs `augenblick film` or `augenblick sheet` in [`FILM_PROGRAM`], found
/// beside this program, with the same arguments; it takes this process's
/// place (its output, exit status and terminal are the user's).
#[cfg(feature = "film")]
pub fn hand_over() -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;

    use anyhow::Context;

    let me = std::env::current_exe().context("finding this program's path")?;
    let film = me.with_file_name(FILM_PROGRAM);
    if !film.is_file() {
        anyhow::bail!(
            "{} not found: the film export and contact sheets run in `{FILM_PROGRAM}`, \
             which is installed beside `augenblick` (so that a session never maps FFmpeg's \
             libraries). `cargo build --release` builds both; `cargo install --path .` \
             installs both",
            film.display()
        );
    }
    let mut args = std::env::args_os();
    // `ps` shows the command the user typed.
    let arg0 = args.next().unwrap_or_else(|| "augenblick".into());
    let err = std::process::Command::new(&film)
        .arg0(arg0)
        .args(args)
        .exec();
    Err(err).with_context(|| format!("running {}", film.display()))
}

#[cfg(not(feature = "film"))]
pub fn film(_args: FilmArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no film export (built without the `film` feature, e.g. for the Pi Zero); \
         copy the session folder to a laptop and run `augenblick film` there, or rebuild with \
         `cargo build --features film`"
    )
}

#[cfg(not(feature = "film"))]
pub fn sheet(_args: SheetArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no contact sheets (built without the `film` feature); \
         rebuild with `cargo build --features film`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates_and_sizes_parse() {
        assert_eq!(parse_fps("30"), Ok((30, 1)));
        assert_eq!(parse_fps("30000/1001"), Ok((30000, 1001)));
        assert_eq!(parse_fps("12.5"), Ok((12500, 1000)));
        assert!(parse_fps("0").is_err());
        assert!(parse_fps("fast").is_err());
        assert_eq!(parse_size("640x480"), Ok((640, 480)));
        assert!(parse_size("640").is_err());
        assert!(parse_size("0x480").is_err());
    }
}
