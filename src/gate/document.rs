//! The document checks of the gate: a linear scan of the text before anything recursive
//! runs, then one parse and checks over the parsed document with fragments expanded.
//!
//! The parser (pest) and async-graphql's validators recurse once per level of nesting and,
//! through fragment spreads, once per path. So before parsing, [`scan`] bounds the nesting
//! of selection sets, lists, objects and argument lists (a 4 KB document of 2,000 nested
//! lists used to overflow a worker's stack and abort the process) and the number of
//! lexical tokens; after parsing, [`analyze`] expands fragments once per fragment
//! (memoized, so a "fragment bomb" of spreads costs its size, not its expansion), refuses
//! cycles, and bounds root fields and the number of fields a document expands to.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::Pos;

use crate::config::Settings;
use crate::error::AppError;

/// The bounds on a document, from the settings.
#[derive(Debug, Clone)]
pub struct DocumentLimits {
    /// Lexical tokens per document, counted before parsing.
    pub max_tokens: usize,
    /// Nesting of `{`, `[` and `(` together, checked before parsing; and nesting of
    /// selection sets with fragments expanded, checked after.
    pub max_nesting: usize,
    /// Directives on one field.
    pub max_directives: usize,
    /// Fields nested in fields, fragments expanded (a leaf field is depth 1).
    pub max_depth: usize,
    /// Aliases in the document's text.
    pub max_aliases: usize,
    /// Root fields of an operation, with fragments expanded.
    pub max_root_fields: usize,
    /// Fields of an operation with every fragment expanded (the complexity limit: every
    /// field costs at least 1).
    pub max_fields: usize,
    /// The field depth allowed to an operation that selects introspection only (`__schema`,
    /// `__type`, `__typename` at its root): the standard introspection query of graphql-js
    /// selects fields 15 deep, beyond the depth bound of data queries.
    pub max_introspection_depth: usize,
}

/// The introspection fields that list types' members: nested in one another they multiply
/// the answer (`types { fields { type { fields … } } }`), so an operation may nest them at
/// most [`MAX_INTROSPECTION_LISTS`] deep (the bound graphql-js's MaxIntrospectionDepthRule
/// applies; the standard introspection query nests them once).
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];
pub const MAX_INTROSPECTION_LISTS: usize = 3;

impl Default for DocumentLimits {
    /// The limits of the default settings.
    fn default() -> Self {
        DocumentLimits::from_settings(&Settings::default())
    }
}

impl DocumentLimits {
    pub fn from_settings(settings: &Settings) -> DocumentLimits {
        DocumentLimits {
            max_tokens: settings.limits.max_tokens,
            max_nesting: settings.limits.max_nesting,
            max_directives: settings.limits.max_directives,
            max_depth: settings.limits.max_depth,
            max_aliases: settings.limits.max_aliases,
            max_root_fields: settings.limits.max_root_fields,
            max_fields: settings.limits.max_complexity,
            max_introspection_depth: settings.limits.max_introspection_depth,
        }
    }
}

/// Why a document was refused: the error and, for a syntax error, where.
#[derive(Debug)]
pub struct DocumentError {
    pub error: AppError,
    pub locations: Vec<Pos>,
}

impl From<AppError> for DocumentError {
    fn from(error: AppError) -> Self {
        DocumentError { error, locations: Vec::new() }
    }
}

/// Counts lexical tokens and the nesting of `{`, `[` and `(` in one pass over the bytes,
/// skipping comments, strings and block strings as the GraphQL lexer does. Refuses the
/// document as soon as either bound is passed; never recurses and never allocates.
pub fn scan(text: &str, max_tokens: usize, max_nesting: usize) -> Result<(), AppError> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut i = 0usize;
    let mut tokens = 0usize;
    let mut depth = 0usize;
    while i < len {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            // A byte-order mark is ignored like white space.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                i += 3;
                continue;
            }
            b'#' => {
                while i < len && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the first `"""` not escaped as `\"""`; a lone `"`
                // inside it is text.
                i += 3;
                while i < len {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                // A string ends at an unescaped `"`; it cannot span lines.
                i += 1;
                while i < len {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(AppError::LimitExceeded(format!(
                        "the document is nested more than {max_nesting} levels deep (selections, lists, objects and arguments together)"
                    )));
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                i += 1;
                while i < len && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'+' | b'-')) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > max_tokens {
            return Err(AppError::LimitExceeded(format!("the document has more than {max_tokens} tokens")));
        }
    }
    Ok(())
}

/// What a selection set comes to with its fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Expansion {
    /// Fields at every level.
    fields: usize,
    /// Fields at the top level of the set.
    top_fields: usize,
    /// Whether `__schema` or `__type` is selected anywhere.
    introspection: bool,
    /// How deep selection sets nest below this one, each field with a selection, fragment
    /// spread and inline fragment a level (as async-graphql's recursive walks count them).
    depth: usize,
    /// How many fields deep the selections go (the depth limit's measure: a leaf is 1).
    field_depth: usize,
    /// Top-level fields that are not meta-fields (`__schema`, `__type`, `__typename`).
    top_data_fields: usize,
    /// How many [`INTROSPECTION_LISTS`] fields nest in one another, at most.
    member_lists: usize,
}

impl Expansion {
    /// Adds a fragment's expansion, spread (or inlined) one level below.
    fn merge(&mut self, other: Expansion) {
        self.fields = self.fields.saturating_add(other.fields);
        self.top_fields = self.top_fields.saturating_add(other.top_fields);
        self.introspection |= other.introspection;
        self.depth = self.depth.max(other.depth.saturating_add(1));
        self.field_depth = self.field_depth.max(other.field_depth);
        self.top_data_fields = self.top_data_fields.saturating_add(other.top_data_fields);
        self.member_lists = self.member_lists.max(other.member_lists);
    }
}

/// Expands a selection set given the expansions of the fragments it may spread. Recursion
/// follows the set's own nesting only, which [`scan`] has bounded.
fn expand(set: &SelectionSet, fragments: &HashMap<&str, Expansion>) -> Expansion {
    let mut out = Expansion::default();
    for selection in &set.items {
        match &selection.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                let inner = expand(&f.node.selection_set.node, fragments);
                out.fields = out.fields.saturating_add(1).saturating_add(inner.fields);
                out.top_fields = out.top_fields.saturating_add(1);
                out.introspection |= inner.introspection || name == "__schema" || name == "__type";
                if !f.node.selection_set.node.items.is_empty() {
                    out.depth = out.depth.max(inner.depth.saturating_add(1));
                }
                out.field_depth = out.field_depth.max(inner.field_depth.saturating_add(1));
                if !name.starts_with("__") {
                    out.top_data_fields = out.top_data_fields.saturating_add(1);
                }
                let lists = usize::from(INTROSPECTION_LISTS.contains(&name));
                out.member_lists = out.member_lists.max(inner.member_lists.saturating_add(lists));
            }
            Selection::InlineFragment(i) => out.merge(expand(&i.node.selection_set.node, fragments)),
            Selection::FragmentSpread(s) => {
                if let Some(e) = fragments.get(s.node.fragment_name.node.as_str()) {
                    out.merge(*e);
                }
            }
        }
    }
    out
}

/// The fragments a selection set spreads, at any level.
fn spreads<'a>(set: &'a SelectionSet, out: &mut Vec<&'a str>) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(f) => spreads(&f.node.selection_set.node, out),
            Selection::InlineFragment(i) => spreads(&i.node.selection_set.node, out),
            Selection::FragmentSpread(s) => out.push(s.node.fragment_name.node.as_str()),
        }
    }
}

/// Every fragment's expansion, each computed once (dependencies first); a cycle is refused.
fn expand_fragments(doc: &ExecutableDocument) -> Result<HashMap<&str, Expansion>, AppError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut done: HashMap<&str, Expansion> = HashMap::new();
    for start in doc.fragments.keys() {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        // Depth-first with an explicit stack: (fragment, whether its spreads were pushed).
        let mut stack: Vec<(&str, bool)> = vec![(start.as_str(), false)];
        while let Some((name, expanded)) = stack.pop() {
            let Some(fragment) = doc.fragments.get(name) else { continue };
            if expanded {
                let e = expand(&fragment.node.selection_set.node, &done);
                done.insert(name, e);
                marks.insert(name, Mark::Done);
                continue;
            }
            match marks.get(name) {
                Some(Mark::Done) => continue,
                Some(Mark::Visiting) => {
                    return Err(AppError::validation(format!("fragment {name} spreads itself (a cycle)")));
                }
                None => {}
            }
            marks.insert(name, Mark::Visiting);
            stack.push((name, true));
            let mut children = Vec::new();
            spreads(&fragment.node.selection_set.node, &mut children);
            for child in children {
                match marks.get(child) {
                    Some(Mark::Visiting) => {
                        return Err(AppError::validation(format!("fragment {child} spreads itself (a cycle)")));
                    }
                    Some(Mark::Done) => {}
                    None => stack.push((child, false)),
                }
            }
        }
    }
    Ok(done)
}

/// The most directives on one field of a selection set (fragments are checked on their own).
fn most_directives(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => f.node.directives.len().max(most_directives(&f.node.selection_set.node)),
            Selection::InlineFragment(i) => most_directives(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// The root field names of a selection set with fragments expanded (no cycles: checked).
fn root_names<'a>(doc: &'a ExecutableDocument, set: &'a SelectionSet, out: &mut Vec<&'a str>, budget: &mut usize) {
    for selection in &set.items {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        match &selection.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
            Selection::InlineFragment(i) => root_names(doc, &i.node.selection_set.node, out, budget),
            Selection::FragmentSpread(s) => {
                if let Some(f) = doc.fragments.get(&s.node.fragment_name.node) {
                    root_names(doc, &f.node.selection_set.node, out, budget);
                }
            }
        }
    }
}

/// A parsed, checked document and what the transports need to know of it.
#[derive(Debug)]
pub struct Checked {
    pub document: ExecutableDocument,
    /// The type of the operation that will run, when the request selects one unambiguously
    /// (otherwise execution reports the problem).
    pub kind: Option<OperationType>,
    /// The root field names of that operation, fragments expanded.
    pub root_fields: Vec<String>,
    /// The selected operation's name, when it has one.
    pub name: Option<String>,
    /// Whether the document asks for `__schema` or `__type` anywhere (who may is the
    /// gate's to say, from the caller's role).
    pub introspection: bool,
}

/// Scans, parses once and checks a document; the parsed document is handed to
/// async-graphql so it is never parsed again.
pub fn check(text: &str, operation_name: Option<&str>, limits: &DocumentLimits) -> Result<Checked, DocumentError> {
    scan(text, limits.max_tokens, limits.max_nesting)?;
    let document = async_graphql::parser::parse_query(text).map_err(|e| DocumentError {
        locations: e.positions().collect(),
        error: AppError::validation(e.to_string()),
    })?;
    let fragments = expand_fragments(&document)?;
    let mut aliases = 0usize;
    let mut directives = 0usize;
    let mut introspection = false;
    for (_, op) in document.operations.iter() {
        let set = &op.node.selection_set.node;
        let e = expand(set, &fragments);
        if e.top_fields > limits.max_root_fields {
            return Err(AppError::LimitExceeded(format!(
                "an operation selects {} root fields (fragments expanded); at most {} are allowed",
                e.top_fields, limits.max_root_fields
            ))
            .into());
        }
        if e.fields > limits.max_fields {
            return Err(AppError::LimitExceeded(format!(
                "an operation expands to more than {} fields",
                limits.max_fields
            ))
            .into());
        }
        if e.depth > limits.max_nesting {
            return Err(AppError::LimitExceeded(format!(
                "an operation's selections nest {} levels deep with fragments expanded; at most {} are allowed",
                e.depth, limits.max_nesting
            ))
            .into());
        }
        // Introspection alone has its own depth bound; anything else asked with it, the
        // bound of data queries.
        let max_depth = if e.introspection && e.top_data_fields == 0 {
            limits.max_depth.max(limits.max_introspection_depth)
        } else {
            limits.max_depth
        };
        if e.field_depth > max_depth {
            return Err(AppError::LimitExceeded(format!(
                "an operation selects fields {} deep; at most {max_depth} are allowed",
                e.field_depth
            ))
            .into());
        }
        if e.introspection && e.member_lists > MAX_INTROSPECTION_LISTS {
            return Err(AppError::LimitExceeded(format!(
                "an introspection nests `fields`, `inputFields`, `interfaces` or `possibleTypes` {} deep; at most {MAX_INTROSPECTION_LISTS} are allowed",
                e.member_lists
            ))
            .into());
        }
        introspection |= e.introspection;
        aliases = aliases.saturating_add(count_aliases(set));
        directives = directives.max(most_directives(set));
    }
    for fragment in document.fragments.values() {
        aliases = aliases.saturating_add(count_aliases(&fragment.node.selection_set.node));
        directives = directives.max(most_directives(&fragment.node.selection_set.node));
    }
    if directives > limits.max_directives {
        return Err(AppError::LimitExceeded(format!(
            "a field carries {directives} directives; at most {} are allowed",
            limits.max_directives
        ))
        .into());
    }
    if aliases > limits.max_aliases {
        return Err(AppError::LimitExceeded(format!(
            "the document uses {aliases} aliases; at most {} are allowed",
            limits.max_aliases
        ))
        .into());
    }
    let selected = match operation_name {
        Some(name) => document.operations.iter().find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => {
            let mut ops = document.operations.iter();
            match (ops.next(), ops.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    };
    let name = selected.and_then(|(n, _)| n.map(|n| n.to_string()));
    let selected = selected.map(|(_, op)| op);
    let (kind, root_fields) = match selected {
        Some(op) => {
            let mut names = Vec::new();
            let mut budget = limits.max_fields;
            root_names(&document, &op.node.selection_set.node, &mut names, &mut budget);
            (Some(op.node.ty), names.into_iter().map(str::to_string).collect())
        }
        None => (None, Vec::new()),
    };
    Ok(Checked { document, kind, root_fields, introspection, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DocumentLimits {
        DocumentLimits::default()
    }

    fn limit_exceeded(r: Result<Checked, DocumentError>) -> bool {
        matches!(r, Err(DocumentError { error: AppError::LimitExceeded(_), .. }))
    }

    #[test]
    fn counts_tokens() {
        assert!(scan("{ a b c }", 5, 40).is_ok());
        assert!(scan("{ a b c d e }", 5, 40).is_err());
        assert!(scan("# a b c d e f g\n{ a }", 3, 40).is_ok());
        assert!(scan("{ a(x: \"b c d e f g\") }", 8, 40).is_ok());
        assert!(scan("{ a(x: \"b c d e f g\") }", 7, 40).is_err());
    }

    #[test]
    fn a_lone_quote_in_a_block_string_does_not_hide_the_rest() {
        let fields: String = (0..100).map(|i| format!(" f{i}")).collect();
        let doc = format!("{{ a(x: \"\"\"a\"b\"\"\") {fields} }}");
        assert!(scan(&doc, 50, 40).is_err(), "the fields after the block string are counted");
        assert!(scan("{ a(x: \"\"\"a\\\"\"\"b\"\"\") }", 8, 40).is_ok(), "an escaped triple quote stays inside");
    }

    #[test]
    fn nesting_is_bounded_before_parsing_in_every_shape() {
        let lists =
            format!("{{ tasks(filter: {{numbers: {}1{}}}) {{ totalCount }} }}", "[".repeat(2000), "]".repeat(2000));
        let objects = format!("{{ tasks(filter: {}1{}) {{ totalCount }} }}", "{a:".repeat(1240), "}".repeat(1240));
        let selections = format!("{}{}", "{a".repeat(1650), "}".repeat(1650));
        for doc in [lists, objects, selections] {
            assert!(matches!(scan(&doc, 100_000, 40), Err(AppError::LimitExceeded(_))));
        }
        assert!(scan(&format!("{}{}", "{a".repeat(40), "}".repeat(40)), 1000, 40).is_ok());
        assert!(scan(&format!("{}{}", "{a".repeat(41), "}".repeat(41)), 1000, 40).is_err());
        // Brackets inside strings and comments do not count.
        assert!(scan(&format!("{{ a(x: \"{}\") }} # {}", "[".repeat(100), "{".repeat(100)), 1000, 40).is_ok());
    }

    #[test]
    fn root_fields_are_counted_with_fragments_expanded() {
        let many: String = (0..21).map(|i| format!(" f{i}: me {{ role }}")).collect();
        assert!(limit_exceeded(check(&format!("{{ ...F }} fragment F on QueryRoot {{ {many} }}"), None, &limits())));
        assert!(limit_exceeded(check(&format!("{{ ... on QueryRoot {{ {many} }} }}"), None, &limits())));
        let twenty: String = (0..20).map(|i| format!(" f{i}: __typename")).collect();
        assert!(check(&format!("{{ ...F }} fragment F on QueryRoot {{ {twenty} }}"), None, &limits()).is_ok());
    }

    #[test]
    fn selections_nested_through_a_chain_of_fragments_are_refused_here() {
        // Each fragment is two levels deep in its text; the chain is 2 × 100 expanded.
        let chain = |n: usize| {
            let mut doc = String::from("{ ...F0 }");
            for i in 0..n {
                doc.push_str(&format!(" fragment F{i} on QueryRoot {{ plan {{ ...F{} }} }}", i + 1));
            }
            doc.push_str(&format!(" fragment F{n} on QueryRoot {{ __typename }}"));
            doc
        };
        // (The field depth is bounded too; lifted here to see the nesting bound alone.)
        let limits = DocumentLimits { max_depth: 1000, ..limits() };
        assert!(limit_exceeded(check(&chain(100), None, &limits)));
        // 1 (the spread) + 2 × 19 + 1 = 40: at the default bound, accepted.
        assert!(check(&chain(19), None, &limits).is_ok());
        assert!(limit_exceeded(check(&chain(20), None, &limits)));
    }

    #[test]
    fn field_depth_counts_fields_through_fragments() {
        let limits = DocumentLimits { max_depth: 3, ..limits() };
        assert!(check("{ task(number: 1) { section { number } } }", None, &limits).is_ok());
        assert!(limit_exceeded(check("{ task(number: 1) { section { domain { code } } } }", None, &limits)));
        let through =
            "{ task(number: 1) { ...S } } fragment S on Task { section { ... on Section { domain { code } } } }";
        assert!(limit_exceeded(check(through, None, &limits)));
    }

    #[test]
    fn directives_are_counted_per_field_in_operations_and_fragments() {
        let on = |n: usize| "@include(if: true) ".repeat(n);
        assert!(check(&format!("{{ me {} {{ role }} }}", on(20)), None, &limits()).is_ok());
        assert!(limit_exceeded(check(&format!("{{ me {} {{ role }} }}", on(21)), None, &limits())));
        let in_fragment = format!("{{ ...F }} fragment F on QueryRoot {{ me {{ role {} }} }}", on(21));
        assert!(limit_exceeded(check(&in_fragment, None, &limits())));
    }

    #[test]
    fn fragment_bombs_cost_their_size_and_are_refused() {
        // Ten fragments, each spreading the next ten times: 10^9 fields when expanded.
        let mut doc = String::from("{ ...F0 }");
        for i in 0..9 {
            doc.push_str(&format!(" fragment F{i} on QueryRoot {{ {} }}", format!("...F{} ", i + 1).repeat(10)));
        }
        doc.push_str(" fragment F9 on QueryRoot { __typename }");
        let started = std::time::Instant::now();
        assert!(limit_exceeded(check(&doc, None, &limits())));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn fragment_cycles_are_refused() {
        let r = check("{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }", None, &limits());
        assert!(matches!(r, Err(DocumentError { error: AppError::Validation(_), .. })));
        let r = check("{ ...A } fragment A on QueryRoot { me { ...A } }", None, &limits());
        assert!(matches!(r, Err(DocumentError { error: AppError::Validation(_), .. })));
    }

    #[test]
    fn the_selected_operation_and_its_roots_are_known() {
        let c = check("query A { me { role } } mutation B { x }", Some("B"), &limits()).unwrap();
        assert_eq!(c.kind, Some(OperationType::Mutation));
        let c = check("{ ...F plan { title } } fragment F on QueryRoot { me { role } }", None, &limits()).unwrap();
        assert_eq!(c.root_fields, vec!["me", "plan"]);
        let c = check("query A { me { role } } query B { x }", None, &limits()).unwrap();
        assert_eq!(c.kind, None);
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = check("{ tasks { ", None, &limits()).unwrap_err();
        assert!(matches!(e.error, AppError::Validation(_)));
        assert!(!e.locations.is_empty());
    }
}
