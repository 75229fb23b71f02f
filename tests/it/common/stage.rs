//! The separate processes of a deployment — `serve`, `consume`, `stream` — started in one
//! folder around one webhook port.

use super::http::wait_healthy;
use super::process::{Proc, free_port, millrace, run_ok};
use std::path::Path;
use std::process::Command;

/// The separate processes of a deployment, started in `dir` around one webhook port.
pub struct Stage<'a> {
    pub dir: &'a Path,
    pub port: u16,
    /// Arguments that choose the queue, given to `serve` and `consume`.
    pub queue_args: Vec<String>,
}

impl Stage<'_> {
    pub fn new(dir: &Path) -> Stage<'_> {
        Stage {
            dir,
            port: free_port(),
            queue_args: Vec::new(),
        }
    }

    pub fn serve_cmd(&self) -> Command {
        let mut cmd = millrace(self.dir);
        cmd.args(["serve", "--listen"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(&self.queue_args);
        cmd
    }

    /// Starts the webhook and waits until it answers.
    pub fn serve(&self) -> Proc {
        let p = Proc::spawn(&mut self.serve_cmd());
        wait_healthy(self.port);
        p
    }

    pub fn consume_cmd(&self) -> Command {
        let mut cmd = millrace(self.dir);
        cmd.args(["consume", "all", "--redeliver-after", "1"])
            .args(&self.queue_args);
        cmd
    }

    pub fn consume(&self) -> Proc {
        Proc::spawn(&mut self.consume_cmd())
    }

    /// Streams a single metric from a folder of its own, to prove the pipeline is writing
    /// before a test disturbs it.
    pub fn stream_one_record(&self) {
        let first = self.dir.join("first");
        std::fs::create_dir_all(&first).unwrap();
        std::fs::write(
            first.join("metrics.json"),
            r#"[{"id": 1, "val": 0.5, "time": 1624377478}]"#,
        )
        .unwrap();
        run_ok(&mut self.stream(&first));
    }

    /// The streamer, sending `data` in small batches.
    pub fn stream(&self, data: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = millrace(self.dir);
        cmd.args([
            "stream",
            "--batch-size",
            "250",
            "--no-progress",
            "--webhook",
        ])
        .arg(format!("http://127.0.0.1:{}", self.port))
        .arg("--data")
        .arg(data);
        cmd
    }
}
