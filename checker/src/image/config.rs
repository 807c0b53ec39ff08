//! The image config as the checks need it: runtime settings and the build history.
use serde::Deserialize;

use crate::dockerfile::parse_error::INSTRUCTIONS;

#[derive(Debug, Default, Clone)]
pub(crate) struct ImageConfig {
    /// The `USER` the container runs as; empty means root.
    pub user: String,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// The `WORKDIR` the command starts in; empty means `/`.
    pub working_dir: String,
    pub labels: Vec<(String, String)>,
    /// The layer digests (diff IDs) in rootfs order.
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HistoryEntry {
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub empty_layer: bool,
}

impl HistoryEntry {
    /// The instruction with builder noise removed: `/bin/sh -c #(nop) COPY ...` → `COPY ...`,
    /// `/bin/sh -c npm ci` → `RUN npm ci`, BuildKit's `RUN /bin/sh -c x # buildkit` → `RUN x`.
    pub(crate) fn instruction(&self) -> String {
        let text = self.created_by.trim();
        let text = text.strip_suffix("# buildkit").unwrap_or(text).trim_end();
        if text.is_empty() {
            return String::new();
        }
        if let Some((_, rest)) = text.split_once("#(nop) ") {
            return rest.trim().to_string();
        }
        let (keyword, rest) = text.split_once(' ').unwrap_or((text, ""));
        if INSTRUCTIONS.contains(&keyword) {
            return match keyword {
                "RUN" => format!("RUN {}", without_shell(rest)),
                _ => text.to_string(),
            };
        }
        format!("RUN {}", without_shell(text))
    }

    /// The Dockerfile keyword this entry came from (`RUN` for a plain command).
    pub(crate) fn keyword(&self) -> String {
        self.instruction().split_whitespace().next().unwrap_or("RUN").to_string()
    }
}

/// `|1 TOKEN=x /bin/sh -c make` → `make`: drops the classic builder's build-arg prefix and shell.
fn without_shell(command: &str) -> &str {
    let mut text = command.trim();
    if text.starts_with('|') {
        if let Some(at) = text.find("/bin/sh -c ") {
            text = &text[at..];
        }
    }
    text.strip_prefix("/bin/sh -c ").unwrap_or(text).trim()
}

#[derive(Deserialize)]
struct RawImage {
    #[serde(default)]
    config: Option<RawConfig>,
    #[serde(default)]
    history: Vec<HistoryEntry>,
    #[serde(default)]
    rootfs: Option<RawRootfs>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    labels: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

/// Parses an image config JSON (Docker or OCI; they agree on these fields).
pub(crate) fn parse(json: &[u8]) -> Result<(ImageConfig, Vec<HistoryEntry>), String> {
    let raw: RawImage = serde_json::from_slice(json).map_err(|e| format!("the image config is not valid JSON: {e}"))?;
    let c = raw.config.unwrap_or_default();
    let config = ImageConfig {
        user: c.user.unwrap_or_default(),
        env: c.env.unwrap_or_default(),
        entrypoint: c.entrypoint.unwrap_or_default(),
        cmd: c.cmd.unwrap_or_default(),
        working_dir: c.working_dir.unwrap_or_default(),
        labels: c.labels.map(|l| l.into_iter().collect()).unwrap_or_default(),
        diff_ids: raw.rootfs.map(|r| r.diff_ids).unwrap_or_default(),
    };
    Ok((config, raw.history))
}

/// For each layer, the index of the history entry that created it, when the history's non-empty
/// entries match the layers one to one (images imported or squashed by hand may not).
pub(crate) fn layer_history(history: &[HistoryEntry], layer_count: usize) -> Option<Vec<usize>> {
    let indices: Vec<usize> = history.iter().enumerate().filter(|(_, h)| !h.empty_layer).map(|(i, _)| i).collect();
    (indices.len() == layer_count).then_some(indices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(created_by: &str) -> HistoryEntry {
        HistoryEntry { created_by: created_by.into(), empty_layer: false }
    }

    #[test]
    fn strips_builder_noise_from_instructions() {
        assert_eq!(entry("/bin/sh -c #(nop) COPY file:ab in /app ").instruction(), "COPY file:ab in /app");
        assert_eq!(entry("RUN /bin/sh -c npm ci # buildkit").instruction(), "RUN npm ci");
        assert_eq!(entry("/bin/sh -c npm ci").instruction(), "RUN npm ci");
        assert_eq!(entry("|1 TOKEN=x /bin/sh -c make").instruction(), "RUN make");
        assert_eq!(entry("/bin/sh -c #(nop)  USER 1000").keyword(), "USER");
        assert_eq!(entry("COPY /src /app # buildkit").keyword(), "COPY");
        assert_eq!(entry("/bin/sh -c apt-get update").keyword(), "RUN");
    }
}
