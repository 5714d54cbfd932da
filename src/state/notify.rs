//! What is told to an operator looking elsewhere when a new alert starts (or a deploy
//! ends): the bell, a desktop notification through the terminal, a webhook. At most
//! one notice per alert in `every` (a flapping service pages once); the webhook keeps
//! quiet for `quiet_after_deploy` after a deploy or rollback ended here.

use std::collections::BTreeMap;

use pilothouse_core::config::HttpUrl;
use pilothouse_core::config::notify::NotifySettings;

/// Alerts found this soon after an environment's first connection are its state when
/// the operator opened the console (on the screen they look at), not news: they are
/// noted as told, not told.
pub const SETTLE_SECS: i64 = 10;

/// One environment's notices: its settings and what was told when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyState {
    /// The `[notify]` settings; None: nothing is told for this environment (not
    /// configured, or a read-only one without `read_only = true`).
    pub settings: Option<NotifySettings>,
    /// When each alert (by its key) was last told, Unix seconds.
    pub told: BTreeMap<String, i64>,
    /// Until when alerts are only noted (the first readings after connecting).
    pub settles_at: Option<i64>,
    /// When the last deploy or rollback here ended, Unix seconds.
    pub deploy_ended: Option<i64>,
    /// Notices made by update() for the event loop to send.
    pub outbox: Vec<Notice>,
}

/// One notice, as each channel will say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub env: String,
    /// The alert's key (`health:web`), or `deploy` for a deploy's end.
    pub key: String,
    /// `staging: web: unhealthy`: one line, masked and free of control characters.
    pub text: String,
    pub bell: bool,
    pub desktop: bool,
    /// The webhook to tell, with its JSON body (the deploy webhook's shape).
    pub webhook: Option<(HttpUrl, String)>,
    /// Not told, and why (the console's log says so): it was told within `every`.
    pub held: Option<String>,
}

impl NotifyState {
    pub fn new(settings: &NotifySettings, read_only: bool) -> Self {
        let told = !read_only || settings.read_only;
        NotifyState {
            settings: told.then(|| settings.clone()),
            ..NotifyState::default()
        }
    }

    /// The environment is connected: alerts of its first readings are not news.
    pub fn connected(&mut self, now: i64) {
        if self.settles_at.is_none() {
            self.settles_at = Some(now + SETTLE_SECS);
        }
    }

    /// A new alert `key` started; queues its notice unless it was told within `every`
    /// (or the console is still reading what was already wrong).
    pub fn started(&mut self, env: &str, key: &str, summary: &str, now: i64) {
        let Some(settings) = &self.settings else {
            return;
        };
        let every = i64::try_from(settings.every.0.as_secs()).unwrap_or(i64::MAX);
        let told_at = self.told.get(key).copied();
        let settling = self.settles_at.is_none_or(|at| now < at);
        if let Some(at) = told_at.filter(|at| now.saturating_sub(*at) < every) {
            if !settling {
                let mut held = make(settings, env, key, summary, now, false);
                held.held = Some(format!(
                    "told {} ago; at most once in {}",
                    pilothouse_core::time::age(now.saturating_sub(at)),
                    pilothouse_core::time::age(every)
                ));
                self.outbox.push(held);
            }
            return;
        }
        self.told.insert(key.to_string(), now);
        if settling {
            return;
        }
        let quiet = i64::try_from(settings.quiet_after_deploy.0.as_secs()).unwrap_or(0);
        let in_quiet = self
            .deploy_ended
            .is_some_and(|at| now.saturating_sub(at) < quiet);
        let notice = make(settings, env, key, summary, now, !in_quiet);
        self.outbox.push(notice);
    }

    /// A deploy or rollback ended here: told (it is news whatever it did), and the
    /// alerts after it keep off the webhook for the quiet window.
    pub fn deploy_ended(&mut self, env: &str, summary: &str, now: i64) {
        self.deploy_ended = Some(now);
        if let Some(settings) = &self.settings {
            let notice = make(settings, env, "deploy", summary, now, true);
            self.outbox.push(notice);
        }
    }
}

/// The notice of `summary` with the channels `settings` turns on.
fn make(
    settings: &NotifySettings,
    env: &str,
    key: &str,
    summary: &str,
    now: i64,
    webhook: bool,
) -> Notice {
    let said = pilothouse_core::text::mask_credentials(&format!("{env}: {summary}"));
    // One line of at most 200 characters, nothing a terminal would act on (controls and
    // bidi overrides replaced).
    let text = pilothouse_core::text::clean(&pilothouse_core::mask::string(&said), 200);
    let body = serde_json::json!({
        "text": format!("pilothouse: {text}"),
        "time": now,
        "environment": env,
        "alert": key,
        "summary": text,
    });
    Notice {
        env: env.to_string(),
        key: key.to_string(),
        text,
        bell: settings.bell,
        desktop: settings.desktop,
        webhook: settings
            .webhook
            .as_ref()
            .filter(|_| webhook)
            .map(|url| (url.clone(), body.to_string())),
        held: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(webhook: bool) -> NotifySettings {
        NotifySettings {
            webhook: webhook.then(|| HttpUrl::parse("http://127.0.0.1:9/hook").unwrap()),
            ..NotifySettings::default()
        }
    }

    #[test]
    fn an_alert_is_told_once_in_five_minutes_however_it_flaps() {
        let mut n = NotifyState::new(&settings(true), false);
        n.connected(1000);
        n.started("staging", "health:web", "web: unhealthy", 1005);
        assert!(n.outbox.is_empty(), "the first readings are not news");
        n.started("staging", "health:api", "api: unhealthy", 1020);
        assert_eq!(n.outbox.len(), 1);
        assert_eq!(n.outbox[0].text, "staging: api: unhealthy");
        assert!(n.outbox[0].bell && n.outbox[0].desktop);
        let (_, body) = n.outbox[0].webhook.clone().unwrap();
        assert!(body.contains("\"text\":\"pilothouse: staging: api: unhealthy\""));
        // Over, back 30 s later, over, back: still the one notice (the others held).
        n.started("staging", "health:api", "api: unhealthy", 1050);
        n.started("staging", "health:api", "api: unhealthy", 1300);
        let told = |n: &NotifyState| n.outbox.iter().filter(|x| x.held.is_none()).count();
        assert_eq!((told(&n), n.outbox.len()), (1, 3));
        assert_eq!(
            n.outbox[1].held.as_deref(),
            Some("told 30s ago; at most once in 5m")
        );
        n.started("staging", "health:api", "api: unhealthy", 1020 + 300);
        assert_eq!(told(&n), 2, "five minutes later it is told again");
        // The one that was already wrong at the start is told when it starts again later.
        n.started("staging", "health:web", "web: unhealthy", 1005 + 300);
        assert_eq!(told(&n), 3);
    }

    #[test]
    fn after_a_deploy_the_webhook_keeps_quiet_but_the_bell_rings() {
        let mut n = NotifyState::new(&settings(true), false);
        n.connected(0);
        n.deploy_ended("production", "deploy web v2: succeeded", 100);
        assert!(n.outbox[0].webhook.is_some(), "the deploy's end is told");
        n.started("production", "health:web", "web: unhealthy", 130);
        let during = n.outbox.last().unwrap();
        assert!(during.bell && during.webhook.is_none());
        n.started("production", "health:api", "api: unhealthy", 100 + 121);
        assert!(n.outbox.last().unwrap().webhook.is_some());
    }

    #[test]
    fn read_only_environments_are_quiet_unless_asked_and_text_is_masked_and_flat() {
        let mut quiet = NotifyState::new(&settings(false), true);
        quiet.connected(0);
        quiet.started("prod", "health:web", "web: down", 50);
        assert!(quiet.outbox.is_empty());
        let asked = NotifySettings {
            read_only: true,
            ..settings(false)
        };
        let mut n = NotifyState::new(&asked, true);
        n.connected(0);
        n.started(
            "prod",
            "check:x",
            "x: \u{1b}]0;pwned\u{7} postgres://u:hunter2@db/x\n\u{202e}",
            50,
        );
        let text = &n.outbox[0].text;
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\n'));
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains('\u{202e}'));
        assert!(n.outbox[0].webhook.is_none());
    }
}
