//! ES|QL: build a query as a syntax tree and render it. Values become
//! literals quoted by the renderer, or parameters sent beside the query:
//! user input is never pasted into the query text. (Runs without a server;
//! send a query with `client.esql().query().json_body(&rendered)` on a
//! cluster that has ES|QL.)
//!
//! ```sh
//! cargo run --example esql
//! ```

use elastik::proto::esql::{field, functions as f, Aggregation, Expr, Processing, Query};

fn main() -> Result<(), elastik::Error> {
    // Average height by language of the employees still hired, tallest first.
    let by_language = Query::from(["employees"])
        .where_(field("still_hired").eq(true))
        .stats_by([Aggregation::named("avg_height", f::avg(field("height")))], [field("languages")])
        .sort([field("avg_height").desc()])
        .limit(10)
        .render()?;
    println!("{}", by_language.query);
    assert!(by_language.query.starts_with("FROM employees | WHERE still_hired == true"));

    // A value from outside (a user's search box) goes in as a parameter.
    let untrusted = "Georgi\" OR true OR \"";
    let lookup = Query::from(["employees"])
        .where_(field("first_name").eq(Expr::param("name", untrusted)))
        .keep(["emp_no", "first_name", "last_name"])
        .render()?;
    println!("{}", lookup.query);
    println!("params: {}", lookup.params_json());
    assert!(!lookup.query.contains(untrusted), "the value is a parameter, not query text");

    // Literals mix with fields: heights in feet, positional `?` parameters.
    let tall = Query::from(["employees"])
        .eval([elastik::proto::esql::Column::named("height_feet", field("height") * 3.281)])
        .where_(field("height_feet").gt(Expr::positional(6.0)))
        .render()?;
    println!("{}", tall.query);
    println!("params: {}", tall.params_json());
    Ok(())
}
