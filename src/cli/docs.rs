//! `millrace completions` and `millrace man`: the shell completion scripts and the man page,
//! both generated from [`super::command`], so they name every command and option there is,
//! with the defaults the help shows.

use anyhow::Context;
use std::io::Write;

/// Prints the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut command = super::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "millrace", &mut out);
    print_all(&out)
}

/// Prints the man page of millrace, as roff, to stdout: the options shared by every
/// command and a section naming each command (`millrace COMMAND --help` tells the rest).
pub fn man() -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::command())
        .render(&mut out)
        .context("cannot render the man page")?;
    print_all(&out)
}

/// Writes `bytes` to stdout; a closed pipe (`millrace man | head`) is no failure.
fn print_all(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}
