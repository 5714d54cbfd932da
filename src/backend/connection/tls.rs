//! TLS for health endpoints and the database (rustls, ring): client configs that verify
//! against the system's roots or a given CA file, or (database `sslmode = "require"`)
//! encrypt without checking; and what a peer certificate says about its expiry.

use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Against the CA file if one is given, else the system's roots; host name included.
    Full,
    /// Not at all (encryption only), like libpq's `sslmode=require`.
    None,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client config for `verify`, trusting `ca_file` (PEM) when given.
pub fn client_config(verify: Verify, ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let config = match verify {
        Verify::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify))
            .with_no_client_auth(),
        Verify::Full => {
            let mut roots = RootCertStore::empty();
            match ca_file {
                Some(path) => {
                    let certs = CertificateDer::pem_file_iter(path)
                        .map_err(|e| format!("CA file {}: {e}", path.display()))?
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| format!("CA file {}: {e}", path.display()))?;
                    if certs.is_empty() {
                        return Err(format!("CA file {}: no certificate in it", path.display()));
                    }
                    for c in certs {
                        roots
                            .add(c)
                            .map_err(|e| format!("CA file {}: {e}", path.display()))?;
                    }
                }
                None => {
                    for c in rustls_native_certs::load_native_certs().certs {
                        let _ = roots.add(c);
                    }
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// A server name for SNI and verification.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host:?} is not a valid TLS server name"))
}

use pilothouse_core::model::health::CertInfo;

/// Reads the expiry and names of a DER certificate.
pub fn cert_info(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let name = |n: &x509_parser::x509::X509Name| {
        let cn = n
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok().map(str::to_string));
        let org = n
            .iter_organization()
            .next()
            .and_then(|a| a.as_str().ok().map(str::to_string));
        pilothouse_core::text::clean(&cn.or(org).unwrap_or_else(|| n.to_string()), 80)
    };
    Some(CertInfo {
        not_after: cert.validity().not_after.timestamp(),
        issuer: name(cert.issuer()),
        subject: name(cert.subject()),
    })
}

/// Accepts any certificate: `sslmode = "require"` encrypts but does not authenticate.
/// Signatures are still checked, so the handshake is a real one.
#[derive(Debug)]
struct NoVerify;

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
