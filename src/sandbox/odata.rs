//! OData query options as Graph's directory accepts them for applications (contract §1,
//! docs/contract.md §9): percent-decoding of the raw query, `$filter` (`startswith` and `eq` on
//! displayName/appId/id; `ge`, `le` and `eq` on createdDateTime with unquoted DateTimeOffset
//! literals; `createdDateTime eq null`, an advanced query; joined by `and`), `$search` clauses,
//! `$select`, `$orderby`, and the opaque `$skiptoken` codec used in `@odata.nextLink`.

use std::hash::{BuildHasher, Hash, RandomState};

use base64::Engine;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::form_urlencoded;

use super::model::is_guid;

/// A request path with its `%XX` escapes decoded (`+` stays a plus in a path).
pub fn decode_path(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// What stays readable in a nextLink's query values: unreserved characters and the OData
/// punctuation Graph leaves alone; everything else (space, `&`, `#`, `+`, `%`, `"`, non-ASCII)
/// is escaped.
const NEXT_LINK_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':')
    .remove(b'*')
    .remove(b'/');

/// Encode a query name or value for a nextLink.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, NEXT_LINK_VALUE).to_string()
}

/// The query string split into decoded `(name, value)` pairs, in order (`+` is a space, as
/// HTML forms and reqwest's query encoder write it).
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// One `$filter` condition the sandbox supports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `startswith(displayName,'…')`, case-insensitive; holds the lowercased prefix.
    NameStartsWith(String),
    /// `displayName eq '…'`, case-insensitive; lowercased.
    NameEq(String),
    /// `appId eq '…'`; lowercased.
    AppIdEq(String),
    /// `id eq '…'`; lowercased.
    IdEq(String),
    /// `createdDateTime ge 2024-01-01T00:00:00Z` (unquoted literal, inclusive).
    CreatedGe(DateTime<Utc>),
    /// `createdDateTime le …` (inclusive).
    CreatedLe(DateTime<Utc>),
    /// `createdDateTime eq …`.
    CreatedEq(DateTime<Utc>),
    /// `createdDateTime eq null`: an advanced query (header and `$count=true`).
    CreatedNull,
}

impl Cond {
    /// Only valid as an advanced query (`ConsistencyLevel: eventual` and `$count=true`): the
    /// documentation's table marks `eq null` on createdDateTime "Advanced".
    pub fn advanced(&self) -> bool {
        matches!(self, Cond::CreatedNull)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum FilterError {
    /// Graph's `Request_UnsupportedQuery` "Unsupported Query.".
    Unsupported,
    /// `id eq 'not-a-guid'`: `Request_BadRequest` "Invalid object identifier '…'.".
    InvalidId(String),
    /// An operator Graph does not have for directory objects (`contains`):
    /// "Unsupported property filter clause operator 'Contains'.".
    Operator(&'static str),
    /// A clause Graph refuses for a property (`startswith(displayName,'')`):
    /// "Unsupported or invalid query filter clause specified for property '…' of resource
    /// 'Application'.".
    InvalidClause(&'static str),
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// An unquoted literal that starts with a digit (a DateTimeOffset, a number).
    Lit(String),
    Open,
    Close,
    Comma,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, FilterError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            ',' => {
                chars.next();
                out.push(Tok::Comma);
            }
            '\'' => {
                chars.next();
                let mut lit = String::new();
                loop {
                    match chars.next() {
                        None => return Err(FilterError::Unsupported),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            lit.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => lit.push(c),
                    }
                }
                out.push(Tok::Str(lit));
            }
            c if c.is_ascii_digit() => {
                let mut lit = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-') {
                        lit.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Lit(lit));
            }
            c if c.is_alphanumeric() || c == '_' || c == '/' || c == '.' || c == '$' => {
                let mut id = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || c == '_' || c == '/' || c == '.' || c == '$' {
                        id.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Ident(id));
            }
            _ => return Err(FilterError::Unsupported),
        }
    }
    Ok(out)
}

/// Parse a `$filter` into a conjunction of supported conditions.
pub fn parse_filter(s: &str) -> Result<Vec<Cond>, FilterError> {
    let toks = tokenize(s)?;
    let mut conds = Vec::new();
    let mut i = 0;
    loop {
        let (cond, next) = parse_cond(&toks, i)?;
        conds.push(cond);
        i = next;
        match toks.get(i) {
            None => break,
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("and") => i += 1,
            Some(_) => return Err(FilterError::Unsupported),
        }
    }
    Ok(conds)
}

fn parse_cond(t: &[Tok], i: usize) -> Result<(Cond, usize), FilterError> {
    use Tok::*;
    match (
        t.get(i),
        t.get(i + 1),
        t.get(i + 2),
        t.get(i + 3),
        t.get(i + 4),
        t.get(i + 5),
    ) {
        (Some(Ident(f)), Some(Open), Some(Ident(p)), Some(Comma), Some(Str(v)), Some(Close))
            if f.eq_ignore_ascii_case("startswith") && p.eq_ignore_ascii_case("displayName") =>
        {
            if v.is_empty() {
                return Err(FilterError::InvalidClause("displayName"));
            }
            Ok((Cond::NameStartsWith(v.to_lowercase()), i + 6))
        }
        (Some(Ident(f)), Some(Open), ..) if f.eq_ignore_ascii_case("contains") => {
            Err(FilterError::Operator("Contains"))
        }
        (Some(Ident(p)), Some(Ident(op)), Some(v), ..)
            if p.eq_ignore_ascii_case("createdDateTime") =>
        {
            let op = op.to_ascii_lowercase();
            let cond = match (op.as_str(), v) {
                ("eq", Ident(n)) if n.eq_ignore_ascii_case("null") => Cond::CreatedNull,
                ("ge" | "le" | "eq", Lit(text)) => {
                    let at = parse_date_time(text).ok_or(FilterError::Unsupported)?;
                    match op.as_str() {
                        "ge" => Cond::CreatedGe(at),
                        "le" => Cond::CreatedLe(at),
                        _ => Cond::CreatedEq(at),
                    }
                }
                // `gt` and `lt` are in neither the documentation's table nor the property's
                // description (docs/contract.md §9): refused as Graph refuses what it lacks.
                _ => return Err(FilterError::Unsupported),
            };
            Ok((cond, i + 3))
        }
        (Some(Ident(p)), Some(Ident(op)), Some(Str(v)), ..) if op.eq_ignore_ascii_case("eq") => {
            let cond = if p.eq_ignore_ascii_case("displayName") {
                Cond::NameEq(v.to_lowercase())
            } else if p.eq_ignore_ascii_case("appId") {
                Cond::AppIdEq(v.to_ascii_lowercase())
            } else if p.eq_ignore_ascii_case("id") {
                if !is_guid(v) {
                    return Err(FilterError::InvalidId(v.clone()));
                }
                Cond::IdEq(v.to_ascii_lowercase())
            } else {
                return Err(FilterError::Unsupported);
            };
            Ok((cond, i + 3))
        }
        _ => Err(FilterError::Unsupported),
    }
}

/// An `Edm.DateTimeOffset` literal as OData writes it unquoted: `2024-01-01T00:00:00Z`, 0 to 7
/// fractional digits, `Z` or an offset.
pub fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    let digits = text
        .split_once('.')
        .map(|(_, f)| f.bytes().take_while(u8::is_ascii_digit).count())
        .unwrap_or(0);
    if digits > 7 {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A `$search` expression: clauses joined by `AND` / `OR` (left to right, AND binds tighter).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Search {
    /// Disjunction of conjunctions of clauses.
    pub any_of: Vec<Vec<SearchClause>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchClause {
    pub property: SearchProp,
    /// The clause's tokens, lowercased; every one must prefix-match some token of the value.
    pub tokens: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchProp {
    DisplayName,
    Description,
}

/// Parse `"displayName:web" AND "description:billing"`. `None` when unsupported.
pub fn parse_search(s: &str) -> Option<Search> {
    let mut any_of: Vec<Vec<SearchClause>> = vec![Vec::new()];
    let mut rest = s.trim();
    let mut expect_clause = true;
    while !rest.is_empty() {
        if expect_clause {
            let inner = rest.strip_prefix('"')?;
            let mut clause = String::new();
            let mut end = None;
            let mut it = inner.char_indices();
            while let Some((i, c)) = it.next() {
                match c {
                    '\\' => clause.push(it.next()?.1),
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => clause.push(c),
                }
            }
            let end = end?;
            rest = inner[end + 1..].trim_start();
            let (prop, value) = clause.split_once(':')?;
            let property = if prop.trim().eq_ignore_ascii_case("displayName") {
                SearchProp::DisplayName
            } else if prop.trim().eq_ignore_ascii_case("description") {
                SearchProp::Description
            } else {
                return None;
            };
            let tokens = search_tokens(value);
            if tokens.is_empty() {
                return None;
            }
            any_of.last_mut()?.push(SearchClause { property, tokens });
            expect_clause = false;
        } else if let Some(r) = rest.strip_prefix("AND") {
            rest = r.trim_start();
            expect_clause = true;
        } else if let Some(r) = rest.strip_prefix("OR") {
            rest = r.trim_start();
            any_of.push(Vec::new());
            expect_clause = true;
        } else {
            return None;
        }
    }
    (!expect_clause).then_some(Search { any_of })
}

/// Tokenize as the directory's `$search` does (contract §1): split on spaces, symbols,
/// lower-to-upper case changes and letter/digit boundaries; the symbol-free concatenation of
/// each space-separated word is a token too (`hello.world` -> `hello`, `world`, `helloworld`).
pub fn search_tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in s.split_whitespace() {
        let mut cur = String::new();
        let mut prev: Option<char> = None;
        let mut parts = 0;
        for c in word.chars() {
            if !c.is_alphanumeric() {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    parts += 1;
                }
                prev = None;
                continue;
            }
            if let Some(p) = prev {
                let case_break = p.is_lowercase() && c.is_uppercase();
                let digit_break = p.is_numeric() != c.is_numeric();
                if (case_break || digit_break) && !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    parts += 1;
                }
            }
            cur.extend(c.to_lowercase());
            prev = Some(c);
        }
        if !cur.is_empty() {
            out.push(cur);
            parts += 1;
        }
        if parts > 1 {
            let joined: String = word
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            out.push(joined);
        }
    }
    out
}

impl Search {
    pub fn matches(&self, display_name: &str, description: Option<&str>) -> bool {
        let name_tokens = search_tokens(display_name);
        let desc_tokens = description.map(search_tokens).unwrap_or_default();
        self.any_of.iter().any(|all| {
            all.iter().all(|clause| {
                let hay = match clause.property {
                    SearchProp::DisplayName => &name_tokens,
                    SearchProp::Description => &desc_tokens,
                };
                clause
                    .tokens
                    .iter()
                    .all(|t| hay.iter().any(|h| h.starts_with(t.as_str())))
            })
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderKey {
    DisplayName,
    CreatedDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrderBy {
    pub key: OrderKey,
    pub descending: bool,
}

/// `displayName`, `displayName desc`, `createdDateTime asc`.
pub fn parse_orderby(s: &str) -> Option<OrderBy> {
    let mut parts = s.split_whitespace();
    let key = match parts.next()? {
        k if k.eq_ignore_ascii_case("displayName") => OrderKey::DisplayName,
        k if k.eq_ignore_ascii_case("createdDateTime") => OrderKey::CreatedDateTime,
        _ => return None,
    };
    let descending = match parts.next() {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("asc") => false,
        Some(d) if d.eq_ignore_ascii_case("desc") => true,
        Some(_) => return None,
    };
    parts
        .next()
        .is_none()
        .then_some(OrderBy { key, descending })
}

/// Opaque `$skiptoken`s: a position masked and authenticated with a per-server key, bound to
/// the query it came from. Nothing in the token reads as an offset.
pub struct PageTokens {
    key: RandomState,
}

impl Default for PageTokens {
    fn default() -> Self {
        Self {
            key: RandomState::new(),
        }
    }
}

impl PageTokens {
    /// A fingerprint of the options that decide positions (collection, filter, search, order).
    pub fn fingerprint(&self, parts: impl Hash) -> u64 {
        self.key.hash_one(parts)
    }

    pub fn encode(&self, pos: u64, fingerprint: u64) -> String {
        let masked = pos ^ self.key.hash_one(("mask", fingerprint));
        let mac = self.key.hash_one(("mac", masked, fingerprint));
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&masked.to_le_bytes());
        bytes[8..].copy_from_slice(&mac.to_le_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(&self, token: &str, fingerprint: u64) -> Option<u64> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        let bytes: [u8; 16] = bytes.try_into().ok()?;
        let masked = u64::from_le_bytes(bytes[..8].try_into().ok()?);
        let mac = u64::from_le_bytes(bytes[8..].try_into().ok()?);
        (self.key.hash_one(("mac", masked, fingerprint)) == mac)
            .then(|| masked ^ self.key.hash_one(("mask", fingerprint)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(
            parse_filter("startswith(displayName,'O''Brien')"),
            Ok(vec![Cond::NameStartsWith("o'brien".into())])
        );
        assert_eq!(
            parse_filter("startsWith(displayName, 'Web') and appId eq 'ABC'"),
            Ok(vec![
                Cond::NameStartsWith("web".into()),
                Cond::AppIdEq("abc".into())
            ])
        );
        assert_eq!(
            parse_filter("endswith(displayName,'x')"),
            Err(FilterError::Unsupported)
        );
        assert_eq!(
            parse_filter("displayName ne 'x'"),
            Err(FilterError::Unsupported)
        );
        assert_eq!(
            parse_filter("id eq 'nope'"),
            Err(FilterError::InvalidId("nope".into()))
        );
        assert_eq!(
            parse_filter("startswith(displayName,'x"),
            Err(FilterError::Unsupported)
        );
    }

    #[test]
    fn created_date_time_ranges() {
        let at = |s: &str| parse_date_time(s).unwrap();
        assert_eq!(
            parse_filter(
                "createdDateTime ge 2024-01-01T00:00:00Z and createdDateTime le 2024-06-30T12:00:00.1234567+02:00"
            ),
            Ok(vec![
                Cond::CreatedGe(at("2024-01-01T00:00:00Z")),
                Cond::CreatedLe(at("2024-06-30T10:00:00.1234567Z")),
            ])
        );
        let null = parse_filter("createdDateTime eq null").unwrap();
        assert_eq!(null, vec![Cond::CreatedNull]);
        assert!(null[0].advanced());
        for bad in [
            "createdDateTime gt 2024-01-01T00:00:00Z",
            "createdDateTime lt 2024-01-01T00:00:00Z",
            "createdDateTime ge '2024-01-01T00:00:00Z'",
            "createdDateTime ge 2024-01-01T00:00:00.12345678Z",
            "createdDateTime ge 2024-13-01T00:00:00Z",
            "displayName ge 'a'",
        ] {
            assert_eq!(parse_filter(bad), Err(FilterError::Unsupported), "{bad}");
        }
        assert_eq!(
            parse_filter("contains(displayName,'bill')"),
            Err(FilterError::Operator("Contains"))
        );
        assert_eq!(
            parse_filter("startswith(displayName,'')"),
            Err(FilterError::InvalidClause("displayName"))
        );
    }

    #[test]
    fn decoding() {
        let q = |raw: &str| parse_query(Some(raw));
        assert_eq!(
            q("$filter=startswith%28displayName%2C%27a%20b%27%29"),
            vec![(
                "$filter".to_owned(),
                "startswith(displayName,'a b')".to_owned()
            )]
        );
        assert_eq!(
            q("a=a+b%2Bc&&b"),
            vec![
                ("a".to_owned(), "a b+c".to_owned()),
                ("b".to_owned(), String::new())
            ]
        );
        assert_eq!(q("x=100%")[0].1, "100%");
        assert_eq!(
            decode_path("/v1.0/applications(appId='a%20b+c')"),
            "/v1.0/applications(appId='a b+c')"
        );
        let v = "startswith(displayName,'a&b #1 +\"ü')";
        assert_eq!(q(&format!("f={}", encode_component(v)))[0].1, v);
        assert_eq!(encode_component("a b'(,)"), "a%20b'(,)");
    }

    #[test]
    fn search() {
        assert_eq!(
            search_tokens("hello.world"),
            vec!["hello", "world", "helloworld"]
        );
        assert_eq!(search_tokens("WebApp2"), vec!["web", "app", "2", "webapp2"]);
        let s = parse_search("\"displayName:web\"").unwrap();
        assert!(s.matches("My Web app", None));
        assert!(s.matches("contosoWebsite", None));
        assert!(!s.matches("Cobweb", None));
        let s = parse_search("\"displayName:eb\"").unwrap();
        assert!(!s.matches("Web", None));
        let s = parse_search("\"displayName:billing\" OR \"displayName:orders\"").unwrap();
        assert!(s.matches("orders-worker", None));
        assert!(parse_search("displayName:web").is_none());
        assert!(parse_search("\"appId:web\"").is_none());
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let t = PageTokens::default();
        let fp = t.fingerprint(("applications", "x"));
        let tok = t.encode(300, fp);
        assert_eq!(t.decode(&tok, fp), Some(300));
        assert_eq!(t.decode(&tok, fp ^ 1), None);
        assert!(!tok.contains("300"));
        let mut bad = tok.clone().into_bytes();
        bad[0] = if bad[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(t.decode(&String::from_utf8(bad).unwrap(), fp), None);
    }
}
