//! Test support: a fresh, migrated database per test, on SQLite (a new file)
//! or on PostgreSQL (a new schema in the database named by
//! [`POSTGRES_URL_VAR`]), so tests never share rows.

use crate::{Database, DatabaseOptions};
use std::io::Write;

/// The environment variable that points the PostgreSQL test suites at a
/// database; without it they are skipped with a message.
pub const POSTGRES_URL_VAR: &str = "JOURNEYD_TEST_DATABASE_URL";

/// The database engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new schema in the PostgreSQL database of [`POSTGRES_URL_VAR`].
    Postgres,
}

/// A fresh, migrated database that lives as long as the value.
pub struct TestDatabase {
    /// The URL that reaches exactly this database (give it to a server).
    pub url: String,
    /// An open pool to it.
    pub database: Database,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database on `backend`, or `None` when PostgreSQL is not
    /// configured (a message says the test was skipped).
    pub async fn create(backend: TestBackend) -> Option<Self> {
        match backend {
            TestBackend::Sqlite => Some(Self::sqlite().await),
            TestBackend::Postgres => Self::postgres().await,
        }
    }

    /// A fresh SQLite database file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the test database");
        let path = dir.path().join("journeyd-test.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let database = open_migrated(&url).await;
        Self {
            url,
            database,
            _dir: Some(dir),
        }
    }

    /// A fresh schema in the configured PostgreSQL database, or `None` (with a
    /// message on the terminal) when [`POSTGRES_URL_VAR`] is not set.
    pub async fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
            // Written straight to stderr: the test harness captures print
            // macros, and this message must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED on PostgreSQL: set {POSTGRES_URL_VAR} to run this test there"
            );
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(&base, &DatabaseOptions::default())
            .await
            .expect("connect to the PostgreSQL test database");
        admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .expect("create a test schema");
        admin.close().await.expect("close the admin connection");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        let database = open_migrated(&url).await;
        Some(Self {
            url,
            database,
            _dir: None,
        })
    }
}

/// Holds writes to a table back until dropped (SQLite: the database write
/// lock; PostgreSQL: a table lock), to make a request that writes there slow
/// on purpose.
pub struct WriteBlock {
    _transaction: sea_orm::DatabaseTransaction,
}

impl TestDatabase {
    /// Blocks writes to `table` (on SQLite: to every table) until the
    /// returned value is dropped. Reads go on.
    pub async fn block_writes(&self, table: &str) -> WriteBlock {
        let transaction = self
            .database
            .begin_write()
            .await
            .expect("begin a blocking transaction");
        if self.database.backend() == crate::Backend::Postgres {
            use sea_orm::ConnectionTrait;
            transaction
                .execute_unprepared(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
                .await
                .expect("lock the table");
        }
        WriteBlock {
            _transaction: transaction,
        }
    }

    /// A write transaction of the test's own, to interleave with the
    /// service's: statements run on it with `execute_unprepared`.
    pub async fn begin(&self) -> sea_orm::DatabaseTransaction {
        self.database
            .begin_write()
            .await
            .expect("begin a test transaction")
    }
}

async fn open_migrated(url: &str) -> Database {
    let options = DatabaseOptions {
        max_connections: 8,
        ..DatabaseOptions::default()
    };
    let database = Database::connect(url, &options)
        .await
        .expect("open the test database");
    database
        .migrate_up()
        .await
        .expect("migrate the test database");
    database
}

/// Declares tests that run once on SQLite and once on PostgreSQL: for each
/// `name`, an `async fn name(fixture)` must exist, and `setup` (a function in the same module) is an
/// `async fn(TestBackend) -> Option<Fixture>`.
#[macro_export]
macro_rules! on_both_databases {
    ($setup:ident => $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let fixture = super::$setup($crate::testing::TestBackend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    super::$name(fixture).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(fixture) = super::$setup($crate::testing::TestBackend::Postgres).await {
                        super::$name(fixture).await
                    }
                }
            }
        )+
    };
}

/// One interaction for the plain-INSERT baseline of the ingest benchmark.
#[derive(Debug, Clone)]
pub struct PlainInteraction {
    /// Its external id.
    pub external_id: String,
    /// Its customer's id (the customer row is inserted with it if new).
    pub customer_id: uuid::Uuid,
    /// Its customer's external id.
    pub customer_external_id: String,
    /// Whether this is the customer's first interaction (insert the customer).
    pub new_customer: bool,
    /// The journey.
    pub journey_id: uuid::Uuid,
    /// The touchpoint.
    pub touchpoint_id: uuid::Uuid,
    /// When, in microseconds since the epoch.
    pub occurred_at_us: i64,
    /// Sentiment.
    pub sentiment: Option<i16>,
    /// Rating.
    pub rating: Option<i16>,
    /// NPS answer.
    pub nps: Option<i16>,
    /// Value in 1/10,000 units and its currency.
    pub value: Option<(i64, String)>,
    /// Properties.
    pub properties: Option<serde_json::Value>,
}

impl crate::Store {
    /// The database's own limit for storing a batch: new customers and the
    /// interactions with one multi-row INSERT each, no checks, no rollups,
    /// no transaction around them (the ingest benchmark's baseline).
    pub async fn insert_plain(
        &self,
        tenant: journeyd_domain::TenantId,
        rows: &[PlainInteraction],
    ) -> Result<(), crate::StoreError> {
        use crate::entity::{customer, interaction};
        use sea_orm::ConnectionTrait;
        use sea_orm::sea_query::Query;
        let conn = self.database().conn();
        let t = tenant.uuid();
        let at = chrono::Utc::now();
        let new_customers: Vec<&PlainInteraction> =
            rows.iter().filter(|r| r.new_customer).collect();
        if !new_customers.is_empty() {
            let mut insert = Query::insert();
            insert.into_table(customer::Entity).columns([
                customer::Column::TenantId,
                customer::Column::Id,
                customer::Column::ExternalId,
                customer::Column::PersonaId,
                customer::Column::Attributes,
                customer::Column::CreatedAt,
                customer::Column::UpdatedAt,
            ]);
            for row in new_customers {
                insert.values_panic([
                    t.into(),
                    row.customer_id.into(),
                    row.customer_external_id.clone().into(),
                    Option::<uuid::Uuid>::None.into(),
                    serde_json::json!({}).into(),
                    at.into(),
                    at.into(),
                ]);
            }
            conn.execute(&insert).await?;
        }
        use interaction::Column as I;
        let mut insert = Query::insert();
        insert.into_table(interaction::Entity).columns([
            I::TenantId,
            I::ExternalId,
            I::CustomerId,
            I::JourneyId,
            I::TouchpointId,
            I::OccurredAt,
            I::Sentiment,
            I::Rating,
            I::Nps,
            I::ValueScaled,
            I::ValueCurrency,
            I::Properties,
            I::ContentHash,
            I::RecordedAt,
        ]);
        for row in rows {
            insert.values_panic([
                t.into(),
                row.external_id.clone().into(),
                row.customer_id.into(),
                row.journey_id.into(),
                row.touchpoint_id.into(),
                row.occurred_at_us.into(),
                row.sentiment.into(),
                row.rating.into(),
                row.nps.into(),
                row.value.as_ref().map(|v| v.0).into(),
                row.value.as_ref().map(|v| v.1.clone()).into(),
                sea_orm::Value::Json(row.properties.clone().map(Box::new)).into(),
                0i64.into(),
                at.into(),
            ]);
        }
        conn.execute(&insert).await?;
        Ok(())
    }
}

impl crate::Store {
    /// The external ids of every interaction stored for `tenant` (for
    /// checkers that compare acknowledgements with stored rows).
    pub async fn interaction_external_ids(
        &self,
        tenant: journeyd_domain::TenantId,
    ) -> Result<Vec<String>, crate::StoreError> {
        use crate::entity::interaction;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
        Ok(interaction::Entity::find()
            .select_only()
            .column(interaction::Column::ExternalId)
            .filter(interaction::Column::TenantId.eq(tenant.uuid()))
            .into_tuple::<String>()
            .all(self.database().conn())
            .await?)
    }
}

/// A tenant's journey map made by [`Store::seed_journey`].
#[derive(Debug, Clone)]
pub struct SeededJourney {
    /// The new tenant.
    pub tenant: journeyd_domain::TenantId,
    /// Its journey.
    pub journey: journeyd_domain::JourneyId,
    /// Its web channel.
    pub channel: journeyd_domain::ChannelId,
    /// The touchpoints, phase by phase (`per_phase` each, in key order).
    pub touchpoints: Vec<journeyd_domain::TouchpointId>,
}

/// A plain touchpoint `tp-{phase}-{n}` for the seeding helpers.
fn seed_touchpoint(
    phase: journeyd_domain::PhaseId,
    channel: journeyd_domain::ChannelId,
    (p, t): (usize, usize),
    is_conversion: bool,
) -> Result<journeyd_domain::NewTouchpoint, journeyd_domain::ValidationError> {
    use journeyd_domain::*;
    Ok(NewTouchpoint {
        phase_id: phase,
        channel_id: channel,
        key: TouchpointKey::parse(&format!("tp-{p}-{t}"))?,
        name: Name::parse("name", &format!("Touchpoint {p}.{t}"))?,
        description: None,
        owner: None,
        goal: None,
        kpi: None,
        sentiment: None,
        is_conversion,
    })
}

impl crate::Store {
    /// A new tenant `slug` with one journey on `template`, a web channel, and
    /// `per_phase` touchpoints in every phase, keyed `tp-{phase}-{n}` (phase
    /// and n from 0); those of `conversion_phase` are conversion points.
    pub async fn seed_journey(
        &self,
        slug: &str,
        template: journeyd_domain::JourneyTemplate,
        per_phase: usize,
        conversion_phase: Option<usize>,
    ) -> Result<SeededJourney, crate::StoreError> {
        use journeyd_domain::*;
        let name = |text: &str| Name::parse("name", text);
        let tenant = self
            .create_tenant(TenantSlug::parse(slug)?, name(slug)?)
            .await?
            .id;
        let journey = self
            .create_journey(
                tenant,
                NewJourney {
                    name: name("Webshop")?,
                    description: None,
                    goal: None,
                    state: JourneyState::Current,
                    status: JourneyStatus::Active,
                    template,
                },
                &[],
            )
            .await?
            .id;
        let channel = self
            .create_channel(
                tenant,
                NewChannel {
                    name: name("Web")?,
                    kind: ChannelKind::Web,
                    description: None,
                },
            )
            .await?
            .id;
        let mut touchpoints = Vec::new();
        let phases = self.phases_of_journeys(tenant, &[journey]).await?;
        for (p, phase) in phases.iter().enumerate() {
            for t in 0..per_phase {
                let touchpoint =
                    seed_touchpoint(phase.id, channel, (p, t), conversion_phase == Some(p))?;
                touchpoints.push(self.create_touchpoint(tenant, touchpoint, None).await?.id);
            }
        }
        Ok(SeededJourney {
            tenant,
            journey,
            channel,
            touchpoints,
        })
    }
}

impl crate::Store {
    /// A journey map for load tests: `phases` phases, each with a trigger and
    /// three touchpoints (web, email, store channels) that carry an insight,
    /// and two personas linked to the journey. `label` keeps names unique.
    pub async fn seed_map(
        &self,
        tenant: journeyd_domain::TenantId,
        label: &str,
        phases: usize,
    ) -> Result<journeyd_domain::JourneyId, crate::StoreError> {
        use journeyd_domain::*;
        let name = |text: &str| Name::parse("name", text);
        let mut personas = Vec::new();
        for i in 0..2 {
            let persona = NewPersona {
                name: name(&format!("Persona {label}-{i}"))?,
                description: None,
                demographics: vec![],
                goals: vec![],
                frustrations: vec![],
                motivations: vec![],
                preferred_channels: vec![ChannelKind::Web],
            };
            personas.push(self.create_persona(tenant, persona).await?.id);
        }
        let journey = NewJourney {
            name: name(&format!("Map {label}"))?,
            description: None,
            goal: None,
            state: JourneyState::Current,
            status: JourneyStatus::Active,
            template: JourneyTemplate::Empty,
        };
        let journey = self.create_journey(tenant, journey, &personas).await?.id;
        let mut channels = Vec::new();
        for kind in [ChannelKind::Web, ChannelKind::Email, ChannelKind::Store] {
            let channel = NewChannel {
                name: name(&format!("{kind} {label}"))?,
                kind,
                description: None,
            };
            channels.push(self.create_channel(tenant, channel).await?.id);
        }
        for p in 0..phases {
            let phase = NewPhase {
                name: name(&format!("Phase {p}"))?,
                stage: Stage::Consideration,
                description: None,
                customer_goals: vec![],
                questions: vec![],
                expected_emotion: None,
            };
            let phase = self.add_phase(tenant, journey, phase, None).await?.id;
            let trigger = NewTrigger {
                phase_id: Some(phase),
                name: name(&format!("Trigger {p}"))?,
                description: None,
                kind: TriggerKind::Reminder,
            };
            self.create_trigger(tenant, journey, trigger).await?;
            for (t, channel) in channels.iter().enumerate() {
                let touchpoint = seed_touchpoint(phase, *channel, (p, t), false)?;
                let touchpoint = self.create_touchpoint(tenant, touchpoint, None).await?.id;
                let insight = NewInsight {
                    target: InsightTarget::Touchpoint(touchpoint),
                    kind: InsightKind::Finding,
                    title: name(&format!("Finding {p}.{t}"))?,
                    description: None,
                    severity: Severity::Low,
                    source: None,
                };
                self.create_insight(tenant, journey, insight).await?;
            }
        }
        Ok(journey)
    }

    /// The read-path benchmark's baseline: the data of the nested
    /// journey-map query read with the fewest plain SQL statements (the
    /// journey with its phases, touchpoints with their channels, insights,
    /// triggers, personas: five), each row's columns decoded, nothing else.
    /// Returns the rows read.
    pub async fn read_map_plain(
        &self,
        tenant: journeyd_domain::TenantId,
        journey: journeyd_domain::JourneyId,
    ) -> Result<usize, crate::StoreError> {
        use Column::{Int, Json, OptUuid, Text, Uuid};
        use sea_orm::{ConnectionTrait, Statement};
        /// How a column decodes.
        #[derive(Clone, Copy)]
        enum Column {
            Text,
            Int,
            Uuid,
            OptUuid,
            Json,
        }
        const STATEMENTS: [(&str, &[Column]); 5] = [
            (
                "SELECT j.name, p.id, p.name, p.position FROM journeys j \
                 JOIN phases p ON p.tenant_id = j.tenant_id AND p.journey_id = j.id \
                 WHERE j.tenant_id = $1 AND j.id = $2 ORDER BY p.position",
                &[Text, Uuid, Text, Int],
            ),
            (
                "SELECT t.phase_id, t.key, t.name, c.name, c.kind FROM touchpoints t \
                 JOIN channels c ON c.tenant_id = t.tenant_id AND c.id = t.channel_id \
                 WHERE t.tenant_id = $1 AND t.journey_id = $2 ORDER BY t.phase_id, t.position",
                &[Uuid, Text, Text, Text, Text],
            ),
            (
                "SELECT phase_id, touchpoint_id, title, severity FROM insights \
                 WHERE tenant_id = $1 AND journey_id = $2",
                &[OptUuid, OptUuid, Text, Text],
            ),
            (
                "SELECT phase_id, name, kind FROM triggers WHERE tenant_id = $1 AND journey_id = $2",
                &[OptUuid, Text, Text],
            ),
            (
                "SELECT p.name, p.preferred_channels FROM journey_personas jp \
                 JOIN personas p ON p.tenant_id = jp.tenant_id AND p.id = jp.persona_id \
                 WHERE jp.tenant_id = $1 AND jp.journey_id = $2",
                &[Text, Json],
            ),
        ];
        let conn = self.database().conn();
        let backend = conn.get_database_backend();
        let mut rows_read = 0;
        for (sql, columns) in STATEMENTS {
            let sql = match self.database().backend() {
                crate::Backend::Postgres => sql.to_owned(),
                crate::Backend::Sqlite => sql.replace('$', "?"),
            };
            let statement = Statement::from_sql_and_values(
                backend,
                sql,
                [tenant.uuid().into(), journey.uuid().into()],
            );
            for row in conn.query_all_raw(statement).await? {
                for (i, column) in columns.iter().enumerate() {
                    let decoded = match column {
                        Text => row.try_get_by_index::<String>(i).map(drop),
                        Int => row.try_get_by_index::<i32>(i).map(drop),
                        Uuid => row.try_get_by_index::<uuid::Uuid>(i).map(drop),
                        OptUuid => row.try_get_by_index::<Option<uuid::Uuid>>(i).map(drop),
                        Json => row.try_get_by_index::<serde_json::Value>(i).map(drop),
                    };
                    decoded?;
                }
                rows_read += 1;
            }
        }
        Ok(rows_read)
    }
}

/// The dashboard figures computed straight from raw interactions by
/// [`Store::dashboard_raw`] (the metrics benchmark's baseline).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawDashboard {
    /// Funnel: customers reaching each phase, in order.
    pub funnel: Vec<u64>,
    /// Emotion curve: interactions per phase, in order.
    pub phase_interactions: Vec<u64>,
    /// Channel mix: interactions per (phase, channel) pair with any.
    pub channel_cells: u64,
    /// Summary: customers and interactions in the range.
    pub customers: u64,
    /// Summary: interactions in the range.
    pub interactions: u64,
    /// Summary: customers with exactly one interaction in the range.
    pub bounced: u64,
    /// Summary: the repeat rate (none when no first conversion lies in the
    /// range).
    pub repeat_rate: Option<f64>,
}

impl crate::Store {
    /// What a benchmark loaded into `tenant` earlier: its one journey, and
    /// how many customers and interactions the tenant holds.
    pub async fn loaded_journey(
        &self,
        tenant: journeyd_domain::TenantId,
    ) -> Result<(journeyd_domain::JourneyId, u64, u64), crate::StoreError> {
        use crate::entity::{customer, interaction, journey};
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
        let conn = self.database().conn();
        let t = tenant.uuid();
        let journeys: Vec<uuid::Uuid> = journey::Entity::find()
            .select_only()
            .column(journey::Column::Id)
            .filter(journey::Column::TenantId.eq(t))
            .into_tuple()
            .all(conn)
            .await?;
        let [journey] = journeys[..] else {
            return Err(crate::StoreError::Corrupt(format!(
                "a benchmark tenant with {} journeys, not one",
                journeys.len()
            )));
        };
        let customers = customer::Entity::find()
            .filter(customer::Column::TenantId.eq(t))
            .count(conn)
            .await?;
        let interactions = interaction::Entity::find()
            .filter(interaction::Column::TenantId.eq(t))
            .count(conn)
            .await?;
        Ok((
            journeyd_domain::JourneyId::from_uuid(journey),
            customers,
            interactions,
        ))
    }

    /// The dashboard (funnel, emotion curve, channel mix, summary) of
    /// `journey` over `[from_us, to_us)` computed by straightforward SQL over
    /// the raw interactions, no rollups: per-touchpoint aggregates, per
    /// phase × channel aggregates, the summary's counts, and each entering
    /// customer's funnel chain (one grouped join per phase), finished in
    /// Rust where SQL has no portable form (the conversion window).
    pub async fn dashboard_raw(
        &self,
        tenant: journeyd_domain::TenantId,
        journey: journeyd_domain::JourneyId,
        (from_us, to_us): (i64, i64),
        window_us: i64,
    ) -> Result<RawDashboard, crate::StoreError> {
        use sea_orm::{ConnectionTrait, Statement, Value};
        let conn = self.database().conn();
        let backend = conn.get_database_backend();
        let sqlite = self.database().backend() == crate::Backend::Sqlite;
        let sql = |text: String| if sqlite { text.replace('$', "?") } else { text };
        let base: Vec<Value> = vec![
            tenant.uuid().into(),
            journey.uuid().into(),
            from_us.into(),
            to_us.into(),
        ];
        let phases: Vec<uuid::Uuid> = self
            .phases_of_journeys(tenant, &[journey])
            .await?
            .iter()
            .map(|p| p.id.uuid())
            .collect();
        let in_range =
            "i.tenant_id = $1 AND i.journey_id = $2 AND i.occurred_at >= $3 AND i.occurred_at < $4";
        let mut dashboard = RawDashboard::default();

        // Emotion curve: per touchpoint, rolled up per phase.
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql(format!(
                    "SELECT t.phase_id, count(*), count(i.sentiment), avg(i.sentiment), \
                     sum(CASE WHEN i.sentiment > 0 THEN 1 ELSE 0 END), avg(i.rating), \
                     sum(CASE WHEN i.rating >= 4 THEN 1 ELSE 0 END), count(i.rating), \
                     sum(CASE WHEN i.nps >= 9 THEN 1 ELSE 0 END), count(i.nps) \
                     FROM interactions i JOIN touchpoints t \
                     ON t.tenant_id = i.tenant_id AND t.id = i.touchpoint_id \
                     WHERE {in_range} GROUP BY t.phase_id, i.touchpoint_id"
                )),
                base.clone(),
            ))
            .await?;
        let mut per_phase = vec![0u64; phases.len()];
        for row in rows {
            let phase: uuid::Uuid = row.try_get_by_index(0)?;
            let count: i64 = row.try_get_by_index(1)?;
            if let Some(p) = phases.iter().position(|id| *id == phase) {
                per_phase[p] += count as u64;
            }
        }
        dashboard.phase_interactions = per_phase;

        // Channel mix.
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql(format!(
                    "SELECT t.phase_id, t.channel_id, count(*), avg(i.sentiment) \
                     FROM interactions i JOIN touchpoints t \
                     ON t.tenant_id = i.tenant_id AND t.id = i.touchpoint_id \
                     WHERE {in_range} GROUP BY t.phase_id, t.channel_id"
                )),
                base.clone(),
            ))
            .await?;
        dashboard.channel_cells = rows.len() as u64;

        // Summary.
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql(format!(
                    "SELECT count(*), count(DISTINCT i.customer_id), avg(i.sentiment) \
                     FROM interactions i WHERE {in_range}"
                )),
                base.clone(),
            ))
            .await?
            .ok_or(crate::StoreError::NotFound("summary"))?;
        dashboard.interactions = row.try_get_by_index::<i64>(0)? as u64;
        dashboard.customers = row.try_get_by_index::<i64>(1)? as u64;
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql(format!(
                    "SELECT count(*) FROM (SELECT i.customer_id FROM interactions i \
                     WHERE {in_range} GROUP BY i.customer_id HAVING count(*) = 1) once"
                )),
                base.clone(),
            ))
            .await?
            .ok_or(crate::StoreError::NotFound("summary"))?;
        dashboard.bounced = row.try_get_by_index::<i64>(0)? as u64;
        conn.query_all_raw(Statement::from_sql_and_values(
            backend,
            sql(format!(
                "SELECT i.value_currency, sum(i.value_scaled) FROM interactions i \
                 WHERE {in_range} AND i.value_currency IS NOT NULL GROUP BY i.value_currency"
            )),
            base.clone(),
        ))
        .await?;

        // Repeat rate: customers whose first conversion lies in the range,
        // and those of them with another conversion within the window
        // after it (at the same moment included).
        let conversions = "FROM interactions i JOIN touchpoints tp \
             ON tp.tenant_id = i.tenant_id AND tp.id = i.touchpoint_id \
             WHERE i.tenant_id = $1 AND i.journey_id = $2 AND tp.is_conversion";
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql(format!(
                    "SELECT count(*), coalesce(sum(CASE WHEN f.n >= 2 THEN 1 ELSE 0 END), 0) \
                     FROM (SELECT (SELECT count(*) {conversions} AND i.customer_id = first.c \
                     AND i.occurred_at <= first.t + {repeat_us}) n \
                     FROM (SELECT i.customer_id c, min(i.occurred_at) t {conversions} \
                     GROUP BY i.customer_id \
                     HAVING min(i.occurred_at) >= $3 AND min(i.occurred_at) < $4) first) f",
                    repeat_us = crate::repo::conversions::REPEAT_WINDOW_US,
                )),
                base.clone(),
            ))
            .await?
            .ok_or(crate::StoreError::NotFound("summary"))?;
        let eligible = row.try_get_by_index::<i64>(0)? as u64;
        let repeated = row.try_get_by_index::<i64>(1)? as u64;
        dashboard.repeat_rate = journeyd_domain::metrics::rate(repeated, eligible);

        // Funnel: t1 is the earliest interaction in the first phase (over all
        // time) and must lie in the range; each next step is the earliest
        // interaction in the next phase at or after the previous step.
        if phases.is_empty() {
            return Ok(dashboard);
        }
        let steps = phases.len();
        let mut with = vec![
            "s1 AS (SELECT i.customer_id c, min(i.occurred_at) t FROM interactions i \
             JOIN touchpoints tp ON tp.tenant_id = i.tenant_id AND tp.id = i.touchpoint_id \
             WHERE i.tenant_id = $1 AND i.journey_id = $2 AND tp.phase_id = $5 \
             GROUP BY i.customer_id HAVING min(i.occurred_at) >= $3 AND min(i.occurred_at) < $4)"
                .to_owned(),
        ];
        for k in 2..=steps {
            with.push(format!(
                "s{k} AS (SELECT s.c, min(i.occurred_at) t FROM s{} s \
                 JOIN interactions i ON i.tenant_id = $1 AND i.customer_id = s.c \
                 AND i.occurred_at >= s.t \
                 JOIN touchpoints tp ON tp.tenant_id = i.tenant_id AND tp.id = i.touchpoint_id \
                 WHERE i.journey_id = $2 AND tp.phase_id = ${} GROUP BY s.c)",
                k - 1,
                k + 4
            ));
        }
        let columns: Vec<String> = (1..=steps).map(|k| format!("s{k}.t")).collect();
        let joins: Vec<String> = (2..=steps)
            .map(|k| format!("LEFT JOIN s{k} ON s{k}.c = s1.c"))
            .collect();
        let mut values = base.clone();
        values.extend(phases.iter().map(|id| Value::from(*id)));
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql(format!(
                    "WITH {} SELECT {} FROM s1 {}",
                    with.join(", "),
                    columns.join(", "),
                    joins.join(" ")
                )),
                values,
            ))
            .await?;
        let mut funnel = vec![0u64; steps];
        for row in rows {
            let t1: i64 = row.try_get_by_index(0)?;
            funnel[0] += 1;
            for (k, reached) in funnel.iter_mut().enumerate().skip(1) {
                match row.try_get_by_index::<Option<i64>>(k)? {
                    Some(tk) if tk - t1 <= window_us => *reached += 1,
                    _ => break,
                }
            }
        }
        dashboard.funnel = funnel;
        Ok(dashboard)
    }
}
