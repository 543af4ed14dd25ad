//! Async ES|QL queries on the calling thread: [`esql_async_query`] blocks on
//! the driver's, which drives the core's [`AsyncQuery`] machine to its end.
//!
//! What it does not do: decide when to poll, when to stop or whether to
//! delete, nor decode anything; the machine does. A plain `esql.query`
//! needs no helper: `client.send(EsqlQuery::from_query(&query)?)`
//! answers an [`EsqlResponse`](elastik_proto::esql::EsqlResponse).

use elastik_driver::block_on;
use elastik_proto::esql::{AsyncQuery, EsqlResponse};
use elastik_proto::Error;

use crate::Client;

/// Runs an async ES|QL query to its end and returns its result: submits it,
/// polls `esql.async_query_get` while the server says it is running (the
/// machine's `poll_interval` apart), deletes the stored results when the
/// machine was built with `delete_when_done(true)`, and returns the last
/// answer's table or the error that ended the query.
///
/// Each request goes through the client's driver, so node selection and
/// retries stay the transport's. The thread sleeps until each next poll.
///
/// ```no_run
/// use std::time::Duration;
/// use elastik_proto::esql::{AsyncQuery, EsqlQuery, Processing, Query};
/// use elastik_blocking::helpers::esql_async_query;
///
/// let client = elastik_blocking::Client::new("http://localhost:9200")?;
/// let submit = EsqlQuery::from_query(&Query::from(["books"]).keep(["name"]).limit(10))?
///     .into_async()
///     .wait_for_completion_timeout("1s");
/// let machine = AsyncQuery::new(submit).poll_interval(Duration::from_millis(500)).delete_when_done(true);
/// let response = esql_async_query(&client, machine)?;
/// println!("{} rows", response.row_count());
/// # Ok::<(), elastik_blocking::Error>(())
/// ```
pub fn esql_async_query(client: &Client, query: AsyncQuery) -> Result<EsqlResponse, Error> {
    block_on(elastik_driver::helpers::esql_async_query(client, query))
}
