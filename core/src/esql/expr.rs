//! ES|QL expressions as a syntax tree: fields, literals, parameters,
//! operators, casts and function calls.
//!
//! Every user-supplied string ends up either as a quoted string literal, a
//! backtick-quoted identifier, or a `?name` parameter whose value travels in
//! the request's `params`. The only way to put text into a query verbatim is
//! [`Expr::raw_unchecked`], whose name says what it does.
//!
//! Rendering adds parentheses only where ES|QL's precedence needs them:
//! `OR` < `AND` < `NOT` < comparisons and predicates (`==`, `LIKE`, `IN`,
//! `IS NULL`, `:`) < `+ -` < `* / %` < unary `-` < `::` casts < atoms.

use serde_json::Value;

use super::command::SortKey;
use super::render::Renderer;

/// A column or field name, rendered plain when it is a plain identifier
/// (`emp_no`, `client.ip`, `@timestamp`) and backtick-quoted otherwise, with
/// backticks doubled inside.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field(pub(crate) String);

impl Field {
    /// A field by name; any string is safe, it is quoted when needed.
    pub fn new(name: impl Into<String>) -> Self {
        Field(name.into())
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Field {
    fn from(name: &str) -> Self {
        Field(name.to_owned())
    }
}

impl From<String> for Field {
    fn from(name: String) -> Self {
        Field(name)
    }
}

impl From<&String> for Field {
    fn from(name: &String) -> Self {
        Field(name.clone())
    }
}

/// A field by name (shorthand for [`Expr::field`]).
pub fn field(name: impl Into<String>) -> Expr {
    Expr::field(name)
}

/// A literal value (shorthand for [`Expr::lit`]).
pub fn lit(value: impl Into<Literal>) -> Expr {
    Expr::lit(value)
}

/// A constant: the values ES|QL can write inline.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (for `unsigned_long` values above `i64::MAX`).
    UInt(u64),
    /// A floating point number; NaN and infinities cannot be written and fail
    /// at render time.
    Float(f64),
    /// A string, written `"…"` with `\"`, `\\`, `\n`, `\r`, `\t` escaped.
    String(String),
    /// A time span such as `1 day` or `15 minutes`.
    Span(i64, TimeUnit),
    /// A list of constants, `[1, 2, 3]`.
    List(Vec<Literal>),
}

impl Literal {
    /// The literal as JSON (used for parameter values and options).
    pub fn from_json(value: &Value) -> Literal {
        match value {
            Value::Null => Literal::Null,
            Value::Bool(b) => Literal::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Literal::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Literal::UInt(u)
                } else {
                    Literal::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => Literal::String(s.clone()),
            Value::Array(items) => Literal::List(items.iter().map(Literal::from_json).collect()),
            // Objects have no literal form; render them as their JSON text in
            // a string so they stay data.
            Value::Object(_) => Literal::String(value.to_string()),
        }
    }
}

macro_rules! literal_from {
    ($($t:ty => $v:ident as $c:ty),* $(,)?) => {
        $(impl From<$t> for Literal {
            fn from(v: $t) -> Self {
                Literal::$v(v as $c)
            }
        })*
    };
}

literal_from!(
    i8 => Int as i64, i16 => Int as i64, i32 => Int as i64, i64 => Int as i64,
    u8 => Int as i64, u16 => Int as i64, u32 => Int as i64, u64 => UInt as u64,
    f32 => Float as f64, f64 => Float as f64,
);

impl From<bool> for Literal {
    fn from(v: bool) -> Self {
        Literal::Bool(v)
    }
}

impl From<&str> for Literal {
    fn from(v: &str) -> Self {
        Literal::String(v.to_owned())
    }
}

impl From<String> for Literal {
    fn from(v: String) -> Self {
        Literal::String(v)
    }
}

impl From<&String> for Literal {
    fn from(v: &String) -> Self {
        Literal::String(v.clone())
    }
}

impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(v: Option<T>) -> Self {
        v.map_or(Literal::Null, Into::into)
    }
}

impl<T: Into<Literal>> From<Vec<T>> for Literal {
    fn from(v: Vec<T>) -> Self {
        Literal::List(v.into_iter().map(Into::into).collect())
    }
}

/// The unit of a time span literal (`1 day`, `3 hours`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeUnit {
    /// `milliseconds`
    Millisecond,
    /// `seconds`
    Second,
    /// `minutes`
    Minute,
    /// `hours`
    Hour,
    /// `days`
    Day,
    /// `weeks`
    Week,
    /// `months`
    Month,
    /// `quarters`
    Quarter,
    /// `years`
    Year,
}

impl TimeUnit {
    /// The unit's keyword, singular for 1 and plural otherwise.
    pub fn keyword(self, amount: i64) -> &'static str {
        let one = amount == 1 || amount == -1;
        match (self, one) {
            (TimeUnit::Millisecond, true) => "millisecond",
            (TimeUnit::Millisecond, false) => "milliseconds",
            (TimeUnit::Second, true) => "second",
            (TimeUnit::Second, false) => "seconds",
            (TimeUnit::Minute, true) => "minute",
            (TimeUnit::Minute, false) => "minutes",
            (TimeUnit::Hour, true) => "hour",
            (TimeUnit::Hour, false) => "hours",
            (TimeUnit::Day, true) => "day",
            (TimeUnit::Day, false) => "days",
            (TimeUnit::Week, true) => "week",
            (TimeUnit::Week, false) => "weeks",
            (TimeUnit::Month, true) => "month",
            (TimeUnit::Month, false) => "months",
            (TimeUnit::Quarter, true) => "quarter",
            (TimeUnit::Quarter, false) => "quarters",
            (TimeUnit::Year, true) => "year",
            (TimeUnit::Year, false) => "years",
        }
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BinaryOp {
    /// `OR`
    Or,
    /// `AND`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinaryOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Lte => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Gte => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => prec::OR,
            BinaryOp::And => prec::AND,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Lte | BinaryOp::Gt | BinaryOp::Gte => {
                prec::PREDICATE
            }
            BinaryOp::Add | BinaryOp::Sub => prec::ADD,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => prec::MUL,
        }
    }
}

/// An expression tree.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Expr {
    /// A field reference.
    Field(Field),
    /// A constant.
    Literal(Literal),
    /// `?name`, its value sent in the request's `params`.
    Param {
        /// The parameter name (letters, digits, `_`; not starting with a digit).
        name: String,
        /// The value bound to it.
        value: Value,
    },
    /// `?`, a positional parameter: its value is sent in the request's
    /// `params` list at the place of this `?` among the query's `?`s.
    Positional(Value),
    /// `left op right`
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `NOT expr`
    Not(Box<Expr>),
    /// `-expr`
    Neg(Box<Expr>),
    /// `expr [NOT] LIKE pattern` or `expr [NOT] RLIKE pattern`.
    Like {
        /// The tested value.
        expr: Box<Expr>,
        /// The pattern (a string literal or a parameter).
        pattern: Box<Expr>,
        /// `RLIKE` (regular expression) instead of `LIKE` (wildcards).
        regex: bool,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// `expr [NOT] IN (a, b, …)`
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `expr IS [NOT] NULL`
    IsNull {
        /// The tested value.
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `field : query` (the match operator).
    Match {
        /// The searched field.
        field: Field,
        /// The query (a literal or a parameter).
        query: Box<Expr>,
    },
    /// `expr::type`
    Cast(Box<Expr>, DataType),
    /// `NAME(args…)`
    Call {
        /// The function name.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `*` in `COUNT(*)`.
    Star,
    /// A map of options, `{"key": value, …}` (function options).
    Map(Options),
    /// Text inserted verbatim; see [`Expr::raw_unchecked`].
    Raw(String),
}

/// The target type of a `::` cast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `boolean`
    Boolean,
    /// `cartesian_point`
    CartesianPoint,
    /// `cartesian_shape`
    CartesianShape,
    /// `date_nanos`
    DateNanos,
    /// `date_period`
    DatePeriod,
    /// `datetime`
    Datetime,
    /// `double`
    Double,
    /// `geo_point`
    GeoPoint,
    /// `geo_shape`
    GeoShape,
    /// `integer`
    Integer,
    /// `ip`
    Ip,
    /// `keyword`
    Keyword,
    /// `long`
    Long,
    /// `text`
    Text,
    /// `time_duration`
    TimeDuration,
    /// `unsigned_long`
    UnsignedLong,
    /// `version`
    Version,
}

impl DataType {
    /// The type name as written after `::`.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Boolean => "boolean",
            DataType::CartesianPoint => "cartesian_point",
            DataType::CartesianShape => "cartesian_shape",
            DataType::DateNanos => "date_nanos",
            DataType::DatePeriod => "date_period",
            DataType::Datetime => "datetime",
            DataType::Double => "double",
            DataType::GeoPoint => "geo_point",
            DataType::GeoShape => "geo_shape",
            DataType::Integer => "integer",
            DataType::Ip => "ip",
            DataType::Keyword => "keyword",
            DataType::Long => "long",
            DataType::Text => "text",
            DataType::TimeDuration => "time_duration",
            DataType::UnsignedLong => "unsigned_long",
            DataType::Version => "version",
        }
    }
}

/// An ordered map of options, rendered `{"key": value, …}` with keys as
/// escaped strings: the `WITH { … }` of `COMPLETION`, `RERANK`, `FUSE` and the
/// options argument of search functions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options(pub(crate) Vec<(String, OptionValue)>);

/// A value in [`Options`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OptionValue {
    /// A constant.
    Literal(Literal),
    /// A nested map.
    Map(Options),
    /// A parameter, `?name`.
    Param(String, Value),
}

impl Options {
    /// No options.
    pub fn new() -> Self {
        Options::default()
    }

    /// Adds (or replaces) an option.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<OptionValue>) -> Self {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    /// Options from a JSON object (nested objects become nested maps);
    /// anything but an object gives no options.
    pub fn from_json(value: &Value) -> Self {
        let mut out = Options::new();
        if let Value::Object(map) = value {
            for (k, v) in map {
                out = out.set(k.clone(), OptionValue::from_json(v));
            }
        }
        out
    }

    /// True when there are no options.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl OptionValue {
    /// The value of a JSON item (objects become nested maps).
    pub fn from_json(value: &Value) -> Self {
        match value {
            Value::Object(_) => OptionValue::Map(Options::from_json(value)),
            other => OptionValue::Literal(Literal::from_json(other)),
        }
    }
}

impl<T: Into<Literal>> From<T> for OptionValue {
    fn from(v: T) -> Self {
        OptionValue::Literal(v.into())
    }
}

impl From<Options> for OptionValue {
    fn from(v: Options) -> Self {
        OptionValue::Map(v)
    }
}

impl Expr {
    /// A field reference.
    pub fn field(name: impl Into<String>) -> Expr {
        Expr::Field(Field(name.into()))
    }

    /// A constant.
    pub fn lit(value: impl Into<Literal>) -> Expr {
        Expr::Literal(value.into())
    }

    /// `null`.
    pub fn null() -> Expr {
        Expr::Literal(Literal::Null)
    }

    /// A time span such as `1 day` (`Expr::span(1, TimeUnit::Day)`).
    pub fn span(amount: i64, unit: TimeUnit) -> Expr {
        Expr::Literal(Literal::Span(amount, unit))
    }

    /// A date-time from a string, `"2024-01-01T00:00:00Z"::datetime`.
    pub fn datetime(value: impl Into<String>) -> Expr {
        Expr::Cast(Box::new(Expr::Literal(Literal::String(value.into()))), DataType::Datetime)
    }

    /// `?name`, with `value` bound through the request's `params`. The value
    /// never becomes part of the query text.
    pub fn param(name: impl Into<String>, value: impl Into<Value>) -> Expr {
        Expr::Param { name: name.into(), value: value.into() }
    }

    /// `?`, a positional parameter: the value travels in the request's
    /// `params` list (`"params": [35, "Chris"]`), in the order the `?`s
    /// appear in the query text. A query uses named or positional
    /// parameters, not both (the server refuses the mix; rendering fails
    /// first).
    pub fn positional(value: impl Into<Value>) -> Expr {
        Expr::Positional(value.into())
    }

    /// Text inserted into the query exactly as given: no quoting, no checks.
    /// Never pass user input here. It is parenthesized when used as an
    /// operand.
    pub fn raw_unchecked(text: impl Into<String>) -> Expr {
        Expr::Raw(text.into())
    }

    /// A map of options as an argument (`{"fuzziness": 1}`).
    pub fn options(options: Options) -> Expr {
        Expr::Map(options)
    }

    fn binary(self, op: BinaryOp, other: impl Into<Expr>) -> Expr {
        Expr::Binary(op, Box::new(self), Box::new(other.into()))
    }

    /// `self == other`
    pub fn eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Eq, other)
    }

    /// `self != other`
    pub fn ne(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Ne, other)
    }

    /// `self < other`
    pub fn lt(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Lt, other)
    }

    /// `self <= other`
    pub fn lte(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Lte, other)
    }

    /// `self > other`
    pub fn gt(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Gt, other)
    }

    /// `self >= other`
    pub fn gte(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Gte, other)
    }

    /// `self AND other`
    pub fn and(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::And, other)
    }

    /// `self OR other`
    pub fn or(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Or, other)
    }

    /// `NOT self`
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// `self + other`
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Add, other)
    }

    /// `self - other`
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Sub, other)
    }

    /// `self * other`
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Mul, other)
    }

    /// `self / other`
    #[allow(clippy::should_implement_trait)]
    pub fn div(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Div, other)
    }

    /// `self % other`
    #[allow(clippy::should_implement_trait)]
    pub fn rem(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Mod, other)
    }

    /// `-self`
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> Expr {
        Expr::Neg(Box::new(self))
    }

    /// `self LIKE "pattern"` (`*` and `?` wildcards; the pattern is a string
    /// literal).
    pub fn like(self, pattern: impl Into<String>) -> Expr {
        self.like_expr(Expr::Literal(Literal::String(pattern.into())), false, false)
    }

    /// `self NOT LIKE "pattern"`
    pub fn not_like(self, pattern: impl Into<String>) -> Expr {
        self.like_expr(Expr::Literal(Literal::String(pattern.into())), false, true)
    }

    /// `self RLIKE "regex"`
    pub fn rlike(self, pattern: impl Into<String>) -> Expr {
        self.like_expr(Expr::Literal(Literal::String(pattern.into())), true, false)
    }

    /// `self NOT RLIKE "regex"`
    pub fn not_rlike(self, pattern: impl Into<String>) -> Expr {
        self.like_expr(Expr::Literal(Literal::String(pattern.into())), true, true)
    }

    /// `LIKE`/`RLIKE` with any pattern expression (for example a parameter).
    pub fn like_expr(self, pattern: impl Into<Expr>, regex: bool, negated: bool) -> Expr {
        Expr::Like { expr: Box::new(self), pattern: Box::new(pattern.into()), regex, negated }
    }

    /// `self IN (a, b, …)`
    pub fn in_list<I, E>(self, list: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        Expr::In { expr: Box::new(self), list: list.into_iter().map(Into::into).collect(), negated: false }
    }

    /// `self NOT IN (a, b, …)`
    pub fn not_in_list<I, E>(self, list: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        Expr::In { expr: Box::new(self), list: list.into_iter().map(Into::into).collect(), negated: true }
    }

    /// `self IS NULL`
    pub fn is_null(self) -> Expr {
        Expr::IsNull { expr: Box::new(self), negated: false }
    }

    /// `self IS NOT NULL`
    pub fn is_not_null(self) -> Expr {
        Expr::IsNull { expr: Box::new(self), negated: true }
    }

    /// `self::type`
    pub fn cast(self, to: DataType) -> Expr {
        Expr::Cast(Box::new(self), to)
    }

    /// `self ASC`, a sort key for `SORT`.
    pub fn asc(self) -> SortKey {
        SortKey::asc(self)
    }

    /// `self DESC`, a sort key for `SORT`.
    pub fn desc(self) -> SortKey {
        SortKey::desc(self)
    }

    /// `self NULLS FIRST` (default direction), a sort key for `SORT`.
    pub fn nulls_first(self) -> SortKey {
        SortKey::new(self).nulls_first()
    }

    /// `self NULLS LAST` (default direction), a sort key for `SORT`.
    pub fn nulls_last(self) -> SortKey {
        SortKey::new(self).nulls_last()
    }

    /// The match operator, `field : query`.
    pub fn matches(field: impl Into<Field>, query: impl Into<Expr>) -> Expr {
        Expr::Match { field: field.into(), query: Box::new(query.into()) }
    }

    /// The binding strength of this node (higher binds tighter).
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            Expr::Binary(op, ..) => op.precedence(),
            Expr::Not(_) => prec::NOT,
            Expr::Like { .. } | Expr::In { .. } | Expr::IsNull { .. } | Expr::Match { .. } => prec::PREDICATE,
            Expr::Neg(_) => prec::UNARY,
            Expr::Literal(Literal::Int(i)) if *i < 0 => prec::UNARY,
            Expr::Literal(Literal::Float(f)) if f.is_sign_negative() => prec::UNARY,
            Expr::Literal(Literal::Span(i, _)) if *i < 0 => prec::UNARY,
            // `1 day` is two tokens; keep it whole under a cast.
            Expr::Literal(Literal::Span(..)) => prec::UNARY,
            Expr::Cast(..) => prec::CAST,
            Expr::Raw(_) => prec::RAW,
            Expr::Field(_)
            | Expr::Literal(_)
            | Expr::Param { .. }
            | Expr::Positional(_)
            | Expr::Call { .. }
            | Expr::Star
            | Expr::Map(_) => prec::ATOM,
        }
    }

    /// Renders this expression alone; parameters are recorded in the
    /// renderer.
    pub(crate) fn render_into(&self, r: &mut Renderer) {
        r.expr(self, prec::LOWEST);
    }
}

impl From<Field> for Expr {
    fn from(f: Field) -> Self {
        Expr::Field(f)
    }
}

impl From<Literal> for Expr {
    fn from(l: Literal) -> Self {
        Expr::Literal(l)
    }
}

impl From<Options> for Expr {
    fn from(o: Options) -> Self {
        Expr::Map(o)
    }
}

macro_rules! expr_from_literal {
    ($($t:ty),*) => {
        $(impl From<$t> for Expr {
            fn from(v: $t) -> Self {
                Expr::Literal(v.into())
            }
        })*
    };
}

// Strings convert to string *literals*, never to fields or query text.
expr_from_literal!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, bool, &str, String, &String);

// `field("h") * 3.281`, `field("a") + field("b")`: any right operand that
// converts into an expression (another expression, a number, a bool, a
// string literal).
macro_rules! binary_ops {
    ($($tr:ident $m:ident),*) => {
        $(impl<T: Into<Expr>> std::ops::$tr<T> for Expr {
            type Output = Expr;
            fn $m(self, rhs: T) -> Expr {
                Expr::$m(self, rhs)
            }
        })*
    };
}

binary_ops!(Add add, Sub sub, Mul mul, Div div, Rem rem);

// `3.281 * field("h")`: numbers on the left.
macro_rules! literal_left_ops {
    ($($t:ty),*) => {
        $(
            impl std::ops::Add<Expr> for $t {
                type Output = Expr;
                fn add(self, rhs: Expr) -> Expr {
                    Expr::from(self).add(rhs)
                }
            }
            impl std::ops::Sub<Expr> for $t {
                type Output = Expr;
                fn sub(self, rhs: Expr) -> Expr {
                    Expr::from(self).sub(rhs)
                }
            }
            impl std::ops::Mul<Expr> for $t {
                type Output = Expr;
                fn mul(self, rhs: Expr) -> Expr {
                    Expr::from(self).mul(rhs)
                }
            }
            impl std::ops::Div<Expr> for $t {
                type Output = Expr;
                fn div(self, rhs: Expr) -> Expr {
                    Expr::from(self).div(rhs)
                }
            }
            impl std::ops::Rem<Expr> for $t {
                type Output = Expr;
                fn rem(self, rhs: Expr) -> Expr {
                    Expr::from(self).rem(rhs)
                }
            }
        )*
    };
}

literal_left_ops!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl std::ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::neg(self)
    }
}

impl std::ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::not(self)
    }
}

/// Precedence levels, lowest first.
pub(crate) mod prec {
    pub const LOWEST: u8 = 0;
    pub const RAW: u8 = 1;
    pub const OR: u8 = 2;
    pub const AND: u8 = 3;
    pub const NOT: u8 = 4;
    pub const PREDICATE: u8 = 5;
    pub const ADD: u8 = 6;
    pub const MUL: u8 = 7;
    pub const UNARY: u8 = 8;
    pub const CAST: u8 = 9;
    pub const ATOM: u8 = 10;
}
