//! update() flows: messages in, State and Effects out. No terminal, no runtime.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::time::Duration;

use crate::common::*;
use pilothouse::input::action::{Action, Effect, Msg};
use pilothouse::state::LinkStatus;
use pilothouse::state::alert::Alert;
use pilothouse::update::update;
use pilothouse_core::model::container::{Health, RunState};
use pilothouse_core::model::event::BackendEvent;

#[test]
fn env_switching_wraps_both_ways() {
    let mut s = example_state();
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("staging"));
    update(&mut s, Msg::Action(Action::NextEnv));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("production"));
    update(&mut s, Msg::Action(Action::NextEnv));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("staging"));
    update(&mut s, Msg::Action(Action::PrevEnv));
    assert_eq!(s.current().map(|e| e.name.as_str()), Some("production"));
}

#[test]
fn quit_sets_quit_and_nothing_else() {
    let mut s = example_state();
    let before = s.clone();
    let effects = update(&mut s, Msg::Action(Action::Quit));
    assert!(s.quit);
    assert!(effects.is_empty());
    s.quit = false;
    assert_eq!(s, before);
}

#[test]
fn snapshot_is_sorted_and_counted() {
    let mut s = staging_live();
    let e = &s.envs[0];
    let services: Vec<&str> = e.containers.iter().map(|c| c.service.as_str()).collect();
    assert_eq!(
        services,
        ["redis", "slicer", "gateway", "order-service", "web"],
        "deployment order"
    );
    // Without a deployment order: by service.
    s.envs[0].deploy_order.clear();
    for _ in 0..6 {
        update(&mut s, Msg::Action(Action::CycleSort));
    }
    let e = &s.envs[0];
    let services: Vec<&str> = e.containers.iter().map(|c| c.service.as_str()).collect();
    assert_eq!(
        services,
        ["gateway", "order-service", "redis", "slicer", "web"]
    );
    let n = e.counts();
    assert_eq!(
        (n.total, n.running, n.unhealthy, n.restarting),
        (5, 3, 1, 1)
    );
    assert!(e.is_live());
    assert_eq!(e.alert(NOW), Alert::Bad);
}

#[test]
fn events_update_insert_and_remove_rows() {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Container(Box::new(container(
            "slicer",
            RunState::Running,
            Health::Starting,
        ))),
    );
    let slicer = s.envs[0].containers.iter().find(|c| c.service == "slicer");
    assert_eq!(slicer.map(|c| c.run_state.clone()), Some(RunState::Running));
    send(
        &mut s,
        0,
        BackendEvent::Container(Box::new(container(
            "dozzle",
            RunState::Created,
            Health::None,
        ))),
    );
    assert_eq!(s.envs[0].containers.len(), 6);
    send(
        &mut s,
        0,
        BackendEvent::Removed {
            id: "id-dozzle".into(),
        },
    );
    assert_eq!(s.envs[0].containers.len(), 5);
    assert!(!s.envs[0].containers.iter().any(|c| c.service == "dozzle"));
}

#[test]
fn selection_follows_the_container_when_rows_move() {
    let mut s = staging_live();
    update(&mut s, Msg::Action(Action::Down)); // slicer
    update(&mut s, Msg::Action(Action::Down)); // gateway
    update(&mut s, Msg::Action(Action::Down)); // order-service
    update(&mut s, Msg::Action(Action::Up)); // gateway
    update(&mut s, Msg::Action(Action::Down)); // order-service
    update(&mut s, Msg::Action(Action::Down)); // web
    update(&mut s, Msg::Action(Action::Up)); // order-service
    update(&mut s, Msg::Action(Action::Up)); // gateway
    update(&mut s, Msg::Action(Action::Up)); // slicer
    update(&mut s, Msg::Action(Action::Up)); // redis
    update(&mut s, Msg::Action(Action::Up)); // stays on redis
    assert_eq!(
        s.envs[0].selected_container().map(|c| c.service.as_str()),
        Some("redis")
    );
    send(
        &mut s,
        0,
        BackendEvent::Container(Box::new(container(
            "alpha",
            RunState::Running,
            Health::None,
        ))),
    );
    assert_eq!(
        s.envs[0].selected_container().map(|c| c.service.as_str()),
        Some("redis")
    );
    send(
        &mut s,
        0,
        BackendEvent::Removed {
            id: "id-redis".into(),
        },
    );
    assert!(s.envs[0].selected_row < s.envs[0].containers.len());
    for _ in 0..20 {
        update(&mut s, Msg::Action(Action::Down));
    }
    assert_eq!(s.envs[0].selected_row, s.envs[0].containers.len() - 1);
}

#[test]
fn a_lost_connection_makes_everything_stale_and_keeps_the_first_loss_time() {
    let mut s = staging_lost();
    let e = &s.envs[0];
    assert!(!e.is_live());
    assert_eq!(e.link.status, LinkStatus::Disconnected);
    assert_eq!(e.link.down_since, Some(NOW));
    assert_eq!(e.link.retry_at, Some(NOW + 4));
    assert_eq!(e.latency, None);
    assert_eq!(e.alert(NOW), Alert::Bad);
    // A failed retry later still reports the first loss.
    update(
        &mut s,
        Msg::Backend {
            env: 0,
            event: BackendEvent::Connecting { attempt: 2 },
            now: NOW + 5,
        },
    );
    update(
        &mut s,
        Msg::Backend {
            env: 0,
            event: BackendEvent::Disconnected {
                error: "connection refused".into(),
                retry_in: Duration::from_secs(8),
            },
            now: NOW + 6,
        },
    );
    let e = &s.envs[0];
    assert_eq!(e.link.down_since, Some(NOW));
    assert_eq!(e.link.last_error.as_deref(), Some("connection refused"));
}

#[test]
fn reconnect_lists_afresh_and_never_keeps_old_rows() {
    let mut s = staging_lost();
    send(
        &mut s,
        0,
        BackendEvent::Connected {
            docker_version: "20.10".into(),
        },
    );
    send(
        &mut s,
        0,
        BackendEvent::Snapshot(vec![container("web", RunState::Running, Health::Healthy)]),
    );
    let e = &s.envs[0];
    assert!(e.is_live());
    assert_eq!(e.link.down_since, None);
    assert_eq!(e.containers.len(), 1);
    assert_eq!(e.alert(NOW), Alert::Ok);
}

#[test]
fn reconnect_key_asks_for_the_selected_environment() {
    let mut s = staging_lost();
    update(&mut s, Msg::Action(Action::NextEnv));
    let effects = update(&mut s, Msg::Action(Action::Reconnect));
    assert_eq!(effects, vec![Effect::Reconnect { env: 1 }]);
}

#[test]
fn events_for_an_unknown_environment_are_ignored() {
    let mut s = staging_live();
    let before = s.clone();
    update(
        &mut s,
        Msg::Backend {
            env: 9,
            event: BackendEvent::Removed { id: "x".into() },
            now: NOW,
        },
    );
    assert_eq!(s.envs, before.envs);
}

#[test]
fn usage_is_kept_only_for_running_containers() {
    use pilothouse_core::model::container::Usage;
    let u = Usage {
        cpu_centipercent: 250,
        mem_used: 1 << 20,
        mem_limit: 1 << 30,
        source: pilothouse_core::model::container::UsageSource::Cgroup,
    };
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Stats(vec![
            ("id-web".into(), u),
            ("id-slicer".into(), u),
            ("id-gone".into(), u),
        ]),
    );
    let e = &s.envs[0];
    assert_eq!(e.usage.get("id-web"), Some(&u));
    assert!(
        !e.usage.contains_key("id-slicer"),
        "exited containers have no CPU"
    );
    assert!(!e.usage.contains_key("id-gone"));
    send(
        &mut s,
        0,
        BackendEvent::Container(Box::new(container(
            "web",
            RunState::Exited { code: 0 },
            Health::None,
        ))),
    );
    assert!(
        !s.envs[0].usage.contains_key("id-web"),
        "a stopped container keeps no CPU"
    );
}

#[test]
fn sort_cycles_and_attention_puts_problems_first() {
    use pilothouse::state::SortKey;
    let mut s = staging_live();
    update(&mut s, Msg::Action(Action::CycleSort));
    let e = &s.envs[0];
    assert_eq!(e.sort, SortKey::Attention);
    let order: Vec<&str> = e.containers.iter().map(|c| c.service.as_str()).collect();
    // Bad first (order-service unhealthy, slicer exited 137), then warn (redis), then ok.
    assert_eq!(
        order,
        ["order-service", "slicer", "redis", "gateway", "web"]
    );
    for _ in 0..5 {
        update(&mut s, Msg::Action(Action::CycleSort));
    }
    assert_eq!(s.envs[0].sort, SortKey::Service, "cycles back");
}

#[test]
fn filter_narrows_rows_and_keeps_the_selection_when_it_can() {
    use pilothouse::input::action::Mode;
    let mut s = staging_live();
    for _ in 0..3 {
        update(&mut s, Msg::Action(Action::Down)); // redis, slicer, gateway, order-service
    }
    update(&mut s, Msg::Input('x'));
    assert_eq!(
        s.envs[0].filter, "",
        "typing without the box open does nothing"
    );
    update(&mut s, Msg::Action(Action::Filter));
    assert_eq!(s.mode(), Mode::Filter);
    for c in "SERV".chars() {
        update(&mut s, Msg::Input(c));
    }
    let e = &s.envs[0];
    let rows: Vec<&str> = e.visible().iter().map(|c| c.service.as_str()).collect();
    assert_eq!(rows, ["order-service"], "case-insensitive match on service");
    assert_eq!(
        e.selected_container().map(|c| c.service.as_str()),
        Some("order-service")
    );
    update(&mut s, Msg::Action(Action::FilterDone));
    assert_eq!(s.mode(), Mode::Normal);
    assert_eq!(s.envs[0].visible().len(), 1, "the filter stays after enter");
    update(&mut s, Msg::Action(Action::Filter));
    update(&mut s, Msg::Action(Action::FilterBackspace));
    assert_eq!(s.envs[0].filter, "SER");
    update(&mut s, Msg::Action(Action::FilterClear));
    assert_eq!(s.envs[0].visible().len(), 5);
    assert_eq!(
        s.envs[0].selected_container().map(|c| c.service.as_str()),
        Some("order-service")
    );
    // Filtering by state works too.
    update(&mut s, Msg::Action(Action::Filter));
    for c in "exited".chars() {
        update(&mut s, Msg::Input(c));
    }
    let rows: Vec<&str> = s.envs[0]
        .visible()
        .iter()
        .map(|c| c.service.as_str())
        .collect();
    assert_eq!(rows, ["slicer"]);
}

#[test]
fn the_default_order_is_the_deployment_order() {
    // The example config orders staging: redis, ..., slicer, gateway, order-service, ..., web.
    let s = staging_live();
    let order: Vec<&str> = s.envs[0]
        .containers
        .iter()
        .map(|c| c.service.as_str())
        .collect();
    assert_eq!(
        order,
        ["redis", "slicer", "gateway", "order-service", "web"]
    );
}

#[test]
fn sorted_by_cpu_new_samples_reorder_the_rows_and_keep_the_selection() {
    use pilothouse::state::SortKey;
    use pilothouse_core::model::container::Usage;
    let u = |cpu| Usage {
        cpu_centipercent: cpu,
        mem_used: 0,
        mem_limit: 0,
        source: pilothouse_core::model::container::UsageSource::Cgroup,
    };
    let mut s = staging_live();
    update(&mut s, Msg::Action(Action::Down)); // slicer
    while s.envs[0].sort != SortKey::Cpu {
        update(&mut s, Msg::Action(Action::CycleSort));
    }
    send(
        &mut s,
        0,
        BackendEvent::Stats(vec![
            ("id-web".into(), u(900)),
            ("id-gateway".into(), u(100)),
        ]),
    );
    assert_eq!(s.envs[0].containers[0].service, "web");
    assert_eq!(
        s.envs[0].selected_container().map(|c| c.service.as_str()),
        Some("slicer")
    );
    send(
        &mut s,
        0,
        BackendEvent::Stats(vec![("id-gateway".into(), u(5000))]),
    );
    assert_eq!(
        s.envs[0].containers[0].service, "gateway",
        "busiest first after a new sample"
    );
    assert_eq!(
        s.envs[0].selected_container().map(|c| c.service.as_str()),
        Some("slicer"),
        "the selection follows its container"
    );
}

#[test]
fn a_new_alert_after_the_first_readings_is_told_once_and_a_flap_is_held() {
    let mut s = staging_live();
    let at = |s: &mut pilothouse::state::State, now: i64, health: Health| {
        update(
            s,
            Msg::Backend {
                env: 0,
                event: BackendEvent::Container(Box::new(container(
                    "web",
                    RunState::Running,
                    health,
                ))),
                now,
            },
        )
    };
    let notices = |effects: Vec<Effect>| -> Vec<pilothouse::state::notify::Notice> {
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Notify(n) => Some(*n),
                _ => None,
            })
            .collect()
    };
    // What was wrong when the console connected (order-service) is not news.
    assert!(notices(at(&mut s, NOW + 5, Health::Healthy)).is_empty());
    let told = notices(at(&mut s, NOW + 30, Health::Unhealthy));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].text, "staging: web unhealthy");
    assert!(told[0].bell && told[0].held.is_none());
    assert!(
        notices(at(&mut s, NOW + 40, Health::Healthy)).is_empty(),
        "an end is not told"
    );
    let again = notices(at(&mut s, NOW + 50, Health::Unhealthy));
    assert_eq!(again.len(), 1);
    assert!(
        again[0].held.is_some(),
        "a flap within 5 minutes is held: {again:?}"
    );
    let later = notices(at(&mut s, NOW + 30 + 300, Health::Healthy));
    assert!(later.is_empty());
    let told = notices(at(&mut s, NOW + 30 + 310, Health::Unhealthy));
    assert!(told[0].held.is_none(), "told again after five minutes");
}

#[test]
fn the_fleet_opens_an_environment_on_enter_esc_comes_back_and_slash_filters() {
    use pilothouse::state::View;
    let mut s = fleet_state(12);
    assert_eq!(s.view, View::Fleet);
    let rows = pilothouse::state::fleet::rows(&s);
    let first = match &rows[0] {
        pilothouse::state::fleet::Row::Env(e) => e.name.clone(),
        other => panic!("{other:?} first"),
    };
    assert_eq!(first, "h03", "the unhealthy one first");
    // enter opens the row under the cursor: its table.
    update(&mut s, Msg::Action(Action::Logs));
    assert_eq!(
        (s.view, s.envs[s.selected].name.as_str()),
        (View::Containers, "h03")
    );
    // esc on its table: back to the fleet, the cursor on it.
    update(&mut s, Msg::Action(Action::ContainersView));
    assert_eq!(s.view, View::Fleet);
    assert_eq!(s.fleet.cursor, 0);
    // O from another view goes to the fleet, and O in the fleet back to it.
    update(&mut s, Msg::Action(Action::Down));
    update(&mut s, Msg::Action(Action::Logs));
    update(&mut s, Msg::Action(Action::HealthView));
    update(&mut s, Msg::Action(Action::FleetView));
    assert_eq!(s.view, View::Fleet);
    assert_eq!(s.fleet.cursor, 1, "on the environment it came from");
    update(&mut s, Msg::Action(Action::FleetView));
    assert_eq!(s.view, View::Containers);
    // / filters by alert words and group names; esc clears it.
    update(&mut s, Msg::Action(Action::FleetView));
    update(&mut s, Msg::Action(Action::Filter));
    for c in "timed out".chars() {
        update(&mut s, Msg::Input(c));
    }
    update(&mut s, Msg::Action(Action::FilterDone));
    let names = |s: &pilothouse::state::State| -> Vec<String> {
        pilothouse::state::fleet::rows(s)
            .iter()
            .map(|r| match r {
                pilothouse::state::fleet::Row::Env(e) => e.name.clone(),
                pilothouse::state::fleet::Row::Group(g) => format!("group {}", g.name),
            })
            .collect()
    };
    assert_eq!(names(&s), ["h11"], "the unreachable one by its reason");
    update(&mut s, Msg::Action(Action::FilterClear));
    update(&mut s, Msg::Action(Action::Filter));
    for c in "client".chars() {
        update(&mut s, Msg::Input(c));
    }
    assert_eq!(names(&s), ["group client-a", "h05", "h00", "h10"]);
    // A character typed into the filter is never a key: q did not quit.
    update(&mut s, Msg::Input('q'));
    assert!(!s.quit);
    update(&mut s, Msg::Action(Action::FilterClear));
    assert_eq!(names(&s).len(), 13, "12 environments and the group's row");
}
