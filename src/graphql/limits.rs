//! Limits checked before execution, which async-graphql 7 does not offer itself: aliases,
//! root fields and lexical tokens per document.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::Request;

use crate::config::Settings;
use crate::error::AppError;

/// Counts lexical tokens cheaply, before parsing: names, numbers, strings and punctuators.
/// A document with more tokens than allowed is refused without being parsed.
pub fn check_token_count(query: &str, max_tokens: usize) -> Result<(), AppError> {
    let mut count = 0usize;
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() || c == ',' => continue,
            '#' => {
                for n in chars.by_ref() {
                    if n == '\n' || n == '\r' {
                        break;
                    }
                }
                continue;
            }
            '"' => {
                let mut escaped = false;
                for n in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if n == '\\' {
                        escaped = true;
                    } else if n == '"' {
                        break;
                    }
                }
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                while chars.peek().is_some_and(|n| n.is_alphanumeric() || *n == '_' || *n == '.') {
                    chars.next();
                }
            }
            _ => {}
        }
        count += 1;
        if count > max_tokens {
            return Err(AppError::LimitExceeded(format!("the document has more than {max_tokens} tokens")));
        }
    }
    Ok(())
}

fn count_aliases(set: &SelectionSet, depth: usize) -> usize {
    if depth > 64 {
        return 0;
    }
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node, depth + 1)
            }
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node, depth + 1),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Checks aliases (over the whole document) and root fields (per operation).
pub fn check_document(doc: &ExecutableDocument, settings: &Settings) -> Result<(), AppError> {
    let mut aliases = 0;
    for (_, op) in doc.operations.iter() {
        let roots = op.node.selection_set.node.items.len();
        if roots > settings.max_root_fields {
            return Err(AppError::LimitExceeded(format!(
                "an operation selects {roots} root fields; at most {} are allowed",
                settings.max_root_fields
            )));
        }
        aliases += count_aliases(&op.node.selection_set.node, 0);
    }
    for fragment in doc.fragments.values() {
        aliases += count_aliases(&fragment.node.selection_set.node, 0);
    }
    if aliases > settings.max_aliases {
        return Err(AppError::LimitExceeded(format!(
            "the document uses {aliases} aliases; at most {} are allowed",
            settings.max_aliases
        )));
    }
    Ok(())
}

fn selects_introspection(set: &SelectionSet, depth: usize) -> bool {
    depth <= 64
        && set.items.iter().any(|s| match &s.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                name == "__schema" || name == "__type" || selects_introspection(&f.node.selection_set.node, depth + 1)
            }
            Selection::InlineFragment(i) => selects_introspection(&i.node.selection_set.node, depth + 1),
            Selection::FragmentSpread(_) => false,
        })
}

/// FORBIDDEN when introspection is off and the document asks for `__schema` or `__type`
/// (async-graphql would silently answer null).
pub fn check_introspection(doc: &ExecutableDocument, settings: &Settings) -> Result<(), AppError> {
    if settings.introspection_enabled() {
        return Ok(());
    }
    let asks = doc.operations.iter().any(|(_, op)| selects_introspection(&op.node.selection_set.node, 0))
        || doc.fragments.values().any(|f| selects_introspection(&f.node.selection_set.node, 0));
    if asks {
        return Err(AppError::forbidden("introspection is disabled in this environment"));
    }
    Ok(())
}

/// Applies these limits to a request before it executes, parsing its document once: the
/// parsed document stays in the request, so async-graphql does not parse it again (and then
/// applies its own depth, complexity and directive limits). A document that does not parse
/// is left to async-graphql, which reports the syntax error.
pub fn prepare(request: &mut Request, settings: &Settings) -> Result<(), AppError> {
    check_token_count(&request.query, settings.max_tokens)?;
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return Ok(());
    };
    check_document(&doc, settings)?;
    check_introspection(&doc, settings)?;
    request.set_parsed_query(doc);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens() {
        assert!(check_token_count("{ a b c }", 5).is_ok());
        assert!(check_token_count("{ a b c d e }", 5).is_err());
        assert!(check_token_count("# a b c d e f g\n{ a }", 3).is_ok());
        assert!(check_token_count("{ a(x: \"b c d e f g\") }", 8).is_ok());
        assert!(check_token_count("{ a(x: \"b c d e f g\") }", 7).is_err());
    }
}
