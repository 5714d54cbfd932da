//! The layers point one way (DESIGN.md, README "Architecture"): a file under `src/`
//! imports only its own layer and those below, and the layers above the engine speak to
//! it in model types only. This test reads every `crate::…` path in `src/` and fails,
//! naming file and line, on an import that points up.
//!
//! Bottom to top:
//!   0 leaves   time, text, mask, shell, config, model, logs, diagnostics
//!   1 ops      plans: typed steps, no I/O
//!   2 backend  the actors: ssh, engine, database, runner
//!   3 state    state, action, keymap, alt_keys, layout, snapshot, theme
//!   4 update
//!   5 ui
//!   6 app      app, main, cli, status, logs_command, audit_command, lib
//!
//! Besides: `state`, `action`, `update` and `ui` never name `backend` (they use the
//! model), and nothing below `state` names ratatui or crossterm.
//!
//! `KNOWN` lists the back-edges that are still there, each to be removed, never added
//! to: a new one fails the test, and so does a listed one that is gone (so the list only
//! shrinks).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::path::{Path, PathBuf};

/// Back-edges not fixed yet: (importing module, imported module).
const KNOWN: &[(&str, &str)] = &[];

fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "time" | "text" | "mask" | "shell" | "config" | "model" | "logs" | "diagnostics" => 0,
        "ops" => 1,
        "backend" => 2,
        "state" | "action" | "keymap" | "alt_keys" | "layout" | "snapshot" | "theme" => 3,
        "update" => 4,
        "ui" => 5,
        "app" | "main" | "cli" | "status" | "logs_command" | "audit_command" | "lib" => 6,
        _ => return None,
    })
}

/// The top-level module a file under `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules `code` names through `crate::`, with the 1-based line each
/// is on: single paths and groups (`crate::{a::X, b::Y}`, over several lines too).
fn imported(code: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        let rest = &code[at + "crate::".len()..];
        from = at + "crate::".len();
        if let Some(group) = rest.strip_prefix('{') {
            // The group's top-level items: split at commas outside nested braces.
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push((line_at(at), ident(&group[start..i])));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push((line_at(at), ident(&group[start..i])));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push((line_at(at), ident(rest)));
        }
    }
    out.retain(|(_, m)| !m.is_empty());
    out
}

/// The file without comments and without its unit tests (which may reach further,
/// for fixtures), line numbers kept.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tests = false;
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        if !in_tests {
            out.push_str(line.split("//").next().unwrap_or(""));
        }
        out.push('\n');
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every import under `src` that points the wrong way: `(from, to, "file:line: why")`.
fn violations(src: &Path) -> Vec<(String, String, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let from = module_of(src, &file);
        let Some(from_layer) = layer(&from) else {
            out.push((
                from.clone(),
                String::new(),
                format!("{}: module `{from}` has no layer", file.display()),
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code = code_of(&text);
        let source: Vec<&str> = text.lines().collect();
        let shown = |n: usize| source.get(n - 1).map_or("", |l| l.trim()).to_string();
        if from_layer < 3 {
            for (n, line) in code.lines().enumerate() {
                if line.contains("ratatui::") || line.contains("crossterm::") {
                    out.push((
                        from.clone(),
                        "ratatui".into(),
                        format!(
                            "{}:{}: `{from}` names a terminal type: {}",
                            file.display(),
                            n + 1,
                            shown(n + 1)
                        ),
                    ));
                }
            }
        }
        for (n, to) in imported(&code) {
            let Some(to_layer) = layer(&to) else { continue };
            let up = to_layer > from_layer && to != from;
            let engine = to == "backend" && (3..=5).contains(&from_layer);
            if up || engine {
                out.push((
                    from.clone(),
                    to.clone(),
                    format!(
                        "{}:{n}: `{from}` (layer {from_layer}) imports `{to}` (layer {to_layer}): {}",
                        file.display(),
                        shown(n)
                    ),
                ));
            }
        }
    }
    out
}

fn known(from: &str, to: &str) -> bool {
    KNOWN.iter().any(|(f, t)| *f == from && *t == to)
}

#[test]
fn imports_in_src_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    let new: Vec<&String> = found
        .iter()
        .filter(|(f, t, _)| !known(f, t))
        .map(|(_, _, w)| w)
        .collect();
    assert!(
        new.is_empty(),
        "imports that point up the layers:\n{}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let gone: Vec<String> = KNOWN
        .iter()
        .filter(|(f, t)| !found.iter().any(|(ff, tt, _)| ff == f && tt == t))
        .map(|(f, t)| format!("{f} -> {t}"))
        .collect();
    assert!(
        gone.is_empty(),
        "fixed back-edges still listed in KNOWN (remove them): {}",
        gone.join(", ")
    );
}

#[test]
fn the_checker_names_a_back_edge_in_a_small_tree() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(src)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "ops/mod.rs",
        "use crate::shell::quote;\nuse crate::backend::remote::Remote;\n",
    );
    write(
        "ui/pane.rs",
        "use crate::state::State;\nuse crate::{model::Row, backend::db};\n",
    );
    write(
        "state/mod.rs",
        "// crate::ui is only a comment\nuse crate::model::Row;\n",
    );
    write("model/mod.rs", "use ratatui::style::Color;\n");
    let found = violations(src);
    let lines: Vec<&str> = found.iter().map(|(_, _, w)| w.as_str()).collect();
    assert_eq!(found.len(), 3, "{lines:#?}");
    assert!(lines[0].contains("model/mod.rs:1") && lines[0].contains("terminal type"));
    assert!(lines[1].contains("ops/mod.rs:2") && lines[1].contains("imports `backend`"));
    assert!(lines[2].contains("ui/pane.rs:2") && lines[2].contains("imports `backend`"));
}
