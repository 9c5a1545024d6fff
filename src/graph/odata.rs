//! OData query building: string literals with doubled quotes, percent-encoding of values.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Quote a string literal for `$filter`: `O'Brien` -> `'O''Brien'`.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Everything but unreserved characters is escaped, as the Azure CLI does
/// (`quote(filter, safe='')`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encode a query value.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// `startswith(displayName,'…')`.
pub fn startswith_display_name(prefix: &str) -> String {
    format!("startswith(displayName,{})", quote(prefix))
}

/// `"displayName:…"` for `$search` (docs/contract.md §9): `"` and `\` escaped with a
/// backslash inside the quotes (the rest is percent-encoded with [`encode`]); fzf operators
/// (`^`, `'`, `$`) dropped. `None` when there is nothing Graph could search for: no letter or
/// digit, or a negation (`!`), which `$search` cannot express.
pub fn search_display_name(text: &str) -> Option<String> {
    let t = text.trim();
    if t.contains('!') || !t.chars().any(char::is_alphanumeric) {
        return None;
    }
    let mut s = String::from("\"displayName:");
    for c in t.chars().filter(|c| !matches!(c, '^' | '\'' | '$')) {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    Some(s)
}

/// `appId eq '…'`.
pub fn app_id_eq(app_id: &str) -> String {
    format!("appId eq {}", quote(app_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_encodes() {
        assert_eq!(
            startswith_display_name("O'Brien"),
            "startswith(displayName,'O''Brien')"
        );
        assert_eq!(
            encode(&startswith_display_name("azure-cli-test000001")),
            "startswith%28displayName%2C%27azure-cli-test000001%27%29"
        );
        assert_eq!(encode("a b&c=d#é"), "a%20b%26c%3Dd%23%C3%A9");
    }

    #[test]
    fn search_clauses_escape_quotes_and_backslashes() {
        assert_eq!(
            search_display_name(" billing prod ").as_deref(),
            Some("\"displayName:billing prod\"")
        );
        assert_eq!(
            search_display_name("say \"hi\" \\o/").as_deref(),
            Some(r#""displayName:say \"hi\" \\o/""#)
        );
        assert_eq!(
            search_display_name("^web$").as_deref(),
            Some("\"displayName:web\"")
        );
        assert_eq!(search_display_name("  --  "), None);
        assert_eq!(search_display_name("!web"), None);
    }
}
