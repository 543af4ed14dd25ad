//! ES|QL functions by family: one constructor per function, named after it
//! in snake case (`MV_AVG` → [`mv_avg`]; `MATCH` → [`match_`]).
//!
//! Required arguments are parameters; a function with an optional argument
//! has a second constructor (`round` / `round_decimals`, `log` / `ln`,
//! `bucket` / `bucket_range`, `match_` / `match_with`, …). Anything else can
//! be called through [`func`], which checks the name. [`FAMILIES`] lists the
//! functions of each family as the reference names them.
//!
//! ```
//! use elastik_proto::esql::{field, functions as f, lit, Expr};
//! let e = f::round_decimals(f::avg(field("salary")).div(lit(1000)), 1);
//! # let _ = e;
//! ```

use super::expr::{Expr, Options};

/// Calls any function by name, e.g. one newer than this list. The name must
/// be letters, digits and `_` (checked when the query is rendered), so it
/// cannot change the query's structure.
pub fn func<I, E>(name: impl Into<String>, args: I) -> Expr
where
    I: IntoIterator<Item = E>,
    E: Into<Expr>,
{
    Expr::Call { name: name.into(), args: args.into_iter().map(Into::into).collect() }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call { name: name.to_owned(), args }
}

macro_rules! family {
    ($(#[$doc:meta])* $list:ident = $family:literal {
        $( $fn:ident ( $($arg:ident),* $(; ..$rest:ident)? ) => $name:literal; )*
    }) => {
        $(
            #[doc = concat!("`", $name, "(", stringify!($($arg),*) $(, " …", stringify!($rest))?, ")`: ", $family, " function.")]
            pub fn $fn($($arg: impl Into<Expr>,)* $($rest: impl IntoIterator<Item = impl Into<Expr>>)?) -> Expr {
                #[allow(unused_mut)]
                let mut args: Vec<Expr> = vec![$($arg.into()),*];
                $( args.extend($rest.into_iter().map(Into::into)); )?
                call($name, args)
            }
        )*
        $(#[$doc])*
        pub const $list: &[&str] = &[$($name),*];
    };
}

family! {
    /// Aggregate functions (`STATS`, `INLINE STATS`).
    AGGREGATE = "aggregate" {
        absent(field) => "ABSENT";
        avg(number) => "AVG";
        count(field) => "COUNT";
        count_distinct(field) => "COUNT_DISTINCT";
        first(value, sort) => "FIRST";
        last(value, sort) => "LAST";
        max(field) => "MAX";
        median(number) => "MEDIAN";
        median_absolute_deviation(number) => "MEDIAN_ABSOLUTE_DEVIATION";
        min(field) => "MIN";
        percentile(number, percentile) => "PERCENTILE";
        present(field) => "PRESENT";
        sample(field, limit) => "SAMPLE";
        st_centroid_agg(field) => "ST_CENTROID_AGG";
        st_extent_agg(field) => "ST_EXTENT_AGG";
        std_dev(number) => "STD_DEV";
        sum(number) => "SUM";
        top(field, limit, order) => "TOP";
        values(field) => "VALUES";
        variance(number) => "VARIANCE";
        weighted_avg(number, weight) => "WEIGHTED_AVG";
    }
}

/// `COUNT(*)`: the number of rows.
pub fn count_all() -> Expr {
    call("COUNT", vec![Expr::Star])
}

/// `COUNT_DISTINCT(field, precision)`: aggregate function.
pub fn count_distinct_precision(field: impl Into<Expr>, precision: impl Into<Expr>) -> Expr {
    call("COUNT_DISTINCT", vec![field.into(), precision.into()])
}

family! {
    /// Time-series aggregate functions (`TS … | STATS`).
    TIME_SERIES = "time-series aggregate" {
        absent_over_time(field) => "ABSENT_OVER_TIME";
        avg_over_time(field) => "AVG_OVER_TIME";
        count_over_time(field) => "COUNT_OVER_TIME";
        count_distinct_over_time(field) => "COUNT_DISTINCT_OVER_TIME";
        delta(field) => "DELTA";
        first_over_time(field) => "FIRST_OVER_TIME";
        idelta(field) => "IDELTA";
        increase(field) => "INCREASE";
        irate(field) => "IRATE";
        last_over_time(field) => "LAST_OVER_TIME";
        max_over_time(field) => "MAX_OVER_TIME";
        min_over_time(field) => "MIN_OVER_TIME";
        present_over_time(field) => "PRESENT_OVER_TIME";
        rate(field) => "RATE";
        sum_over_time(field) => "SUM_OVER_TIME";
    }
}

family! {
    /// Grouping functions (`STATS … BY`).
    GROUPING = "grouping" {
        bucket(field, span) => "BUCKET";
        categorize(field) => "CATEGORIZE";
        tbucket(span) => "TBUCKET";
    }
}

/// `BUCKET(field, buckets, from, to)`: grouping function (a target bucket
/// count over a range).
pub fn bucket_range(
    field: impl Into<Expr>,
    buckets: impl Into<Expr>,
    from: impl Into<Expr>,
    to: impl Into<Expr>,
) -> Expr {
    call("BUCKET", vec![field.into(), buckets.into(), from.into(), to.into()])
}

family! {
    /// Conditional functions and expressions.
    CONDITIONAL = "conditional" {
        case(; ..conditions_and_values) => "CASE";
        coalesce(first; ..rest) => "COALESCE";
        greatest(first; ..rest) => "GREATEST";
        least(first; ..rest) => "LEAST";
    }
}

family! {
    /// Date and time functions.
    DATE_TIME = "date-time" {
        date_diff(unit, start, end) => "DATE_DIFF";
        date_extract(part, date) => "DATE_EXTRACT";
        date_format(format, date) => "DATE_FORMAT";
        date_parse(pattern, string) => "DATE_PARSE";
        date_trunc(interval, date) => "DATE_TRUNC";
        day_name(date) => "DAY_NAME";
        month_name(date) => "MONTH_NAME";
        now() => "NOW";
        trange(start, end) => "TRANGE";
    }
}

/// `DATE_FORMAT(date)` with the default format: date-time function.
pub fn date_format_default(date: impl Into<Expr>) -> Expr {
    call("DATE_FORMAT", vec![date.into()])
}

family! {
    /// IP functions.
    IP = "IP" {
        cidr_match(ip; ..blocks) => "CIDR_MATCH";
        ip_prefix(ip, prefix_length_v4, prefix_length_v6) => "IP_PREFIX";
        network_direction(source_ip, destination_ip, internal_networks) => "NETWORK_DIRECTION";
    }
}

family! {
    /// Math functions.
    MATH = "math" {
        abs(number) => "ABS";
        acos(number) => "ACOS";
        asin(number) => "ASIN";
        atan(number) => "ATAN";
        atan2(y, x) => "ATAN2";
        cbrt(number) => "CBRT";
        ceil(number) => "CEIL";
        copy_sign(magnitude, sign) => "COPY_SIGN";
        cos(angle) => "COS";
        cosh(number) => "COSH";
        e() => "E";
        exp(number) => "EXP";
        floor(number) => "FLOOR";
        hypot(number1, number2) => "HYPOT";
        log(base, number) => "LOG";
        log10(number) => "LOG10";
        pi() => "PI";
        pow(base, exponent) => "POW";
        round(number) => "ROUND";
        round_to(field; ..points) => "ROUND_TO";
        scalb(d, scale_factor) => "SCALB";
        signum(number) => "SIGNUM";
        sin(angle) => "SIN";
        sinh(number) => "SINH";
        sqrt(number) => "SQRT";
        tan(angle) => "TAN";
        tanh(number) => "TANH";
        tau() => "TAU";
    }
}

/// `LOG(number)`: natural logarithm (math function).
pub fn ln(number: impl Into<Expr>) -> Expr {
    call("LOG", vec![number.into()])
}

/// `ROUND(number, decimals)`: math function.
pub fn round_decimals(number: impl Into<Expr>, decimals: impl Into<Expr>) -> Expr {
    call("ROUND", vec![number.into(), decimals.into()])
}

family! {
    /// Search functions (full-text and scoring).
    SEARCH = "search" {
        kql(query) => "KQL";
        match_(field, query) => "MATCH";
        match_phrase(field, phrase) => "MATCH_PHRASE";
        qstr(query) => "QSTR";
        score(query) => "SCORE";
    }
}

/// `MATCH(field, query, {options})`: search function.
pub fn match_with(field: impl Into<Expr>, query: impl Into<Expr>, options: Options) -> Expr {
    call("MATCH", vec![field.into(), query.into(), Expr::Map(options)])
}

/// `MATCH_PHRASE(field, phrase, {options})`: search function.
pub fn match_phrase_with(field: impl Into<Expr>, phrase: impl Into<Expr>, options: Options) -> Expr {
    call("MATCH_PHRASE", vec![field.into(), phrase.into(), Expr::Map(options)])
}

/// `QSTR(query, {options})`: search function.
pub fn qstr_with(query: impl Into<Expr>, options: Options) -> Expr {
    call("QSTR", vec![query.into(), Expr::Map(options)])
}

/// `KQL(query, {options})`: search function.
pub fn kql_with(query: impl Into<Expr>, options: Options) -> Expr {
    call("KQL", vec![query.into(), Expr::Map(options)])
}

family! {
    /// Dense vector functions.
    VECTOR = "dense vector" {
        knn(field, query) => "KNN";
        text_embedding(text, inference_id) => "TEXT_EMBEDDING";
        v_cosine(left, right) => "V_COSINE";
        v_dot_product(left, right) => "V_DOT_PRODUCT";
        v_hamming(left, right) => "V_HAMMING";
        v_l1_norm(left, right) => "V_L1_NORM";
        v_l2_norm(left, right) => "V_L2_NORM";
        v_magnitude(input) => "V_MAGNITUDE";
    }
}

/// `KNN(field, query, {options})`: dense vector function.
pub fn knn_with(field: impl Into<Expr>, query: impl Into<Expr>, options: Options) -> Expr {
    call("KNN", vec![field.into(), query.into(), Expr::Map(options)])
}

family! {
    /// Spatial functions.
    SPATIAL = "spatial" {
        st_contains(geom_a, geom_b) => "ST_CONTAINS";
        st_disjoint(geom_a, geom_b) => "ST_DISJOINT";
        st_distance(geom_a, geom_b) => "ST_DISTANCE";
        st_envelope(geometry) => "ST_ENVELOPE";
        st_geohash(geometry, precision) => "ST_GEOHASH";
        st_geohash_to_long(grid_id) => "ST_GEOHASH_TO_LONG";
        st_geohash_to_string(grid_id) => "ST_GEOHASH_TO_STRING";
        st_geohex(geometry, precision) => "ST_GEOHEX";
        st_geohex_to_long(grid_id) => "ST_GEOHEX_TO_LONG";
        st_geohex_to_string(grid_id) => "ST_GEOHEX_TO_STRING";
        st_geotile(geometry, precision) => "ST_GEOTILE";
        st_geotile_to_long(grid_id) => "ST_GEOTILE_TO_LONG";
        st_geotile_to_string(grid_id) => "ST_GEOTILE_TO_STRING";
        st_intersects(geom_a, geom_b) => "ST_INTERSECTS";
        st_within(geom_a, geom_b) => "ST_WITHIN";
        st_x(point) => "ST_X";
        st_xmax(point) => "ST_XMAX";
        st_xmin(point) => "ST_XMIN";
        st_y(point) => "ST_Y";
        st_ymax(point) => "ST_YMAX";
        st_ymin(point) => "ST_YMIN";
    }
}

family! {
    /// String functions.
    STRING = "string" {
        bit_length(string) => "BIT_LENGTH";
        byte_length(string) => "BYTE_LENGTH";
        chunk(field) => "CHUNK";
        concat(first; ..rest) => "CONCAT";
        contains(string, substring) => "CONTAINS";
        ends_with(string, suffix) => "ENDS_WITH";
        from_base64(string) => "FROM_BASE64";
        hash(algorithm, input) => "HASH";
        left(string, length) => "LEFT";
        length(string) => "LENGTH";
        locate(string, substring) => "LOCATE";
        ltrim(string) => "LTRIM";
        md5(input) => "MD5";
        repeat(string, number) => "REPEAT";
        replace(string, regex, new_string) => "REPLACE";
        reverse(string) => "REVERSE";
        right(string, length) => "RIGHT";
        rtrim(string) => "RTRIM";
        sha1(input) => "SHA1";
        sha256(input) => "SHA256";
        space(number) => "SPACE";
        split(string, delimiter) => "SPLIT";
        starts_with(string, prefix) => "STARTS_WITH";
        substring(string, start, length) => "SUBSTRING";
        to_base64(string) => "TO_BASE64";
        to_lower(string) => "TO_LOWER";
        to_upper(string) => "TO_UPPER";
        trim(string) => "TRIM";
        url_decode(string) => "URL_DECODE";
        url_encode(string) => "URL_ENCODE";
        url_encode_component(string) => "URL_ENCODE_COMPONENT";
    }
}

/// `LOCATE(string, substring, start)`: string function.
pub fn locate_from(string: impl Into<Expr>, substring: impl Into<Expr>, start: impl Into<Expr>) -> Expr {
    call("LOCATE", vec![string.into(), substring.into(), start.into()])
}

/// `SUBSTRING(string, start)`: to the end of the string (string function).
pub fn substring_from(string: impl Into<Expr>, start: impl Into<Expr>) -> Expr {
    call("SUBSTRING", vec![string.into(), start.into()])
}

family! {
    /// Type conversion functions.
    TYPE_CONVERSION = "type conversion" {
        to_aggregate_metric_double(number) => "TO_AGGREGATE_METRIC_DOUBLE";
        to_boolean(field) => "TO_BOOLEAN";
        to_cartesianpoint(field) => "TO_CARTESIANPOINT";
        to_cartesianshape(field) => "TO_CARTESIANSHAPE";
        to_dateperiod(field) => "TO_DATEPERIOD";
        to_datetime(field) => "TO_DATETIME";
        to_date_nanos(field) => "TO_DATE_NANOS";
        to_degrees(number) => "TO_DEGREES";
        to_dense_vector(field) => "TO_DENSE_VECTOR";
        to_double(field) => "TO_DOUBLE";
        to_geohash(field) => "TO_GEOHASH";
        to_geohex(field) => "TO_GEOHEX";
        to_geopoint(field) => "TO_GEOPOINT";
        to_geoshape(field) => "TO_GEOSHAPE";
        to_geotile(field) => "TO_GEOTILE";
        to_integer(field) => "TO_INTEGER";
        to_ip(field) => "TO_IP";
        to_long(field) => "TO_LONG";
        to_radians(number) => "TO_RADIANS";
        to_string(field) => "TO_STRING";
        to_timeduration(field) => "TO_TIMEDURATION";
        to_unsigned_long(field) => "TO_UNSIGNED_LONG";
        to_version(field) => "TO_VERSION";
    }
}

family! {
    /// Multivalue functions.
    MULTIVALUE = "multivalue" {
        mv_append(field1, field2) => "MV_APPEND";
        mv_avg(number) => "MV_AVG";
        mv_concat(string, delimiter) => "MV_CONCAT";
        mv_contains(superset, subset) => "MV_CONTAINS";
        mv_count(field) => "MV_COUNT";
        mv_dedupe(field) => "MV_DEDUPE";
        mv_first(field) => "MV_FIRST";
        mv_intersection(field1, field2) => "MV_INTERSECTION";
        mv_intersects(field1, field2) => "MV_INTERSECTS";
        mv_last(field) => "MV_LAST";
        mv_max(field) => "MV_MAX";
        mv_median(number) => "MV_MEDIAN";
        mv_median_absolute_deviation(number) => "MV_MEDIAN_ABSOLUTE_DEVIATION";
        mv_min(field) => "MV_MIN";
        mv_percentile(number, percentile) => "MV_PERCENTILE";
        mv_pseries_weighted_sum(number, p) => "MV_PSERIES_WEIGHTED_SUM";
        mv_slice(field, start, end) => "MV_SLICE";
        mv_sort(field, order) => "MV_SORT";
        mv_sum(number) => "MV_SUM";
        mv_union(field1, field2) => "MV_UNION";
        mv_zip(string1, string2, delimiter) => "MV_ZIP";
    }
}

/// `MV_SORT(field)` in ascending order: multivalue function.
pub fn mv_sort_asc(field: impl Into<Expr>) -> Expr {
    call("MV_SORT", vec![field.into()])
}

/// `MV_ZIP(string1, string2)` with the default `,` delimiter: multivalue
/// function.
pub fn mv_zip_default(string1: impl Into<Expr>, string2: impl Into<Expr>) -> Expr {
    call("MV_ZIP", vec![string1.into(), string2.into()])
}

/// Every family with the names of its functions, as the reference lists
/// them.
pub const FAMILIES: &[(&str, &[&str])] = &[
    ("aggregate", AGGREGATE),
    ("time-series aggregate", TIME_SERIES),
    ("grouping", GROUPING),
    ("conditional", CONDITIONAL),
    ("date-time", DATE_TIME),
    ("IP", IP),
    ("math", MATH),
    ("search", SEARCH),
    ("dense vector", VECTOR),
    ("spatial", SPATIAL),
    ("string", STRING),
    ("type conversion", TYPE_CONVERSION),
    ("multivalue", MULTIVALUE),
];
