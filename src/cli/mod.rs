//! The command line. Each subcommand has its own file with its flags and
//! its runner; `main` only parses, dispatches and reports the error once.

use clap::{Parser, Subcommand};

pub mod check;
pub mod detect;
pub mod film;
pub mod run;
pub mod synth;
pub mod tune;

/// A wearable camera that films the moments you miss while blinking.
#[derive(Debug, Parser)]
#[command(name = "augenblick", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing buys nothing
pub enum Command {
    /// Find eye closures in an EMG trace: CSV on stdout, a plot with --plot.
    Detect(detect::Args),
    /// Score the detector against labels, sweep parameters, draw plots.
    Tune(tune::Args),
    /// Write a synthetic labelled trace for a named scenario.
    Synth(synth::Args),
    /// Run the appliance: real devices, or `--simulate` on a laptop.
    Run(run::Args),
    /// Stitch sessions' clips into one film.
    Film(film::FilmArgs),
    /// Draw a contact sheet: one thumbnail per blink.
    Sheet(film::SheetArgs),
    /// Test the wiring on the Pi: ADC, button, LED, camera, disk, groups.
    Check(check::Args),
}

/// A program's `main`: parses the command line, sets up logging, runs
/// `dispatch` and reports its error once.
pub fn main(dispatch: fn(Cli) -> anyhow::Result<()>) -> std::process::ExitCode {
    use std::process::ExitCode;

    let cli = Cli::parse();
    let logger = env_logger::Builder::new()
        .filter_level(cli.log_level())
        .parse_env("RUST_LOG")
        .format_target(false)
        .build();
    let level = logger.filter();
    // Log lines suspend the progress bars while they print.
    if indicatif_log_bridge::LogWrapper::new(progress().clone(), logger)
        .try_init()
        .is_ok()
    {
        log::set_max_level(level);
    }
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`augenblick detect T.csv | head`): what it
        // wanted was written; nothing to report.
        Err(err)
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `: `-joined as `{:#}` does, leaving out a
/// cause whose text an outer message already quotes (`cannot read: {source}`
/// errors name their source themselves).
fn describe(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let s = cause.to_string();
        if text.contains(&s) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&s);
    }
    text
}

/// Where progress bars draw. Log lines go through it too (see `main`), so a
/// warning printed during a long export or sweep clears the bar, takes its
/// own line, and the bar is drawn again below it.
pub fn progress() -> &'static indicatif::MultiProgress {
    static MULTI: std::sync::LazyLock<indicatif::MultiProgress> =
        std::sync::LazyLock::new(indicatif::MultiProgress::new);
    &MULTI
}

impl Cli {
    /// The log level the flags ask for.
    pub fn log_level(&self) -> log::LevelFilter {
        if self.quiet {
            return log::LevelFilter::Error;
        }
        match self.verbose {
            0 => log::LevelFilter::Warn,
            1 => log::LevelFilter::Info,
            2 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        }
    }

    /// Runs the chosen subcommand.
    pub fn dispatch(self) -> anyhow::Result<()> {
        match self.command {
            Command::Detect(a) => detect::run(a),
            Command::Tune(a) => tune::run(a),
            Command::Synth(a) => synth::run(a),
            Command::Run(a) => run::run(a),
            #[cfg(feature = "film")]
            Command::Film(_) | Command::Sheet(_) => film::hand_over(),
            #[cfg(not(feature = "film"))]
            Command::Film(a) => film::film(a),
            #[cfg(not(feature = "film"))]
            Command::Sheet(a) => film::sheet(a),
            Command::Check(a) => check::run(a),
        }
    }

    /// Runs `film` or `sheet` here: this is `augenblick-film`
    /// ([`film::FILM_PROGRAM`]), the one program that links FFmpeg.
    #[cfg(feature = "film")]
    pub fn dispatch_film(self) -> anyhow::Result<()> {
        match self.command {
            Command::Film(a) => film::film(a),
            Command::Sheet(a) => film::sheet(a),
            _ => anyhow::bail!(
                "{} runs `film` and `sheet` only; use `augenblick` for the rest",
                film::FILM_PROGRAM
            ),
        }
    }
}

/// The trace a path names: the file itself, or in a folder a session's
/// `emg.csv` or `synth`'s `trace.csv`.
pub(crate) fn trace_in(path: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    ["emg.csv", "trace.csv"]
        .iter()
        .map(|name| path.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: a folder with neither emg.csv (a session's) nor trace.csv (synth's) in it",
                path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::describe;
    use anyhow::Context;

    #[test]
    fn a_cause_an_error_quotes_is_said_once() {
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let err: anyhow::Error = crate::trace::TraceError::Io {
            path: "t.csv".into(),
            source: missing,
        }
        .into();
        assert_eq!(describe(&err), "t.csv: cannot read: No such file");
        // Causes nobody quoted are all said, outermost first.
        let err = Err::<(), _>(std::io::Error::other("disk full"))
            .context("writing clip 3")
            .context("recording")
            .unwrap_err();
        assert_eq!(describe(&err), "recording: writing clip 3: disk full");
    }
}
