//! The facts about one image, collected once and judged many times: its config, its history, and
//! per layer the entries it adds or deletes, merged into the final filesystem.
//!
//! What must hold: layers are in rootfs order (base first); `layers[i].history` indexes the
//! history entry that created layer `i` when the history accounts for every layer.
pub(crate) mod archive;
pub(crate) mod cache;
pub(crate) mod capture;
pub(crate) mod compressed;
pub(crate) mod config;
pub(crate) mod elf;
pub(crate) mod filesystem;
pub(crate) mod gobuild;
pub(crate) mod layer;
pub(crate) mod secrets;
pub(crate) mod sniff;

pub(crate) use config::{HistoryEntry, ImageConfig};
pub(crate) use filesystem::FileSystem;
pub(crate) use layer::{EntryKind, LayerFacts};
pub(crate) use sniff::ContentClass;

/// Everything the checks may know about an image.
#[derive(Debug)]
pub(crate) struct ImageFacts {
    /// The image ID: the sha256 digest of its config.
    pub id: String,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    pub filesystem: FileSystem,
    /// How many layers came from the layer cache instead of being read.
    pub cached_layers: usize,
}

/// One layer in rootfs order, with the history entry that created it.
#[derive(Debug)]
pub(crate) struct Layer {
    pub facts: LayerFacts,
    /// Index into [`ImageFacts::history`], when the history accounts for every layer.
    pub history: Option<usize>,
}

impl ImageFacts {
    /// Builds the facts from the config and the layers in rootfs order.
    pub(crate) fn assemble(id: String, config_json: &[u8], layers: Vec<LayerFacts>) -> Result<Self, String> {
        let (config, history) = config::parse(config_json)?;
        let history_of_layer = config::layer_history(&history, layers.len());
        let filesystem = FileSystem::merge(&layers);
        let layers = layers.into_iter().enumerate().map(|(index, facts)| Layer { facts, history: history_of_layer.as_ref().map(|h| h[index]) }).collect();
        Ok(ImageFacts { id, config, history, layers, filesystem, cached_layers: 0 })
    }

    /// Total size as `docker image inspect` reports it (and dive, for images without symbolic
    /// links): every layer's size; a file deleted by a later layer still counts, it still ships.
    pub(crate) fn size(&self) -> u64 {
        self.layers.iter().map(|layer| layer.facts.size).sum()
    }

    /// What a registry stores for the image (`docker push`, and a pull downloads): every layer's
    /// tar gzip-compressed at the default level, when the read measured it.
    pub(crate) fn compressed_size(&self) -> Option<u64> {
        self.layers.iter().map(|layer| layer.facts.compressed_size).sum()
    }

    /// The `created_by` of the history entry that made layer `index`, when known.
    pub(crate) fn layer_instruction(&self, index: usize) -> Option<String> {
        let instruction = self.history[self.layers.get(index)?.history?].instruction();
        (!instruction.is_empty()).then_some(instruction)
    }
}
