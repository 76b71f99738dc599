//! `journeyd import interactions|customers FILE --tenant SLUG`: bulk loads
//! through the same validation and idempotency as the GraphQL mutations, a
//! transaction per batch, with progress, a summary and a file of rejected
//! lines. Running the same file again stores nothing twice.

use crate::config::{ImportArgs, ImportFormat};
use crate::progress::Progress;
use crate::{find_tenant, open_database};
use anyhow::Context;
use journeyd_api::graphql::{
    CustomerInput, InteractionInput, MoneyInput, validate_customer, validate_interaction,
};
use journeyd_domain::{CustomerOutcome, ItemOutcome, RejectionCode, TenantId};
use journeyd_persistence::{DatabaseOptions, Store};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// One record of an import file: its line, how far into the file it ends,
/// and the item or why it could not be read.
struct Record<T> {
    line: u64,
    offset: u64,
    item: Result<T, String>,
}

/// Reads records of `T` from NDJSON, or from CSV through the flat row type `R`.
fn read_records<T, R>(
    path: &Path,
    format: ImportFormat,
    from_row: fn(R) -> Result<T, String>,
) -> anyhow::Result<Box<dyn Iterator<Item = Record<T>>>>
where
    T: DeserializeOwned + 'static,
    R: DeserializeOwned + 'static,
{
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    match format {
        ImportFormat::Ndjson => {
            let mut offset = 0u64;
            let lines =
                BufReader::new(file)
                    .split(b'\n')
                    .enumerate()
                    .filter_map(move |(index, bytes)| {
                        let line = index as u64 + 1;
                        let item = match bytes {
                            Ok(bytes) => {
                                offset += bytes.len() as u64 + 1;
                                if bytes.iter().all(u8::is_ascii_whitespace) {
                                    return None;
                                }
                                serde_json::from_slice::<T>(&bytes)
                                    .map_err(|e| format!("not a valid item: {e}"))
                            }
                            Err(e) => Err(format!("cannot read the line: {e}")),
                        };
                        Some(Record { line, offset, item })
                    });
            Ok(Box::new(lines))
        }
        ImportFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(file);
            let headers = reader.headers()?.clone();
            let rows = reader.into_records().map(move |row| match row {
                Ok(row) => {
                    let position = row.position().cloned().unwrap_or_else(csv::Position::new);
                    let item = row
                        .deserialize::<R>(Some(&headers))
                        .map_err(|e| format!("not a valid row: {e}"))
                        .and_then(from_row);
                    Record {
                        line: position.line(),
                        offset: position.byte() + row.as_slice().len() as u64,
                        item,
                    }
                }
                Err(e) => Record {
                    line: e.position().map_or(0, csv::Position::line),
                    offset: e.position().map_or(0, csv::Position::byte),
                    item: Err(format!("not a valid row: {e}")),
                },
            });
            Ok(Box::new(rows))
        }
    }
}

/// A CSV row of interactions: the fields of `InteractionInput`, flattened.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InteractionRow {
    external_id: String,
    customer_external_id: String,
    touchpoint_id: Option<String>,
    journey_id: Option<String>,
    touchpoint_key: Option<String>,
    occurred_at: String,
    sentiment: Option<i32>,
    rating: Option<i32>,
    nps: Option<i32>,
    value_amount: Option<String>,
    value_currency: Option<String>,
    properties: Option<String>,
}

fn interaction_from_row(row: InteractionRow) -> Result<InteractionInput, String> {
    let value = match (row.value_amount, row.value_currency) {
        (Some(amount), Some(currency)) => Some(MoneyInput { amount, currency }),
        (None, None) => None,
        _ => return Err("valueAmount and valueCurrency go together".into()),
    };
    let properties = row
        .properties
        .map(|text| serde_json::from_str(&text).map(async_graphql::Json))
        .transpose()
        .map_err(|e| format!("properties: not valid JSON: {e}"))?;
    Ok(InteractionInput {
        external_id: row.external_id,
        customer_external_id: row.customer_external_id,
        touchpoint_id: row.touchpoint_id.map(async_graphql::ID),
        journey_id: row.journey_id.map(async_graphql::ID),
        touchpoint_key: row.touchpoint_key,
        occurred_at: row.occurred_at,
        sentiment: row.sentiment,
        rating: row.rating,
        nps: row.nps,
        value,
        properties,
    })
}

/// A CSV row of customers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerRow {
    external_id: String,
    persona_id: Option<String>,
    attributes: Option<String>,
}

fn customer_from_row(row: CustomerRow) -> Result<CustomerInput, String> {
    let attributes = row
        .attributes
        .map(|text| serde_json::from_str(&text).map(async_graphql::Json))
        .transpose()
        .map_err(|e| format!("attributes: not valid JSON: {e}"))?;
    Ok(CustomerInput {
        external_id: row.external_id,
        persona_id: match row.persona_id {
            Some(id) => async_graphql::MaybeUndefined::Value(async_graphql::ID(id)),
            None => async_graphql::MaybeUndefined::Undefined,
        },
        attributes,
    })
}

/// Counts and rejected lines of an import.
struct Tally {
    stored: u64,
    unchanged: u64,
    rejected: u64,
    lines: u64,
    rejects: BufWriter<File>,
    rejects_path: PathBuf,
}

impl Tally {
    fn new(path: PathBuf) -> anyhow::Result<Self> {
        let file =
            File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self {
            stored: 0,
            unchanged: 0,
            rejected: 0,
            lines: 0,
            rejects: BufWriter::new(file),
            rejects_path: path,
        })
    }

    fn reject(
        &mut self,
        line: u64,
        external_id: Option<&str>,
        code: RejectionCode,
        message: &str,
    ) -> anyhow::Result<()> {
        self.rejected += 1;
        let entry = serde_json::json!({ "line": line, "externalId": external_id, "code": code.label(), "message": message });
        writeln!(self.rejects, "{entry}")?;
        Ok(())
    }

    fn finish(mut self, file: &Path, stored: &str, unchanged: &str) -> anyhow::Result<()> {
        self.rejects.flush()?;
        drop(self.rejects);
        let rejects = if self.rejected == 0 {
            std::fs::remove_file(&self.rejects_path).ok();
            String::new()
        } else {
            format!(" (see {})", self.rejects_path.display())
        };
        println!(
            "{}: {} lines, {} {stored}, {} {unchanged}, {} rejected{rejects}",
            file.display(),
            self.lines,
            self.stored,
            self.unchanged,
            self.rejected
        );
        Ok(())
    }
}

struct Import {
    store: Store,
    tenant: TenantId,
    format: ImportFormat,
    file: PathBuf,
    rejects: PathBuf,
    batch_size: usize,
    size: u64,
}

async fn prepare(url: &str, args: ImportArgs) -> anyhow::Result<Import> {
    let db = open_database(url, &DatabaseOptions::default()).await?;
    db.migrate_up().await?;
    let store = Store::new(db);
    let tenant = find_tenant(&store, &args.tenant).await?.id;
    let format =
        args.format
            .unwrap_or_else(|| match args.file.extension().and_then(|e| e.to_str()) {
                Some(ext) if ext.eq_ignore_ascii_case("csv") => ImportFormat::Csv,
                _ => ImportFormat::Ndjson,
            });
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?
        .len();
    let rejects = args.rejects.unwrap_or_else(|| {
        let mut name = args.file.as_os_str().to_owned();
        name.push(".rejects.ndjson");
        PathBuf::from(name)
    });
    if args.batch_size == 0 {
        anyhow::bail!("--batch-size must be at least 1");
    }
    Ok(Import {
        store,
        tenant,
        format,
        file: args.file,
        rejects,
        batch_size: args.batch_size,
        size,
    })
}

/// What became of one line.
enum LineOutcome {
    /// Stored (accepted, created or updated).
    Stored,
    /// Already stored as it is.
    Unchanged,
    /// Not stored.
    Rejected(RejectionCode, String),
}

/// Reads `records` in batches, hands each batch to `store_batch` (one
/// transaction) and tallies what became of every line.
async fn run<T>(
    job: &Import,
    records: Box<dyn Iterator<Item = Record<T>>>,
    external_id: fn(&T) -> &str,
    mut store_batch: impl AsyncFnMut(&[Record<T>]) -> anyhow::Result<Vec<LineOutcome>>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::new(job.rejects.clone())?;
    let mut progress = Progress::new(job.size, "lines");
    let mut batch: Vec<Record<T>> = Vec::with_capacity(job.batch_size);
    let mut records = records.peekable();
    while let Some(record) = records.next() {
        batch.push(record);
        if batch.len() < job.batch_size && records.peek().is_some() {
            continue;
        }
        let last_line = batch.last().map_or(0, |r| r.line);
        let outcomes = store_batch(&batch).await.with_context(|| {
            format!("the batch ending at line {last_line} failed; run the import again to resume")
        })?;
        for (record, outcome) in batch.iter().zip(outcomes) {
            tally.lines += 1;
            match outcome {
                LineOutcome::Stored => tally.stored += 1,
                LineOutcome::Unchanged => tally.unchanged += 1,
                LineOutcome::Rejected(code, message) => {
                    let id = record.item.as_ref().ok().map(external_id);
                    tally.reject(record.line, id, code, &message)?
                }
            }
        }
        progress.update(batch.last().map_or(0, |r| r.offset), tally.lines);
        batch.clear();
    }
    progress.finish(tally.lines);
    Ok(tally)
}

/// The rejection of a line that could not be read.
fn unreadable(message: &str) -> (RejectionCode, String) {
    (RejectionCode::BadUserInput, message.to_owned())
}

/// Imports interactions.
pub async fn interactions(url: &str, args: ImportArgs) -> anyhow::Result<()> {
    let job = prepare(url, args).await?;
    let records = read_records::<InteractionInput, InteractionRow>(
        &job.file,
        job.format,
        interaction_from_row,
    )?;
    let tally = run(
        &job,
        records,
        |i| i.external_id.as_str(),
        async |batch| {
            let now = chrono::Utc::now();
            let items = batch
                .iter()
                .map(|r| match &r.item {
                    Ok(input) => validate_interaction(input, now),
                    Err(message) => {
                        let (code, message) = unreadable(message);
                        Err(ItemOutcome::Rejected { code, message })
                    }
                })
                .collect();
            let outcomes = job.store.record_interactions(job.tenant, items).await?;
            Ok(outcomes
                .into_iter()
                .map(|o| match o {
                    ItemOutcome::Accepted => LineOutcome::Stored,
                    ItemOutcome::Duplicate => LineOutcome::Unchanged,
                    ItemOutcome::Rejected { code, message } => LineOutcome::Rejected(code, message),
                })
                .collect())
        },
    )
    .await?;
    tally.finish(&job.file, "accepted", "duplicates")
}

/// Imports customers.
pub async fn customers(url: &str, args: ImportArgs) -> anyhow::Result<()> {
    let job = prepare(url, args).await?;
    let records =
        read_records::<CustomerInput, CustomerRow>(&job.file, job.format, customer_from_row)?;
    let tally = run(
        &job,
        records,
        |c| c.external_id.as_str(),
        async |batch| {
            let items = batch
                .iter()
                .map(|r| {
                    let validated = match &r.item {
                        Ok(input) => validate_customer(input.clone()),
                        Err(message) => Err(unreadable(message)),
                    };
                    validated.map_err(|(code, message)| CustomerOutcome::Rejected { code, message })
                })
                .collect();
            let outcomes = job.store.upsert_customers(job.tenant, items).await?;
            Ok(outcomes
                .into_iter()
                .map(|o| match o {
                    CustomerOutcome::Created(_) | CustomerOutcome::Updated(_) => {
                        LineOutcome::Stored
                    }
                    CustomerOutcome::Unchanged(_) => LineOutcome::Unchanged,
                    CustomerOutcome::Rejected { code, message } => {
                        LineOutcome::Rejected(code, message)
                    }
                })
                .collect())
        },
    )
    .await?;
    tally.finish(&job.file, "created or updated", "unchanged")
}
