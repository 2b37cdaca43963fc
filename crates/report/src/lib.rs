//! Output formats shared by the commands.

/// The output formats a command may offer (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Jsonl,
    Json,
    Csv,
}
