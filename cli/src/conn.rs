//! The connection flags, mapped one to one onto `ClientBuilder` methods.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use elastik::tokio::{Client, TlsConfig};

use crate::{CliError, CliResult};

/// How to reach the cluster. Not `Debug`: it holds credentials.
#[derive(Args)]
#[command(next_help_heading = "Connection (every subcommand)")]
pub struct Connection {
    /// Elasticsearch URL(s), comma-separated [default: http://localhost:9200]
    #[arg(long, env = "ELASTICSEARCH_URL", global = true, value_name = "URL")]
    pub url: Option<String>,
    /// API key: the encoded form, or `id:key`
    #[arg(long, env = "ELASTIC_API_KEY", hide_env_values = true, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// User name for basic authentication
    #[arg(long, env = "ELASTIC_USER", global = true, value_name = "USER")]
    pub user: Option<String>,
    /// Password for basic authentication
    #[arg(long, env = "ELASTIC_PASSWORD", hide_env_values = true, global = true, value_name = "PASSWORD")]
    pub password: Option<String>,
    /// PEM file of CA certificates to trust (in addition to the bundled roots)
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Accept exactly the server certificate with this SHA-256 fingerprint (hex)
    #[arg(long, global = true, value_name = "HEX")]
    pub fingerprint: Option<String>,
    /// DANGER: do not verify TLS certificates (anyone in the middle can read and change the traffic)
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Elastic Cloud ID (instead of --url)
    #[arg(long, env = "ELASTIC_CLOUD_ID", global = true, value_name = "ID")]
    pub cloud_id: Option<String>,
    /// Timeout of one request attempt, in seconds
    #[arg(long, global = true, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
    /// How long one request keeps being retried (connection errors, 429, 502-504), in seconds
    #[arg(long, global = true, default_value_t = 120, value_name = "SECS")]
    pub retry_time: u64,
}

/// The settings of one cluster, borrowed from flags (the source or the destination of a copy).
pub struct Target<'a> {
    pub url: Option<&'a str>,
    pub api_key: Option<&'a str>,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    pub ca_cert: Option<&'a PathBuf>,
    pub fingerprint: Option<&'a str>,
    pub insecure: bool,
    pub cloud_id: Option<&'a str>,
    pub timeout: u64,
    pub retry_time: u64,
}

impl Connection {
    /// The settings as a [`Target`].
    pub fn target(&self) -> Target<'_> {
        Target {
            url: self.url.as_deref(),
            api_key: self.api_key.as_deref(),
            user: self.user.as_deref(),
            password: self.password.as_deref(),
            ca_cert: self.ca_cert.as_ref(),
            fingerprint: self.fingerprint.as_deref(),
            insecure: self.insecure,
            cloud_id: self.cloud_id.as_deref(),
            timeout: self.timeout,
            retry_time: self.retry_time,
        }
    }

    /// A client for these flags.
    pub fn client(&self) -> CliResult<Client> {
        self.target().client()
    }
}

impl Target<'_> {
    /// Builds the client. Errors never hold the credentials.
    pub fn client(&self) -> CliResult<Client> {
        let mut builder = Client::builder()
            .user_agent(format!("elastik-cli/{}", env!("CARGO_PKG_VERSION")))
            .request_timeout(Some(Duration::from_secs(self.timeout.max(1))))
            .retry_budget(Duration::from_secs(self.retry_time));
        builder = match (self.cloud_id, self.url) {
            (Some(_), Some(_)) => return Err(CliError::with_code(2, "give --url or --cloud-id, not both")),
            (Some(id), None) => builder.cloud_id(id),
            (None, url) => {
                let urls: Vec<&str> = url
                    .unwrap_or("http://localhost:9200")
                    .split(',')
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .collect();
                builder.nodes(urls)
            }
        };
        builder = match (self.api_key, self.user, self.password) {
            (Some(_), Some(_), _) => return Err(CliError::with_code(2, "give --api-key or --user, not both")),
            (Some(key), None, _) => match key.split_once(':') {
                Some((id, secret)) => builder.api_key(id, secret),
                None => builder.api_key_encoded(key),
            },
            (None, Some(user), password) => builder.basic_auth(user, password.unwrap_or("")),
            (None, None, Some(_)) => return Err(CliError::with_code(2, "--password needs --user")),
            (None, None, None) => builder,
        };
        let mut tls = TlsConfig::default();
        if let Some(path) = self.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| CliError::new(format!("cannot read the CA certificate {}: {e}", path.display())))?;
            tls.ca_pem = Some(pem);
        }
        if self.insecure {
            eprintln!("elastik: WARNING: --insecure: TLS certificates are NOT verified");
            tls.danger_accept_invalid_certs = true;
        }
        builder = builder.tls(tls);
        if let Some(hex) = self.fingerprint {
            builder = builder.ssl_assert_fingerprint(hex);
        }
        builder.build().map_err(CliError::from)
    }
}
