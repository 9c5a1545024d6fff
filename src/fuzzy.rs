//! The one matcher for app registrations: what the TUI's `/` filter and `apps list --filter`
//! both call, so they find the same apps. Fuzzy over display names (frizbee, smart case,
//! fzf's query syntax), exact over ids: a query of four or more hex digits and dashes also
//! matches the Application and Object IDs that contain it, above any name match.
//!
//! Owns matching and scoring only; callers order hits by score and their own sort.

use frizbee::{Config, Matcher};

use crate::catalog::IdStr;

/// The score of an id hit: above every name match.
pub const ID_SCORE: u16 = u16::MAX;

/// Below this many names one thread is quicker than starting a second.
const PARALLEL_FROM: usize = 8_000;

/// What a query is matched against, candidate by candidate: the display name, its lowercase
/// form (the same text when it has no capitals), and the two ids. Callers give views of their
/// own rows, so nothing is copied per keystroke.
pub trait Haystacks {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn name(&self, i: usize) -> &str;
    fn lower(&self, i: usize) -> &str;
    fn app_id(&self, i: usize) -> IdStr<'_>;
    fn object_id(&self, i: usize) -> IdStr<'_>;
}

/// One candidate with its texts, for callers that have them at hand (the CLI's pages).
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    pub name: &'a str,
    pub lower: &'a str,
    pub app_id: &'a str,
    pub object_id: &'a str,
}

impl Haystacks for [Candidate<'_>] {
    fn len(&self) -> usize {
        <[Candidate<'_>]>::len(self)
    }
    fn name(&self, i: usize) -> &str {
        self[i].name
    }
    fn lower(&self, i: usize) -> &str {
        self[i].lower
    }
    fn app_id(&self, i: usize) -> IdStr<'_> {
        IdStr::Text(self[i].app_id)
    }
    fn object_id(&self, i: usize) -> IdStr<'_> {
        IdStr::Text(self[i].object_id)
    }
}

/// No fzf operators: extending such a query can only narrow its matches.
pub fn plain_query(q: &str) -> bool {
    !q.contains(['!', '^', '$', '\''])
}

/// A query that can be part of an id: at least four hex digits and dashes.
pub fn idish(q: &str) -> bool {
    q.len() >= 4 && q.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The candidates `q` matches, as (position, score), in position order. `q` is trimmed by
/// the caller; an empty query matches nothing here.
pub fn matches<H: Haystacks + ?Sized>(q: &str, candidates: &H) -> Vec<(u32, u16)> {
    let mut hits: Vec<(u32, u16)> = Vec::new();
    if q.is_empty() {
        return hits;
    }
    let mut chars = q.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_alphanumeric()
    {
        // One letter matches almost every name, and a fuzzy alignment of one character is
        // just "contains it": score the position (start of the name, start of a word,
        // elsewhere) without running Smith-Waterman over every name.
        single_char(candidates, c, &mut hits);
    } else {
        fuzzy(candidates, q, &mut hits);
    }
    if idish(q) {
        let needle = q.to_ascii_lowercase();
        let mut ids: Vec<(u32, u16)> = Vec::new();
        for i in 0..candidates.len() {
            if contains_ignore_ascii_case(&candidates.app_id(i), &needle)
                || contains_ignore_ascii_case(&candidates.object_id(i), &needle)
            {
                ids.push((i as u32, ID_SCORE));
            }
        }
        if !ids.is_empty() {
            // An id hit is exact: it replaces the name score of the same candidate.
            hits.retain(|(i, _)| ids.binary_search_by_key(i, |(j, _)| *j).is_err());
            hits.extend(ids);
            hits.sort_unstable_by_key(|(i, _)| *i);
        }
    }
    hits
}

fn contains_ignore_ascii_case(hay: &str, lower_needle: &str) -> bool {
    if hay.bytes().any(|b| b.is_ascii_uppercase()) {
        hay.to_ascii_lowercase().contains(lower_needle)
    } else {
        memchr::memmem::find(hay.as_bytes(), lower_needle.as_bytes()).is_some()
    }
}

fn fuzzy<H: Haystacks + ?Sized>(candidates: &H, q: &str, hits: &mut Vec<(u32, u16)>) {
    let names: Vec<&str> = (0..candidates.len()).map(|i| candidates.name(i)).collect();
    // Index order: callers sort by their own key, so frizbee's score sort would be wasted.
    let config = Config {
        sort: frizbee::SortStrategy::IndexAsc,
        ..Config::default()
    };
    // Two halves on two threads when the list is large: typing must not wait on one core
    // while the other sits idle. Each half keeps its own matcher (they are not shared).
    if names.len() >= PARALLEL_FROM {
        let (left, right) = names.split_at(names.len() / 2);
        let offset = left.len() as u32;
        std::thread::scope(|scope| {
            let r = scope.spawn(|| match_names(q, &config, right));
            hits.extend(match_names(q, &config, left));
            match r.join() {
                Ok(more) => hits.extend(more.into_iter().map(|(i, s)| (i + offset, s))),
                // Behave as one thread would: a panic in the matcher is a panic here.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
    } else {
        hits.extend(match_names(q, &config, &names));
    }
}

fn match_names(q: &str, config: &Config, names: &[&str]) -> Vec<(u32, u16)> {
    let mut matcher = Matcher::from_query(q, config);
    matcher
        .match_list(names)
        .into_iter()
        .map(|m| (m.index, m.score))
        .collect()
}

/// Smart case like frizbee: a lowercase letter matches either case, an uppercase one only
/// itself. Scores: 3 at the start of the name, 2 at the start of a word, 1 elsewhere.
fn single_char<H: Haystacks + ?Sized>(candidates: &H, c: char, hits: &mut Vec<(u32, u16)>) {
    let sensitive = c.is_uppercase();
    let mut buf = [0u8; 4];
    let needle = c.encode_utf8(&mut buf).as_bytes();
    let finder = memchr::memmem::Finder::new(needle);
    let byte = (needle.len() == 1).then(|| needle[0]);
    for i in 0..candidates.len() {
        let hay = if sensitive {
            candidates.name(i)
        } else {
            candidates.lower(i)
        };
        let bytes = hay.as_bytes();
        // The first occurrence, then (if it is not a word start) the next ones.
        let first = match byte {
            Some(b) => memchr::memchr(b, bytes),
            None => finder.find(bytes),
        };
        let Some(first) = first else {
            continue;
        };
        let score_at = |at: usize| -> u16 {
            if at == 0 {
                3
            } else if hay[..at]
                .chars()
                .next_back()
                .is_some_and(|p| !p.is_alphanumeric())
            {
                2
            } else {
                1
            }
        };
        let mut best = score_at(first);
        if best == 1 {
            // A later occurrence can only beat it by starting a word.
            let rest = first + needle.len();
            let tail = bytes.get(rest..).unwrap_or_default();
            let word_start = match byte {
                Some(b) => memchr::memchr_iter(b, tail).any(|p| score_at(p + rest) == 2),
                None => finder.find_iter(tail).any(|p| score_at(p + rest) == 2),
            };
            if word_start {
                best = 2;
            }
        }
        hits.push((i as u32, best));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands<'a>(names: &'a [&'a str], lower: &'a [String]) -> Vec<Candidate<'a>> {
        names
            .iter()
            .zip(lower)
            .map(|(n, l)| Candidate {
                name: n,
                lower: l,
                app_id: "",
                object_id: "",
            })
            .collect()
    }

    #[test]
    fn one_letter_is_containment_ranked_by_position_with_smart_case() {
        let names = ["xylo", "alpha-x", "box", "Xeno", "none"];
        let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        let c = cands(&names, &lower);
        let c = c.as_slice();
        assert_eq!(matches("x", c), vec![(0, 3), (1, 2), (2, 1), (3, 3)]);
        assert_eq!(matches("X", c), vec![(3, 3)]);
        assert_eq!(matches("xy", c).len(), 1);
    }

    #[test]
    fn ids_match_exactly_above_names() {
        let c = [
            Candidate {
                name: "abcd-app",
                lower: "abcd-app",
                app_id: "00000000-0000-4000-8000-00000000abcd",
                object_id: "",
            },
            Candidate {
                name: "other",
                lower: "other",
                app_id: "",
                object_id: "11111111-ABCD-4000-8000-000000000000",
            },
        ];
        assert_eq!(matches("abcd", &c[..]), vec![(0, ID_SCORE), (1, ID_SCORE)]);
        assert!(idish("abcd") && !idish("abc") && !idish("abcx"));
    }
}
