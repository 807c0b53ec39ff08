//! A raw HTTP/1.1 connection to the Engine API, for the calls bollard cannot make: a BuildKit build
//! with a session of Shipshape's own (`POST /build?version=2&session=ID`, whose JSON stream is read
//! by the caller, and `POST /session`, upgraded to h2c for the session's gRPC services), and the
//! build cache's records (`GET /system/df`, whose shape changed in API 1.52).
//!
//! What must hold: it reaches the same daemon as the bollard client (DOCKER_HOST, else the default
//! socket) and speaks the API version bollard negotiated. Unix sockets and plain TCP only: for any
//! other DOCKER_HOST (TLS, ssh) [`Endpoint::parse`] says so and the caller uses the legacy builder.
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// Where the daemon listens.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

/// Any stream to the daemon.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

impl Endpoint {
    /// The daemon at `host` (DOCKER_HOST syntax), when this client can reach it.
    pub(crate) fn parse(host: &str) -> Result<Endpoint, String> {
        if let Some(path) = host.strip_prefix("unix://") {
            return Ok(Endpoint::Unix(path.into()));
        }
        let tls = std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty());
        match host.strip_prefix("tcp://").or_else(|| host.strip_prefix("http://")) {
            Some(address) if !tls => Ok(Endpoint::Tcp(address.trim_end_matches('/').to_string())),
            _ => Err(format!("BuildKit builds reach the daemon over a unix socket or plain TCP, not DOCKER_HOST={host}")),
        }
    }

    async fn connect(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(match self {
            Endpoint::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
            Endpoint::Tcp(address) => Box::new(tokio::net::TcpStream::connect(address).await?),
        })
    }

    /// Sends one request on a connection of its own; the connection lives as long as the
    /// response (and an upgrade of it) is in use.
    pub(crate) async fn send(&self, request: Request<Full<Bytes>>) -> Result<Response<Incoming>, String> {
        let stream = self.connect().await.map_err(|e| format!("cannot connect to the daemon: {e}"))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("the daemon did not answer: {e}"))?;
        tokio::spawn(connection.with_upgrades());
        sender.send_request(request).await.map_err(|e| format!("the daemon did not answer: {e}"))
    }
}

/// A request to the API at `version` (`1.45`): `POST /v1.45{path_and_query}`.
pub(crate) fn post(version: &str, path_and_query: &str) -> hyper::http::request::Builder {
    Request::post(format!("http://docker/v{version}{path_and_query}")).header("Host", "docker")
}

/// A GET request to the API at `version`.
pub(crate) fn get(version: &str, path_and_query: &str) -> hyper::http::request::Builder {
    Request::get(format!("http://docker/v{version}{path_and_query}")).header("Host", "docker")
}

/// The whole body of a successful response, parsed as JSON.
pub(crate) async fn json<T: serde::de::DeserializeOwned>(response: Response<Incoming>) -> Result<T, String> {
    if !response.status().is_success() {
        return Err(error_message(response).await);
    }
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// The body of an error response (`{"message":"..."}`), as the daemon's own words.
pub(crate) async fn error_message(response: Response<Incoming>) -> String {
    let status = response.status();
    let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Message {
        message: String,
    }
    match serde_json::from_slice::<Message>(&body) {
        Ok(m) => m.message,
        Err(_) => format!("HTTP {status}: {}", String::from_utf8_lossy(&body).trim()),
    }
}
