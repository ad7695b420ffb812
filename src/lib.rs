//! detgen: labelled network-traffic datasets from declarative Docker
//! scenarios. The data flows one way:
//! spec -> sample -> render -> run -> capture -> label.
//! See ARCHITECTURE.md for the map.

pub mod campaign;
pub mod capture;
pub mod compare;
pub mod dataset;
pub mod dist;
pub mod features;
pub mod flow;
pub mod label;
pub mod manifest;
pub mod pcapio;
pub mod render;
pub mod run;
pub mod sample;
pub mod spec;
pub mod verify;
pub mod wan;

use std::path::PathBuf;

/// Where scenarios live: `$DETGEN_SCENARIOS`, else `./scenarios` when it
/// exists, else the `scenarios` folder of the source tree detgen was built
/// from.
pub fn default_scenarios_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DETGEN_SCENARIOS") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("scenarios");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}
