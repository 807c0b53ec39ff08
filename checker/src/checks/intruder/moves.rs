//! The intruder's moves: a fixed list of what an attacker tries first once an app runs their
//! command lines, each a POSIX shell command line that prints what it found and then the proof
//! that it worked.
//!
//! What must hold: a move proves itself only by what the shell computes (`$((6*7))` becomes
//! [`PROOF`]), never by text it was sent, so an endpoint that echoes its input or an error message
//! quoting the command cannot make a move look worked. Ids are shown in reports and documented in
//! `checker/docs/checks/intruder.md`; they only change with that file.

/// What a move's output holds when, and only when, its command ran to the end in a shell.
pub(crate) const PROOF: &str = "intruder-42";
/// The shell arithmetic that prints [`PROOF`]; the text sent never contains the proof itself.
const PROOF_COMMAND: &str = "echo intruder-$((6*7))";

/// One thing an intruder tries through the app.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Move {
    pub id: &'static str,
    /// What it would give the intruder, as the report says it.
    pub goal: &'static str,
    /// The shell command line, without the proof; it succeeds when the move worked.
    test: &'static str,
}

impl Move {
    /// The command line sent: the move's test, then the proof when the test succeeded.
    pub(crate) fn command(&self) -> String {
        format!("{} && {PROOF_COMMAND}", self.test)
    }
}

/// Prints the programs of `$p` found on PATH and succeeds when there was one.
macro_rules! any_program {
    ($names:literal) => {
        concat!("f=; for p in ", $names, "; do command -v $p && f=1; done; [ -n \"$f\" ]")
    };
}

/// The moves, in the order they are tried and reported.
pub(crate) const MOVES: [Move; 10] = [
    Move { id: "shell", goal: "run a shell command", test: "echo \"$0\"" },
    Move { id: "root", goal: "act as root", test: "id && [ \"$(id -u)\" = 0 ]" },
    Move { id: "read-shadow", goal: "read the password hashes in /etc/shadow", test: "head -n 1 /etc/shadow | cut -d: -f1-2 | grep ." },
    Move { id: "write-app", goal: "change the app's own files", test: "touch .shipshape-intruder && rm .shipshape-intruder && pwd" },
    Move {
        id: "package-manager",
        goal: "install tools with a package manager",
        test: any_program!("apt-get apt dpkg apk dnf yum microdnf zypper npm pip pip3 gem"),
    },
    Move { id: "compiler", goal: "compile a program", test: any_program!("gcc cc c++ g++ clang tcc go rustc javac make") },
    Move { id: "downloader", goal: "fetch or send files with a network tool", test: any_program!("curl wget nc ncat netcat socat") },
    Move { id: "network", goal: "reach a network beyond loopback", test: "ls /sys/class/net | grep -vx lo" },
    Move {
        id: "capabilities",
        goal: "hold a Linux capability",
        test: "grep '^CapEff' /proc/self/status && ! grep -q '^CapEff:[[:space:]]*0*$' /proc/self/status",
    },
    Move {
        id: "setuid",
        goal: "gain privileges through a setuid program",
        test: "grep '^NoNewPrivs' /proc/self/status && grep -q '^NoNewPrivs:[[:space:]]*0' /proc/self/status && \
               find / -xdev -perm -4000 -type f 2>/dev/null | head -n 3 | grep .",
    },
];

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn run(command: &str) -> String {
        let output = Command::new("sh").arg("-c").arg(command).output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    #[test]
    fn a_move_that_works_prints_the_proof_the_command_never_contains() {
        for step in MOVES {
            assert!(!step.command().contains(PROOF), "{}", step.id);
        }
        let shell = MOVES.iter().find(|m| m.id == "shell").unwrap();
        assert!(run(&shell.command()).contains(PROOF));
    }

    #[test]
    fn a_move_whose_test_fails_prints_no_proof() {
        let missing = Move { id: "compiler", goal: "", test: any_program!("shipshape-no-such-program another-missing-one") };
        assert!(!run(&missing.command()).contains(PROOF));
        let found = Move { id: "compiler", goal: "", test: any_program!("shipshape-no-such-program sh") };
        let output = run(&found.command());
        assert!(output.contains("/sh") && output.contains(PROOF), "{output}");
    }

    #[test]
    fn ids_are_unique_and_documented() {
        let doc = include_str!("../../../docs/checks/intruder.md");
        for (i, step) in MOVES.iter().enumerate() {
            assert!(MOVES[..i].iter().all(|other| other.id != step.id), "{} twice", step.id);
            assert!(doc.contains(&format!("`{}`", step.id)), "{} is not in docs/checks/intruder.md", step.id);
        }
    }
}
