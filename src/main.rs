use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::eyre;

use pilothouse::app::cli::{Cli, Command};
use pilothouse::input::keymap::Keymap;
use pilothouse::state::State;
use pilothouse::ui::theme::Theme;
use pilothouse_core::config::{self, ConfigError, Loaded};

/// Exit code for a bad or missing config, keymap or theme.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // These need no config.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "pilothouse", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            return match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("pilothouse: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Init { force }) => return init(cli.config.as_deref(), *force),
        _ => {}
    }
    let loaded = match config::load(cli.config.as_deref()) {
        Ok(l) => l,
        // No config anywhere: watch the local engine, if there is one. check-config
        // still says there is no config.
        Err(e @ ConfigError::NotFound { .. }) => match (&cli.command, config::local_fallback()) {
            (Some(Command::CheckConfig), _) | (_, None) => return config_error(&e),
            (_, Some(local)) => local,
        },
        Err(e) => return config_error(&e),
    };
    // Old spellings still work; each says where and what to write instead, on stderr
    // (it stays above the console's screen, which leaves the terminal as it found it).
    for notice in &loaded.config.notices {
        eprintln!("pilothouse: {}", pilothouse_core::text::escaped(notice));
    }
    match cli.command {
        Some(Command::CheckConfig) => {
            print!("{}", summary(&loaded));
            ExitCode::SUCCESS
        }
        Some(Command::Status { ref env, json }) => status(&loaded, env.as_deref(), json),
        Some(Command::Audit { ref env, json }) => audit(&loaded, env.as_deref(), json),
        Some(Command::Init { .. } | Command::Completions { .. } | Command::Man) => {
            ExitCode::SUCCESS
        }
        Some(Command::Logs {
            ref env,
            ref services,
            tail,
            since,
            follow,
            ref grep,
            json,
            no_mask,
        }) => {
            let args = pilothouse::app::logs_command::LogsArgs {
                environment: String::new(),
                no_mask,
                services: services.clone(),
                tail,
                since,
                follow,
                grep: grep.clone(),
                json,
                colour: std::io::IsTerminal::is_terminal(&std::io::stdout())
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                keep_colours: false,
            };
            logs(&loaded, env.as_deref(), args)
        }
        Some(Command::Timeline {
            ref env,
            since,
            until,
            ref services,
            json,
        }) => {
            let Some((name, chosen)) = chosen_env(&loaded, env.as_deref()) else {
                return unknown_env(&loaded, env.as_deref().unwrap_or_default());
            };
            let args = pilothouse::app::timeline_command::TimelineArgs {
                environment: name.to_string(),
                since: pilothouse_core::model::timeline::Bound::Ago(since),
                until,
                services: services.clone(),
                json,
            };
            let runtime = match one_shot_runtime() {
                Ok(r) => r,
                Err(code) => return code,
            };
            let code = runtime.block_on(pilothouse::app::timeline_command::run(chosen, args));
            pilothouse_backend::sweep_connections();
            ExitCode::from(code)
        }
        None => open_console(&cli, &loaded),
    }
}

/// What earlier consoles kept of each environment's timeline.
fn restore_timelines(state: &mut State) {
    use pilothouse::app::timeline_store;
    let now_ns = pilothouse_core::time::unix_now().saturating_mul(1_000_000_000);
    let dir = config::state_dir();
    for e in &mut state.envs {
        let path = timeline_store::path(&dir, &e.name, &e.target, &e.project_name);
        match timeline_store::load(&path, now_ns) {
            Ok(kept) => {
                e.timeline.restore(kept.entries, now_ns);
                if kept.skipped > 0 {
                    e.timeline.store_error =
                        Some(format!("{} unreadable lines skipped", kept.skipped));
                }
            }
            Err(why) => e.timeline.store_error = Some(why),
        }
    }
}

/// The environment named, or the config's first.
fn chosen_env<'a>(
    loaded: &'a Loaded,
    only: Option<&str>,
) -> Option<(&'a str, &'a config::Environment)> {
    let envs = &loaded.config.environments;
    match only {
        Some(name) => envs.iter().find(|(k, _)| k.as_str() == name),
        None => envs.iter().next(),
    }
    .map(|(k, e)| (k.as_str(), e))
}

fn status(loaded: &Loaded, only: Option<&str>, json: bool) -> ExitCode {
    if let Some(name) = only
        && !loaded
            .config
            .environments
            .keys()
            .any(|k| k.as_str() == name)
    {
        return unknown_env(loaded, name);
    }
    let runtime = match one_shot_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reports = runtime.block_on(pilothouse::app::status::look_all(&loaded.config, only));
    pilothouse_backend::sweep_connections();
    if json {
        let masked = serde_json::to_value(&reports).and_then(|mut v| {
            pilothouse_core::mask::json(&mut v);
            serde_json::to_string_pretty(&v)
        });
        match masked {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("pilothouse: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        let mut text = String::new();
        if reports.len() > 1 {
            text.push_str(&pilothouse::app::status::render_summary(&reports));
        }
        text.push_str(&pilothouse::app::status::render_text(&reports));
        print!("{}", pilothouse_core::mask::text(&text));
    }
    ExitCode::from(pilothouse::app::status::exit_code(&reports))
}

fn logs(
    loaded: &Loaded,
    only: Option<&str>,
    args: pilothouse::app::logs_command::LogsArgs,
) -> ExitCode {
    let Some((name, env)) = chosen_env(loaded, only) else {
        return unknown_env(loaded, only.unwrap_or_default());
    };
    let runtime = match one_shot_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let tail = loaded.config.logs.tail;
    let args = pilothouse::app::logs_command::LogsArgs {
        environment: name.to_string(),
        ..args
    };
    let code = runtime.block_on(pilothouse::app::logs_command::run(env, tail, args));
    pilothouse_backend::sweep_connections();
    ExitCode::from(code)
}

fn audit(loaded: &Loaded, only: Option<&str>, json: bool) -> ExitCode {
    let Some((name, env)) = chosen_env(loaded, only) else {
        return unknown_env(loaded, only.unwrap_or_default());
    };
    let runtime = match one_shot_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(pilothouse::app::audit_command::run(env, json)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pilothouse: {name}: {e}");
            ExitCode::from(pilothouse::app::audit_command::EXIT_UNREACHABLE)
        }
    }
}

/// Writes the annotated example config as a starter, never over an existing file
/// unless forced.
fn init(path: Option<&std::path::Path>, force: bool) -> ExitCode {
    let path = path.map_or_else(
        || config::config_dir().join("config.toml"),
        |p| p.to_path_buf(),
    );
    if path.exists() && !force {
        eprintln!(
            "pilothouse: {} exists; left alone (--force replaces it)",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    let written = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, config::STARTER));
    match written {
        Ok(()) => {
            println!(
                "wrote {}
next: set each environment's ssh destination and compose project, then run
  pilothouse --config {} check-config",
                path.display(),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pilothouse: cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// What `check-config` says an environment watches: its compose project, or its swarm
/// stacks.
fn watched_line(
    env: &pilothouse_core::config::Environment,
    state: &pilothouse::state::EnvState,
) -> String {
    if let Some(swarm) = env.swarm() {
        let stacks: Vec<&str> = swarm.stacks.iter().map(|s| s.as_str()).collect();
        return format!(
            "    swarm     {} (stack file {}; lock and audit in {})\n",
            if stacks.is_empty() {
                "every stack".to_string()
            } else {
                format!("stacks {}", stacks.join(", "))
            },
            swarm
                .stack_file
                .as_ref()
                .map_or_else(|| "not set".to_string(), |f| f.to_string()),
            env.host_dir()
        );
    }
    let files: Vec<&str> = env
        .compose()
        .map(|c| c.files.iter().map(|f| f.as_str()).collect())
        .unwrap_or_default();
    format!(
        "    project   {} in {} ({} -f {})\n",
        state.project_name,
        state.project_dir,
        state.compose_command,
        files.join(" -f "),
    )
}

/// The runtime of a one-shot subcommand (status, logs): one thread is plenty.
fn one_shot_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("pilothouse: cannot start the runtime: {e}");
            ExitCode::FAILURE
        })
}

fn unknown_env(loaded: &Loaded, name: &str) -> ExitCode {
    let known: Vec<&str> = loaded
        .config
        .environments
        .keys()
        .map(|k| k.as_str())
        .collect();
    eprintln!(
        "pilothouse: no environment {name:?} in {}; it has: {}",
        loaded.path.display(),
        known.join(", ")
    );
    ExitCode::from(EXIT_CONFIG)
}

fn config_error(e: &ConfigError) -> ExitCode {
    eprintln!("pilothouse: {e}");
    ExitCode::from(EXIT_CONFIG)
}

fn summary(loaded: &Loaded) -> String {
    let envs = &loaded.config.environments;
    let mut out = format!(
        "{}: ok, {} environment{}\n",
        loaded.path.display(),
        envs.len(),
        if envs.len() == 1 { "" } else { "s" }
    );
    for (name, env) in envs {
        let state = pilothouse::state::EnvState::from_config(name.as_str(), env, 100);
        let mut flags = Vec::new();
        if env.protected {
            flags.push("protected");
        }
        if env.read_only {
            flags.push("read-only");
        }
        out.push_str(&format!(
            "  {name}{}\n    {:<9} {}{}\n    docker    {}\n{}",
            if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            },
            if env.ssh.is_some() { "ssh" } else { "engine" },
            state.target,
            env.ssh
                .as_ref()
                .map(|s| format!(
                    " (host keys: {}, timeout {})",
                    s.host_key_policy, s.connect_timeout
                ))
                .unwrap_or_default(),
            env.docker_socket,
            watched_line(env, &state),
        ));
        let h = &env.health;
        if !h.endpoints.is_empty() {
            out.push_str(&format!(
                "    health    {} endpoint{} every {} (host every {})\n",
                h.endpoints.len(),
                if h.endpoints.len() == 1 { "" } else { "s" },
                h.interval,
                h.host_interval
            ));
        }
        if let Some(db) = &env.database {
            out.push_str(&format!(
                "    database  URL from {}, {}, sslmode {}, every {}, {} pool{} budgeted\n",
                db.url,
                if db.tunnel {
                    "through the SSH connection"
                } else {
                    "direct"
                },
                db.sslmode,
                db.interval,
                db.pools.len(),
                if db.pools.len() == 1 { "" } else { "s" }
            ));
        }
    }
    out
}

fn open_console(cli: &Cli, loaded: &Loaded) -> ExitCode {
    let dir = pilothouse_core::config::config_dir();
    let (keymap, theme) = match (
        Keymap::load(&cli.keymap, &dir.join("keymaps")),
        Theme::load(&cli.theme, &dir.join("themes")),
    ) {
        (Ok(k), Ok(t)) => (k, t),
        (Err(e), _) | (_, Err(e)) => return config_error(&e),
    };
    let theme = theme.with_env_accents(&loaded.config);
    let theme = if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        theme.without_colour()
    } else if std::env::var("COLORTERM").is_ok_and(|v| v == "truecolor" || v == "24bit") {
        theme
    } else {
        theme.in_16_colours()
    };
    let mut state = State::from_config(&loaded.config, cli.read_only);
    state.owner = pilothouse_core::model::job::Owner::of_this_console();
    state.zone = jiff::tz::TimeZone::system();
    restore_timelines(&mut state);
    for e in &mut state.envs {
        e.operator.clone_from(&state.owner.operator);
    }
    if let Some(name) = &cli.env
        && !state.select_env(name)
    {
        return unknown_env(loaded, name);
    }
    match run_tui(state, &loaded.config, &theme, &keymap, !cli.no_mouse) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pilothouse: {e:?}");
            ExitCode::FAILURE
        }
    }
}

fn run_tui(
    state: State,
    config: &pilothouse_core::config::Config,
    theme: &Theme,
    keymap: &Keymap,
    mouse: bool,
) -> color_eyre::Result<()> {
    color_eyre::install()?;
    // The console's own diagnostics go to tui-logger and the state dir's log file,
    // never over the screen.
    // PILOTHOUSE_LOG=debug (or warn, error, trace) changes how much is kept.
    let level = std::env::var("PILOTHOUSE_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(log::LevelFilter::Info);
    pilothouse::app::diagnostics::init(level, &pilothouse_core::config::state_dir())
        .map_err(|e| eyre!("logger: {e}"))?;
    for notice in &config.notices {
        log::warn!("{notice}");
    }
    // One thread: every actor only waits on I/O, and a second worker would only add
    // cross-thread wake-ups (measured: most of the idle CPU).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // ratatui::init installs a panic hook that restores the terminal before the
    // color-eyre report is printed.
    let mut terminal = ratatui::init();
    // A paste arrives as one event (into a text field), not as thousands of keys.
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
    if mouse {
        // The mouse is given back before anything else on a panic, then ratatui's hook
        // restores the screen.
        let restore_screen = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::event::DisableMouseCapture,
                crossterm::event::DisableBracketedPaste
            );
            restore_screen(info);
        }));
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    let result = runtime.block_on(pilothouse::app::run(
        &mut terminal,
        state,
        config,
        theme,
        keymap,
        mouse,
    ));
    // Whatever did not close in time, its ssh processes go now, before anything that
    // touches a terminal that may be gone.
    pilothouse_backend::sweep_connections();
    log::info!("the console stops: its ssh processes are stopped");
    // A terminal that hung up has nothing to restore, and ratatui would print its
    // failure to show the cursor or restore the screen on a stderr that is gone.
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        std::mem::forget(terminal);
        return result;
    }
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    ratatui::restore();
    result
}
