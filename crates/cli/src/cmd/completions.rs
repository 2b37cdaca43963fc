use std::process::ExitCode;

use clap_complete::Shell;

#[derive(clap::Args)]
pub struct Args {
    /// The shell to generate completions for.
    shell: Shell,
}

pub fn run(args: Args, command: &mut clap::Command) -> anyhow::Result<ExitCode> {
    let name = command.get_name().to_string();
    clap_complete::generate(args.shell, command, name, &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
