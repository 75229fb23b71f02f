//! Waiting for a condition instead of sleeping for a fixed time: poll it, and fail after a
//! deadline saying what did not happen.

use std::path::Path;
use std::time::{Duration, Instant};

/// How often a condition is looked at again: often enough that a test waits hardly longer
/// than it has to, rarely enough that polling costs nothing beside the work it waits for.
const POLL: Duration = Duration::from_millis(20);

/// Polls `done` until it holds; fails the test after `within`, saying `what` did not happen.
pub fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(POLL);
    }
}

/// Waits until the log file `log` holds `needle`, and gives all of it; fails the test after
/// `within` with what the log holds by then.
pub fn wait_for_log(log: &Path, needle: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in {} within {within:?}:\n{text}",
            log.display()
        );
        std::thread::sleep(POLL);
    }
}

/// Joins a thread of the test once it has finished; fails the test, saying `what` did not
/// end, if it has not within `within`.
pub fn join_within<T>(thread: std::thread::JoinHandle<T>, within: Duration, what: &str) -> T {
    wait_until(within, what, || thread.is_finished());
    thread.join().unwrap()
}
