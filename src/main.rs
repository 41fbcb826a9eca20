use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = augenblick::cli::Cli::parse();
    let logger = env_logger::Builder::new()
        .filter_level(cli.log_level())
        .parse_env("RUST_LOG")
        .format_target(false)
        .build();
    let level = logger.filter();
    // Log lines suspend the progress bars while they print.
    if indicatif_log_bridge::LogWrapper::new(augenblick::cli::progress().clone(), logger)
        .try_init()
        .is_ok()
    {
        log::set_max_level(level);
    }
    match cli.dispatch() {
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
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
