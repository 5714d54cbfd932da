//! Health and the connection pool in `update()` and on screen: fixture readings in, State
//! and the drawn cells out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use crate::common::*;
use pilothouse::input::action::{Action, Msg};
use pilothouse::state::alert::Alert;
use pilothouse::state::{State, View};
use pilothouse::ui::theme::Theme;
use pilothouse::update::update;
use pilothouse_core::model::container::{Health, RunState};
use pilothouse_core::model::event::BackendEvent;
use pilothouse_core::model::health::HealthEvent;
use pilothouse_core::model::pool::PoolEvent;

fn press(state: &mut State, action: Action) {
    update(state, Msg::Action(action));
}

fn text(t: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    screen_text(t)
}

fn with_pool(extra_app: &str, extra: i32) -> State {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Pool(PoolEvent::Sample(Box::new(pool_sample(extra_app, extra)))),
    );
    s
}

#[test]
fn views_toggle_and_the_log_key_goes_back_to_the_table() {
    let mut s = staging_live();
    press(&mut s, Action::PoolView);
    assert_eq!(s.view, View::Pool);
    press(&mut s, Action::HealthView);
    assert_eq!(s.view, View::Health);
    press(&mut s, Action::HealthView);
    assert_eq!(s.view, View::Containers);
    press(&mut s, Action::DeployedView);
    press(&mut s, Action::ContainersView);
    assert_eq!(s.view, View::Containers);
    press(&mut s, Action::PoolView);
    press(&mut s, Action::Logs);
    assert_eq!(s.view, View::Containers);
    assert!(s.envs[0].logs.open);
}

#[test]
fn a_reading_is_kept_with_its_history_and_an_error_is_shown_until_the_next_one() {
    let mut s = with_pool("psql", 0);
    let p = s.envs[0].pool.as_ref().expect("pool configured");
    assert_eq!((p.used(), p.free()), (Some(13), Some(9)));
    assert_eq!(p.history.len(), 1);
    send(
        &mut s,
        0,
        BackendEvent::Pool(PoolEvent::Failed(
            "FATAL: password authentication failed".into(),
        )),
    );
    let p = s.envs[0].pool.as_ref().expect("pool");
    assert!(p.error.is_some());
    assert_eq!(s.envs[0].pool_alert(NOW), Alert::Warn);
    send(
        &mut s,
        0,
        BackendEvent::Pool(PoolEvent::Sample(Box::new(pool_sample("psql", 0)))),
    );
    let p = s.envs[0].pool.as_ref().expect("pool");
    assert!(p.error.is_none());
    assert_eq!(p.history.len(), 2);
}

#[test]
fn the_tab_rolls_up_a_low_pool_and_a_down_endpoint() {
    // 13 + 7 = 20 of 22: two free.
    let mut s = with_pool("gridflock", 7);
    // The fixture's containers include unhealthy ones; judge the pool alone first.
    assert_eq!(s.envs[0].pool_alert(NOW), Alert::Warn);
    let s2 = with_pool("gridflock", 9);
    assert_eq!(s2.envs[0].pool_alert(NOW), Alert::Bad, "no slot free");
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Endpoints(endpoints())),
    );
    assert_eq!(s.envs[0].health.down(), 1);
    assert_eq!(s.envs[0].health.alert(NOW), Alert::Bad);
    // Ten minutes later without a new answer the readings are stale and say nothing.
    assert_eq!(s.envs[0].health.alert(NOW + 600), Alert::Ok);
}

#[test]
fn the_pool_view_shows_budget_overruns_and_the_banner() {
    // order-service's 3 plus 7 leaked under its name: 20 of 22 used, 2 free.
    let mut s = with_pool("order-service", 7);
    press(&mut s, Action::PoolView);
    let t = render(&s, 140, 45);
    let screen = text(&t);
    assert!(
        screen.contains("in use 20 of 22 usable · 2 free"),
        "{screen}"
    );
    assert!(screen.contains("2 connection slots free"), "{screen}");
    assert!(screen.contains("10/3 OVER by 7"), "{screen}");
    assert!(
        screen.contains("longest idle in transaction  1m (pid"),
        "{screen}"
    );
    assert!(screen.contains("pilothouse (this console)"), "{screen}");
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fg_at(t.backend().buffer(), "10/3 OVER"),
        theme.colors.error.0
    );
    assert_eq!(fg_at(t.backend().buffer(), " 3/3"), theme.colors.ok.0);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn superusers_in_the_reserved_slots_are_named_never_a_negative_free_count() {
    // 13 sessions of services and the console, plus 12 more: 25 in use of 22 usable.
    let mut s = with_pool("postgres", 12);
    press(&mut s, Action::PoolView);
    let screen = text(&render(&s, 140, 45));
    assert!(
        screen.contains("in use 25 of 22 usable · 0 free, 3 in superuser-reserved slots"),
        "{screen}"
    );
    assert!(!screen.contains("-3 free"), "{screen}");
    assert!(screen.contains("db 25/22 (0 free)"), "{screen}");
}

#[test]
fn a_lost_connection_makes_the_pool_stale_never_fresh() {
    let mut s = with_pool("psql", 0);
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "ssh: connection closed".into(),
            retry_in: std::time::Duration::from_secs(2),
        },
    );
    press(&mut s, Action::PoolView);
    let screen = text(&render(&s, 140, 40));
    assert!(screen.contains("STALE: last reading"), "{screen}");
    assert!(!screen.contains("db 13/22"), "{screen}");
}

#[test]
fn the_health_view_shows_down_endpoints_builds_and_certificates() {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Endpoints(endpoints())),
    );
    use pilothouse_core::model::health::{Disk, DockerDisk, DockerDiskRow, HostReport};
    let disk = |path: &str, used_pct: u64| Disk {
        path: path.into(),
        filesystem: format!("/dev/{path}"),
        mount: path.into(),
        size_kb: 100 << 20,
        used_kb: used_pct << 20,
        avail_kb: (100 - used_pct) << 20,
    };
    let host = HostReport {
        at: NOW,
        disks: vec![disk("/", 60), disk("/var/lib/docker", 96)],
        mem_total_kb: 4 << 20,
        mem_available_kb: 1 << 20,
        load: [152, 98, 40],
        cpus: 2,
        docker: Some(DockerDisk {
            rows: vec![DockerDiskRow {
                kind: "Images".into(),
                total: "12".into(),
                active: "7".into(),
                size: "4.1GB".into(),
                reclaimable: "1.9GB (46%)".into(),
            }],
        }),
        error: None,
    };
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Host(Box::new(host))),
    );
    press(&mut s, Action::HealthView);
    let t = render(&s, 160, 30);
    let screen = text(&t);
    assert!(screen.contains("1 endpoint DOWN"), "{screen}");
    assert!(screen.contains("~ 10d Example CA"), "{screen}");
    assert!(screen.contains("5d6e7f8"), "{screen}");
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fg_at(t.backend().buffer(), "✗ DOWN"), theme.colors.error.0);
    assert_eq!(fg_at(t.backend().buffer(), "● up"), theme.colors.ok.0);
    assert_eq!(fg_at(t.backend().buffer(), "~ 10d"), theme.colors.warning.0);
    // The docker root at 96 % is critical, on the view and in the header.
    assert!(
        screen.contains("96% used") && screen.contains("CRITICAL"),
        "{screen}"
    );
    assert_eq!(
        fg_at(t.backend().buffer(), " 96% used"),
        theme.colors.error.0
    );
    assert!(screen.contains("disk /var/lib/docker 96%"), "{screen}");
    assert!(
        screen.contains("logs without rotation") && screen.contains("slicer"),
        "{screen}"
    );
    assert!(
        screen.contains("Images 12 (7 active) 4.1GB, reclaimable 1.9GB (46%)"),
        "{screen}"
    );
    insta::assert_snapshot!(t.backend());
}

/// The health view's state with an endpoint down, / at 86 % and the docker root at
/// 96 % (on a disk of its own, or on /'s when `shared`).
fn with_a_full_disk(shared: bool) -> State {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Endpoints(endpoints())),
    );
    use pilothouse_core::model::health::{Disk, HostReport};
    let disk = |path: &str, used_pct: u64| Disk {
        path: path.into(),
        // A bind mount of /'s disk when `shared`.
        filesystem: if shared {
            "/dev/vda".into()
        } else {
            path.into()
        },
        mount: path.into(),
        size_kb: 100 << 20,
        used_kb: used_pct << 20,
        avail_kb: (100 - used_pct) << 20,
    };
    let root = if shared { 86 } else { 96 };
    let host = HostReport {
        at: NOW,
        disks: vec![disk("/", 86), disk("/var/lib/docker", root)],
        mem_total_kb: 4 << 20,
        mem_available_kb: 1 << 20,
        load: [152, 98, 40],
        cpus: 2,
        docker: None,
        error: None,
    };
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Host(Box::new(host))),
    );
    s
}

#[test]
fn a_narrow_header_keeps_its_alerts_and_says_how_many_quiet_items_it_left_out() {
    let s = with_a_full_disk(false);
    let wide = text(&render(&s, 200, 30));
    let header = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("connected"))
            .unwrap_or_else(|| panic!("no header: {screen}"))
            .to_string()
    };
    // Wide enough: every item, in its usual order.
    let all = header(&wide);
    assert!(
        all.contains("3/5 running · 1 unhealthy · 1 restarting · 1 endpoint DOWN")
            && all.contains("disk / 86% · disk /var/lib/docker 96% · Docker 20.10")
            && !all.contains("more"),
        "{all}"
    );
    // At 120 columns the alerts stay; what says nothing is wrong leaves first and the
    // line says how many items left.
    let narrow = header(&text(&render(&s, 120, 30)));
    assert!(
        narrow.contains("connected")
            && narrow.contains("1 unhealthy")
            && narrow.contains("1 endpoint DOWN")
            && narrow.contains("disk /var/lib/docker 96%")
            && !narrow.contains("Docker 20.10")
            && narrow.trim_end().ends_with(" more"),
        "{narrow}"
    );
    let shown = narrow.split(" · ").count();
    let left: usize = narrow
        .rsplit(" · ")
        .next()
        .and_then(|m| {
            m.trim()
                .trim_start_matches('+')
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{narrow}"));
    assert_eq!(
        shown - 1 + left,
        all.split(" · ").count(),
        "every item is shown or counted: {all} / {narrow}"
    );
}

#[test]
fn a_docker_root_on_the_root_filesystem_is_one_disk_item_in_the_header() {
    let screen = text(&render(&with_a_full_disk(true), 200, 30));
    let header = screen.lines().find(|l| l.contains("connected")).unwrap();
    assert!(
        header.contains("disk / 86%") && !header.contains("/var/lib/docker"),
        "{header}"
    );
}

#[test]
fn the_deployed_view_puts_environments_side_by_side() {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Endpoints(endpoints())),
    );
    send(&mut s, 1, BackendEvent::Connecting { attempt: 1 });
    send(
        &mut s,
        1,
        BackendEvent::Connected {
            docker_version: "20.10.24".into(),
        },
    );
    let mut web = container(
        "web",
        pilothouse_core::model::container::RunState::Running,
        pilothouse_core::model::container::Health::Healthy,
    );
    web.image = "registry.example.com/acme/web:v1".into();
    send(&mut s, 1, BackendEvent::Snapshot(vec![web]));
    press(&mut s, Action::DeployedView);
    let t = render(&s, 140, 14);
    let screen = text(&t);
    let web_row = screen
        .lines()
        .find(|l| l.starts_with("│web "))
        .unwrap_or_default();
    assert!(web_row.contains("v2") && web_row.contains("v1"), "{screen}");
    assert!(web_row.contains("#102 5d6e7f8 2026-11-15"), "{screen}");
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fg_at(t.backend().buffer(), "v1 "),
        theme.colors.warning.0,
        "a differing tag stands out"
    );
}

#[test]
fn monitoring_views_do_not_panic_at_any_size() {
    let mut s = with_pool("order-service", 7);
    send(
        &mut s,
        0,
        BackendEvent::Health(HealthEvent::Endpoints(endpoints())),
    );
    for view in [Action::PoolView, Action::HealthView, Action::DeployedView] {
        press(&mut s, view);
        for (w, h) in [(80, 24), (40, 10), (20, 5), (1, 1), (250, 80)] {
            render(&s, w, h);
        }
        press(&mut s, Action::ContainersView);
    }
}

#[test]
fn the_pool_gauge_s_figure_stands_beside_the_bar_not_across_it() {
    let mut s = with_pool("psql", 0);
    press(&mut s, Action::PoolView);
    for width in [80u16, 100, 200] {
        let screen = text(&render(&s, width, 40));
        let row = screen
            .lines()
            .find(|l| {
                let t = l.trim_end().trim_end_matches('│').trim_end();
                t.ends_with("/22") && !t.contains("in use")
            })
            .unwrap_or_else(|| panic!("{width}: no gauge figure at the bar's end:\n{screen}"));
        // Only the bar's cells before the figure.
        let before = row.trim_start_matches('│');
        let figure_at = before.rfind(' ').unwrap_or(0);
        assert!(
            before[..figure_at]
                .chars()
                .all(|c| matches!(c, '█' | '░' | ' ')),
            "{width}: {row}"
        );
    }
}

#[test]
fn a_failing_check_is_red_in_the_health_view_and_named_in_the_header() {
    use pilothouse_core::model::health::{CheckResult, HealthEvent as H};
    let mut s = staging_live();
    let result = |name: &str, ok: bool, detail: &str| {
        BackendEvent::Health(H::Check(Box::new(CheckResult {
            name: name.into(),
            ok,
            detail: detail.into(),
            duration_ms: 12,
            at: s_now(),
        })))
    };
    send(
        &mut s,
        0,
        result("nightly backup", false, "newest file 2d old (limit 26h)"),
    );
    send(&mut s, 0, result("certbot timer", true, "active"));
    press(&mut s, Action::HealthView);
    let t = render(&s, 160, 40);
    let screen = text(&t);
    assert!(screen.contains("1 check FAILING"), "{screen}");
    assert!(
        screen.contains("newest file 2d old (limit 26h)"),
        "{screen}"
    );
    let theme = Theme::default_theme().unwrap();
    assert_eq!(fg_at(t.backend().buffer(), "✗ FAIL"), theme.colors.error.0);
    assert_eq!(fg_at(t.backend().buffer(), "✓ pass"), theme.colors.ok.0);
    assert_eq!(s.envs[0].alert(s.now), Alert::Bad);
}

/// The fixtures' clock.
fn s_now() -> i64 {
    staging_live().now
}

#[test]
fn the_timeline_notes_when_the_pool_runs_low_and_out_and_when_it_is_back() {
    let mut s = staging_live();
    let sample =
        |extra| BackendEvent::Pool(PoolEvent::Sample(Box::new(pool_sample("psql", extra))));
    for extra in [0, 9, 9, 0] {
        send(&mut s, 0, sample(extra));
    }
    let seen: Vec<&str> = s.envs[0]
        .timeline
        .entries
        .iter()
        .filter(|e| e.subject == "the database")
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(
        seen,
        [
            "3 or fewer free connections",
            "no free connections",
            "over: 3 or fewer free connections",
            "over: no free connections"
        ]
    );
    // Readings while the connection is down start and end nothing.
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "gone".into(),
            retry_in: std::time::Duration::from_secs(1),
        },
    );
    send(&mut s, 0, sample(9));
    let pool_entries = s.envs[0]
        .timeline
        .entries
        .iter()
        .filter(|e| e.subject == "the database")
        .count();
    assert_eq!(pool_entries, 4);
}

/// Staging's timeline as read: a deploy of gateway (its audit entry and the tag change
/// it wrote), then order-service unhealthy, slicer killed, and a restart after.
fn staging_with_an_incident() -> State {
    use pilothouse_core::model::timeline::{Entry, Kind, Source, TimelineEvent};
    let mut s = staging_live();
    let at = |ago: i64| (NOW - ago) * 1_000_000_000;
    let entries = vec![
        Entry::new(
            at(900),
            Source::Audit,
            Kind::Action,
            "gateway",
            "deploy by ops@laptop: succeeded".into(),
        )
        .with("action", "deploy")
        .with("operator", "ops@laptop")
        .with("result", "succeeded"),
        Entry::new(
            at(890),
            Source::EnvFile,
            Kind::TagChange,
            "gateway",
            "tag v1 → v2".into(),
        ),
        Entry::new(
            at(600),
            Source::Engine,
            Kind::Health,
            "order-service",
            "unhealthy".into(),
        ),
        Entry::new(
            at(300),
            Source::Engine,
            Kind::Die,
            "slicer",
            "exited with code 137".into(),
        ),
        Entry::new(
            at(100),
            Source::Audit,
            Kind::Action,
            "web",
            "restart by ops@laptop: succeeded".into(),
        )
        .with("action", "restart"),
    ];
    send(
        &mut s,
        0,
        BackendEvent::Timeline(TimelineEvent::Read {
            entries,
            clock_offset: 0,
            missing: vec![],
        }),
    );
    s
}

#[test]
fn the_incident_is_its_first_alert_and_the_change_someone_made_before_it() {
    let mut s = staging_with_an_incident();
    let incident = s.envs[0].timeline.incident.clone().expect("an incident");
    // The engine dated the alerts: the first is order-service's, ten minutes ago, not
    // when this console first saw the rows.
    assert_eq!(incident.since, (NOW - 600) * 1_000_000_000);
    assert_eq!(incident.first, "order-service unhealthy");
    let change = incident.change.expect("a change before it");
    assert_eq!(
        change.time,
        (NOW - 900) * 1_000_000_000,
        "the deploy, not its tag write"
    );
    assert_eq!(
        s.envs[0].timeline.describe_change(&change),
        "deploy gateway v1 → v2 by ops@laptop"
    );
    let clock = |ago: i64| {
        let t = (NOW - ago).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60)
    };
    let screen = screen_text(&render(&s, 160, 30));
    let line = format!(
        "since {} +00:00 order-service unhealthy · {} +00:00 deploy gateway v1 → v2 by ops@laptop",
        clock(600),
        clock(900)
    );
    assert!(screen.contains(&line), "{line}\n{screen}");
    // The timeline marks the deploy's row, and only it.
    press(&mut s, Action::TimelineView);
    let screen = screen_text(&render(&s, 160, 30));
    let marked: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("◀ the last change before the first alert"))
        .collect();
    assert_eq!(marked.len(), 1, "{screen}");
    assert!(marked[0].contains("◆ deploy by ops@laptop"), "{screen}");
    // All well again: no incident, no line.
    send(
        &mut s,
        0,
        BackendEvent::Snapshot(vec![
            container("web", RunState::Running, Health::Healthy),
            container("gateway", RunState::Running, Health::Healthy),
            container("order-service", RunState::Running, Health::Healthy),
            container("slicer", RunState::Running, Health::None),
            container("redis", RunState::Running, Health::None),
        ]),
    );
    assert_eq!(s.envs[0].timeline.incident, None);
    let screen = screen_text(&render(&s, 160, 30));
    assert!(!screen.contains("since "), "{screen}");
}

#[test]
fn a_stale_reading_shows_no_incident_line() {
    let mut s = staging_with_an_incident();
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "gone".into(),
            retry_in: std::time::Duration::from_secs(1),
        },
    );
    let screen = screen_text(&render(&s, 160, 30));
    assert!(!screen.contains("order-service unhealthy"), "{screen}");
}

#[test]
fn a_burst_of_error_lines_well_above_the_service_s_own_rate_is_noted_as_it_starts_and_ends() {
    use pilothouse_core::model::timeline::Kind;
    let mut s = staging_live();
    let at = |s: &mut State, now: i64, event: BackendEvent| {
        update(s, Msg::Backend { env: 0, event, now });
    };
    let ns = 1_000_000_000;
    let lines = |errors: Vec<(i64, u32)>, oldest: i64| BackendEvent::ErrorLines {
        service: "gateway".into(),
        errors,
        oldest: oldest * ns,
    };
    let bursts = |s: &State| -> Vec<String> {
        s.envs[0]
            .timeline
            .entries
            .iter()
            .filter(|e| e.kind == Kind::ErrorBurst)
            .map(|e| e.summary.clone())
            .collect()
    };
    // Its last fifteen minutes, read when it was first seen: an error a minute.
    let history = (1..=10).map(|m| (NOW - 720 + m * 60, 1)).collect();
    at(&mut s, NOW, lines(history, NOW - 900));
    assert!(bursts(&s).is_empty(), "{:?}", bursts(&s));
    // Nine more in a minute: not a burst.
    at(&mut s, NOW + 1, lines(vec![(NOW, 9)], NOW));
    assert!(bursts(&s).is_empty(), "{:?}", bursts(&s));
    // Forty in the next seconds: one, with its usual rate.
    at(&mut s, NOW + 5, lines(vec![(NOW + 2, 31)], NOW + 2));
    let started = "gateway: 40 error lines in the last minute (usually 0.7/min)";
    assert_eq!(bursts(&s), [started]);
    let _ = update(&mut s, Msg::Action(Action::TimelineView));
    let screen = text(&render(&s, 160, 30));
    assert!(
        screen
            .lines()
            .any(|l| l.contains(" console ") && l.contains(started)),
        "{screen}"
    );
    // More of it while it lasts is no new entry; a minute and a half later it is over.
    at(&mut s, NOW + 30, lines(vec![(NOW + 30, 20)], NOW + 30));
    at(&mut s, NOW + 150, BackendEvent::Stats(Vec::new()));
    assert_eq!(
        bursts(&s),
        [started.to_string(), format!("over: {started}")]
    );
}
