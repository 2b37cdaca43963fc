//! "Did you mean": the known names closest to a misspelt one.

/// Levenshtein distance over chars, ASCII case folded.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to three candidates close to `wanted`: within an edit distance that grows with its
/// length, or containing it (`keypair` finds every `*KeyPair`), closest first.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let folded = wanted.to_ascii_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let d = distance(wanted, c);
            if d <= limit {
                Some((d, c))
            } else if folded.len() >= 4 && c.to_ascii_lowercase().contains(&folded) {
                // Ranked after every near miss.
                Some((limit + 1 + c.len() - folded.len(), c))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("CreateKeyPair", "createkeypair"), 0);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        let names = [
            "CreateKeyPair",
            "DeleteKeyPair",
            "ImportKeyPair",
            "StopLogging",
        ];
        assert_eq!(closest("CreatKeyPair", names), ["CreateKeyPair"]);
        assert_eq!(closest("stoploging", names), ["StopLogging"]);
        assert_eq!(
            closest("keypair", names),
            ["CreateKeyPair", "DeleteKeyPair", "ImportKeyPair"]
        );
        assert!(closest("RunInstances", names).is_empty());
    }
}
