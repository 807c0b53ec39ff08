//! `non-root`: the final image's user is not root, by name, by number, or through /etc/passwd.
use super::{no_settings, Check, CheckMeta, Evidence, ExerciseDefaults, Input, Needs, Outcome, Severity};
use crate::image::capture::Analyzer;

pub(super) struct NonRoot;

pub(super) static META: CheckMeta = CheckMeta {
    id: "non-root",
    summary: "The container runs as a user other than root",
    severity: Severity::Error,
    needs: Needs::Image,
    doc: include_str!("../../docs/checks/non-root.md"),
};

const HINT: &str = "add `USER 65532` (or another numeric uid) at the end of the final stage; a numeric uid \
                    also satisfies Kubernetes' runAsNonRoot";

/// The image's accounts, for a `USER` given by name.
pub(super) static PASSWD: Analyzer = Analyzer { name: "passwd", version: 1, wants: |path| (path == "etc/passwd").then_some(32 << 20) };

/// The uid a user name has in an /etc/passwd text.
fn uid_in_passwd(passwd: &[u8], name: &str) -> Option<u64> {
    String::from_utf8_lossy(passwd).lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next() == Some(name)).then(|| fields.nth(1)?.parse().ok()).flatten()
    })
}

impl Check for NonRoot {
    type Settings = ();

    fn settings(&self, table: &toml::Table, _exercise: &ExerciseDefaults) -> Result<(), String> {
        no_settings(table)
    }

    fn asks(&self, _settings: &()) -> String {
        META.lead().to_string()
    }

    fn judge(&self, input: &Input<'_>, _settings: &()) -> Outcome {
        let Some(image) = input.image else { return Outcome::skipped("no image") };
        let user = image.config.user.trim();
        let evidence = user_instruction(input).into_iter().collect::<Vec<_>>();
        let name = user.split(':').next().unwrap_or_default();
        if name.is_empty() {
            return Outcome::fail("no USER is set, so the container runs as root", evidence, HINT);
        }
        let uid = match name.parse::<u64>() {
            Ok(uid) => uid,
            Err(_) => match image.filesystem.content("etc/passwd").and_then(|p| uid_in_passwd(p, name)) {
                Some(uid) => uid,
                None if name == "root" => 0,
                None => {
                    return Outcome::fail(
                        format!("USER {name} is not in the image's /etc/passwd, so the container cannot start as it"),
                        evidence,
                        "use a numeric uid (USER 65532), which needs no passwd entry",
                    )
                }
            },
        };
        if uid == 0 {
            return Outcome::fail(format!("USER {user} is root (uid 0)"), evidence, HINT);
        }
        Outcome::pass(format!("runs as {user} (uid {uid})")).with_evidence(evidence)
    }
}

/// The USER instruction in effect in the stage that ships (its own last one, or the last one of
/// the stage it is built `FROM`), when the Dockerfile is known.
fn user_instruction(input: &Input<'_>) -> Option<Evidence> {
    let dockerfile = input.dockerfile?;
    let ancestry = dockerfile.ancestry(dockerfile.shipped_stage().index);
    let last = ancestry.iter().find_map(|stage| dockerfile.stage_instructions(stage.index).filter(|i| i.keyword == "USER").last())?;
    Some(Evidence::at_line("the USER of the stage that ships", last.line, &last.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uids_from_passwd() {
        let passwd = b"root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
        assert_eq!(uid_in_passwd(passwd, "toor"), Some(0));
        assert_eq!(uid_in_passwd(passwd, "app"), Some(1000));
        assert_eq!(uid_in_passwd(passwd, "ghost"), None);
    }

    #[test]
    fn the_user_comes_from_the_shipping_stage_or_its_parents() {
        let text = "FROM node:20 AS base\nUSER node\nFROM base AS app\nCOPY . .\nFROM app AS test\nUSER root\n";
        let line = |target| {
            let dockerfile = crate::dockerfile::Dockerfile::parse(text).unwrap().with_target(target).unwrap();
            user_instruction(&Input { dockerfile: Some(&dockerfile), ..Input::default() }).and_then(|e| e.dockerfile_line)
        };
        assert_eq!(line(None), Some(6));
        assert_eq!(line(Some("app")), Some(2));
    }
}
