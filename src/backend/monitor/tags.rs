//! The tags a deploy or rollback can pick: those on the host (`docker image ls`, with
//! when each image was built) and those in the registry (its `tags/list`), for every
//! target's repository.

use crate::connection::remote::Remote;
use pilothouse_core::logs::sanitize::clean_str;

use pilothouse_core::model::requests::{TagInfo, Tags};

/// One tagged image on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostImage {
    repo: String,
    tag: String,
    created: String,
    id: String,
}

/// The tags of `repos` (repository references, registry included): the ones every
/// repository has, newest first. A registry that cannot be read (or is not a loopback
/// one over plain HTTP) leaves the host's tags, with a note.
pub async fn read(remote: &Remote, repos: &[String]) -> Result<Tags, String> {
    if repos.is_empty() {
        return Ok(Tags::default());
    }
    // `docker image ls` takes one repository at a time.
    let script = format!(
        "for r in {}; do docker image ls --format '{{{{.Repository}}}}\t{{{{.Tag}}}}\t{{{{.CreatedAt}}}}\t{{{{.ID}}}}' \"$r\" || exit 1; done",
        pilothouse_core::shell::quote_all(repos)
    );
    let out = remote
        .sh(&script, std::time::Duration::from_secs(20))
        .await?;
    if out.status != Some(0) {
        return Err(format!(
            "docker image ls failed: {}",
            clean_str(&out.stderr)
        ));
    }
    let host = parse_image_ls(&String::from_utf8_lossy(&out.stdout));
    let mut registry: Vec<Vec<String>> = Vec::new();
    let mut note = None;
    for r in repos {
        match registry_tags(remote, r).await {
            Ok(t) => registry.push(t),
            Err(e) => {
                note = Some(e);
                registry.clear();
                break;
            }
        }
    }
    Ok(Tags {
        tags: merge(repos, &host, &registry),
        rollback_is: rollback_is(repos, &host),
        note,
    })
}

/// The tagged images in `docker image ls` lines (repository, tag, created, ID).
fn parse_image_ls(text: &str) -> Vec<HostImage> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (repo, tag, created, id) = (f.next()?, f.next()?, f.next()?, f.next()?);
            (tag != "<none>" && pilothouse_core::ops::valid_tag(tag).is_ok() && !id.is_empty())
                .then(|| HostImage {
                    repo: repo.to_string(),
                    tag: tag.to_string(),
                    created: clean_str(created.as_bytes()),
                    id: id.to_string(),
                })
        })
        .collect()
}

/// The tag that names the same image as `:rollback` in every repository; of several,
/// the first by name that is not `latest` (which moves on its own).
fn rollback_is(repos: &[String], host: &[HostImage]) -> Option<String> {
    let rollback = pilothouse_core::ops::ROLLBACK_TAG;
    let mut common: Option<Vec<&str>> = None;
    for repo in repos {
        let id = &host
            .iter()
            .find(|h| h.repo == *repo && h.tag == rollback)?
            .id;
        let same: Vec<&str> = host
            .iter()
            .filter(|h| h.repo == *repo && h.id == *id && h.tag != rollback)
            .map(|h| h.tag.as_str())
            .collect();
        common = Some(match common {
            None => same,
            Some(c) => c.into_iter().filter(|t| same.contains(t)).collect(),
        });
    }
    let mut common = common?;
    common.sort_unstable();
    common
        .iter()
        .find(|t| **t != "latest")
        .or(common.first())
        .map(|t| t.to_string())
}

/// Tags every repository has, on the host or in the registry; newest built first, the
/// registry-only ones after, by name.
fn merge(repos: &[String], host: &[HostImage], registry: &[Vec<String>]) -> Vec<TagInfo> {
    let mut all: Vec<String> = host.iter().map(|h| h.tag.clone()).collect();
    all.extend(registry.iter().flatten().cloned());
    all.sort();
    all.dedup();
    all.retain(|t| t != pilothouse_core::ops::ROLLBACK_TAG);
    let mut out: Vec<TagInfo> = all
        .into_iter()
        .filter_map(|tag| {
            let mut on_host = true;
            let mut in_registry = !registry.is_empty();
            let mut created: Option<String> = None;
            for (i, repo) in repos.iter().enumerate() {
                let h = host.iter().find(|h| h.repo == *repo && h.tag == tag);
                let g = registry.get(i).is_some_and(|ts| ts.contains(&tag));
                if h.is_none() && !g {
                    return None;
                }
                on_host &= h.is_some();
                in_registry &= g;
                if let Some(h) = h
                    && created.as_ref().is_none_or(|x| h.created > *x)
                {
                    created = Some(h.created.clone());
                }
            }
            Some(TagInfo {
                tag,
                created,
                on_host,
                in_registry,
            })
        })
        .collect();
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.tag.cmp(&b.tag)));
    out
}

/// The tags of one repository in its registry, when that is a loopback registry over
/// plain HTTP (which is what Docker itself allows without TLS).
async fn registry_tags(remote: &Remote, repo: &str) -> Result<Vec<String>, String> {
    let (registry, name) = repo
        .split_once('/')
        .filter(|(r, _)| r.contains(':') || r.contains('.') || *r == "localhost")
        .ok_or("registry tags: not read (the image names no registry)")?;
    let (host, port) = match registry.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| "registry tags: bad port")?),
        None => (registry, 443),
    };
    if !(host == "127.0.0.1" || host == "localhost" || host == "[::1]") || port == 443 {
        return Err(
            "registry tags: not read (only a loopback registry over plain HTTP is asked)".into(),
        );
    }
    let way = remote.reach(host, port).await?;
    let stream = way.connect(std::time::Duration::from_secs(5)).await?;
    let path = format!("/v2/{name}/tags/list");
    let resp = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        crate::connection::http::get(stream, host, port, &path),
    )
    .await
    .map_err(|_| "registry tags: no answer within 10 s".to_string())??;
    if resp.status != 200 {
        return Err(format!("registry tags: HTTP {} for {name}", resp.status));
    }
    let v: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|_| "registry tags: the answer is not JSON".to_string())?;
    Ok(v["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str())
                .filter(|t| pilothouse_core::ops::valid_tag(t).is_ok())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tags_every_target_has_are_offered_newest_first() {
        let host = parse_image_ls(
            "r/a\tv1\t2026-11-01 09:00:00 +0000 UTC\t1111\nr/a\tv2\t2026-11-15 14:30:00 +0000 UTC\t2222\nr/b\tv2\t2026-11-15 14:30:01 +0000 UTC\t3333\nr/a\t<none>\tx\t4444\nr/b\tbad;tag\tx\t5555\nr/a\trollback\tx\t1111\n",
        );
        let repos = vec!["r/a".to_string(), "r/b".to_string()];
        let registry = vec![
            vec!["v1".to_string(), "v2".to_string(), "v3".to_string()],
            vec!["v1".to_string(), "v2".to_string(), "v3".to_string()],
        ];
        let tags = merge(&repos, &host, &registry);
        let names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(names, vec!["v2", "v1", "v3"]);
        assert!(tags[0].on_host && tags[0].in_registry);
        assert!(!tags[1].on_host, "v1 is not on the host for r/b");
        assert_eq!(tags[2].created, None);
        // Without the registry, only what the host has for both.
        let tags = merge(&repos, &host, &[]);
        let names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(names, vec!["v2"]);
    }

    #[test]
    fn the_rollback_images_are_named_by_the_tag_that_shares_their_image_in_every_repository() {
        let line = |repo: &str, tag: &str, id: &str| format!("{repo}\t{tag}\t2026-11-01\t{id}\n");
        let repos = vec!["r/a".to_string(), "r/b".to_string()];
        // v2 was deployed over v1: :rollback is v1's image in both.
        let text = [
            line("r/a", "v1", "a1"),
            line("r/a", "rollback", "a1"),
            line("r/a", "latest", "a1"),
            line("r/a", "v2", "a2"),
            line("r/b", "v1", "b1"),
            line("r/b", "rollback", "b1"),
            line("r/b", "v2", "b2"),
        ]
        .concat();
        let host = parse_image_ls(&text);
        assert_eq!(rollback_is(&repos, &host).as_deref(), Some("v1"));
        // `latest` only when nothing else names it.
        assert_eq!(
            rollback_is(
                &repos[..1],
                &parse_image_ls(
                    &[line("r/a", "latest", "a1"), line("r/a", "rollback", "a1")].concat()
                )
            )
            .as_deref(),
            Some("latest")
        );
        // No tag common to both, or no :rollback image at all: unknown.
        let text = [
            line("r/a", "v1", "a1"),
            line("r/a", "rollback", "a1"),
            line("r/b", "v0", "b1"),
            line("r/b", "rollback", "b1"),
        ]
        .concat();
        assert_eq!(rollback_is(&repos, &parse_image_ls(&text)), None);
        assert_eq!(
            rollback_is(&repos, &parse_image_ls(&line("r/a", "v1", "a1"))),
            None
        );
        // `rollback` itself is never offered as a tag.
        let tags = merge(&repos[..1], &host, &[]);
        assert!(tags.iter().all(|t| t.tag != "rollback"), "{tags:?}");
    }
}
