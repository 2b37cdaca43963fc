//! Property test: the compiled wildcard matcher (with its exact/prefix/suffix/contains fast
//! paths and the glob loop) agrees with a naive recursive reference.

use proptest::prelude::*;
use rules::pattern::{StrPat, Tok, fold, fold_char, parse_sigma};

/// The obvious exponential definition.
fn reference(p: &[Tok], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((Tok::Star, rest)) => (0..=s.len()).any(|i| reference(rest, &s[i..])),
        Some((Tok::One, rest)) => !s.is_empty() && reference(rest, &s[1..]),
        Some((Tok::Char(c), rest)) => s.first() == Some(c) && reference(rest, &s[1..]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn cased_matcher_agrees_with_reference(p in "[ab*?\\\\]{0,8}", s in "[abAB*?\\\\]{0,10}") {
        let toks = parse_sigma(&p);
        let chars: Vec<char> = s.chars().collect();
        prop_assert_eq!(StrPat::compile(&toks, true).is_match(&s), reference(&toks, &chars), "pattern {:?} value {:?}", p, s);
    }

    #[test]
    fn uncased_matcher_agrees_with_folded_reference(p in "[aBİΣσς*?]{0,8}", s in "[AbBiİΣσς]{0,10}") {
        let toks = parse_sigma(&p);
        let folded: Vec<Tok> = toks.iter().flat_map(|t| match t {
            Tok::Char(c) => fold_char(*c).map(Tok::Char).collect::<Vec<_>>(),
            t => vec![*t],
        }).collect();
        let chars: Vec<char> = s.chars().flat_map(fold_char).collect();
        prop_assert_eq!(StrPat::compile(&toks, false).is_match(&fold(&s)), reference(&folded, &chars));
    }
}
