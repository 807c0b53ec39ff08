//! The one place that turns signals into a decision to stop: Ctrl-C (SIGINT), SIGTERM (a CI job
//! cancelled, `timeout`, a container stopped) and SIGHUP (the terminal closed) all mean "stop now,
//! clean up, exit 2". Whoever listens sweeps what its run made before it returns.
//!
//! What must hold: the handlers are installed before any container or image exists, so no
//! signal can arrive in a window where it would kill the process without a sweep.
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::error::{Error, Result};

/// The signals that stop a run, listened to from [`StopSignals::listen`] on.
pub(crate) struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Installs the handlers (inside a tokio runtime).
    pub(crate) fn listen() -> Result<StopSignals> {
        let listen = |kind: SignalKind| signal(kind).map_err(|e| Error::new("cannot listen for Ctrl-C and SIGTERM").because(e));
        Ok(StopSignals { interrupt: listen(SignalKind::interrupt())?, terminate: listen(SignalKind::terminate())?, hangup: listen(SignalKind::hangup())? })
    }

    /// Resolves when one of the signals arrives.
    pub(crate) async fn received(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}
