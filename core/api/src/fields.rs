//! [`IntoField`]: what a body-field setter accepts.
//!
//! Every body-field setter of a generated endpoint (`.query(…)`, `.size(…)`,
//! `.aggregation("name", …)`) takes `impl IntoField<T>`, where `T` is the
//! field's generated type, and stores the value's JSON in the endpoint's
//! body. Implemented for:
//!
//! - `T` itself (a generated struct or enum, `i64`, `String`, …);
//! - plain values of the same JSON shape: `&str` for `String`, any integer
//!   for `i64`/`u64`, `f32` and integers for `f64`;
//! - each variant of a generated union of alternatives (`true` and `10_000`
//!   for `TrackHits`, `false` and a field list for `SourceConfig`, a field
//!   name for `Sort`), generated next to the endpoints;
//! - the DSL's values (`elastik_dsl::Query` for `QueryContainer`,
//!   `Aggregation` for `AggregationContainer`), whose JSON goes into the body
//!   exactly as the DSL rendered it, with no conversion through the
//!   generated type.
//!
//! A value whose serialization fails makes `send` return
//! [`Error::Build`](elastik_base::Error::Build); nothing is sent.

use serde::Serialize;
use serde_json::Value;

/// A value a body-field setter of type `T` accepts; see the [module docs](self).
pub trait IntoField<T> {
    /// The value's JSON, as it goes into the body.
    fn into_field(self) -> Result<Value, serde_json::Error>;
}

impl<T: Serialize> IntoField<T> for T {
    fn into_field(self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(&self)
    }
}

/// `impl IntoField<$target> for $source` for plain values of the same JSON shape.
macro_rules! same_shape {
    ($target:ty: $($source:ty),*) => {
        $(impl IntoField<$target> for $source {
            fn into_field(self) -> Result<Value, serde_json::Error> {
                serde_json::to_value(self)
            }
        })*
    };
}

same_shape!(String: &str, &String, Box<str>);
same_shape!(i64: i8, i16, i32, u8, u16, u32, u64, usize, isize);
same_shape!(u64: u8, u16, u32, i32, usize);
same_shape!(f64: f32, i32, i64, u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_keep_their_json() {
        assert_eq!(IntoField::<i64>::into_field(40).unwrap(), serde_json::json!(40));
        assert_eq!(IntoField::<u64>::into_field(u32::MAX).unwrap(), serde_json::json!(4294967295u64));
        assert_eq!(IntoField::<String>::into_field("30s").unwrap(), serde_json::json!("30s"));
        assert_eq!(IntoField::<f64>::into_field(1.5f32).unwrap(), serde_json::json!(1.5));
        // A u64 beyond i64 is written as is, not wrapped.
        assert_eq!(IntoField::<i64>::into_field(u64::MAX).unwrap(), serde_json::json!(u64::MAX));
    }
}
