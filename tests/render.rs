//! The screen, drawn from fixture States into a TestBackend. Snapshots are reviewed like
//! code; the cells that carry meaning (the protected banner, unhealthy, stale, tab
//! alerts) are asserted explicitly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::Path;

use crate::common::*;
use pilothouse::input::action::{Action, Msg};
use pilothouse::input::keymap::Keymap;
use pilothouse::ui;
use pilothouse::ui::theme::Theme;
use pilothouse::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

fn row_text(t: &Terminal<TestBackend>, y: u16) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

/// The colour of `cell` in the table row whose first column is `service`.
fn fg_in_row(buf: &Buffer, service: &str, cell: &str) -> Color {
    let y = (0..buf.area.height)
        .find(|&y| {
            let line: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            line.starts_with(&format!("│{service} "))
        })
        .unwrap_or_else(|| panic!("no row for {service}"));
    let line: String = (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect();
    let i = line
        .find(cell)
        .unwrap_or_else(|| panic!("no {cell:?} in row {line:?}"));
    buf[(line[..i].chars().count() as u16, y)].fg
}

fn screen_has(t: &Terminal<TestBackend>, text: &str) -> bool {
    let h = t.backend().buffer().area.height;
    (0..h).any(|y| row_text(t, y).contains(text))
}

#[test]
fn before_connecting_nothing_is_claimed() {
    let t = render(&example_state(), 80, 24);
    insta::assert_snapshot!(t.backend());
    let screen: String = (0..24).map(|y| row_text(&t, y)).collect();
    assert!(screen.contains("not connected"));
    assert!(!screen.contains("healthy"));
}

#[test]
fn live_table_colours_what_needs_attention() {
    let t = render(&staging_live(), 100, 16);
    insta::assert_snapshot!(t.backend());
    let buf = t.backend().buffer();
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fg_in_row(buf, "order-service", "unhealthy (3)"),
        theme.colors.error.0
    );
    assert_eq!(
        fg_in_row(buf, "slicer", "exited (137)"),
        theme.colors.error.0
    );
    assert_eq!(
        fg_in_row(buf, "redis", "restarting"),
        theme.colors.warning.0
    );
    assert_eq!(fg_in_row(buf, "gateway", "healthy"), theme.colors.ok.0);
    assert_eq!(fg_in_row(buf, "gateway", "running"), theme.colors.ok.0);
    for image in [
        "gateway:v2",
        "order-service:v2",
        "redis:v2",
        "slicer:v2",
        "web:v2",
    ] {
        assert!(screen_has(&t, image), "the image tag of {image} is cut off");
    }
    assert!(row_text(&t, 1).contains("connected 23 ms · 3/5 running · 1 unhealthy · 1 restarting"));
    // The tab says something is wrong, in colour and in a symbol.
    assert_eq!(fg_at(buf, "staging !"), theme.colors.tab_active.0);
    assert!(row_text(&t, 0).contains("staging !"));
}

#[test]
fn a_declared_service_without_a_container_is_a_red_missing_row_and_counted() {
    use pilothouse_core::model::event::BackendEvent;
    let mut s = staging_live();
    let declared = [
        "redis",
        "slicer",
        "gateway",
        "order-service",
        "print-service",
        "web",
    ];
    send(
        &mut s,
        0,
        BackendEvent::Declared(declared.iter().map(|d| d.to_string()).collect()),
    );
    let t = render(&s, 110, 16);
    let buf = t.backend().buffer();
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        row_text(&t, 1).contains("3/6 running · 1 MISSING"),
        "{}",
        row_text(&t, 1)
    );
    assert_eq!(
        fg_in_row(buf, "print-service", "missing"),
        theme.colors.error.0
    );
    // Stale, nothing is called missing: it is not known.
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "gone".into(),
            retry_in: std::time::Duration::from_secs(4),
        },
    );
    let t = render(&s, 110, 16);
    assert!(!screen_has(&t, "MISSING") && !screen_has(&t, "missing"));
}

#[test]
fn cpu_and_memory_show_while_live_and_vanish_when_stale() {
    use pilothouse_core::model::container::Usage;
    use pilothouse_core::model::event::BackendEvent;
    let u = Usage {
        cpu_centipercent: 1234,
        mem_used: 45 << 20,
        mem_limit: 2 << 30,
        source: pilothouse_core::model::container::UsageSource::Cgroup,
    };
    let mut state = staging_live();
    send(
        &mut state,
        0,
        BackendEvent::Stats(vec![("id-gateway".into(), u)]),
    );
    let t = render(&state, 120, 16);
    assert!(screen_has(&t, "12.3%") && screen_has(&t, "45M/2.0G"));
    send(
        &mut state,
        0,
        BackendEvent::Disconnected {
            error: "gone".into(),
            retry_in: std::time::Duration::from_secs(1),
        },
    );
    let t = render(&state, 120, 16);
    assert!(!screen_has(&t, "12.3%"), "a stale CPU figure is shown");
}

#[test]
fn a_lost_connection_is_shown_stale_never_healthy() {
    let t = render(&staging_lost(), 100, 16);
    insta::assert_snapshot!(t.backend());
    let buf = t.backend().buffer();
    let screen: String = (0..16).map(|y| row_text(&t, y)).collect();
    assert!(
        screen.contains("DISCONNECTED since 02:00:00Z (0s ago); retry in 4s"),
        "{screen}"
    );
    assert!(
        row_text(&t, 2).contains(" docker events stream ended"),
        "the reason has its own line"
    );
    assert!(screen.contains("STALE: not connected"));
    assert!(
        !screen.contains("healthy"),
        "a stale row claims a health:\n{screen}"
    );
    let (x, y) = find(buf, "unknown").unwrap_or_else(|| panic!("no unknown health"));
    assert!(buf[(x, y)].modifier.contains(Modifier::DIM));
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fg_at(buf, "DISCONNECTED"), theme.colors.error.0);
    assert!(
        !screen.contains("unhealthy"),
        "counts of a stale view are not shown"
    );
}

#[test]
fn detail_pane_shows_failing_health_checks_env_names_and_missing_rotation() {
    let mut state = staging_live();
    for _ in 0..3 {
        update(&mut state, Msg::Action(Action::Down)); // order-service, unhealthy
    }
    let t = render(&state, 120, 40);
    insta::assert_snapshot!(t.backend());
    let buf = t.backend().buffer();
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert!(screen_has(&t, "order-service · acme_order-service_1"));
    assert!(screen_has(&t, "✗ exit 1"));
    assert!(screen_has(&t, "HTTP/1.1 503 Service Unavailable"));
    assert_eq!(fg_at(buf, "✗ exit 1"), theme.colors.error.0);
    assert!(screen_has(&t, "DATABASE_URL NODE_ENV PORT"));
    assert!(screen_has(&t, "(names only)"));
    assert!(
        !screen_has(&t, "⚠ no max-size"),
        "order-service has rotation"
    );
    for _ in 0..2 {
        update(&mut state, Msg::Action(Action::Up)); // gateway, slicer
    }
    let t = render(&state, 120, 40);
    assert!(screen_has(&t, "⚠ no max-size"), "slicer has no rotation");
    assert_eq!(
        fg_at(t.backend().buffer(), "⚠ no max-size"),
        theme.colors.warning.0
    );
}

#[test]
fn production_has_a_red_banner_with_its_name() {
    let mut state = example_state();
    update(&mut state, Msg::Action(Action::NextEnv));
    let t = render(&state, 80, 24);
    insta::assert_snapshot!(t.backend());
    let banner = row_text(&t, 1);
    assert!(
        banner.contains("PRODUCTION · PROTECTED ENVIRONMENT"),
        "{banner}"
    );
    let buf = t.backend().buffer();
    for x in 0..80 {
        assert_eq!(buf[(x, 1)].bg, Color::Red, "banner cell {x} is not red");
    }
}

#[test]
fn read_only_is_shown_in_the_status_bar() {
    let mut state = example_state();
    state.read_only = true;
    let t = render(&state, 80, 24);
    assert!(row_text(&t, 23).contains("READ-ONLY"));
}

#[test]
fn status_bar_hints_come_from_the_keymap() {
    let t = render(&example_state(), 80, 24);
    let bar = row_text(&t, 23);
    assert!(bar.contains("tab next env"), "{bar}");
    assert!(bar.contains("q quit"), "{bar}");
    let custom = custom_keymap();
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
    t.draw(|f| ui::draw(f, &example_state(), &theme, &custom))
        .unwrap_or_else(|e| panic!("{e}"));
    let bar = row_text(&t, 23);
    assert!(
        bar.contains("x quit") && bar.contains("n next env"),
        "{bar}"
    );
    assert!(!bar.contains("q quit"), "{bar}");
}

/// The default keymap with a user's file over it: quit on x (not q), next env on n.
fn custom_keymap() -> Keymap {
    let mut k = Keymap::default_keymap()
        .and_then(|k| {
            k.overridden_by(
                "[normal]\n\"x\" = \"quit\"\n\"q\" = \"none\"\n\"n\" = \"next-env\"\n\"f1\" = \"help\"\n\n[help]\n\"f1\" = \"help\"\n",
                Path::new("custom.toml"),
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
    k.name = "custom".into();
    k
}

#[test]
fn the_help_overlay_shows_the_keys_of_the_active_keymap() {
    let mut state = example_state();
    let _ = update(&mut state, Msg::Action(Action::Help));
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap_or_else(|e| panic!("{e}"));
    t.draw(|f| ui::draw(f, &state, &theme, &custom_keymap()))
        .unwrap_or_else(|e| panic!("{e}"));
    let screen: String = (0..30).map(|r| row_text(&t, r) + "\n").collect();
    assert!(screen.contains("keymap custom"), "{screen}");
    assert!(screen.contains("x ctrl-c"), "{screen}");
    assert!(screen.contains("n tab"), "{screen}");
    insta::assert_snapshot!(screen);
    // Any other key does nothing under the overlay; its own key closes it.
    let _ = update(&mut state, Msg::Action(Action::Restart));
    assert!(state.envs.iter().all(|e| e.queue.pending().is_none()));
    let _ = update(&mut state, Msg::Action(Action::Help));
    assert!(state.help.is_none());
}

#[test]
fn tiny_terminals_do_not_panic() {
    for state in [example_state(), staging_live(), staging_lost()] {
        for (w, h) in [(1, 1), (10, 3), (40, 10), (80, 2), (300, 100)] {
            render(&state, w, h);
        }
    }
}

#[test]
fn rows_from_the_list_alone_show_unknown_uptime_and_restarts_not_zero() {
    use pilothouse_core::model::event::BackendEvent;
    let mut state = staging_live();
    let mut listed = container(
        "web",
        pilothouse_core::model::container::RunState::Running,
        pilothouse_core::model::container::Health::Healthy,
    );
    listed.inspected = false;
    listed.restart_count = 0;
    listed.started_at = None;
    send(&mut state, 0, BackendEvent::Snapshot(vec![listed]));
    let t = render(&state, 120, 40);
    let row = (0..40)
        .map(|y| row_text(&t, y))
        .find(|l| l.starts_with("│web "))
        .unwrap_or_default();
    assert!(row.contains("healthy"), "{row}");
    assert!(
        row.contains(" …     … "),
        "uptime and restarts must read as unknown: {row}"
    );
    assert!(screen_has(&t, "loading details…"));
}

#[test]
fn log_pane_shows_levels_colours_matches_notes_and_pause() {
    use pilothouse_core::logs::{CleanText, LogBatch, LogLine, Sanitizer};
    use pilothouse_core::model::event::BackendEvent;
    let mut s = staging_live();
    update(&mut s, Msg::Action(Action::Logs));
    let mut san = Sanitizer::new(true);
    let mut line = |ts: i64, stderr: bool, raw: &[u8]| {
        san.feed(raw);
        LogLine::from_clean(ts, stderr, san.finish_line())
    };
    let lines = vec![
        line(1, false, b"plain INFO started"),
        line(2, true, b"ERROR cannot reach redis\x1b]0;owned\x07"),
        line(3, false, br#"{"level":"warn","msg":"slow query","ms":812}"#),
        line(4, false, b"\x1b[32mgreen\x1b[0m and plain"),
        LogLine::note(5, "container abc123 restarted".into()),
        line(6, false, b"WARN pool nearly full"),
        LogLine::from_clean(
            7,
            false,
            CleanText {
                text: "last line".into(),
                spans: vec![],
            },
        ),
    ];
    let generation = s.envs[0].logs.generation;
    let service = s.envs[0]
        .selected_container()
        .map(|c| c.service.clone())
        .unwrap_or_default();
    send(
        &mut s,
        0,
        BackendEvent::Logs(LogBatch {
            generation,
            container: "id-x".into(),
            service,
            lines,
        }),
    );
    update(&mut s, Msg::Action(Action::Search));
    for c in "pool".chars() {
        update(&mut s, Msg::Input(c));
    }
    update(&mut s, Msg::Action(Action::SearchDone));
    let t = render(&s, 100, 30);
    insta::assert_snapshot!(t.backend());
    let buf = t.backend().buffer();
    let at = |text: &str| find(buf, text).unwrap_or_else(|| panic!("{text} not on screen"));
    // Levels carry colour: the error line red, the JSON warning's level tag yellow.
    assert_eq!(buf[at("ERROR cannot")].fg, Color::Red);
    assert_eq!(buf[at("WARN  slow query")].fg, Color::Yellow);
    // The service's own colour is kept, as a style.
    assert_eq!(buf[at("green and")].fg, Color::Indexed(2));
    // The match is highlighted; the title escape never reached the screen.
    assert_eq!(buf[at("pool nearly")].bg, Color::Yellow);
    assert!(find(buf, "owned").is_none());
    assert!(find(buf, "/pool/ 1 match ").is_some());
    assert!(find(buf, "── container abc123 restarted ──").is_some());
    // Every line fits: the match is on screen and the pane still follows.
    assert!(find(buf, "following").is_some() && find(buf, "PAUSED").is_none());
    assert!(
        find(buf, "▶ WARN pool").is_some(),
        "the current match is marked"
    );
}

#[test]
fn with_no_color_nothing_is_coloured_and_words_and_symbols_still_say_what_is_wrong() {
    let s = staging_live();
    let theme = pilothouse::ui::theme::Theme::default_theme()
        .unwrap_or_else(|e| panic!("{e}"))
        .without_colour();
    let t = render_with(&s, 120, 30, &theme);
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            assert_eq!(
                (cell.fg, cell.bg),
                (ratatui::style::Color::Reset, ratatui::style::Color::Reset),
                "a colour at {x},{y}"
            );
        }
    }
    let screen = screen_text(&t);
    // The unhealthy, exited and restarting services and the tab's alert, in words and marks.
    assert!(screen.contains("unhealthy"), "{screen}");
    assert!(screen.contains("exited (137)"), "{screen}");
    assert!(screen.contains("restarting"), "{screen}");
    assert!(screen.contains("staging !"), "{screen}");
}

#[test]
fn every_view_overlay_and_pane_size_renders_from_40x10_to_80x24() {
    let views = [
        Action::HealthView,
        Action::PoolView,
        Action::JobsView,
        Action::DeployedView,
        Action::AuditView,
        Action::TimelineView,
        Action::QueueView,
        Action::Logs,
        Action::Help,
        Action::Restart,
    ];
    for action in views {
        for shift in [Action::GrowPane, Action::ShrinkPane] {
            let mut s = staging_live();
            let _ = update(&mut s, Msg::Action(action));
            for _ in 0..40 {
                let _ = update(&mut s, Msg::Action(shift));
            }
            for (w, h) in [(80, 24), (40, 10), (20, 5)] {
                let t = render(&s, w, h);
                // The status bar is always the last row.
                let bar = row_text(&t, h - 1);
                assert!(!bar.trim().is_empty() || w < 40, "{action:?} {w}x{h}");
            }
        }
    }
}

#[test]
fn the_lower_pane_grows_and_shrinks_but_both_keep_three_rows() {
    let mut s = staging_live();
    let _ = update(&mut s, Msg::Action(Action::Logs));
    let logs_top = |s: &pilothouse::state::State| {
        let t = render(s, 100, 30);
        find(t.backend().buffer(), "┌ logs")
            .or_else(|| find(t.backend().buffer(), "┌ log"))
            .map(|(_, y)| y)
            .unwrap_or_else(|| panic!("no log pane:\n{}", screen_text(&t)))
    };
    let start = logs_top(&s);
    let _ = update(&mut s, Msg::Action(Action::GrowPane));
    assert_eq!(logs_top(&s), start - 2, "grow moves the border up two rows");
    for _ in 0..40 {
        let _ = update(&mut s, Msg::Action(Action::GrowPane));
    }
    // Tabs, env line, the incident's line (staging has trouble), and a three-row table
    // above.
    assert_eq!(logs_top(&s), 3 + 3);
    for _ in 0..80 {
        let _ = update(&mut s, Msg::Action(Action::ShrinkPane));
    }
    // The pane keeps three rows above the status bar.
    assert_eq!(logs_top(&s), 30 - 1 - 3);
}

#[test]
fn the_zoom_key_on_an_open_queue_pane_gives_it_the_whole_body() {
    let queue_top = |s: &pilothouse::state::State| {
        let t = render(s, 100, 30);
        find(t.backend().buffer(), "┌ staging · action queue")
            .map(|(_, y)| y)
            .unwrap_or_else(|| panic!("no queue pane:\n{}", screen_text(&t)))
    };
    for view in [Action::ContainersView, Action::HealthView] {
        let mut s = staging_live();
        let _ = update(&mut s, Msg::Action(view));
        let _ = update(&mut s, Msg::Action(Action::QueueView));
        let split = queue_top(&s);
        assert!(split > 2, "{view:?}: the view keeps rows above the queue");
        let _ = update(&mut s, Msg::Action(Action::Zoom));
        // Straight under the tab row, the environment line and the incident's line.
        assert_eq!(queue_top(&s), 3, "{view:?}");
        assert!(!s.envs[0].logs.zoomed, "the hidden log pane is not zoomed");
        let _ = update(&mut s, Msg::Action(Action::Zoom));
        assert_eq!(
            queue_top(&s),
            split,
            "{view:?}: zoom again restores the split"
        );
    }
}

#[test]
fn an_environment_s_accent_colours_its_tab_and_borders() {
    use ratatui::style::Color;
    let s = staging_live();
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let mut accented = theme.clone();
    accented.env_accents = vec![(
        "staging".into(),
        pilothouse::ui::theme::ThemeColor(Color::Rgb(1, 2, 3)),
    )];
    let plain = render_with(&s, 100, 30, &theme);
    let t = render_with(&s, 100, 30, &accented);
    let buf = t.backend().buffer();
    let (x, y) = find(buf, " staging").unwrap_or_else(|| panic!("no tab"));
    assert_eq!(buf[(x + 1, y)].bg, Color::Rgb(1, 2, 3), "the active tab");
    let (x, y) = find(buf, "┌ staging").unwrap_or_else(|| panic!("no table"));
    assert_eq!(buf[(x, y)].fg, Color::Rgb(1, 2, 3), "the table's border");
    let pbuf = plain.backend().buffer();
    let (x, y) = find(pbuf, "┌ staging").unwrap_or_else(|| panic!("no table"));
    assert_ne!(pbuf[(x, y)].fg, Color::Rgb(1, 2, 3));
}

/// A swarm environment from the shipped swarm example, with one reading of its manager:
/// the app short of a replica after a rolled-back update, a rejected task in its
/// history, the worker node down.
fn swarm_live() -> pilothouse::state::State {
    use pilothouse_core::model::event::BackendEvent;
    use pilothouse_core::model::swarm::{
        SwarmNode, SwarmSecret, SwarmService, SwarmState, SwarmTask,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_configs/swarm.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let config = pilothouse_core::config::parse(&text, &path).unwrap();
    let mut s = pilothouse::state::State::from_config(&config, false);
    send(&mut s, 0, BackendEvent::Connecting { attempt: 1 });
    send(
        &mut s,
        0,
        BackendEvent::Connected {
            docker_version: "20.10.24 (API 1.41)".into(),
        },
    );
    let task =
        |id: &str, slot: i64, node: &str, desired: &str, state: &str, image: &str, error: &str| {
            SwarmTask {
                id: id.into(),
                service_id: "s1".into(),
                slot: Some(slot),
                node_id: node.into(),
                desired_state: desired.into(),
                state: state.into(),
                since: Some(NOW - 30),
                since_ns: None,
                error: error.into(),
                message: String::new(),
                image: image.into(),
                force_update: 0,
                container_id: String::new(),
            }
        };
    let reading = SwarmState {
        services: vec![SwarmService {
            id: "s1".into(),
            name: "acme_app".into(),
            stack: "acme".into(),
            mode: "replicated".into(),
            running: 1,
            desired: 2,
            image: "ghcr.io/acme/app:v1".into(),
            update_state: "rollback_completed".into(),
            update_message: "rollback completed".into(),
            created: Some(NOW - 3600),
            ports: Vec::new(),
            secrets: vec!["db_password".into()],
            configs: Vec::new(),
            log_driver: String::new(),
            ..SwarmService::default()
        }],
        tasks: vec![
            task(
                "t1",
                1,
                "n1",
                "running",
                "running",
                "ghcr.io/acme/app:v1",
                "",
            ),
            task(
                "t2",
                2,
                "n2",
                "running",
                "pending",
                "ghcr.io/acme/app:v1",
                "",
            ),
            task(
                "t3",
                2,
                "n2",
                "shutdown",
                "rejected",
                "ghcr.io/acme/app:v9",
                "No such image: ghcr.io/acme/app:v9",
            ),
        ],
        nodes: vec![
            SwarmNode {
                id: "n1".into(),
                hostname: "swarm-manager-1".into(),
                role: "manager".into(),
                availability: "active".into(),
                status: "ready".into(),
                manager_status: "leader".into(),
                engine_version: "20.10.24".into(),
            },
            SwarmNode {
                id: "n2".into(),
                hostname: "swarm-worker-1".into(),
                role: "worker".into(),
                availability: "active".into(),
                status: "down".into(),
                manager_status: String::new(),
                engine_version: "20.10.24".into(),
            },
        ],
        secrets: vec![SwarmSecret {
            name: "db_password".into(),
            kind: "secret".into(),
            created: Some(NOW - 7200),
            services: vec!["acme_app".into()],
        }],
    };
    send(&mut s, 0, BackendEvent::Swarm(Box::new(reading)));
    s
}

#[test]
fn a_swarm_shows_services_tasks_with_their_history_nodes_and_secret_names() {
    let s = swarm_live();
    let t = render(&s, 120, 30);
    let text = screen_text(&t);
    // The short service in the alert colour, its update state, the tab in alert.
    assert_eq!(
        fg_in_row(t.backend().buffer(), "acme_app", "1/2"),
        Color::Red,
        "{text}"
    );
    assert!(
        text.contains("rollback_completed: rollback completed"),
        "{text}"
    );
    assert!(text.contains("0/1 services converged"), "{text}");
    assert!(text.contains("1/2 nodes ready"), "{text}");
    // The tasks like `docker service ps`: the rejected one folded under its slot.
    let rejected = text
        .lines()
        .find(|l| l.contains("rejected"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        rejected.contains("\\_") && rejected.contains("No such image: ghcr.io/acme/app:v9"),
        "{rejected}"
    );
    assert_eq!(
        s.envs[0].alert(NOW),
        pilothouse::state::alert::Alert::Bad,
        "a short service and a node down are alerts"
    );
    let mut s = s;
    update(&mut s, Msg::Action(Action::NodesView));
    let text = screen_text(&render(&s, 120, 30));
    let worker = text.lines().find(|l| l.contains("swarm-worker-1")).unwrap();
    assert!(
        worker.contains("down") && worker.contains("worker"),
        "{worker}"
    );
    update(&mut s, Msg::Action(Action::SecretsView));
    let text = screen_text(&render(&s, 120, 30));
    let row = text.lines().find(|l| l.contains("db_password")).unwrap();
    assert!(row.contains("secret") && row.contains("acme_app"), "{row}");
}

#[test]
fn on_a_swarm_esc_from_the_logs_gives_the_tasks_pane_back() {
    let mut s = swarm_live();
    let before = screen_text(&render(&s, 120, 30));
    assert!(
        before.contains("rejected"),
        "the tasks pane first: {before}"
    );
    update(&mut s, Msg::Action(Action::Logs));
    let logs = screen_text(&render(&s, 120, 30));
    assert!(
        !logs.contains("rejected"),
        "the log pane replaces it: {logs}"
    );
    update(&mut s, Msg::Action(Action::LogsBack));
    let after = screen_text(&render(&s, 120, 30));
    assert!(
        after.contains("rejected"),
        "esc gives the tasks back: {after}"
    );
}

#[test]
fn the_scale_picker_hints_its_own_keys_and_scaling_up_is_low_risk() {
    let mut s = swarm_live();
    update(&mut s, Msg::Action(Action::Scale));
    let text = screen_text(&render(&s, 120, 30));
    let bar = text.lines().last().unwrap_or_default().to_string();
    assert!(bar.contains("preview") && bar.contains("cancel"), "{bar}");
    for deploy_only in ["use tag", "migrations", "targets"] {
        assert!(!bar.contains(deploy_only), "{deploy_only} in {bar}");
    }
    update(&mut s, Msg::Input('4'));
    update(&mut s, Msg::Action(Action::TagDone));
    let text = screen_text(&render(&s, 120, 40));
    assert!(
        text.contains("low: more tasks start"),
        "scaling 2 -> 4 only starts tasks: {text}"
    );
    assert!(!text.contains("briefly unavailable"), "{text}");
}

#[test]
fn a_swarm_from_a_lost_connection_is_stale_never_converged() {
    use pilothouse_core::model::event::BackendEvent;
    let mut s = swarm_live();
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "docker events stream ended".into(),
            retry_in: std::time::Duration::from_secs(4),
        },
    );
    let t = render(&s, 120, 30);
    let text = screen_text(&t);
    assert!(text.contains("STALE: not connected"), "{text}");
    assert!(
        text.contains("1/2?"),
        "replicas from a lost connection are marked: {text}"
    );
    assert!(text.contains("(stale)"), "{text}");
    assert_ne!(
        fg_in_row(t.backend().buffer(), "acme_app", "1/2?"),
        Color::Green
    );
}

#[test]
fn a_swarm_s_incident_snapshot_lists_its_services_tasks_and_nodes() {
    let s = swarm_live();
    let text = pilothouse::state::snapshot::summary(&s.envs[0], NOW);
    // Services with replicas and update state, not a compose container table.
    assert!(text.contains("## Services"), "{text}");
    assert!(!text.contains("## Containers"), "{text}");
    assert!(
        text.contains("| acme_app | replicated | 1/2 | ghcr.io/acme/app:v1 | rollback_completed rollback completed |"),
        "{text}"
    );
    // Tasks like `docker service ps`, history included, with the engine's error.
    assert!(
        text.contains("| app.2 | swarm-worker-1 | shutdown | rejected |"),
        "{text}"
    );
    assert!(
        text.contains("No such image: ghcr.io/acme/app:v9"),
        "{text}"
    );
    // Nodes, the worker down.
    assert!(
        text.contains("| swarm-worker-1 | worker | active | down |"),
        "{text}"
    );
}

#[test]
fn the_clean_prompt_asks_the_age_over_the_jobs_view_and_says_why_one_is_refused() {
    let mut s = staging_live();
    send(&mut s, 0, jobs_reading());
    let _ = update(&mut s, Msg::Action(Action::JobsView));
    let _ = update(&mut s, Msg::Action(Action::CleanQueue));
    for (w, h) in [(80, 24), (200, 60)] {
        let screen = screen_text(&render(&s, w, h));
        assert!(
            screen.contains("clean queue order-sync on staging"),
            "{screen}"
        );
        assert!(screen.contains("age: 1d█"), "{screen}");
        assert!(screen.contains("esc: cancel"), "{screen}");
    }
    let _ = update(&mut s, Msg::Input('x'));
    let _ = update(&mut s, Msg::Action(Action::TagDone));
    let screen = screen_text(&render(&s, 100, 30));
    assert!(screen.contains("\"1dx\" is not an age"), "{screen}");
}

#[test]
fn the_jobs_view_shows_counts_a_queue_without_worker_its_consumer_and_redis_alerts() {
    let mut s = staging_live();
    send(&mut s, 0, jobs_reading());
    let _ = update(&mut s, Msg::Action(Action::JobsView));
    let t = render(&s, 120, 30);
    let screen = screen_text(&t);
    insta::assert_snapshot!(screen);
    // The queue nobody consumes: red, pointing at the configured consumer.
    assert!(screen.contains("no worker → print-service"), "{screen}");
    assert!(
        screen.contains("prints: 14 waiting, no worker (consumer: print-service)"),
        "{screen}"
    );
    let theme = Theme::default_theme().unwrap();
    assert_eq!(
        fg_at(t.backend().buffer(), "no worker →"),
        theme.colors.error.0
    );
    assert_eq!(
        fg_at(t.backend().buffer(), "allkeys-lru"),
        theme.colors.error.0
    );
    let wide = screen_text(&render(&s, 160, 30));
    assert!(
        wide.contains("queues: prints no worker (+1 more)"),
        "{wide}"
    );
    assert!(
        screen.contains("carrier API 503 Service Unavailable"),
        "{screen}"
    );
    // Lost: stale, and no alarm raised from old numbers.
    send(
        &mut s,
        0,
        pilothouse_core::model::event::BackendEvent::Queues(
            pilothouse_core::model::queues::QueuesEvent::Failed("no answer from Redis".into()),
        ),
    );
    let screen = screen_text(&render(&s, 120, 30));
    assert!(screen.contains("STALE"), "{screen}");
    assert!(screen.contains("(stale)"), "{screen}");
    assert!(
        screen.contains("cannot read the queues: no answer from Redis"),
        "{screen}"
    );
    assert!(!screen.contains("prints no worker"), "{screen}");
}

#[test]
fn a_queue_failing_above_its_threshold_says_so_in_its_row_and_trend() {
    use pilothouse_core::model::event::BackendEvent;
    use pilothouse_core::model::queues::QueuesEvent;
    let mut s = staging_live();
    for failed in [10, 60, 100] {
        let BackendEvent::Queues(QueuesEvent::Reading(mut r)) = jobs_reading() else {
            panic!("jobs_reading is a reading");
        };
        r.queues[0].failed_since = Some(failed);
        r.queues[0].completed_since = Some(5);
        send(&mut s, 0, BackendEvent::Queues(QueuesEvent::Reading(r)));
    }
    let _ = update(&mut s, Msg::Action(Action::JobsView));
    let t = render(&s, 120, 30);
    let screen = screen_text(&t);
    let row = screen
        .lines()
        .find(|l| l.trim_start().starts_with("order-sync") || l.contains("│order-sync"))
        .or_else(|| {
            screen
                .lines()
                .find(|l| l.contains("order-sync") && l.contains("980"))
        })
        .unwrap_or_else(|| panic!("no order-sync row: {screen}"));
    assert!(row.contains("failing 170/min"), "{row}");
    assert!(!row.ends_with(" ok") && !row.contains(" ok "), "{row}");
    // The trend is the failures' (10, 60, 100 rising), not the flat completions.
    assert!(row.contains("▁▅█"), "{row}");
    let theme = Theme::default_theme().unwrap();
    assert_eq!(fg_at(t.backend().buffer(), "▁▅█"), theme.colors.error.0);
}

/// Staging live with a service whose name and image are long, and usage figures: one
/// container with a memory limit, one without.
fn staging_wide_names() -> pilothouse::state::State {
    use pilothouse_core::model::container::Usage;
    use pilothouse_core::model::event::BackendEvent;
    let mut s = staging_live();
    let mut long = container(
        "gridflock-service",
        pilothouse_core::model::container::RunState::Running,
        pilothouse_core::model::container::Health::Healthy,
    );
    long.name = "acme-staging_gridflock-service_1".into();
    long.image = "127.0.0.1:5000/acme/gridflock-service:v2".into();
    send(&mut s, 0, BackendEvent::Container(Box::new(long)));
    let usage = |limit: u64| Usage {
        cpu_centipercent: 150,
        mem_used: 45 << 20,
        mem_limit: limit,
        source: pilothouse_core::model::container::UsageSource::Cgroup,
    };
    send(
        &mut s,
        0,
        BackendEvent::Stats(vec![
            ("id-gateway".into(), usage(0)),
            ("id-web".into(), usage(512 << 20)),
        ]),
    );
    s
}

#[test]
fn the_table_keeps_image_and_tag_whole_and_the_container_name_gives_way_first() {
    let s = staging_wide_names();
    for width in [80u16, 100, 200] {
        let t = render(&s, width, 24);
        let screen = screen_text(&t);
        // The image without its registry host, namespace and tag whole, at every width.
        assert!(
            screen.contains("acme/gridflock-service:v2"),
            "{width}:\n{screen}"
        );
        // The table's rows (the detail pane below shows the image whole).
        let rows: Vec<&str> = screen
            .lines()
            .filter(|l| l.starts_with('│') && l.contains("acme/"))
            .filter(|l| !l.contains("image "))
            .collect();
        assert!(
            rows.iter().all(|r| !r.contains("registry.example.com")),
            "{width}:\n{screen}"
        );
        assert!(!screen.contains("│PO"), "{width}: a cut header\n{screen}");
        // Memory: the limit only where there is one (at 80 columns the figures give way
        // to names, image and state; the detail pane has them).
        let row = |service: &str| {
            screen
                .lines()
                .find(|l| l.starts_with(&format!("│{service} ")))
                .unwrap_or_default()
                .to_string()
        };
        if width >= 100 {
            let (gateway, web) = (row("gateway"), row("web"));
            assert!(
                gateway.contains(" 45M ") && !gateway.contains("45M/"),
                "{width}: {gateway}"
            );
            assert!(web.contains("45M/512M"), "{width}: {web}");
        }
        // The header is the table's second row; CONTAINER never wider than its longest name.
        let header = screen
            .lines()
            .find(|l| l.contains("SERVICE"))
            .unwrap_or_default();
        let at = |h: &str| header.find(h).map(|b| header[..b].chars().count());
        if let (Some(c), Some(i)) = (at("CONTAINER"), at("IMAGE")) {
            assert!(
                i - c <= "acme-staging_gridflock-service_1".len() + 1,
                "{width}: {header}"
            );
        }
    }
    // 200 columns: every name whole, and the spare room is not given to them.
    let wide = screen_text(&render(&s, 200, 24));
    assert!(wide.contains("acme-staging_gridflock-service_1"), "{wide}");
    // 100 columns: the container names give way before anything else is cut.
    let narrow = screen_text(&render(&s, 100, 24));
    for word in ["healthy", "running", "gridflock-service "] {
        assert!(narrow.contains(word), "{word}:\n{narrow}");
    }
    insta::assert_snapshot!("table_at_100_columns", narrow);
}

#[test]
fn a_message_gets_its_own_line_and_the_key_hints_keep_theirs() {
    let mut s = staging_live();
    s.envs[0].notice = Some(
        "incident snapshot written to /home/ops/.local/state/pilothouse/snapshots/staging-20261203-013000.txt"
            .into(),
    );
    for width in [80u16, 100, 200] {
        let t = render(&s, width, 24);
        let bar = row_text(&t, 23);
        assert!(bar.contains("q quit"), "{width}: {bar}");
        assert!(!bar.contains("snapshot written"), "{width}: {bar}");
        let screen = screen_text(&t);
        assert!(
            screen.contains("incident snapshot written to"),
            "{width}:\n{screen}"
        );
        // Whole, wrapped if it must be.
        let flat: String = screen.lines().map(str::trim).collect();
        assert!(
            flat.contains("staging-20261203-013000.txt"),
            "{width}:\n{screen}"
        );
    }
}

#[test]
fn the_actions_menu_and_the_forwards_list_fit_80_100_and_200_columns() {
    for cols in [80, 100, 200] {
        let mut s = staging_live();
        update(&mut s, Msg::Action(Action::Actions));
        let t = render(&s, cols, 30);
        for part in ["actions on staging", "purge cdn", "recreate service"] {
            assert!(screen_has(&t, part), "{cols} columns: {part}");
        }
        // The highlighted action is reversed.
        let buf = t.backend().buffer();
        let (x, y) = find(buf, "purge cdn").expect("the first action");
        assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED), "{cols}");
        let mut s = staging_live();
        update(&mut s, Msg::Action(Action::Forwards));
        let t = render(&s, cols, 30);
        for part in ["port forwards of staging", "pgadmin", "grafana", "closed"] {
            assert!(screen_has(&t, part), "{cols} columns: {part}");
        }
    }
}

/// Staging with a timeline read from its host: a deploy, a kill, a restart and an
/// unhealthy service, on a zone one hour east of UTC.
fn staging_with_timeline() -> pilothouse::state::State {
    use pilothouse_core::model::event::BackendEvent;
    use pilothouse_core::model::timeline::{Entry, Kind, Source, TimelineEvent};
    let mut s = staging_live();
    s.zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
    let at = |ago: i64| (NOW - ago) * 1_000_000_000;
    let entries = vec![
        Entry::new(
            at(7_200),
            Source::Audit,
            Kind::Action,
            "web",
            "deploy by ops@laptop: succeeded".into(),
        ),
        Entry::new(
            at(600),
            Source::Engine,
            Kind::Kill,
            "slicer",
            "sent signal 9 (SIGKILL)".into(),
        ),
        Entry::new(
            at(599),
            Source::Engine,
            Kind::Die,
            "slicer",
            "exited with code 137".into(),
        ),
        Entry::new(
            at(300),
            Source::Engine,
            Kind::Restart,
            "redis",
            "restarted\u{1b}]0;owned\u{7}".into(),
        ),
        Entry::new(
            at(60),
            Source::Engine,
            Kind::Health,
            "order-service",
            "unhealthy".into(),
        ),
    ];
    send(
        &mut s,
        0,
        BackendEvent::Timeline(TimelineEvent::Read {
            entries,
            clock_offset: 0,
            missing: vec!["the env file's backups: permission denied".into()],
        }),
    );
    let _ = update(&mut s, Msg::Action(Action::TimelineView));
    s
}

#[test]
fn the_timeline_shows_what_changed_oldest_first_in_the_operator_s_zone() {
    for width in [80, 200] {
        let s = staging_with_timeline();
        let t = render(&s, width, 24);
        let screen = screen_text(&t);
        assert!(
            screen.contains("timeline: all services, every kind (5 of 5)"),
            "{screen}"
        );
        assert!(
            screen.contains("not read: the env file's backups: permission denied"),
            "{screen}"
        );
        let line_of = |needle: &str| {
            screen
                .lines()
                .position(|l| l.starts_with('│') && l.contains(needle))
        };
        let kill = line_of("sent signal 9 (SIGKILL)");
        assert!(
            kill.is_some() && line_of("order-service") > kill,
            "the newest at the bottom:\n{screen}"
        );
        let offset = (NOW - 600 + 3_600).rem_euclid(86_400);
        let clock = format!(
            "{:02}:{:02}:{:02} +01:00",
            offset / 3600,
            offset % 3600 / 60,
            offset % 60
        );
        assert!(screen.contains(&clock), "{clock} in\n{screen}");
        assert!(
            !screen.contains(['\u{1b}', '\u{7}']),
            "an escape reached the screen: {screen}"
        );
        assert!(screen.contains("restarted"), "{screen}");
    }
    // Whose entries and which kinds: w and K.
    let mut s = staging_with_timeline();
    let _ = update(&mut s, Msg::Action(Action::TimelineKinds));
    let screen = screen_text(&render(&s, 120, 24));
    assert!(screen.contains("changes (2 of 5)"), "{screen}");
    let _ = update(&mut s, Msg::Action(Action::TimelineKinds));
    let screen = screen_text(&render(&s, 120, 24));
    assert!(screen.contains("trouble (3 of 5)"), "{screen}");
    assert!(
        !screen
            .lines()
            .any(|l| l.starts_with('│') && l.contains("deploy by")),
        "{screen}"
    );
    let _ = update(&mut s, Msg::Action(Action::TimelineScope));
    let screen = screen_text(&render(&s, 120, 24));
    assert!(screen.contains("the selected service"), "{screen}");
}

#[test]
fn the_timeline_notes_a_lost_connection_and_its_return() {
    use pilothouse_core::model::event::BackendEvent;
    let mut s = staging_lost();
    send(
        &mut s,
        0,
        BackendEvent::Connected {
            docker_version: "20.10.24 (API 1.41)".into(),
        },
    );
    let _ = update(&mut s, Msg::Action(Action::TimelineView));
    let screen = screen_text(&render(&s, 120, 24));
    assert!(
        screen.contains("lost: docker events stream ended"),
        "{screen}"
    );
    assert!(screen.contains("back after"), "{screen}");
    assert!(screen.contains("reading the host's history"), "{screen}");
}

#[test]
fn an_incident_snapshot_holds_the_last_hour_of_the_timeline() {
    let s = staging_with_timeline();
    let text = pilothouse::state::snapshot::summary(&s.envs[0], NOW);
    let (_, part) = text
        .split_once("## What changed in the last hour (the timeline)")
        .unwrap_or_else(|| panic!("no timeline in:\n{text}"));
    assert!(
        part.contains("engine · slicer · exited with code 137"),
        "{part}"
    );
    assert!(
        part.contains("engine · order-service · unhealthy"),
        "{part}"
    );
    assert!(
        !part.contains("· web · deploy by"),
        "two hours ago is not the last hour: {part}"
    );
    // The incident: slicer's exit ten minutes ago (the engine's time) is the first alert,
    // and the deploy two hours ago the last change before it.
    let slicer = pilothouse_core::time::rfc3339_utc((NOW - 599) * 1_000_000_000);
    let deploy = pilothouse_core::time::rfc3339_utc((NOW - 7_200) * 1_000_000_000);
    let line = format!(
        "- **incident** since {slicer} slicer exited (137) · the last change before it: {deploy} web deploy by ops@laptop: succeeded"
    );
    assert!(part.contains(&line), "{line}\n{part}");
}

#[test]
fn fifteen_minutes_of_cpu_and_memory_show_as_sparklines_when_wide_and_a_chart_in_the_details() {
    use pilothouse_core::model::container::{Usage, UsageSource};
    use pilothouse_core::model::event::BackendEvent;
    let mut state = staging_live();
    // Web idle for ten minutes, then held busy (one core); its memory climbing.
    for i in 0..90i64 {
        let busy = i >= 60;
        let usage = Usage {
            cpu_centipercent: if busy { 10_000 } else { 40 },
            mem_used: (100 + u64::try_from(i).unwrap()) << 20,
            mem_limit: 0,
            source: UsageSource::Cgroup,
        };
        update(
            &mut state,
            Msg::Backend {
                env: 0,
                event: BackendEvent::Stats(vec![("id-web".into(), usage)]),
                now: NOW - 890 + i * 10,
            },
        );
    }
    // Web is the last row (the table's order: attention, then deployment order).
    for _ in 0..4 {
        press(&mut state, Action::Down);
    }
    assert_eq!(
        state.envs[0]
            .selected_container()
            .map(|c| c.service.as_str()),
        Some("web")
    );
    let wide = render(&state, 200, 30);
    let text = screen_text(&wide);
    let header = text.lines().find(|l| l.contains("SERVICE")).unwrap();
    assert!(
        header.contains("CPU 15m") && header.contains("MEM 15m"),
        "{text}"
    );
    let web = text.lines().find(|l| l.starts_with("│web ")).unwrap();
    assert!(
        web.contains("▁▁▁▁▁▁████"),
        "idle then busy, 90 s a bar: {web}"
    );
    insta::assert_snapshot!("sparklines_200", wide.backend());
    // Narrower: the names keep their room and the sparklines give way first.
    let t = render(&state, 120, 30);
    let mid = screen_text(&t);
    let web = mid.lines().find(|l| l.starts_with("│web ")).unwrap();
    assert!(
        web.contains("web_1") || web.contains("web-1"),
        "the name whole: {mid}"
    );
    if !mid.contains("CPU 15m") {
        assert!(!web.contains('█'), "{mid}");
    }
    let narrow = screen_text(&render(&state, 80, 30));
    let web = narrow.lines().find(|l| l.starts_with("│web ")).unwrap();
    assert!(
        !narrow.contains("CPU 15m") && !web.contains('█'),
        "{narrow}"
    );
    // The detail pane: both charts with their lowest, highest and newest readings.
    press(&mut state, Action::Details);
    for width in [80, 120, 200] {
        let t = render(&state, width, 30);
        let text = screen_text(&t);
        let cpu = text
            .lines()
            .find(|l| l.contains("cpu 15m"))
            .unwrap_or_else(|| panic!("{width}: {text}"));
        assert!(
            cpu.contains("min 0.4% · max 100.0% · now 100.0% (15 min)"),
            "{width}: {cpu}"
        );
        assert!(cpu.contains('█'), "{width}: {cpu}");
        let mem = text.lines().find(|l| l.contains("mem 15m")).unwrap();
        assert!(
            mem.contains('▁') && mem.contains('█'),
            "{width}: a climb: {mem}"
        );
        if width == 120 {
            insta::assert_snapshot!("usage_chart_120", t.backend());
        }
    }
}

#[test]
fn fifty_environments_open_on_the_fleet_worst_first_at_80_120_and_200_columns() {
    let s = fleet_state(50);
    assert_eq!(
        s.view,
        pilothouse::state::View::Fleet,
        "more than 6: the fleet first"
    );
    for (w, name) in [(80, "fleet_80"), (120, "fleet_120"), (200, "fleet_200")] {
        let t = render(&s, w, 40);
        insta::assert_snapshot!(name, t.backend());
        let rows: Vec<String> = (0..40).map(|y| row_text(&t, y)).collect();
        let at = |needle: &str| {
            // Below the tabs, the summary and the table's heading.
            (4..rows.len())
                .find(|&y| {
                    let r = &rows[y];
                    r.contains(&format!("│{needle}")) || r.contains(&format!("│  {needle} "))
                })
                .unwrap_or_else(|| panic!("{w}: no row for {needle}:\n{}", rows.join("\n")))
        };
        // Known broken, then unreachable, then the group with a warning, then the rest.
        assert!(at("h03") < at("h11") && at("h07") < at("h12"), "{w}");
        assert!(
            at("h12") < at("▾ client-a") && at("▾ client-a") < at("h05"),
            "{w}"
        );
        assert!(at("h05") < at("h09") && at("h09") < at("h01"), "{w}");
        let row = |needle: &str| rows[at(needle)].clone();
        assert!(
            row("h03").contains("FAILING") && row("h03").contains("1 unhealthy"),
            "{w}"
        );
        assert!(row("h07").contains("1 exited"), "{w}");
        assert!(
            row("h11").contains("UNREACHABLE") && row("h11").contains("DOWN"),
            "{w}"
        );
        assert!(
            row("h11").contains("ssh: connect to host"),
            "{w}: why, when it fits"
        );
        assert!(row("h05").contains("lock held"), "{w}");
        assert!(row("▾ client-a").contains("1 warning"), "{w}");
        assert!(screen_has(
            &t,
            "50 environments · 2 FAILING · 2 UNREACHABLE · 1 warning · 1 connecting · 44 ok"
        ));
        // The tabs cannot hold fifty: the alerting ones are there, and a count of the rest.
        assert!(
            rows[0].contains("h03") && rows[0].contains("more (O)"),
            "{w}: {}",
            rows[0]
        );
        assert!(
            !rows[0].contains(" h01 "),
            "{w}: an ok tab left out: {}",
            rows[0]
        );
    }
    let wide = render(&s, 200, 40);
    assert!(
        screen_has(&wide, "ana@laptop"),
        "the lock's holder at 200 columns"
    );
}
