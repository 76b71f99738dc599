//! Bulk writes whose statement text does not depend on the number of rows,
//! so every batch reuses one prepared statement and one plan. A multi-row
//! VALUES list changes text with every row count, and preparing a statement
//! with thousands of parameters costs as much as running it.
//!
//! PostgreSQL receives one array per column, written as an array literal
//! (so elements may be NULL) and cast to its type, and reads them with
//! `UNNEST`; SQLite receives the rows as one JSON array and reads it with
//! `json_each` (UUIDs, stored as blobs there, travel as hex text).

use crate::StoreError;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use std::fmt::Write;
use uuid::Uuid;

/// The type of a bulk column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Uuid,
    Text,
    Int,
    BigInt,
}

impl Kind {
    fn pg_array(self) -> &'static str {
        match self {
            Kind::Uuid => "uuid[]",
            Kind::Text => "text[]",
            Kind::Int => "int4[]",
            Kind::BigInt => "int8[]",
        }
    }
}

/// One value of a bulk row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Uuid(Uuid),
    Text(String),
    Int(i64),
    Null,
}

impl Cell {
    /// An integer, or NULL.
    pub(crate) fn int(value: Option<i64>) -> Self {
        value.map_or(Cell::Null, Cell::Int)
    }
}

/// Inserts `rows` (each with one cell per column, in `columns` order) into
/// `table`, followed by `tail` (an `ON CONFLICT ...` clause, or empty).
pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    table: &str,
    columns: &[(&str, Kind)],
    rows: &[Vec<Cell>],
    tail: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let names = columns
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let backend = conn.get_database_backend();
    let statement = match backend {
        DbBackend::Postgres => {
            let arrays = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| format!("${}::{}", i + 1, kind.pg_array()))
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("INSERT INTO \"{table}\" ({names}) SELECT * FROM UNNEST({arrays}) {tail}");
            let values = (0..columns.len())
                .map(|i| Value::from(array_literal(rows.iter().map(|row| &row[i]))))
                .collect::<Vec<Value>>();
            Statement::from_sql_and_values(backend, sql, values)
        }
        _ => {
            let reads = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| match kind {
                    Kind::Uuid => format!("unhex(json_extract(value, '$[{i}]'))"),
                    _ => format!("json_extract(value, '$[{i}]')"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            // `WHERE true` keeps SQLite from reading an upsert's ON as a join's.
            let sql = format!(
                "INSERT INTO \"{table}\" ({names}) SELECT {reads} FROM json_each(?) WHERE true {tail}"
            );
            let json = serde_json::Value::Array(
                rows.iter()
                    .map(|row| serde_json::Value::Array(row.iter().map(cell_json).collect()))
                    .collect(),
            );
            Statement::from_sql_and_values(backend, sql, [Value::from(json.to_string())])
        }
    };
    conn.execute_raw(statement).await?;
    Ok(())
}

fn cell_json(cell: &Cell) -> serde_json::Value {
    match cell {
        Cell::Uuid(u) => serde_json::Value::String(u.simple().to_string()),
        Cell::Text(s) => serde_json::Value::String(s.clone()),
        Cell::Int(i) => (*i).into(),
        Cell::Null => serde_json::Value::Null,
    }
}

/// A PostgreSQL array literal of `cells`: `{1,NULL,"text"}`.
fn array_literal<'a>(cells: impl Iterator<Item = &'a Cell>) -> String {
    let mut out = String::from("{");
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Null => out.push_str("NULL"),
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Uuid(u) => {
                let _ = write!(out, "{}", u.simple());
            }
            Cell::Text(s) => {
                // Quoted, with a backslash before `"` and `\`.
                out.push('"');
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    out
}
