//! How an environment's parts speak to the UI ([`Reporter`]) and how a connection ends
//! ([`Outcome`]): shared by the actor and the engines it watches through.

use tokio::sync::mpsc;

use pilothouse_core::model::event::BackendEvent;

/// How a connection ended.
pub enum Outcome {
    Shutdown,
    Lost(String),
}

/// Sends an environment's events to the UI, tagged with its index.
#[derive(Clone)]
pub struct Reporter {
    pub index: usize,
    pub events: mpsc::Sender<(usize, BackendEvent)>,
}

impl Reporter {
    /// False when the UI is gone (the actor then stops).
    pub async fn send(&self, ev: BackendEvent) -> bool {
        self.events.send((self.index, ev)).await.is_ok()
    }
}
