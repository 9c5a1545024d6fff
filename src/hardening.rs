//! Process hardening at start: a process that holds a secret value or a bearer token leaves no
//! core dump, and (on Linux) other processes of the same user cannot read its memory.
//!
//! `main` applies it before anything else unless [`ALLOW_CORE_DUMPS_ENV`] is set (for
//! debugging a crash); the clipboard holder applies it always.

/// Set to `1` to keep core dumps possible (debugging only: a core holds secrets and tokens).
pub const ALLOW_CORE_DUMPS_ENV: &str = "AZSECRETS_ALLOW_CORE_DUMPS";

/// Whether the environment opts out of hardening ([`ALLOW_CORE_DUMPS_ENV`] is `1`).
pub fn opted_out() -> bool {
    std::env::var_os(ALLOW_CORE_DUMPS_ENV).is_some_and(|v| v == "1")
}

/// No core dumps (RLIMIT_CORE 0, soft and hard); on Linux also not dumpable
/// (PR_SET_DUMPABLE 0: no core even when the limit is raised again, `/proc/<pid>/mem` and
/// `environ` root-only, no ptrace by the same user). Best effort: a refusal changes nothing
/// else.
pub fn deny_core_dumps() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a plain syscall with a valid pointer to a local struct.
        let set = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
        if set != 0 {
            tracing::warn!("could not set the core size limit to 0");
        }
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes no pointers.
        let set = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        if set != 0 {
            tracing::warn!("could not make the process non-dumpable");
        }
    }
}
