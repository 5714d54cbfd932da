//! The log pane's state: what it follows, from when, how it shows the lines, and the
//! lines themselves.

use pilothouse_core::logs::LogStore;
use pilothouse_core::model::requests::{LogRequest, LogStart};

/// Which containers the pane follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogTarget {
    /// The service of the selected row (the pane follows the selection).
    #[default]
    Selected,
    /// The marked services.
    Marked,
    /// Every service of the environment, merged in time order.
    All,
}

/// Where the lines start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogWindow {
    /// The configured number of lines per container.
    #[default]
    Tail,
    /// The last this many seconds.
    Last(i64),
    /// Everything Docker kept.
    All,
    /// From [`AROUND_SECS`] before this Unix time (seconds, the host's clock) to as
    /// long after: a moment of the timeline.
    Around(i64),
}

/// How far before and after a moment the pane reads its service's lines.
pub const AROUND_SECS: i64 = 30;

impl LogWindow {
    pub fn label(self, tail: u32) -> String {
        match self {
            LogWindow::Tail => format!("tail {tail}"),
            LogWindow::Last(s) if s >= 3600 => format!("since {}h", s / 3600),
            LogWindow::Last(s) => format!("since {}m", s / 60),
            LogWindow::All => "all".into(),
            LogWindow::Around(_) => format!("±{AROUND_SECS}s around the entry"),
        }
    }
}

/// The pane showing one service around a moment of the timeline, and what it showed
/// before (esc gives it back, following again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Around {
    /// The entry's services (an action's may name several).
    pub services: Vec<String>,
    /// Unix seconds on the host's clock.
    pub at: i64,
    pub before: Before,
}

/// What the pane was when the timeline took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    pub open: bool,
    pub focused: bool,
    pub target: LogTarget,
    pub window: LogWindow,
}

/// What the pane asked the backend for, to tell when to ask again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    pub services: Vec<String>,
    pub window: LogWindow,
}

/// The log pane of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPane {
    /// The lower pane shows logs (not the detail pane).
    pub open: bool,
    /// Keys go to the pane.
    pub focused: bool,
    /// The pane takes the whole body.
    pub zoomed: bool,
    pub target: LogTarget,
    pub window: LogWindow,
    /// Bumped with every new request; lines of older ones are ignored.
    pub generation: u64,
    pub requested: Option<Requested>,
    pub store: LogStore,
    /// Lines of the view below the pane's bottom edge; 0 follows new lines.
    pub scroll: usize,
    pub timestamps: bool,
    pub wrap: bool,
    /// JSON lines shown as they were written rather than rendered.
    pub raw: bool,
    /// The search box while it is being typed in.
    pub search_input: Option<String>,
    /// The last search error or save result, for the pane's title line.
    pub message: Option<String>,
    /// View index of the current match.
    pub cursor: Option<usize>,
    /// One service around a moment of the timeline, until esc.
    pub around: Option<Around>,
}

impl LogPane {
    pub fn new(buffer_lines: usize) -> Self {
        LogPane {
            open: false,
            focused: false,
            zoomed: false,
            target: LogTarget::Selected,
            window: LogWindow::Tail,
            generation: 0,
            requested: None,
            store: LogStore::new(buffer_lines),
            scroll: 0,
            timestamps: false,
            wrap: true,
            raw: false,
            search_input: None,
            message: None,
            cursor: None,
            around: None,
        }
    }

    pub fn paused(&self) -> bool {
        self.scroll > 0
    }

    /// The backend request for what the pane wants now (`now`: Unix seconds).
    pub fn request(&self, now: i64, tail: u32, keep_colours: bool) -> Option<LogRequest> {
        let r = self.requested.as_ref()?;
        Some(LogRequest {
            generation: self.generation,
            services: r.services.clone(),
            start: match r.window {
                LogWindow::Tail => LogStart::Tail(tail),
                LogWindow::Last(s) => LogStart::Since(now - s),
                LogWindow::All => LogStart::All,
                LogWindow::Around(at) => LogStart::Between {
                    since: at - AROUND_SECS,
                    until: at + AROUND_SECS,
                },
            },
            keep_colours,
        })
    }
}
