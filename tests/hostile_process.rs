//! No core dumps: the running binary has a core size limit of 0 and is not dumpable (Linux),
//! read from outside through `/proc/<pid>`, unless `AZSECRETS_ALLOW_CORE_DUMPS=1` opts out.
//! The process under test is `azsecrets sandbox serve` (it runs until stopped); it starts with
//! a core limit of 1 MiB, so a 0 can only come from azsecrets itself.
//!
//! Dumpable is read the way the kernel shows it: the files of a non-dumpable process in
//! `/proc/<pid>` belong to root. When the test runs as root the binary runs as `nobody`, so
//! root ownership can only mean non-dumpable; otherwise reading its `environ` is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ONE_MIB: u64 = 1024 * 1024;

struct Served {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `azsecrets sandbox serve`, started with a 1 MiB core limit (as `nobody` when we are root),
/// once it says it is running.
fn serve(allow_core_dumps: bool) -> Served {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.env_clear()
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .arg("--log-file")
        .arg(dir.path().join("azsecrets.log"))
        .args(["sandbox", "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if allow_core_dumps {
        cmd.env("AZSECRETS_ALLOW_CORE_DUMPS", "1");
    }
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: ONE_MIB,
                rlim_max: ONE_MIB,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "sandbox serve did not start");
        match lines.next() {
            Some(Ok(l)) if l.contains("Ctrl-C") => break,
            Some(_) => {}
            None => panic!("sandbox serve ended: {:?}", child.wait()),
        }
    }
    Served { child, _dir: dir }
}

/// "Max core file size" soft and hard limits from `/proc/<pid>/limits`.
fn core_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_else(|| panic!("{limits}"));
    let mut fields = line["Max core file size".len()..].split_whitespace();
    (
        fields.next().unwrap().to_owned(),
        fields.next().unwrap().to_owned(),
    )
}

/// Whether the process is dumpable, as seen from outside.
fn dumpable(pid: u32) -> bool {
    let environ = format!("/proc/{pid}/environ");
    if is_root() {
        // It runs as nobody: its /proc files are root's only when it is not dumpable.
        std::fs::metadata(&environ).unwrap().uid() != 0
    } else {
        std::fs::read(&environ).is_ok()
    }
}

#[test]
fn the_running_binary_cannot_dump_core() {
    let served = serve(false);
    let pid = served.child.id();
    assert_eq!(
        core_limit(pid),
        ("0".to_owned(), "0".to_owned()),
        "RLIMIT_CORE is 0, soft and hard"
    );
    assert!(!dumpable(pid), "PR_SET_DUMPABLE is 0");
}

#[test]
fn core_dumps_can_be_allowed_for_debugging() {
    let served = serve(true);
    let pid = served.child.id();
    assert_eq!(
        core_limit(pid),
        (ONE_MIB.to_string(), ONE_MIB.to_string()),
        "AZSECRETS_ALLOW_CORE_DUMPS=1 leaves the limit as it was"
    );
    assert!(dumpable(pid), "and the process dumpable");
}
