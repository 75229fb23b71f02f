//! Processes the tests start — the millrace binary above all — and how long the tests wait for
//! them: every wait has a deadline, so a process that hangs fails its test, saying what did
//! not happen, instead of hanging the run.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a command that should end by itself (`run`, `report`, `status`, a refused start)
/// may take before its test fails: far beyond what any takes on a loaded machine, well short
/// of a hang.
pub const COMMAND_WITHIN: Duration = Duration::from_secs(180);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(10);

/// The millrace binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_millrace")
}

/// A millrace command run in `dir`, with no settings leaking in from the environment.
pub fn millrace(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("MILLRACE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("MILLRACE_LOG", "warn");
    cmd
}

/// [`Command::output`] with a deadline: stdout and stderr captured, stdin closed.
pub trait OutputWithin {
    /// Runs the command to its end; kills it and fails the test if it has not ended within
    /// `within`.
    fn output_within(&mut self, within: Duration) -> Output;

    /// [`OutputWithin::output_within`] [`COMMAND_WITHIN`].
    fn output_bounded(&mut self) -> Output {
        self.output_within(COMMAND_WITHIN)
    }
}

impl OutputWithin for Command {
    fn output_within(&mut self, within: Duration) -> Output {
        let mut child = self
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {self:?}: {e}"));
        output_with_deadline(&mut child, within, &format!("{self:?}"))
    }
}

/// Runs a command to completion; panics with its output if it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output_bounded();
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits for `child` to exit by itself; kills it and fails the test, naming `what`, if it has
/// not within `within`.
pub fn wait_with_deadline(child: &mut Child, within: Duration, what: &str) -> ExitStatus {
    exit_within(child, within).unwrap_or_else(|| panic!("{what} did not exit within {within:?}"))
}

/// How `child` exited, or `None` (and it killed) if it had not within `within`.
pub fn exit_within(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("ask whether a child exited") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Waits as [`wait_with_deadline`], then gives what `child` wrote to its piped stdout and
/// stderr (empty where they were not piped); a child killed at the deadline has what it wrote
/// until then in the failure. The pipes are read meanwhile, so a child that writes a lot does
/// not block on a full pipe.
pub fn output_with_deadline(child: &mut Child, within: Duration, what: &str) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let Some(status) = exit_within(child, within) else {
        panic!(
            "{what} did not exit within {within:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&stdout.join().unwrap()),
            String::from_utf8_lossy(&stderr.join().unwrap())
        );
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Sends `signal` (`"TERM"`, `"INT"`, `"KILL"`) to the process `pid`, and asserts it went.
pub fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal} {pid}");
}

/// A child process killed when the test ends, whatever happens.
pub struct Proc(pub Child);

impl Proc {
    /// Starts `cmd` with its stdout thrown away (its stderr goes where the test's does).
    pub fn spawn(cmd: &mut Command) -> Proc {
        Proc(cmd.stdout(Stdio::null()).spawn().expect("spawn millrace"))
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM, as a service manager stops it.
    pub fn terminate(&self) {
        signal(self.0.id(), "TERM");
    }

    /// SIGINT, as Ctrl-C in a terminal.
    pub fn interrupt(&self) {
        signal(self.0.id(), "INT");
    }

    /// Waits for the process to exit by itself, at most `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        wait_with_deadline(&mut self.0, within, "the process")
    }

    /// Waits for the process to exit by itself and asserts it failed (it crashed on purpose).
    pub fn wait_crash(&mut self, within: Duration) {
        let status = wait_with_deadline(&mut self.0, within, "the process meant to crash");
        assert!(!status.success(), "process was expected to crash");
    }

    /// Waits for the process to exit and asserts it succeeded.
    pub fn wait_ok(&mut self, within: Duration) {
        let status = self.wait_exit(within);
        assert!(status.success(), "process failed with {status}");
    }

    /// Waits for the process to exit by itself, at most `within`; gives its exit status and
    /// what it wrote to piped stdout and stderr.
    pub fn finish(&mut self, within: Duration) -> Output {
        output_with_deadline(&mut self.0, within, "the process")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `cmd` with its output thrown away and says whether it succeeded within `within` (it is
/// killed if not). It does not fail the test, so a guard's `Drop` can use it while a test
/// unwinds.
pub fn succeeded_within(cmd: &mut Command, within: Duration) -> bool {
    let Ok(mut child) = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    exit_within(&mut child, within).is_some_and(|status| status.success())
}

/// Whether `program` is a file in one of the folders of `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether the tests run as root, as they do here and in CI: then the databases and brokers
/// they start run as the service's own user, since PostgreSQL refuses to run as root.
pub fn running_as_root() -> bool {
    let out = Command::new("id").arg("-u").output_bounded();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Whether the system has a user named `name`.
pub fn user_exists(name: &str) -> bool {
    succeeded_within(Command::new("id").arg("-u").arg(name), COMMAND_WITHIN)
}

/// Gives the folder `dir` (and what it holds) to `user` (and its group), so that a service
/// started as that user can write in it.
pub fn give_to(dir: &Path, user: &str) {
    run_ok(
        Command::new("chown")
            .arg("-R")
            .arg(format!("{user}:"))
            .arg(dir),
    );
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
