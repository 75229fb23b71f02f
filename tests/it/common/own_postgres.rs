//! A PostgreSQL cluster of a test's own, for the test that takes the database away: the
//! machine's server, which the other tests share, is never stopped or reconfigured. The
//! cluster is made with `initdb` in a temporary folder (trust authentication, superuser
//! `postgres`, database `test`) and listens on a free port on 127.0.0.1, its socket in that
//! folder; it is stopped and the folder deleted when the guard is dropped, also when the test
//! panics.
//!
//! PostgreSQL refuses to run as root, and the tests run as root here and in CI: then `initdb`
//! and `pg_ctl` run as the `postgres` user (`runuser`), the folder given to it.

use super::process::{
    OutputWithin, free_port, give_to, running_as_root, succeeded_within, user_exists,
};
use super::services::installed;
use postgres::{Client as PgClient, NoTls};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// How long `initdb`, or `pg_ctl` starting or stopping the server, may take.
const WITHIN: Duration = Duration::from_secs(120);

/// The seconds `pg_ctl -w` waits for the server to start or stop, within [`WITHIN`].
const PG_CTL_WAIT: &str = "60";

/// A PostgreSQL cluster of `test`'s own, started, or `None` (the test skips, saying why) when
/// PostgreSQL's server programs are not installed outside CI; under CI=true their absence
/// fails the run, as `.ci/run` installs them.
pub fn own_postgres(test: &str) -> Option<OwnPostgres> {
    let bin = bin_dir();
    let as_postgres = running_as_root();
    let present = installed(
        test,
        "PostgreSQL's server programs (initdb and pg_ctl)",
        bin.is_some(),
        "apt-get install postgresql",
    ) && (!as_postgres
        || installed(
            test,
            "the `postgres` user, which PostgreSQL runs as when the tests run as root",
            user_exists("postgres"),
            "apt-get install postgresql",
        ));
    present.then(|| OwnPostgres::new(bin.unwrap(), as_postgres))
}

/// The folder holding `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/N/bin` (Debian
/// keeps them off `PATH`), else one on `PATH`.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().unwrap_or(0);
            (version, entry.path().join("bin"))
        })
        .collect();
    versions.sort();
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    versions
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .chain(on_path)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

/// A PostgreSQL cluster of the test's own; stopped, and its folder deleted, on drop.
pub struct OwnPostgres {
    port: u16,
    bin: PathBuf,
    /// Whether its programs run as the `postgres` user (the tests run as root).
    as_postgres: bool,
    dir: tempfile::TempDir,
}

impl OwnPostgres {
    /// Makes a cluster with the programs in `bin` in a temporary folder, starts it on a free
    /// port and creates the database `test`.
    pub fn new(bin: PathBuf, as_postgres: bool) -> OwnPostgres {
        let dir = tempfile::Builder::new()
            .prefix("millrace-postgres-")
            .tempdir()
            .unwrap();
        if as_postgres {
            give_to(dir.path(), "postgres");
        }
        let server = OwnPostgres {
            port: free_port(),
            bin,
            as_postgres,
            dir,
        };
        server.run(
            "initdb",
            server
                .command("initdb")
                .arg("-D")
                .arg(server.data())
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "--no-locale"])
                .args(["-E", "UTF8"]),
        );
        // From here on a failure stops the server as the guard drops.
        server.start();
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);
        let mut client = PgClient::connect(&admin, NoTls)
            .unwrap_or_else(|e| panic!("connect to the test's PostgreSQL at {admin}: {e}"));
        client.batch_execute("CREATE DATABASE test").unwrap();
        server
    }

    /// The URL of its database `test`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/test", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl start",
            self.command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.log())
                .args(["-o", &options, "-w", "-t", PG_CTL_WAIT, "start"]),
        );
    }

    /// Stops the server (fast shutdown: sessions are ended, not waited for) and waits until
    /// it has.
    pub fn stop(&self) {
        self.run("pg_ctl stop", &mut self.stop_cmd("fast"));
    }

    fn stop_cmd(&self, mode: &str) -> Command {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", PG_CTL_WAIT, "stop"]);
        cmd
    }

    /// One of PostgreSQL's programs, as the `postgres` user when the tests run as root, in
    /// the cluster's folder (the test's own may be closed to that user), with no `PG…`
    /// settings leaking in from the environment.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        for (key, _) in std::env::vars() {
            if key.starts_with("PG") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// Runs `cmd`, named `what`; fails the test with its output and the server's log if it
    /// fails or has not finished within [`WITHIN`].
    fn run(&self, what: &str, cmd: &mut Command) {
        let out = cmd.output_within(WITHIN);
        assert!(
            out.status.success(),
            "{what} for the test's PostgreSQL on port {} failed ({})\nstdout: {}\nstderr: {}\n\
             server log:\n{}",
            self.port,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }
}

impl Drop for OwnPostgres {
    /// A fast shutdown; if that fails while the server runs, an immediate one (it may already
    /// be stopped, by the test). The folder goes with the `TempDir`.
    fn drop(&mut self) {
        let running = || self.data().join("postmaster.pid").exists();
        if running() && !succeeded_within(&mut self.stop_cmd("fast"), WITHIN) && running() {
            let _ = succeeded_within(&mut self.stop_cmd("immediate"), WITHIN);
        }
    }
}
