//! Sigma string values: `*` and `?` wildcards with `\` escapes, compiled to the cheapest matcher.

/// One token of a Sigma string value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Char(char),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Parses a Sigma string: `*` and `?` are wildcards, `\*`, `\?` and `\\` are the literal
/// characters, and a backslash before anything else is itself literal (as the Sigma spec says).
pub fn parse_sigma(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(Tok::Char(n));
                }
                _ => out.push(Tok::Char('\\')),
            },
            c => out.push(Tok::Char(c)),
        }
    }
    out
}

/// Tokens from a literal string (no wildcard meaning).
pub fn literal(s: &str) -> Vec<Tok> {
    s.chars().map(Tok::Char).collect()
}

/// A compiled string matcher. Literals are stored lowercased unless the value is cased.
#[derive(Clone, Debug)]
pub enum StrPat {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Matches any string (a lone `*`).
    Any,
    Glob(Vec<Tok>),
}

impl StrPat {
    /// Builds the cheapest matcher for `toks`; `cased == false` lowercases the literals.
    pub fn compile(toks: &[Tok], cased: bool) -> StrPat {
        let fold = |c: char| -> String {
            if cased {
                c.to_string()
            } else {
                fold_char(c).collect()
            }
        };
        let lit = |ts: &[Tok]| -> Option<String> {
            ts.iter()
                .map(|t| match t {
                    Tok::Char(c) => Some(fold(*c)),
                    _ => None,
                })
                .collect()
        };
        // Collapse runs of stars: `**` is `*`.
        let mut norm: Vec<Tok> = Vec::with_capacity(toks.len());
        for t in toks {
            if *t == Tok::Star && norm.last() == Some(&Tok::Star) {
                continue;
            }
            norm.push(*t);
        }
        let n = norm.len();
        let star_first = n > 0 && norm[0] == Tok::Star;
        let star_last = n > 0 && norm[n - 1] == Tok::Star;
        if n == 1 && star_first {
            return StrPat::Any;
        }
        let inner = &norm[usize::from(star_first)..n - usize::from(star_last && n > 0)];
        if let Some(l) = lit(inner) {
            return match (star_first, star_last) {
                (false, false) => StrPat::Exact(l),
                (false, true) => StrPat::Prefix(l),
                (true, false) => StrPat::Suffix(l),
                (true, true) => StrPat::Contains(l),
            };
        }
        let folded = norm
            .into_iter()
            .flat_map(|t| match t {
                Tok::Char(c) => fold(c).chars().map(Tok::Char).collect::<Vec<_>>(),
                t => vec![t],
            })
            .collect();
        StrPat::Glob(folded)
    }

    /// `s` must already be folded the same way as the pattern.
    pub fn is_match(&self, s: &str) -> bool {
        match self {
            StrPat::Exact(l) => s == l,
            StrPat::Prefix(l) => s.starts_with(l.as_str()),
            StrPat::Suffix(l) => s.ends_with(l.as_str()),
            StrPat::Contains(l) => s.contains(l.as_str()),
            StrPat::Any => true,
            StrPat::Glob(p) => glob_match(p, s),
        }
    }
}

/// Wildcard matching without backtracking blow-up: remember the last `*` and retry from there.
pub fn glob_match(p: &[Tok], s: &str) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        let c = s[si..].chars().next().expect("si is on a char boundary");
        if pi < p.len() {
            match p[pi] {
                Tok::Star => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                Tok::One => {
                    pi += 1;
                    si += c.len_utf8();
                    continue;
                }
                Tok::Char(pc) if pc == c => {
                    pi += 1;
                    si += c.len_utf8();
                    continue;
                }
                Tok::Char(_) => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                let skipped = s[ss..].chars().next().expect("ss < len").len_utf8();
                star = Some((sp, ss + skipped));
                pi = sp + 1;
                si = ss + skipped;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Star)
}

/// One character, case-folded: lowercase, with the Greek final sigma folded to sigma (so `Σ`,
/// `σ` and `ς` are one letter, as in Unicode simple case folding).
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().map(|l| if l == 'ς' { 'σ' } else { l })
}

/// Case-folds char by char (no context rules, so a pattern folded in pieces and a value
/// folded whole agree); borrows when nothing changes.
pub fn fold(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return if s.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(s.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(s)
        };
    }
    if s.chars().any(|c| c.is_uppercase() || c == 'ς') {
        std::borrow::Cow::Owned(s.chars().flat_map(fold_char).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Calls `f` with `s` folded; short ASCII strings (nearly every CloudTrail value) are folded
/// in a stack buffer, without allocating.
pub fn with_folded<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 256];
    if s.len() <= buf.len() && s.is_ascii() {
        let buf = &mut buf[..s.len()];
        buf.copy_from_slice(s.as_bytes());
        buf.make_ascii_lowercase();
        f(std::str::from_utf8(buf).expect("ASCII stays UTF-8"))
    } else {
        f(&fold(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        StrPat::compile(&parse_sigma(p), false).is_match(&fold(s))
    }

    #[test]
    fn classifies_and_matches() {
        assert!(matches!(
            StrPat::compile(&parse_sigma("ab"), false),
            StrPat::Exact(_)
        ));
        assert!(matches!(
            StrPat::compile(&parse_sigma("ab*"), false),
            StrPat::Prefix(_)
        ));
        assert!(matches!(
            StrPat::compile(&parse_sigma("*ab"), false),
            StrPat::Suffix(_)
        ));
        assert!(matches!(
            StrPat::compile(&parse_sigma("**ab*"), false),
            StrPat::Contains(_)
        ));
        assert!(matches!(
            StrPat::compile(&parse_sigma("a?b"), false),
            StrPat::Glob(_)
        ));
        assert!(m("List*", "listBuckets"));
        assert!(!m("List*", "GetList"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
    }

    #[test]
    fn escapes() {
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m(r"a\?", "a?"));
        assert!(!m(r"a\?", "ab"));
        assert!(m(r"c:\\x", r"c:\x"));
        assert!(m(r"c:\x", r"c:\x"), "a lone backslash is literal");
    }
}
