//! `millrace completions` and `millrace man`: the shell completion scripts and the man
//! pages, all generated from [`super::args`], so they name every command and option there
//! is, with the defaults the help shows.

use crate::app::UsageError;
use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};
use std::io::Write;
use std::path::Path;

/// Prints the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut command = super::args::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "millrace", &mut out);
    print_all(&out)
}

/// `millrace man`: prints one page holding every command with its options, or with `out`
/// writes the pages `man` reads, one per command, into that folder.
pub fn man(out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(dir) => write_pages(dir),
        None => print_all(one_page().context("cannot render the man page")?.as_bytes()),
    }
}

/// The command line as the pages show it: without `help`, which is no command of its own
/// (`millrace help run` is `millrace run --help`) and gets no page.
fn documented() -> clap::Command {
    let mut command = super::args::Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// The file names `--out` writes: millrace.1, then one per command, as the main page
/// lists them (clap_mangen names each page after its command).
fn page_names(command: &clap::Command) -> Vec<String> {
    let mut names = vec![format!("{}.1", command.get_name())];
    names.extend(
        command
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| format!("{}-{}.1", command.get_name(), c.get_name())),
    );
    names
}

/// Writes every page into `dir`, making it if need be, and says what it wrote.
fn write_pages(dir: &Path) -> anyhow::Result<()> {
    let refused = |e: std::io::Error| {
        UsageError::new(format!(
            "cannot write the man pages into {}: {e}; give --out a folder you can write to",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(refused)?;
    let command = documented();
    clap_mangen::generate_to(command.clone(), dir).map_err(refused)?;
    let names = page_names(&command);
    println!(
        "wrote {} man pages into {}: {}; read one with `man -l {}`, or copy them into a man1 folder on your MANPATH (e.g. ~/.local/share/man/man1) for `man millrace-run`",
        names.len(),
        dir.display(),
        names.join(", "),
        dir.join(&names[0]).display()
    );
    Ok(())
}

/// One page with every command: the main page's sections, then a section per command with
/// its synopsis and options (each command's own sections become subsections), and a SEE
/// ALSO naming the per-command pages that `--out` writes.
fn one_page() -> std::io::Result<String> {
    let command = documented();
    let main = Man::new(command.clone());
    let mut page = rendered(|w| main.render_title(w))?;
    page += &part(rendered(|w| main.render_name_section(w))?);
    page += &part(rendered(|w| main.render_synopsis_section(w))?);
    page += &part(rendered(|w| main.render_description_section(w))?);
    page += &part(rendered(|w| main.render_options_section(w))?);
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        let man = Man::new(sub.clone());
        page += &format!(
            ".SH \"{} {}\"\n",
            command.get_name().to_uppercase(),
            sub.get_name().to_uppercase()
        );
        let about = part(rendered(|w| man.render_description_section(w))?);
        page += about.trim_start_matches(".SH DESCRIPTION\n");
        page += &subsections(part(rendered(|w| man.render_synopsis_section(w))?));
        page += &subsections(part(rendered(|w| man.render_options_section(w))?));
    }
    page += &part(rendered(|w| main.render_version_section(w))?);
    let others: Vec<String> = page_names(&command)[1..]
        .iter()
        .map(|name| format!("{}(1)", name.trim_end_matches(".1")))
        .collect();
    let mut see_also = Roff::new();
    see_also.control("SH", ["SEE ALSO"]).text([roman(format!(
        "Each command also has a page of its own, which `millrace man --out DIR` writes: {}.",
        others.join(", ")
    ))]);
    page += &part(see_also.render());
    Ok(page)
}

/// What `render` writes, as text.
fn rendered(
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<String> {
    let mut out = Vec::new();
    render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A rendered section without the two lines that define the apostrophe string, which every
/// render repeats and the page needs once, at its top.
fn part(section: String) -> String {
    section
        .lines()
        .filter(|l| !l.starts_with(".ie \\n(.g .ds Aq") && !l.starts_with(".el .ds Aq"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A command's sections as subsections of its own section.
fn subsections(section: String) -> String {
    section
        .lines()
        .map(|l| match l.strip_prefix(".SH ") {
            Some(heading) => format!(".SS {heading}\n"),
            None => format!("{l}\n"),
        })
        .collect()
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
