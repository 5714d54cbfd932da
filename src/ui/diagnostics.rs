//! The console's own diagnostics (connections, reconnects, errors), from tui-logger.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders};
use tui_logger::TuiLoggerWidget;

use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme) {
    let c = &theme.colors;
    let widget = TuiLoggerWidget::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::new().fg(c.muted.0))
                .title(" pilothouse diagnostics "),
        )
        .style_error(Style::new().fg(c.error.0))
        .style_warn(Style::new().fg(c.warning.0))
        .style_info(Style::new().fg(c.text.0))
        .style_debug(Style::new().fg(c.muted.0))
        .output_separator(' ')
        .output_target(false)
        .output_file(false)
        .output_line(false);
    frame.render_widget(widget, area);
}
