fn main() -> std::process::ExitCode {
    augenblick::cli::main(augenblick::cli::Cli::dispatch)
}
