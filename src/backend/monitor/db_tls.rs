//! TLS between the database monitor and PostgreSQL (`sslmode` `require` or
//! `verify-full`), on rustls, over whatever stream reaches the database (an SSH forward
//! or a direct TCP connection).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

use crate::connection::remote::{AnyStream, Stream};
use crate::connection::tls::{self, Verify};
use pilothouse_core::config::SslMode;

/// The connected client and the task that drives its connection.
pub type Connected = (tokio_postgres::Client, tokio::task::JoinHandle<()>);

/// Connects over TLS; the task drives the connection.
pub async fn connect(
    mut config: tokio_postgres::Config,
    stream: AnyStream,
    host: String,
    mode: SslMode,
    ca_file: Option<std::path::PathBuf>,
) -> Result<Connected, String> {
    let verify = match mode {
        SslMode::VerifyFull => Verify::Full,
        _ => Verify::None,
    };
    let connector = Connector {
        config: tls::client_config(verify, ca_file.as_deref())?,
        name: tls::server_name(&host)?,
    };
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let (client, connection) = config
        .connect_raw(stream, connector)
        .await
        .map_err(|e| {
            let text = crate::monitor::db_error::db_error(&e);
            let hint = if text.contains("UnknownIssuer") {
                "; the certificate is not signed by a CA this machine trusts: set ca_file to the database's CA certificate"
            } else if text.contains("NotValidForName") {
                "; the certificate does not name the host in the URL"
            } else if text.contains("Expired") {
                "; the server's certificate has expired"
            } else {
                ""
            };
            format!("TLS ({}): {text}{hint}", label(mode))
        })?;
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, task))
}

fn label(mode: SslMode) -> &'static str {
    match mode {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        SslMode::VerifyFull => "verify-full",
    }
}

struct Connector {
    config: std::sync::Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
}

impl<S: Stream + 'static> TlsConnect<S> for Connector {
    type Stream = TlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(self.config);
        Box::pin(async move {
            connector
                .connect(self.name, stream)
                .await
                .map(|s| TlsStream(Box::new(s)))
        })
    }
}

/// The TLS stream tokio-postgres talks through. No channel binding is offered, so
/// SCRAM authenticates without it (as libpq does with `channel_binding=prefer` when the
/// server certificate's hash cannot be offered).
pub struct TlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: Stream> tokio_postgres::tls::TlsStream for TlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl<S: Stream> AsyncRead for TlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl<S: Stream> AsyncWrite for TlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}
