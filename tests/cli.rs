//! The real binary against config files: good ones pass `check-config`, every broken one
//! fails with exit code 2 and a single line naming file, line, column and key.
//!
//! Each file in `tests/invalid_configs/` starts with `# expect: LINE:COL [KEY]`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn pilothouse() -> Command {
    let mut cmd = Command::cargo_bin("pilothouse").unwrap_or_else(|e| panic!("{e}"));
    // The operator's own config must not leak into tests.
    cmd.env_remove("PILOTHOUSE_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_STATE_HOME", "/nonexistent")
        .env("NO_COLOR", "1");
    cmd
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn valid_configs_pass_check_config() {
    let mut files = toml_files("valid_configs");
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml"));
    for file in files {
        let out = pilothouse()
            .arg("check-config")
            .arg("--config")
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} rejected: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(": ok, "), "{stdout}");
        assert!(
            out.stderr.is_empty(),
            "{}: the shipped configs use today's spelling: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_old_engine_spelling_still_works_and_says_what_to_write_instead() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("old.toml");
    let text = "[environments.here]\nprotected = false\nengine = \"local\"\n[environments.here.compose]\nproject_dir = \"/opt/acme\"\n";
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let out = pilothouse()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok, "));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3: environments.here.engine: engine = \"local\" is the old spelling: write reach = \"local\"", path.display())),
        "{stderr}"
    );
}

#[test]
fn invalid_configs_fail_with_exit_2_and_one_located_line() {
    let files = toml_files("invalid_configs");
    assert!(files.len() >= 10, "expected at least 10 broken configs");
    let mut wrong = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} has no `# expect:` line", file.display()));
        let (pos, key) = expect.split_once(' ').unwrap_or((expect, ""));
        let out = pilothouse()
            .arg("check-config")
            .arg("--config")
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
        let mut want = format!("pilothouse: {}:{pos}: ", file.display());
        if !key.is_empty() {
            want.push_str(&format!("key `{key}`: "));
        }
        if !stderr.starts_with(&want) {
            wrong.push(format!("  want: {want}\n   got: {stderr}"));
        }
        assert!(out.stdout.is_empty(), "printed a summary for a bad config");
    }
    assert!(wrong.is_empty(), "wrong locations:\n{}", wrong.join("\n"));
}

#[test]
fn a_hostile_environment_name_is_escaped_in_every_part_of_the_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("hostile.toml");
    // TOML's own escapes: the key that is read holds ESC, BEL and RLO.
    let name = "evil\\u001b]0;pwned\\u0007\\u202ex";
    let text = format!(
        "[environments.\"{name}\".ssh]\ndestination = \"h\"\n\n[environments.\"{name}\".compose]\nproject_dir = \"/opt/a\"\n"
    );
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let out = pilothouse()
        .arg("check-config")
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}') && !stderr.contains('\u{202e}'),
        "a control or bidi character reached stderr raw: {stderr:?}"
    );
    assert!(stderr.contains("key `environments.evil\\u{1b}"), "{stderr}");
}

#[test]
fn a_password_in_a_config_is_never_printed_back() {
    let files: Vec<PathBuf> = toml_files("invalid_configs")
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("secret-"))
        .collect();
    assert!(files.len() >= 4, "the secret-* configs are missing");
    for file in files {
        let out = pilothouse()
            .arg("check-config")
            .arg("--config")
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("PASSWORD"), "{stderr}");
        if stderr.contains("database.url`") {
            assert!(
                stderr.contains("env_file") && stderr.contains("local_env"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn an_endless_or_binary_config_is_one_clear_error() {
    for (path, want) in [
        ("/dev/zero", "longer than 1024 KiB"),
        ("/dev/urandom", "longer than 1024 KiB"),
    ] {
        let start = std::time::Instant::now();
        let out = pilothouse()
            .args(["check-config", "--config", path])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains(want), "{path}: {stderr}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{path} took long"
        );
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("latin1.toml");
    std::fs::write(&file, b"[environments.staging]\n# caf\xe9\n").unwrap_or_else(|e| panic!("{e}"));
    let out = pilothouse()
        .arg("check-config")
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("pilothouse: {}:2:6: not UTF-8", file.display())),
        "{stderr}"
    );
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs/unknown-key-typo.toml");
    pilothouse()
        .args(["check-config", "--config"])
        .arg(file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `protected`?"));
}

#[test]
fn missing_config_file_is_named_with_exit_2() {
    pilothouse()
        .args(["check-config", "--config", "/nonexistent/pilothouse.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "/nonexistent/pilothouse.toml: cannot read config",
        ));
}

#[test]
fn no_config_anywhere_lists_where_it_looked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    pilothouse()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .arg("check-config")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no config file found; looked in:",
        ))
        .stderr(predicates::str::contains("pilothouse/config.toml"))
        .stderr(predicates::str::contains("pilothouse.toml"));
}

#[test]
fn config_lookup_order() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |path: &Path, env: &str| {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new("/")))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            path,
            format!("[environments.{env}.ssh]\ndestination = \"h\"\n[environments.{env}.compose]\nproject_dir = \"/opt/x\"\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    };
    let cwd_file = dir.path().join("pilothouse.toml");
    let xdg_file = dir.path().join("xdg/pilothouse/config.toml");
    let env_file = dir.path().join("from-env.toml");
    let flag_file = dir.path().join("from-flag.toml");
    write(&cwd_file, "fromcwd");
    write(&xdg_file, "fromxdg");
    write(&env_file, "fromenv");
    write(&flag_file, "fromflag");
    let run = |flag: bool, env: bool, xdg: bool| {
        let mut cmd = pilothouse();
        cmd.current_dir(dir.path()).arg("check-config");
        if flag {
            cmd.arg("--config").arg(&flag_file);
        }
        if env {
            cmd.env("PILOTHOUSE_CONFIG", &env_file);
        }
        if xdg {
            cmd.env("XDG_CONFIG_HOME", dir.path().join("xdg"));
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(run(true, true, true).contains("fromflag"));
    assert!(run(false, true, true).contains("fromenv"));
    assert!(run(false, false, true).contains("fromxdg"));
    assert!(run(false, false, false).contains("fromcwd"));
}

#[test]
fn unknown_env_is_refused_before_the_terminal_is_touched() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_configs/minimal.toml");
    pilothouse()
        .arg("--config")
        .arg(file)
        .args(["--env", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no environment \"nope\""))
        .stderr(predicates::str::contains("it has: staging"));
}

#[test]
fn help_and_version() {
    pilothouse()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicates::str::contains("check-config"))
        .stdout(predicates::str::contains("--read-only"));
    pilothouse()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn status_of_an_unknown_env_is_a_config_error() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valid_configs/minimal.toml");
    pilothouse()
        .args(["status", "--env", "nope", "--config"])
        .arg(file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no environment \"nope\""));
}

#[test]
fn an_unknown_theme_exits_2_naming_the_shipped_ones() {
    let out = pilothouse()
        .args(["--theme", "neon", "--config"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no theme \"neon\"") && err.contains("default, light, high-contrast, gruvbox"),
        "{err}"
    );
}

/// `pilothouse` with `XDG_CONFIG_HOME` set to `dir`, on the example config.
fn with_config_home(dir: &Path) -> Command {
    let mut cmd = pilothouse();
    cmd.env("XDG_CONFIG_HOME", dir)
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pilothouse.example.toml"));
    cmd
}

#[test]
fn a_broken_user_keymap_exits_2_naming_its_file_line_and_key() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = home.path().join("pilothouse/keymaps");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("mine.toml");
    std::fs::write(
        &file,
        "[normal]\n\"x\" = \"stop\"\n\"ctrl-r\" = \"restart\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = with_config_home(home.path())
        .args(["--keymap", "mine"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3:1: key `normal.ctrl-r`", file.display())),
        "{err}"
    );
    assert!(err.contains("bare ctrl chord"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = with_config_home(home.path())
        .args(["--keymap", "emacs"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no keymap \"emacs\": shipped are default, vim"),
        "{err}"
    );
}

#[test]
fn completions_and_the_man_page_generate() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pilothouse"),
        ("fish", "complete -c pilothouse"),
    ] {
        let out = pilothouse()
            .args(["completions", shell])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        for sub in ["check-config", "status", "audit", "init", "keymap"] {
            assert!(text.contains(sub), "{shell} completes no {sub}");
        }
    }
    let out = pilothouse()
        .arg("man")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH pilothouse"),
        "{man}"
    );
    assert!(
        man.contains("\\-\\-read\\-only") && man.contains("audit"),
        "{man}"
    );
    // No config is needed for any of them.
    pilothouse()
        .args(["completions", "nosuchshell"])
        .assert()
        .code(2);
}

#[test]
fn init_writes_a_starter_that_checks_and_never_overwrites_unasked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("sub/pilothouse.toml");
    pilothouse()
        .arg("init")
        .arg("--config")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicates::str::contains("check-config"));
    pilothouse()
        .arg("check-config")
        .arg("--config")
        .arg(&path)
        .assert()
        .success();
    std::fs::write(&path, "# mine\n").unwrap_or_else(|e| panic!("{e}"));
    pilothouse()
        .arg("init")
        .arg("--config")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("left alone"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        "# mine\n"
    );
    pilothouse()
        .args(["init", "--force", "--config"])
        .arg(&path)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .contains("[environments.staging]")
    );
}

#[test]
fn a_name_defined_twice_in_config_d_is_one_located_error_naming_both_places() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let main = dir.path().join("config.toml");
    let d = dir.path().join("config.d");
    std::fs::create_dir(&d).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&main, "[defaults.compose]\nproject_dir = \"/opt/acme\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let host = |extra: &str| {
        format!("{extra}[environments.web-1]\n[environments.web-1.ssh]\ndestination = \"web-1\"\n")
    };
    std::fs::write(d.join("a.toml"), host("")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("b.toml"), host("# copied from a.toml\n\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = pilothouse()
        .arg("check-config")
        .arg("--config")
        .arg(&main)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "pilothouse: {}:3:15: key `environments.web-1`: environment `web-1` is defined twice: here and at {}:1",
            d.join("b.toml").display(),
            d.join("a.toml").display()
        )
    );
    // Without the second file, the defaults fill in the rest and it is valid.
    std::fs::remove_file(d.join("b.toml")).unwrap_or_else(|e| panic!("{e}"));
    pilothouse()
        .arg("check-config")
        .arg("--config")
        .arg(&main)
        .assert()
        .success();
}
