//! How often a monitor reads: its own interval while its environment is on screen, the
//! environment's `background_interval` (if slower) while it is not; coming on screen
//! ends a background wait at once, so what the operator opens is fresh.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Whether the environment is on screen, and the pace off it.
#[derive(Debug, Clone)]
pub struct Pace {
    on_screen: watch::Receiver<bool>,
    background: Duration,
}

impl Pace {
    pub fn new(on_screen: watch::Receiver<bool>, background: Duration) -> Pace {
        Pace {
            on_screen,
            background,
        }
    }

    /// The time between readings now.
    pub fn period(&self, every: Duration) -> Duration {
        if *self.on_screen.borrow() {
            every
        } else {
            every.max(self.background)
        }
    }

    /// The next reading after `last` (none yet: at once).
    pub async fn next(&mut self, every: Duration, last: Option<Instant>) {
        if let Some(since) = last {
            self.wait(every, since).await;
        }
    }

    /// Until the environment comes on screen or leaves it (never, once no one says).
    pub async fn changed(&mut self) {
        if self.on_screen.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Waits until the next reading is due: `every` after `since` on screen, the
    /// background period off it, recomputed when the environment comes on screen or
    /// leaves it.
    pub async fn wait(&mut self, every: Duration, since: Instant) {
        loop {
            self.on_screen.borrow_and_update();
            let due = since + self.period(every);
            if Instant::now() >= due {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep_until(due) => return,
                changed = self.on_screen.changed() => {
                    if changed.is_err() {
                        // No one says any more: the period as it stands.
                        tokio::time::sleep_until(due).await;
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn off_screen_waits_the_background_period_and_coming_on_screen_ends_it() {
        let (tx, rx) = watch::channel(false);
        let mut pace = Pace::new(rx, Duration::from_secs(30));
        let every = Duration::from_millis(50);
        let since = Instant::now();
        let waiting = tokio::spawn(async move {
            pace.wait(every, since).await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "off screen: not after its own 50 ms"
        );
        let shown = Instant::now();
        tx.send_replace(true);
        let at = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(at - shown < Duration::from_secs(5), "on screen: at once");
    }

    #[tokio::test]
    async fn on_screen_waits_its_own_interval() {
        let (_tx, rx) = watch::channel(true);
        let mut pace = Pace::new(rx, Duration::from_secs(30));
        let since = Instant::now();
        pace.wait(Duration::from_millis(100), since).await;
        let waited = Instant::now() - since;
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_secs(10),
            "{waited:?}"
        );
    }
}
