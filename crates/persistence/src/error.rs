//! The storage layer's error.

use journeyd_domain::ValidationError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Why a repository call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist for this tenant (another tenant's object is
    /// reported the same way, so existence never leaks).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change clashes with stored state: a stale version, a key already
    /// taken, or an object still in use.
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule that needs stored state to check (e.g. a
    /// position beyond the end of the list).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    /// Any other database failure (a bug or an outage; never shown to clients).
    #[error("database error: {0}")]
    Database(DbErr),
    /// A stored value does not parse (a label this version does not know).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            StoreError::Unavailable(err)
        } else {
            StoreError::Database(err)
        }
    }
}

/// Whether `err` means the database cannot be reached right now (no free
/// connection, connection refused or lost, the server shutting down or
/// starting up) rather than that the statement itself failed.
fn is_unavailable(err: &DbErr) -> bool {
    if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    use sea_orm::sqlx::Error;
    match statement_error(err) {
        Some(
            Error::Io(_)
            | Error::Tls(_)
            | Error::Protocol(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed,
        ) => true,
        // SQLite busy (another process holds the write lock past the busy
        // timeout: an import, a rollup rebuild), in any of its extended
        // forms. PostgreSQL's class 08 (connection exception), and
        // 57P01..57P03 (administrator shutdown, crash shutdown, cannot
        // connect now).
        Some(Error::Database(db)) => {
            let code = db.code();
            if db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some()
            {
                code.and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(|code| code & 0xff == SQLITE_BUSY)
            } else {
                code.is_some_and(|code| code.starts_with("08") || code.starts_with("57P0"))
            }
        }
        _ => false,
    }
}

/// The driver's error behind a failed statement.
fn statement_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            Some(err)
        }
        _ => None,
    }
}

/// SQLite's primary result code for "the database is locked".
const SQLITE_BUSY: i32 = 5;

impl StoreError {
    /// Whether PostgreSQL aborted the transaction to resolve a deadlock
    /// (40P01) or for a serialization failure (40001): running it again
    /// from the start is safe and will most likely succeed.
    pub(crate) fn is_transient_conflict(&self) -> bool {
        let StoreError::Database(err) = self else {
            return false;
        };
        match statement_error(err) {
            Some(sea_orm::sqlx::Error::Database(db)) => db
                .code()
                .is_some_and(|code| matches!(&*code, "40P01" | "40001")),
            _ => false,
        }
    }

    /// A `Conflict` when `err` is a unique-key violation, else the plain conversion.
    pub(crate) fn unique_violation_as(err: DbErr, message: impl FnOnce() -> String) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(message()),
            _ => err.into(),
        }
    }
}

/// Turns a missing row into [`StoreError::NotFound`].
pub(crate) trait FoundExt<T> {
    /// The value, or `NotFound(kind)`.
    fn found(self, kind: &'static str) -> Result<T, StoreError>;
}

impl<T> FoundExt<T> for Option<T> {
    fn found(self, kind: &'static str) -> Result<T, StoreError> {
        self.ok_or(StoreError::NotFound(kind))
    }
}
