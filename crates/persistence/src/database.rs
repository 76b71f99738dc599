//! Opening the database (SQLite or PostgreSQL), migrating it and checking it.

use crate::StoreError;
use journeyd_migrations::{MigrationStatus, Migrator, MigratorTrait};
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
    /// answer as one statement would. PostgreSQL only (an exported
    /// snapshot); elsewhere one transaction. Extra transactions are taken
    /// only while the pool gives a connection at once and fewer than half
    /// of its connections are extra readers already (so readers waiting for
    /// one can never hold all of it), and only while the snapshot can be
    /// imported (a pooler may send the connection to another server);
    /// otherwise the read makes do with the ones it has.
    pub(crate) async fn shared_snapshot(
        &self,
        wanted: usize,
    ) -> Result<Vec<SnapshotReader>, StoreError> {
        use sea_orm::{AccessMode, IsolationLevel};
        let begin = || {
            self.conn.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
        };
        if self.backend() != Backend::Postgres {
            return Ok(vec![SnapshotReader::new(self.conn.begin().await?, None)]);
        }
        let first = begin().await?;
        if wanted < 2 || self.extra_readers.available_permits() == 0 {
            return Ok(vec![SnapshotReader::new(first, None)]);
        }
        let exported = first
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_export_snapshot()",
            ))
            .await;
        let id: String = match exported {
            Ok(Some(row)) => row.try_get_by_index(0)?,
            _ => {
                // The failed statement aborted the transaction: a new one.
                let _ = first.rollback().await;
                return Ok(vec![SnapshotReader::new(begin().await?, None)]);
            }
        };
        if !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::Corrupt(format!("snapshot id '{id}'")));
        }
        let mut readers = vec![SnapshotReader::new(first, None)];
        while readers.len() < wanted {
            let Ok(permit) = Arc::clone(&self.extra_readers).try_acquire_owned() else {
                break;
            };
            let Ok(Ok(txn)) = tokio::time::timeout(EXTRA_READER_WAIT, begin()).await else {
                break;
            };
            let import = format!("SET TRANSACTION SNAPSHOT '{id}'");
            if txn.execute_unprepared(&import).await.is_err() {
                break;
            }
            readers.push(SnapshotReader::new(txn, Some(permit)));
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
/// ([`Database::shared_snapshot`]). An extra one counts among the pool's
/// extra readers until it is dropped.
pub(crate) struct SnapshotReader {
    /// The transaction.
    pub(crate) txn: DatabaseTransaction,
    /// The place among the extra readers (none for the first), held until
    /// the reader is dropped.
    _place: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl SnapshotReader {
    fn new(txn: DatabaseTransaction, place: Option<tokio::sync::OwnedSemaphorePermit>) -> Self {
        Self { txn, _place: place }
    }

    /// Whether this is an extra reader.
    #[cfg(test)]
    fn is_extra(&self) -> bool {
        self._place.is_some()
    }
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
}

#[cfg(test)]
mod snapshot_tests {
    use crate::testing::{TestBackend, TestDatabase};
    use crate::{Backend, Store};
    use journeyd_domain::{Name, TenantSlug};
    use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement};

    async fn tenants(txn: &DatabaseTransaction) -> i64 {
        let sql =
            Statement::from_string(txn.get_database_backend(), "SELECT COUNT(*) FROM tenants");
        let row = txn.query_one_raw(sql).await.unwrap().unwrap();
        row.try_get_by_index(0).unwrap()
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
            let readers = test.database.shared_snapshot(3).await.unwrap();
            if test.database.backend() == Backend::Sqlite {
                // SQLite cannot share a snapshot: one transaction.
                assert_eq!(readers.len(), 1);
                continue;
            }
            assert_eq!(readers.len(), 3);
            assert!(!readers[0].is_extra() && readers[1].is_extra());
            let (slug, name) = tenant("after");
            store.create_tenant(slug, name).await.unwrap();
            for reader in &readers {
                assert_eq!(tenants(&reader.txn).await, 1);
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
}
