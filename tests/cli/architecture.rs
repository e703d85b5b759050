//! The code's own shape: no module of `src/` imports a module that imports it
//! back (directly or through others). A module is a file; an import is a
//! `use` or a `crate::`/`super::`/`self::`/child-module path in code (test
//! modules left out); declaring a child (`mod x;`) is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `crate::a::b` -> source file, for every module under `src/` (not `main.rs`).
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        match parts.last().map(String::as_str) {
            Some("main") if parts.len() == 1 => continue,
            Some("lib") if parts.len() == 1 => parts.clear(),
            Some("mod") => {
                parts.pop();
            }
            _ => {}
        }
        let name = std::iter::once("crate".to_string())
            .chain(parts)
            .collect::<Vec<_>>()
            .join("::");
        out.insert(name, file);
    }
    out
}

/// Source without comments, string and char literals, and `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += body
                + rest[body..]
                    .find(&close)
                    .map_or(rest.len() - body, |e| e + close.len());
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && (rest.get(2..3) == Some("'") || rest.starts_with("'\\")) {
            i += 1 + rest[1..].find('\'').map_or(0, |e| e + 1);
            if rest.starts_with("'\\''") {
                i += 1;
            }
            out.push_str("' '");
        } else {
            let c = rest.chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    drop_test_modules(&out)
}

fn raw_string_start(s: &str) -> Option<usize> {
    let after_r = s.strip_prefix('r').or_else(|| s.strip_prefix("br"))?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    after_r[hashes..]
        .starts_with('"')
        .then_some(hashes + usize::from(s.starts_with("br")))
}

/// Removes `#[cfg(test)] mod x { ... }` and `#[cfg(test)] mod x;`.
fn drop_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let after = at + "#[cfg(test)]".len();
        let item_end = match (out[after..].find(';'), out[after..].find('{')) {
            (Some(semi), Some(brace)) if semi < brace => after + semi + 1,
            (_, Some(brace)) => {
                let mut depth = 0;
                let mut end = out.len();
                for (k, c) in out[after + brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = after + brace + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(semi), None) => after + semi + 1,
            (None, None) => out.len(),
        };
        out.replace_range(at..item_end, "");
    }
    out
}

/// Every path a `use` tree names, fully expanded (`a::{b, c::d}` -> `a::b`, `a::c::d`).
fn use_paths(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or_default().to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            use_paths(p).into_iter().map(|q| match q.as_str() {
                "self" => prefix.to_string(),
                _ => format!("{prefix}::{q}"),
            })
        })
        .collect()
}

/// The module a path from `module` lands in (its deepest module prefix), if
/// the path is streamkit's. `aliases` are the modules imported by name
/// (`use crate::deploy::{self, ...}` makes `deploy::` mean `crate::deploy`).
fn resolve(
    module: &str,
    path: &str,
    known: &BTreeMap<String, PathBuf>,
    aliases: &BTreeMap<String, String>,
) -> Option<String> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let first = *segs.first()?;
    if let Some(target) = aliases.get(first) {
        let rebased = format!("{target}{}", &path[first.len()..]);
        return resolve(module, &rebased, known, &BTreeMap::new());
    }
    let mut base: Vec<String> = match first {
        "crate" => vec!["crate".into()],
        "self" | "super" => module.split("::").map(String::from).collect(),
        first if known.contains_key(&format!("{module}::{first}")) => {
            module.split("::").map(String::from).collect()
        }
        _ => return None,
    };
    let mut rest = &segs[1..];
    if segs[0] == "super" {
        base.pop();
        while rest.first() == Some(&"super") {
            base.pop();
            rest = &rest[1..];
        }
    } else if segs[0] != "crate" && segs[0] != "self" {
        rest = &segs[..];
    }
    for seg in rest {
        let next = format!("{}::{seg}", base.join("::"));
        if !known.contains_key(&next) {
            break;
        }
        base.push((*seg).to_string());
    }
    Some(base.join("::"))
}

/// Module -> modules it imports.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let known = modules(src);
    let inline =
        regex::Regex::new(r"\b(crate|super|self|[a-z_][a-z0-9_]*)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
            .unwrap();
    let uses = regex::Regex::new(r"\buse\s+([^;]+);").unwrap();
    let mut graph = BTreeMap::new();
    for (module, file) in &known {
        let text = code(&std::fs::read_to_string(file).expect("source"));
        let mut paths: Vec<String> = uses
            .captures_iter(&text)
            .flat_map(|c| use_paths(c[1].trim_start_matches("pub ")))
            .collect();
        // Modules imported by name, for the paths in code that start with it.
        let aliases: BTreeMap<String, String> = paths
            .iter()
            .filter_map(|p| {
                let target = resolve(module, p, &known, &BTreeMap::new())?;
                let name = p.rsplit("::").next()?;
                let is_module = target.rsplit("::").next() == Some(name) || name == "super";
                (is_module && !matches!(name, "crate" | "self" | "super"))
                    .then(|| (name.to_string(), target))
            })
            .collect();
        let without_uses = uses.replace_all(&text, "");
        paths.extend(
            inline
                .find_iter(&without_uses)
                .map(|m| m.as_str().to_string()),
        );
        let targets: BTreeSet<String> = paths
            .iter()
            .filter_map(|p| resolve(module, p, &known, &aliases))
            .filter(|t| t != module)
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = imports(&src());
    let found = cycles(&graph);
    let explain: Vec<String> = found
        .iter()
        .map(|c| {
            let edges: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    graph[a]
                        .iter()
                        .filter(|b| c.contains(b))
                        .map(move |b| format!("{a} -> {b}"))
                })
                .collect();
            edges.join(", ")
        })
        .collect();
    assert!(found.is_empty(), "import cycles: {explain:#?}");
}

#[test]
fn the_checker_sees_imports_and_cycles() {
    // The graph is not empty where imports are known to exist.
    let graph = imports(&src());
    assert!(graph["crate::cli"].contains("crate::commands::deploy"));
    assert!(graph["crate::deploy"].contains("crate::deploy::changeset"));
    assert!(graph["crate::cost::model"].contains("crate::cost"));
    assert!(graph["crate::cost::model"].contains("crate::deploy::params"));
    assert!(!graph["crate::error"].contains("crate::cli"));
    // And it finds a cycle when there is one.
    let mut with_cycle = graph.clone();
    with_cycle
        .get_mut("crate::error")
        .unwrap()
        .insert("crate::cli".into());
    assert!(!cycles(&with_cycle).is_empty());
}

#[test]
fn use_trees_expand_and_literals_are_ignored() {
    assert_eq!(
        use_paths("crate::deploy::{self, assets::{Published, X}, Y}"),
        [
            "crate::deploy",
            "crate::deploy::assets::Published",
            "crate::deploy::assets::X",
            "crate::deploy::Y"
        ]
    );
    let text = code("let s = \"crate::cli { \"; // crate::cli\nlet c = '{';\n#[cfg(test)]\nmod tests { use crate::cli; }\nuse crate::io;");
    assert!(!text.contains("cli"), "{text}");
    assert!(text.contains("use crate::io;"), "{text}");
}
