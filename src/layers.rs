//! The crate's layering, checked (ARCHITECTURE.md describes it; these tests keep it true).
//!
//! Each top-level module belongs to a layer and may name (`crate::…`) only modules of its own
//! layer or of the layers below. The domain is a crate of its own and may not depend on the
//! web, GraphQL or database stack at all. Writes begin only through `service::write`.

use std::path::{Path, PathBuf};

/// Lowest first. A module may name modules of its own layer and of every layer before it.
const LAYERS: &[&[&str]] = &[
    // The domain crate, re-exported as `crate::domain`.
    &["domain"],
    // Foundations: settings, errors, the clock, logging, messages and the database handle.
    &["config", "error", "clock", "telemetry", "db", "i18n"],
    // Who is asking and what they may do.
    &["auth"],
    // The use cases: reads scoped by the policy, writes through `service::write`.
    &["service"],
    // The GraphQL schema: resolvers call services.
    &["graphql"],
    // Every operation's checks, on every transport, before the schema runs.
    &["gate"],
    // The transports: HTTP, WebSocket, downloads, metrics.
    &["http"],
    // Wiring and commands.
    &["startup", "cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (path relative to src/, the top-level module it belongs to, its text)
fn sources() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            let first = relative.split('/').next().unwrap_or_default();
            let module = first.trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&path).expect("read a source file");
            (relative, module, text)
        })
        .collect()
}

/// Every `crate::name` a text mentions, with its line number.
fn named_modules(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // `ecoplan_domain::…` and other crates' paths end in `crate::` only by accident.
            let preceded_by_ident = rest[..i].chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            rest = &after[name.len()..];
            if !preceded_by_ident && !name.is_empty() {
                out.push((n + 1, name));
            }
        }
    }
    out
}

#[test]
fn every_module_names_only_its_own_layer_and_the_layers_below() {
    let mut violations = Vec::new();
    let mut checked = 0;
    for (path, module, text) in sources() {
        if matches!(module.as_str(), "lib" | "main" | "layers") {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            violations.push(format!("{path}: module `{module}` is in no layer; add it to LAYERS and ARCHITECTURE.md"));
            continue;
        };
        for (line, named) in named_modules(&text) {
            checked += 1;
            match layer_of(&named) {
                Some(layer) if layer <= own => {}
                Some(_) => {
                    violations.push(format!("{path}:{line}: `{module}` names `crate::{named}`, a layer above it"))
                }
                None => violations.push(format!("{path}:{line}: `crate::{named}` is in no layer")),
            }
        }
    }
    assert!(checked > 100, "the scan found only {checked} paths: is it reading src/?");
    assert!(violations.is_empty(), "imports that point up:\n{}", violations.join("\n"));
}

#[test]
fn the_scan_sees_an_upward_import() {
    // The check above cannot pass by reading nothing: a made-up file is caught.
    let text = "use crate::db::Db;\nuse crate::service::values; // in auth\nlet x = ecoplan_crate::y;";
    let names: Vec<String> = named_modules(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["db", "service"]);
    assert!(layer_of("service") > layer_of("auth"));
}

#[test]
fn writes_begin_only_through_the_audited_write() {
    for (path, _, text) in sources() {
        let allowed = path.starts_with("db/") || path == "service/write.rs" || path == "layers.rs";
        if !allowed {
            assert!(!text.contains("begin_unaudited"), "{path} opens an unaudited write transaction");
        }
        // Services write inside a `Write`'s transaction, never on the pool directly.
        if path.starts_with("service/") && path != "service/write.rs" {
            for call in
                [".insert(&db.conn)", ".exec(&db.conn)", ".update(&db.conn)", ".delete(&db.conn)", ".execute(&db.conn"]
            {
                assert!(!text.contains(call), "{path} writes outside a transaction: {call}");
            }
        }
    }
}

#[test]
fn the_domain_crate_depends_on_no_web_graphql_or_database_runtime() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("domain/Cargo.toml"))
        .expect("domain/Cargo.toml");
    let dependencies = manifest.split("[dependencies]").nth(1).expect("a [dependencies] table");
    let dependencies = dependencies.split("\n[").next().unwrap_or_default();
    for forbidden in ["async-graphql", "actix", "tokio", "sqlx", "jsonwebtoken", "reqwest"] {
        assert!(!dependencies.contains(forbidden), "the domain crate depends on {forbidden}");
    }
    // sea-orm only as an optional feature, for the entities to store domain types.
    for line in dependencies.lines().filter(|l| l.starts_with("sea-orm")) {
        assert!(line.contains("optional = true"), "sea-orm must stay optional in the domain: {line}");
    }
}
