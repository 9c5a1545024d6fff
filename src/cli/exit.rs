//! Documented exit codes (README "Exit codes").

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Ok = 0,
    /// Something failed that has no more specific code.
    Failure = 1,
    /// Bad flags or arguments (clap uses 2 as well).
    Usage = 2,
    /// Sign-in failed.
    Auth = 3,
    /// The app or secret was not found, or a name matched several apps.
    NotFound = 4,
    /// Graph answered with an error.
    Graph = 5,
    /// `secrets list --check` found expired or expiring secrets.
    CheckFailed = 6,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}
