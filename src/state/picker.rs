//! The tag picker of a deploy or rollback: what it acts on, the tag typed or picked
//! from the ones the host and registry have, and whether migrations run.

use crate::backend::tags::TagInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Deploy,
    Rollback,
}

/// The tag a rollback to the images the last deploy replaced names.
pub const ROLLBACK_TAG: &str = "rollback";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPicker {
    pub kind: PickerKind,
    /// What the targets are, in words ("selected", "marked", "group backend", "all").
    pub scope: String,
    pub targets: Vec<String>,
    /// (service, its current tag) for "current → new".
    pub current: Vec<(String, String)>,
    pub text: String,
    pub migrate: bool,
    /// The migrations are breaking: the API stops before them.
    pub breaking: bool,
    /// The tags read from the host and registry: None while they are being read.
    pub tags: Option<Result<Vec<TagInfo>, String>>,
    /// Why the registry was not read, when it was not.
    pub note: Option<String>,
    /// The tag that names the `:rollback` images too, when the host says.
    pub rollback_is: Option<String>,
    /// The highlighted row of the list (filtered by `text`).
    pub cursor: usize,
    /// Why the last enter did nothing.
    pub message: Option<String>,
}

impl TagPicker {
    /// The rows on offer: (tag, when built or "", where), filtered by what is typed;
    /// a rollback offers the `:rollback` images first.
    pub fn rows(&self) -> Vec<(String, String, String)> {
        let mut rows = Vec::new();
        if self.kind == PickerKind::Rollback {
            rows.push((
                ROLLBACK_TAG.to_string(),
                String::new(),
                match &self.rollback_is {
                    Some(t) => format!("the images the last deploy replaced ({t})"),
                    None => "the images the last deploy replaced".to_string(),
                },
            ));
        }
        if let Some(Ok(tags)) = &self.tags {
            for t in tags {
                let place = match (t.on_host, t.in_registry) {
                    (true, true) => "host + registry",
                    (true, false) => "host",
                    (false, _) => "registry",
                };
                rows.push((
                    t.tag.clone(),
                    t.created.clone().unwrap_or_default(),
                    place.to_string(),
                ));
            }
        }
        let typed = self.text.to_lowercase();
        rows.retain(|(t, _, _)| t.to_lowercase().contains(&typed));
        rows
    }

    /// The tag enter would use: the highlighted row, else what is typed.
    pub fn chosen(&self) -> Option<String> {
        let rows = self.rows();
        match rows.get(self.cursor) {
            Some((t, _, _)) => Some(t.clone()),
            None if !self.text.is_empty() => Some(self.text.clone()),
            None => None,
        }
    }
}
