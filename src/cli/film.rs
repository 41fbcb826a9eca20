//! `augenblick film` and `augenblick sheet`. Placeholder until the film issue lands.

/// Placeholder flags.
#[derive(Debug, clap::Args)]
pub struct FilmArgs {}

/// Placeholder flags.
#[derive(Debug, clap::Args)]
pub struct SheetArgs {}

pub fn film(_args: FilmArgs) -> anyhow::Result<()> {
    anyhow::bail!("`augenblick film` is not built yet")
}

pub fn sheet(_args: SheetArgs) -> anyhow::Result<()> {
    anyhow::bail!("`augenblick sheet` is not built yet")
}
