//! Graceful shutdown: one trigger, observed by every task, so each can stop taking work and
//! finish what it holds before the process exits.

use tokio::sync::watch;

/// Fires the shutdown. Dropping it fires it too, so a task never waits on a trigger that no
/// longer exists.
pub struct Trigger(watch::Sender<bool>);

/// Observes the shutdown; cheap to clone into every task.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A connected trigger and observer.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    /// Tells every task to stop taking new work and finish what it holds.
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    /// True once shutdown has begun.
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when shutdown begins.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|fired| *fired).await;
    }
}

/// The signal that began the shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: `kill`, or a service manager stopping millrace.
    Terminate,
}

impl Signal {
    /// The exit code shells and service managers expect of a command this signal stopped
    /// before its end: 128 plus the signal's number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    /// The signal as a person would name it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT (Ctrl-C)",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// The signal [`on_signals`] saw, kept process-wide as signals are.
static RECEIVED: std::sync::OnceLock<Signal> = std::sync::OnceLock::new();

/// The signal that began the shutdown, if one did.
pub fn received() -> Option<Signal> {
    RECEIVED.get().copied()
}

/// A command that a signal stopped before its end, for the exit code (130 or 143) and the
/// closing line: a run cut short is not a success.
#[derive(Debug, thiserror::Error)]
#[error("{what} was interrupted by {}", signal.name())]
pub struct Interrupted {
    /// What was cut short: "millrace run", say.
    pub what: String,
    /// The signal that stopped it.
    pub signal: Signal,
}

/// Fires `trigger` on SIGINT (Ctrl-C) or SIGTERM, and keeps which for [`received`].
pub fn on_signals(trigger: Trigger) {
    tokio::spawn(async move {
        let interrupt = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let signal = {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = interrupt => Signal::Interrupt,
                        _ = term.recv() => Signal::Terminate,
                    }
                }
                Err(_) => {
                    let _ = interrupt.await;
                    Signal::Interrupt
                }
            }
        };
        #[cfg(not(unix))]
        let signal = {
            let _ = interrupt.await;
            Signal::Interrupt
        };
        let _ = RECEIVED.set(signal);
        tracing::info!("shutting down: finishing work in flight");
        trigger.fire();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn observers_see_the_trigger() {
        let (trigger, shutdown) = channel();
        let observer = shutdown.clone();
        assert!(!observer.is_triggered());
        let waiter = tokio::spawn(async move { observer.wait().await });
        trigger.fire();
        waiter.await.unwrap();
        assert!(shutdown.is_triggered());
    }

    #[tokio::test]
    async fn dropping_the_trigger_releases_waiters() {
        let (trigger, shutdown) = channel();
        drop(trigger);
        shutdown.wait().await;
    }
}
