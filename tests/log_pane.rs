//! The log pane through update(): what it asks the backend to follow, and what the
//! operator's keys do to the lines it shows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use crate::common::*;
use pilothouse::input::action::{Action, Effect, Msg};
use pilothouse::state::{LogTarget, State};
use pilothouse::update::update;
use pilothouse_core::model::requests::LogStart;

/// A follow request as (environment, services and start), None for "stop".
type Follow = (usize, Option<(Vec<String>, LogStart)>);

fn follows(effects: &[Effect]) -> Vec<Follow> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::FollowLogs { env, request } => Some((
                *env,
                request.as_ref().map(|r| (r.services.clone(), r.start)),
            )),
            _ => None,
        })
        .collect()
}

fn shown(state: &State) -> Vec<String> {
    state.envs[0].logs.store.export(false, false)
}

fn opened() -> State {
    let mut s = staging_live();
    let effects = press(&mut s, Action::Logs);
    // The first row in deployment order is redis (example config).
    let service = s.envs[0]
        .selected_container()
        .map(|c| c.service.clone())
        .unwrap_or_default();
    assert_eq!(
        follows(&effects),
        [(0, Some((vec![service], LogStart::Tail(500))))]
    );
    s
}

#[test]
fn opening_follows_the_selected_service_and_moving_follows_the_next() {
    let mut s = opened();
    let before = s.envs[0].selected_container().map(|c| c.service.clone());
    let effects = press(&mut s, Action::Down);
    let now = s.envs[0].selected_container().map(|c| c.service.clone());
    assert_ne!(before, now);
    assert_eq!(
        follows(&effects),
        [(
            0,
            Some((vec![now.unwrap_or_default()], LogStart::Tail(500)))
        )]
    );
    // The same selection again asks for nothing new.
    assert!(follows(&press(&mut s, Action::Zoom)).is_empty());
}

#[test]
fn closing_the_pane_or_switching_environment_stops_following() {
    let mut s = opened();
    let effects = press(&mut s, Action::NextEnv);
    assert_eq!(follows(&effects), [(0, None)]);
    let effects = press(&mut s, Action::PrevEnv);
    assert_eq!(follows(&effects).len(), 1);
    let effects = press(&mut s, Action::Details);
    assert_eq!(follows(&effects), [(0, None)]);
}

#[test]
fn all_and_marked_services_and_time_windows() {
    let mut s = opened();
    let effects = press(&mut s, Action::FollowAll);
    assert_eq!(
        follows(&effects),
        [(0, Some((vec![], LogStart::Tail(500))))]
    );
    assert_eq!(s.envs[0].logs.target, LogTarget::All);
    let effects = press(&mut s, Action::Window5m);
    assert_eq!(
        follows(&effects),
        [(0, Some((vec![], LogStart::Since(NOW - 300))))]
    );
    press(&mut s, Action::LogsBack);
    press(&mut s, Action::Mark);
    press(&mut s, Action::Down);
    press(&mut s, Action::Mark);
    let effects = press(&mut s, Action::FollowMarked);
    let f = follows(&effects);
    assert_eq!(f.len(), 1);
    let (_, req) = &f[0];
    assert_eq!(req.as_ref().map(|(s, _)| s.len()), Some(2), "{f:?}");
}

#[test]
fn lines_of_an_older_request_are_ignored() {
    let mut s = opened();
    let old = log_batch(&s, "redis", &[(1, "old request")]);
    press(&mut s, Action::FollowAll);
    send(&mut s, 0, old);
    assert!(shown(&s).is_empty());
    let new = log_batch(&s, "redis", &[(2, "new request")]);
    send(&mut s, 0, new);
    assert_eq!(shown(&s), ["new request"]);
}

#[test]
fn scrolling_up_pauses_and_new_lines_do_not_move_the_view() {
    let mut s = opened();
    let lines: Vec<(i64, String)> = (0..100).map(|i| (i, format!("line {i}"))).collect();
    let refs: Vec<(i64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    let b = log_batch(&s, "redis", &refs);
    send(&mut s, 0, b);
    assert!(!s.envs[0].logs.paused());
    press(&mut s, Action::ScrollUp);
    press(&mut s, Action::ScrollUp);
    assert_eq!(s.envs[0].logs.scroll, 2);
    let b = log_batch(&s, "redis", &[(200, "new 1"), (201, "new 2")]);
    send(&mut s, 0, b);
    // Still showing the same bottom line: two more below it now.
    assert_eq!(s.envs[0].logs.scroll, 4);
    press(&mut s, Action::Bottom);
    assert!(!s.envs[0].logs.paused());
    press(&mut s, Action::Top);
    assert_eq!(s.envs[0].logs.scroll, 101);
}

#[test]
fn search_jumps_between_matches_and_filter_shows_only_them() {
    let mut s = opened();
    let b = log_batch(
        &s,
        "redis",
        &[
            (1, "ok"),
            (2, "ERROR one"),
            (3, "ok"),
            (4, "error two"),
            (5, "ok"),
        ],
    );
    send(&mut s, 0, b);
    press(&mut s, Action::Search);
    assert_eq!(s.mode(), pilothouse::input::action::Mode::Search);
    for c in "error".chars() {
        update(&mut s, Msg::Input(c));
    }
    press(&mut s, Action::SearchDone);
    let pane = &s.envs[0].logs;
    assert_eq!(pane.store.matches(), 2);
    assert_eq!(pane.cursor, Some(3), "the newest match first");
    press(&mut s, Action::PrevMatch);
    assert_eq!(s.envs[0].logs.cursor, Some(1));
    press(&mut s, Action::PrevMatch);
    assert_eq!(s.envs[0].logs.cursor, Some(1), "no older match: stays");
    assert_eq!(s.envs[0].logs.message.as_deref(), Some("no older match"));
    press(&mut s, Action::FilterMatches);
    assert_eq!(shown(&s), ["ERROR one", "error two"]);
    press(&mut s, Action::InvertMatches);
    assert_eq!(shown(&s), ["ok", "ok", "ok"]);
}

#[test]
fn a_bad_pattern_says_why_and_keeps_the_old_search() {
    let mut s = opened();
    press(&mut s, Action::Search);
    for c in "a(b".chars() {
        update(&mut s, Msg::Input(c));
    }
    press(&mut s, Action::SearchDone);
    let m = s.envs[0].logs.message.clone().unwrap_or_default();
    assert!(m.starts_with("search: ") && m.contains("unclosed"), "{m}");
    assert!(!s.envs[0].logs.store.query().searching());
}

#[test]
fn save_asks_for_a_file_with_the_shown_lines() {
    let mut s = opened();
    let b = log_batch(&s, "redis", &[(1_795_312_800_000_000_000, "to keep")]);
    send(&mut s, 0, b);
    let effects = press(&mut s, Action::SaveLogs);
    match effects.as_slice() {
        [Effect::SaveLogs { name, lines, .. }] => {
            assert!(
                name.starts_with("staging-redis-") && name.ends_with(".log"),
                "{name}"
            );
            assert_eq!(lines, &["02:00:00.000 to keep"]);
        }
        other => panic!("{other:?}"),
    }
    update(
        &mut s,
        Msg::Saved {
            env: 0,
            result: Ok("/tmp/x.log".into()),
        },
    );
    assert_eq!(
        s.envs[0].logs.message.as_deref(),
        Some("saved to /tmp/x.log")
    );
}

#[test]
fn enter_on_a_timeline_entry_reads_its_service_around_then_and_esc_follows_again() {
    use pilothouse::state::View;
    use pilothouse_core::model::event::BackendEvent;
    use pilothouse_core::model::timeline::{Entry, Kind, Source, TimelineEvent};
    let mut s = opened();
    let following = s.envs[0].logs.requested.clone();
    let at = |ago: i64| (NOW - ago) * 1_000_000_000;
    send(
        &mut s,
        0,
        BackendEvent::Timeline(TimelineEvent::Read {
            entries: vec![
                Entry::new(
                    at(600),
                    Source::Engine,
                    Kind::Die,
                    "slicer",
                    "exited with code 137".into(),
                ),
                Entry::new(
                    at(60),
                    Source::Console,
                    Kind::Pool,
                    "the database",
                    "no free connections".into(),
                ),
            ],
            clock_offset: 0,
            missing: vec![],
        }),
    );
    press(&mut s, Action::TimelineView);
    // The newest is highlighted: the database has no logs, and the pane is left alone.
    let effects = press(&mut s, Action::Logs);
    assert!(follows(&effects).is_empty());
    assert_eq!(s.view, View::Timeline);
    let screen = screen_text(&render(&s, 120, 30));
    assert!(
        screen.contains("the database is not one of the environment's services"),
        "{screen}"
    );
    press(&mut s, Action::Up);
    let effects = press(&mut s, Action::Logs);
    assert_eq!(
        follows(&effects),
        [(
            0,
            Some((
                vec!["slicer".to_string()],
                LogStart::Between {
                    since: NOW - 630,
                    until: NOW - 570
                }
            ))
        )]
    );
    assert_eq!(s.view, View::Containers);
    let screen = screen_text(&render(&s, 120, 30));
    assert!(
        screen.contains("logs · slicer ·") && screen.contains("±30s"),
        "{screen}"
    );
    assert!(screen.contains("esc: back to the timeline"), "{screen}");
    // esc: back to the timeline, and the pane follows what it followed before.
    let effects = press(&mut s, Action::LogsBack);
    assert_eq!(s.view, View::Timeline);
    let before = following.map(|r| r.services).unwrap_or_default();
    assert_eq!(
        follows(&effects),
        [(0, Some((before, LogStart::Tail(500))))]
    );
}
