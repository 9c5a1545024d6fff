//! Certificates on this machine: read a public certificate (DER or PEM, a chain allowed) for
//! upload, refuse anything that holds a private key, compute what Graph shows of it (SHA-1
//! thumbprint = `customKeyIdentifier`, the subject in Graph's `displayName` style), and make a
//! new self-signed certificate (RSA 2048 or P-256) whose private key only ever lives in a wiped
//! buffer on its way to a file the user chose.
//!
//! Knows no terminal and no Graph: both front-ends and the client call it.

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Months, TimeZone, Utc};
use secrecy::zeroize::Zeroizing;
use sha1::Digest;

/// No certificate file is anywhere near this; a bigger file is a mistake (a disk image).
pub const MAX_FILE: u64 = 1024 * 1024;

/// Graph's limit on a certificate credential's span: one year from its start (research 14
/// §1.4: "The endDateTime can be a maximum of one year from the startDateTime").
pub fn max_credential_end(start: DateTime<Utc>) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(12))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Why a file cannot be uploaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// A private key is in the file: it must never be uploaded or shared.
    #[error(
        "the file contains a private key ({what}); a private key must never be uploaded or shared: export only the public certificate (.cer, .crt or .pem)"
    )]
    PrivateKey { what: String },
    /// A PKCS#12 / PFX bundle (it carries the private key).
    #[error(
        "the file is a PKCS#12/PFX bundle, which carries the private key; export only the public certificate (.cer, .crt or .pem)"
    )]
    Pkcs12,
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} KiB; a certificate is a few KiB", MAX_FILE / 1024)]
    TooLarge,
    #[error("the file holds no certificate: {0}")]
    NotACertificate(String),
    #[error("could not read the file: {0}")]
    Read(String),
    #[error("could not make the certificate: {0}")]
    Generate(String),
}

/// The key inside a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    Ec { curve: String, bits: usize },
    Other(String),
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits} bits"),
            KeyKind::Ec { curve, bits } => write!(f, "EC {curve} ({bits} bits)"),
            KeyKind::Other(s) => write!(f, "{s}"),
        }
    }
}

/// What a certificate says about itself, as the upload dialog shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The DER, exactly as read.
    pub der: Vec<u8>,
    /// Graph's style: most specific first, `S=` for the state (`CN=app, O=Contoso, C=US`).
    pub subject: String,
    pub issuer: String,
    pub sha1: [u8; 20],
    pub sha256: [u8; 32],
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key: KeyKind,
}

impl CertInfo {
    /// The SHA-1 thumbprint as Graph stores it in `customKeyIdentifier`: 40 uppercase hex.
    pub fn thumbprint(&self) -> String {
        hex(&self.sha1)
    }

    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    /// The `key` Graph takes: standard base64 (not base64url) of the DER.
    pub fn key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.der)
    }

    pub fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }

    /// The credential's dates for an upload at `now`: from the later of now and the
    /// certificate's start, to the earlier of its end and Graph's one-year cap. `None` when
    /// the certificate has expired (or ends before it starts).
    pub fn credential_window(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let start = now.max(self.not_before);
        let end = self.not_after.min(max_credential_end(start));
        (end > start).then_some((start, end))
    }
}

/// A file's certificates: the first is the one uploaded, the rest its chain (shown only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub leaf: CertInfo,
    pub chain: Vec<CertInfo>,
}

/// 40 or 64 uppercase hex characters.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Read a certificate file for upload. A `.pfx`/`.p12` is refused by name before it is read;
/// then the contents decide.
pub fn read_file(path: &Path) -> Result<Parsed, CertError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if matches!(ext.as_deref(), Some("pfx" | "p12")) {
        return Err(CertError::Pkcs12);
    }
    let meta = std::fs::metadata(path).map_err(|e| CertError::Read(e.to_string()))?;
    if !meta.is_file() {
        return Err(CertError::Read("it is not a regular file".into()));
    }
    if meta.len() > MAX_FILE {
        return Err(CertError::TooLarge);
    }
    // Wiped after parsing: a refused file may hold a private key.
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| CertError::Read(e.to_string()))?);
    parse(&bytes)
}

/// Parse DER or PEM bytes: one certificate, or a chain (leaf first). Anything holding a
/// private key or a PKCS#12 bundle is refused, even next to a certificate.
pub fn parse(bytes: &[u8]) -> Result<Parsed, CertError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CertError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE {
        return Err(CertError::TooLarge);
    }
    let ders = if looks_like_pem(bytes) {
        pem_certificates(bytes)?
    } else {
        der_certificates(bytes)?
    };
    let mut infos = ders
        .into_iter()
        .map(|d| info(&d))
        .collect::<Result<Vec<_>, _>>()?;
    if infos.is_empty() {
        return Err(CertError::NotACertificate(
            "no CERTIFICATE block was found".into(),
        ));
    }
    let leaf = infos.remove(0);
    Ok(Parsed { leaf, chain: infos })
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"-----BEGIN ").is_some()
}

/// Every PEM block's label and body; a private key block anywhere refuses the whole file.
fn pem_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let upper = label.to_ascii_uppercase();
        if upper.contains("PRIVATE KEY") {
            return Err(CertError::PrivateKey {
                what: format!("a PEM block \"{label}\""),
            });
        }
        if upper.contains("PKCS12") || upper.contains("PFX") {
            return Err(CertError::Pkcs12);
        }
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            let l = l.trim();
            if l == end {
                closed = true;
                break;
            }
            // Headers of old-style PEM (Proc-Type, DEK-Info): encrypted keys.
            if l.contains(':') {
                continue;
            }
            body.push_str(l);
        }
        if !closed {
            return Err(CertError::NotACertificate(format!(
                "the PEM block \"{label}\" has no END line"
            )));
        }
        if matches!(
            upper.as_str(),
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
        ) {
            let der = base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .map_err(|e| {
                    CertError::NotACertificate(format!("the CERTIFICATE block is not base64: {e}"))
                })?;
            out.push(der);
        }
    }
    Ok(out)
}

/// DER: one or more certificates back to back. A DER private key or PKCS#12 bundle is told
/// apart by its first field: an INTEGER (a version), where a certificate has a SEQUENCE.
fn der_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        match x509_parser::parse_x509_certificate(rest) {
            Ok((after, _)) => {
                let used = rest.len() - after.len();
                out.push(rest[..used].to_vec());
                rest = after;
            }
            Err(e) => {
                if let Some(kind) = key_like(rest) {
                    return Err(kind);
                }
                return Err(CertError::NotACertificate(if out.is_empty() {
                    format!("it is neither PEM nor a DER certificate ({e})")
                } else {
                    "bytes after the certificates are not a certificate".into()
                }));
            }
        }
    }
    Ok(out)
}

/// A DER SEQUENCE whose first element is an INTEGER: PKCS#12 (version 3) or a private key
/// (PKCS#8 and PKCS#1 version 0, SEC1 version 1).
fn key_like(der: &[u8]) -> Option<CertError> {
    use der_parser::ber::BerObjectContent;
    let (_, obj) = der_parser::der::parse_der(der).ok()?;
    let BerObjectContent::Sequence(items) = &obj.content else {
        return None;
    };
    let first = items.first()?;
    let version = first.as_u32().ok()?;
    match version {
        3 => Some(CertError::Pkcs12),
        0 | 1 => Some(CertError::PrivateKey {
            what: "a DER-encoded private key".into(),
        }),
        _ => None,
    }
}

fn info(der: &[u8]) -> Result<CertInfo, CertError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| CertError::NotACertificate(format!("the certificate cannot be read ({e})")))?;
    let time = |t: i64| {
        Utc.timestamp_opt(t, 0)
            .single()
            .ok_or_else(|| CertError::NotACertificate("its validity dates are out of range".into()))
    };
    let spki = cert.public_key();
    let key = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(r)) => KeyKind::Rsa { bits: r.key_size() },
        Ok(x509_parser::public_key::PublicKey::EC(ec)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| curve_name(&o.to_id_string()))
                .unwrap_or_else(|| "unknown curve".into());
            KeyKind::Ec {
                curve,
                bits: ec.key_size(),
            }
        }
        _ => KeyKind::Other(algorithm_name(&spki.algorithm.algorithm.to_id_string())),
    };
    Ok(CertInfo {
        der: der.to_vec(),
        subject: graph_name(cert.subject()),
        issuer: graph_name(cert.issuer()),
        sha1: sha1::Sha1::digest(der).into(),
        sha256: sha2::Sha256::digest(der).into(),
        not_before: time(cert.validity().not_before.timestamp())?,
        not_after: time(cert.validity().not_after.timestamp())?,
        key,
    })
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        other => other.to_owned(),
    }
}

fn algorithm_name(oid: &str) -> String {
    match oid {
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        "1.2.840.10040.4.1" => "DSA".into(),
        other => format!("key algorithm {other}"),
    }
}

/// A distinguished name as Graph renders a certificate's (the .NET `X500DistinguishedName`
/// style, research 14 §1.1): RDNs in reverse order, `S=` for the state.
pub fn graph_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for rdn in name.iter() {
        for atv in rdn.iter() {
            let oid = atv.attr_type().to_id_string();
            let short = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.7" => "L",
                "2.5.4.8" => "S",
                "2.5.4.6" => "C",
                "2.5.4.9" => "STREET",
                "2.5.4.5" => "SERIALNUMBER",
                "2.5.4.4" => "SN",
                "2.5.4.42" => "G",
                "2.5.4.12" => "T",
                "1.2.840.113549.1.9.1" => "E",
                "0.9.2342.19200300.100.1.25" => "DC",
                _ => "",
            };
            let value = atv
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|_| "#".to_owned() + &hex(atv.attr_value().data));
            let key = if short.is_empty() {
                format!("OID.{oid}")
            } else {
                short.to_owned()
            };
            parts.push(format!("{key}={value}"));
        }
    }
    parts.reverse();
    parts.join(", ")
}

/// The key a new self-signed certificate gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyAlgorithm {
    #[default]
    Rsa2048,
    P256,
}

impl KeyAlgorithm {
    pub const ALL: [KeyAlgorithm; 2] = [KeyAlgorithm::Rsa2048, KeyAlgorithm::P256];

    pub fn label(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "RSA 2048",
            KeyAlgorithm::P256 => "ECDSA P-256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "rsa" | "rsa2048" | "rsa-2048" => Some(KeyAlgorithm::Rsa2048),
            "p256" | "p-256" | "ec" | "ecdsa" => Some(KeyAlgorithm::P256),
            _ => None,
        }
    }
}

/// A new self-signed certificate. The private key is PEM text in a buffer wiped on drop; it
/// has no `Debug` that shows it.
pub struct SelfSigned {
    pub info: CertInfo,
    pub cert_pem: String,
    key_pem: Zeroizing<String>,
}

impl std::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfSigned")
            .field("thumbprint", &self.info.thumbprint())
            .field("key_pem", &"[REDACTED]")
            .finish()
    }
}

impl SelfSigned {
    /// The private key's PEM, for the file writer only.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

/// The subject's common name for an app: its display name without control characters, cut
/// to X.520's 64 characters.
pub fn common_name(app_name: &str) -> String {
    let clean: String = app_name
        .chars()
        .filter(|c| !c.is_control() && !crate::sanitize::is_hostile(*c))
        .collect();
    let clean = clean.trim();
    let cn: String = clean.chars().take(64).collect();
    if cn.is_empty() {
        "azsecrets".to_owned()
    } else {
        cn
    }
}

/// Make a self-signed certificate `CN=<common name>` valid from `not_before` to `not_after`.
pub fn self_signed(
    common_name: &str,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    algorithm: KeyAlgorithm,
) -> Result<SelfSigned, CertError> {
    let gen_err = |e: rcgen::Error| CertError::Generate(e.to_string());
    let key = match algorithm {
        KeyAlgorithm::Rsa2048 => {
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        }
        KeyAlgorithm::P256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
    }
    .map_err(gen_err)?;
    let mut params = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, common_name);
    params.distinguished_name = dn;
    let odt = |t: DateTime<Utc>| {
        time::OffsetDateTime::from_unix_timestamp(t.timestamp())
            .map_err(|e| CertError::Generate(e.to_string()))
    };
    params.not_before = odt(not_before)?;
    params.not_after = odt(not_after)?;
    let mut serial = [0u8; 16];
    rand::fill(&mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).map_err(gen_err)?;
    let der = cert.der().to_vec();
    let info = info(&der)?;
    Ok(SelfSigned {
        info,
        cert_pem: cert.pem(),
        key_pem: Zeroizing::new(key.serialize_pem()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
            .single()
            .expect("valid")
    }

    /// Three P-256 certificates made once (key generation is the slow part).
    fn made() -> &'static [SelfSigned] {
        static MADE: OnceLock<Vec<SelfSigned>> = OnceLock::new();
        MADE.get_or_init(|| {
            ["leaf-app", "intermediate", "root"]
                .iter()
                .map(|cn| {
                    self_signed(
                        cn,
                        now() - Duration::days(1),
                        now() + Duration::days(400),
                        KeyAlgorithm::P256,
                    )
                    .expect("made")
                })
                .collect()
        })
    }

    #[test]
    fn a_self_signed_certificate_reads_back() {
        let c = &made()[0];
        assert_eq!(c.info.subject, "CN=leaf-app");
        assert!(c.info.self_signed());
        assert_eq!(c.info.thumbprint().len(), 40);
        assert_eq!(c.info.sha256_hex().len(), 64);
        assert!(matches!(&c.info.key, KeyKind::Ec { curve, bits: 256 } if curve == "P-256"));
        let p = parse(c.cert_pem.as_bytes()).expect("pem");
        assert_eq!(p.leaf, c.info);
        let p = parse(&c.info.der).expect("der");
        assert_eq!(p.leaf, c.info);
        assert!(c.key_pem().contains("PRIVATE KEY"));
        assert!(!format!("{c:?}").contains("PRIVATE"));
    }

    #[test]
    fn rsa_2048_is_2048_bits() {
        let c = self_signed(
            "rsa-app",
            now(),
            now() + Duration::days(90),
            KeyAlgorithm::Rsa2048,
        )
        .expect("rsa");
        assert_eq!(c.info.key, KeyKind::Rsa { bits: 2048 });
        assert_eq!(c.info.not_after - c.info.not_before, Duration::days(90));
    }

    #[test]
    fn graph_style_names_are_reversed_with_s_for_state() {
        // The recorded sample of research 14 §1.1: C=AU, ST=Some-State, O=Internet Widgits.
        let mut params = rcgen::CertificateParams::default();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CountryName, "AU");
        dn.push(rcgen::DnType::StateOrProvinceName, "Some-State");
        dn.push(rcgen::DnType::OrganizationName, "Internet Widgits Pty Ltd");
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let p = parse(cert.der()).expect("parse");
        assert_eq!(
            p.leaf.subject,
            "O=Internet Widgits Pty Ltd, S=Some-State, C=AU"
        );
    }

    #[test]
    fn credential_window_is_inside_the_certificate_and_a_year() {
        let c = &made()[0].info;
        let (s, e) = c.credential_window(now()).expect("valid");
        assert_eq!(s, now());
        assert_eq!(e, max_credential_end(now()));
        assert!(e <= c.not_after);
        assert_eq!(c.credential_window(c.not_after + Duration::days(1)), None);
    }

    #[test]
    fn pfx_is_refused_by_name_and_by_content() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("bundle.pfx");
        std::fs::write(&p, made()[0].cert_pem.as_bytes()).expect("write");
        assert_eq!(read_file(&p), Err(CertError::Pkcs12));
        // PFX ::= SEQUENCE { version INTEGER (3), ... }
        let pfx = [0x30, 0x08, 0x02, 0x01, 0x03, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert_eq!(parse(&pfx), Err(CertError::Pkcs12));
    }

    #[test]
    fn der_private_keys_are_refused() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let der = Zeroizing::new(key.serialize_der());
        assert!(matches!(parse(&der), Err(CertError::PrivateKey { .. })));
    }

    #[test]
    fn empty_and_garbage() {
        assert_eq!(parse(b"  \n"), Err(CertError::Empty));
        assert!(matches!(
            parse(b"hello world"),
            Err(CertError::NotACertificate(_))
        ));
        assert!(matches!(
            parse(b"-----BEGIN CERTIFICATE-----\nAAAA\n"),
            Err(CertError::NotACertificate(_))
        ));
    }

    #[test]
    fn common_names_are_clean_and_short() {
        assert_eq!(common_name("payments-api"), "payments-api");
        assert_eq!(common_name("a\u{1b}[31mb"), "a[31mb");
        assert_eq!(common_name(&"x".repeat(100)).len(), 64);
        assert_eq!(common_name("\u{7}"), "azsecrets");
    }

    fn pem_of(der: &[u8], label: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut s = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(chunk).expect("ascii"));
            s.push('\n');
        }
        s.push_str(&format!("-----END {label}-----\n"));
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the bytes, parsing answers (never panics), and never says a file that holds
        /// a private-key block is fine.
        #[test]
        fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&bytes);
        }

        /// A chain in any order and any number, PEM or DER back to back: the first is the leaf,
        /// the rest the chain, each read exactly.
        #[test]
        fn chains_read_leaf_first(order in Just(vec![0usize, 1, 2]).prop_shuffle(), n in 1usize..=3, pem in any::<bool>()) {
            let certs: Vec<&SelfSigned> = order.iter().take(n).map(|i| &made()[*i]).collect();
            let bytes: Vec<u8> = if pem {
                certs.iter().map(|c| pem_of(&c.info.der, "CERTIFICATE")).collect::<String>().into_bytes()
            } else {
                certs.iter().flat_map(|c| c.info.der.clone()).collect()
            };
            let p = parse(&bytes).expect("a chain");
            prop_assert_eq!(&p.leaf, &certs[0].info);
            prop_assert_eq!(p.chain.len(), n - 1);
            for (got, want) in p.chain.iter().zip(&certs[1..]) {
                prop_assert_eq!(got, &want.info);
            }
        }

        /// A private key anywhere in a PEM file (before, between or after certificates, any
        /// label spelling of it) refuses the whole file.
        #[test]
        fn a_private_key_anywhere_refuses_the_file(
            at in 0usize..=2,
            label in prop_oneof![
                Just("PRIVATE KEY"), Just("RSA PRIVATE KEY"), Just("EC PRIVATE KEY"),
                Just("ENCRYPTED PRIVATE KEY"), Just("OPENSSH PRIVATE KEY")
            ],
            junk in proptest::collection::vec(any::<u8>(), 1..200),
        ) {
            let mut blocks: Vec<String> = made()[..2].iter().map(|c| pem_of(&c.info.der, "CERTIFICATE")).collect();
            blocks.insert(at, pem_of(&junk, label));
            let r = parse(blocks.concat().as_bytes());
            prop_assert!(matches!(r, Err(CertError::PrivateKey { .. })), "{:?}", r);
        }

        /// Line endings and surrounding text do not change what a PEM certificate says.
        #[test]
        fn pem_survives_crlf_and_prose(crlf in any::<bool>(), prose in "[a-zA-Z .]{0,80}") {
            let c = &made()[1];
            let mut pem = format!("{prose}\n{}", c.cert_pem);
            if crlf {
                pem = pem.replace('\n', "\r\n");
            }
            let p = parse(pem.as_bytes()).expect("pem");
            prop_assert_eq!(p.leaf, c.info.clone());
        }
    }
}
