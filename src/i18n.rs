//! Messages in the caller's language: English or Simplified Chinese.
//!
//! The code writes its messages in English, as templates with named holes
//! (`no value has been reported for {period}`). `locales/zh-CN.json` maps each template
//! (and the few words some templates are built from, such as `at least`) to Chinese. A
//! message is translated where it leaves the server — an error's `message`, a compliance
//! explanation — by finding its template and filling the Chinese one with the same values
//! (each translated too when it is one of the words). `extensions.code` never changes, nor
//! does plan text, which is the document's own Chinese in every language.
//!
//! The language is the request's: `Accept-Language` over HTTP; over WebSocket the
//! `connection_init` payload's `Accept-Language` (or `acceptLanguage`), else the upgrade
//! request's header; else `ECOPLAN_DEFAULT_LANGUAGE`. It is held in a task-local for the
//! request ([`scope`]), so that every place that turns an error into text can ask for it.
//!
//! A test (`every_message_of_the_code_has_a_translation`) reads the sources and fails when
//! a message template has no Chinese, so a new message cannot ship untranslated.

use std::collections::HashMap;
use std::future::Future;
use std::sync::LazyLock;

use regex::Regex;

/// A language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    /// A BCP 47 tag: `zh`, `zh-CN`, `zh-Hans`… are Chinese, `en…` English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred supported language of an `Accept-Language` value (q-values honoured;
    /// `*` and unsupported tags ignored), or `default`.
    pub fn negotiate(header: Option<&str>, default: Lang) -> Lang {
        let Some(header) = header else { return default };
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').enumerate().take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let Some(lang) = Lang::from_tag(tag) else { continue };
            if q <= 0.0 {
                continue;
            }
            // Higher q wins; on a tie, the earlier tag.
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l).unwrap_or(default)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

tokio::task_local! {
    static LANG: Lang;
}

/// Runs `f` with `lang` as the language of the messages it produces.
pub async fn scope<F: Future>(lang: Lang, f: F) -> F::Output {
    LANG.scope(lang, f).await
}

/// The language of the current request (English outside one).
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// One template of the catalog, ready to match English messages.
struct Template {
    pattern: Regex,
    holes: Vec<String>,
    chinese: String,
}

struct Catalog {
    /// Whole messages and words without holes.
    exact: HashMap<String, String>,
    /// Templates with holes, most specific (longest literal text) first.
    templates: Vec<Template>,
}

/// Holes that are filled with one of the catalog's words, never with free text.
const WORD_HOLES: [&str; 3] = ["verdict", "word", "status_word"];
/// The longest entry without holes that counts as a word.
const MAX_WORD_LEN: usize = 24;

static HOLE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\{([A-Za-z0-9_]+)\}").ok());

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let entries: HashMap<String, String> =
        serde_json::from_str(include_str!("../locales/zh-CN.json")).unwrap_or_default();
    let mut exact = HashMap::new();
    let mut templates: Vec<(usize, Template)> = Vec::new();
    let Some(hole) = HOLE.as_ref() else {
        return Catalog { exact: entries, templates: Vec::new() };
    };
    let mut word_list: Vec<&String> = entries.keys().filter(|k| !hole.is_match(k) && k.len() <= MAX_WORD_LEN).collect();
    word_list.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let words = format!("({})", word_list.iter().map(|w| regex::escape(w)).collect::<Vec<_>>().join("|"));
    for (english, chinese) in entries.clone() {
        if !hole.is_match(&english) {
            exact.insert(english, chinese);
            continue;
        }
        let mut pattern = String::from("^");
        let mut holes = Vec::new();
        let mut last = 0;
        for m in hole.captures_iter(&english) {
            let (Some(whole), Some(name)) = (m.get(0), m.get(1)) else { continue };
            pattern.push_str(&regex::escape(&english[last..whole.start()]));
            // A hole filled with one of the words (`is not`, `at least`) matches only them,
            // so that `is not at least` splits one way; any other hole, any text.
            if WORD_HOLES.contains(&name.as_str()) {
                pattern.push_str(&words);
            } else {
                pattern.push_str("(.*?)");
            }
            holes.push(name.as_str().to_string());
            last = whole.end();
        }
        pattern.push_str(&regex::escape(&english[last..]));
        pattern.push('$');
        if let Ok(pattern) = Regex::new(&format!("(?s){pattern}")) {
            templates.push((
                english.len() - holes.iter().map(|h| h.len() + 2).sum::<usize>(),
                Template { pattern, holes, chinese },
            ));
        }
    }
    templates.sort_by_key(|t| std::cmp::Reverse(t.0));
    Catalog { exact, templates: templates.into_iter().map(|(_, t)| t).collect() }
});

/// The Chinese of an English message, if the catalog has its template.
pub fn to_chinese(message: &str) -> Option<String> {
    translate(message, MAX_NESTED_MESSAGES)
}

/// How deep messages built from messages are translated (a score line's reason holds a
/// status and the explanations of its failing conditions, joined by `; `).
const MAX_NESTED_MESSAGES: usize = 3;

fn translate(message: &str, depth: usize) -> Option<String> {
    let catalog = &*CATALOG;
    if let Some(zh) = catalog.exact.get(message) {
        return Some(zh.clone());
    }
    // A list of messages joined by `; `, when each part is one.
    if depth > 0 && message.contains("; ") {
        let parts: Option<Vec<String>> = message.split("; ").map(|p| translate(p, depth - 1)).collect();
        if let Some(parts) = parts {
            return Some(parts.join("；"));
        }
    }
    for t in &catalog.templates {
        let Some(caps) = t.pattern.captures(message) else { continue };
        let mut out = t.chinese.clone();
        for (i, name) in t.holes.iter().enumerate() {
            let value = caps.get(i + 1).map(|m| m.as_str()).unwrap_or_default();
            // A value that is itself a word or a message of the catalog is translated too.
            let value = match catalog.exact.get(value) {
                Some(word) => word.clone(),
                None if depth > 0 && value.contains(' ') => {
                    translate(value, depth - 1).unwrap_or_else(|| value.to_string())
                }
                None => value.to_string(),
            };
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        return Some(out);
    }
    None
}

/// What each code means, for a message the catalog does not know (async-graphql's own).
fn code_in_chinese(code: &str) -> &'static str {
    match code {
        "UNAUTHENTICATED" => "身份验证失败",
        "FORBIDDEN" => "无权执行此操作",
        "NOT_FOUND" => "未找到",
        "BAD_USER_INPUT" => "请求有误",
        "CONFLICT" => "数据已被他人修改",
        "LIMIT_EXCEEDED" => "请求超出限制",
        "RATE_LIMITED" => "请求过于频繁",
        "UNAVAILABLE" => "服务暂不可用",
        "PERSISTED_QUERY_NOT_FOUND" => "未找到持久化查询",
        _ => "内部错误",
    }
}

/// `message` in `lang`: translated by the catalog, or, for a message it does not know,
/// the code's meaning in Chinese followed by the English.
pub fn localize(message: &str, code: &str, lang: Lang) -> String {
    match lang {
        Lang::En => message.to_string(),
        Lang::ZhCn => to_chinese(message).unwrap_or_else(|| format!("{}：{message}", code_in_chinese(code))),
    }
}

/// [`localize`] in the current request's language.
pub fn localized(message: &str, code: &str) -> String {
    localize(message, code, current())
}

/// Text that is data (a compliance explanation) in the current request's language; left
/// as it is when the catalog does not know it.
pub fn text(message: &str) -> String {
    match current() {
        Lang::En => message.to_string(),
        Lang::ZhCn => to_chinese(message).unwrap_or_else(|| message.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8"), Lang::En), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::ZhCn), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr, zh-Hans;q=0.5"), Lang::En), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("fr, de"), Lang::ZhCn), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("zh;q=0, en;q=0.1"), Lang::ZhCn), Lang::En);
        assert_eq!(Lang::negotiate(Some(""), Lang::En), Lang::En);
        assert_eq!(Lang::negotiate(None, Lang::ZhCn), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some(&"zh,".repeat(10_000)), Lang::En), Lang::ZhCn);
    }

    #[test]
    fn templates_are_filled_with_the_same_values_and_words_are_translated() {
        let zh =
            to_chinese("the current revision of \"straw_utilization_rate\" for 2022 is 2, not 1; reload and try again");
        let zh = zh.expect("a template of the catalog");
        assert!(zh.contains("2022") && zh.contains('2') && zh.contains("straw_utilization_rate"), "{zh}");
        let yes = to_chinese("2022: 89.9 is not at least 90").unwrap();
        assert!(yes.contains("89.9") && yes.contains("90") && !yes.contains("at least"), "{yes}");
        // A score line's reason: a status and its failing conditions' explanations.
        let reason =
            to_chinese("NOT_MET: 2022: 89.9 is not at least 90; no value has been reported for 2022-Q1").unwrap();
        assert!(reason.starts_with("未达标") && reason.contains("89.9") && reason.contains("2022-Q1"), "{reason}");
        assert!(!reason.contains("not at least") && !reason.contains("reported for"), "{reason}");
        let trend = to_chinese("2022: 5 is not higher than 6 in 2021").unwrap();
        assert!(trend.contains("不符合") && trend.contains("高于") && trend.contains('6'), "{trend}");
        let kept = to_chinese("2022: 5 is at least as high as 4 in 2021").unwrap();
        assert!(kept.starts_with("2022") && kept.contains("不低于") && !kept.contains("不符合"), "{kept}");
        assert_eq!(localize("no such thing at all", "NOT_FOUND", Lang::ZhCn), "未找到：no such thing at all");
        assert_eq!(localize("2022: 89.9 is not at least 90", "X", Lang::En), "2022: 89.9 is not at least 90");
    }

    /// Every message template in the code (the first argument of an `AppError` constructor,
    /// of a refused token, of a domain type's `Invalid`, of a compliance outcome) has a Chinese translation whose holes
    /// are the English one's.
    #[test]
    fn every_message_of_the_code_has_a_translation() {
        let catalog: HashMap<String, String> =
            serde_json::from_str(include_str!("../locales/zh-CN.json")).expect("the catalog is JSON");
        let hole = HOLE.as_ref().expect("the hole pattern");
        let site = Regex::new(
            r#"(?s)(AppError::(?:validation|forbidden|not_found|conflict|Validation|Forbidden|NotFound|Conflict|LimitExceeded)\(|AppError::Unauthenticated\(\s*AuthFailure::\w+,|refused\(AuthFailure::\w+,|Invalid::new\(|outcome\([^;]*?,|row_error\(\s*RowCode::\w+,)\s*(?:&?format!\(\s*)?"((?:[^"\\]|\\.)*)""#,
        )
        .expect("the site pattern");
        let placeholder = Regex::new(r"\{([A-Za-z_][A-Za-z0-9_]*|)(?::\?)?\}").expect("the placeholder pattern");
        let continuation = Regex::new(r"\\\n\s*").expect("the continuation pattern");
        let mut missing = Vec::new();
        let mut seen = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "domain/src"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).expect("a source directory").flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        files.push(path);
                    }
                }
            }
        }
        for file in files {
            let source = std::fs::read_to_string(&file).expect("a source file");
            for m in site.captures_iter(&source) {
                let raw = continuation.replace_all(&m[2], "").replace("\\\"", "\"").replace("\\\\", "\\");
                let mut n = 0;
                let template = placeholder
                    .replace_all(&raw, |c: &regex::Captures<'_>| {
                        if c[1].is_empty() {
                            n += 1;
                            format!("{{{}}}", n - 1)
                        } else {
                            format!("{{{}}}", &c[1])
                        }
                    })
                    .to_string();
                if ["ok", "INTERNAL", "PersistedQueryNotFound"].contains(&template.as_str()) {
                    continue;
                }
                seen += 1;
                match catalog.get(&template) {
                    None => missing.push(format!("{}: {template}", file.display())),
                    Some(zh) => {
                        let holes = |s: &str| {
                            let mut h: Vec<String> = hole.captures_iter(s).map(|c| c[1].to_string()).collect();
                            h.sort();
                            h
                        };
                        if holes(&template) != holes(zh) {
                            missing.push(format!("{}: holes differ: {template} / {zh}", file.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 150, "the sources were read ({seen} messages)");
        assert!(missing.is_empty(), "messages without a Chinese translation:\n{}", missing.join("\n"));
    }
}
