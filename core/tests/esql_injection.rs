//! Hostile strings stay data: as literals, identifiers, parameters, index
//! names, patterns and options they never change the query's structure.

use elastik_proto::esql::functions as f;
use elastik_proto::esql::{field, lit, Column, Expr, Options, Processing, Query};

const HOSTILE: &[&str] = &[
    "x\" | DROP *",
    "x\\\" | DROP *",
    "a\nb | LIMIT 0",
    "tab\there\r\n",
    "back`tick` | KEEP a",
    "?other",
    "?",
    "// comment | DROP *",
    "/* block */ | DROP x",
    "\" OR true OR \"",
    "\\",
    "\"\"\"triple\"\"\"",
    "pipe | pipe",
    "semi; SET x = 1;",
    "",
];

/// Undoes `write_string` for a literal that starts at `s[0] == '"'`;
/// returns the value and the rest after the closing quote.
fn read_string(s: &str) -> (String, &str) {
    assert!(s.starts_with('"'), "{s}");
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 2..]),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                other => panic!("bad escape {other:?} in {s}"),
            },
            '\n' | '\r' => panic!("raw line break in a string literal: {s:?}"),
            c => out.push(c),
        }
    }
    panic!("unterminated string: {s}");
}

/// Undoes backtick quoting for an identifier that starts at `s[0] == '`'`.
fn read_quoted_identifier(s: &str) -> (String, &str) {
    assert!(s.starts_with('`'), "{s}");
    let mut out = String::new();
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < s.len() {
        if bytes[i] == b'`' {
            if bytes.get(i + 1) == Some(&b'`') {
                out.push('`');
                i += 2;
                continue;
            }
            return (out, &s[i + 1..]);
        }
        let c = s[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    panic!("unterminated identifier: {s}");
}

#[test]
fn string_literals_round_trip_and_keep_the_structure() {
    for h in HOSTILE {
        let q = Query::from(["i"]).where_(field("a").eq(*h)).limit(1).render().unwrap();
        let rest = q.query.strip_prefix("FROM i | WHERE a == ").unwrap();
        let (value, tail) = read_string(rest);
        assert_eq!(value, *h);
        assert_eq!(tail, " | LIMIT 1", "{h:?}");
        assert!(q.params.is_empty());
        assert!(!q.query.contains('\n'), "no raw newline in {:?}", q.query);
    }
}

#[test]
fn identifiers_round_trip() {
    for h in HOSTILE.iter().filter(|h| !h.is_empty()) {
        if h.contains('*') {
            // In KEEP/DROP `*` is a wildcard; a name with `*` and other
            // special characters is refused rather than guessed at.
            assert!(Query::from(["i"]).keep([*h]).render().is_err(), "{h:?}");
            continue;
        }
        let q = Query::from(["i"]).keep([*h]).eval([(*h, lit(1))]).render().unwrap();
        let rest = q.query.strip_prefix("FROM i | KEEP ").unwrap();
        let (name, tail) = read_quoted_identifier(rest);
        assert_eq!(name, *h);
        let rest = tail.strip_prefix(" | EVAL ").unwrap();
        let (name, tail) = read_quoted_identifier(rest);
        assert_eq!(name, *h);
        assert_eq!(tail, " = 1");
    }
}

#[test]
fn parameters_carry_values_out_of_the_query() {
    for h in HOSTILE {
        let q = Query::from(["i"])
            .where_(field("user").eq(Expr::param("user", *h)))
            .eval([("greeting", f::concat(lit("hi "), [Expr::param("user", *h)]))])
            .render()
            .unwrap();
        assert_eq!(q.query, r#"FROM i | WHERE user == ?user | EVAL greeting = CONCAT("hi ", ?user)"#);
        assert_eq!(q.params_json(), serde_json::json!([{ "user": h }]));
    }
}

#[test]
fn bad_parameter_names_are_rejected() {
    for name in ["", "1a", "a b", "a|b", "a\"", "?x", "a-b", "x)"] {
        let r = Query::from(["i"]).where_(field("a").eq(Expr::param(name, 1))).render();
        assert!(r.is_err(), "{name:?}");
    }
    // one name, two values
    let r =
        Query::from(["i"]).where_(field("a").eq(Expr::param("p", 1)).and(field("b").eq(Expr::param("p", 2)))).render();
    assert!(r.is_err());
}

#[test]
fn index_names_are_quoted_when_not_plain() {
    let q = Query::from(["logs | DROP x", "a\"b"]).render().unwrap();
    assert_eq!(q.query, r#"FROM "logs | DROP x", "a\"b""#);
    let q = Query::from(["a//b"]).render().unwrap();
    assert_eq!(q.query, r#"FROM "a//b""#);
    let q = Query::from(["i"]).lookup_join("x /* y", ["k"]).render().unwrap();
    assert_eq!(q.query, r#"FROM i | LOOKUP JOIN "x /* y" ON k"#);
}

#[test]
fn patterns_policies_functions_and_settings_are_checked() {
    assert!(Query::from(["i"]).keep(["a* | DROP b"]).render().is_err());
    assert!(Query::from(["i"]).drop(["`*"]).render().is_err());
    assert!(Query::from(["i"]).enrich("p ON x").render().is_err());
    assert!(Query::from(["i"]).set("a = 1; FROM", 1).render().is_err());
    assert!(Query::row([Column::expr(f::func("A() | DROP", [lit(1)]))]).render().is_err());
}

#[test]
fn options_keys_and_values_are_strings() {
    let opts = Options::new().set("inference_id\" } | DROP *", "x\"}");
    let q = Query::from(["i"]).rerank(Column::expr("q"), [field("t")], Some(opts)).render().unwrap();
    assert_eq!(q.query, r#"FROM i | RERANK "q" ON t WITH {"inference_id\" } | DROP *": "x\"}"}"#);
}

#[test]
fn like_patterns_and_dissect_patterns_are_literals() {
    let q = Query::from(["i"]).where_(field("a").like("*\" | DROP *")).render().unwrap();
    assert_eq!(q.query, r#"FROM i | WHERE a LIKE "*\" | DROP *""#);
    let q = Query::from(["i"]).grok(field("m"), "%{WORD:w}\" | DROP *").render().unwrap();
    assert_eq!(q.query, r#"FROM i | GROK m "%{WORD:w}\" | DROP *""#);
    let q = Query::from(["i"]).where_(field("a").like_expr(Expr::param("pat", "x*"), false, false)).render().unwrap();
    assert_eq!(q.query, "FROM i | WHERE a LIKE ?pat");
    assert!(Query::from(["i"]).where_(field("a").like_expr(field("b"), false, false)).render().is_err());
}

#[test]
fn raw_text_only_through_the_unchecked_door() {
    let q = Query::from(["i"]).where_(Expr::raw_unchecked("a > 1").and(field("b").eq(1))).render().unwrap();
    assert_eq!(q.query, "FROM i | WHERE (a > 1) AND b == 1");
}
