//! The read path's caches.
//!
//! - **Documents**: a query text's parsed document, once it passed the
//!   document checks, so a repeated query is neither parsed nor checked
//!   again. Keyed by the SHA-256 of the text — the name automatic persisted
//!   queries (APQ) give a query, so a client may send only the hash once the
//!   text is known.
//! - **Journey-map answers**: the `data` of a query that reads journey-map
//!   data only (root fields `journey`, `journeys`, `persona`, `personas`,
//!   `channels`, `touchpoint`), per tenant, query and variables. An answer
//!   is served only while the tenant's map epoch is still the one it was read
//!   at; the database grows the epoch in the same transaction as every
//!   change to the map's tables, and every request reads it (one statement),
//!   so a cached answer is never older than the data it would read — on any
//!   replica.
//!
//! Both are bounded in bytes; when full they start over.

use crate::graphql::limits::selected_operation;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Positioned, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A SHA-256 digest.
pub(crate) type Hash = [u8; 32];

/// The root fields whose answers depend on journey-map data only.
const MAP_ROOT_FIELDS: [&str; 7] = [
    "journey",
    "journeys",
    "persona",
    "personas",
    "channels",
    "touchpoint",
    "__typename",
];

/// The SHA-256 of `parts`, each followed by a NUL (so parts cannot run into
/// each other).
pub(crate) fn digest(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
        hasher.update([0]);
    }
    hasher.finalize().into()
}

/// The SHA-256 of a query text, as APQ names it.
pub(crate) fn query_hash(query: &str) -> Hash {
    Sha256::digest(query.as_bytes()).into()
}

/// A parsed document that passed the checks, with its text.
pub(crate) struct CachedDocument {
    pub(crate) query: String,
    pub(crate) document: ExecutableDocument,
}

/// An answer's data and the map epoch it was read at.
#[derive(Clone)]
pub(crate) struct CachedAnswer {
    pub(crate) epoch: i64,
    pub(crate) data: Arc<Value>,
}

/// A map bounded by the bytes of its values.
struct Bounded<V> {
    entries: Mutex<(HashMap<Hash, V>, usize)>,
    max_bytes: usize,
}

impl<V: Clone> Bounded<V> {
    fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new((HashMap::new(), 0)),
            max_bytes,
        }
    }

    fn get(&self, key: &Hash) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.0.get(key).cloned()
    }

    fn insert(&self, key: Hash, value: V, bytes: usize) {
        // One value may take at most an eighth of the budget.
        if bytes > self.max_bytes / 8 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.1 + bytes > self.max_bytes {
            entries.0.clear();
            entries.1 = 0;
        }
        if entries.0.insert(key, value).is_none() {
            entries.1 += bytes;
        }
    }
}

/// Both caches, shared by every request.
pub(crate) struct Caches {
    documents: Bounded<Arc<CachedDocument>>,
    answers: Bounded<CachedAnswer>,
}

impl Caches {
    /// Caches of at most `document_bytes` of query text and `answer_bytes`
    /// of answers (0 turns the answer cache off).
    pub(crate) fn new(document_bytes: usize, answer_bytes: usize) -> Self {
        Self {
            documents: Bounded::new(document_bytes),
            answers: Bounded::new(answer_bytes),
        }
    }

    pub(crate) fn document(&self, hash: &Hash) -> Option<Arc<CachedDocument>> {
        self.documents.get(hash)
    }

    pub(crate) fn keep_document(&self, hash: Hash, query: String, document: ExecutableDocument) {
        // The parsed form takes a few times the text's size.
        let bytes = query.len() * 4;
        let cached = CachedDocument { query, document };
        self.documents.insert(hash, Arc::new(cached), bytes);
    }

    pub(crate) fn answers_enabled(&self) -> bool {
        self.answers.max_bytes > 0
    }

    pub(crate) fn answer(&self, key: &Hash) -> Option<CachedAnswer> {
        self.answers.get(key)
    }

    pub(crate) fn keep_answer(&self, key: Hash, epoch: i64, data: Value) {
        let bytes = serde_json::to_vec(&data).map_or(usize::MAX, |v| v.len() + 64);
        let answer = CachedAnswer {
            epoch,
            data: Arc::new(data),
        };
        self.answers.insert(key, answer, bytes);
    }
}

/// Whether the operation `operation_name` selects in `doc` is a query whose
/// root fields read journey-map data only.
pub(crate) fn reads_map_only(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    selected_operation(doc, operation_name).is_some_and(|(_, operation)| {
        operation.ty == OperationType::Query
            && roots_are_map_fields(doc, &operation.selection_set, &mut HashSet::new())
    })
}

fn roots_are_map_fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a Positioned<SelectionSet>,
    seen: &mut HashSet<&'a str>,
) -> bool {
    set.node.items.iter().all(|item| match &item.node {
        Selection::Field(field) => MAP_ROOT_FIELDS.contains(&field.node.name.node.as_str()),
        Selection::InlineFragment(inline) => {
            roots_are_map_fields(doc, &inline.node.selection_set, seen)
        }
        Selection::FragmentSpread(spread) => {
            let name = spread.node.fragment_name.node.as_str();
            // A fragment already looked at (or a cycle, which validation
            // refuses anyway) adds nothing.
            if !seen.insert(name) {
                return true;
            }
            doc.fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|fragment| {
                    roots_are_map_fields(doc, &fragment.node.selection_set, seen)
                })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_only(query: &str) -> bool {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        reads_map_only(&doc, None)
    }

    #[test]
    fn only_map_queries_are_answered_from_the_cache() {
        assert!(map_only(
            "query($id: ID!) { journey(id: $id) { name phases { name } } }"
        ));
        assert!(map_only(
            "{ journeys(first: 5) { totalCount } channels { name } __typename }"
        ));
        assert!(map_only(
            "{ ...F } fragment F on Query { personas { totalCount } }"
        ));
        assert!(map_only(
            "{ ... on Query { touchpoint(id: \"x\") { key } } }"
        ));
        assert!(!map_only("{ viewer { tenant } }"));
        assert!(!map_only(
            "{ journey(id: \"x\") { name } node(id: \"y\") { id } }"
        ));
        assert!(!map_only(
            "{ ...F } fragment F on Query { customers { totalCount } }"
        ));
        assert!(!map_only(
            "mutation { deleteCustomer(input: {externalId: \"x\"}) { externalId } }"
        ));
        assert!(!map_only("{ __schema { types { name } } }"));
        assert!(!map_only(
            "query A { journeys { totalCount } } query B { viewer { tenant } }"
        ));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache: Bounded<u32> = Bounded::new(80);
        cache.insert([1; 32], 1, 10);
        cache.insert([2; 32], 2, 10);
        assert_eq!(cache.get(&[1; 32]), Some(1));
        // Too big for the budget: never kept.
        cache.insert([3; 32], 3, 11);
        assert_eq!(cache.get(&[3; 32]), None);
        for i in 4..12 {
            cache.insert([i; 32], u32::from(i), 10);
        }
        assert!(cache.entries.lock().unwrap().1 <= 80);
        assert_eq!(cache.get(&[11; 32]), Some(11));
    }

    #[test]
    fn digests_keep_parts_apart() {
        assert_ne!(digest(&[b"ab", b"c"]), digest(&[b"a", b"bc"]));
        assert_eq!(
            hex(&query_hash("{ __typename }")),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }

    fn hex(hash: &Hash) -> String {
        hash.iter().map(|b| format!("{b:02x}")).collect()
    }
}
