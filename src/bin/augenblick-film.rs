//! `augenblick film` and `augenblick sheet`, which `augenblick` hands over
//! to: the one program that links FFmpeg, so that a session never maps its
//! libraries (see `augenblick::cli::film::FILM_PROGRAM`).

fn main() -> std::process::ExitCode {
    augenblick::cli::main(augenblick::cli::Cli::dispatch_film)
}
