//! Tells a webhook how a deploy or rollback ended: one JSON POST from this machine.
//! The URL can carry a token in its path, so it is never shown or logged: errors
//! name the host only.

use std::time::Duration;

use pilothouse_core::config::HttpUrl;

const LIMIT: Duration = Duration::from_secs(5);

/// Posts `body`; the HTTP status when it was 2xx, else why not.
pub async fn notify(url: &HttpUrl, body: &serde_json::Value) -> Result<u16, String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
            .await
            .map_err(|e| format!("connecting to {}:{}: {e}", url.host, url.port))?;
        if url.tls {
            let config =
                crate::connection::tls::client_config(crate::connection::tls::Verify::Full, None)?;
            let name = crate::connection::tls::server_name(&url.host)?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(|e| format!("TLS with {}: {e}", url.host))?;
            crate::connection::http::post_json(tls, &url.host, url.port, &url.path, &bytes).await
        } else {
            crate::connection::http::post_json(stream, &url.host, url.port, &url.path, &bytes).await
        }
    };
    let resp = tokio::time::timeout(LIMIT, exchange)
        .await
        .map_err(|_| format!("{} did not answer within {} s", url.host, LIMIT.as_secs()))??;
    if (200..300).contains(&resp.status) {
        Ok(resp.status)
    } else {
        Err(format!("{} answered HTTP {}", url.host, resp.status))
    }
}
