//! The VM test's helper (scripts/vm-test).
//!
//! - `feed`, inside the VM: replays a labelled trace into i2c-stub, the
//!   kernel's stand-in for the ADS1115, while `augenblick run` samples it.
//! - `check`, on the host: checks the session that run wrote against the
//!   trace, its labels and a simulated run of the same trace.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check;
mod feed;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Feeds the test VM's stub ADC; checks the session it wrote"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay a trace into the ADS1115's conversion register (in the VM).
    Feed(feed::Args),
    /// Check a session recorded in the VM (on the host).
    Check(check::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Feed(a) => feed::run(a),
        Command::Check(a) => check::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
