//! `augenblick run`. Placeholder until its issue lands.

/// Placeholder flags.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`augenblick run` is not built yet")
}
