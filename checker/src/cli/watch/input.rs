//! What the learner tells `watch`, from a thread of its own (reads block): single keys when
//! standard input is a terminal, lines when it is not (a pipe, CI), each turned into an
//! [`Action`].
//!
//! What must hold: on a terminal a key acts at once, without Enter and without echo (console's
//! `read_key_raw`, which makes the terminal raw only while it waits for a key); Ctrl-C, read as a
//! key there, is turned into the SIGINT the terminal would have sent. [`Terminal`] puts the
//! terminal's settings back as they were when watch started on every way out (quitting, Ctrl-C, a
//! signal, an error, a panic), even while the reading thread still waits for a key. Without a
//! terminal, each line is one action and the end of input is reported.
use std::io::IsTerminal;

use console::{Key, Term};
use tokio::sync::mpsc::UnboundedSender;

/// What the learner did.
pub(super) enum Input {
    /// A file of the exercise changed.
    Saved,
    /// A key (or a line) asked for this.
    Do(Action),
    /// Standard input ended (Ctrl-D), without a terminal.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Hint,
    Next,
    List,
    Recheck,
    Quit,
}

impl Action {
    fn of_key(key: &Key) -> Option<Action> {
        match key {
            Key::Char('h') => Some(Action::Hint),
            Key::Char('n') => Some(Action::Next),
            Key::Char('l') => Some(Action::List),
            Key::Char('r') | Key::Enter => Some(Action::Recheck),
            Key::Char('q') => Some(Action::Quit),
            _ => None,
        }
    }

    /// A line's action: its letter, and any other line (an empty one too) re-checks.
    fn of_line(line: &str) -> Action {
        match line.trim() {
            "h" => Action::Hint,
            "n" => Action::Next,
            "l" => Action::List,
            "q" => Action::Quit,
            _ => Action::Recheck,
        }
    }
}

/// How the learner gives an action: a key alone, or a letter then Enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keys {
    Single,
    Lines,
}

impl Keys {
    /// What to type for `key`: `h`, or `h then Enter`.
    pub(super) fn press(self, key: &str) -> String {
        match self {
            Keys::Single => key.to_string(),
            Keys::Lines => format!("{key} then Enter"),
        }
    }
}

/// The terminal's settings as watch found them, put back when this is dropped.
pub(super) struct Terminal {
    settings: Option<rustix::termios::Termios>,
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(settings) = &self.settings {
            let _ = rustix::termios::tcsetattr(std::io::stdin(), rustix::termios::OptionalActions::Now, settings);
        }
    }
}

/// Starts forwarding what the learner types to `inputs`: keys when standard input is a terminal
/// (and one of the outputs too, where console reads keys), else lines. Keep the [`Terminal`]
/// until watch ends.
pub(super) fn listen(inputs: UnboundedSender<Input>) -> (Keys, Terminal) {
    let term = [Term::stdout(), Term::stderr()].into_iter().find(Term::is_term).filter(|_| std::io::stdin().is_terminal());
    let settings = term.as_ref().and_then(|_| rustix::termios::tcgetattr(std::io::stdin()).ok());
    match term {
        Some(term) if settings.is_some() => {
            std::thread::spawn(move || read_keys(&term, &inputs));
            (Keys::Single, Terminal { settings })
        }
        _ => {
            std::thread::spawn(move || read_lines(&inputs));
            (Keys::Lines, Terminal { settings: None })
        }
    }
}

fn read_keys(term: &Term, inputs: &UnboundedSender<Input>) {
    loop {
        match term.read_key_raw() {
            Ok(Key::CtrlC) => {
                let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::INT);
                return;
            }
            Ok(key) => {
                let Some(action) = Action::of_key(&key) else { continue };
                if inputs.send(Input::Do(action)).is_err() || action == Action::Quit {
                    return;
                }
            }
            // A signal (a check ending) woke the wait: wait again.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn read_lines(inputs: &UnboundedSender<Input>) {
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        if inputs.send(Input::Do(Action::of_line(&line))).is_err() {
            return;
        }
    }
    let _ = inputs.send(Input::Closed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_lines_ask_for_the_same_actions() {
        for (letter, action) in [('h', Action::Hint), ('n', Action::Next), ('l', Action::List), ('r', Action::Recheck), ('q', Action::Quit)] {
            assert_eq!(Action::of_key(&Key::Char(letter)), Some(action));
            assert_eq!(Action::of_line(&format!("{letter}")), action);
        }
        assert_eq!(Action::of_key(&Key::Enter), Some(Action::Recheck));
        assert_eq!(Action::of_key(&Key::Char('x')), None, "a stray key does nothing");
        assert_eq!(Action::of_line(""), Action::Recheck, "Enter alone re-checks, as before");
        assert_eq!(Action::of_line(" q "), Action::Quit);
        assert_eq!((Keys::Single.press("n"), Keys::Lines.press("n")), ("n".to_string(), "n then Enter".to_string()));
    }
}
