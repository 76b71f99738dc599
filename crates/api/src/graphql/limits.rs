//! The checks that hold a document to the configured [`Limits`](super::Limits)
//! before anything runs: its aliases and directives (counted in the parsed
//! document), and its depth and cost (measured by async-graphql's validation,
//! judged here so the error names the limit).

use super::Limits;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{ErrorExtensionValues, Positioned, ServerError, ValidationResult};
use std::collections::HashMap;
use std::sync::Arc;

/// The `extensions.code` of an error for a request over a limit.
pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";

/// A request error (no path) carrying `code`.
pub fn coded_error(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// The deepest brackets (`{`, `[`, `(`) may nest in a document. Checked on
/// the text before parsing: the parser recurses per bracket, so an absurdly
/// nested document must never reach it.
pub const MAX_NESTING: usize = 64;

/// Refuses a document whose brackets nest deeper than [`MAX_NESTING`]
/// (brackets inside strings and comments do not count).
pub fn check_nesting(query: &str) -> Result<(), ServerError> {
    let bytes = query.as_bytes();
    let mut depth = 0_usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped triple quote inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(coded_error(
                        format!("the document nests brackets more than {MAX_NESTING} deep"),
                        LIMIT_EXCEEDED,
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Holds a parsed document to `limits`: its aliases and directives (as
/// written), and the size and depth of each operation with its fragments
/// expanded, measured without expanding them (so a fragment that spreads
/// another many times over cannot make the measuring itself expensive).
pub fn check_document(doc: &ExecutableDocument, limits: &Limits) -> Result<(), ServerError> {
    let (max_aliases, max_directives) = (limits.max_aliases, limits.max_directives);
    let mut counts = Counts::default();
    for (_, operation) in doc.operations.iter() {
        let operation = &operation.node;
        counts.directives(&operation.directives);
        for variable in &operation.variable_definitions {
            counts.directives(&variable.node.directives);
        }
        counts.selection_set(&operation.selection_set);
    }
    for fragment in doc.fragments.values() {
        counts.directives(&fragment.node.directives);
        counts.selection_set(&fragment.node.selection_set);
    }
    if counts.aliases > max_aliases {
        return Err(coded_error(
            format!(
                "the document has {} aliases, at most {max_aliases} are allowed",
                counts.aliases
            ),
            LIMIT_EXCEEDED,
        ));
    }
    if counts.directives > max_directives {
        return Err(coded_error(
            format!(
                "the document has {} directives, at most {max_directives} are allowed",
                counts.directives
            ),
            LIMIT_EXCEEDED,
        ));
    }
    let mut expansion = Expansion {
        doc,
        sizes: HashMap::new(),
        expanding: Vec::new(),
    };
    for (_, operation) in doc.operations.iter() {
        let size = expansion.selection_set(&operation.node.selection_set)?;
        if size.depth > limits.max_depth {
            return Err(depth_error(size.depth, limits.max_depth));
        }
        // Every field costs at least 1, so this many fields cost at least as much.
        if size.fields > limits.max_complexity as u64 {
            return Err(coded_error(
                format!(
                    "the query selects {} fields with its fragments expanded, \
                     so it costs more than the limit of {}",
                    size.fields, limits.max_complexity
                ),
                LIMIT_EXCEEDED,
            ));
        }
    }
    Ok(())
}

fn depth_error(depth: usize, max_depth: usize) -> ServerError {
    coded_error(
        format!("the query nests {depth} levels deep, at most {max_depth} are allowed"),
        LIMIT_EXCEEDED,
    )
}

/// The size of a selection set with its fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    fields: u64,
    depth: usize,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.fields = self.fields.saturating_add(other.fields);
        self.depth = self.depth.max(other.depth);
    }
}

/// Measures expanded sizes, each fragment once.
struct Expansion<'a> {
    doc: &'a ExecutableDocument,
    sizes: HashMap<&'a str, Size>,
    expanding: Vec<&'a str>,
}

impl<'a> Expansion<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> Result<Size, ServerError> {
        let mut size = Size::default();
        for selection in &set.node.items {
            match &selection.node {
                // Like async-graphql's measures, `__typename` costs nothing.
                Selection::Field(field) if field.node.name.node == "__typename" => {}
                Selection::Field(field) => {
                    let inner = self.selection_set(&field.node.selection_set)?;
                    size.add(Size {
                        fields: inner.fields.saturating_add(1),
                        depth: inner.depth + 1,
                    });
                }
                Selection::InlineFragment(inline) => {
                    size.add(self.selection_set(&inline.node.selection_set)?);
                }
                Selection::FragmentSpread(spread) => {
                    size.add(self.fragment(spread.node.fragment_name.node.as_str())?);
                }
            }
        }
        Ok(size)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Size, ServerError> {
        if let Some(size) = self.sizes.get(name) {
            return Ok(*size);
        }
        if self.expanding.contains(&name) {
            return Err(coded_error(
                format!("fragment `{name}` spreads itself"),
                "GRAPHQL_VALIDATION_FAILED",
            ));
        }
        if self.expanding.len() >= MAX_NESTING {
            return Err(coded_error(
                format!("fragments spread each other more than {MAX_NESTING} deep"),
                LIMIT_EXCEEDED,
            ));
        }
        // An unknown fragment is reported by validation.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Size::default());
        };
        self.expanding.push(name);
        let size = self.selection_set(&fragment.node.selection_set)?;
        self.expanding.pop();
        self.sizes.insert(name, size);
        Ok(size)
    }
}

#[derive(Default)]
struct Counts {
    aliases: usize,
    directives: usize,
}

impl Counts {
    fn directives(&mut self, directives: &[Positioned<Directive>]) {
        self.directives += directives.len();
    }

    // The parser bounds how deep selection sets nest, so recursion is safe.
    fn selection_set(&mut self, set: &Positioned<SelectionSet>) {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.aliases += usize::from(field.alias.is_some());
                    self.directives(&field.directives);
                    self.selection_set(&field.selection_set);
                }
                Selection::FragmentSpread(spread) => self.directives(&spread.node.directives),
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives);
                    self.selection_set(&inline.node.selection_set);
                }
            }
        }
    }
}

/// The type of the operation a request runs: the one named
/// `operation_name`, or the document's only one. `None` when that is
/// ambiguous or unknown (execution then reports it).
pub fn operation_type(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    selected_operation(doc, operation_name).map(|(_, op)| op.ty)
}

/// The operation a request selects in `doc` (by `operation_name`, or the
/// only one): its name, if it has one, and its definition.
pub fn selected_operation<'a>(
    doc: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(Option<&'a str>, &'a OperationDefinition)> {
    let mut operations = doc.operations.iter();
    let (name, op) = match operation_name {
        Some(wanted) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == wanted))?,
        None => match (operations.next(), operations.next()) {
            (Some(only), None) => only,
            _ => return None,
        },
    };
    Some((name.map(|n| n.as_str()), &op.node))
}

/// Judges the depth and cost async-graphql's validation measured.
pub struct CostLimits {
    /// The deepest a query may nest.
    pub max_depth: usize,
    /// The most a query may cost.
    pub max_complexity: usize,
}

impl ExtensionFactory for CostLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostLimits {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
        })
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostLimits {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.max_depth {
            return Err(vec![depth_error(result.depth, self.max_depth)]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![coded_error(
                format!(
                    "the query costs {}, at most {} is allowed (each field costs 1, \
                     connection fields cost their page size times)",
                    result.complexity, self.max_complexity
                ),
                LIMIT_EXCEEDED,
            )]);
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn check(query: &str, aliases: usize, directives: usize) -> Result<(), String> {
        let limits = Limits {
            max_aliases: aliases,
            max_directives: directives,
            ..Limits::default()
        };
        check_document(&parse_query(query).unwrap(), &limits).map_err(|e| e.message)
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(check_nesting(&deep(MAX_NESTING)).is_ok());
        assert!(check_nesting(&deep(MAX_NESTING + 1)).is_err());
        let quoted = format!(
            "{{ a(s: \"{0}\\\"{0}\", t: \"\"\"{0}\\\"\"\"{0}\"\"\") # {0}\n }}",
            "{".repeat(100)
        );
        assert!(check_nesting(&quoted).is_ok(), "{quoted}");
        assert!(check_nesting("\"unterminated {{{{").is_ok());
        assert!(check_nesting("\"\"\"").is_ok());
    }

    #[test]
    fn fragments_are_measured_expanded_without_expanding_them() {
        // Each fragment spreads the next twice: 2^40 fields once expanded.
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..40 {
            query.push_str(&format!(
                "fragment F{i} on Query {{ ...F{0} ...F{0} }}\n",
                i + 1
            ));
        }
        query.push_str("fragment F40 on Query { a }");
        let err = check(&query, 30, 30).unwrap_err();
        assert!(err.contains("1099511627776 fields"), "{err}");

        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(check(cycle, 30, 30).unwrap_err().contains("spreads itself"));

        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let doc = parse_query("{ a { ...F } } fragment F on A { b { c } }").unwrap();
        assert!(check_document(&doc, &limits).is_ok());
        let doc = parse_query("{ a { ...F } } fragment F on A { b { c { d } } }").unwrap();
        assert!(
            check_document(&doc, &limits)
                .unwrap_err()
                .message
                .contains("4 levels")
        );
    }

    #[test]
    fn aliases_and_directives_are_counted_everywhere() {
        let query = r#"
            query Q($a: Int @x) @y {
                one: viewer { two: tenant @include(if: true) }
                ...F @skip(if: false)
                ... on Query @z { three: viewer { id } }
            }
            fragment F on Query @w { four: viewer { id } }
        "#;
        assert!(check(query, 4, 6).is_ok());
        assert!(check(query, 3, 6).unwrap_err().contains("4 aliases"));
        assert!(check(query, 4, 5).unwrap_err().contains("6 directives"));
    }

    #[test]
    fn the_operation_type_follows_the_operation_name() {
        let doc = parse_query("query A { x } mutation B { y }").unwrap();
        assert_eq!(operation_type(&doc, Some("A")), Some(OperationType::Query));
        assert_eq!(
            operation_type(&doc, Some("B")),
            Some(OperationType::Mutation)
        );
        assert_eq!(operation_type(&doc, Some("C")), None);
        assert_eq!(operation_type(&doc, None), None);
        let single = parse_query("mutation { y }").unwrap();
        assert_eq!(operation_type(&single, None), Some(OperationType::Mutation));
    }
}
