//! Wildcard patterns: glob(3) components for Include, and OpenSSH pattern lists for Match.

/// `*`, `?` and `[...]` (with `!`/`^` negation and ranges) against a whole name.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n, true)
}

fn glob_at(p: &[char], n: &[char], brackets: bool) -> bool {
    // Iterative with one backtrack point for `*`: linear in practice, no recursion blow-up.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if brackets => {
                    if let Some((matched, len)) = class(&p[pi..], n[ni])
                        && matched
                    {
                        pi += len;
                        ni += 1;
                        continue;
                    } else if class(&p[pi..], n[ni]).is_none() && n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against a `[...]` class at the start of `p`; returns (matched, class length), or
/// None when the bracket is not closed (then it is a literal `[`).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(1), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// OpenSSH `match_pattern`: only `*` and `?`; `[` is literal.
pub fn ssh_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n, false)
}

/// OpenSSH `match_pattern_list`: comma-separated, `!` negates; a negated match wins.
pub fn ssh_match_list(list: &str, name: &str) -> bool {
    let mut positive = false;
    for item in list.split(',').filter(|s| !s.is_empty()) {
        let (neg, pat) = match item.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, item),
        };
        if ssh_match(pat, name) {
            if neg {
                return false;
            }
            positive = true;
        }
    }
    positive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_cases() {
        assert!(glob_match("*.conf", "50-cloud-init.conf"));
        assert!(!glob_match("*.conf", "50-cloud-init.conf.bak"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("[0-9]*", "50-x"));
        assert!(!glob_match("[!0-9]*", "50-x"));
        assert!(glob_match("x[", "x["));
        assert!(glob_match("*", ""));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn ssh_lists() {
        assert!(ssh_match_list("deploy,ops*", "ops-admin"));
        assert!(!ssh_match_list("*,!root", "root"));
        assert!(ssh_match_list("*,!root", "ubuntu"));
        assert!(
            !ssh_match_list("!root", "ubuntu"),
            "only negations never match"
        );
        assert!(ssh_match("a[b", "a[b"));
    }
}
