//! `stowage plugins`: what was found, what it provides, and what was rejected and why.

use serde_json::json;
use stowage::plugins::{DiscoveryConfig, LoadedPlugin, Registry};

use crate::args::{Cli, PluginsArgs};
use crate::output::outln;

/// The registry for this invocation.
pub fn registry(cli: &Cli) -> Registry {
    Registry::discover(&DiscoveryConfig::standard(&cli.plugin_dirs))
}

/// Prints the plugin listing.
pub fn list(cli: &Cli, args: &PluginsArgs) -> crate::exit::CliResult {
    let reg = registry(cli);
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&as_json(&reg)).unwrap_or_default()
        );
        return Ok(());
    }
    let dirs: Vec<String> = reg
        .searched_dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    outln!("searched: {}", dirs.join(", "));
    outln!("plugins ({}):", reg.plugins().len());
    for p in reg.plugins() {
        print_plugin(p);
    }
    if !reg.rejected().is_empty() {
        outln!("rejected ({}):", reg.rejected().len());
        for r in reg.rejected() {
            outln!("  {}: {}", r.path.display(), r.reason);
        }
    }
    Ok(())
}

fn print_plugin(p: &LoadedPlugin) {
    outln!(
        "  {} {} (ABI 1.{}) {}",
        p.name,
        p.version,
        p.abi_minor,
        p.path.display()
    );
    for b in &p.backends {
        outln!(
            "    backend {}: schemes {} [{}]",
            b.name,
            b.schemes.join(", "),
            b.capabilities.names().join(", ")
        );
    }
    for f in &p.formats {
        outln!(
            "    format {}: extensions {} [{}]",
            f.name,
            f.extensions.join(", "),
            f.capabilities.names().join(", ")
        );
    }
    for d in &p.destination_infos {
        if d.is_loadable() {
            outln!(
                "    destination {}: staging formats {} [{}]",
                d.name,
                d.staging_formats.join(", "),
                d.capabilities.names().join(", ")
            );
        } else {
            outln!(
                "    destination {} (declared with ABI 1.1; not loadable)",
                d.name
            );
        }
    }
}

fn as_json(reg: &Registry) -> serde_json::Value {
    let plugins: Vec<serde_json::Value> = reg
        .plugins()
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "version": p.version, "abi": format!("1.{}", p.abi_minor),
                "path": p.path, "rustc": p.rustc_version, "arrow": p.arrow_version,
                "backends": p.backends.iter().map(|b| json!({"name": b.name, "schemes": b.schemes, "capabilities": b.capabilities.names()})).collect::<Vec<_>>(),
                "formats": p.formats.iter().map(|f| json!({"name": f.name, "extensions": f.extensions, "capabilities": f.capabilities.names()})).collect::<Vec<_>>(),
                "destinations": p.destinations,
            })
        })
        .collect();
    let rejected: Vec<serde_json::Value> = reg
        .rejected()
        .iter()
        .map(|r| json!({"path": r.path, "reason": r.reason}))
        .collect();
    json!({"searched": reg.searched_dirs(), "plugins": plugins, "rejected": rejected})
}
