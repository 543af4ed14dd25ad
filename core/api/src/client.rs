//! The generic client and the request builder every endpoint method returns.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use elastik_base::endpoint::{IgnoredStatus, RawRequest};
use elastik_base::{
    Auth, Body, ClientBuilder, Config, Endpoint, Error, Executor, FromConfig, PreparedRequest, RequestOptions,
};
use http::{HeaderMap, Method};
use serde::Serialize;

/// An Elasticsearch client over the runtime `X`. Cheap to clone; clones
/// share connections and node state.
///
/// [`Client::with_options`] makes a clone whose every request starts from
/// default [`RequestOptions`] (Python's `client.options(…)`).
#[derive(Clone, Debug)]
pub struct Client<X> {
    executor: X,
    /// Options every request of this client starts from.
    defaults: Arc<RequestOptions>,
}

impl<X: Executor + FromConfig> FromConfig for Client<X> {
    fn from_config(config: Config) -> Result<Self, Error> {
        X::from_config(config).map(Client::from_executor)
    }
}

impl<X: Executor> Client<X> {
    /// A builder for this runtime's client.
    pub fn builder() -> ClientBuilder<Self>
    where
        X: FromConfig,
    {
        ClientBuilder::new()
    }

    /// A client for the single node at `url`, with default settings.
    pub fn new(url: &str) -> Result<Self, Error>
    where
        X: FromConfig,
    {
        Self::builder().node(url).build()
    }

    /// Wraps an executor.
    pub fn from_executor(executor: X) -> Self {
        Client { executor, defaults: Arc::default() }
    }

    /// A clone of this client (same connections and node state) whose every
    /// request starts from `options`: timeout, headers, opaque id,
    /// credentials, ignored statuses, retries. Like the Python client's
    /// `client.options(request_timeout=…, opaque_id=…, headers=…, ignore_status=…)`.
    ///
    /// The options are laid over this client's own defaults (an option set
    /// here wins, the others stay), and each request's own options win over
    /// both (see [`RequestOptions::over`]). Cheap: one `Arc` and a clone of
    /// the executor handle.
    ///
    /// ```no_run
    /// # fn demo<X: elastik_base::Executor>(client: &elastik_api::Client<X>) {
    /// use std::time::Duration;
    /// use elastik_base::RequestOptions;
    ///
    /// let tolerant = client.with_options(
    ///     RequestOptions::new().timeout(Duration::from_secs(5)).opaque_id("nightly-job").ignore_status([404]),
    /// );
    /// # }
    /// ```
    pub fn with_options(&self, options: RequestOptions) -> Self {
        Client { executor: self.executor.clone(), defaults: Arc::new(options.over(&self.defaults)) }
    }

    /// The options every request of this client starts from.
    pub fn default_options(&self) -> &RequestOptions {
        &self.defaults
    }

    /// The runtime's executor.
    pub fn executor(&self) -> &X {
        &self.executor
    }

    /// A request builder for any endpoint value.
    pub fn request<E: Endpoint>(&self, endpoint: E) -> Request<'_, X, E> {
        Request::new(self, endpoint)
    }

    /// Sends an endpoint value and decodes its response.
    pub fn send<E>(&self, endpoint: E) -> X::Output<Result<E::Response, Error>>
    where
        E: Endpoint + Send + 'static,
        E::Response: Send + 'static,
    {
        self.request(endpoint).send()
    }

    /// The raw escape hatch: any method, path (already encoded), query,
    /// headers and body. An error status is an [`Error::Api`], except a
    /// `HEAD` 404 and the statuses the client's default options ignore
    /// ([`RequestOptions::ignore_status`]), which are returned as is.
    pub fn perform_request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: HeaderMap,
        body: Body,
    ) -> X::Output<Result<http::Response<Bytes>, Error>> {
        let mut raw = RawRequest::new(method, path).body(body);
        for (k, v) in query {
            raw.query.push(k, v);
        }
        raw.headers = headers;
        self.send(raw)
    }
}

/// One call being configured: the endpoint value plus per-request options
/// (laid over the client's defaults, see [`Client::with_options`]).
/// Finish with [`Request::send`] (and `.await` on async runtimes).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'a, X, E> {
    client: &'a Client<X>,
    endpoint: E,
    options: RequestOptions,
    /// The body replacing the typed one; a serialization failure is kept
    /// and returned by `send` rather than sending an empty body.
    body: Option<Result<Body, String>>,
}

impl<'a, X: Executor, E: Endpoint> Request<'a, X, E> {
    /// Wraps an endpoint value.
    pub fn new(client: &'a Client<X>, endpoint: E) -> Self {
        Request { client, endpoint, options: RequestOptions::default(), body: None }
    }

    /// The endpoint value.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// Changes the endpoint value.
    pub fn map(mut self, f: impl FnOnce(E) -> E) -> Self {
        self.endpoint = f(self.endpoint);
        self
    }

    /// Replaces the per-request options (the client's defaults still apply
    /// to what these leave unset).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Timeout of each attempt of this request.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(Some(timeout));
        self
    }

    /// Adds a header to this request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.options = self.options.header(name, value);
        self
    }

    /// `X-Opaque-Id` for this request.
    pub fn opaque_id(mut self, id: impl Into<String>) -> Self {
        self.options.opaque_id = Some(id.into());
        self
    }

    /// Credentials for this request.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.options.auth = Some(auth);
        self
    }

    /// Retries for this request.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.options.max_retries = Some(n);
        self
    }

    /// Declares this request safe (or not) to retry after it may have reached the server.
    pub fn retry_safe(mut self, yes: bool) -> Self {
        self.options.retry_safe = Some(yes);
        self
    }

    /// Treats these error statuses as answers, like Python's `ignore=[404]`:
    /// [`Request::send_opt`] returns `Ok(None)` for them, [`Request::send`]
    /// decodes their body when it is the typed answer (a missing document's
    /// `get` or `delete`) and returns the [`Error::Api`] when the body is an
    /// Elasticsearch error (a missing index), [`Request::send_raw`] returns
    /// them as is. See
    /// [`RequestOptions::ignore_status`].
    pub fn ignore_status(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.options.ignore_status = statuses.into_iter().collect();
        self
    }

    /// Sends this body instead of the typed one (escape hatch): it replaces
    /// the whole body, body-field setters called before included.
    pub fn raw_body(mut self, body: Body) -> Self {
        self.body = Some(Ok(body));
        self
    }

    /// Sends any serializable value as the JSON body instead of the typed one.
    /// It replaces the whole body, body-field setters included, whatever
    /// their order (`.size(20).json_body(&q)` sends `q` only); use the
    /// setters, or the endpoint's `.body(…)` followed by setters, to combine.
    /// A value that cannot be serialized makes `send` fail with
    /// [`Error::Build`](elastik_base::Error::Build); nothing is sent.
    pub fn json_body<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.body = Some(Body::json(body).map_err(|e| e.to_string()));
        self
    }

    fn prepare(&self) -> Result<PreparedRequest, Error> {
        let mut request = self.endpoint.to_request()?;
        if let Some(body) = &self.body {
            let body = body.clone().map_err(Error::build)?;
            request.headers_mut().remove(http::header::CONTENT_TYPE);
            *request.body_mut() = body;
        }
        Ok(PreparedRequest { endpoint_id: self.endpoint.id(), request, options: self.effective_options() })
    }

    /// The options this request is sent with: its own over the client's defaults.
    pub fn effective_options(&self) -> RequestOptions {
        self.options.over(&self.client.defaults)
    }
}

/// Marks an ignored error status on the response so the decoders read it as
/// an answer; `true` when it did.
fn mark_ignored(options: &RequestOptions, response: &mut http::Response<Bytes>) -> bool {
    let ignored = response.status().as_u16() >= 400 && options.ignores(response.status());
    if ignored {
        response.extensions_mut().insert(IgnoredStatus);
    }
    ignored
}

/// The typed answer of an ignored status when its body is one, else the
/// [`Error::Api`] it would have been (never a decoding error that hides the
/// kind). An Elasticsearch error body (`{"error": …}`) is never an answer,
/// whatever the status: read as a typed response it would become a plausible
/// value (`acknowledged: false`, `found: false` with an empty id) and the
/// error's kind would be lost.
fn decode_ignored<T>(
    response: &mut http::Response<Bytes>,
    decode: impl FnOnce(&http::Response<Bytes>) -> Result<T, Error>,
) -> Result<T, Error> {
    let error = elastik_base::endpoint::api_error(response);
    if error.as_api().is_some_and(|api| api.cause().is_some()) {
        return Err(error);
    }
    match decode(response) {
        Ok(answer) => Ok(answer),
        Err(Error::Decode(_)) => {
            response.extensions_mut().remove::<IgnoredStatus>();
            Err(elastik_base::endpoint::api_error(response))
        }
        Err(e) => Err(e),
    }
}

impl<X: Executor, E> Request<'_, X, E>
where
    E: Endpoint + Send + 'static,
    E::Response: Send + 'static,
{
    /// Sends the request and decodes the typed response.
    pub fn send(self) -> X::Output<Result<E::Response, Error>> {
        let prepared = match self.prepare() {
            Ok(p) => p,
            Err(e) => return X::ready(Err(e)),
        };
        let endpoint = self.endpoint;
        let options = prepared.options.clone();
        X::map(self.client.executor.execute(prepared), move |result| {
            result.and_then(|mut response| {
                if mark_ignored(&options, &mut response) {
                    decode_ignored(&mut response, |r| endpoint.decode(r))
                } else {
                    endpoint.decode(&response)
                }
            })
        })
    }

    /// Sends the request and decodes the typed response; an error status
    /// listed in [`Request::ignore_status`] (or the client's defaults) is
    /// `Ok(None)` instead of an error, like Python's `ignore=`. The raw
    /// answer of an ignored status is what [`Request::send_raw`] returns.
    pub fn send_opt(self) -> X::Output<Result<Option<E::Response>, Error>> {
        let prepared = match self.prepare() {
            Ok(p) => p,
            Err(e) => return X::ready(Err(e)),
        };
        let endpoint = self.endpoint;
        let options = prepared.options.clone();
        X::map(self.client.executor.execute(prepared), move |result| {
            result.and_then(|response| {
                if response.status().as_u16() >= 400 && options.ignores(response.status()) {
                    Ok(None)
                } else {
                    endpoint.decode(&response).map(Some)
                }
            })
        })
    }

    /// Sends the request and decodes the answer as `T` rather than the
    /// endpoint's response type: `SearchResponse<MyDoc>` for typed hits,
    /// `GetResponse<MyDoc>` for a typed `_source`, or any `Deserialize`
    /// type. A status of 400 or more is [`Error::Api`](elastik_base::Error::Api).
    pub fn send_as<T>(self) -> X::Output<Result<T, Error>>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        match self.prepare() {
            Ok(p) => {
                let options = p.options.clone();
                X::map(self.client.executor.execute(p), move |result| {
                    result.and_then(|mut response| {
                        if mark_ignored(&options, &mut response) {
                            decode_ignored(&mut response, elastik_base::endpoint::decode_json::<T>)
                        } else {
                            elastik_base::endpoint::decode_json::<T>(&response)
                        }
                    })
                })
            }
            Err(e) => X::ready(Err(e)),
        }
    }

    /// Sends the request and returns the raw response, whatever its status.
    pub fn send_raw(self) -> X::Output<Result<http::Response<Bytes>, Error>> {
        match self.prepare() {
            Ok(p) => self.client.executor.execute(p),
            Err(e) => X::ready(Err(e)),
        }
    }
}
