//! Errors that stop a command: what went wrong, the causes underneath, and one line saying what to
//! do. Every such error exits with [`EXIT_ERROR`]; a failed check is a verdict, not an error.
use std::fmt;

/// Every required check passed.
pub(crate) const EXIT_PASSED: u8 = 0;
/// At least one required check failed (a failing build counts as a failed `builds` check).
pub(crate) const EXIT_FAILED: u8 = 1;
/// Usage, spec or infrastructure error: nothing was judged.
pub(crate) const EXIT_ERROR: u8 = 2;

#[derive(Debug)]
pub struct Error {
    message: String,
    causes: Vec<String>,
    action: Option<String>,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), causes: Vec::new(), action: None }
    }

    /// Adds an underlying cause (printed after the message, outermost first).
    pub fn because(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(cause.to_string());
        self
    }

    /// The one line that tells the user what to do about it.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Wraps this error under a higher-level message; the old message becomes the first cause.
    pub fn within(self, message: impl Into<String>) -> Self {
        let mut causes = vec![self.message];
        causes.extend(self.causes);
        Error { message: message.into(), causes, action: self.action }
    }

    /// The message, its causes and the action, one a line: what `Display` prints after `error: `.
    /// Causes often quote what a file or a daemon said, so their control characters are shown
    /// as escapes ([`crate::escape::visible`]): no cause can add a line or drive the terminal.
    pub(crate) fn explained(&self) -> String {
        let causes = self.causes.iter().map(|cause| format!("\n  caused by: {}", crate::escape::visible(cause)));
        let action = self.action.iter().map(|action| format!("\n{action}"));
        std::iter::once(crate::escape::visible(&self.message)).chain(causes).chain(action).collect()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.explained())
    }
}

impl std::error::Error for Error {}

/// Attaches a message (and optionally an action) to any displayable error.
pub(crate) trait Context<T> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|cause| Error::new(message()).because(cause))
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn what_a_cause_quotes_cannot_add_a_line_or_drive_the_terminal() {
        let error = Error::new("cannot read the archive x.tar").because("bad header \u{1b}[31m\nerror: forged").action("make it again");
        assert_eq!(error.to_string(), "error: cannot read the archive x.tar\n  caused by: bad header \\u{1b}[31m\\nerror: forged\nmake it again");
    }
}
