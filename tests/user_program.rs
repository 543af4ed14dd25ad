//! A third-party program over the facade only: typed mappings, documents,
//! DSL search and aggregations, count, update, delete-by-query, cat, aliases,
//! the bulk and scan helpers and API errors, against a real server. Skips
//! when `ELASTIK_TEST_URL` is not set (`scripts/test.sh` sets it).

use std::collections::BTreeMap;

use elastik::dsl::{Aggregation, Document, Query, Search};
use elastik::types::global::{
    CountRequestBody, DeleteByQueryRequestBody, GetResponse, MgetOperation, MgetRequestBody, MgetResponse,
    MgetResponseItem, UpdateRequestBody,
};
use elastik::types::indices::{AddAction, UpdateAliasesAction, UpdateAliasesRequestBody};
use elastik::types::support::Shortcut;
use elastik::types::types::{Ids, Refresh, Script, ScriptSource};
use elastik_testkit::{test_url, unique_name};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Document)]
#[es(crate = "elastik::dsl", index = "books")]
struct Book {
    title: String,
    #[es(keyword)]
    genre: String,
    year: i64,
    pages: i64,
}

fn book(title: &str, genre: &str, year: i64, pages: i64) -> Book {
    Book { title: title.into(), genre: genre.into(), year, pages }
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn a_tokio_program_uses_the_typed_api() -> Result {
    let Some(url) = test_url() else {
        println!("skipping: ELASTIK_TEST_URL not set");
        return Ok(());
    };
    use elastik::tokio::helpers::{BulkConfig, BulkError, BulkOperation, BulkResult, ClientHelpers, ScanConfig};
    let client = elastik::tokio::Client::new(&url)?;
    let index = unique_name("user-books");

    // Typed mappings from the derive, sent as the typed create body.
    let created = client.indices().create(&index).body(Book::create_index_request()?).send().await?;
    assert!(created.acknowledged, "{created:?}");

    let books = [
        book("Dune", "scifi", 1965, 412),
        book("Hyperion", "scifi", 1989, 482),
        book("The Hobbit", "fantasy", 1937, 310),
    ];
    for (i, b) in books.iter().enumerate() {
        let written = client.index(&index).id((i + 1).to_string()).body(b).send().await?;
        assert_eq!(written._id, (i + 1).to_string());
    }
    client.indices().refresh().index(&index).send().await?;

    // Typed get and mget.
    let got = client.get(&index, "1").send_as::<GetResponse<Book>>().await?;
    assert_eq!(got._source.as_ref(), Some(&books[0]));
    let ids = Ids::IdList(vec!["2".into(), "3".into(), "404".into()]);
    let body = MgetRequestBody { ids: Some(ids), ..Default::default() };
    let many = client.mget().index(&index).body(body).send_as::<MgetResponse<Book>>().await?;
    let found: Vec<Option<String>> = many
        .docs
        .iter()
        .map(|d| match d {
            MgetResponseItem::GetResult(r) => r._source.as_ref().map(|b| b.title.clone()),
            other => panic!("not a get result: {other:?}"),
        })
        .collect();
    assert_eq!(found, [Some("Hyperion".into()), Some("The Hobbit".into()), None]);
    // A per-document error (a missing index) must not pass for "not found".
    let gone = MgetOperation { _index: Some(format!("{index}-gone")), _id: "1".into(), ..Default::default() };
    let body = MgetRequestBody { docs: Some(vec![gone]), ..Default::default() };
    let many = client.mget().body(body).send_as::<MgetResponse<Book>>().await?;
    let error_type = match &many.docs[0] {
        MgetResponseItem::MultiGetError(e) => e.error.r#type.clone(),
        // Today's decoding: the error lands in the get result's `extra` (see the report).
        MgetResponseItem::GetResult(r) => r.extra["error"]["type"].as_str().unwrap_or_default().to_owned(),
        MgetResponseItem::Other(v) => v["error"]["type"].as_str().unwrap_or_default().to_owned(),
    };
    assert_eq!(error_type, "index_not_found_exception");

    // DSL search with a terms aggregation, read typed.
    let results = Search::new()
        .index(&index)
        .docs::<Book>()
        .query(Query::range("year").gte(1950))
        .agg("by_genre", Aggregation::terms("genre"))
        .send(&client)
        .await?;
    assert_eq!(results.total(), Some(2));
    let mut titles: Vec<&str> = results.documents().map(|b| b.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["Dune", "Hyperion"]);
    let genres = results.aggregations.terms("by_genre")?;
    let counts: Vec<(Option<&str>, u64)> = genres.buckets.iter().map(|b| (b.key_str(), b.doc_count)).collect();
    assert_eq!(counts, [(Some("scifi"), 2)]);

    // Count with a DSL query as the typed body.
    let scifi = CountRequestBody { query: Some(Query::term("genre", "scifi").into_container()?), ..Default::default() };
    assert_eq!(client.count().index(&index).body(scifi).send().await?.count, 2);

    // Update: a script with params, then a partial document.
    let mut params = BTreeMap::new();
    params.insert("n".to_owned(), json!(8));
    let script = Script {
        source: Some(Box::new(ScriptSource::String("ctx._source.pages += params.n".into()))),
        params: Some(params),
        ..Default::default()
    };
    let by_script = UpdateRequestBody::<Book, Value> { script: Some(Shortcut::Full(script)), ..Default::default() };
    client.update(&index, "1").body(by_script).refresh(Refresh::True).send().await?;
    let partial = UpdateRequestBody::<Book, Value> { doc: Some(json!({"year": 1966})), ..Default::default() };
    client.update(&index, "1").body(partial).refresh(Refresh::True).send().await?;
    let dune = client.get(&index, "1").send_as::<GetResponse<Book>>().await?._source;
    assert_eq!(dune.map(|b| (b.year, b.pages)), Some((1966, 420)));

    // Cat indices as typed records, and an alias that searches like the index.
    let cat = client.cat().indices().index(&index).format("json").send().await?;
    let records = match cat {
        elastik::api::CatResponse::Records(r) => r,
        elastik::api::CatResponse::Text(t) => panic!("asked for JSON, got text: {t}"),
    };
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].index.as_deref(), Some(index.as_str()));
    assert_eq!(records[0].docs_count.as_deref(), Some("3"));
    let alias = format!("{index}-alias");
    let add = AddAction { index: Some(index.clone()), alias: Some(alias.clone()), ..Default::default() };
    let actions = UpdateAliasesRequestBody { actions: Some(vec![UpdateAliasesAction::Add(add)]) };
    assert!(client.indices().update_aliases().body(actions).send().await?.acknowledged);
    let aliases = client.indices().get_alias().name(&alias).send().await?;
    assert!(aliases.get(&index).is_some_and(|a| a.aliases.contains_key(&alias)), "{aliases:?}");
    assert_eq!(Search::new().index(&alias).size(0).send(&client).await?.total(), Some(3));

    // Bulk: one item fails (a duplicate create); nothing is dropped.
    let mut indexer = client.bulk_indexer(BulkConfig::new().index(&index));
    let outcomes = indexer.outcomes();
    indexer.add(BulkOperation::index(&book("Solaris", "scifi", 1961, 204)).id("4")).await?;
    let duplicate = indexer.add(BulkOperation::create(&books[1]).id("2")).await?;
    indexer.add(BulkOperation::index(&book("Emma", "classic", 1815, 474)).id("5")).await?;
    let report = indexer.close().await;
    assert_eq!((report.stats.submitted, report.stats.succeeded, report.stats.failed), (3, 2, 1));
    let outcomes: Vec<_> = outcomes.collect().await;
    assert_eq!(outcomes.len(), 3);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.is_failed()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, duplicate);
    assert_eq!(failed[0].operation.meta().id.as_deref(), Some("2"));
    match &failed[0].result {
        BulkResult::Failed(BulkError::Item { status, cause }) => {
            assert_eq!(*status, 409);
            let kind = cause.as_ref().and_then(|c| c.kind.as_deref());
            assert_eq!(kind, Some("version_conflict_engine_exception"));
        }
        other => panic!("expected a 409 item: {other:?}"),
    }
    client.indices().refresh().index(&index).send().await?;

    // Scan: every document, typed.
    let mut scanned: Vec<String> = Vec::new();
    let mut hits = client.scan::<Book>(ScanConfig::new(&index).size(2));
    while let Some(hit) = hits.next().await {
        scanned.push(hit?.source.title);
    }
    scanned.sort();
    assert_eq!(scanned, ["Dune", "Emma", "Hyperion", "Solaris", "The Hobbit"]);

    // Delete by query with a DSL query.
    let fantasy = DeleteByQueryRequestBody {
        query: Some(Query::term("genre", "fantasy").into_container()?),
        ..Default::default()
    };
    let deleted = client.delete_by_query(&index).refresh(true).body(fantasy).send().await?;
    assert_eq!(deleted.deleted, Some(1));
    assert_eq!(client.count().index(&index).send().await?.count, 4);

    // Errors: a 404 status with the typed error fields.
    let missing = format!("{index}-missing");
    let e = client.get(&missing, "1").send().await.expect_err("the index does not exist");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404));
    let api: &elastik::ApiError = e.as_api().expect("an API error");
    assert_eq!(api.error_type(), Some("index_not_found_exception"));
    let cause = api.error.as_ref().expect("the error object is parsed");
    assert_eq!(cause.metadata.get("index"), Some(&json!(missing)));
    let e = client.get(&index, "404").send().await.expect_err("a missing document is a 404");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404));

    client.indices().delete(&index).send().await?;
    Ok(())
}

/// A document whose index name is fixed: the `Document` operations use it.
#[cfg(feature = "blocking")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Document)]
#[es(crate = "elastik::dsl", index = "elastik-user-program-notes")]
struct Note {
    #[es(id)]
    id: String,
    #[es(keyword)]
    tag: String,
    body: String,
}

#[cfg(feature = "blocking")]
#[test]
fn a_blocking_program_uses_documents_and_helpers() -> Result {
    let Some(url) = test_url() else {
        println!("skipping: ELASTIK_TEST_URL not set");
        return Ok(());
    };
    use elastik::blocking::helpers::{BulkConfig, BulkOperation, ClientHelpers, ScanConfig};
    let client = elastik::blocking::Client::new(&url)?;
    Note::delete_index(&client)?;
    Note::create_index(&client)?;

    let note = Note { id: "n1".into(), tag: "todo".into(), body: "buy milk".into() };
    assert_eq!(note.save(&client, true)?, "n1");
    let read = Note::get(&client, "n1")?.expect("saved");
    assert_eq!((read.tag.as_str(), read.body.as_str()), ("todo", "buy milk"));
    assert!(Note::get(&client, "nope")?.is_none());

    let mut indexer = client.bulk_indexer(BulkConfig::new().index(Note::INDEX));
    let outcomes = indexer.outcomes();
    for n in 0..4 {
        let note = Note { id: format!("b{n}"), tag: "bulk".into(), body: format!("note {n}") };
        indexer.add(BulkOperation::index(&note).id(&note.id))?;
    }
    // Creating an id that exists fails; it must be reported.
    indexer.add(BulkOperation::create(&note).id("n1"))?;
    let report = indexer.close();
    assert_eq!((report.stats.succeeded, report.stats.failed), (4, 1));
    let failed: Vec<_> = outcomes.filter(|o| o.is_failed()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].operation.meta().id.as_deref(), Some("n1"));
    assert_eq!(failed[0].result.failure().and_then(|e| e.status()), Some(409));
    Note::refresh(&client)?;

    let bulk_notes =
        Note::search().query(Query::term("tag", "bulk")).agg("tags", Aggregation::terms("tag")).send(&client)?;
    assert_eq!(bulk_notes.total(), Some(4));
    assert_eq!(bulk_notes.aggregations.terms("tags")?.buckets[0].doc_count, 4);
    let config = ScanConfig::new(Note::INDEX).query(Query::term("tag", "bulk").into()).size(3);
    let scanned = client.scan::<Note>(config).collect::<std::result::Result<Vec<_>, elastik::Error>>()?;
    let mut ids: Vec<String> = scanned.into_iter().map(|h| h.source.id).collect();
    ids.sort();
    assert_eq!(ids, ["b0", "b1", "b2", "b3"]);

    let e = client.indices().create(Note::INDEX).send().expect_err("the index exists");
    assert_eq!(
        e.as_api().map(|a| (a.status.as_u16(), a.error_type())),
        Some((400, Some("resource_already_exists_exception")))
    );
    assert!(Note::delete_index(&client)?);
    Ok(())
}
