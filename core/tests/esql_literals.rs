//! Issue 15 item 6 (ES|QL): operators taking literals, `.asc()`/`.desc()`
//! on expressions, and positional `?` parameters next to named ones.

use elastik_proto::esql::{field, functions as f, EsqlQuery, Expr, Processing, Query};
use elastik_proto::{Endpoint, Error};
use serde_json::{json, Value};

fn render(q: Query) -> String {
    q.render().expect("renders").query
}

#[test]
fn arithmetic_operators_take_numbers_on_either_side() {
    let q = Query::from(["employees"]).eval([("height_feet", field("height") * 3.281)]);
    assert_eq!(render(q), "FROM employees | EVAL height_feet = height * 3.281");
    let q = Query::row([("x", field("a") + 1), ("y", 2 - field("b")), ("z", field("c") / 2.5 % 7)]);
    assert_eq!(render(q), "ROW x = a + 1, y = 2 - b, z = c / 2.5 % 7");
    // Precedence still holds with literal operands.
    let q = Query::row([("x", (field("a") + 1) * 2_u8), ("y", 10_i64 * (field("b") - 3_i32))]);
    assert_eq!(render(q), "ROW x = (a + 1) * 2, y = 10 * (b - 3)");
    // Negative literals on the right are parenthesized where needed.
    assert_eq!(render(Query::row([("x", field("a") - -1)])), "ROW x = a - -1");
    // Expressions on both sides still work.
    assert_eq!(render(Query::row([("x", field("a") * field("b"))])), "ROW x = a * b");
}

#[test]
fn comparisons_take_numbers_strings_and_bools() {
    let q = Query::from(["employees"])
        .where_(field("still_hired").eq(true).and(field("salary").gte(50_000)).and(field("height").lt(1.9)))
        .where_(field("last_name").ne("O\"Neil | DROP *").or(field("emp_no").lte(10_010_u32)));
    assert_eq!(
        render(q),
        r#"FROM employees | WHERE still_hired == true AND salary >= 50000 AND height < 1.9 | WHERE last_name != "O\"Neil | DROP *" OR emp_no <= 10010"#
    );
    // A string is always a literal, never a field or query text.
    assert_eq!(render(Query::row([("x", field("a").gt("b"))])), r#"ROW x = a > "b""#);
}

#[test]
fn expressions_sort_with_asc_desc_and_nulls() {
    let q = Query::from(["employees"]).sort([
        field("emp_no").desc(),
        field("height").asc().nulls_first(),
        f::length(field("last_name")).desc().nulls_last(),
        field("first_name").nulls_last(),
    ]);
    assert_eq!(
        render(q),
        "FROM employees | SORT emp_no DESC, height ASC NULLS FIRST, LENGTH(last_name) DESC NULLS LAST, first_name NULLS LAST"
    );
    let q = Query::from(["employees"]).sort([(field("salary") * 1.1).desc()]);
    assert_eq!(render(q), "FROM employees | SORT salary * 1.1 DESC");
}

#[test]
fn positional_parameters_render_as_question_marks_and_travel_as_a_list() {
    let q = Query::from(["employees"])
        .where_(field("first_name").eq(Expr::positional("Chris")).and(field("birth_year").gt(Expr::positional(1970))))
        .where_(field("tag").in_list([Expr::positional(json!(["a", "b"]))]))
        .limit(5);
    let r = q.render().unwrap();
    assert_eq!(r.query, "FROM employees | WHERE first_name == ? AND birth_year > ? | WHERE tag IN (?) | LIMIT 5");
    assert!(r.params.is_empty());
    assert_eq!(r.positional, vec![json!("Chris"), json!(1970), json!(["a", "b"])]);
    assert_eq!(r.params_json(), json!(["Chris", 1970, ["a", "b"]]));
    // The body carries the list, as the server expects positional values.
    let req = EsqlQuery::new(r).to_request().unwrap();
    let body: Value = serde_json::from_slice(&req.body().bytes()).unwrap();
    assert_eq!(body["params"], json!(["Chris", 1970, ["a", "b"]]));
    // The values never reach the query text.
    let r = Query::row([("x", Expr::positional("\" | DROP *"))]).render().unwrap();
    assert_eq!(r.query, "ROW x = ?");
}

#[test]
fn named_parameters_are_still_objects_in_the_list() {
    let r = Query::from(["e"]).where_(field("a").eq(Expr::param("name", "x"))).render().unwrap();
    let req = EsqlQuery::new(r).to_request().unwrap();
    let body: Value = serde_json::from_slice(&req.body().bytes()).unwrap();
    assert_eq!(body["params"], json!([{"name": "x"}]));
    // Without parameters there is no `params` at all.
    let req = EsqlQuery::from_query(&Query::from(["e"])).unwrap().to_request().unwrap();
    let body: Value = serde_json::from_slice(&req.body().bytes()).unwrap();
    assert!(body.get("params").is_none());
}

#[test]
fn named_and_positional_parameters_do_not_mix() {
    let q = Query::from(["e"]).where_(field("a").eq(Expr::param("a", 1)).and(field("b").eq(Expr::positional(2))));
    match q.render() {
        Err(e @ Error::Build(_)) => assert!(e.to_string().contains("not both"), "{e}"),
        other => panic!("expected a build error, got {other:?}"),
    }
    // Objects are not values.
    assert!(Query::row([("x", Expr::positional(json!({"a": 1})))]).render().is_err());
}

#[test]
fn positional_parameters_work_as_like_patterns_and_match_queries() {
    let q = Query::from(["e"])
        .where_(field("name").like_expr(Expr::positional("Chr*"), false, false))
        .where_(Expr::matches("title", Expr::positional("brown fox")));
    let r = q.render().unwrap();
    assert_eq!(r.query, "FROM e | WHERE name LIKE ? | WHERE title : ?");
    assert_eq!(r.positional, vec![json!("Chr*"), json!("brown fox")]);
}
