//! `journeyd serve`: open and migrate the database, build the router, serve
//! until SIGTERM/SIGINT, then let in-flight requests finish.

use crate::config::{JwtArgs, ServeArgs};
use crate::{auth_config, demo, open_database, redact_url};
use axum::http::HeaderValue;
use journeyd_api::auth::Authenticator;
use journeyd_api::{AppState, router};
use journeyd_persistence::{DatabaseOptions, Store};
use rand::Rng;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// How the HTTP server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long in-flight requests may take after shutdown starts.
    pub shutdown_grace: Duration,
}

pub(crate) async fn serve_command(url: &str, jwt: &JwtArgs, args: ServeArgs) -> anyhow::Result<()> {
    let options = DatabaseOptions {
        max_connections: args.db_max_connections,
        acquire_timeout: args.db_acquire_timeout,
        ..DatabaseOptions::default()
    };
    let db = open_database(url, &options).await?;
    if args.auto_migrate {
        db.migrate_up().await?;
        tracing::info!(database = %redact_url(url), "database ready, migrations applied");
    } else {
        let pending = db
            .migration_status()
            .await?
            .into_iter()
            .filter(|m| !m.applied)
            .count();
        if pending > 0 {
            anyhow::bail!(
                "{pending} database migrations are pending: run `journeyd migrate up` first \
                 (or start with JOURNEYD_AUTO_MIGRATE=true)"
            );
        }
        tracing::info!(database = %redact_url(url), "database ready, schema current");
    }
    let mut store = Store::new(db.clone());
    if let Some(replica_url) = &args.metrics_database_url {
        let replica = open_database(replica_url, &options).await?;
        tracing::info!(database = %redact_url(replica_url), "metric queries read the replica");
        store = store.with_metrics_database(replica);
    }

    let secret = match (&jwt.jwt_secret, args.demo) {
        (None, true) => {
            tracing::warn!(
                "no JOURNEYD_JWT_SECRET: using a random secret, so tokens die with this process"
            );
            let mut secret = vec![0u8; 48];
            rand::rng().fill(&mut secret[..]);
            Some(secret)
        }
        _ => None,
    };
    let auth = auth_config(jwt, secret)?;
    let authenticator = Authenticator::from_config(&auth, store.clone()).await?;
    let demo = if args.demo {
        Some(demo::prepare(&store, &auth).await?)
    } else {
        None
    };

    let listener = TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "journeyd listening");
    if let Some(demo) = demo {
        // A closed standard output must not take the server down.
        let _ = writeln!(std::io::stdout(), "{}", demo.banner(addr));
    }
    let origins = args
        .cors_origins
        .iter()
        .map(|o| HeaderValue::from_str(o))
        .collect::<Result<Vec<_>, _>>()?;
    let state = AppState::new(store, authenticator, &args.limits.limits())
        .with_cors_origins(origins)
        .with_admission(&args.admission.config())
        .with_answer_cache_bytes(args.map_cache_mib.saturating_mul(1 << 20));
    let options = ServeOptions {
        shutdown_grace: args.shutdown_grace,
    };
    serve(listener, state, shutdown_signal(), &options).await?;
    db.close().await?;
    tracing::info!("journeyd stopped");
    Ok(())
}

/// Serves `state` on `listener` until `shutdown` completes, then stops
/// accepting and gives in-flight requests the grace period to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: &ServeOptions,
) -> std::io::Result<()> {
    let stopping = Arc::new(Notify::new());
    let notify = Arc::clone(&stopping);
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        notify.notify_one();
    });
    let grace = options.shutdown_grace;
    tokio::select! {
        result = server => result,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(?grace, "grace period over: dropping unfinished requests");
            Ok(())
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
