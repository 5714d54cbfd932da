//! What an item runs with: the links to the environment (each None while there is no
//! connection), and the small helpers the runner and its steps share.

use std::collections::HashSet;
use std::sync::Mutex;

use tokio::sync::{mpsc, watch};

use crate::connection::remote::Remote;
use pilothouse_core::model::job::STEP_GRACE;

/// Where database steps go: the pool monitor of the current connection, if any.
pub type DbLink = watch::Receiver<Option<mpsc::Sender<crate::monitor::db::DbRequest>>>;

/// What the runner reaches the environment through; each link is None while there is
/// no connection.
pub struct Links {
    pub remote: watch::Receiver<Option<Remote>>,
    pub db: DbLink,
    pub docker: watch::Receiver<Option<bollard::Docker>>,
    /// The environment's health endpoints, for the deploy's smoke check.
    pub endpoints: Vec<pilothouse_core::config::Endpoint>,
    /// Told how each deploy and rollback ended.
    pub webhook: Option<pilothouse_core::config::HttpUrl>,
}

/// Resolves [`STEP_GRACE`] after the console began to stop; never before.
pub async fn grace_over(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(STEP_GRACE).await;
}

pub fn is_cancelled(set: &Mutex<HashSet<u64>>, id: u64) -> bool {
    set.lock().map(|s| s.contains(&id)).unwrap_or(false)
}

pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
