//! The BuildKit session of one build: the gRPC services the daemon calls back while it builds,
//! served by Shipshape over the daemon's `/session` endpoint (HTTP upgraded to h2c).
//!
//! Why a session of our own: bollard's session for the daemon's BuildKit offers registry
//! credentials only, and a `RUN --mount=type=secret` needs the secrets service. This one serves
//! health (the daemon drops a session that does not answer it) and secrets, from the generated
//! servers of `bollard-buildkit-proto` and `tonic-health`.
//!
//! What must hold: a secret is served only to this build's session and only by the id the spec
//! gave it; an unknown id is `NotFound`, which BuildKit treats as "no such secret" (a mount that is
//! not `required` is then skipped). The session ends when the [`Session`] is dropped.
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::{Secrets, SecretsServer};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bytes::Bytes;
use http_body_util::Full;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

use crate::docker::http::{self, Endpoint};

/// Build secrets by id, their values already read.
pub(crate) type SecretValues = BTreeMap<String, Vec<u8>>;

/// A live session; dropping it ends the session.
pub(super) struct Session {
    pub id: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Session {
    /// Opens a session on the daemon offering health and `secrets`.
    pub(super) async fn open(endpoint: &Endpoint, api_version: &str, secrets: SecretValues) -> Result<Session, String> {
        let id = new_session_id();
        let secrets_method = format!("/{}/GetSecret", SecretsServer::<SecretStore>::NAME);
        let request = http::post(api_version, "/session")
            .header("Connection", "Upgrade")
            .header("Upgrade", "h2c")
            .header("X-Docker-Expose-Session-Uuid", &id)
            .header("X-Docker-Expose-Session-Name", "shipshape")
            .header("X-Docker-Expose-Session-Sharedkey", "")
            .header("X-Docker-Expose-Session-Grpc-Method", secrets_method)
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let response = endpoint.send(request).await?;
        if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
            return Err(format!("the daemon refused a BuildKit session: {}", http::error_message(response).await));
        }
        let upgraded = hyper::upgrade::on(response).await.map_err(|e| format!("the BuildKit session did not start: {e}"))?;
        let server = tokio::spawn(serve(Connection(TokioIo::new(upgraded)), SecretStore(secrets)));
        Ok(Session { id, server })
    }
}

async fn serve(connection: Connection, secrets: SecretStore) {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let incoming = tokio_stream::once(Ok::<_, std::io::Error>(connection));
    // The daemon closes the connection when the build ends; an error then is no news.
    let _ = tonic::transport::Server::builder().add_service(health).add_service(SecretsServer::new(secrets)).serve_with_incoming(incoming).await;
}

/// Unique enough for the daemon's session table: this process, a counter, the time.
fn new_session_id() -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("shipshape{}x{}x{nanos}", std::process::id(), MADE.fetch_add(1, Ordering::Relaxed))
}

struct SecretStore(SecretValues);

#[tonic::async_trait]
impl Secrets for SecretStore {
    async fn get_secret(&self, request: Request<GetSecretRequest>) -> Result<Response<GetSecretResponse>, Status> {
        let id = &request.get_ref().id;
        match self.0.get(id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            None => Err(Status::not_found(format!("no build secret `{id}` in this exercise"))),
        }
    }
}

/// The upgraded connection, as tonic's server takes it.
struct Connection(TokioIo<Upgraded>);

impl tonic::transport::server::Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
