//! Rendering of every ES|QL command, the operators, and every function
//! family, against strings written from the ES|QL reference.

use elastik_proto::esql::functions as f;
use elastik_proto::esql::{
    field, lit, Aggregation, Column, DataType, EnrichMode, Expr, Field, Fuse, FuseMethod, Options, Pipeline,
    Processing, Query, SortKey, TimeUnit,
};

fn render(q: Query) -> String {
    q.render().expect("renders").query
}

fn expr(e: Expr) -> String {
    render(Query::row([("x", e)])).trim_start_matches("ROW x = ").to_owned()
}

#[test]
fn source_commands() {
    assert_eq!(render(Query::from(["employees"])), "FROM employees");
    assert_eq!(
        render(Query::from(["logs-*", "remote-*:library", "idx::failures"]).metadata(["_id", "_index", "_score"])),
        "FROM logs-*, remote-*:library, idx::failures METADATA _id, _index, _score"
    );
    assert_eq!(render(Query::from(["<logs-{now/d}>"])), r#"FROM "<logs-{now/d}>""#);
    assert_eq!(render(Query::ts(["k8s"])), "TS k8s");
    assert_eq!(render(Query::ts(["k8s"]).metadata(["_tsid"])), "TS k8s METADATA _tsid");
    assert_eq!(
        render(Query::row([Column::named("a", 1), Column::named("b", "two"), Column::named("c", lit(vec![1, 2, 3]))])),
        r#"ROW a = 1, b = "two", c = [1, 2, 3]"#
    );
    assert_eq!(render(Query::row([("a", f::round(lit(1.5)))])), "ROW a = ROUND(1.5)");
    assert_eq!(render(Query::show_info()), "SHOW INFO");
}

#[test]
fn set_directive() {
    let q = Query::from(["k8s"]).set("time_zone", "+05:00").set("unmapped_fields", "nullify").limit(2);
    assert_eq!(render(q), r#"SET time_zone = "+05:00"; SET unmapped_fields = "nullify"; FROM k8s | LIMIT 2"#);
    let q = Query::from(["k8s"]).set("time_zone", "UTC").set("time_zone", "+01:00");
    assert_eq!(render(q), r#"SET time_zone = "+01:00"; FROM k8s"#);
    let q = Query::from(["k8s"]).set("approximation", Options::new().set("rows", 1000).set("confidence_level", 0.9));
    assert_eq!(render(q), r#"SET approximation = {"rows": 1000, "confidence_level": 0.9}; FROM k8s"#);
    assert!(Query::from(["a"]).set("time_zone = 1; FROM x", 1).render().is_err());
}

#[test]
fn processing_commands() {
    let base = || Query::from(["i"]);
    let cases: Vec<(Query, &str)> = vec![
        (base().change_point("count"), "FROM i | CHANGE_POINT count"),
        (
            base().change_point_with("count", Some(Field::new("key")), Some(("type".into(), "pvalue".into()))),
            "FROM i | CHANGE_POINT count ON key AS type, pvalue",
        ),
        (
            base().completion(("answer", field("prompt")), "my_llm"),
            r#"FROM i | COMPLETION answer = prompt WITH {"inference_id": "my_llm"}"#,
        ),
        (base().completion(field("prompt"), "my_llm"), r#"FROM i | COMPLETION prompt WITH {"inference_id": "my_llm"}"#),
        (base().dissect(field("a"), "%{date} - %{msg} - %{ip}"), r#"FROM i | DISSECT a "%{date} - %{msg} - %{ip}""#),
        (
            base().dissect_with_separator(field("a"), "%{+ts} %{+ts}", ","),
            r#"FROM i | DISSECT a "%{+ts} %{+ts}" APPEND_SEPARATOR = ",""#,
        ),
        (base().drop(["height", "emp_*"]), "FROM i | DROP height, emp_*"),
        (base().enrich("languages_policy"), "FROM i | ENRICH languages_policy"),
        (
            base().enrich_with(
                "languages_policy",
                Some(EnrichMode::Coordinator),
                Some("a".into()),
                vec![(Some("name".into()), "language_name".into()), (None, "code".into())],
            ),
            "FROM i | ENRICH _coordinator:languages_policy ON a WITH name = language_name, code",
        ),
        (
            base().eval([
                Column::named("height_feet", field("height").mul(lit(3.281))),
                Column::expr(field("x").add(lit(1))),
            ]),
            "FROM i | EVAL height_feet = height * 3.281, x + 1",
        ),
        (
            base().fork([
                Pipeline::new().where_(field("emp_no").eq(10001)),
                Pipeline::new().where_(field("emp_no").eq(10002)).sort(["emp_no"]),
            ]),
            "FROM i | FORK (WHERE emp_no == 10001) (WHERE emp_no == 10002 | SORT emp_no)",
        ),
        (base().fuse(Fuse::default()), "FROM i | FUSE"),
        (
            base().fuse(Fuse {
                method: Some(FuseMethod::Linear),
                score_by: Some("_score".into()),
                group_by: Some("_fork".into()),
                key_by: vec!["_id".into(), "_index".into()],
                options: Some(
                    Options::new().set("normalizer", "minmax").set("weights", Options::new().set("fork1", 0.7)),
                ),
            }),
            r#"FROM i | FUSE LINEAR SCORE BY _score GROUP BY _fork KEY BY _id, _index WITH {"normalizer": "minmax", "weights": {"fork1": 0.7}}"#,
        ),
        (
            base().grok(field("a"), "%{TIMESTAMP_ISO8601:date} %{IP:ip}"),
            r#"FROM i | GROK a "%{TIMESTAMP_ISO8601:date} %{IP:ip}""#,
        ),
        (
            base().inline_stats_by([("max_salary", f::max(field("salary")))], [field("languages")]),
            "FROM i | INLINE STATS max_salary = MAX(salary) BY languages",
        ),
        (base().inline_stats([f::count_all()]), "FROM i | INLINE STATS COUNT(*)"),
        (base().keep(["first_name", "h*", "@timestamp"]), "FROM i | KEEP first_name, h*, @timestamp"),
        (base().limit(1000), "FROM i | LIMIT 1000"),
        (base().lookup_join("threat_list", ["source.ip"]), "FROM i | LOOKUP JOIN threat_list ON source.ip"),
        (
            base().lookup_join_on("lk", field("a").eq(field("b")).and(field("c").gt(field("d")))),
            "FROM i | LOOKUP JOIN lk ON a == b AND c > d",
        ),
        (base().mv_expand("a"), "FROM i | MV_EXPAND a"),
        (
            base().rename([("first_name", "fn"), ("last name", "ln")]),
            "FROM i | RENAME first_name AS fn, `last name` AS ln",
        ),
        (
            base().rerank(
                ("rerank_score", "search query"),
                [field("title"), field("description")],
                Some(Options::new().set("inference_id", "my_rerank_endpoint")),
            ),
            r#"FROM i | RERANK rerank_score = "search query" ON title, description WITH {"inference_id": "my_rerank_endpoint"}"#,
        ),
        (base().rerank(Column::expr("q"), [field("title")], None), r#"FROM i | RERANK "q" ON title"#),
        (base().sample(0.05), "FROM i | SAMPLE 0.05"),
        (
            base().sort([
                SortKey::desc(field("height")).nulls_first(),
                SortKey::asc(field("name")).nulls_last(),
                "id".into(),
            ]),
            "FROM i | SORT height DESC NULLS FIRST, name ASC NULLS LAST, id",
        ),
        (
            base().stats_by(
                [
                    Aggregation::named("avg50s", f::avg(field("salary")))
                        .filter(field("birth_date").lt(lit("1960-01-01"))),
                    Aggregation::named("n", f::count_all()),
                ],
                [
                    Column::named("decade", f::bucket(field("birth_date"), Expr::span(10, TimeUnit::Year))),
                    Column::expr(field("gender")),
                ],
            ),
            r#"FROM i | STATS avg50s = AVG(salary) WHERE birth_date < "1960-01-01", n = COUNT(*) BY decade = BUCKET(birth_date, 10 years), gender"#,
        ),
        (base().stats_by(Vec::<Column>::new(), [field("languages")]), "FROM i | STATS BY languages"),
        (base().stats([f::count(field("x"))]), "FROM i | STATS COUNT(x)"),
        (base().where_(field("a").gt(1)), "FROM i | WHERE a > 1"),
        (base().raw_unchecked("URI_PARTS p = url"), "FROM i | URI_PARTS p = url"),
    ];
    for (q, expected) in cases {
        assert_eq!(render(q), expected);
    }
}

#[test]
fn invalid_commands_are_build_errors() {
    assert!(Query::from(Vec::<String>::new()).render().is_err());
    assert!(Query::from(["i"]).keep(Vec::<String>::new()).render().is_err());
    assert!(Query::from(["i"]).keep(["a-*"]).render().is_err());
    assert!(Query::from(["i"]).sample(1.5).render().is_err());
    assert!(Query::from(["i"]).enrich("p | DROP x").render().is_err());
    assert!(Query::from(["i"]).fork([Pipeline::new()]).render().is_err());
    assert!(Query::from(["i"]).eval([("x", lit(f64::NAN))]).render().is_err());
    assert!(Query::from(["i"]).stats(Vec::<Column>::new()).render().is_err());
}

#[test]
fn fields_and_literals() {
    assert_eq!(expr(field("a")), "a");
    assert_eq!(expr(field("client.ip")), "client.ip");
    assert_eq!(expr(field("@timestamp")), "@timestamp");
    assert_eq!(expr(field("a b")), "`a b`");
    assert_eq!(expr(field("we`ird")), "`we``ird`");
    assert_eq!(expr(field("1st")), "`1st`");
    assert_eq!(expr(field("by")), "`by`");
    assert_eq!(expr(lit("a\"b\\c\nd\te\rf")), r#""a\"b\\c\nd\te\rf""#);
    assert_eq!(expr(lit(42)), "42");
    assert_eq!(expr(lit(-42)), "-42");
    assert_eq!(expr(lit(u64::MAX)), "18446744073709551615");
    assert_eq!(expr(lit(1.0)), "1.0");
    assert_eq!(expr(lit(0.1)), "0.1");
    assert_eq!(expr(lit(1e300)), "1e300");
    assert_eq!(expr(lit(true)), "true");
    assert_eq!(expr(lit(false)), "false");
    assert_eq!(expr(Expr::null()), "null");
    assert_eq!(expr(lit(None::<i32>)), "null");
    assert_eq!(expr(lit(vec!["a", "b"])), r#"["a", "b"]"#);
    assert_eq!(expr(Expr::span(1, TimeUnit::Day)), "1 day");
    assert_eq!(expr(Expr::span(3, TimeUnit::Hour)), "3 hours");
    assert_eq!(expr(Expr::span(15, TimeUnit::Minute)), "15 minutes");
    assert_eq!(expr(Expr::span(2, TimeUnit::Week)), "2 weeks");
    assert_eq!(expr(Expr::span(1, TimeUnit::Month)), "1 month");
    assert_eq!(expr(Expr::span(1, TimeUnit::Quarter)), "1 quarter");
    assert_eq!(expr(Expr::span(500, TimeUnit::Millisecond)), "500 milliseconds");
    assert_eq!(expr(Expr::span(30, TimeUnit::Second)), "30 seconds");
    assert_eq!(expr(Expr::datetime("2024-01-01T00:00:00Z")), r#""2024-01-01T00:00:00Z"::datetime"#);
    assert_eq!(expr(f::now().sub(Expr::span(1, TimeUnit::Day))), "NOW() - 1 day");
}

#[test]
fn operators_and_precedence() {
    let (a, b, c) = (|| field("a"), || field("b"), || field("c"));
    assert_eq!(expr(a().add(b()).mul(c())), "(a + b) * c");
    assert_eq!(expr(a().add(b().mul(c()))), "a + b * c");
    assert_eq!(expr(a().mul(b()).add(c())), "a * b + c");
    assert_eq!(expr(a().sub(b().sub(c()))), "a - (b - c)");
    assert_eq!(expr(a().sub(b()).sub(c())), "a - b - c");
    assert_eq!(expr(a().div(b().mul(c()))), "a / (b * c)");
    assert_eq!(expr(a().rem(lit(2)).eq(lit(0))), "a % 2 == 0");
    assert_eq!(expr(a().or(b()).and(c())), "(a OR b) AND c");
    assert_eq!(expr(a().and(b()).or(c())), "a AND b OR c");
    assert_eq!(expr(a().or(b().and(c()))), "a OR b AND c");
    assert_eq!(expr(a().eq(lit(1)).not()), "NOT a == 1");
    assert_eq!(expr(a().and(b()).not()), "NOT (a AND b)");
    assert_eq!(expr(a().not().and(b())), "NOT a AND b");
    assert_eq!(expr(a().eq(b()).eq(lit(true))), "(a == b) == true");
    assert_eq!(expr(a().ne(b())), "a != b");
    assert_eq!(expr(a().lt(b())), "a < b");
    assert_eq!(expr(a().lte(b())), "a <= b");
    assert_eq!(expr(a().gt(b())), "a > b");
    assert_eq!(expr(a().gte(b())), "a >= b");
    assert_eq!(expr(a().neg()), "-a");
    assert_eq!(expr(a().add(b()).neg()), "-(a + b)");
    assert_eq!(expr(lit(-1).neg()), "-(-1)");
    assert_eq!(expr(a().neg().mul(b())), "-a * b");
    assert_eq!(expr(a().sub(lit(-1))), "a - -1");
    assert_eq!(expr(a().cast(DataType::Long)), "a::long");
    assert_eq!(expr(a().add(b()).cast(DataType::Double)), "(a + b)::double");
    assert_eq!(expr(lit(-1).cast(DataType::Long)), "(-1)::long");
    assert_eq!(expr(lit("1.2.3").cast(DataType::Version)), r#""1.2.3"::version"#);
    assert_eq!(expr(f::length(a()).cast(DataType::Keyword)), "LENGTH(a)::keyword");
    assert_eq!(expr(a().like("foo*")), r#"a LIKE "foo*""#);
    assert_eq!(expr(a().not_like("foo?")), r#"a NOT LIKE "foo?""#);
    assert_eq!(expr(a().rlike(".*bar")), r#"a RLIKE ".*bar""#);
    assert_eq!(expr(a().not_rlike("x+")), r#"a NOT RLIKE "x+""#);
    assert_eq!(expr(a().add(b()).like("1*")), r#"a + b LIKE "1*""#);
    assert_eq!(expr(a().in_list([lit(1), lit(2), b()])), "a IN (1, 2, b)");
    assert_eq!(expr(a().not_in_list(["x", "y"])), r#"a NOT IN ("x", "y")"#);
    assert_eq!(expr(a().is_null()), "a IS NULL");
    assert_eq!(expr(a().is_not_null().or(b().is_null())), "a IS NOT NULL OR b IS NULL");
    assert_eq!(expr(a().eq(b()).is_null()), "(a == b) IS NULL");
    assert_eq!(expr(Expr::matches("title", lit("search text"))), r#"title : "search text""#);
    assert_eq!(expr(a().like("x").not()), r#"NOT a LIKE "x""#);
    assert_eq!(expr(!a().gt(1)), "NOT a > 1");
    assert_eq!(expr((a() + b()) * c() - -b()), "(a + b) * c - -b");
    assert_eq!(expr(Expr::raw_unchecked("x + 1").mul(lit(2))), "(x + 1) * 2");
}

#[test]
fn function_families() {
    let x = || field("x");
    let cases: Vec<(Expr, &str)> = vec![
        // aggregate
        (f::avg(x()), "AVG(x)"),
        (f::count_all(), "COUNT(*)"),
        (f::count_distinct_precision(x(), 3000), "COUNT_DISTINCT(x, 3000)"),
        (f::percentile(x(), 99.9), "PERCENTILE(x, 99.9)"),
        (f::top(x(), 3, "desc"), r#"TOP(x, 3, "desc")"#),
        (f::first(x(), field("@timestamp")), "FIRST(x, @timestamp)"),
        (f::weighted_avg(x(), field("w")), "WEIGHTED_AVG(x, w)"),
        (f::round_decimals(f::avg(f::mv_avg(x())), 10), "ROUND(AVG(MV_AVG(x)), 10)"),
        // time series
        (f::rate(field("requests")), "RATE(requests)"),
        (f::avg_over_time(field("cpu")), "AVG_OVER_TIME(cpu)"),
        // grouping
        (f::bucket(x(), Expr::span(1, TimeUnit::Hour)), "BUCKET(x, 1 hour)"),
        (
            f::bucket_range(field("hire_date"), 20, lit("1985-01-01T00:00:00Z"), lit("1986-01-01T00:00:00Z")),
            r#"BUCKET(hire_date, 20, "1985-01-01T00:00:00Z", "1986-01-01T00:00:00Z")"#,
        ),
        (f::tbucket(Expr::span(3, TimeUnit::Hour)), "TBUCKET(3 hours)"),
        (f::categorize(field("message")), "CATEGORIZE(message)"),
        // conditional
        (
            f::case([x().lt(10), lit("low"), x().lt(100), lit("mid"), lit("high")]),
            r#"CASE(x < 10, "low", x < 100, "mid", "high")"#,
        ),
        (f::coalesce(x(), [field("y"), lit(0)]), "COALESCE(x, y, 0)"),
        (f::greatest(x(), [field("y")]), "GREATEST(x, y)"),
        (f::least(x(), [lit(1)]), "LEAST(x, 1)"),
        // date-time
        (f::date_diff("day", field("a"), field("b")), r#"DATE_DIFF("day", a, b)"#),
        (f::date_extract("year", x()), r#"DATE_EXTRACT("year", x)"#),
        (f::date_format("yyyy-MM-dd", x()), r#"DATE_FORMAT("yyyy-MM-dd", x)"#),
        (f::date_format_default(x()), "DATE_FORMAT(x)"),
        (f::date_parse("yyyy-MM-dd", x()), r#"DATE_PARSE("yyyy-MM-dd", x)"#),
        (f::date_trunc(Expr::span(1, TimeUnit::Year), x()), "DATE_TRUNC(1 year, x)"),
        (f::day_name(x()), "DAY_NAME(x)"),
        (f::month_name(x()), "MONTH_NAME(x)"),
        (f::now(), "NOW()"),
        (f::trange(lit("2024-01-01"), lit("2024-02-01")), r#"TRANGE("2024-01-01", "2024-02-01")"#),
        // IP
        (
            f::cidr_match(field("ip1"), ["127.0.0.2/32", "127.0.0.3/32"]),
            r#"CIDR_MATCH(ip1, "127.0.0.2/32", "127.0.0.3/32")"#,
        ),
        (f::ip_prefix(x(), 24, 112), "IP_PREFIX(x, 24, 112)"),
        (f::network_direction(field("s"), field("d"), lit(vec!["private"])), r#"NETWORK_DIRECTION(s, d, ["private"])"#),
        // math
        (f::abs(x()), "ABS(x)"),
        (f::atan2(field("y"), x()), "ATAN2(y, x)"),
        (f::e(), "E()"),
        (f::pi(), "PI()"),
        (f::tau(), "TAU()"),
        (f::log(2, 8), "LOG(2, 8)"),
        (f::ln(x()), "LOG(x)"),
        (f::pow(x(), 2), "POW(x, 2)"),
        (f::round(x()), "ROUND(x)"),
        (f::round_to(x(), [lit(0), lit(10), lit(100)]), "ROUND_TO(x, 0, 10, 100)"),
        (f::sqrt(x().add(1)), "SQRT(x + 1)"),
        // search
        (f::match_(field("title"), "Hobbit Back Again"), r#"MATCH(title, "Hobbit Back Again")"#),
        (
            f::match_with(field("title"), "Hobbit", Options::new().set("operator", "AND").set("fuzziness", 1)),
            r#"MATCH(title, "Hobbit", {"operator": "AND", "fuzziness": 1})"#,
        ),
        (f::match_phrase(field("title"), "William Faulkner"), r#"MATCH_PHRASE(title, "William Faulkner")"#),
        (f::qstr("author: Faulkner"), r#"QSTR("author: Faulkner")"#),
        (f::kql("author.keyword:Faulkner*"), r#"KQL("author.keyword:Faulkner*")"#),
        (f::score(f::match_(field("t"), "x")), r#"SCORE(MATCH(t, "x"))"#),
        // dense vector
        (f::knn(field("v"), lit(vec![0.1, 0.2])), "KNN(v, [0.1, 0.2])"),
        (f::v_cosine(field("v"), field("w")), "V_COSINE(v, w)"),
        // spatial
        (f::st_distance(field("a"), field("b")), "ST_DISTANCE(a, b)"),
        (
            f::st_intersects(field("location"), f::to_geoshape("POLYGON((42 14, 43 14, 43 15, 42 15, 42 14))")),
            r#"ST_INTERSECTS(location, TO_GEOSHAPE("POLYGON((42 14, 43 14, 43 15, 42 15, 42 14))"))"#,
        ),
        (f::st_geohash(field("p"), 3), "ST_GEOHASH(p, 3)"),
        (f::st_x(field("p")), "ST_X(p)"),
        // string
        // `first`/`last` are keywords (`NULLS FIRST`), so they are quoted.
        (f::concat(field("first"), [lit(" "), field("last")]), r#"CONCAT(`first`, " ", `last`)"#),
        (f::substring(x(), 1, 3), "SUBSTRING(x, 1, 3)"),
        (f::substring_from(x(), 2), "SUBSTRING(x, 2)"),
        (f::locate(x(), "ll"), r#"LOCATE(x, "ll")"#),
        (f::locate_from(x(), "ll", 4), r#"LOCATE(x, "ll", 4)"#),
        (f::replace(x(), "World", "Universe"), r#"REPLACE(x, "World", "Universe")"#),
        (f::hash("sha256", x()), r#"HASH("sha256", x)"#),
        (f::to_upper(f::trim(x())), "TO_UPPER(TRIM(x))"),
        (f::split(x(), ";"), r#"SPLIT(x, ";")"#),
        // type conversion
        (f::to_datetime(x()), "TO_DATETIME(x)"),
        (f::to_ip(lit("1.1.1.1")), r#"TO_IP("1.1.1.1")"#),
        (f::to_unsigned_long(x()), "TO_UNSIGNED_LONG(x)"),
        // multivalue
        (f::mv_concat(x(), ", "), r#"MV_CONCAT(x, ", ")"#),
        (f::mv_slice(x(), 0, 1), "MV_SLICE(x, 0, 1)"),
        (f::mv_sort(x(), "DESC"), r#"MV_SORT(x, "DESC")"#),
        (f::mv_sort_asc(x()), "MV_SORT(x)"),
        (f::mv_zip(field("a"), field("b"), "-"), r#"MV_ZIP(a, b, "-")"#),
        (f::mv_zip_default(field("a"), field("b")), "MV_ZIP(a, b)"),
        (f::mv_percentile(x(), 50), "MV_PERCENTILE(x, 50)"),
        // generic
        (f::func("SOME_NEW_FUNCTION", [x(), lit(1)]), "SOME_NEW_FUNCTION(x, 1)"),
    ];
    for (e, expected) in cases {
        assert_eq!(expr(e), expected);
    }
}

/// Every listed function has a constructor that renders `NAME(`; calling
/// each through `func` with its listed name renders the same head.
#[test]
fn every_listed_function_renders() {
    let mut total = 0;
    for (family, names) in f::FAMILIES {
        assert!(!names.is_empty(), "{family}");
        for name in *names {
            let rendered = expr(f::func(*name, [field("x")]));
            assert_eq!(rendered, format!("{name}(x)"));
            total += 1;
        }
    }
    println!("{total} functions in {} families", f::FAMILIES.len());
    assert!(total >= 180, "{total}");
    assert!(Query::row([("x", f::func("BAD NAME", [field("x")]))]).render().is_err());
    assert!(Query::row([("x", f::func("X(1); DROP", Vec::<Expr>::new()))]).render().is_err());
}

#[test]
fn rendering_is_deterministic() {
    let build = || {
        Query::from(["a"])
            .where_(field("x").eq(Expr::param("p", "v")).or(field("y").eq(Expr::param("q", 2))))
            .eval([("z", f::concat(field("x"), [Expr::param("p", "v")]))])
    };
    let one = build().render().unwrap();
    let two = build().render().unwrap();
    assert_eq!(one, two);
    assert_eq!(one.params.len(), 2, "a parameter used twice is sent once");
}

#[test]
fn spec_request_example_renders_the_same_query() {
    // The query of esql.query's QueryRequestExample1, built with the builder.
    let q = Query::from(["library", "remote-*:library"])
        .eval([("year", f::date_trunc(Expr::span(1, TimeUnit::Year), field("release_date")))])
        .stats_by([f::max(field("page_count"))], [field("year")])
        .sort(["year"])
        .limit(5);
    assert_eq!(
        render(q),
        "FROM library, remote-*:library | EVAL year = DATE_TRUNC(1 year, release_date) \
         | STATS MAX(page_count) BY year | SORT year | LIMIT 5"
    );
}
