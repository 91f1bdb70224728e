//! Tracing setup: JSON lines in production, human-readable output in development.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::Settings;

/// The default filter keeps SQL statement logging (sqlx, sea_orm) quiet: it costs time
/// under load and would put data in the log.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber once; later calls are ignored.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let result = if settings.is_production() {
        builder.json().flatten_event(true).with_current_span(true).try_init()
    } else {
        builder.compact().try_init()
    };
    // A subscriber already installed (tests, a second call) is fine.
    let _ = result;
}

/// For tests: silent unless `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
        let _ = fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}
