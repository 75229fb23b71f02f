//! The command line as a user meets it: settings, mistakes, `status` and the logs.

mod logs;
mod settings;
mod status;
mod usage;
