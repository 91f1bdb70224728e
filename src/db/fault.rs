//! What a database error means for the client and the operator, decided by the error's
//! type and the database's own codes (SQLSTATE on PostgreSQL, result codes on SQLite),
//! never by its message text.

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// The kind of a database failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The database cannot be reached or did not answer in time (connection refused or
    /// lost, pool timeout, statement timeout, the server shutting down, too busy).
    Unreachable,
    /// No space left: writes fail, reads go on (SQLITE_FULL, PostgreSQL 53100).
    OutOfSpace,
    /// The database refuses writes (a read-only file or standby).
    ReadOnly,
    /// The database's files are damaged.
    Corrupt,
    /// Anything else: a bug, a constraint, a malformed statement.
    Other,
}

/// SQLite's primary result codes (the low byte of an extended code).
mod sqlite {
    pub const BUSY: u32 = 5;
    pub const LOCKED: u32 = 6;
    pub const READONLY: u32 = 8;
    pub const IOERR: u32 = 10;
    pub const CORRUPT: u32 = 11;
    pub const FULL: u32 = 13;
    pub const CANTOPEN: u32 = 14;
    pub const NOTADB: u32 = 26;
}

fn of_sqlx(e: &sqlx::Error) -> Fault {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Fault::Unreachable,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else { return Fault::Other };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                let primary = code.parse::<u32>().map(|c| c & 0xff).unwrap_or(0);
                return match primary {
                    sqlite::FULL => Fault::OutOfSpace,
                    sqlite::READONLY => Fault::ReadOnly,
                    sqlite::CORRUPT | sqlite::NOTADB => Fault::Corrupt,
                    sqlite::BUSY | sqlite::LOCKED | sqlite::IOERR | sqlite::CANTOPEN => Fault::Unreachable,
                    _ => Fault::Other,
                };
            }
            // PostgreSQL SQLSTATE.
            match code.as_ref() {
                "53100" => Fault::OutOfSpace,
                "25006" => Fault::ReadOnly,
                "XX001" | "XX002" => Fault::Corrupt,
                c if c.starts_with("08") => Fault::Unreachable,
                "57P01" | "57P02" | "57P03" | "57014" | "53200" | "53300" | "55P03" => Fault::Unreachable,
                _ => Fault::Other,
            }
        }
        _ => Fault::Other,
    }
}

/// Classifies a database error.
pub fn classify(e: &DbErr) -> Fault {
    match e {
        DbErr::ConnectionAcquire(_) => Fault::Unreachable,
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => of_sqlx(s),
        _ => Fault::Other,
    }
}
