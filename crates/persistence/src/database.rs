//! Opening the database (SQLite or PostgreSQL), migrating it and checking it.

use crate::StoreError;
use journeyd_migrations::{MigrationStatus, Migrator, MigratorTrait};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgPool, Postgres};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which database engine is behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: the embedded default.
    Sqlite,
    /// PostgreSQL: the production database.
    Postgres,
}

/// How to open the connection pool.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// The most connections the pool holds.
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// SQLite: how long a writer waits for another process's write (an
    /// import, a rollup rebuild) before its call fails as unavailable.
    pub busy_timeout: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(30),
        }
    }
}

/// One migration and whether it has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// The migration's name.
    pub name: String,
    /// Whether it has been applied.
    pub applied: bool,
}

/// How the connection pool is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open (in use or idle).
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
    /// Write transactions run again since the pool was opened, after the
    /// database aborted them for a deadlock or a serialization failure.
    pub transactions_retried: u64,
}

/// A connection pool to journeyd's database, counting the statements it runs.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
    retried: Arc<AtomicU64>,
    max_connections: u32,
    /// Connections a read may take beyond its first ([`Database::shared_snapshot`]):
    /// half the pool, so readers waiting for a second connection can never
    /// hold all of it.
    extra_readers: Arc<tokio::sync::Semaphore>,
    /// SQLite: stops the background checkpointer when the last clone goes.
    checkpointer: Option<Arc<Checkpointer>>,
}

impl Database {
    /// Opens a pool to `url` (`sqlite://FILE?mode=rwc` or `postgres://...`).
    ///
    /// SQLite runs in WAL mode with foreign keys enforced and a busy timeout,
    /// so readers never block the writer and writers queue instead of failing;
    /// reads go through a memory map. Its checkpoints (copying the WAL into
    /// the database file and syncing it) run in the background
    /// ([`Checkpointer`]), not in the commit of whichever request crossed the
    /// WAL's size limit.
    pub async fn connect(url: &str, options: &DatabaseOptions) -> Result<Self, StoreError> {
        let busy_timeout = options.busy_timeout;
        let mut connect = ConnectOptions::new(url);
        connect
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.acquire_timeout)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(move |opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(busy_timeout)
                    // Memory-mapped reads share the operating system's page
                    // cache between connections instead of copying pages in
                    // with a system call per page.
                    .pragma("mmap_size", (1u64 << 30).to_string())
                    .pragma("cache_size", "-16384")
                    .pragma("temp_store", "memory")
                    // The background checkpointer keeps the WAL short; a
                    // commit checkpoints only if it falls far behind.
                    .pragma("wal_autocheckpoint", FALLBACK_CHECKPOINT_PAGES.to_string())
            });
        let mut conn = sea_orm::Database::connect(connect).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&statements);
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let checkpointer = match conn.get_database_backend() {
            DbBackend::Sqlite => Checkpointer::start(&conn).await?.map(Arc::new),
            _ => None,
        };
        Ok(Self {
            conn,
            statements,
            retried: Arc::new(AtomicU64::new(0)),
            max_connections: options.max_connections,
            extra_readers: Arc::new(tokio::sync::Semaphore::new(
                options.max_connections as usize / 2,
            )),
            checkpointer,
        })
    }

    /// The pool's connections right now.
    pub fn pool_status(&self) -> PoolStatus {
        let (open, idle) = match self.backend() {
            Backend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        PoolStatus {
            open,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max: self.max_connections,
            transactions_retried: self.retried.load(Ordering::Relaxed),
        }
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        match self.conn.get_database_backend() {
            DbBackend::Sqlite => Backend::Sqlite,
            _ => Backend::Postgres,
        }
    }

    /// How many SQL statements this pool has run since it was opened.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Applies every pending migration.
    pub async fn migrate_up(&self) -> Result<(), StoreError> {
        Migrator::up(&self.conn, None).await.map_err(Into::into)
    }

    /// Reverts the last `steps` applied migrations.
    pub async fn migrate_down(&self, steps: u32) -> Result<(), StoreError> {
        Migrator::down(&self.conn, Some(steps))
            .await
            .map_err(Into::into)
    }

    /// Every known migration and whether it is applied.
    pub async fn migration_status(&self) -> Result<Vec<MigrationState>, StoreError> {
        let migrations = Migrator::get_migration_with_status(&self.conn).await?;
        Ok(migrations
            .iter()
            .map(|m| MigrationState {
                name: m.name().to_owned(),
                applied: matches!(m.status(), MigrationStatus::Applied),
            })
            .collect())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.conn.ping().await.map_err(Into::into)
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) -> Result<(), StoreError> {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop().await;
        }
        self.conn.close_by_ref().await.map_err(Into::into)
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Up to `wanted` read-only transactions, on as many connections, that
    /// all see one snapshot of the database, so reads split among them
    /// answer as one statement would (PostgreSQL: an exported snapshot).
    /// Extra transactions are taken only while the pool gives a connection
    /// at once and fewer than half of its connections are extra readers
    /// already (so readers waiting for one can never hold all of it), and
    /// only while the snapshot can be imported (a pooler may send the
    /// connection to another server); otherwise the read makes do with the
    /// ones it has. SQLite cannot share a snapshot: an error there.
    pub(crate) async fn shared_snapshot(
        &self,
        wanted: usize,
    ) -> Result<Vec<SnapshotReader>, StoreError> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Database(sea_orm::DbErr::Custom(
                "a shared snapshot needs PostgreSQL".into(),
            )));
        }
        let pool = self.conn.get_postgres_connection_pool();
        let begin = |place| SnapshotReader::begin(pool, Arc::clone(&self.statements), place);
        let mut first = begin(None).await?;
        if wanted < 2 || self.extra_readers.available_permits() == 0 {
            return Ok(vec![first]);
        }
        let id = match first.query_text("SELECT pg_export_snapshot()").await {
            Ok(id) => id,
            Err(_) => {
                // The failed statement aborted the transaction: a new one.
                drop(first);
                return Ok(vec![begin(None).await?]);
            }
        };
        if !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::Corrupt(format!("snapshot id '{id}'")));
        }
        let mut readers = vec![first];
        while readers.len() < wanted {
            let Ok(place) = Arc::clone(&self.extra_readers).try_acquire_owned() else {
                break;
            };
            let Ok(Ok(mut reader)) =
                tokio::time::timeout(EXTRA_READER_WAIT, begin(Some(place))).await
            else {
                break;
            };
            if reader
                .execute(&format!("SET TRANSACTION SNAPSHOT '{id}'"))
                .await
                .is_err()
            {
                break;
            }
            readers.push(reader);
        }
        Ok(readers)
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout
    /// instead of one failing when it upgrades from reading to writing.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.conn.begin_with_options(options).await?)
    }

    /// Whether a write transaction that failed with `err` on its
    /// `attempt`-th run (counting from 1) should run again (see
    /// [`in_write_transaction!`]), after a short pause that grows with
    /// `attempt` and varies between calls, so that calls that collided do
    /// not collide again in step.
    pub(crate) async fn run_again(&self, err: &StoreError, attempt: u32) -> bool {
        let again = err.is_transient_conflict() && attempt < WRITE_ATTEMPTS;
        if again {
            self.retried.fetch_add(1, Ordering::Relaxed);
            tracing::info!(attempt, error = %err, "transaction aborted by the database, running it again");
            let jitter = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() % 5_000);
            let pause = Duration::from_micros(u64::from(attempt * 2_000 + jitter));
            tokio::time::sleep(pause).await;
        }
        again
    }
}

/// How long a read waits for an extra connection of a shared snapshot
/// before it goes on with the ones it has.
const EXTRA_READER_WAIT: Duration = Duration::from_millis(100);

/// One read-only transaction of a shared snapshot
/// ([`Database::shared_snapshot`]), on a PostgreSQL connection of its own,
/// read through the driver directly, since a `COPY` has no place in the
/// ORM. An extra one counts among the pool's extra readers until it is
/// dropped. Dropped before [`SnapshotReader::finish`] (an error, a
/// cancelled request), its connection is closed rather than given back to
/// the pool, since a `COPY` may still be streaming into it; closing it ends
/// the transaction.
pub(crate) struct SnapshotReader {
    conn: PoolConnection<Postgres>,
    finished: bool,
    /// The pool's statement counter.
    statements: Arc<AtomicU64>,
    /// The place among the extra readers (none for the first), held until
    /// the reader is dropped.
    _place: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl SnapshotReader {
    /// A connection from `pool` in a new read-only, repeatable-read
    /// transaction.
    async fn begin(
        pool: &PgPool,
        statements: Arc<AtomicU64>,
        place: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<Self, StoreError> {
        let conn = pool.acquire().await.map_err(driver_error)?;
        let mut reader = Self {
            conn,
            finished: false,
            statements,
            _place: place,
        };
        reader
            .execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        Ok(reader)
    }

    /// Runs `sql`.
    async fn execute(&mut self, sql: &str) -> Result<(), StoreError> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
            .execute(&mut *self.conn)
            .await
            .map_err(driver_error)?;
        Ok(())
    }

    /// The one text value `sql` returns.
    async fn query_text(&mut self, sql: &'static str) -> Result<String, StoreError> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        sea_orm::sqlx::query_scalar(sql)
            .fetch_one(&mut *self.conn)
            .await
            .map_err(driver_error)
    }

    /// Runs `COPY (select) TO STDOUT` and hands each row, in PostgreSQL's
    /// text format without its line end, to `row`.
    pub(crate) async fn copy_rows(
        &mut self,
        select: &str,
        mut row: impl FnMut(&[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use futures_util::StreamExt;
        self.statements.fetch_add(1, Ordering::Relaxed);
        let mut chunks = self
            .conn
            .copy_out_raw(&format!("COPY ({select}) TO STDOUT"))
            .await
            .map_err(driver_error)?;
        // PostgreSQL sends a row per message, but nothing promises it.
        let mut partial = Vec::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(driver_error)?;
            let mut rest = &chunk[..];
            while let Some(end) = memchr::memchr(b'\n', rest) {
                if partial.is_empty() {
                    row(&rest[..end])?;
                } else {
                    partial.extend_from_slice(&rest[..end]);
                    row(&partial)?;
                    partial.clear();
                }
                rest = &rest[end + 1..];
            }
            partial.extend_from_slice(rest);
        }
        if partial.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Corrupt(
                "a COPY row without its line end".into(),
            ))
        }
    }

    /// Ends the transaction and gives the connection back to the pool.
    pub(crate) async fn finish(mut self) -> Result<(), StoreError> {
        self.execute("COMMIT").await?;
        self.finished = true;
        Ok(())
    }

    /// Whether this is an extra reader.
    #[cfg(test)]
    fn is_extra(&self) -> bool {
        self._place.is_some()
    }
}

impl Drop for SnapshotReader {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.close_on_drop();
        }
    }
}

/// A driver error as the ORM reports it, so that it is classified the same
/// way (an outage or a failed statement).
fn driver_error(err: sea_orm::sqlx::Error) -> StoreError {
    sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(Arc::new(err))).into()
}

/// Evaluates `$work` (an expression of type `Result<T, StoreError>` that
/// uses the transaction `$txn`) in a write transaction
/// ([`Database::begin_write`]) and commits it.
///
/// When PostgreSQL aborts the transaction to break a deadlock or for a
/// serialization failure, nothing of it is stored, and `$work` runs again
/// on a fresh transaction, up to [`WRITE_ATTEMPTS`] times in all. Writers
/// that lock customers take them in external-id order
/// (`ingest::ensure_customers`), so they should not deadlock each other;
/// this is the safety net for any order that does cross. (A macro, not a
/// method taking a closure: the futures of closures that borrow the
/// transaction cannot be shown to be `Send`.)
macro_rules! in_write_transaction {
    ($db:expr, |$txn:ident| $work:expr) => {{
        let db: &$crate::Database = $db;
        let mut attempt = 1;
        loop {
            let $txn = db.begin_write().await?;
            let result: Result<_, $crate::StoreError> = match $work {
                Ok(value) => $txn.commit().await.map(|()| value).map_err(Into::into),
                Err(err) => {
                    // The error is what counts; a failed rollback closes
                    // the connection instead of returning it to the pool.
                    let _ = $txn.rollback().await;
                    Err(err)
                }
            };
            match result {
                Err(err) if db.run_again(&err, attempt).await => attempt += 1,
                other => break other,
            }
        }
    }};
}
pub(crate) use in_write_transaction;

/// How many times [`in_write_transaction!`] runs a transaction that the database
/// keeps aborting for deadlocks or serialization failures.
pub(crate) const WRITE_ATTEMPTS: u32 = 5;

/// How many WAL pages (4 KiB) a SQLite commit lets pile up before it
/// checkpoints itself: only when the background checkpointer falls behind.
const FALLBACK_CHECKPOINT_PAGES: u32 = 16_384;

/// How often the background checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// SQLite's WAL checkpoints, run by a task of their own on a connection of
/// their own.
///
/// With SQLite's default, the commit that pushes the WAL past 1000 pages
/// copies it into the database file and waits for two `fsync`s: that
/// request pays for all the writes before it (a third of a 1000-event ingest
/// call, BENCHMARKS.md). Here a task runs a passive checkpoint five times a
/// second instead; it never waits for readers or the writer, and commits go
/// on while it runs. Durability is unchanged: in WAL mode with
/// `synchronous = NORMAL` a commit is in the WAL before it is answered,
/// whoever checkpoints it later. The task stops when the pool is dropped.
struct Checkpointer {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts the task on its own connection; none unless the database is
    /// in WAL mode (an in-memory database is not).
    async fn start(pool_conn: &DatabaseConnection) -> Result<Option<Self>, StoreError> {
        use sea_orm::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
        let journal_mode = pool_conn
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await?
            .map(|row| row.try_get_by_index::<String>(0))
            .transpose()?;
        if !journal_mode.is_some_and(|mode| mode.eq_ignore_ascii_case("wal")) {
            return Ok(None);
        }
        let options = pool_conn.get_sqlite_connection_pool().connect_options();
        let mut conn = options
            .as_ref()
            .clone()
            .disable_statement_logging()
            .connect()
            .await
            .map_err(|e| sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    // Told to stop, or the pool (and the sender) is gone.
                    _ = stopped.changed() => break,
                    _ = tick.tick() => {}
                }
                if let Err(err) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                    tracing::warn!(error = %err, "background WAL checkpoint failed");
                }
            }
            let _ = conn.close().await;
        });
        Ok(Some(Self {
            stop,
            task: tokio::sync::Mutex::new(Some(task)),
        }))
    }

    /// Stops the task and waits until its connection is closed, so that
    /// the pool's last connection to close is the database's last: SQLite
    /// then checkpoints the whole WAL into the database file and removes it.
    async fn stop(&self) {
        // The task finishes the checkpoint under way.
        let _ = self.stop.send(true);
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

impl Database {
    /// Runs one SQL statement as written (administration and tests only).
    pub async fn execute_unprepared(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_unprepared(sql).await?;
        Ok(())
    }

    /// The first column, as text, of each row a query answers
    /// (administration and tests only).
    pub async fn query_texts(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        let statement = sea_orm::Statement::from_string(self.conn.get_database_backend(), sql);
        let rows = self.conn.query_all_raw(statement).await?;
        let texts = rows
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        Ok(texts)
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::SnapshotReader;
    use crate::testing::{TestBackend, TestDatabase};
    use crate::{Backend, Store};
    use journeyd_domain::{Name, TenantSlug};

    async fn tenants(reader: &mut SnapshotReader) -> i64 {
        let mut count = None;
        reader
            .copy_rows("SELECT COUNT(*) FROM tenants", |row| {
                count = std::str::from_utf8(row).ok().and_then(|n| n.parse().ok());
                Ok(())
            })
            .await
            .unwrap();
        count.unwrap()
    }

    /// The transactions of a shared snapshot see the database as it was
    /// when the first began, not a write committed after it; so reads
    /// split among them answer as one statement.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_snapshot_is_one_snapshot() {
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            let Some(test) = TestDatabase::create(backend).await else {
                continue;
            };
            let store = Store::new(test.database.clone());
            let tenant = |slug: &str| {
                (
                    TenantSlug::parse(slug).unwrap(),
                    Name::parse("name", "A tenant").unwrap(),
                )
            };
            let (slug, name) = tenant("before");
            store.create_tenant(slug, name).await.unwrap();
            if test.database.backend() == Backend::Sqlite {
                // SQLite cannot share a snapshot.
                assert!(test.database.shared_snapshot(3).await.is_err());
                continue;
            }
            let mut readers = test.database.shared_snapshot(3).await.unwrap();
            assert_eq!(readers.len(), 3);
            assert!(!readers[0].is_extra() && readers[1].is_extra());
            let (slug, name) = tenant("after");
            store.create_tenant(slug, name).await.unwrap();
            for reader in &mut readers {
                assert_eq!(tenants(reader).await, 1);
            }
            // Half the pool (8), four, may be extra readers: while these
            // hold two, another read gets two more, then none.
            let second = test.database.shared_snapshot(100).await.unwrap();
            assert_eq!(second.len(), 3);
            let third = test.database.shared_snapshot(100).await.unwrap();
            assert_eq!(third.len(), 1);
            drop((readers, second, third));
            let wide = test.database.shared_snapshot(100).await.unwrap();
            assert_eq!(wide.len(), 5);
        }
    }

    /// A reader that stops in the middle of a `COPY` (an error, a cancelled
    /// request) closes its connection instead of giving it back to the
    /// pool with its transaction open and rows in flight: the next reader
    /// sees what was committed after it stopped.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_stopped_in_a_copy_leaves_the_pool_sound() {
        let Some(test) = TestDatabase::create(TestBackend::Postgres).await else {
            return;
        };
        let store = Store::new(test.database.clone());
        // A pool of one: the next reader gets the stopped reader's
        // connection back unless it was closed.
        let options = crate::DatabaseOptions {
            max_connections: 1,
            ..Default::default()
        };
        let single = crate::Database::connect(&test.url, &options).await.unwrap();
        for round in 1..=3 {
            let mut readers = single.shared_snapshot(1).await.unwrap();
            let mut reader = readers.pop().unwrap();
            let mut rows = 0;
            let stopped = reader
                .copy_rows("SELECT generate_series(1, 100000)", |_| {
                    rows += 1;
                    match rows {
                        10 => Err(crate::StoreError::Corrupt("stop".into())),
                        _ => Ok(()),
                    }
                })
                .await;
            assert!(stopped.is_err());
            drop(reader);
            let slug = TenantSlug::parse(&format!("round-{round}")).unwrap();
            store
                .create_tenant(slug, Name::parse("name", "A tenant").unwrap())
                .await
                .unwrap();
            let mut readers = single.shared_snapshot(1).await.unwrap();
            assert_eq!(tenants(&mut readers[0]).await, round);
            readers.pop().unwrap().finish().await.unwrap();
        }
    }
}
