//! The Certificates & secrets blade on the real binary in a pseudo-terminal against
//! `--sandbox`: make a self-signed certificate (files 0600; the private key never on the
//! screen, in scrollback or in the log), upload a certificate file, delete one, add a GitHub
//! federated credential with its subject shown live, and a policy's disabled choices.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

mod pty_support;
use pty_support::Pty;

const ESC: &str = "\x1b";
const TAB: &str = "\t";
const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";

#[test]
fn the_blade_from_the_keyboard() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    // A certificate file to upload, made beforehand.
    let now = chrono::Utc::now();
    let upload = azsecrets::certs::self_signed(
        "pty-upload.example",
        now - chrono::Duration::days(1),
        now + chrono::Duration::days(300),
        azsecrets::certs::KeyAlgorithm::P256,
    )
    .unwrap();
    std::fs::write(path.join("upload.pem"), &upload.cert_pem).unwrap();
    let mut cmd = pty_support::azsecrets(&path);
    cmd.args(["--sandbox", "--clipboard", "none"]);
    let mut t = Pty::spawn(cmd, dir, 120, 40, 5000);
    t.wait_for("Press / to filter");
    t.wait_for("Sandra Box");
    t.send("/");
    t.send("contoso-signing");
    t.wait_for("1 of");
    t.send(ENTER);
    t.wait_for("[Client secrets (");
    t.send("1");
    t.wait_for("[Certificates (3)]");
    t.wait_for("u upload");

    // A new self-signed certificate: P-256, default paths in the working folder.
    t.send("n");
    t.wait_for("New self-signed certificate");
    t.wait_for("CN=contoso-signing-service");
    t.send(TAB);
    t.send(DOWN);
    t.wait_for("(•) ECDSA P-256");
    // Private key, Certificate, Key Vault (left empty: files only), Description, Create.
    for _ in 0..5 {
        t.send(TAB);
    }
    t.send(ENTER);
    t.wait_for("Added certificate");
    t.wait_for("[Certificates (4)]");
    let key_file = path.join("contoso-signing-service.key.pem");
    let crt_file = path.join("contoso-signing-service.crt.pem");
    for f in [&key_file, &crt_file] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    let key_lines: Vec<String> = key_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect();
    assert!(!key_lines.is_empty());

    // Upload a file: what it says shows before anything is sent.
    t.send("u");
    t.wait_for("Upload certificate");
    t.send("upload.pem");
    t.send(ENTER);
    t.wait_for("SHA-256");
    t.wait_for(&upload.info.thumbprint());
    t.wait_for("EC P-256 (256 bits)");
    t.send("pty upload");
    t.send(TAB);
    t.send(ENTER);
    t.wait_for("Uploaded certificate");
    t.wait_for("[Certificates (5)]");
    t.wait_for("pty upload");

    // Delete the first: the confirmation starts on Cancel.
    t.send("g");
    t.send("d");
    t.wait_for("Delete certificate?");
    t.wait_for("other certificate is kept");
    t.send(TAB);
    t.send(ENTER);
    t.wait_for("Deleted certificate");
    t.wait_for("[Certificates (4)]");

    // A GitHub Actions federated credential; the subject shows as it is typed.
    t.send("3");
    t.wait_for("[Federated credentials (0)]");
    t.send("n");
    t.wait_for("Add a federated credential");
    t.send(TAB);
    t.send("contoso/pty");
    t.send(TAB);
    t.send(TAB);
    t.send("release");
    t.wait_for("repo:contoso/pty:ref:refs/heads/release");
    t.send(TAB);
    t.send(TAB);
    t.send(TAB);
    t.send(ENTER);
    t.wait_for("Added federated credential");
    t.wait_for("[Federated credentials (1)]");
    t.send(ENTER);
    t.wait_for("Federated credential — contoso-signing-service");
    t.wait_for("https://token.actions.githubusercontent.com");
    t.send(ESC);

    // A 90-day policy: longer choices are disabled with the policy's id.
    t.send(ESC);
    t.wait_for("Filter: contoso-signing");
    t.send(ESC);
    t.wait_for("Press / to filter");
    t.send("/");
    t.send("finance-ledger");
    t.wait_for("1 of");
    t.send(ENTER);
    t.wait_for("[Client secrets (");
    t.send("n");
    t.wait_for("Add a client secret");
    t.wait_for("(unavailable)");
    let s = t.wait_for("bb8b7902-65a2-5a37-bc5d-b80cd90c71f3");
    assert!(s.contains("(•) 90 days (3 months)"), "{s}");
    t.send(ESC);
    t.send(ESC);
    t.send("q");
    t.wait_exit();

    // The private key never reached the screen, its scrollback, or the log.
    t.pump();
    let mut seen = String::new();
    for back in (0..5000).step_by(30) {
        t.parser.screen_mut().set_scrollback(back);
        seen.push_str(&t.parser.screen().contents());
    }
    let log = std::fs::read_to_string(t.dir.path().join("azsecrets.log")).unwrap_or_default();
    for line in &key_lines {
        assert!(
            !seen.contains(line.as_str()),
            "a key line reached the terminal"
        );
        assert!(!log.contains(line.as_str()), "a key line reached the log");
    }
    assert!(!log.contains("PRIVATE KEY"));
}
