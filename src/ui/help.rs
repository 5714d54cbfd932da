//! The help overlay: every action of the mode it was opened from, with the keys the
//! active keymap gives it (so a remapped key shows as remapped).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::input::action::Mode;
use crate::input::keymap::Keymap;
use crate::ui::theme::Theme;

/// The overlay's lines: one per action, `keys  what it does`.
/// In the table's mode, the environment's own actions come after the keymap's:
/// `x p  purge cdn (team action)`.
pub fn lines(
    mode: Mode,
    keymap: &Keymap,
    theme: &Theme,
    team: &[(Option<char>, String)],
) -> Vec<Line<'static>> {
    let c = &theme.colors;
    let key_style = Style::new().fg(c.accent.0).add_modifier(Modifier::BOLD);
    let muted = Style::new().fg(c.muted.0);
    let mut rows: Vec<(String, String, bool)> = mode
        .actions()
        .iter()
        .map(|a| {
            let keys: Vec<String> = keymap
                .keys_for(mode, *a)
                .iter()
                .map(ToString::to_string)
                .collect();
            let bound = !keys.is_empty();
            let keys = if bound {
                keys.join(" ")
            } else {
                "(none)".to_string()
            };
            (keys, a.describe().to_string(), bound)
        })
        .collect();
    if mode == Mode::Normal {
        let menu: Vec<String> = keymap
            .keys_for(mode, crate::input::action::Action::Actions)
            .iter()
            .map(ToString::to_string)
            .collect();
        if let Some(open) = menu.first() {
            for (key, name) in team {
                let keys = key.map_or(open.clone(), |k| format!("{open} {k}"));
                let name = pilothouse_core::text::clean(name, 40);
                rows.push((keys, format!("{name} (team action)"), true));
            }
        }
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    rows.into_iter()
        .map(|(keys, what, bound)| {
            let pad = " ".repeat(width.saturating_sub(keys.chars().count()) + 2);
            let mut what = what.to_string();
            if !bound {
                what.push_str("  (unbound)");
            }
            Line::from(vec![
                Span::styled(keys, if bound { key_style } else { muted }),
                Span::raw(pad),
                Span::raw(what),
            ])
        })
        .collect()
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    mode: Mode,
    scroll: u16,
    keymap: &Keymap,
    theme: &Theme,
    team: &[(Option<char>, String)],
) {
    let c = &theme.colors;
    let w = area
        .width
        .saturating_sub(4)
        .min(100)
        .max(area.width.min(20));
    let h = area.height.saturating_sub(2).max(area.height.min(3));
    let [_, mid, _] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(w),
        Constraint::Min(0),
    ])
    .areas(area);
    let [_, rect, _] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(h),
        Constraint::Min(0),
    ])
    .areas(mid);
    let all = lines(mode, keymap, theme, team);
    let inner_h = rect.height.saturating_sub(2);
    // Two columns when the list does not fit in one and there is room.
    let columns = if all.len() > usize::from(inner_h) && rect.width >= 80 {
        2
    } else {
        1
    };
    let per = all.len().div_ceil(columns);
    let title = format!(
        " help · {} · keymap {} · ? or esc closes ",
        mode.describe(),
        keymap.name
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(c.accent.0))
        .title(Span::styled(title, Style::new().fg(c.accent.0)));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let cols = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (i, col) in cols.iter().enumerate() {
        let part: Vec<Line> = all.iter().skip(i * per).take(per).cloned().collect();
        let max = part.len().saturating_sub(usize::from(col.height)) as u16;
        frame.render_widget(Paragraph::new(part).scroll((scroll.min(max), 0)), *col);
    }
}
