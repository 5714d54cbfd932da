//! What Cargo cannot say about the layers (README "Architecture").
//!
//! Cargo keeps the big edges: `pilothouse-core` (src/core) has no tokio, ratatui,
//! crossterm, bollard or openssh among its dependencies, `pilothouse-backend`
//! (src/backend) no ratatui or crossterm, and neither can name the console. This test
//! keeps the rest, reading every `crate::`, `super::` and child-module path under `src/`
//! (comments and unit tests left out), and fails naming file and line:
//!
//! - inside the console crate, imports point down: `input` and `state` (3), `update`
//!   (4), `ui` (5), `app` and `lib` (6);
//! - `state`, `update` and `ui` do no I/O: they never name the backend, bollard,
//!   openssh, tokio, `std::fs`, `std::net` or `std::process`; `state` and `update` never
//!   name ratatui or crossterm either (only `ui` draws, only `input` and `app` read keys);
//! - inside the core, `ops` (plans) sits above `config`, `model` and `logs`, which sit
//!   above the leaves `time`, `text`, `mask`, `shell`;
//! - no two files import each other, directly or round a loop, in any of the three
//!   crates (a parent module that its children import from is such a loop: what they
//!   share lives in a file of its own).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path inside a crate (`["engine", "swarm", "gate"]`; the root is empty).
type Module = Vec<String>;

/// The layer of a console module (its first path segment).
fn console_layer(module: &str) -> Option<u8> {
    Some(match module {
        "input" | "state" => 3,
        "update" => 4,
        "ui" => 5,
        "app" | "" => 6,
        _ => return None,
    })
}

/// The layer of a core module.
fn core_layer(module: &str) -> Option<u8> {
    Some(match module {
        "time" | "text" | "mask" | "shell" => 0,
        "config" | "model" | "logs" => 1,
        "ops" => 2,
        "" => 3,
        _ => return None,
    })
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

/// Every `.rs` file of a crate rooted at `root` (its `lib.rs`), by module path; folders
/// in `skip` are other crates. `main.rs` is a crate of its own and left out.
fn crate_files(root: &Path, skip: &[PathBuf]) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !skip.contains(&p) {
                walk(&p, skip, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(root, skip, &mut paths);
    let mut out = BTreeMap::new();
    for p in paths {
        let rel = p.strip_prefix(root).unwrap().with_extension("");
        let mut module: Module = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module == ["main"] {
            continue;
        }
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        out.insert(module, p);
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifiers of a path's segments from `rest` on (`::a::b::C` → a, b, C), and the
/// rest after them.
fn segments(mut rest: &str) -> (Vec<String>, &str) {
    let mut out = Vec::new();
    while let Some(r) = rest.strip_prefix("::") {
        let ident: String = r.chars().take_while(|c| is_ident_char(*c)).collect();
        if ident.is_empty() {
            break;
        }
        rest = &r[ident.len()..];
        out.push(ident);
    }
    (out, rest)
}

/// The items of a `{…}` group at the start of `group` (after the brace), each as the
/// identifiers of its first path.
fn group_items(group: &str) -> Vec<Vec<String>> {
    let (mut depth, mut start, mut out) = (0usize, 0usize, Vec::new());
    let mut push = |item: &str| {
        let first = item.split('{').next().unwrap_or("");
        let idents: Vec<String> = first
            .split("::")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "self" && !s.contains(' '))
            .collect();
        if !idents.is_empty() {
            out.push(idents);
        }
    };
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                push(&group[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The files of its own crate that `code` (the file of `module`) imports, with the
/// 1-based line of each: paths through `crate::`, `super::`, `self::` and its child
/// modules, each to the deepest file the path names.
fn imports(module: &Module, code: &str, files: &BTreeMap<Module, PathBuf>) -> Vec<(usize, Module)> {
    let resolve = |path: &[String]| -> Option<Module> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| files.contains_key(m))
    };
    let children: BTreeSet<&str> = files
        .keys()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .filter_map(|m| m.last().map(String::as_str))
        .collect();
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    for (at, _) in code.match_indices("::") {
        let before = &code[..at];
        let word: String = {
            let rev: String = before
                .chars()
                .rev()
                .take_while(|c| is_ident_char(*c))
                .collect();
            rev.chars().rev().collect()
        };
        let start = at - word.len();
        let prev = code[..start].chars().next_back();
        if prev.is_some_and(|c| is_ident_char(c) || c == ':') {
            continue; // the middle of a path, or a longer word
        }
        let mut base: Module = match word.as_str() {
            "crate" => Vec::new(),
            "self" => module.clone(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            w if children.contains(w) => {
                let mut m = module.clone();
                m.push(w.to_string());
                m
            }
            _ => continue,
        };
        let (mut segs, rest) = segments(&code[at..]);
        while word == "super" && segs.first().is_some_and(|s| s == "super") {
            segs.remove(0);
            base.pop();
        }
        let paths: Vec<Vec<String>> = match rest.strip_prefix("::{") {
            Some(group) => group_items(group)
                .into_iter()
                .map(|item| [base.clone(), segs.clone(), item].concat())
                .collect(),
            None => vec![[base.clone(), segs].concat()],
        };
        for p in paths {
            if let Some(to) = resolve(&p).filter(|to| to != module) {
                out.push((line_at(at), to));
            }
        }
    }
    out
}

/// The loops among a crate's files: each as its files, with one import line per edge.
fn cycles(edges: &BTreeMap<Module, Vec<(usize, Module)>>) -> Vec<Vec<Module>> {
    // Tarjan's strongly connected components, iteration by recursion (the trees are
    // shallow: a few dozen files).
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, Vec<(usize, Module)>>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        on_stack: BTreeSet<Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit(w: &mut Walk<'_>, v: &Module) {
        let n = w.index.len();
        w.index.insert(v.clone(), n);
        w.low.insert(v.clone(), n);
        w.stack.push(v.clone());
        w.on_stack.insert(v.clone());
        let next: Vec<Module> = w
            .edges
            .get(v)
            .into_iter()
            .flatten()
            .map(|(_, m)| m.clone())
            .collect();
        for to in next {
            if !w.index.contains_key(&to) {
                visit(w, &to);
                let l = w.low[&to].min(w.low[v]);
                w.low.insert(v.clone(), l);
            } else if w.on_stack.contains(&to) {
                let l = w.index[&to].min(w.low[v]);
                w.low.insert(v.clone(), l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut scc = Vec::new();
            while let Some(m) = w.stack.pop() {
                w.on_stack.remove(&m);
                let done = &m == v;
                scc.push(m);
                if done {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                w.found.push(scc);
            }
        }
    }
    let mut w = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !w.index.contains_key(v) {
            visit(&mut w, v);
        }
    }
    w.found
}

fn shown(module: &Module) -> String {
    if module.is_empty() {
        "(crate root)".into()
    } else {
        module.join("/")
    }
}

/// What one crate breaks: layer rules (`layer` of a first segment; None: not checked),
/// names its files may not use (`banned(first segment)`), and file loops.
fn violations(
    root: &Path,
    skip: &[PathBuf],
    layer: fn(&str) -> Option<u8>,
    banned: fn(&str) -> &'static [&'static [&'static str]],
) -> Vec<String> {
    let files = crate_files(root, skip);
    let mut out = Vec::new();
    let mut edges = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let code = code_of(&text);
        let source: Vec<&str> = text.lines().collect();
        let line = |n: usize| source.get(n - 1).map_or("", |l| l.trim()).to_string();
        let first = module.first().map_or("", String::as_str);
        for name in banned(first).iter().copied().flatten() {
            for (n, l) in code.lines().enumerate() {
                if l.contains(name) {
                    out.push(format!(
                        "{}:{}: `{first}` names {name}: {}",
                        path.display(),
                        n + 1,
                        line(n + 1)
                    ));
                }
            }
        }
        let found = imports(module, &code, &files);
        for (n, to) in &found {
            let to_first = to.first().map_or("", String::as_str);
            if let (Some(a), Some(b)) = (layer(first), layer(to_first))
                && b > a
            {
                out.push(format!(
                    "{}:{n}: `{first}` (layer {a}) imports `{to_first}` (layer {b}): {}",
                    path.display(),
                    line(*n)
                ));
            }
        }
        edges.insert(module.clone(), found);
    }
    for scc in cycles(&edges) {
        let mut within = Vec::new();
        for from in &scc {
            for (n, to) in edges[from].iter().filter(|(_, to)| scc.contains(to)) {
                within.push(format!("{}:{n} -> {}", files[from].display(), shown(to)));
            }
        }
        out.push(format!(
            "files that import each other round a loop: {}\n    {}",
            scc.iter().map(shown).collect::<Vec<_>>().join(", "),
            within.join("\n    ")
        ));
    }
    out
}

/// What does I/O: no file in state, update or ui names it.
const IO: &[&str] = &[
    "pilothouse_backend",
    "bollard::",
    "openssh::",
    "tokio::",
    "std::fs",
    "std::net",
    "std::process",
];
/// What reads keys or draws: no file in state or update names it.
const TERMINAL: &[&str] = &["ratatui::", "crossterm::"];

fn console_banned(first: &str) -> &'static [&'static [&'static str]] {
    match first {
        "state" | "update" => &[IO, TERMINAL],
        "ui" => &[IO],
        _ => &[],
    }
}

fn nothing_banned(_: &str) -> &'static [&'static [&'static str]] {
    &[]
}

fn no_layers(_: &str) -> Option<u8> {
    None
}

#[test]
fn the_layers_hold_and_no_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let crates = [src.join("core"), src.join("backend")];
    let mut found = violations(&src, &crates, console_layer, console_banned);
    found.extend(violations(&crates[0], &[], core_layer, nothing_banned));
    found.extend(violations(&crates[1], &[], no_layers, nothing_banned));
    assert!(
        found.is_empty(),
        "the layers are broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_names_a_back_edge_io_and_a_loop_in_a_small_tree() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(src)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("lib.rs", "pub mod state;\npub mod ui;\npub mod update;\n");
    write(
        "state/mod.rs",
        "// crate::ui is only a comment\nmod alert;\nuse alert::Alert;\npub struct Tab;\n",
    );
    write(
        "state/alert.rs",
        "use crate::state::Tab;\npub enum Alert {}\n",
    );
    write(
        "update/mod.rs",
        "use crate::{state::Tab, ui::draw};\nfn f() { let _ = std::fs::read(\"x\"); }\n",
    );
    write(
        "ui/mod.rs",
        "use crate::state::alert::Alert;\npub fn draw() {}\n",
    );
    let found = violations(src, &[], console_layer, console_banned);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].contains("update/mod.rs:2") && found[0].contains("names std::fs"),
        "{found:#?}"
    );
    assert!(
        found[1].contains("update/mod.rs:1") && found[1].contains("imports `ui`"),
        "{found:#?}"
    );
    assert!(
        found[2].contains("round a loop: state, state/alert")
            && found[2].contains("state/alert.rs:1 -> state")
            && found[2].contains("state/mod.rs:3 -> state/alert"),
        "{found:#?}"
    );
}
