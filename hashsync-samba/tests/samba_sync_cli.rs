//! `samba_sync`'s command-line contract, without a DC: help, bad flags,
//! an unreachable source (a typed one-line error naming the server and
//! the operation, exit 1, nothing written to the state directory), and the
//! managed domain's certificate and key (both or neither; a file that is
//! no certificate, or a key of another certificate, is exit 1).

use std::process::{Command, Output};

#[path = "lab/example.rs"]
mod example;

use hashsync_samba::ldapi_url;

fn run(args: &[&str]) -> Output {
    Command::new(example::samba_sync(false))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_exits_zero_and_names_every_flag() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--source",
        "--source-credentials",
        "drs://",
        "--target",
        "--state",
        "--force-full-sync",
        "--crash-after-batches",
        "--events",
        "--managed-domain-cert",
        "--managed-domain-key",
    ] {
        assert!(text.contains(flag), "{flag} in --help");
    }
}

#[test]
fn bad_flags_exit_two_with_one_line() {
    let urls = [
        "--source",
        "ldapi://x",
        "--target",
        "ldapi://y",
        "--state",
        "/tmp/x",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        urls.iter().chain(extra).copied().collect()
    };
    for args in [
        vec!["--bogus"],
        urls[2..].to_vec(),
        with(&["--crash-after-batches", "0"]),
        with(&["--crash-after-batches", "many"]),
        with(&["--managed-domain-cert", "/tmp/cert.pem"]),
        with(&["--managed-domain-key", "/tmp/key.pem"]),
        // A replication source needs its credentials; LDAP takes none.
        vec![
            "--source",
            "drs://127.0.0.1",
            "--target",
            "ldapi://y",
            "--state",
            "/tmp/x",
        ],
        with(&["--source-credentials", "/tmp/credentials"]),
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn a_credentials_file_others_can_read_is_refused_before_any_server() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("samba-sync-cli-creds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.join("credentials");
    std::fs::write(&credentials, "ONPREM\\svc\nSecret-Passw0rd\n").unwrap();
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o644)).unwrap();
    let state = dir.join("state");
    // Nothing listens at port 9: with a 0644 file, the refusal comes first.
    let sync = || {
        run(&[
            "--source",
            "drs://127.0.0.1:9",
            "--source-credentials",
            credentials.to_str().unwrap(),
            "--target",
            "ldapi://y",
            "--state",
            state.to_str().unwrap(),
        ])
    };
    let output = sync();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--source-credentials"), "{stderr}");
    assert!(stderr.contains("644"), "names the mode: {stderr}");
    assert!(!stderr.contains("Secret-Passw0rd"));
    // At 0600 it is read, and the unreachable DC is the error (exit 1).
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = sync();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
    assert!(!stderr.contains("Secret-Passw0rd"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unreachable_source_is_exit_one_naming_server_and_operation() {
    let dir = std::env::temp_dir().join(format!("samba-sync-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("no such dc/ldapi");
    let state = dir.join("state");
    let url = ldapi_url(&socket);
    let output = run(&[
        "--source",
        &url,
        "--target",
        &url,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{stderr}");
    assert!(line.contains(&socket.display().to_string()), "{line}");
    assert!(line.contains("rootDSE read"), "{line}");
    assert!(output.stdout.is_empty(), "no summary on an error");
    assert!(!state.exists(), "nothing saved before the source answered");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The repository's envelope test data (tests/data/envelope/README.md).
fn envelope_data(name: &str) -> String {
    format!(
        "{}/../tests/data/envelope/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn a_bad_managed_domain_certificate_or_key_is_exit_one_before_any_server() {
    let dir = std::env::temp_dir().join(format!("samba-sync-cert-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let not_a_certificate = dir.join("not-a-cert.pem");
    std::fs::write(
        &not_a_certificate,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = dir.join("missing.pem");
    let state = dir.join("state");
    let url = ldapi_url(dir.join("no such dc/ldapi"));
    let (cert, key) = (
        envelope_data("managed_domain_cert.pem"),
        envelope_data("managed_domain_key.pem"),
    );
    let other_key = envelope_data("other_domain_key.pem");
    let cases: [(&str, &str, &str); 3] = [
        (
            not_a_certificate.to_str().unwrap(),
            &key,
            "managed-domain certificate",
        ),
        (missing.to_str().unwrap(), &key, "read"),
        (&cert, &other_key, "managed-domain key"),
    ];
    for (cert, key, says) in cases {
        let output = run(&[
            "--source",
            &url,
            "--target",
            &url,
            "--state",
            state.to_str().unwrap(),
            "--managed-domain-cert",
            cert,
            "--managed-domain-key",
            key,
        ]);
        assert_eq!(output.status.code(), Some(1), "{cert} {key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "{stderr}");
        assert!(line.contains(says), "{line}");
        assert!(
            !line.contains("rootDSE"),
            "refused before any server: {line}"
        );
        assert!(output.stdout.is_empty(), "no summary on an error");
        assert!(!state.exists(), "nothing saved");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
