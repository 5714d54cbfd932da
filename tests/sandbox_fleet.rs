//! A fleet on the sandbox host: twelve environments from a `config.d` (one file per
//! host, the shared SSH settings in `[defaults]`), ten of them reachable, one whose port
//! accepts and never answers, one whose port refuses; the real binary in tmux.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

/// The table rows of the fleet view, in order: (environment, the whole row).
fn fleet_rows(screen: &str) -> Vec<(String, String)> {
    screen
        .lines()
        .skip_while(|l| !l.contains("ENVIRONMENT"))
        .skip(1)
        .filter_map(|l| {
            let name = l.trim_start_matches('│').split_whitespace().next()?;
            name.starts_with('f')
                .then(|| (name.to_string(), l.to_string()))
        })
        .collect()
}

fn row(screen: &str, env: &str) -> String {
    fleet_rows(screen)
        .into_iter()
        .find(|(n, _)| n == env)
        .map(|(_, r)| r)
        .unwrap_or_default()
}

/// The main config (defaults only) and one file per environment in its `config.d`.
fn write_fleet(
    sb: &Sandbox,
    dir: &std::path::Path,
    project: &str,
    ports: (u16, u16),
) -> std::path::PathBuf {
    let main = dir.join("fleet.toml");
    std::fs::write(
        &main,
        format!(
            "[defaults]\nerror_bursts = false\n[defaults.ssh]\nuser = \"root\"\nport = 2222\n\
             identity_file = \"{key}\"\nknown_hosts_file = \"{known}\"\n\
             [defaults.compose]\nproject_dir = \"{dir}\"\n",
            key = sb.state.join("ssh/id_ed25519").display(),
            known = sb.state.join("ssh/known_hosts").display(),
            dir = dir.display(),
        ),
    )
    .unwrap();
    let d = dir.join("config.d");
    std::fs::create_dir(&d).unwrap();
    for i in 1..=12 {
        let name = format!("f{i:02}");
        let group = if i <= 3 { "group = \"client-a\"\n" } else { "" };
        let watched = if i == 7 {
            project.to_string()
        } else {
            format!("{project}-empty")
        };
        let reach = match i {
            // Accepts, never speaks SSH: connecting until its connect timeout.
            11 => format!("port = {}\nconnect_timeout = \"10s\"\n", ports.0),
            12 => format!("port = {}\n", ports.1),
            _ => String::new(),
        };
        std::fs::write(
            d.join(format!("{name}.toml")),
            format!(
                "[environments.{name}]\n{group}[environments.{name}.ssh]\ndestination = \"127.0.0.1\"\n{reach}\
                 [environments.{name}.compose]\nproject_name = \"{watched}\"\n"
            ),
        )
        .unwrap();
    }
    main
}

#[test]
fn a_fleet_of_twelve_opens_worst_first_an_unhealthy_service_rises_to_the_top_and_status_exits_with_the_worst()
 {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = format!("acme-fleet-{}", std::process::id());
    let port = 18986;
    let web = checked_container(&project, "web", port);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let config = write_fleet(&sb, dir.path(), &project, (silent_port, closed_port()));
    let started = Instant::now();
    let t = Tmux::start_sized(
        "fleet",
        &format!(
            "env XDG_STATE_HOME={} {}",
            dir.path().display(),
            console_with(&config, dir.path())
        ),
        160,
    );
    // The first screen: the fleet; the ten that answer are up while the silent one is
    // still within its connect timeout (10 s): it delays none of them.
    let screen = t.wait_until(Duration::from_secs(30), "ten environments up", |s| {
        s.contains("12 environments")
            && fleet_rows(s)
                .iter()
                .filter(|(_, r)| r.contains(" up "))
                .count()
                == 10
    });
    assert!(
        row(&screen, "f11").contains("connecting"),
        "the ten were up after {:?}, the silent host still connecting:\n{screen}",
        started.elapsed()
    );
    assert!(row(&screen, "f07").contains("1/1"), "{screen}");
    // Both unreachable ones marked, at the top (nothing is known broken yet).
    let screen = t.wait_until(Duration::from_secs(30), "f11 and f12 unreachable", |s| {
        let rows = fleet_rows(s);
        rows.len() == 12
            && rows[..2]
                .iter()
                .all(|(_, r)| r.contains("UNREACHABLE") && r.contains("DOWN"))
    });
    assert!(
        screen.contains("▾ client-a (3)"),
        "the group's roll-up:\n{screen}"
    );

    // One service unhealthy: its environment goes to the top within 5 s.
    ok_stdout(Command::new("docker").args(["exec", &web.0, "touch", "/tmp/control/unhealthy"]));
    let screen = t.wait_until(Duration::from_secs(5), "f07 first, failing", |s| {
        fleet_rows(s)
            .first()
            .is_some_and(|(n, r)| n == "f07" && r.contains("FAILING") && r.contains("1 unhealthy"))
    });
    assert!(screen.contains("1 FAILING · 2 UNREACHABLE"), "{screen}");

    // enter opens it (the cursor is on the first row), esc comes back.
    t.keys(&["Enter"]);
    t.wait_until(Duration::from_secs(5), "f07's own table", |s| {
        s.contains("· connected") && row_of(s, "web").is_some_and(|r| r.contains("unhealthy"))
    });
    t.keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "the fleet again", |s| {
        s.contains("12 environments") && fleet_rows(s).first().is_some_and(|(n, _)| n == "f07")
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0");

    // status: the fleet summary first, worst first, and the worst exit code.
    let (code, out) = status(&config, &[]);
    assert_eq!(code, Some(3), "unreachable is the worst code:\n{out}");
    let first: Vec<&str> = out.lines().take(4).collect();
    assert!(
        first[0].starts_with("fleet: 12 environments · 1 failing · 2 unreachable · 9 ok"),
        "{out}"
    );
    assert!(
        first[1].contains("FAILING") && first[1].contains("f07"),
        "{out}"
    );
    assert!(
        first[2].contains("UNREACHABLE") && first[3].contains("UNREACHABLE"),
        "{out}"
    );
    drop(silent);
    drop(web);
}
