//! The JSON Schemas the open data follows, published under `/schema/`: their site paths
//! and their text. Every open-data file names its schema by one of these paths.

use loket_core::config::Config;

/// Schema of a standard's file, relative to the site root.
pub const SCHEMA_STANDARD: &str = "schema/standar-v1.json";
/// Schema of the list of standards.
pub const SCHEMA_LIST: &str = "schema/daftar-layanan-v1.json";
/// Schema of the performance page's open data.
pub const SCHEMA_KINERJA: &str = "schema/kinerja-v2.json";
/// Its first version, still published for readers that name it.
pub const SCHEMA_KINERJA_V1: &str = "schema/kinerja-v1.json";

/// The schemas as published: (site path, JSON text with its `$id` set to its address).
pub fn schemas(config: &Config) -> Vec<(&'static str, String)> {
    [
        (SCHEMA_STANDARD, include_str!("schema/standar-v1.json")),
        (SCHEMA_LIST, include_str!("schema/daftar-layanan-v1.json")),
        (SCHEMA_KINERJA_V1, include_str!("schema/kinerja-v1.json")),
        (SCHEMA_KINERJA, include_str!("schema/kinerja-v2.json")),
    ]
    .into_iter()
    .map(|(path, text)| {
        let out = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(mut v) => {
                v["$id"] = serde_json::Value::String(config.absolute_url(path));
                serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string())
            }
            Err(_) => text.to_string(),
        };
        (path, out)
    })
    .collect()
}
