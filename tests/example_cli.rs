//! What every example owes its callers as a command-line tool: `--help`
//! exits 0 and names the flags; bad values are a one-line error and exit
//! code 2; empty input is "no input"; files that hold secrets are private.

mod example_binary;

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use example_binary::example;

/// Every example, with flags its `--help` must name.
const EXAMPLES: [(&str, &[&str]); 5] = [
    (
        "derive",
        &[
            "--salt",
            "--salt-hex",
            "--realm",
            "--sam",
            "--upn",
            "--uac",
            "--dns-domain",
            "--password-hex",
            "--password-utf16le-hex",
            "--nt-hash",
            "--iterations",
            "--org-id-salt",
            "--org-id-iterations",
        ],
    ),
    ("inspect", &["--help"]),
    (
        "keytab",
        &[
            "--principal",
            "--out",
            "--kvno",
            "--etypes",
            "--timestamp",
            "--salt",
            "--realm",
            "--sam",
            "--nt-hash",
        ],
    ),
    (
        "force_full_sync",
        &[
            "--config",
            "--directory",
            "--synthetic",
            "--out",
            "--null-transport",
            "--events",
            "--fail-rate",
            "--no-retry-rate",
            "--seed",
            "--crash-after-batches",
        ],
    ),
    (
        "diagnose",
        &[
            "--directory",
            "--fail-rate",
            "--no-retry-rate",
            "--seed",
            "--staging-mode",
            "--object",
            "--sync-object",
            "--json",
        ],
    ),
];

fn run(name: &str, args: &[&OsStr], stdin: &[u8]) -> Output {
    let mut child = Command::new(example(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The example may exit before it reads stdin.
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    child.wait_with_output().unwrap()
}

fn run_str(name: &str, args: &[&str], stdin: &[u8]) -> Output {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    run(name, &args, stdin)
}

/// Asserts exit code `code` with exactly one line on stderr containing
/// `needle`, and nothing on stdout.
fn assert_one_line_error(out: &Output, code: i32, needle: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr:?}");
    assert!(
        stderr.contains(needle),
        "{what}: {stderr:?} lacks {needle:?}"
    );
    assert!(out.stdout.is_empty(), "{what}: stdout {:?}", out.stdout);
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hashsync-example-cli-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_exits_0_and_names_every_flag() {
    for (name, flags) in EXAMPLES {
        for help in ["--help", "-h"] {
            let out = run_str(name, &[help], b"");
            assert_eq!(out.status.code(), Some(0), "{name} {help}");
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.starts_with("usage: "), "{name}: {text}");
            for flag in flags {
                assert!(text.contains(flag), "{name} --help does not name {flag}");
            }
        }
    }
}

#[test]
fn a_non_utf8_argument_is_a_one_line_error() {
    let bad = OsStr::from_bytes(b"\xff\xfe");
    for (name, _) in EXAMPLES {
        let out = run(name, &[bad], b"");
        assert_one_line_error(&out, 2, "not valid UTF-8", name);
    }
    // As a flag's value too.
    let out = run("derive", &[OsStr::new("--salt"), bad], b"pw");
    assert_one_line_error(&out, 2, "--salt", "derive --salt <non-UTF-8>");
}

#[test]
fn unknown_and_repeated_flags_are_refused() {
    for (name, _) in EXAMPLES {
        let out = run_str(name, &["--no-such-flag"], b"");
        assert_one_line_error(&out, 2, "--no-such-flag", name);
    }
    let out = run_str("derive", &["--salt", "a", "--salt", "b"], b"pw");
    assert_one_line_error(&out, 2, "given twice", "derive --salt twice");
}

#[test]
fn absurd_values_are_refused_with_exit_2() {
    let cases: [(&str, &[&str], &str); 17] = [
        (
            "derive",
            &["--salt", "S", "--iterations", "10000001"],
            "--iterations",
        ),
        (
            "derive",
            &["--salt", "S", "--iterations", "0"],
            "--iterations",
        ),
        (
            "derive",
            &["--salt", "S", "--iterations", "99999999999999999999"],
            "--iterations",
        ),
        (
            "derive",
            &[
                "--nt-hash",
                "00000000000000000000000000000000",
                "--org-id-salt",
                "00000000000000000000",
                "--org-id-iterations",
                "20000000",
            ],
            "--org-id-iterations",
        ),
        ("force_full_sync", &["--fail-rate", "1"], "--fail-rate"),
        ("force_full_sync", &["--fail-rate", "1.5"], "--fail-rate"),
        ("force_full_sync", &["--fail-rate", "NaN"], "--fail-rate"),
        (
            "force_full_sync",
            &["--no-retry-rate", "-0.1"],
            "--no-retry-rate",
        ),
        (
            "force_full_sync",
            &["--fail-rate", "0.6", "--no-retry-rate", "0.6"],
            "add up",
        ),
        (
            "force_full_sync",
            &["--crash-after-batches", "18446744073709551615"],
            "--crash-after-batches",
        ),
        (
            "force_full_sync",
            &["--crash-after-batches", "0"],
            "--crash-after-batches",
        ),
        (
            "force_full_sync",
            &["--synthetic", "18446744073709551615"],
            "--synthetic",
        ),
        (
            "keytab",
            &[
                "--principal",
                "a@R",
                "--out",
                "/dev/null",
                "--etypes",
                "23,23",
                "--nt-hash",
                "00000000000000000000000000000000",
            ],
            "twice",
        ),
        (
            "keytab",
            &[
                "--principal",
                "a@R",
                "--out",
                "/dev/null",
                "--kvno",
                "4294967296",
                "--nt-hash",
                "00000000000000000000000000000000",
                "--etypes",
                "23",
            ],
            "--kvno",
        ),
        ("diagnose", &["--fail-rate", "1.5"], "--fail-rate"),
        ("diagnose", &["--seed", "x"], "--seed"),
        (
            "diagnose",
            &["--object", "a", "--sync-object", "b"],
            "exclude",
        ),
    ];
    for (name, args, needle) in cases {
        let out = run_str(name, args, b"password");
        assert_one_line_error(&out, 2, needle, &format!("{name} {args:?}"));
    }
}

#[test]
fn empty_stdin_is_no_input() {
    let out = run_str("derive", &["--salt", "S"], b"");
    assert_one_line_error(&out, 2, "no input", "derive with empty stdin");
    let dir = scratch("empty-stdin");
    let keytab = dir.join("k.keytab");
    let out = run_str(
        "keytab",
        &[
            "--principal",
            "a@R",
            "--salt",
            "S",
            "--out",
            keytab.to_str().unwrap(),
        ],
        b"",
    );
    assert_one_line_error(&out, 2, "no input", "keytab with empty stdin");
    assert!(!keytab.exists(), "nothing written without a password");
    // inspect's malformed-input code is 1.
    let out = run_str("inspect", &[], b"  \n");
    assert_one_line_error(&out, 1, "no input", "inspect with empty stdin");
    std::fs::remove_dir_all(dir).unwrap();
}

fn mode(path: &PathBuf) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Only `expected` is left in `dir`: no temporary file beside it.
fn assert_only(dir: &PathBuf, expected: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, expected, "files in {}", dir.display());
}

#[test]
fn files_that_hold_secrets_are_private_and_replaced_whole() {
    let dir = scratch("secret-files");
    let keytab = dir.join("user.keytab");
    // An existing world-readable file is replaced, not rewritten in place.
    std::fs::write(&keytab, b"old").unwrap();
    std::fs::set_permissions(&keytab, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_str(
        "keytab",
        &[
            "--principal",
            "JohnDoe@ONPREM.CONTOSO.COM",
            "--realm",
            "ONPREM.CONTOSO.COM",
            "--sam",
            "JohnDoe",
            "--out",
            keytab.to_str().unwrap(),
        ],
        b"Summer2024!",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&keytab), 0o600);
    let bytes = std::fs::read(&keytab).unwrap();
    assert_eq!(&bytes[..2], &[0x05, 0x02], "a keytab, not the old bytes");

    let deliveries = dir.join("deliveries.jsonl");
    let events = dir.join("events.jsonl");
    let out = run_str(
        "force_full_sync",
        &[
            "--synthetic",
            "20",
            "--out",
            deliveries.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&deliveries), 0o600);
    let lines = std::fs::read_to_string(&deliveries).unwrap();
    assert!(lines.lines().count() > 0 && lines.contains("\"nt_hash\""));
    assert_only(&dir, &["deliveries.jsonl", "events.jsonl", "user.keytab"]);
    std::fs::remove_dir_all(dir).unwrap();
}
