//! Turning the syntax tree into query text: quoting, escaping, parentheses,
//! and collecting `?name` parameters.

use serde_json::Value;

use super::expr::{prec, Expr, Field, Literal, OptionValue, Options};
use crate::error::Error;

/// Accumulates query text, parameters and the first error.
#[derive(Debug, Default)]
pub(crate) struct Renderer {
    pub(crate) out: String,
    pub(crate) params: Vec<(String, Value)>,
    pub(crate) positional: Vec<Value>,
    pub(crate) error: Option<Error>,
}

impl Renderer {
    pub(crate) fn new() -> Self {
        Renderer::default()
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub(crate) fn fail(&mut self, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(Error::build(message));
        }
    }

    /// A field or column name, quoted when needed.
    pub(crate) fn field(&mut self, field: &Field) {
        if field.0.is_empty() {
            self.fail("an ES|QL field name cannot be empty");
        }
        write_identifier(&mut self.out, &field.0);
    }

    /// A column name pattern for `KEEP`/`DROP` (`emp_*`): `*` is a wildcard,
    /// everything else must be plain identifier characters.
    pub(crate) fn pattern(&mut self, pattern: &Field) {
        let p = &pattern.0;
        if !p.contains('*') {
            return self.field(pattern);
        }
        let ok = !p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.' | '*'))
            && !p.contains("..");
        if ok {
            self.out.push_str(p);
        } else {
            self.fail(format!("invalid ES|QL column pattern {p:?}: only letters, digits, '_', '@', '.' and '*'"));
        }
    }

    /// A string literal.
    pub(crate) fn string(&mut self, s: &str) {
        write_string(&mut self.out, s);
    }

    pub(crate) fn literal(&mut self, lit: &Literal) {
        match lit {
            Literal::Null => self.push("null"),
            Literal::Bool(true) => self.push("true"),
            Literal::Bool(false) => self.push("false"),
            Literal::Int(i) => self.push(&i.to_string()),
            Literal::UInt(u) => self.push(&u.to_string()),
            Literal::Float(f) => {
                if f.is_finite() {
                    // `{:?}` always shows a decimal point or an exponent.
                    self.push(&format!("{f:?}"));
                } else {
                    self.fail(format!("ES|QL has no literal for {f}"));
                }
            }
            Literal::String(s) => self.string(s),
            Literal::Span(n, unit) => {
                self.push(&n.to_string());
                self.push(" ");
                self.push(unit.keyword(*n));
            }
            Literal::List(items) => {
                self.push("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    if matches!(item, Literal::List(_)) {
                        self.fail("ES|QL lists cannot be nested");
                    }
                    self.literal(item);
                }
                self.push("]");
            }
        }
    }

    /// Records a parameter and writes `?name`.
    pub(crate) fn param(&mut self, name: &str, value: &Value) {
        if !is_param_name(name) {
            self.fail(format!(
                "invalid ES|QL parameter name {name:?}: letters, digits and '_', not starting with a digit"
            ));
            return;
        }
        if let Value::Object(_) = value {
            self.fail(format!("ES|QL parameter {name:?}: objects cannot be bound, only values and lists"));
        }
        match self.params.iter().find(|(n, _)| n == name) {
            Some((_, existing)) if existing != value => {
                self.fail(format!("ES|QL parameter {name:?} is bound to two different values"));
            }
            Some(_) => {}
            None => self.params.push((name.to_owned(), value.clone())),
        }
        self.push("?");
        self.push(name);
    }

    /// Records a positional parameter and writes `?`.
    pub(crate) fn positional(&mut self, value: &Value) {
        if let Value::Object(_) = value {
            self.fail("ES|QL positional parameter: objects cannot be bound, only values and lists");
        }
        self.positional.push(value.clone());
        self.push("?");
    }

    /// Fails when both named and positional parameters were used (the
    /// server answers "inconsistent parameter declaration").
    pub(crate) fn check_params(&mut self) {
        if !self.params.is_empty() && !self.positional.is_empty() {
            self.fail("an ES|QL query uses named (?name) or positional (?) parameters, not both");
        }
    }

    pub(crate) fn options(&mut self, options: &Options) {
        self.push("{");
        for (i, (key, value)) in options.0.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.string(key);
            self.push(": ");
            match value {
                OptionValue::Literal(l) => self.literal(l),
                OptionValue::Map(m) => self.options(m),
                OptionValue::Param(name, v) => self.param(name, v),
            }
        }
        self.push("}");
    }

    /// Renders `e`, parenthesized when it binds looser than `min`.
    pub(crate) fn expr(&mut self, e: &Expr, min: u8) {
        let p = e.precedence();
        let paren = p < min;
        if paren {
            self.push("(");
        }
        match e {
            Expr::Field(f) => self.field(f),
            Expr::Literal(l) => self.literal(l),
            Expr::Param { name, value } => self.param(name, value),
            Expr::Positional(value) => self.positional(value),
            Expr::Binary(op, l, r) => {
                let p = op.precedence();
                if p == prec::PREDICATE {
                    // Comparisons take arithmetic operands and do not chain.
                    self.expr(l, prec::ADD);
                    self.push(" ");
                    self.push(op.symbol());
                    self.push(" ");
                    self.expr(r, prec::ADD);
                } else {
                    // Left-associative: a right operand of equal strength
                    // keeps its parentheses, `a - (b - c)`.
                    self.expr(l, p);
                    self.push(" ");
                    self.push(op.symbol());
                    self.push(" ");
                    self.expr(r, p + 1);
                }
            }
            Expr::Not(inner) => {
                self.push("NOT ");
                self.expr(inner, prec::NOT);
            }
            Expr::Neg(inner) => {
                self.push("-");
                // `- -1` would read as `--1`; keep a nested sign apart.
                let nested_sign = inner.precedence() == prec::UNARY;
                if nested_sign {
                    self.push("(");
                    self.expr(inner, prec::LOWEST);
                    self.push(")");
                } else {
                    self.expr(inner, prec::UNARY);
                }
            }
            Expr::Like { expr, pattern, regex, negated } => {
                self.expr(expr, prec::ADD);
                if *negated {
                    self.push(" NOT");
                }
                self.push(if *regex { " RLIKE " } else { " LIKE " });
                match &**pattern {
                    Expr::Literal(Literal::String(_)) | Expr::Param { .. } | Expr::Positional(_) => {
                        self.expr(pattern, prec::ATOM)
                    }
                    _ => self.fail("a LIKE/RLIKE pattern must be a string literal or a parameter"),
                }
            }
            Expr::In { expr, list, negated } => {
                if list.is_empty() {
                    self.fail("IN needs at least one value");
                }
                self.expr(expr, prec::ADD);
                self.push(if *negated { " NOT IN (" } else { " IN (" });
                self.list(list, prec::ADD);
                self.push(")");
            }
            Expr::IsNull { expr, negated } => {
                self.expr(expr, prec::ADD);
                self.push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Expr::Match { field, query } => {
                self.field(field);
                self.push(" : ");
                match &**query {
                    Expr::Literal(_) | Expr::Param { .. } | Expr::Positional(_) => self.expr(query, prec::ATOM),
                    _ => self.fail("the match operator's query must be a literal or a parameter"),
                }
            }
            Expr::Cast(inner, to) => {
                self.expr(inner, prec::CAST);
                self.push("::");
                self.push(to.name());
            }
            Expr::Call { name, args } => {
                if !is_function_name(name) {
                    self.fail(format!("invalid ES|QL function name {name:?}"));
                    return;
                }
                self.push(name);
                self.push("(");
                self.list(args, prec::LOWEST);
                self.push(")");
            }
            Expr::Star => self.push("*"),
            Expr::Map(options) => self.options(options),
            Expr::Raw(text) => self.push(text),
        }
        if paren {
            self.push(")");
        }
    }

    pub(crate) fn list(&mut self, items: &[Expr], min: u8) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.expr(item, min);
        }
    }
}

/// True for names ES|QL reads as an identifier without quotes and that are
/// not keywords: dot-separated parts of letters, digits and `_`, each
/// starting with a letter, or with `_`/`@` followed by a letter or digit
/// somewhere.
pub(crate) fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty() && name.split('.').all(is_plain_part)
}

fn is_plain_part(part: &str) -> bool {
    let mut chars = part.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let body_ok = part.chars().skip(1).all(|c| c.is_ascii_alphanumeric() || c == '_');
    let start_ok = if first.is_ascii_alphabetic() {
        true
    } else if first == '_' || first == '@' {
        // `_`/`@` prefixes must be followed by something real: `_id`, `@timestamp`.
        let rest = part.trim_start_matches(['_', '@']);
        rest.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && (first == '_' || part[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    } else {
        false
    };
    start_ok && (first == '@' || body_ok) && !is_keyword(part)
}

fn is_keyword(part: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "and", "as", "asc", "by", "desc", "false", "first", "in", "is", "last", "like", "metadata", "not", "null",
        "nulls", "on", "or", "rlike", "true", "with", "where", "info",
    ];
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(part))
}

/// Writes a field name, in backticks (doubling inner backticks) when it is
/// not a plain identifier.
pub(crate) fn write_identifier(out: &mut String, name: &str) {
    if is_plain_identifier(name) {
        out.push_str(name);
    } else {
        out.push('`');
        out.push_str(&name.replace('`', "``"));
        out.push('`');
    }
}

/// Writes `"…"` with `\`, `"`, newline, carriage return and tab escaped
/// (ES|QL's escape sequences; any other character may appear as is).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `?name` parameter names: a letter or `_`, then letters, digits or `_`.
pub(crate) fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Function names and setting names: a letter, then letters, digits or `_`.
pub(crate) fn is_function_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for plain in ["a", "emp_no", "client.ip", "@timestamp", "_id", "_index", "a1.b2", "__x"] {
            assert!(is_plain_identifier(plain), "{plain}");
        }
        for quoted in ["", "1a", "a b", "a-b", "a..b", "a.", ".a", "_", "@", "a`b", "by", "NOT", "a.and", "é"] {
            assert!(!is_plain_identifier(quoted), "{quoted}");
        }
        let mut s = String::new();
        write_identifier(&mut s, "a`b | c");
        assert_eq!(s, "`a``b | c`");
    }

    #[test]
    fn strings() {
        let mut s = String::new();
        write_string(&mut s, "a\"b\\c\nd\re\tf|g");
        assert_eq!(s, r#""a\"b\\c\nd\re\tf|g""#);
    }
}
