//! The journeyd binary's library: configuration, start-up, the commands and
//! graceful shutdown. `main.rs` only parses the command line and calls [`run`].

pub mod config;
pub mod demo;
mod import;
mod progress;
mod serve;

pub use serve::{ServeOptions, serve, shutdown_signal};

use anyhow::{Context, bail};
use config::{
    Cli, Command, ImportKind, JwtArgs, MigrateAction, RollupsAction, TenantAction, TokenArgs,
};
use journeyd_api::auth::JwksSource;
use journeyd_api::{AuthConfig, TokenIssuer, schema_sdl};
use journeyd_domain::{Name, Scopes, TenantSlug};
use journeyd_persistence::{Database, DatabaseOptions, Store};

/// The shortest HS256 secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::serve_command(&cli.database_url, &cli.jwt, args).await,
        Command::Migrate { action } => migrate(&cli.database_url, action).await,
        Command::Tenant { action } => tenant(&cli.database_url, action).await,
        Command::Token(args) => token(&cli.database_url, &cli.jwt, args).await,
        Command::Schema => {
            print!("{}", schema_sdl());
            Ok(())
        }
        Command::Healthcheck { addr, path } => healthcheck(addr, &path).await,
        Command::Rollups {
            action: RollupsAction::Rebuild { tenant },
        } => rebuild(&cli.database_url, tenant.as_deref()).await,
        Command::Import { what } => match what {
            ImportKind::Interactions(args) => import::interactions(&cli.database_url, args).await,
            ImportKind::Customers(args) => import::customers(&cli.database_url, args).await,
        },
    }
}

/// Opens the database named on the command line.
pub async fn open_database(url: &str, options: &DatabaseOptions) -> anyhow::Result<Database> {
    Database::connect(url, options)
        .await
        .with_context(|| format!("cannot open the database at {}", redact_url(url)))
}

/// The database URL without its password, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The token settings, with the secret checked; `secret` overrides the
/// configured one (for `serve --demo`).
pub fn auth_config(jwt: &JwtArgs, secret: Option<Vec<u8>>) -> anyhow::Result<AuthConfig> {
    let secret = secret.or_else(|| jwt.jwt_secret.as_ref().map(|s| s.as_bytes().to_vec()));
    if secret.as_ref().is_some_and(|s| s.len() < MIN_SECRET_BYTES) {
        bail!("JOURNEYD_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
    }
    if secret.is_none() && jwt.jwt_jwks.is_none() {
        bail!(
            "no token keys: set JOURNEYD_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes) or \
             JOURNEYD_JWT_JWKS, or run `journeyd serve --demo` for a throw-away secret"
        );
    }
    Ok(AuthConfig {
        secret,
        jwks: jwt.jwt_jwks.as_deref().map(JwksSource::parse),
        algorithms: jwt.jwt_algorithms.clone(),
        issuer: jwt.jwt_issuer.clone(),
        audience: jwt.jwt_audience.clone(),
        leeway: jwt.jwt_leeway,
        jwks_refresh: jwt.jwt_jwks_refresh,
        jwks_min_refetch: jwt.jwt_jwks_min_refetch,
    })
}

async fn migrate(url: &str, action: MigrateAction) -> anyhow::Result<()> {
    let db = open_database(url, &DatabaseOptions::default()).await?;
    match action {
        MigrateAction::Up => db.migrate_up().await?,
        MigrateAction::Down { steps } => db.migrate_down(steps).await?,
        MigrateAction::Status => {
            for migration in db.migration_status().await? {
                let state = if migration.applied {
                    "applied"
                } else {
                    "pending"
                };
                println!("{state:8} {}", migration.name);
            }
        }
    }
    db.close().await?;
    Ok(())
}

async fn tenant(url: &str, action: TenantAction) -> anyhow::Result<()> {
    let db = open_database(url, &DatabaseOptions::default()).await?;
    db.migrate_up().await?;
    let store = Store::new(db.clone());
    match action {
        TenantAction::Create { slug, name } => {
            let slug = TenantSlug::parse(&slug)?;
            let name = Name::parse("name", name.as_deref().unwrap_or(slug.as_str()))?;
            let tenant = store.create_tenant(slug, name).await?;
            println!("created tenant {} ({})", tenant.slug, tenant.name);
        }
        TenantAction::List => {
            for tenant in store.list_tenants().await? {
                println!("{}\t{}", tenant.slug, tenant.name);
            }
        }
    }
    db.close().await?;
    Ok(())
}

async fn rebuild(url: &str, only: Option<&str>) -> anyhow::Result<()> {
    let db = open_database(url, &DatabaseOptions::default()).await?;
    db.migrate_up().await?;
    let store = Store::new(db.clone());
    let tenants = store.list_tenants().await?;
    let chosen: Vec<_> = tenants
        .into_iter()
        .filter(|t| only.is_none_or(|slug| t.slug.as_str() == slug))
        .collect();
    if let (Some(slug), true) = (only, chosen.is_empty()) {
        bail!("no tenant '{slug}'");
    }
    for tenant in chosen {
        let started = std::time::Instant::now();
        let report = store.rebuild_rollups(tenant.id).await?;
        println!(
            "{}: {} interactions, {} stats rows, {} customers' progress rebuilt in {:.1}s",
            tenant.slug,
            report.interactions,
            report.stats_rows,
            report.customers,
            started.elapsed().as_secs_f64()
        );
    }
    db.close().await?;
    Ok(())
}

/// The tenant named on the command line.
pub(crate) async fn find_tenant(
    store: &Store,
    slug: &str,
) -> anyhow::Result<journeyd_domain::Tenant> {
    match store.tenant_by_slug(slug).await? {
        Some(tenant) => Ok(tenant),
        None => bail!("no tenant '{slug}': create it with `journeyd tenant create {slug}`"),
    }
}

async fn token(url: &str, jwt: &JwtArgs, args: TokenArgs) -> anyhow::Result<()> {
    if jwt.jwt_secret.is_none() {
        bail!(
            "`journeyd token` signs with JOURNEYD_JWT_SECRET, which is not set \
             (tokens for a JWKS come from its identity provider)"
        );
    }
    let config = auth_config(jwt, None)?;
    let scopes = Scopes::parse(&args.scope)?;
    let slug = TenantSlug::parse(&args.tenant)?;
    let db = open_database(url, &DatabaseOptions::default()).await?;
    db.migrate_up().await?;
    let known = Store::new(db.clone()).tenant_by_slug(slug.as_str()).await?;
    db.close().await?;
    if known.is_none() {
        bail!("no tenant '{slug}': create it with `journeyd tenant create {slug}`");
    }
    let token = TokenIssuer::new(config).issue(&args.sub, &slug, &scopes, args.ttl)?;
    println!("{token}");
    Ok(())
}

/// Asks `GET path` at `addr` over plain HTTP/1.0; succeeds on a 200.
async fn healthcheck(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<_, std::io::Error>(head)
    };
    let head = tokio::time::timeout(std::time::Duration::from_secs(3), exchange)
        .await
        .with_context(|| format!("{addr} did not answer within 3 s"))?
        .with_context(|| format!("cannot reach journeyd at {addr}"))?;
    // "HTTP/1.1 200"
    if &head[9..12] != b"200" {
        bail!(
            "{addr}{path} answered {}",
            String::from_utf8_lossy(&head[9..12])
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/journeyd"),
            "postgres://app:***@db:5432/journeyd"
        );
        assert_eq!(
            redact_url("sqlite://journeyd.db?mode=rwc"),
            "sqlite://journeyd.db?mode=rwc"
        );
        assert_eq!(
            redact_url("postgres://app@db/journeyd"),
            "postgres://app@db/journeyd"
        );
    }
}
