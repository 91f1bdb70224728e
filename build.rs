//! Rebuilds the server when GraphiQL's assets appear or change.
//!
//! `src/http/graphiql.rs` embeds `web/graphiql/dist/` (built by `npm run build` in
//! `web/graphiql`, not kept in git) with rust-embed, which only tracks the files that were
//! there when it ran: without this, assets built after a first `cargo build --release` would
//! never reach the binary. Nothing else makes this script run again.

fn main() {
    let dist = std::path::Path::new("web/graphiql/dist");
    // An empty directory to watch until the assets are built: a watched path that does not
    // exist would make cargo run this script, and rebuild the crate, every time.
    if !dist.exists() {
        let _ = std::fs::create_dir_all(dist);
    }
    println!("cargo:rerun-if-changed=web/graphiql/dist");
}
