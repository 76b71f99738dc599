//! The command line and environment, parsed once at start-up.

use clap::{Args, Parser, Subcommand};
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
    /// The HS256 secret, at least 32 bytes (required except with `serve --demo`).
    #[arg(
        long,
        global = true,
        env = "JOURNEYD_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

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

    /// The most items one ingest call (interactions, customers) may carry.
    #[arg(long, env = "JOURNEYD_MAX_BATCH", default_value_t = 1000)]
    pub max_batch: usize,
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
