//! The command line and environment, parsed once at start-up.

use clap::{Args, Parser, Subcommand};
use journeyd_api::{AdmissionConfig, Limits, RateLimit};
use std::net::SocketAddr;
use std::time::Duration;

/// journeyd: customer-journey maps, interactions and metrics over GraphQL.
#[derive(Parser, Debug)]
#[command(name = "journeyd", version, about)]
pub struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://...`.
    #[arg(
        long,
        global = true,
        env = "JOURNEYD_DATABASE_URL",
        default_value = "sqlite://journeyd.db?mode=rwc"
    )]
    pub database_url: String,

    /// Token settings.
    #[command(flatten)]
    pub jwt: JwtArgs,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(
        long,
        global = true,
        env = "JOURNEYD_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How tokens are signed and checked.
#[derive(Args, Debug, Clone)]
pub struct JwtArgs {
    /// The HS256 secret, at least 32 bytes (needed unless a JWKS is
    /// configured; `serve --demo` makes a throw-away one).
    #[arg(
        long,
        global = true,
        env = "JOURNEYD_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// A JWKS (file path or http(s) URL) whose public keys verify RS256,
    /// ES256 and EdDSA tokens from an identity provider.
    #[arg(long, global = true, env = "JOURNEYD_JWT_JWKS")]
    pub jwt_jwks: Option<String>,

    /// The algorithms tokens may be signed with, comma-separated (default:
    /// HS256 with a secret, plus RS256,ES256,EdDSA with a JWKS).
    #[arg(long, global = true, env = "JOURNEYD_JWT_ALGORITHMS", value_delimiter = ',', value_parser = parse_algorithm)]
    pub jwt_algorithms: Vec<journeyd_api::auth::Algorithm>,

    /// How often the JWKS is re-read.
    #[arg(long, global = true, env = "JOURNEYD_JWT_JWKS_REFRESH", default_value = "5m", value_parser = parse_duration)]
    pub jwt_jwks_refresh: Duration,

    /// The least time between re-reads of the JWKS caused by tokens naming
    /// an unknown key id.
    #[arg(long, global = true, env = "JOURNEYD_JWT_JWKS_MIN_REFETCH", default_value = "30s", value_parser = parse_duration)]
    pub jwt_jwks_min_refetch: Duration,

    /// The `iss` every token must carry (and `journeyd token` sets).
    #[arg(long, global = true, env = "JOURNEYD_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// The `aud` every token must carry (and `journeyd token` sets).
    #[arg(long, global = true, env = "JOURNEYD_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Clock skew tolerated on `exp` and `nbf`.
    #[arg(long, global = true, env = "JOURNEYD_JWT_LEEWAY", default_value = "60s", value_parser = parse_duration)]
    pub jwt_leeway: Duration,
}

/// Log output format.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// journeyd's commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply, revert or list database migrations.
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Create or list tenants.
    Tenant {
        /// The tenant action.
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Print a signed token (and nothing else) on standard output.
    Token(TokenArgs),
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    Schema,
    /// Exit 0 when a journeyd answers 200 at ADDR (for container health
    /// checks, so the image needs no HTTP client).
    Healthcheck {
        /// Where journeyd listens.
        #[arg(long, env = "JOURNEYD_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The path to ask.
        #[arg(long, default_value = "/healthz")]
        path: String,
    },
    /// Recompute derived data.
    Rollups {
        /// The rollups action.
        #[command(subcommand)]
        action: RollupsAction,
    },
    /// Import interactions or customers from an NDJSON or CSV file.
    Import {
        /// What the file holds.
        #[command(subcommand)]
        what: ImportKind,
    },
}

/// `journeyd rollups` actions.
#[derive(Subcommand, Debug)]
pub enum RollupsAction {
    /// Recompute every rollup from the raw interactions.
    Rebuild {
        /// Only this tenant (default: every tenant).
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// What an import file holds.
#[derive(Subcommand, Debug)]
pub enum ImportKind {
    /// Interactions, one per line or row (the fields of `InteractionInput`).
    Interactions(ImportArgs),
    /// Customers, one per line or row (the fields of `CustomerInput`).
    Customers(ImportArgs),
}

/// Options of `journeyd import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file to import (`.ndjson`/`.jsonl` or `.csv`).
    pub file: std::path::PathBuf,
    /// The tenant to import into.
    #[arg(long)]
    pub tenant: String,
    /// The file format (default: from the file name).
    #[arg(long)]
    pub format: Option<ImportFormat>,
    /// Items per transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Where rejected lines go (default: FILE.rejects.ndjson).
    #[arg(long)]
    pub rejects: Option<std::path::PathBuf>,
}

/// An import file format.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header row.
    Csv,
}

/// Options of `journeyd serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "JOURNEYD_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Create a demo tenant with example journeys (if missing) and print a
    /// ready token, the GraphiQL address and a curl example.
    #[arg(long)]
    pub demo: bool,

    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    #[arg(long, env = "JOURNEYD_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// The most database connections the pool holds.
    #[arg(long, env = "JOURNEYD_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Browser origins (e.g. `https://app.example.com`, or `*`) allowed to
    /// call the API across origins, comma-separated.
    #[arg(long = "cors-origin", env = "JOURNEYD_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// A read-only database (e.g. a PostgreSQL streaming replica of the main
    /// one) that serves the metric queries; default: the main database.
    #[arg(long, env = "JOURNEYD_METRICS_DATABASE_URL", hide_env_values = true)]
    pub metrics_database_url: Option<String>,

    /// Apply pending migrations at start. With `false` (several replicas,
    /// migrations run once by `journeyd migrate up`), start-up fails while
    /// any migration is pending.
    #[arg(long, env = "JOURNEYD_AUTO_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,

    /// How long a request waits for a free database connection (or for the
    /// database to accept one) before it is answered UNAVAILABLE.
    #[arg(long, env = "JOURNEYD_DB_ACQUIRE_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub db_acquire_timeout: Duration,

    /// Memory for cached journey-map answers, in MiB (0: no answer cache).
    /// A cached answer is served only while the tenant's map is unchanged.
    #[arg(long, env = "JOURNEYD_MAP_CACHE_MIB", default_value_t = 16)]
    pub map_cache_mib: usize,

    /// Request limits.
    #[command(flatten)]
    pub limits: LimitArgs,

    /// Load shedding and rate limits.
    #[command(flatten)]
    pub admission: AdmissionArgs,
}

/// How much work the service takes on.
#[derive(Args, Debug, Clone)]
pub struct AdmissionArgs {
    /// The most GraphQL requests served at once; more are refused at once
    /// with 503 (OVERLOADED) rather than queued.
    #[arg(long, env = "JOURNEYD_MAX_IN_FLIGHT", default_value_t = AdmissionConfig::default().max_in_flight as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,
    /// Each tenant's sustained rate, in requests per second; more are
    /// refused with 429 (RATE_LIMITED). 0: no limit.
    #[arg(long, env = "JOURNEYD_TENANT_RATE", default_value_t = 0.0)]
    pub tenant_rate: f64,
    /// How many requests a tenant may send at once after a pause (default:
    /// twice the rate).
    #[arg(long, env = "JOURNEYD_TENANT_BURST")]
    pub tenant_burst: Option<u32>,
}

impl AdmissionArgs {
    /// The admission settings these options describe.
    pub fn config(&self) -> AdmissionConfig {
        let tenant_rate =
            (self.tenant_rate.is_finite() && self.tenant_rate > 0.0).then(|| RateLimit {
                per_second: self.tenant_rate,
                burst: self
                    .tenant_burst
                    .unwrap_or((self.tenant_rate * 2.0).ceil() as u32)
                    .max(1),
            });
        AdmissionConfig {
            max_in_flight: self.max_in_flight as usize,
            tenant_rate,
        }
    }
}

/// The limits every request is held to (see the README for the defaults'
/// reasoning).
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// The largest request body, in bytes.
    #[arg(long, env = "JOURNEYD_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// The longest GraphQL document (`query`), in bytes.
    #[arg(long, env = "JOURNEYD_MAX_DOCUMENT_BYTES", default_value_t = Limits::default().max_document_bytes)]
    pub max_document_bytes: usize,
    /// The deepest a query may nest.
    #[arg(long, env = "JOURNEYD_MAX_DEPTH", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,
    /// The most a query may cost (fields count 1, connections multiply by
    /// their page size, metric queries add 100).
    #[arg(long, env = "JOURNEYD_MAX_COMPLEXITY", default_value_t = Limits::default().max_complexity)]
    pub max_complexity: usize,
    /// The most aliases in one document.
    #[arg(long, env = "JOURNEYD_MAX_ALIASES", default_value_t = Limits::default().max_aliases)]
    pub max_aliases: usize,
    /// The most directives in one document.
    #[arg(long, env = "JOURNEYD_MAX_DIRECTIVES", default_value_t = Limits::default().max_directives)]
    pub max_directives: usize,
    /// The most operations in one batch request.
    #[arg(long, env = "JOURNEYD_MAX_BATCH_OPERATIONS", default_value_t = Limits::default().max_batch_operations)]
    pub max_batch_operations: usize,
    /// The largest page (`first`/`last`) a connection returns.
    #[arg(long, env = "JOURNEYD_MAX_PAGE_SIZE", default_value_t = Limits::default().max_page_size, value_parser = clap::value_parser!(i32).range(1..))]
    pub max_page_size: i32,
    /// The most items one ingest call (interactions, customers) may carry.
    #[arg(long, env = "JOURNEYD_MAX_BATCH", default_value_t = Limits::default().max_batch_items)]
    pub max_batch: usize,
    /// How long one request may run.
    #[arg(long, env = "JOURNEYD_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Refuse introspection queries (recommended in production).
    #[arg(long, env = "JOURNEYD_DISABLE_INTROSPECTION")]
    pub disable_introspection: bool,
    /// Leave "did you mean ..." suggestions out of errors (recommended in
    /// production).
    #[arg(long, env = "JOURNEYD_DISABLE_SUGGESTIONS")]
    pub disable_suggestions: bool,
}

impl LimitArgs {
    /// The limits these options describe.
    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_document_bytes: self.max_document_bytes,
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            max_directives: self.max_directives,
            max_batch_operations: self.max_batch_operations,
            max_page_size: self.max_page_size,
            max_batch_items: self.max_batch,
            request_timeout: self.request_timeout,
            introspection: !self.disable_introspection,
            suggestions: !self.disable_suggestions,
        }
    }
}

/// Parses a JWT algorithm name (`HS256`, `RS256`, `ES256`, `EdDSA`, ...).
pub fn parse_algorithm(text: &str) -> Result<journeyd_api::auth::Algorithm, String> {
    text.trim().parse().map_err(|_| {
        format!("'{text}' is not a JWT algorithm such as HS256, RS256, ES256 or EdDSA")
    })
}

/// Checks a CORS origin: `*`, or `scheme://host[:port]` without a path.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let valid = text == "*"
        || text.split_once("://").is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/')
        });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "'{text}' is not an origin like https://app.example.com (or *)"
        ))
    }
}

/// `journeyd migrate` actions.
#[derive(Subcommand, Debug)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert applied migrations.
    Down {
        /// How many to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// `journeyd tenant` actions.
#[derive(Subcommand, Debug)]
pub enum TenantAction {
    /// Create a tenant.
    Create {
        /// Its slug: lowercase letters, digits, '-' and '_'.
        slug: String,
        /// Its display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List,
}

/// Options of `journeyd token`.
#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The tenant the token acts for (must exist).
    #[arg(long)]
    pub tenant: String,
    /// Space-separated scopes, e.g. "journeys:read journeys:write".
    #[arg(long)]
    pub scope: String,
    /// How long the token is valid (e.g. 30m, 1h, 7d).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,
    /// The subject (who the token is for).
    #[arg(long, default_value = "journeyd-cli")]
    pub sub: String,
}

/// Parses `90s`, `15m`, `1h`, `7d` (or plain seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 30s, 15m, 1h or 7d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("'{text}': the unit must be s, m, h or d")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("'{text}' is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
