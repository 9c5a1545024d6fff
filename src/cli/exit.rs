//! Documented exit codes (README "Exit codes", the man page's EXIT STATUS).

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
    /// A new secret reached some of its destinations but not all: it is kept.
    PartlyHandedOff = 7,
    /// A new secret was handed off but did not sign in (`--verify`): it is kept.
    NotVerified = 8,
    /// A signal (Ctrl-C, SIGTERM, SIGHUP) stopped the command; it said what exists now.
    Interrupted = 130,
}

impl ExitCode {
    pub const ALL: [ExitCode; 10] = [
        ExitCode::Ok,
        ExitCode::Failure,
        ExitCode::Usage,
        ExitCode::Auth,
        ExitCode::NotFound,
        ExitCode::Graph,
        ExitCode::CheckFailed,
        ExitCode::PartlyHandedOff,
        ExitCode::NotVerified,
        ExitCode::Interrupted,
    ];

    /// What the code means, for the man page.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => "Success.",
            ExitCode::Failure => {
                "Something failed that has no more specific code (e.g. no destination took a new secret's value, so it was deleted again)."
            }
            ExitCode::Usage => "Bad flags or arguments; nothing was changed.",
            ExitCode::Auth => "Sign-in failed or was cancelled.",
            ExitCode::NotFound => {
                "The app or secret was not found, or a name matched several apps."
            }
            ExitCode::Graph => {
                "Microsoft Graph answered with an error (its code and request-id are printed)."
            }
            ExitCode::CheckFailed => {
                "secrets list --check found secrets expired or expiring within the window."
            }
            ExitCode::PartlyHandedOff => {
                "A new secret reached some of its destinations but not all; it is kept, and the failed destinations and how to retry them are printed."
            }
            ExitCode::NotVerified => {
                "--verify: the new secret was handed off but did not sign in within 120 s; it is kept (a rotation keeps the old secret too)."
            }
            ExitCode::Interrupted => {
                "A signal (Ctrl-C, SIGTERM, SIGHUP) stopped the command; what it printed says what exists in the tenant now."
            }
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}
