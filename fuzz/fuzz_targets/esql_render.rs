//! ES|QL queries built from arbitrary strings — literals, field names,
//! parameter names and values, index names, patterns, policy names,
//! settings — and arbitrary (depth-limited) expression trees. Invariants:
//! rendering never panics; a rendered string literal, a quoted identifier
//! and a quoted index name decode back to the string given; a parameter
//! that renders is sent with its value.
#![no_main]

use arbitrary::{Result, Unstructured};
use elastik_proto::esql::functions as f;
use elastik_proto::esql::{field, lit, Column, DataType, Expr, Options, Processing, Query, SortKey, TimeUnit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = round_trips(&mut u);
    if let Ok(query) = query(&mut u) {
        if let Ok(rendered) = query.render() {
            let _ = rendered.params_json();
        }
    }
});

/// One string through each quoting path, decoded back.
fn round_trips(u: &mut Unstructured<'_>) -> Result<()> {
    let s: String = u.arbitrary()?;

    let r = Query::row([("x", lit(s.as_str()))]).render().expect("any string is a literal");
    let text = r.query.strip_prefix("ROW x = ").expect("ROW x = …");
    let (decoded, rest) = read_string(text);
    assert_eq!(decoded, s);
    assert_eq!(rest, "", "text after the literal in {:?}", r.query);

    if let Ok(r) = Query::row([(s.as_str(), lit(1))]).render() {
        let text = r.query.strip_prefix("ROW ").expect("ROW …");
        let name = text.strip_suffix(" = 1").expect("… = 1");
        let decoded = if name.starts_with('`') {
            let (decoded, rest) = read_quoted_identifier(name);
            assert_eq!(rest, "", "text after the identifier in {:?}", r.query);
            decoded
        } else {
            name.to_owned()
        };
        assert_eq!(decoded, s);
    } else {
        assert!(s.is_empty(), "only an empty name is refused, not {s:?}");
    }

    if let Ok(r) = Query::from([s.as_str()]).render() {
        let text = r.query.strip_prefix("FROM ").expect("FROM …");
        let decoded = if text.starts_with('"') {
            let (decoded, rest) = read_string(text);
            assert_eq!(rest, "", "text after the index in {:?}", r.query);
            decoded
        } else {
            assert!(!text.contains([' ', '|', ',', '"', '`']), "unquoted index {text:?}");
            text.to_owned()
        };
        assert_eq!(decoded, s);
    }

    let value = json(u, 2)?;
    if let Ok(r) = Query::row([("x", Expr::param(s.as_str(), value.clone()))]).render() {
        assert_eq!(r.query, format!("ROW x = ?{s}"));
        assert_eq!(r.params, vec![(s.clone(), value)]);
    }
    Ok(())
}

fn query(u: &mut Unstructured<'_>) -> Result<Query> {
    let mut q = match u.int_in_range(0..=3)? {
        0 => Query::from(strings(u)?),
        1 => Query::ts(strings(u)?),
        2 => Query::row(columns(u)?),
        _ => Query::show_info(),
    };
    if u.arbitrary()? {
        q = q.metadata(strings(u)?);
    }
    if u.arbitrary()? {
        let name: String = u.arbitrary()?;
        q = match u.int_in_range(0..=2)? {
            0 => q.set(name, u.arbitrary::<String>()?),
            1 => q.set(name, u.arbitrary::<f64>()?),
            _ => q.set(name, Options::new().set(u.arbitrary::<String>()?, u.arbitrary::<i64>()?)),
        };
    }
    for _ in 0..u.int_in_range(0..=6)? {
        q = match u.int_in_range(0..=17)? {
            0 => q.where_(expr(u, 0)?),
            1 => q.eval(columns(u)?),
            2 => q.keep(strings(u)?),
            3 => q.drop(strings(u)?),
            4 => q.rename(vec![(u.arbitrary::<String>()?, u.arbitrary::<String>()?)]),
            5 => q.sort(vec![sort_key(u)?]),
            6 => q.limit(u.arbitrary()?),
            7 => q.dissect(expr(u, 0)?, u.arbitrary::<String>()?),
            8 => q.grok(expr(u, 0)?, u.arbitrary::<String>()?),
            9 => q.enrich(u.arbitrary::<String>()?),
            10 => q.lookup_join(u.arbitrary::<String>()?, strings(u)?),
            11 => q.stats_by(vec![expr(u, 0)?], vec![field(u.arbitrary::<String>()?)]),
            12 => q.mv_expand(u.arbitrary::<String>()?),
            13 => q.sample(u.arbitrary()?),
            14 => q.completion(expr(u, 0)?, u.arbitrary::<String>()?),
            15 => q.change_point(u.arbitrary::<String>()?),
            16 => q.lookup_join_on(u.arbitrary::<String>()?, expr(u, 0)?),
            _ => q.dissect_with_separator(expr(u, 0)?, u.arbitrary::<String>()?, u.arbitrary::<String>()?),
        };
    }
    Ok(q)
}

fn strings(u: &mut Unstructured<'_>) -> Result<Vec<String>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| u.arbitrary()).collect()
}

fn columns(u: &mut Unstructured<'_>) -> Result<Vec<Column>> {
    let n = u.int_in_range(0..=3)?;
    (0..n)
        .map(|_| {
            Ok(if u.arbitrary()? {
                Column::named(u.arbitrary::<String>()?, expr(u, 0)?)
            } else {
                Column::expr(expr(u, 0)?)
            })
        })
        .collect()
}

fn sort_key(u: &mut Unstructured<'_>) -> Result<SortKey> {
    let e = expr(u, 0)?;
    let key = if u.arbitrary()? { SortKey::desc(e) } else { SortKey::asc(e) };
    Ok(if u.arbitrary()? { key.nulls_first() } else { key.nulls_last() })
}

fn literal(u: &mut Unstructured<'_>) -> Result<Expr> {
    Ok(match u.int_in_range(0..=7)? {
        0 => lit(u.arbitrary::<String>()?),
        1 => lit(u.arbitrary::<i64>()?),
        2 => lit(u.arbitrary::<u64>()?),
        3 => lit(u.arbitrary::<f64>()?),
        4 => lit(u.arbitrary::<bool>()?),
        5 => Expr::null(),
        6 => Expr::span(u.arbitrary()?, TimeUnit::Day),
        _ => lit(vec![u.arbitrary::<i32>()?, u.arbitrary::<i32>()?]),
    })
}

fn json(u: &mut Unstructured<'_>, depth: u32) -> Result<serde_json::Value> {
    use serde_json::Value;
    Ok(match u.int_in_range(0..=6)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => serde_json::Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        4 => Value::String(u.arbitrary()?),
        5 if depth > 0 => Value::Array((0..u.int_in_range(0..=3)?).map(|_| json(u, depth - 1)).collect::<Result<_>>()?),
        6 if depth > 0 => {
            let mut m = serde_json::Map::new();
            m.insert(u.arbitrary()?, json(u, depth - 1)?);
            Value::Object(m)
        }
        _ => Value::Null,
    })
}

const TYPES: [DataType; 4] = [DataType::Integer, DataType::Keyword, DataType::Double, DataType::Datetime];

fn expr(u: &mut Unstructured<'_>, depth: u32) -> Result<Expr> {
    let leaf = depth >= 6 || u.is_empty();
    let choice = if leaf { u.int_in_range(0..=2)? } else { u.int_in_range(0..=16)? };
    let sub = |u: &mut Unstructured<'_>| expr(u, depth + 1);
    Ok(match choice {
        0 => field(u.arbitrary::<String>()?),
        1 => literal(u)?,
        2 => Expr::param(u.arbitrary::<String>()?, json(u, 1)?),
        3 => sub(u)?.eq(sub(u)?),
        4 => sub(u)?.and(sub(u)?),
        5 => sub(u)?.or(sub(u)?).not(),
        6 => sub(u)?.sub(sub(u)?).neg(),
        7 => sub(u)?.div(sub(u)?).mul(sub(u)?),
        8 => sub(u)?.like(u.arbitrary::<String>()?),
        9 => sub(u)?.not_rlike(u.arbitrary::<String>()?),
        10 => sub(u)?.in_list(vec![sub(u)?, sub(u)?]),
        11 => sub(u)?.is_not_null(),
        12 => sub(u)?.cast(TYPES[u.int_in_range(0..=3)?]),
        13 => Expr::matches(u.arbitrary::<String>()?, sub(u)?),
        14 => f::func(u.arbitrary::<String>()?, vec![sub(u)?]),
        15 => f::max(sub(u)?),
        _ => f::match_with(sub(u)?, sub(u)?, Options::new().set(u.arbitrary::<String>()?, u.arbitrary::<String>()?)),
    })
}

/// Undoes `write_string` for a literal starting at `s[0] == '"'`: the value
/// and the text after the closing quote.
fn read_string(s: &str) -> (String, &str) {
    assert!(s.starts_with('"'), "{s:?}");
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
                other => panic!("bad escape {other:?} in {s:?}"),
            },
            '\n' | '\r' => panic!("raw line break in a string literal: {s:?}"),
            c => out.push(c),
        }
    }
    panic!("unterminated string literal: {s:?}");
}

/// Undoes backtick quoting for an identifier starting at `s[0] == '`'`.
fn read_quoted_identifier(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s[1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '`' {
            if matches!(chars.peek(), Some((_, '`'))) {
                chars.next();
                out.push('`');
                continue;
            }
            return (out, &s[i + 2..]);
        }
        out.push(c);
    }
    panic!("unterminated quoted identifier: {s:?}");
}
