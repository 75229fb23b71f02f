//! A RabbitMQ node of a test's own, for the tests that take the broker away (`stop_app`,
//! `start_app`): the machine's broker, which the other tests share, is never stopped or
//! reconfigured. The node has its own name, AMQP and distribution ports, data and log folders,
//! configuration files and enabled-plugins file (no plugins), all in a temporary folder; the
//! node is stopped and the folder deleted when the guard is dropped, also when the test panics.
//!
//! It is the machine's `rabbitmq-server` (on Debian a wrapper that runs it as the `rabbitmq`
//! user when called as root), reached with `rabbitmqctl -n NODE`; both use the Erlang cookie
//! of the user they run as, so the node needs nothing of the machine broker's configuration.
//! It registers with the machine's `epmd` (Erlang's port mapper, on loopback), as any second
//! node would; if none was running it starts one, which outlives it as epmd does.

use super::process::{
    OutputWithin, exit_within, free_port, give_to, on_path, running_as_root, succeeded_within,
    user_exists,
};
use super::services::installed;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long the node may take to boot (about 7 s on an idle machine).
const START_WITHIN: Duration = Duration::from_secs(120);

/// How long one `rabbitmqctl` command may take.
const CTL_WITHIN: Duration = Duration::from_secs(120);

/// Nodes started by this test process so far, for names that never repeat.
static NODES: AtomicU32 = AtomicU32::new(0);

/// A RabbitMQ node of `test`'s own, started and answering, or `None` (the test skips, saying
/// why) when RabbitMQ is not installed outside CI; under CI=true its absence fails the run,
/// as `.ci/run` installs it.
pub fn own_rabbitmq(test: &str) -> Option<OwnRabbitMq> {
    let present = on_path("rabbitmq-server") && on_path("rabbitmqctl");
    installed(
        test,
        "RabbitMQ (rabbitmq-server and rabbitmqctl)",
        present,
        "apt-get install rabbitmq-server",
    )
    .then(OwnRabbitMq::start)
}

/// A running RabbitMQ node of the test's own; stopped, and its folder deleted, on drop.
pub struct OwnRabbitMq {
    node: String,
    port: u16,
    /// `rabbitmq-server` in the foreground: the node's VM, under the wrapper and its shell.
    server: Child,
    dir: tempfile::TempDir,
}

impl OwnRabbitMq {
    /// Starts a node on free ports, in a temporary folder, and waits until it answers.
    pub fn start() -> OwnRabbitMq {
        let dir = tempfile::Builder::new()
            .prefix("millrace-rabbitmq-")
            .tempdir()
            .unwrap();
        let n = NODES.fetch_add(1, Ordering::Relaxed);
        let node = format!("millrace-test-{}-{n}@localhost", std::process::id());
        let port = free_port();
        let dist_port = std::iter::repeat_with(free_port)
            .find(|&p| p != port)
            .unwrap();
        let path = |name: &str| dir.path().join(name);
        // Its own configuration in place of /etc/rabbitmq's, which names the machine broker's
        // listener (and may name its node and plugins).
        let config = format!("listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users.guest = true\n");
        std::fs::write(path("rabbitmq.conf"), config).unwrap();
        std::fs::write(path("rabbitmq-env.conf"), "").unwrap();
        std::fs::write(path("enabled_plugins"), "[].\n").unwrap();
        if running_as_root() && user_exists("rabbitmq") {
            give_to(dir.path(), "rabbitmq");
        }
        let out = std::fs::File::create(path("server.out")).unwrap();
        let mut cmd = Command::new("rabbitmq-server");
        for (key, _) in std::env::vars() {
            if key.starts_with("RABBITMQ_") {
                cmd.env_remove(key);
            }
        }
        let server = cmd
            .env("RABBITMQ_NODENAME", &node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", port.to_string())
            .env("RABBITMQ_DIST_PORT", dist_port.to_string())
            .env("RABBITMQ_CONF_ENV_FILE", path("rabbitmq-env.conf"))
            .env("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf"))
            .env("RABBITMQ_CONFIG_FILES", path("conf.d"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", path("advanced.config"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
            .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
            .env("RABBITMQ_LOG_BASE", path("log"))
            .env("RABBITMQ_PID_FILE", path("node.pid"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start rabbitmq-server: {e}"));
        // The guard exists before the wait, so that a node that does not come up is stopped.
        let mut broker = OwnRabbitMq {
            node,
            port,
            server,
            dir,
        };
        broker.wait_until_up();
        broker
    }

    /// The AMQP URL of the node's default virtual host; guest may log in, from loopback.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Stops the RabbitMQ application (the node's VM stays up): clients meet a closed port.
    pub fn stop_app(&self) {
        self.ctl(&["stop_app"]);
    }

    /// Starts the application again and waits until it is up.
    pub fn start_app(&self) {
        self.ctl(&["start_app"]);
        self.ctl(&["await_startup"]);
    }

    /// Waits until the node's AMQP port answers and the node says it has started; fails the
    /// test, with the node's output and log, if it exits first or is not up within
    /// [`START_WITHIN`].
    fn wait_until_up(&mut self) {
        let deadline = Instant::now() + START_WITHIN;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.server.try_wait().unwrap() {
                panic!(
                    "the test's RabbitMQ node {} exited ({status}) before it answered on \
                     127.0.0.1:{}\n{}",
                    self.node,
                    self.port,
                    self.told()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the test's RabbitMQ node {} did not answer on 127.0.0.1:{} within \
                 {START_WITHIN:?}\n{}",
                self.node,
                self.port,
                self.told()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.ctl(&["await_startup"]);
    }

    /// `rabbitmqctl -n NODE args…`, asserted to succeed within [`CTL_WITHIN`].
    fn ctl(&self, args: &[&str]) {
        let out = Command::new("rabbitmqctl")
            .arg("-n")
            .arg(&self.node)
            .args(args)
            .output_within(CTL_WITHIN);
        assert!(
            out.status.success(),
            "rabbitmqctl -n {} {} failed ({})\nstdout: {}\nstderr: {}\n{}",
            self.node,
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.told()
        );
    }

    /// What the node wrote: its standard output and the end of its log.
    fn told(&self) -> String {
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap_or_default();
        let log = read(self.log());
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "rabbitmq-server's output:\n{}\nthe end of {}:\n{}",
            read(self.dir.path().join("server.out")),
            self.log().display(),
            tail.join("\n")
        )
    }

    fn log(&self) -> PathBuf {
        self.dir
            .path()
            .join("log")
            .join(format!("{}.log", self.node))
    }
}

impl Drop for OwnRabbitMq {
    /// `rabbitmqctl stop`; if the node does not stop, its VM is killed. The folder goes with
    /// the `TempDir`.
    fn drop(&mut self) {
        let vm = std::fs::read_to_string(self.dir.path().join("node.pid")).unwrap_or_default();
        let asked = succeeded_within(
            Command::new("rabbitmqctl")
                .arg("-n")
                .arg(&self.node)
                .arg("stop"),
            CTL_WITHIN,
        );
        let stopped = asked && exit_within(&mut self.server, Duration::from_secs(60)).is_some();
        if !stopped {
            if let Ok(pid) = vm.trim().parse::<u32>() {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            let _ = self.server.kill();
            let _ = self.server.wait();
        }
    }
}
