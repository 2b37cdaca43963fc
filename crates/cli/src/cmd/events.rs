use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders to read; - reads stdin.
    #[arg(required = true)]
    paths: Vec<String>,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}
