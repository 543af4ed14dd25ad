//! The ES|QL async query, polled to its end.

use elastik_api::Client;
use elastik_proto::esql::{AsyncQuery, EsqlResponse};
use elastik_proto::Error;

use super::{Clients, Driven};
use crate::Drives;

/// Submits the async query and polls it until its result is there (and,
/// with `delete_when_done`, deletes it on the server); see
/// [`elastik_proto::esql::AsyncQuery`].
pub async fn esql_async_query<X: Drives>(client: &Client<X>, query: AsyncQuery) -> Result<EsqlResponse, Error> {
    let mut driven = Driven::new(query, Clients::one(client));
    let result = driven.next().await;
    // The delete (if asked) came before the result: nothing is left to send.
    while driven.next().await.is_some() {}
    result.unwrap_or_else(|| Err(Error::build("the async ES|QL query ended without a result")))
}
