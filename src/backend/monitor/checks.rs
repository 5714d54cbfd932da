//! The team's own checks (`[[environments.X.checks]]`), each on its own interval,
//! through the connection's slow poll shell, each bounded by its timeout on the host
//! (`timeout`) and here. Read-only by contract; their command comes from the config
//! only, never from the host.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::connection::remote::Remote;
use pilothouse_core::config::checks::CheckSettings;
use pilothouse_core::model::health::CheckResult;
use pilothouse_core::shell::quote;

/// Where the checks run: the project directory, and for a check in a service's
/// container, the compose project's name and the `docker` command for the host's
/// engine. Such a check runs with `docker exec` in the service's running container
/// (found by its compose labels; when the engine cannot list them, its own words are
/// the check's output), not `compose exec`: Compose v1 is a Python program
/// that costs the host about a second of CPU per run, and a check runs every few
/// seconds for as long as the console watches.
#[derive(Debug, Clone)]
pub struct CheckPlace {
    pub dir: Option<String>,
    pub project: Option<String>,
    pub docker: String,
}

impl CheckPlace {
    /// An environment's: its compose project's directory and name, if any, and its
    /// engine's socket.
    pub fn of(env: &pilothouse_core::config::Environment) -> CheckPlace {
        let docker = format!(
            "docker -H {}",
            quote(&format!("unix://{}", env.docker_socket.as_str()))
        );
        let compose = env.compose();
        CheckPlace {
            dir: compose.map(|c| c.project_dir.to_string()),
            project: compose
                .and_then(|c| c.effective_project_name())
                .map(|name| name.as_str().to_string()),
            docker,
        }
    }
}

/// Runs every check when due, for as long as the connection lasts.
pub async fn watch(
    checks: Vec<CheckSettings>,
    remote: Remote,
    place: CheckPlace,
    (out, mut pace): (mpsc::Sender<CheckResult>, super::pace::Pace),
) {
    use tokio::time::Instant;
    if checks.is_empty() {
        return;
    }
    // When each ran last (none yet: due at once); when each is due follows the pace.
    let mut last: Vec<Option<Instant>> = vec![None; checks.len()];
    loop {
        let due =
            |i: usize| last[i].map_or_else(Instant::now, |t| t + pace.period(checks[i].interval.0));
        let Some((i, at)) = (0..checks.len())
            .map(|i| (i, due(i)))
            .min_by_key(|(_, t)| *t)
        else {
            return;
        };
        tokio::select! {
            () = tokio::time::sleep_until(at) => {}
            // On screen or off it: every check's time is counted again.
            () = pace.changed() => continue,
        }
        last[i] = Some(Instant::now());
        let result = run_check(&checks[i], &remote, &place).await;
        if out.send(result).await.is_err() {
            return;
        }
    }
}

/// The script a check runs: its command (in the project directory, or in a service's
/// container), or the newest-file probe.
pub fn script(check: &CheckSettings, place: &CheckPlace) -> String {
    let secs = check.timeout.0.as_secs().max(1);
    let cd = place
        .dir
        .as_deref()
        .map(|d| format!("cd {} && ", quote(d)))
        .unwrap_or_default();
    if let Some(dir) = &check.newest_file_in {
        return format!(
            "now=$(date +%s); n=$(timeout -k 2 {secs} find {} -maxdepth 1 -type f -printf '%T@\\n' 2>/dev/null | sort -n | tail -n 1); echo \"$now ${{n%%.*}}\"",
            quote(dir.as_str())
        );
    }
    let cmd = check.command.as_ref().map_or("false", |c| c.as_str());
    match (&check.service, &place.project) {
        (Some(service), Some(project)) => {
            let docker = &place.docker;
            let missing = format!("no running container of the service {}", service.as_str());
            format!(
                "ids=$({docker} ps -q --filter {} --filter {} --filter status=running 2>&1) \
                 || {{ echo \"$ids\"; exit 1; }}; c=$(printf '%s\\n' \"$ids\" | grep -E '^[0-9a-f]{{12,64}}$' | head -n 1); \
                 if [ -z \"$c\" ]; then echo {}; exit 1; fi; \
                 {docker} exec \"$c\" timeout -k 2 {secs} sh -c {} 2>&1",
                quote(&format!("label=com.docker.compose.project={project}")),
                quote(&format!(
                    "label=com.docker.compose.service={}",
                    service.as_str()
                )),
                quote(&missing),
                quote(cmd)
            )
        }
        _ => format!("{cd}timeout -k 2 {secs} sh -c {} 2>&1", quote(cmd)),
    }
}

/// Runs one check.
pub async fn run_check(check: &CheckSettings, remote: &Remote, place: &CheckPlace) -> CheckResult {
    let started = Instant::now();
    let limit = check.timeout.0 + Duration::from_secs(5);
    let answer = remote.poll_slow(&script(check, place), limit).await;
    let (ok, detail) = match answer {
        Err(e) => (false, format!("not run: {e}")),
        Ok(out) => judge(check, out.status, &String::from_utf8_lossy(&out.stdout)),
    };
    CheckResult {
        name: check.name.as_str().to_string(),
        ok,
        detail: pilothouse_core::mask::string(&pilothouse_core::text::clean(&detail, 200)),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        at: pilothouse_core::time::unix_now(),
    }
}

/// A limit as configured: whole hours as hours (`26h`), else as an age.
fn hours(secs: i64) -> String {
    if secs % 3600 == 0 && secs < 7 * 86_400 {
        format!("{}h", secs / 3600)
    } else {
        pilothouse_core::time::age(secs)
    }
}

/// Passed or not, and what to say, from the exit status and the output.
pub fn judge(check: &CheckSettings, status: Option<i32>, output: &str) -> (bool, String) {
    if let (Some(_), Some(max)) = (&check.newest_file_in, &check.max_age) {
        let mut it = output.split_whitespace().map(|w| w.parse::<i64>().ok());
        return match (it.next().flatten(), it.next().flatten()) {
            (Some(now), Some(newest)) => {
                let age = (now - newest).max(0);
                let limit = i64::try_from(max.0.as_secs()).unwrap_or(i64::MAX);
                (
                    age < limit,
                    format!(
                        "newest file {} old (limit {})",
                        pilothouse_core::time::age(age),
                        hours(limit)
                    ),
                )
            }
            _ => (false, "no file there".into()),
        };
    }
    let last = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match status {
        Some(0) => match &check.output_matches {
            Some(p) if !p.0.is_match(output) => (
                false,
                format!("exit 0, but the output does not match: {last}"),
            ),
            _ => (true, last.to_string()),
        },
        Some(124) | Some(137) => (
            false,
            format!("timed out after {} s", check.timeout.0.as_secs()),
        ),
        Some(code) => (false, format!("exit {code}: {last}")),
        None => (false, format!("no exit status: {last}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(toml_text: &str) -> CheckSettings {
        toml::from_str(toml_text).expect("check")
    }

    #[test]
    fn commands_and_file_ages_are_judged() {
        let c = check(
            "name = \"timer\"\ncommand = \"systemctl is-active certbot.timer\"\noutput_matches = \"^active$\"",
        );
        assert_eq!(judge(&c, Some(0), "active\n"), (true, "active".into()));
        assert!(!judge(&c, Some(0), "inactive\n").0);
        assert_eq!(
            judge(&c, Some(3), "inactive\n"),
            (false, "exit 3: inactive".into())
        );
        assert_eq!(judge(&c, Some(124), "").1, "timed out after 10 s");
        let b = check("name = \"backup\"\nnewest_file_in = \"/var/backups\"\nmax_age = \"26h\"");
        assert!(judge(&b, Some(0), "1000000 990000").0);
        assert_eq!(
            judge(&b, Some(0), "1000000 800000"),
            (false, "newest file 2d old (limit 26h)".into())
        );
        assert_eq!(
            judge(&b, Some(0), "1000000 "),
            (false, "no file there".into())
        );
    }

    #[test]
    fn scripts_quote_every_value() {
        let place = CheckPlace {
            dir: Some("/opt/acme".into()),
            project: Some("acme".into()),
            docker: "docker -H 'unix:///var/run/docker.sock'".into(),
        };
        let c = check("name = \"pg\"\ncommand = \"pg_isready -q\"\nservice = \"db\"");
        assert_eq!(
            script(&c, &place),
            "ids=$(docker -H 'unix:///var/run/docker.sock' ps -q \
             --filter 'label=com.docker.compose.project=acme' \
             --filter 'label=com.docker.compose.service=db' --filter status=running 2>&1) \
             || { echo \"$ids\"; exit 1; }; c=$(printf '%s\\n' \"$ids\" | grep -E '^[0-9a-f]{12,64}$' | head -n 1); \
             if [ -z \"$c\" ]; then echo 'no running container of the service db'; exit 1; fi; \
             docker -H 'unix:///var/run/docker.sock' exec \"$c\" timeout -k 2 10 sh -c 'pg_isready -q' 2>&1"
        );
        let h = check("name = \"x\"\ncommand = \"echo it's\"");
        assert_eq!(
            script(&h, &place),
            "cd '/opt/acme' && timeout -k 2 10 sh -c 'echo it'\\''s' 2>&1"
        );
    }
}
