//! How much attention something needs: an environment (its tab), a health endpoint,
//! a queue.

/// How much attention an environment needs; colours its tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Alert {
    Ok,
    Warn,
    Bad,
}
