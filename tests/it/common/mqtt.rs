//! MQTT for the end-to-end tests: a Mosquitto of a test's own (on a free port, with its own
//! persistence file, restartable), a publisher that retries until the broker has every
//! message, and the sample records cut into messages of every layout the webhook accepts.

use super::process::{Proc, exit_within, free_port, signal};
use super::wait::wait_for_log;
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The machine's broker, which `.ci/run` starts.
pub const MACHINE_BROKER: &str = "127.0.0.1:1883";

/// A Mosquitto of `test`'s own, or `None` (the test skips, saying why) when Mosquitto is not
/// installed outside CI; under CI=true its absence fails the run, as `.ci/run` installs it.
pub fn own_broker(test: &str) -> Option<Mosquitto> {
    own_broker_with(test, |_| String::new())
}

/// [`own_broker`] with configuration of the test's own (see [`Mosquitto::start_with`]).
pub fn own_broker_with(
    test: &str,
    extra: impl FnOnce(&std::path::Path) -> String,
) -> Option<Mosquitto> {
    if !std::path::Path::new("/usr/sbin/mosquitto").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but /usr/sbin/mosquitto is missing: .ci/run should have installed it"
        );
        println!("skipping {test}: Mosquitto is not installed (apt-get install mosquitto)");
        return None;
    }
    Some(Mosquitto::start_with(extra))
}

/// A Mosquitto of the test's own; stopped (gracefully, so it saves its sessions) on drop.
pub struct Mosquitto {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Configuration after the plain listener's (more listeners, say).
    extra: String,
}

impl Mosquitto {
    /// Starts one on a free port, with persistence and no limit on queued messages, whose
    /// configuration ends with what `extra` writes, given the broker's folder (for
    /// certificates and password files; listener settings are per listener); waits until it
    /// answers.
    pub fn start_with(extra: impl FnOnce(&std::path::Path) -> String) -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        let extra = extra(dir.path());
        let mut broker = Mosquitto {
            port: free_port(),
            dir,
            child: None,
            extra,
        };
        broker.launch();
        broker
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// A file in the broker's folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> PathBuf {
        let path = self.dir.path().join("mosquitto.conf");
        let text = format!(
            "per_listener_settings true\npersistence true\n\
             persistence_location {dir}/\nmax_queued_messages 0\nuser root\n\
             listener {port} 127.0.0.1\nallow_anonymous true\n{extra}",
            port = self.port,
            dir = self.dir.path().display(),
            extra = self.extra
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    fn launch(&mut self) {
        let child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(self.config())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM and wait: Mosquitto writes its persistence file on the way out.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "TERM");
            let stopped = exit_within(&mut child, Duration::from_secs(10)).is_some();
            assert!(
                stopped || std::thread::panicking(),
                "mosquitto did not stop within 10 s of SIGTERM"
            );
        }
    }

    /// Stops and starts again on the same port and persistence file.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes every message QoS 1 from a persistent session of its own, and returns once the
/// broker acknowledged them all; rides out broker restarts (unacknowledged messages are sent
/// again, which is what MQTT does anyway).
pub fn publish(port: u16, client_id: &str, messages: &[(String, Vec<u8>)]) {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
    options
        .set_clean_session(false)
        .set_keep_alive(Duration::from_secs(5))
        .set_max_packet_size(16 << 20, 16 << 20)
        .set_inflight(50);
    let (client, mut connection) = Client::new(options, 64);
    let total = messages.len();
    let sender = {
        let messages = messages.to_vec();
        std::thread::spawn(move || {
            for (topic, payload) in messages {
                client
                    .publish(topic, QoS::AtLeastOnce, false, payload)
                    .unwrap();
            }
            client
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut acked = 0;
    let mut published = 0;
    while acked < total || published < total {
        assert!(Instant::now() < deadline, "{acked} of {total} published");
        match connection.recv_timeout(Duration::from_secs(1)) {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(Event::Outgoing(Outgoing::Publish(_)))) => published += 1,
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(_)) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let client = sender.join().unwrap();
    let _ = client.disconnect();
    let _ = connection.recv_timeout(Duration::from_millis(200));
}

/// The records of a JSON-array file cut into messages of `per` records on `topic`, the
/// layouts taking turns: a JSON array, NDJSON, a JSON string holding the array, and (for
/// the fourth) one message per record object.
pub fn messages(path: &std::path::Path, topic: &str, per: usize) -> Vec<(String, Vec<u8>)> {
    let records: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for (i, chunk) in records.chunks(per).enumerate() {
        let array = serde_json::to_string(chunk).unwrap();
        match i % 4 {
            0 => out.push(array.into_bytes()),
            1 => {
                let lines: Vec<String> = chunk.iter().map(|r| r.to_string() + "\n").collect();
                out.push(lines.concat().into_bytes());
            }
            2 => out.push(serde_json::to_string(&array).unwrap().into_bytes()),
            _ => out.extend(chunk.iter().map(|r| r.to_string().into_bytes())),
        }
    }
    out.into_iter().map(|p| (topic.to_string(), p)).collect()
}

/// `millrace mqtt` in `dir`, subscribed to `prefix/+/metrics` and `prefix/+/workorder`.
pub fn subscriber(dir: &Path, url: &str, prefix: &str, client_id: &str) -> Command {
    let mut cmd = super::millrace(dir);
    cmd.arg("mqtt")
        .args(["--url", url, "--client-id", client_id])
        .arg("--topic")
        .arg(format!("metrics={prefix}/+/metrics"))
        .arg("--topic")
        .arg(format!("workorder={prefix}/+/workorder"));
    cmd
}

/// Starts `cmd` with its log in `dir/mqtt.log` and waits until it has subscribed (a message
/// published before would find no subscription and be dropped by the broker).
pub fn start_subscribed(cmd: &mut Command, dir: &Path) -> Proc {
    let log = dir.join("mqtt.log");
    let file = std::fs::File::create(&log).unwrap();
    cmd.env("MILLRACE_LOG", "info").stderr(file);
    let p = Proc::spawn(cmd);
    wait_for_log(&log, "subscribed", Duration::from_secs(20));
    p
}
