use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = augenblick::cli::Cli::parse();
    env_logger::Builder::new()
        .filter_level(cli.log_level())
        .parse_env("RUST_LOG")
        .format_target(false)
        .init();
    match cli.dispatch() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
